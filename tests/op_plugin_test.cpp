// Ops that plugins define (custom_op.hpp): the loader's checks on op plugins (tests/op_plugins, one defect each),
// how a binding picks its kernel, what each kernel computes against closed forms, and the conformance checks that
// `nnplug plugin-check` runs on them.
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/conformance/op_checks.hpp"
#include "nnplug/framework/activation_layer.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

// The plugins of one folder of tests/op_plugins, beside the bundled ones.
struct Loaded {
  Registry registry;
  std::map<std::string, Candidate> verdicts;  // by file name
  explicit Loaded(const std::string& folder) {
    PluginLoader loader;
    loader.add_directory(fs::path(OP_PLUGIN_DIR) / folder);
    for (auto& c : loader.load_all(registry)) verdicts[c.path.filename().string()] = c;
  }
  std::string label(const std::string& defect) const {
    return fmt::format("plugin op_fixture_{}@1.0.0 ({})", defect, (fs::path(OP_PLUGIN_DIR) / defect / fmt::format("op_fixture_{}.so", defect)).string());
  }
};

std::vector<double> cubes(const std::vector<double>& x, double scale) {
  std::vector<double> y;
  for (double v : x) y.push_back(scale * v * v * v);
  return y;
}

TEST(OpPlugins, AGoodOpPluginRegistersItsOpsKernelsAndGradient) {
  Loaded l("none");
  ASSERT_EQ(l.verdicts["op_fixture_none.so"].verdict, Verdict::Loaded) << l.verdicts["op_fixture_none.so"].reason;
  const auto op = l.registry.find_op("scale_cube");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->origin(), l.label("none"));
  ASSERT_TRUE(op->gradient());
  EXPECT_EQ(op->gradient()->name(), "scale_cube_grad");
  EXPECT_EQ(op->describe_kernels(), fmt::format("composite reference (float32, float64) from {0}; host reference (float32, float64) from {0}; "
                                                "cpu kernel (float32, float64) from {0}", l.label("none")));
  EXPECT_TRUE(l.registry.has(PluginKind::Op, "scale_cube"));
  // The native kernel first, then the composite, then the host reference.
  EXPECT_EQ(op->select("cpu", DType::Float32)->kind, OpKernel::Kind::Native);
  EXPECT_EQ(op->select("cuda", DType::Float32)->kind, OpKernel::Kind::Composite);
  EXPECT_EQ(op->gradient()->select("cuda", DType::Float64)->kind, OpKernel::Kind::HostReference);
}

TEST(OpPlugins, EveryKernelComputesTheOpAndItsGradient) {
  Loaded l("none");
  auto cpu = l.registry.create_backend(Params("test", "cpu"));
  const auto op = l.registry.find_op("scale_cube");
  const std::vector<double> x{-2.0, -0.5, 0.0, 0.25, 1.5, 3.0}, dy{1.0, -2.0, 0.5, 3.0, -1.0, 0.25};
  for (DType dtype : {DType::Float32, DType::Float64})
    for (const auto& kernel : op->kernels()) {
      SCOPED_TRACE(fmt::format("{} in {}", kernel->describe(), dtype_name(dtype)));
      BoundOp bound(op, *cpu, dtype, kernel.get());
      Tensor tx = tensor(*cpu, Shape{2, 3}, x, dtype), ty = cpu->empty(Shape{2, 3}, dtype);
      bound({tx}, {ty}, {{"scale", 0.5}});
      const auto y = to_host<double>(ty), want = cubes(x, 0.5);
      for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-6 * std::max(1.0, std::abs(want[i])));
    }
  // The gradient op, bound with the forward one: dx = 3 scale x^2 dy.
  BoundOp bound(op, *cpu, DType::Float64);
  Tensor tx = tensor(*cpu, Shape{6}, x), ty = cpu->empty(Shape{6}, DType::Float64), tdy = tensor(*cpu, Shape{6}, dy),
         tdx = cpu->empty(Shape{6}, DType::Float64);
  bound({tx}, {ty}, {{"scale", 2}});  // an integer converts to the number attribute
  bound.gradient()({tx, ty, tdy}, {tdx}, {{"scale", 2.0}});
  const auto dx = to_host<double>(tdx);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_DOUBLE_EQ(dx[i], 6 * x[i] * x[i] * dy[i]);
}

TEST(OpPlugins, CallsThatDoNotFitTheDefinitionAreRefusedNamingTheOp) {
  Loaded l("none");
  auto cpu = l.registry.create_backend(Params("test", "cpu"));
  BoundOp bound(l.registry.find_op("scale_cube"), *cpu, DType::Float32);
  Tensor x = cpu->empty(Shape{2, 3}, DType::Float32), y = cpu->empty(Shape{3, 2}, DType::Float32);
  EXPECT_THROW(
      {
        try {
          bound({x}, {y});
        } catch (const ShapeError& e) {
          EXPECT_STREQ(e.what(), "op 'scale_cube': output 'y' is [3, 2], the shape rule gives [2, 3]");
          throw;
        }
      },
      ShapeError);
  Tensor y64 = cpu->empty(Shape{2, 3}, DType::Float64);
  EXPECT_THROW(bound({x}, {y64}), ShapeError);
  EXPECT_THROW(bound({x}, {x, x}), ShapeError);
  try {
    bound({x}, {x}, {{"factor", 1.0}});
    FAIL() << "an unknown attribute was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "op 'scale_cube' has no attribute 'factor'");
  }
  EXPECT_THROW(bound({x}, {x}, {{"scale", true}}), InvalidArgument);
  EXPECT_THROW(BoundOp()({x}, {x}), PluginError);
}

TEST(OpPlugins, AShapeRuleThatRejectsItsInputsIsReportedWithTheShapes) {
  auto cpu = cpu_backend();
  auto op = std::make_shared<OpDefinition>("row_sum");
  OpSchema s;
  s.name = "row_sum";
  s.inputs = {"x"};
  s.outputs = {"y"};
  s.shape_rule = [](const std::vector<Shape>& in, const OpAttributes&) -> std::vector<Shape> {
    if (in[0].rank() != 2) throw ShapeError("x must be a matrix");
    return {Shape{in[0][0]}};
  };
  s.host_reference = [](HostOpCall& call) {
    const auto cols = static_cast<std::size_t>(call.inputs[0].shape[1]);
    for (std::size_t i = 0; i < call.outputs[0].values.size(); ++i)
      for (std::size_t j = 0; j < cols; ++j) call.outputs[0].values[i] += call.inputs[0].values[i * cols + j];
  };
  auto host = std::make_unique<OpKernel>();
  host->kind = OpKernel::Kind::HostReference;
  host->dtypes = s.dtypes;
  host->run_on_host = s.host_reference;
  host->origin = "the test";
  op->add_kernel(std::move(host));
  op->define(s, "the test", nullptr);
  BoundOp bound(op, *cpu, DType::Float64);
  // The host reference runs on any backend, through download and upload.
  Tensor x = tensor(*cpu, Shape{2, 3}, {1, 2, 3, 4, 5, 6}), y = cpu->empty(Shape{2}, DType::Float64);
  bound({x}, {y});
  EXPECT_EQ(to_host<double>(y), (std::vector<double>{6, 15}));
  try {
    bound({x.reshape(Shape{6})}, {y});
    FAIL() << "the shape rule was not applied";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "op 'row_sum' (the test) does not take inputs of shapes [6]: x must be a matrix");
  }
}

TEST(OpPlugins, AKernelThatThrowsIsReportedWithItsPluginAndTheHostGoesOn) {
  Loaded l("throws");
  auto cpu = l.registry.create_backend(Params("test", "cpu"));
  BoundOp bound(l.registry.find_op("scale_cube"), *cpu, DType::Float32);
  Tensor x = cpu->empty(Shape{4}, DType::Float32);
  try {
    bound({x}, {x});
    FAIL() << "the kernel's exception was lost";
  } catch (const BackendError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("op 'scale_cube' on backend 'cpu', cpu kernel (float32, float64) from {}: "
                                                 "the lookup table is missing", l.label("throws")));
  }
}

TEST(OpPlugins, BrokenOpPluginsAreRejectedAtLoadWithWhatIsWrong) {
  // The backends listed after an unknown one are those of this build (cuda only where nvcc was found).
  for (const auto& [defect, reason] : std::vector<std::pair<std::string, std::string>>{
           {"unknown_backend", "its tpu kernel for op 'scale_cube' is for backend 'tpu', which no plugin provides (backends: cpu"},
           {"dtype_mismatch", "its cpu kernel for op 'scale_cube' runs float32, which the op does not define (its dtypes: float64)"},
           {"attribute_mismatch", "its cpu kernel for op 'scale_cube' was written for attributes (factor), the op declares (scale)"}}) {
    Loaded l(defect);
    const Candidate& c = l.verdicts[fmt::format("op_fixture_{}.so", defect)];
    EXPECT_EQ(c.verdict, Verdict::Rejected) << defect;
    EXPECT_EQ(c.reason.rfind(fmt::format("register failed: {}: {}", l.label(defect), reason), 0), 0u) << c.reason;
    EXPECT_FALSE(l.registry.find_op("scale_cube")) << defect;
    EXPECT_TRUE(l.registry.has(PluginKind::Backend, "cpu")) << "the host goes on with the other plugins";
  }
}

TEST(OpPlugins, TwoPluginsDefiningTheSameOpKeepTheFirst) {
  Loaded l("duplicate");
  EXPECT_EQ(l.verdicts["op_fixture_twin_a.so"].verdict, Verdict::Loaded);
  const Candidate& b = l.verdicts["op_fixture_twin_b.so"];
  EXPECT_EQ(b.verdict, Verdict::Rejected);
  EXPECT_EQ(b.reason, fmt::format("duplicate name 'op:scale_cube': already provided by {} with the same priority 0",
                                  (fs::path(OP_PLUGIN_DIR) / "duplicate" / "op_fixture_twin_a.so").string()));
}

TEST(OpPlugins, APluginWhoseOpsAreRefusedLeavesItsNamesToThePluginItShadowed) {
  Loaded l("fallback");  // the broken one has the higher priority
  const Candidate& broken = l.verdicts["op_fixture_fallback_broken.so"];
  EXPECT_EQ(broken.verdict, Verdict::Rejected);
  EXPECT_NE(broken.reason.find("runs float32, which the op does not define"), std::string::npos) << broken.reason;
  const Candidate& good = l.verdicts["op_fixture_fallback_good.so"];
  EXPECT_EQ(good.verdict, Verdict::Loaded) << good.reason;
  const auto op = l.registry.find_op("scale_cube");
  ASSERT_TRUE(op);
  EXPECT_TRUE(l.registry.has(PluginKind::Activation, "scale_cube"));
  auto cpu = l.registry.create_backend(Params("test", "cpu"));
  ActivationLayer layer(l.registry.create_activation(Params("test", "scale_cube")));
  EXPECT_NO_THROW(layer.build(Shape{6}, BuildContext{*cpu, DType::Float32}));
}

TEST(OpPlugins, AKernelForAnOpThatWasRefusedIsRefusedToo) {
  Loaded l("orphan");
  const Candidate& op = l.verdicts["op_fixture_orphaned_op.so"];
  EXPECT_EQ(op.verdict, Verdict::Rejected);
  EXPECT_NE(op.reason.find("runs float32, which the op does not define"), std::string::npos) << op.reason;
  const Candidate& kernel = l.verdicts["op_fixture_extra_kernel.so"];
  EXPECT_EQ(kernel.verdict, Verdict::Rejected);
  EXPECT_EQ(kernel.reason, fmt::format("register failed: plugin op_fixture_extra_kernel@1.0.0 ({}): its cpu kernel for op 'scale_cube' is "
                                       "for an op that no plugin defines",
                                       (fs::path(OP_PLUGIN_DIR) / "orphan" / "op_fixture_extra_kernel.so").string()));
  EXPECT_FALSE(l.registry.find_op("scale_cube"));
  EXPECT_TRUE(l.registry.has(PluginKind::Backend, "cpu")) << "the host goes on with the other plugins";
}

TEST(OpPlugins, AnOpWithNoKernelOnTheBackendIsRefusedWhenTheModelIsBuilt) {
  Loaded l("float64_only");  // a cpu kernel for float64 only, and no reference
  ASSERT_EQ(l.verdicts["op_fixture_float64_only.so"].verdict, Verdict::Loaded);
  auto cpu = l.registry.create_backend(Params("test", "cpu"));
  ActivationLayer layer(l.registry.create_activation(Params("test", "scale_cube")));
  try {
    layer.build(Shape{6}, BuildContext{*cpu, DType::Float32});
    FAIL() << "the op was bound without a kernel";
  } catch (const PluginError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("op 'scale_cube' ({0}) has no kernel for backend 'cpu' in float32 and no reference "
                                                 "that runs there; its kernels: cpu kernel (float64) from {0}",
                                                 l.label("float64_only")));
  }
  EXPECT_NO_THROW(layer.build(Shape{6}, BuildContext{*cpu, DType::Float64}));
}

TEST(OpPlugins, ConformanceChecksPassAGoodOpAndFailAKernelWrongInOneElement) {
  Loaded good("none");
  const auto results = conformance::check_op(good.registry, good.registry.find_op("scale_cube"));
  ASSERT_EQ(results.size(), 6u);  // host reference and cpu kernel in two dtypes, the composite in float32, the gradient
  for (const auto& r : results) EXPECT_TRUE(r.passed && !r.skipped) << r.check << ": " << r.detail;
  EXPECT_EQ(results.back().check, "op scale_cube gradient (scale_cube_grad, float64)");

  Loaded bad("wrong_element");
  int failed = 0;
  for (const auto& r : conformance::check_op(bad.registry, bad.registry.find_op("scale_cube")))
    if (!r.passed) {
      ++failed;
      EXPECT_NE(r.detail.find("[3]: "), std::string::npos) << r.detail;
      EXPECT_NE(r.check.find("cpu kernel"), std::string::npos) << r.check;
    }
  EXPECT_EQ(failed, 2) << "the cpu kernel fails in float32 and in float64";

  Loaded wrong_composite("composite_float32");  // the reference is right in float64 only
  std::vector<std::string> failures;
  for (const auto& r : conformance::check_op(wrong_composite.registry, wrong_composite.registry.find_op("scale_cube")))
    if (!r.passed) failures.push_back(r.check);
  EXPECT_EQ(failures, std::vector<std::string>{"op scale_cube composite reference (float32)"});
}

}  // namespace
}  // namespace nnplug::test

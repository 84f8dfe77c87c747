#pragma once
// Shared by the test suites: the registry and the CPU backend of the conformance kit (plugins loaded from the
// build tree's plugin folder, as a user's program finds them), and host-side helpers.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nnplug/conformance/gradient_check.hpp"
#include "nnplug/conformance/plugin_registry.hpp"

// Skips the test, with the probe's reason, where the cuda backend cannot run (no NVIDIA driver or device: CI, most
// development machines).
#define SKIP_WITHOUT_CUDA() \
  if (const auto why = nnplug::conformance::backend_unavailable("cuda")) GTEST_SKIP() << *why

namespace nnplug::test {

using conformance::random_normal;
using conformance::registry;
inline std::shared_ptr<Backend> cpu_backend() { return conformance::reference_backend(); }

// The CPU backend in bfloat16 mixed precision; null, with the reason in `why`, on a CPU without bfloat16.
inline std::shared_ptr<Backend> bfloat16_backend(std::string& why) {
  try {
    return registry().create_backend(Params("test", Params::Json{{"type", "cpu"}, {"precision", "bfloat16"}}));
  } catch (const InvalidArgument& e) {
    why = e.what();
    return nullptr;
  }
}

// The CPU backend, named "cpu", and the same in bfloat16 mixed precision ("cpu in bfloat16") where the CPU has it.
inline std::vector<std::pair<std::string, std::shared_ptr<Backend>>> cpu_backends_in_both_precisions() {
  std::string why;
  std::vector<std::pair<std::string, std::shared_ptr<Backend>>> backends{{"cpu", cpu_backend()}};
  if (auto mixed = bfloat16_backend(why)) backends.emplace_back("cpu in bfloat16", mixed);
  return backends;
}

// |got - want| / |want| over all the values.
inline double relative_rms(const std::vector<double>& got, const std::vector<double>& want) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < want.size(); ++i) diff += (got[i] - want[i]) * (got[i] - want[i]), norm += want[i] * want[i];
  return std::sqrt(diff / norm);
}

// The conformance kit's gradient check of a layer (relative error below 1e-7 by centred differences in float64),
// its worst error recorded as the test's property.
inline void check_layer(Layer& layer, const Shape& sample, std::int64_t batch, const std::vector<double>& x_values,
                        const std::function<void(Layer&)>& prepare = {}) {
  const auto result = conformance::check_layer_gradient(layer, *cpu_backend(), sample, batch, x_values, prepare);
  EXPECT_TRUE(result.passed) << result.check << ": " << result.detail;
  ::testing::Test::RecordProperty(result.check, fmt::format("{:g}", result.worst_error));
}

// A layer that draws the same dropout mask in every forward pass (its counter back at 0 each time), so that a loss of
// its outputs is a function of the values alone and centred differences see the mask the gradient went through: how a
// layer that drops units while training is gradient-checked.
class FixedMask final : public Layer {
 public:
  explicit FixedMask(std::shared_ptr<Layer> inner) : inner_(std::move(inner)) {}
  std::string type() const override { return inner_->type(); }
  Shape build(const Shape& input, const BuildContext& ctx) override { return inner_->build(input, ctx); }
  std::vector<Parameter*> parameters() override { return inner_->parameters(); }
  const Tensor& forward(const Tensor& x) override {
    inner_->set_counters({0});
    return inner_->forward(x);
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override { return inner_->backward(dy, need_input_grad); }

 private:
  std::shared_ptr<Layer> inner_;
};

// A backend that hands everything to another one, under its own name; a test overrides run() to make an op
// misbehave.
class ForwardingBackend : public Backend {
 public:
  ForwardingBackend(std::string name, std::shared_ptr<Backend> inner) : name_(std::move(name)), inner_(std::move(inner)) {}
  std::string name() const override { return name_; }
  std::string device() const override { return "test"; }
  std::shared_ptr<Buffer> allocate(std::size_t n) override { return inner_->allocate(n); }
  void upload(const Tensor& d, const void* h, std::size_t n) override { inner_->upload(d, h, n); }
  void download(void* h, const Tensor& s, std::size_t n) override { inner_->download(h, s, n); }
  bool supports(const Op& op, DType dtype) const override { return inner_->supports(op, dtype); }
  void run(const Op& op) override { inner_->run(op); }

 protected:
  std::string name_;
  std::shared_ptr<Backend> inner_;
};

// A suite's scratch folder, made before each test and removed after it: <temp>/nnplug_<name>_<pid>.
class ScratchFolderTest : public ::testing::Test {
 protected:
  explicit ScratchFolderTest(const std::string& name)
      : dir_(std::filesystem::temp_directory_path() / fmt::format("nnplug_{}_{}", name, ::getpid())) {}
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// A tensor on the backend holding these values.
Tensor tensor(Backend& backend, const Shape& shape, const std::vector<double>& values, DType dtype = DType::Float64);

// The message of the nnplug Error that call() throws, or "(no error)".
template <typename Call>
std::string error_of(Call&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace nnplug::test

// Training throughput of the model a spec names (the demo MLP, the quick CNN), best epoch of several, and where a
// step's time goes: the optimizer step is timed alone, and for a model of dense layers only so are the GEMMs of
// a step with the same shapes; the rest is everything else (activations, bias, loss, batch upload, metrics), and
// the GEMM work of training is set against the GEMM ceiling (a 2048^3 product on the same backend, in its precision).
//   usage: train_throughput SPEC [--backend NAME] [--epochs N] [--batch N] [--limit N] [--synthetic]
// --limit N trains on the spec's first N training samples, all of them (no validation split): a fixed subset, for
// the models whose full epoch takes minutes (X11).
// --synthetic replaces the spec's data with 60,000 seeded Gaussian samples of the same size (throughput does not
// depend on the values; for machines without the Fashion-MNIST package, such as the GPU machines).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/plugin_loader.hpp"

using namespace nnplug;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The GEMMs one training step of `model` runs (forward y = x W^T; backward dW = dy^T x and dx = dy W except for
// the first layer), on scratch tensors of the same shapes.
double time_step_gemms(Model& model, std::int64_t batch, int steps) {
  Backend& be = model.backend();
  struct Shapes { std::int64_t in, out; };
  std::vector<Shapes> dense;
  for (Parameter* p : model.parameters())
    if (p->name == "weight") {
      if (p->value.rank() != 2) return 0.0;  // not a dense layer: no breakdown
      dense.push_back({p->value.dim(1), p->value.dim(0)});
    }
  std::vector<std::array<Tensor, 5>> t;  // x, W, y, dW, dx
  for (auto s : dense)
    t.push_back({be.empty({batch, s.in}, model.dtype()), be.empty({s.out, s.in}, model.dtype()), be.empty({batch, s.out}, model.dtype()),
                 be.empty({s.out, s.in}, model.dtype()), be.empty({batch, s.in}, model.dtype())});
  for (auto& v : t)
    for (auto& x : v) be.run(op::Fill{x, 0.01});
  auto one_step = [&] {
    for (auto& v : t) be.run(op::Gemm{.a = v[0], .b = v[1], .c = v[2], .trans_b = true});
    for (std::size_t i = t.size(); i-- > 0;) {
      be.run(op::Gemm{.a = t[i][2], .b = t[i][0], .c = t[i][3], .trans_a = true});
      if (i > 0) be.run(op::Gemm{.a = t[i][2], .b = t[i][1], .c = t[i][4]});
    }
  };
  for (int i = 0; i < 20; ++i) one_step();
  be.synchronize();
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) one_step();
  be.synchronize();
  return seconds_since(start);
}

// Multiply-adds x 2 of one training step's GEMMs per sample, for a model of dense layers: the forward product, dW,
// and dx except for the first layer. 0 for any other model.
double dense_step_flops_per_sample(Model& model) {
  double flops = 0;
  bool first = true;
  for (Parameter* p : model.parameters())
    if (p->name == "weight") {
      if (p->value.rank() != 2) return 0.0;
      const double products = static_cast<double>(p->value.dim(0)) * static_cast<double>(p->value.dim(1));
      flops += 2 * products * (first ? 2 : 3);
      first = false;
    }
  return flops;
}

// The GEMM ceiling of this backend (in its precision): GFLOP/s of a 2048 x 2048 x 2048 product, best of 5.
double gemm_ceiling_gflops(Backend& be) {
  constexpr std::int64_t n = 2048;
  Tensor a = be.empty({n, n}, DType::Float32), b = be.empty({n, n}, DType::Float32), c = be.empty({n, n}, DType::Float32);
  for (Tensor* t : {&a, &b}) be.run(op::Fill{*t, 0.01});
  double best = 1e30;
  for (int i = 0; i < 6; ++i) {
    be.synchronize();
    const auto start = Clock::now();
    be.run(op::Gemm{.a = a, .b = b, .c = c});
    be.synchronize();
    if (i > 0) best = std::min(best, seconds_since(start));  // the first one warms up
  }
  return 2.0 * n * n * n / best / 1e9;
}

double time_optimizer(Optimizer& optimizer, Backend& be, int steps) {
  for (int i = 0; i < 20; ++i) optimizer.step();
  be.synchronize();
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) optimizer.step();
  be.synchronize();
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SPEC [--backend NAME] [--epochs N] [--batch N] [--limit N] [--synthetic]\n", argv[0]);
    return 2;
  }
  Overrides overrides;
  int epochs = 3;
  bool synthetic = false;
  std::int64_t limit = 0;
  for (int i = 2; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--synthetic")) synthetic = true;
    else if (!std::strcmp(argv[i], "--backend") && has_value) overrides.backend = argv[++i];
    else if (!std::strcmp(argv[i], "--epochs") && has_value) epochs = std::stoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--batch") && has_value) overrides.batch_size = std::stoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--limit") && has_value) limit = std::stoll(argv[++i]);
  }
  try {
    Registry registry;
    PluginLoader().load_all(registry);
    Spec spec = load_spec(argv[1]);
    if (synthetic) {
      Params::Json data = {{"format", "gaussian_blobs"}, {"samples", 60000}, {"centers", 10}, {"features", 784}};
      if (spec.json["data"].contains("sample_shape")) data["sample_shape"] = spec.json["data"]["sample_shape"];
      spec.json["data"] = data;
    }
    if (limit > 0) {
      spec.set(fmt::format("data.limit_train={}", limit));
      spec.set("data.validation_split=0");
    }
    Experiment ex = build_experiment(spec, registry, overrides);
    ex.fit.progress = false;
    ex.fit.epochs = 1;
    Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    trainer.fit(ex.train, nullptr, ex.fit);  // warm-up: caches, allocator, page faults

    double best = 1e30;
    for (int e = 0; e < epochs; ++e) best = std::min(best, trainer.fit(ex.train, nullptr, ex.fit).back().seconds);
    const std::int64_t steps = (ex.train.size() + ex.fit.batch_size - 1) / ex.fit.batch_size;
    const double gemm = time_step_gemms(*ex.model, ex.fit.batch_size, static_cast<int>(steps));
    const double adam = time_optimizer(*ex.optimizer, *ex.backend, static_cast<int>(steps));
    const double rate = static_cast<double>(ex.train.size()) / best;
    std::printf("nnplug %s (%s): %.0f samples/s, %.3f s per epoch of %lld samples (best of %d)\n", ex.backend->name().c_str(),
                ex.backend->device().c_str(), rate, best, static_cast<long long>(ex.train.size()), epochs);
    if (gemm > 0) {
      std::printf("  per epoch: GEMM %.3f s (%.0f%%), optimizer %.3f s (%.0f%%), other %.3f s (%.0f%%)\n", gemm,
                  100 * gemm / best, adam, 100 * adam / best, best - gemm - adam, 100 * (best - gemm - adam) / best);
      // Its training's GEMM FLOPs over the epoch's time, against a large product's rate (in the backend's precision).
      const double achieved = dense_step_flops_per_sample(*ex.model) * rate / 1e9, ceiling = gemm_ceiling_gflops(*ex.backend);
      std::printf("  training runs %.1f GFLOP/s of GEMM work: %.0f%% of this backend's GEMM ceiling (%.1f GFLOP/s, 2048^3)\n", achieved,
                  100 * achieved / ceiling, ceiling);
    } else
      std::printf("  per epoch: optimizer %.3f s (%.0f%%), the rest %.3f s\n", adam, 100 * adam / best, best - adam);
    if (const StepStats steps = ex.backend->step_stats(); steps.captures > 0)
      std::printf("  step parts: %zu replayed, %zu captured, %zu run op by op\n", steps.replays, steps.captures,
                  steps.parts_run_op_by_op);
    std::printf("RESULT nnplug_samples_per_s %.0f\n", rate);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_throughput: %s\n", e.what());
    return 1;
  }
  return 0;
}

// Data-parallel training on N ranks (run it under mpirun; alone it is one rank): throughput, where a step's time
// goes, and what the scaling model (bench/scaling_model.py) needs.
//   usage: [mpirun -np N] data_parallel_bench SPEC [--batch N] [--steps N] [--bucket-mb X] [--compression none|bfloat16] [--backend B] [--json FILE]
// The spec's data is replaced by seeded Gaussian samples of the same size (throughput does not depend on the
// values), `steps` global batches of `batch` samples (the spec's batch size by default). Measured, per step:
//   step        the whole training step (best of 3 epochs)
//   exposed     time spent waiting for gradient all-reduces after backward: the communication not hidden
//   all-reduce  the same buckets reduced alone, with nothing else running: the communication there is to hide
// and, in one rank's backward pass, the seconds of each layer, how far into them its gradients were written, the
// bytes of its gradients and the seconds of its parameters' update; and all-reduce times of 4 KiB to 64 MiB
// tensors, to fit latency + bytes / bandwidth.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/plugin_loader.hpp"

using namespace nnplug;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The median time of `run`, over `repeats` calls after two unmeasured ones.
template <typename F>
double median_seconds(int repeats, F&& run) {
  run(), run();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    run();
    times.push_back(seconds_since(start));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// One rank alone: forward, then backward layer by layer (seconds and gradient bytes of each, last layer first),
// then the optimizer step, on one batch of `samples`.
Json time_layers(Experiment& ex, std::int64_t samples, int repeats) {
  Model& model = *ex.model;
  Backend& be = model.backend();
  model.set_training(true);
  const Tensor x = be.empty(ex.train.sample_shape.with_batch(samples), model.dtype());
  be.run(op::Fill{x, 0.5});
  std::vector<std::int32_t> host_labels(static_cast<std::size_t>(samples));
  for (std::size_t i = 0; i < host_labels.size(); ++i) host_labels[i] = static_cast<std::int32_t>(i % static_cast<std::size_t>(ex.train.num_classes));
  Tensor labels = be.empty(Shape{samples}, DType::Int32);
  be.upload(labels, host_labels.data(), labels.bytes());
  Tensor target = labels;
  if (ex.loss->target_kind() != TargetKind::ClassIndex) {
    target = be.empty(model.output_shape().with_batch(samples), model.dtype());
    from_host(target, label_values(host_labels, model.output_shape().numel()));
  }
  const Tensor loss = be.empty(Shape{1}, model.dtype());
  Tensor dy;
  const double forward = median_seconds(repeats, [&] {
    const Tensor& y = model.forward(x);
    ensure(dy, be, y.shape(), model.dtype());
    ex.loss->compute(y, target, loss, dy);
    be.synchronize();
  });
  // Each layer's backward, and how far into it its gradients were written (Layer::gradients_written).
  std::vector<double> layer_seconds(model.size(), 0.0), written_seconds(model.size(), 0.0);
  for (int r = 0; r < repeats; ++r) {
    model.forward(x);
    be.synchronize();
    auto last = Clock::now();
    const auto since_last = [&] {
      be.synchronize();
      return std::chrono::duration<double>(Clock::now() - last).count() / repeats;
    };
    model.backward(
        dy, [&](std::size_t i) { written_seconds[i] += since_last(); },
        [&](std::size_t i) {
          layer_seconds[i] += since_last();
          last = Clock::now();
        });
  }
  const auto attached = model.parameters(true);
  ex.optimizer->attach(attached);
  const double update = median_seconds(repeats, [&] {
    ex.optimizer->step();
    be.synchronize();
  });
  Json layers = Json::array();
  for (std::size_t i = model.size(); i-- > 0;) {
    std::size_t bytes = 0;
    std::vector<std::size_t> positions;
    for (Parameter* p : model.layer(i).parameters())
      if (p->trainable) {
        bytes += p->grad.bytes();
        positions.push_back(static_cast<std::size_t>(std::find(attached.begin(), attached.end(), p) - attached.begin()));
      }
    // The update of this layer's parameters alone, as a data-parallel step takes it once their bucket is reduced.
    double layer_update = 0.0;
    if (!positions.empty() && ex.optimizer->steps_in_parts())
      layer_update = median_seconds(repeats, [&] {
        ex.optimizer->begin_step();
        ex.optimizer->step_parameters(positions);
        be.synchronize();
      });
    layers.push_back({{"layer", model.label(i)}, {"backward_s", layer_seconds[i]}, {"grads_written_s", written_seconds[i]},
                      {"grad_bytes", bytes}, {"update_s", layer_update}});
  }
  return {{"samples", samples}, {"forward_s", forward}, {"update_s", update}, {"backward_layers", layers}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SPEC [--batch N] [--steps N] [--bucket-mb X] [--compression none|bfloat16] [--backend B] [--json FILE]\n", argv[0]);
    return 2;
  }
  std::int64_t steps = 60;
  std::string json_path, bucket_mb, compression;
  Overrides overrides;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch")) overrides.batch_size = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--bucket-mb")) bucket_mb = argv[i + 1];
    else if (!std::strcmp(argv[i], "--compression")) compression = argv[i + 1];
    else if (!std::strcmp(argv[i], "--backend")) overrides.backend = argv[i + 1];
    else if (!std::strcmp(argv[i], "--json")) json_path = argv[i + 1];
    else {
      std::fprintf(stderr, "data_parallel_bench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  try {
    Registry registry;
    PluginLoader().load_all(registry);
    Spec spec = load_spec(argv[1]);
    if (!bucket_mb.empty()) spec.set("training.bucket_mb=" + bucket_mb);
    if (!compression.empty()) spec.set("training.gradient_compression=\"" + compression + "\"");
    const auto communicator = create_communicator(spec, registry, "");
    const bool lead = communicator->rank() == 0;
    const std::int64_t batch = overrides.batch_size.value_or(spec.json["training"].value("batch_size", 32));
    Params::Json data = {{"format", "gaussian_blobs"}, {"samples", steps * batch}, {"centers", 10}, {"features", 784}};
    if (spec.json["data"].contains("sample_shape")) {
      const auto shape = spec.json["data"]["sample_shape"].get<std::vector<std::int64_t>>();
      std::int64_t features = 1;
      for (auto d : shape) features *= d;
      data["features"] = features;
      data["sample_shape"] = shape;
    }
    spec.json["data"] = data;
    spec.json.erase("callbacks");
    spec.json.erase("schedule");
    Experiment ex = build_experiment(spec, registry, overrides);
    ex.fit.progress = false;
    ex.fit.epochs = 1;

    Json out = {{"spec", argv[1]}, {"ranks", communicator->size()}, {"communicator", communicator->describe()},
                {"backend", ex.backend->device()}, {"global_batch", batch}, {"steps", steps},
                {"gradient_compression", compression_name(ex.gradient_compression)}};
    // One rank's layers, before the trainer makes its gradients views into the buckets.
    if (lead) out["one_rank"] = time_layers(ex, batch / communicator->size(), 10);

    Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    trainer.distribute(communicator, ex.bucket_bytes, ex.gradient_compression);
    trainer.fit(ex.train, nullptr, ex.fit);  // warm-up: caches, allocator, page faults, MPI connections
    double best = 1e30, exposed = 0.0;
    for (int e = 0; e < 3; ++e) {
      const auto* reducer = trainer.gradient_reducer();
      const double waited_before = reducer ? reducer->waits().seconds : 0.0;
      const double seconds = trainer.fit(ex.train, nullptr, ex.fit).back().seconds;
      if (seconds < best) best = seconds, exposed = reducer ? (reducer->waits().seconds - waited_before) / static_cast<double>(steps) : 0.0;
    }
    const double step = best / static_cast<double>(steps);
    double allreduce = 0.0;
    Json sweep = Json::array();
    if (const auto* reducer = trainer.gradient_reducer()) {
      std::vector<Tensor> buckets;
      for (const auto n : reducer->bucket_sizes()) buckets.push_back(ex.backend->empty(Shape{n}, ex.model->dtype()));
      allreduce = median_seconds(20, [&] {
        for (const auto& b : buckets) communicator->all_reduce_async(b, ReduceOp::Sum, ex.gradient_compression)->wait();
      });
      for (std::int64_t bytes = 4 << 10; bytes <= (64 << 20); bytes *= 4) {
        const Tensor t = ex.backend->empty(Shape{bytes / 4}, DType::Float32);
        const int repeats = bytes > (8 << 20) ? 10 : 30;
        sweep.push_back({bytes, median_seconds(repeats, [&] { communicator->all_reduce_async(t, ReduceOp::Sum, ex.gradient_compression)->wait(); })});
      }
    }
    out["samples_per_s"] = static_cast<double>(steps * batch) / best;
    out["step_s"] = step;
    out["exposed_s"] = exposed;
    out["allreduce_s"] = allreduce;
    out["buckets"] = trainer.gradient_reducer() ? trainer.gradient_reducer()->bucket_sizes().size() : 0;
    out["allreduce_sweep"] = sweep;
    if (lead) {
      std::printf("%d rank(s) over %s, %s: %.0f samples/s at global batch %lld\n", communicator->size(), communicator->name().c_str(),
                  ex.backend->device().c_str(), out["samples_per_s"].get<double>(), static_cast<long long>(batch));
      if (communicator->size() > 1)
        std::printf("  per step %.2f ms: all-reduce of %zu bucket(s) alone %.2f ms, waited for after backward %.2f ms (%.0f%% hidden)\n",
                    1e3 * step, out["buckets"].get<std::size_t>(), 1e3 * allreduce, 1e3 * exposed,
                    allreduce > 0 ? 100.0 * std::max(0.0, 1.0 - exposed / allreduce) : 0.0);
      std::printf("RESULT %d %.1f\n", communicator->size(), out["samples_per_s"].get<double>());
      if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "data_parallel_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

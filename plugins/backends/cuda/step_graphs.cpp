#include "step_graphs.hpp"

#include "kernels.hpp"

namespace nnplug::cuda {

using backends::StepMode;

namespace {
// Stages the op's live value, if it has one, as its kernel took it when captured.
void stage_live_value(const Op& op, LiveMemory& live) {
  std::visit([&](const auto& o) {
    if constexpr (requires { live_value_tensor(o); })
      with_float_type(live_value_tensor(o), op_name(op), [&](auto tag) { live.push(live_value<decltype(tag)>(o)); });
  }, op);
}
}  // namespace

void StepGraphs::run_now(const Op& op) {
  std::visit([this](const auto& o) { run_kernel(o, context_); }, op);
}

void StepGraphs::run_step(std::string_view name, const std::function<void()>& body) {
  if (recorder_.mode() != StepMode::Closed) return body();  // a part inside a part belongs to the outer one
  if (recorder_.open(name) == StepMode::Capture) begin_capture();
  try {
    body();
  } catch (...) {
    if (capture_) end_capture(false);
    const std::vector<Op> kept = recorder_.take_kept();
    recorder_.abandon();
    run_now(kept);  // what ran before the failure would have run op by op too
    throw;
  }
  if (recorder_.mode() == StepMode::Capture) finish_capture();
  else if (recorder_.mode() == StepMode::Replay) finish_replay();
  recorder_.close();
}

void StepGraphs::run(const Op& op) {
  switch (recorder_.mode()) {
    case StepMode::Closed:
      run_now(op);
      return;
    case StepMode::Eager:
      run_now(op);
      recorder_.ran(op);
      return;
    case StepMode::Capture:
      try {
        run_now(op);
      } catch (const BackendError&) {
        // The op is bad, or the capture refused it (some library call that cannot be captured): run everything
        // op by op; a bad op throws again.
        interrupt();
        run_now(op);
      }
      recorder_.ran(op);
      return;
    case StepMode::Replay:
      if (recorder_.matched(op)) return;
      run_now(recorder_.take_kept());
      run_now(op);
      return;
  }
}

void StepGraphs::interrupt() {
  const StepMode mode = recorder_.mode();
  if (mode != StepMode::Capture && mode != StepMode::Replay) return;
  if (capture_) end_capture(false);
  recorder_.interrupt();
  run_now(recorder_.take_kept());
}

void StepGraphs::begin_capture() {
  try {
    // One slot per op is enough: an op has at most one live value.
    capture_.emplace(Graph{{}, LiveMemory(recorder_.expected_ops() + 1), context_.scratch_generation()});
    check(cudaStreamBeginCapture(context_.stream(), cudaStreamCaptureModeRelaxed), "begin capturing a step");
    context_.capture_live_values_into(&capture_->live);
  } catch (const BackendError&) {
    capture_.reset();
    recorder_.interrupt();  // run op by op instead
  }
}

bool StepGraphs::end_capture(bool keep) {
  context_.capture_live_values_into(nullptr);
  cudaGraph_t graph = nullptr;
  const bool ended = cudaStreamEndCapture(context_.stream(), &graph) == cudaSuccess && graph;
  // A graph is kept only if it reads its live values from its own slots and the scratch memory it uses is still
  // the context's.
  bool ok = keep && ended && !capture_->live.overflowed() && capture_->scratch_generation == context_.scratch_generation() &&
            cudaGraphInstantiate(&capture_->exec.handle, graph, 0) == cudaSuccess;
  if (graph) cudaGraphDestroy(graph);
  if (!ok) {
    capture_.reset();
    (void)cudaGetLastError();  // a refused capture leaves a (non-sticky) error behind
  }
  return ok;
}

void StepGraphs::finish_capture() {
  if (!end_capture(true)) {
    // Not a graph this time (scratch memory moved meanwhile, or the driver refused it): run what was captured.
    recorder_.capture_failed();
    run_now(recorder_.take_kept());
    return;
  }
  recorder_.take_kept();  // the graph runs them
  Graph& graph = recorder_.captured(std::move(*capture_));
  capture_.reset();
  launch(graph);  // capturing ran nothing; the live values were staged as the ops were captured
}

void StepGraphs::finish_replay() {
  const std::vector<Op> ops = recorder_.take_kept();
  Graph* graph = recorder_.replayable();
  if (graph && graph->scratch_generation != context_.scratch_generation()) {
    recorder_.forget();  // every graph so far uses scratch memory the context has given back
    graph = nullptr;
  }
  if (!graph) {
    run_now(ops);
    return;
  }
  graph->live.clear();
  for (const Op& op : ops) stage_live_value(op, graph->live);
  launch(*graph);
}

void StepGraphs::launch(Graph& graph) {
  graph.live.copy_to_device(context_.stream());
  check(cudaGraphLaunch(graph.exec.handle, context_.stream()), "launch a step graph");
}

}  // namespace nnplug::cuda

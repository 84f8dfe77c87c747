#pragma once
// StepGraphs: Backend::run_step on the GPU. A step part whose ops come again unchanged is captured into a CUDA
// graph once and then replayed with one launch instead of one launch per op: a small network's step is tens of
// ops, and each launch costs the host several microseconds while the GPU waits for work. The shared StepRecorder
// decides when to run ops as they come, capture them or replay a graph; this class captures, refills the graphs'
// live values (learning rates, step counts, seeds) and launches.
#include <cuda_runtime.h>

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "device_context.hpp"
#include "live_memory.hpp"
#include "nnplug/ops.hpp"
#include "step_recorder.hpp"

namespace nnplug::cuda {

class StepGraphs {
 public:
  explicit StepGraphs(DeviceContext& context) : context_(context) {}

  // Runs body, which issues the ops of the step part `name`.
  void run_step(std::string_view name, const std::function<void()>& body);
  // Runs the op now, captures it or keeps it for a replay, as the open step part has it.
  void run(const Op& op);
  // Host memory is about to be read or written: whatever was kept or captured runs now, and the open part is run
  // op by op from now on.
  void interrupt();
  const StepStats& stats() const { return recorder_.stats(); }

 private:
  struct Graph {
    struct Exec {
      cudaGraphExec_t handle = nullptr;
      Exec() = default;
      Exec(Exec&& other) noexcept : handle(std::exchange(other.handle, nullptr)) {}
      ~Exec() { if (handle) cudaGraphExecDestroy(handle); }
    };
    Exec exec;
    LiveMemory live;
    std::uint64_t scratch_generation;  // the context's when captured
  };

  void run_now(const Op& op);
  void run_now(const std::vector<Op>& ops) {
    for (const Op& op : ops) run_now(op);
  }
  void begin_capture();
  bool end_capture(bool keep);  // true: capture_ holds an instantiated graph
  void finish_capture();
  void finish_replay();
  void launch(Graph& graph);

  DeviceContext& context_;
  backends::StepRecorder<Graph> recorder_;
  std::optional<Graph> capture_;  // while a step part is being captured
};

}  // namespace nnplug::cuda

#pragma once
// StepRecorder: the bookkeeping behind Backend::run_step for a backend that records a step's ops once and then
// replays the recording (the CUDA backend's graphs). Per named step it decides whether the ops run as they come,
// are captured, or are matched against the recordings; the backend runs, captures and launches.
//
// - A step is captured after two runs in a row issued the same ops: the first runs of a step often differ (state
//   is created; SGD's first step has no momentum yet).
// - A replayed step keeps each op (a copy, which keeps its tensors alive) while it matches a recording. When an
//   op matches none, the caller runs the kept ops and the rest of the step as they come.
// - Up to kMaxRecordings recordings are kept per name (an epoch's shorter last batch may earn its own), the one
//   replayed longest ago dropped first.
// - A step that reads or writes host memory inside (a penalty read back) cannot be recorded: it runs as it comes
//   from then on.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nnplug/backend.hpp"
#include "op_signature.hpp"

namespace nnplug::backends {

// How the ops of an open step are run: as they come, into a capture, or matched against recordings.
enum class StepMode { Closed, Eager, Capture, Replay };

template <class Recording>  // what the backend keeps of a capture, e.g. an instantiated CUDA graph
class StepRecorder {
 public:
  static constexpr std::size_t kMaxRecordings = 4;
  static constexpr int kMaxFailedCaptures = 3;
  using Mode = StepMode;

  Mode mode() const { return mode_; }
  const StepStats& stats() const { return stats_; }

  // Opens a step and says how to run its ops. Capture: expected_ops() says how many ops the step had last time.
  Mode open(std::string_view name) {
    auto it = steps_.find(name);
    if (it == steps_.end()) it = steps_.emplace(std::string(name), Step{}).first;
    step_ = &it->second;
    signature_.clear();
    kept_.clear();
    ops_ = 0;
    alive_.clear();
    if (step_->unrecordable) mode_ = Mode::Eager;
    else if (step_->ready) mode_ = Mode::Capture;
    else if (!step_->recordings.empty()) {
      mode_ = Mode::Replay;
      for (auto& r : step_->recordings) alive_.push_back(&r);
    } else mode_ = Mode::Eager;
    step_->ready = false;
    observing_ = mode_ != Mode::Capture;
    return mode_;
  }

  std::size_t expected_ops() const { return step_->last_ops; }

  // Eager or Capture: the op was run or captured.
  void ran(const Op& op) {
    if (step_->unrecordable) return;  // never compared again: no signature to note
    append_signature(op, signature_);
    ++ops_;
    if (mode_ == Mode::Capture) kept_.push_back(op);
  }

  // Replay: true when the op goes on matching a recording; it is kept. False when it matches none: the step goes
  // on eagerly, and the caller runs take_kept() and then this op (whose signature is already noted).
  bool matched(const Op& op) {
    const std::size_t begin = signature_.size();
    append_signature(op, signature_);
    ++ops_;
    std::erase_if(alive_, [&](const Slot* r) {
      return r->signature.size() < signature_.size() ||
             !std::equal(signature_.begin() + static_cast<std::ptrdiff_t>(begin), signature_.end(),
                         r->signature.begin() + static_cast<std::ptrdiff_t>(begin));
    });
    if (alive_.empty()) {
      mode_ = Mode::Eager;
      return false;
    }
    kept_.push_back(op);
    return true;
  }

  // The ops kept so far, to run as they come; the recorder forgets them.
  std::vector<Op> take_kept() { return std::exchange(kept_, {}); }

  // Host memory was read or written inside the step: the caller runs take_kept() (after ending a capture), and
  // this step runs eagerly from now on.
  void interrupt() {
    step_->unrecordable = true;
    step_->recordings.clear();
    mode_ = Mode::Eager;
  }

  // The step threw: the caller ends any capture and runs take_kept(); the step's state stays as it was.
  void abandon() {
    mode_ = Mode::Closed;
    step_ = nullptr;
  }

  // Capture, at the end of the step: stores what the backend made of it and returns it, to be launched now.
  Recording& captured(Recording recording) {
    step_->recordings.push_front(Slot{signature_, std::move(recording), ++clock_});
    if (step_->recordings.size() > kMaxRecordings)
      step_->recordings.erase(std::min_element(step_->recordings.begin(), step_->recordings.end(),
                                               [](const Slot& a, const Slot& b) { return a.last_used < b.last_used; }));
    ++stats_.captures;
    return step_->recordings.front().recording;
  }

  // Capture, at the end of the step: the backend could not make a recording of it (e.g. memory it used moved
  // meanwhile). The caller runs take_kept(); the step is captured again later, up to kMaxFailedCaptures times.
  void capture_failed() {
    if (++step_->failed_captures >= kMaxFailedCaptures) step_->unrecordable = true;
    mode_ = Mode::Eager;
  }

  // Replay, at the end of the step: the recording that every op matched, or nullptr when the step ended before
  // any recording did (the caller then runs take_kept()).
  Recording* replayable() {
    for (Slot* r : alive_)
      if (r->signature.size() == signature_.size()) {
        r->last_used = ++clock_;
        ++stats_.replays;
        return &r->recording;
      }
    mode_ = Mode::Eager;
    return nullptr;
  }

  // Drops every recording of every step, e.g. because memory they use has moved; steps are captured anew.
  void forget() {
    for (auto& [name, step] : steps_) step.recordings.clear();
    alive_.clear();
  }

  // Ends the step. An eager run that issued what the previous one did makes the next run a capture.
  void close() {
    if (mode_ == Mode::Eager) {
      ++stats_.parts_run_op_by_op;
      if (observing_ && !step_->unrecordable) {
        step_->ready = signature_ == step_->last;
        step_->last.swap(signature_);
        step_->last_ops = ops_;
      }
    }
    mode_ = Mode::Closed;
    step_ = nullptr;
  }

 private:
  struct Slot {
    std::vector<std::uint64_t> signature;
    Recording recording;
    std::uint64_t last_used = 0;
  };
  struct Step {
    std::vector<std::uint64_t> last;  // the signature of the last eager run
    std::size_t last_ops = 0;
    bool ready = false;               // the last two eager runs were equal: capture the next
    bool unrecordable = false;
    int failed_captures = 0;
    std::list<Slot> recordings;       // a list: alive_ points into it
  };

  std::map<std::string, Step, std::less<>> steps_;
  Step* step_ = nullptr;
  Mode mode_ = Mode::Closed;
  bool observing_ = false;  // an eager run (or one that fell back to eager) is noted for the next capture
  std::vector<std::uint64_t> signature_;  // of the open step's ops so far
  std::size_t ops_ = 0;
  std::vector<Op> kept_;
  std::vector<Slot*> alive_;  // recordings that every op so far matched
  std::uint64_t clock_ = 0;
  StepStats stats_;
};

}  // namespace nnplug::backends

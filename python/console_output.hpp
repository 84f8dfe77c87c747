#pragma once
// What the Python package writes to sys.stdout as Keras does: fit's progress bar or lines per epoch where the
// command line's bar (drawn on a terminal's stderr) is not seen, and evaluate's and predict's summary line. Called
// with the GIL held, but for ConsoleProgress::count.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "nnplug/framework/callbacks.hpp"

namespace nnplug::python {

void write_stdout(const std::string& text);
// Whether sys.stdout is a terminal (its isatty()).
bool stdout_is_a_terminal();
// Keras's verbose: 0 silent, 1 a progress bar, 2 a line per epoch (evaluate and predict: a line, at 1 or 2).
void check_verbose(std::optional<int> verbose, const char* what);
// Keras's line after evaluate or predict: the batches, the seconds, and the scores where there are some.
void write_summary_line(std::int64_t samples, std::int64_t batch_size, std::chrono::steady_clock::duration took, const std::string& scores);

// Keras' progress lines, for consoles that are not terminals (Jupyter and the like); or, for Keras's verbose=2, one
// line per epoch without a bar.
class ConsoleProgress {
 public:
  explicit ConsoleProgress(bool bar) : bar_(bar) {}
  // Every step, without the GIL: the epoch's running loss.
  void count(const BatchRecord& r);
  // With the GIL, at most every 0.2 s (and at an epoch's first and last step).
  void show(const BatchRecord& r);
  void epoch(const EpochRecord& r);

 private:
  std::string bar(std::int64_t done) const;
  bool bar_;
  std::int64_t batches_ = 0;
  double loss_sum_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace nnplug::python

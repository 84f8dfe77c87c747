#include "console_output.hpp"

#include <pybind11/pybind11.h>

#include <algorithm>

#include <fmt/format.h>

#include "nnplug/framework/trainer.hpp"

namespace py = pybind11;

namespace nnplug::python {

void write_stdout(const std::string& text) {
  const py::object out = py::module_::import("sys").attr("stdout");
  out.attr("write")(text);
  out.attr("flush")();
}

void check_verbose(std::optional<int> verbose, const char* what) {
  if (verbose && (*verbose < 0 || *verbose > 2)) throw py::value_error(fmt::format("{}: verbose must be 0, 1 or 2, got {}", what, *verbose));
}

void write_summary_line(std::int64_t samples, std::int64_t batch_size, std::chrono::steady_clock::duration took, const std::string& scores) {
  const std::int64_t batches = (samples + batch_size - 1) / batch_size;
  write_stdout(fmt::format("{0}/{0} - {1:.0f}s{2}\n", batches, std::chrono::duration<double>(took).count(), scores));
}

bool stdout_is_a_terminal() {
  const py::object out = py::module_::import("sys").attr("stdout");
  return py::hasattr(out, "isatty") && out.attr("isatty")().cast<bool>();
}

void ConsoleProgress::count(const BatchRecord& r) {
  if (r.batch == 1) loss_sum_ = 0;
  loss_sum_ += r.loss;
  batches_ = r.batches;
}

void ConsoleProgress::show(const BatchRecord& r) {
  if (r.batch == 1) write_stdout(fmt::format("Epoch {}/{}\n", r.epoch, r.epochs));
  if (!bar_) return;
  const auto now = std::chrono::steady_clock::now();
  if (r.batch < batches_ && r.batch > 1 && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  write_stdout(fmt::format("\r{} - loss: {:.4f}", bar(r.batch), loss_sum_ / static_cast<double>(r.batch)));
}

void ConsoleProgress::epoch(const EpochRecord& r) {
  const char* score = score_name(r.train.kind);
  const std::string done = bar_ ? fmt::format("\r{}", bar(batches_)) : fmt::format("{0}/{0}", batches_);  // verbose=2: no bar
  std::string line = fmt::format("{} - {:.0f}s - loss: {:.4f} - {}: {:.4f}", done, r.seconds, r.train.loss, score, r.train.score);
  if (r.has_validation) line += fmt::format(" - val_loss: {:.4f} - val_{}: {:.4f}", r.validation.loss, score, r.validation.score);
  write_stdout(line + "\n");
}

std::string ConsoleProgress::bar(std::int64_t done) const {
  const auto filled = static_cast<std::size_t>(done * 30 / std::max<std::int64_t>(batches_, 1));
  return fmt::format("{}/{} [{}{}{}]", done, batches_, std::string(filled, '='), done < batches_ ? ">" : "",
                     std::string(30 - filled - (done < batches_ ? 1 : 0), '.'));
}

}  // namespace nnplug::python

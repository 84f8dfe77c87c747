#pragma once
// ProgressBar: one line on a terminal, redrawn at most ten times a second: batches done, ETA, running loss and
// score (accuracy or another, named by the caller). Silent when the stream is not a terminal (CI logs get the per-epoch lines only).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace nnplug {

class ProgressBar {
 public:
  ProgressBar(std::string title, std::int64_t total, bool enabled, std::FILE* out = stderr);
  void update(std::int64_t done, double loss, double score, const char* score_name);
  // Clears the line so the caller's summary line replaces it.
  void finish();

 private:
  std::string title_;
  std::int64_t total_;
  bool enabled_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace nnplug

#include "nnplug/framework/progress_bar.hpp"

#include <unistd.h>

namespace nnplug {

ProgressBar::ProgressBar(std::string title, std::int64_t total, bool enabled, std::FILE* out)
    : title_(std::move(title)), total_(total), enabled_(enabled && isatty(fileno(out))), out_(out),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(std::int64_t done, double loss, double score, const char* score_name) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : 0.0;
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : kWidth;
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < kWidth) bar += '>' + std::string(static_cast<std::size_t>(kWidth - filled - 1), '.');
  std::fprintf(out_, "\r%s [%s] %lld/%lld  ETA %4.0fs  loss %.4f  %s %.4f ", title_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), eta, loss, score_name, score);
  std::fflush(out_);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
}

}  // namespace nnplug

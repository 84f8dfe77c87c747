#include <fmt/format.h>

#include "nnplug/framework/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nnplug::svg {

namespace {

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
constexpr int kLeft = 64, kRight = 16, kTop = 28, kBottom = 44;

std::string number(double v) { return fmt::format("{:.4g}", v); }

// One axis: data range to pixels, linear or logarithmic.
struct Scale {
  double lo = 0, hi = 1, from = 0, to = 1;
  bool log = false;
  static Scale fit(std::vector<double> values, bool log, double from, double to) {
    Scale s;
    s.log = log, s.from = from, s.to = to;
    std::erase_if(values, [&](double v) { return !std::isfinite(v) || (log && v <= 0); });
    if (values.empty()) return s;
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    s.lo = log ? std::log10(*lo) : *lo, s.hi = log ? std::log10(*hi) : *hi;
    if (s.hi - s.lo < 1e-12) s.lo -= 0.5, s.hi += 0.5;
    return s;
  }
  bool valid(double v) const { return std::isfinite(v) && (!log || v > 0); }
  double operator()(double v) const {
    const double t = ((log ? std::log10(v) : v) - lo) / (hi - lo);
    return from + t * (to - from);
  }
  // Five ticks at round values of the axis.
  std::vector<double> ticks() const {
    std::vector<double> out;
    if (log) {
      for (double e = std::ceil(lo); e <= std::floor(hi); e += std::max(1.0, std::floor((hi - lo) / 5))) out.push_back(std::pow(10.0, e));
      if (out.empty()) out = {std::pow(10.0, lo), std::pow(10.0, hi)};
      return out;
    }
    const double raw = (hi - lo) / 5, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = magnitude * (raw / magnitude < 2 ? 2 : raw / magnitude < 5 ? 5 : 10);
    for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) out.push_back(std::abs(t) < 1e-12 * step ? 0 : t);
    return out;
  }
};

std::string open_svg(int w, int h, const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
         "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) + "\" font-family=\"sans-serif\" font-size=\"11\">" +
         "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"" + std::to_string(w / 2) +
         "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">" + escape(title) + "</text>";
}

std::string frame(const Axes& a, const Scale& sx, const Scale& sy) {
  std::string s;
  const int x0 = kLeft, x1 = a.width - kRight, y0 = a.height - kBottom, y1 = kTop;
  s += "<rect x=\"" + std::to_string(x0) + "\" y=\"" + std::to_string(y1) + "\" width=\"" + std::to_string(x1 - x0) + "\" height=\"" +
       std::to_string(y0 - y1) + "\" fill=\"none\" stroke=\"#888\"/>";
  for (double t : sx.ticks()) {
    const double px = sx(t);
    s += "<line x1=\"" + number(px) + "\" x2=\"" + number(px) + "\" y1=\"" + std::to_string(y1) + "\" y2=\"" + std::to_string(y0) +
         "\" stroke=\"#eee\"/><text x=\"" + number(px) + "\" y=\"" + std::to_string(y0 + 14) + "\" text-anchor=\"middle\">" + number(t) + "</text>";
  }
  for (double t : sy.ticks()) {
    const double py = sy(t);
    s += "<line x1=\"" + std::to_string(x0) + "\" x2=\"" + std::to_string(x1) + "\" y1=\"" + number(py) + "\" y2=\"" + number(py) +
         "\" stroke=\"#eee\"/><text x=\"" + std::to_string(x0 - 4) + "\" y=\"" + number(py + 4) + "\" text-anchor=\"end\">" + number(t) + "</text>";
  }
  s += "<text x=\"" + std::to_string((x0 + x1) / 2) + "\" y=\"" + std::to_string(a.height - 8) + "\" text-anchor=\"middle\">" +
       escape(a.x_label) + "</text>";
  s += "<text transform=\"translate(14," + std::to_string((y0 + y1) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + escape(a.y_label) + "</text>";
  return s;
}

}  // namespace

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string line_chart(const Axes& a, const std::vector<Series>& series) {
  std::vector<double> xs, ys;
  for (const auto& s : series) xs.insert(xs.end(), s.x.begin(), s.x.end()), ys.insert(ys.end(), s.y.begin(), s.y.end());
  const Scale sx = Scale::fit(xs, a.log_x, kLeft, a.width - kRight), sy = Scale::fit(ys, a.log_y, a.height - kBottom, kTop);
  std::string svg = open_svg(a.width, a.height, a.title) + frame(a, sx, sy);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const char* colour = kColours[i % 8];
    std::string points;
    for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k)
      if (sx.valid(s.x[k]) && sy.valid(s.y[k])) points += number(sx(s.x[k])) + "," + number(sy(s.y[k])) + " ";
    svg += std::string("<polyline fill=\"none\" stroke=\"") + colour + "\" stroke-width=\"1.8\"" +
           (s.dashed ? " stroke-dasharray=\"5,3\"" : "") + " points=\"" + points + "\"/>";
    // The legend sits in the top right corner, as wide as its longest name (about 6 pixels a character).
    std::size_t longest = 0;
    for (const auto& other : series) longest = std::max(longest, other.name.size());
    const int lx = a.width - kRight - 28 - 6 * static_cast<int>(longest), ly = kTop + 14 + static_cast<int>(i) * 14;
    svg += "<line x1=\"" + std::to_string(lx) + "\" x2=\"" + std::to_string(lx + 18) + "\" y1=\"" + std::to_string(ly - 4) + "\" y2=\"" +
           std::to_string(ly - 4) + "\" stroke=\"" + colour + "\" stroke-width=\"2\"" + (s.dashed ? " stroke-dasharray=\"5,3\"" : "") +
           "/><text x=\"" + std::to_string(lx + 22) + "\" y=\"" + std::to_string(ly) + "\">" + escape(s.name) + "</text>";
  }
  return svg + "</svg>";
}

std::string scatter_chart(const Axes& a, const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& value,
                          const std::string& value_name) {
  const Scale sx = Scale::fit(x, a.log_x, kLeft, a.width - kRight), sy = Scale::fit(y, a.log_y, a.height - kBottom, kTop);
  const Scale sv = Scale::fit(value, false, 0, 1);
  std::string svg = open_svg(a.width, a.height, a.title) + frame(a, sx, sy);
  for (std::size_t k = 0; k < x.size() && k < y.size() && k < value.size(); ++k) {
    if (!sx.valid(x[k]) || !sy.valid(y[k])) continue;
    const double t = sv.valid(value[k]) ? std::clamp(sv(value[k]), 0.0, 1.0) : 0.0;
    const std::string colour = fmt::format("#{:02x}{:02x}{:02x}", static_cast<int>(40 + 215 * t), static_cast<int>(30 + 150 * t),
                                           static_cast<int>(120 - 100 * t));
    svg += "<circle cx=\"" + number(sx(x[k])) + "\" cy=\"" + number(sy(y[k])) + "\" r=\"4\" fill=\"" + colour + "\" stroke=\"#333\" stroke-width=\"0.5\"/>";
  }
  svg += "<text x=\"" + std::to_string(a.width - kRight - 4) + "\" y=\"" + std::to_string(kTop + 14) + "\" text-anchor=\"end\">" + escape(value_name) +
         ": dark " + number(sv.lo) + ", bright " + number(sv.hi) + "</text>";
  return svg + "</svg>";
}

std::string heat_map(const std::string& title, const std::vector<std::vector<double>>& cells, const std::vector<std::string>& labels,
                     const std::string& row_label, const std::string& column_label) {
  const int n = static_cast<int>(cells.size()), cell = n > 12 ? 24 : 36, left = 110, top = 44;
  const int w = left + n * cell + 20, h = top + n * cell + 40;
  double peak = 0;
  for (const auto& row : cells) for (double v : row) peak = std::max(peak, v);
  std::string svg = open_svg(w, h, title);
  for (int r = 0; r < n; ++r) {
    const std::string name = r < static_cast<int>(labels.size()) ? labels[static_cast<std::size_t>(r)] : std::to_string(r);
    svg += "<text x=\"" + std::to_string(left - 4) + "\" y=\"" + std::to_string(top + r * cell + cell / 2 + 4) + "\" text-anchor=\"end\">" + escape(name) + "</text>";
    svg += "<text x=\"" + std::to_string(left + r * cell + cell / 2) + "\" y=\"" + std::to_string(top - 4) + "\" text-anchor=\"middle\">" + std::to_string(r) + "</text>";
    for (int c = 0; c < static_cast<int>(cells[static_cast<std::size_t>(r)].size()); ++c) {
      const double v = cells[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
      const double t = peak > 0 && v > 0 ? std::min(v / peak, 1.0) : 0;  // NaN and negatives (a damaged file) as 0
      const std::string colour = fmt::format("#{:02x}{:02x}{:02x}", static_cast<int>(255 - 225 * t), static_cast<int>(255 - 190 * t),
                                             static_cast<int>(255 - 100 * t));
      svg += "<rect x=\"" + std::to_string(left + c * cell) + "\" y=\"" + std::to_string(top + r * cell) + "\" width=\"" + std::to_string(cell) +
             "\" height=\"" + std::to_string(cell) + "\" fill=\"" + colour + "\" stroke=\"white\"/><text x=\"" + std::to_string(left + c * cell + cell / 2) +
             "\" y=\"" + std::to_string(top + r * cell + cell / 2 + 4) + "\" text-anchor=\"middle\" font-size=\"9\" fill=\"" + (t > 0.5 ? "white" : "black") +
             "\">" + number(v) + "</text>";
    }
  }
  svg += "<text x=\"" + std::to_string(left + n * cell / 2) + "\" y=\"" + std::to_string(h - 10) + "\" text-anchor=\"middle\">" + escape(column_label) +
         " (columns), " + escape(row_label) + " (rows)</text>";
  return svg + "</svg>";
}

std::string histogram(const std::string& title, const std::vector<std::int64_t>& counts, double min, double max, int width, int height) {
  const int left = 10, bottom = 30, top = 24;
  std::int64_t peak = 1;
  for (auto c : counts) peak = std::max(peak, c);
  std::string svg = open_svg(width, height, title);
  const double bar = static_cast<double>(width - 2 * left) / static_cast<double>(std::max<std::size_t>(counts.size(), 1));
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double bh = static_cast<double>(height - top - bottom) * static_cast<double>(counts[i]) / static_cast<double>(peak);
    svg += "<rect x=\"" + number(left + bar * static_cast<double>(i)) + "\" y=\"" + number(height - bottom - bh) + "\" width=\"" +
           number(std::max(bar - 1, 1.0)) + "\" height=\"" + number(bh) + "\" fill=\"#1f77b4\"/>";
  }
  svg += "<text x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(height - bottom + 14) + "\">" + number(min) + "</text><text x=\"" +
         std::to_string(width - left) + "\" y=\"" + std::to_string(height - bottom + 14) + "\" text-anchor=\"end\">" + number(max) + "</text>";
  return svg + "</svg>";
}

}  // namespace nnplug::svg

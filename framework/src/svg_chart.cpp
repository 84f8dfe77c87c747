#include <fmt/format.h>

#include "nnplug/framework/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <utility>

namespace nnplug::svg {

namespace {

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
constexpr int kLeft = 64, kRight = 16, kTop = 28, kBottom = 44;

// Appends to an SVG document being written.
template <typename... Args>
void add(std::string& svg, fmt::format_string<Args...> element, Args&&... args) {
  fmt::format_to(std::back_inserter(svg), element, std::forward<Args>(args)...);
}

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
  return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="sans-serif" )"
                     R"(font-size="11"><rect width="100%" height="100%" fill="white"/><text x="{2}" y="16" text-anchor="middle" )"
                     R"(font-size="13" font-weight="bold">{3}</text>)",
                     w, h, w / 2, escape(title));
}

std::string frame(const Axes& a, const Scale& sx, const Scale& sy) {
  std::string s;
  const int x0 = kLeft, x1 = a.width - kRight, y0 = a.height - kBottom, y1 = kTop;
  add(s, R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>)", x0, y1, x1 - x0, y0 - y1);
  for (double t : sx.ticks())
    add(s, R"(<line x1="{0:.4g}" x2="{0:.4g}" y1="{1}" y2="{2}" stroke="#eee"/><text x="{0:.4g}" y="{3}" text-anchor="middle">{4:.4g}</text>)",
        sx(t), y1, y0, y0 + 14, t);
  for (double t : sy.ticks())
    add(s, R"(<line x1="{0}" x2="{1}" y1="{2:.4g}" y2="{2:.4g}" stroke="#eee"/><text x="{3}" y="{4:.4g}" text-anchor="end">{5:.4g}</text>)",
        x0, x1, sy(t), x0 - 4, sy(t) + 4, t);
  add(s, R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)", (x0 + x1) / 2, a.height - 8, escape(a.x_label));
  add(s, R"svg(<text transform="translate(14,{}) rotate(-90)" text-anchor="middle">{}</text>)svg", (y0 + y1) / 2, escape(a.y_label));
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
      if (sx.valid(s.x[k]) && sy.valid(s.y[k])) add(points, "{:.4g},{:.4g} ", sx(s.x[k]), sy(s.y[k]));
    const char* dashes = s.dashed ? R"( stroke-dasharray="5,3")" : "";
    add(svg, R"(<polyline fill="none" stroke="{}" stroke-width="1.8"{} points="{}"/>)", colour, dashes, points);
    // The legend sits in the top right corner, as wide as its longest name (about 6 pixels a character).
    std::size_t longest = 0;
    for (const auto& other : series) longest = std::max(longest, other.name.size());
    const int lx = a.width - kRight - 28 - 6 * static_cast<int>(longest), ly = kTop + 14 + static_cast<int>(i) * 14;
    add(svg, R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2"{}/><text x="{}" y="{}">{}</text>)", lx, lx + 18,
        ly - 4, ly - 4, colour, dashes, lx + 22, ly, escape(s.name));
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
    add(svg, R"(<circle cx="{:.4g}" cy="{:.4g}" r="4" fill="{}" stroke="#333" stroke-width="0.5"/>)", sx(x[k]), sy(y[k]), colour);
  }
  add(svg, R"(<text x="{}" y="{}" text-anchor="end">{}: dark {:.4g}, bright {:.4g}</text>)", a.width - kRight - 4, kTop + 14,
      escape(value_name), sv.lo, sv.hi);
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
    const std::string name = r < static_cast<int>(labels.size()) ? labels[static_cast<std::size_t>(r)] : fmt::format("{}", r);
    add(svg, R"(<text x="{}" y="{}" text-anchor="end">{}</text>)", left - 4, top + r * cell + cell / 2 + 4, escape(name));
    add(svg, R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)", left + r * cell + cell / 2, top - 4, r);
    for (int c = 0; c < static_cast<int>(cells[static_cast<std::size_t>(r)].size()); ++c) {
      const double v = cells[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
      const double t = peak > 0 && v > 0 ? std::min(v / peak, 1.0) : 0;  // NaN and negatives (a damaged file) as 0
      const std::string colour = fmt::format("#{:02x}{:02x}{:02x}", static_cast<int>(255 - 225 * t), static_cast<int>(255 - 190 * t),
                                             static_cast<int>(255 - 100 * t));
      add(svg, R"(<rect x="{0}" y="{1}" width="{2}" height="{2}" fill="{3}" stroke="white"/>)", left + c * cell, top + r * cell, cell, colour);
      add(svg, R"(<text x="{}" y="{}" text-anchor="middle" font-size="9" fill="{}">{:.4g}</text>)", left + c * cell + cell / 2,
          top + r * cell + cell / 2 + 4, t > 0.5 ? "white" : "black", v);
    }
  }
  add(svg, R"(<text x="{}" y="{}" text-anchor="middle">{} (columns), {} (rows)</text>)", left + n * cell / 2, h - 10, escape(column_label),
      escape(row_label));
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
    add(svg, R"(<rect x="{:.4g}" y="{:.4g}" width="{:.4g}" height="{:.4g}" fill="#1f77b4"/>)", left + bar * static_cast<double>(i),
        height - bottom - bh, std::max(bar - 1, 1.0), bh);
  }
  add(svg, R"(<text x="{}" y="{}">{:.4g}</text><text x="{}" y="{}" text-anchor="end">{:.4g}</text>)", left, height - bottom + 14, min,
      width - left, height - bottom + 14, max);
  return svg + "</svg>";
}

}  // namespace nnplug::svg

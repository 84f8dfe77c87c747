#pragma once
// Charts as inline SVG text, for reports that open anywhere without a network or a script: line charts (linear
// or logarithmic axes), scatter plots coloured by a value, heat maps and histograms.
#include <cstdint>
#include <string>
#include <vector>

namespace nnplug::svg {

struct Series {
  std::string name;
  std::vector<double> x, y;  // non-finite points are skipped
  bool dashed = false;
};

struct Axes {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  int width = 520, height = 320;
};

std::string line_chart(const Axes& axes, const std::vector<Series>& series);
// Points coloured from dark (low value) to bright (high value), with the value range in the legend.
std::string scatter_chart(const Axes& axes, const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& value,
                          const std::string& value_name);
// cells[row][column], e.g. a confusion matrix; the count is written in each cell.
std::string heat_map(const std::string& title, const std::vector<std::vector<double>>& cells, const std::vector<std::string>& labels,
                     const std::string& row_label, const std::string& column_label);
// counts of equal bins over [min, max].
std::string histogram(const std::string& title, const std::vector<std::int64_t>& counts, double min, double max, int width = 260, int height = 160);

// Text made safe inside SVG and HTML.
std::string escape(const std::string& text);

}  // namespace nnplug::svg

// nnplug report RUN: one self-contained HTML page (inline SVG and PNG, no script, no network) of what a run
// folder holds: learning curves from history.csv (required), the confusion matrix and per-class scores from
// metrics.json, activation histograms, update ratios and dead units from monitor.jsonl, the first layer's weights,
// and the lr-find sweep (lr_find.csv) and search trials (search.csv) when present. Nothing else is written.
#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nnplug/errors.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/input_file.hpp"
#include "nnplug/framework/svg_chart.hpp"
#include "nnplug/framework/user_json.hpp"
#include "nnplug/framework/value_evaluation.hpp"

namespace nnplug::cli {

namespace {

using Columns = std::map<std::string, std::vector<double>>;

// A file of the run folder, whole: a FIFO or a device put in its place is refused, not read forever.
std::string read_run_file(const std::filesystem::path& path) {
  require_regular_file(path, "a file of the run folder");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  if (!in && !in.eof()) throw IoError(fmt::format("{}: a file of the run folder that cannot be read", path.string()));
  return bytes;
}

// A CSV file with a header line as named columns of numbers (empty or non-numeric fields are NaN).
Columns read_columns(const std::filesystem::path& path) {
  std::istringstream in(read_run_file(path));
  std::string line;
  std::vector<std::string> names;
  Columns columns;
  for (std::size_t row = 0; std::getline(in, line); ++row) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
    if (row == 0) {
      names = fields;
      continue;
    }
    for (std::size_t c = 0; c < names.size(); ++c) {
      double v = NAN;
      if (c < fields.size() && !fields[c].empty()) {
        char* end = nullptr;
        v = std::strtod(fields[c].c_str(), &end);
        if (end != fields[c].c_str() + fields[c].size()) v = NAN;
      }
      columns[names[c]].push_back(v);
    }
  }
  return columns;
}

nlohmann::json parse_json(const std::string& text, const std::filesystem::path& path) {
  try {
    return parse_user_json(text, path.string());
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("{}: not valid JSON ({})", path.string(), e.what()));
  } catch (const InvalidArgument& e) {  // a repeated key or nesting past the limit
    throw IoError(e.what());
  }
}

std::string base64(const std::string& bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) | (i + 1 < bytes.size() ? std::uint32_t(std::uint8_t(bytes[i + 1])) << 8 : 0) |
                            (i + 2 < bytes.size() ? std::uint8_t(bytes[i + 2]) : 0);
    out += digits[(n >> 18) & 63], out += digits[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? digits[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? digits[n & 63] : '=';
  }
  return out;
}

std::string fixed(double v, int digits = 4) { return fmt::format("{:.{}f}", v, digits); }

// A count from a file: printed from its double, so that a damaged file's 1e300 is no integer overflow.
std::string whole(const nlohmann::json& v) { return fmt::format("{:.0f}", v.get<double>()); }

// The score a history or search file holds beside the loss: "accuracy", or "mae" for a model of value targets.
std::string score_column(const Columns& c, const std::string& prefix) { return c.count(prefix + "mae") ? "mae" : "accuracy"; }

// How a score is named in a chart.
std::string score_title(const std::string& score) { return score == "mae" ? "mean absolute error" : score; }

std::string learning_curves(const Columns& h) {
  const auto& epoch = h.at("epoch");
  auto series = [&](const char* name, const std::string& column, bool dashed) { return svg::Series{name, epoch, h.at(column), dashed}; };
  const std::string score = score_column(h, "");
  std::string out = "<h2>Learning curves</h2><div class=\"row\">";
  out += svg::line_chart({"Loss", "epoch", "loss"}, {series("training", "loss", false), series("validation", "val_loss", true)});
  out += svg::line_chart({score == "mae" ? "Mean absolute error" : "Accuracy", "epoch", score_title(score)},
                         {series("training", score, false), series("validation", "val_" + score, true)});
  return out + "</div>";
}

// The scores of a model of value targets (value_evaluation_json): one row per target.
std::string value_metrics_section(const nlohmann::json& m) {
  const bool multi_label = m.contains("exact_match");
  std::string table = multi_label ? "<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
                                  : "<table><tr><th>target</th><th>MAE</th><th>RMSE</th><th>R²</th></tr>";
  const auto& targets = m.at("targets");
  for (std::size_t k = 0; k < targets.size(); ++k) {
    if (k == kTargetsListed) {
      table += fmt::format("<tr><td colspan=\"5\">... and {} more (every one in metrics.json)</td></tr>", targets.size() - k);
      break;
    }
    const auto& t = targets[k];
    table += multi_label ? fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", svg::escape(t.at("name").get<std::string>()),
                                       fixed(t.at("precision")), fixed(t.at("recall")), fixed(t.at("f1")), whole(t.at("support")))
                         : fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", svg::escape(t.at("name").get<std::string>()),
                                       fixed(t.at("mae")), fixed(t.at("rmse")), fixed(t.at("r2")));
  }
  std::string summary = multi_label ? fmt::format("accuracy {}, exact match {}", fixed(m.at("accuracy")), fixed(m.at("exact_match")))
                                    : fmt::format("MAE {}, RMSE {}, R² {}", fixed(m.at("mae")), fixed(m.at("rmse")), fixed(m.at("r2")));
  if (m.contains("loss")) summary = fmt::format("loss {}, {}", fixed(m.at("loss")), summary);
  return fmt::format("<h2>Scores on the {} set</h2><p>{}</p><div class=\"row\">{}</table></div>", svg::escape(m.value("set", std::string("test"))),
                     summary, table);
}

std::string metrics_section(const nlohmann::json& m) {
  if (m.contains("targets")) return value_metrics_section(m);
  std::vector<std::vector<double>> cells;
  std::vector<std::string> names;
  for (const auto& row : m.at("confusion_matrix")) cells.push_back(row.get<std::vector<double>>());
  std::string table =
      "<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>specificity</th><th>IoU</th><th>support</th></tr>";
  const auto iou = [](const nlohmann::json& scores) { return scores.contains("iou") ? fixed(scores.at("iou")) : std::string(); };  // older runs' have none
  for (const auto& c : m.at("classes")) {
    names.push_back(c.at("name").get<std::string>());
    table += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", svg::escape(names.back()),
                         fixed(c.at("precision")), fixed(c.at("recall")), fixed(c.at("f1")), fixed(c.at("specificity")), iou(c), whole(c.at("support")));
  }
  for (const auto& [name, a] : m.at("averages").items())
    table += fmt::format("<tr><td><i>{}</i></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td></tr>", name, fixed(a.at("precision")),
                         fixed(a.at("recall")), fixed(a.at("f1")), fixed(a.at("specificity")), iou(a));
  std::string summary = fmt::format("accuracy {}", fixed(m.at("accuracy")));
  if (m.contains("loss")) summary = fmt::format("loss {}, {}", fixed(m.at("loss")), summary);
  if (m.contains("top_k")) summary += fmt::format(", top-{} accuracy {}", whole(m.at("top_k").at("k")), fixed(m.at("top_k").at("accuracy")));
  return fmt::format("<h2>Scores on the {} set</h2><p>{}</p><div class=\"row\">{}{}</table></div>", svg::escape(m.value("set", std::string("test"))),
                     summary, svg::heat_map("Confusion matrix", cells, names, "actual class", "predicted class"), table);
}

std::vector<std::int64_t> counts(const nlohmann::json& histogram) {
  std::vector<std::int64_t> out;
  for (const double c : histogram.get<std::vector<double>>()) out.push_back(c >= 0 && c < 9e18 ? static_cast<std::int64_t>(c) : 0);
  return out;
}

std::string monitor_section(const std::filesystem::path& path, const std::filesystem::path& first_layer_png) {
  std::istringstream in(read_run_file(path));
  std::vector<nlohmann::json> epochs;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) epochs.push_back(parse_json(line, path));
  if (epochs.empty()) return "";
  const auto& last = epochs.back();
  std::string out = fmt::format("<h2>Activations after epoch {}</h2><div class=\"row\">", whole(last.at("epoch")));
  std::string dead = "<table><tr><th>layer</th><th>mean</th><th>std</th><th>zero outputs</th><th>dead units</th></tr>";
  for (const auto& layer : last.at("layers")) {
    const auto& a = layer.at("activation");
    out += svg::histogram(layer.at("label").get<std::string>(), counts(a.at("histogram")), a.at("min"), a.at("max"));
    dead += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", svg::escape(layer.at("label").get<std::string>()),
                        fixed(a.at("mean")), fixed(a.at("std")), fixed(layer.at("zero_fraction"), 3), fixed(layer.at("dead_fraction"), 3));
  }
  out += fmt::format("</div>{}</table>", dead);
  std::vector<svg::Series> ratios;
  for (std::size_t l = 0; l < last.at("layers").size(); ++l)
    for (std::size_t p = 0; p < last.at("layers").at(l).at("parameters").size(); ++p) {
      const auto& layer = last.at("layers").at(l);
      svg::Series s{fmt::format("{} {}", layer.at("label").get<std::string>(), layer.at("parameters").at(p).at("name").get<std::string>())};
      for (const auto& e : epochs) {
        const auto& entry = e.at("layers").at(l).at("parameters").at(p);
        s.x.push_back(e.at("epoch").get<double>());
        s.y.push_back(entry.value("update_ratio", NAN));
      }
      ratios.push_back(s);
    }
  if (!ratios.empty()) {
    svg::Axes axes{"Update / weight ratio (healthy near 1e-3)", "epoch", "||update|| / ||weight||"};
    axes.log_y = true, axes.width = 900, axes.height = 360;
    out += fmt::format("<h2>Updates</h2>{}", svg::line_chart(axes, ratios));
  }
  if (std::error_code ec; std::filesystem::exists(first_layer_png, ec)) {
    out += fmt::format("<h2>First-layer weights</h2><img class=\"weights\" alt=\"first-layer weights\" src=\"data:image/png;base64,{}\">",
                       base64(read_run_file(first_layer_png)));
  }
  return out;
}

std::string lr_find_section(const Columns& c) {
  svg::Axes axes{"Learning-rate finder", "learning rate", "loss"};
  axes.log_x = true;
  // The last steps of a sweep blow the loss up by orders of magnitude: above twice the first loss they are cut,
  // so that the useful part of the curve keeps the height of the chart.
  auto clipped = [&](const char* column) {
    auto values = c.at(column);
    const double ceiling = values.empty() ? 0.0 : 2 * c.at("smoothed").front();
    for (double& v : values)
      if (v > ceiling) v = NAN;
    return values;
  };
  return fmt::format("<h2>Learning-rate finder</h2>{}", svg::line_chart(axes, {{"loss", c.at("learning_rate"), clipped("loss"), true},
                                                                              {"smoothed", c.at("learning_rate"), clipped("smoothed"), false}}));
}

std::string search_section(const Columns& c) {
  std::vector<std::string> searched;
  for (const auto& [name, values] : c)
    if (name != "round" && name != "trial" && name != "seconds" && name != "failure" && !name.starts_with("train_") && !name.starts_with("val_"))
      searched.push_back(name);
  if (searched.empty()) return "";
  constexpr const char* heading = "<h2>Hyper-parameter search</h2>{}";
  const std::string score = score_column(c, "val_"), title = "validation " + score_title(score);
  if (searched.size() == 1) {
    svg::Axes axes{fmt::format("Validation {} of each trial", score_title(score)), searched[0], title};
    axes.log_x = true;
    std::vector<double> y = c.at("val_" + score);
    return fmt::format(heading, svg::scatter_chart(axes, c.at(searched[0]), y, y, title));
  }
  svg::Axes axes{fmt::format("Trials (colour: {})", title), searched[0], searched[1]};
  axes.log_x = axes.log_y = true;
  return fmt::format(heading, svg::scatter_chart(axes, c.at(searched[0]), c.at(searched[1]), c.at("val_" + score), title));
}

}  // namespace

int report(const ReportArgs& args) {
  const auto& dir = args.run_dir;
  const auto history_path = dir / "history.csv";
  std::error_code ec;  // a path that cannot be examined (a symlink loop) is reported as missing, not thrown on
  if (!std::filesystem::is_directory(dir, ec)) throw IoError(fmt::format("{}: no such run folder (write one with nnplug train --run-dir)", dir.string()));
  if (!std::filesystem::exists(history_path, ec))
    throw IoError(fmt::format("{}: no history.csv, so this is not a run folder (write one with nnplug train --run-dir)", dir.string()));
  const Columns history = read_columns(history_path);
  const std::string score = score_column(history, "");
  for (const std::string& column : {std::string("epoch"), std::string("loss"), score, std::string("val_loss"), "val_" + score})
    if (!history.count(column)) throw IoError(fmt::format("{}: no '{}' column in the header", history_path.string(), column));
  std::string title = dir.filename().string();
  if (title.empty()) title = dir.parent_path().filename().string();
  std::string body = learning_curves(history);
  // A file of the right syntax but the wrong content (a missing field) is named, not reported as a crash.
  auto section = [&](const char* file, const std::function<std::string()>& draw) {
    if (!std::filesystem::exists(dir / file, ec)) return;
    try {
      body += draw();
    } catch (const nlohmann::json::exception& e) {
      throw IoError(fmt::format("{}: not what nnplug writes there ({})", (dir / file).string(), e.what()));
    } catch (const std::out_of_range&) {
      throw IoError(fmt::format("{}: a column nnplug writes there is missing", (dir / file).string()));
    }
  };
  section("metrics.json", [&] {
    return metrics_section(parse_json(read_run_file(dir / "metrics.json"), dir / "metrics.json"));
  });
  section("monitor.jsonl", [&] { return monitor_section(dir / "monitor.jsonl", dir / "monitor_first_layer.png"); });
  section("lr_find.csv", [&] { return lr_find_section(read_columns(dir / "lr_find.csv")); });
  section("search.csv", [&] { return search_section(read_columns(dir / "search.csv")); });
  const std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>nnplug report: {0}</title><style>"
      "body{{font-family:sans-serif;margin:24px;color:#222}}.row{{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}}"
      "table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}"
      "img.weights{{image-rendering:pixelated;width:480px}}</style></head><body><h1>nnplug report: {0}</h1>{1}</body></html>\n",
      svg::escape(title), body);
  const auto output = args.output.empty() ? dir / "report.html" : args.output;
  write_text_atomically(output, html, "the report");
  fmt::print("wrote {}\n", output.c_str());
  return 0;
}

}  // namespace nnplug::cli

// nnplug plugin-check PATH.so: loads one built plugin beside the installed ones and runs the conformance checks
// that fit each name it provides (gradient checks, optimizer invariants, backend parity, ...), one verdict each.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "nnplug/conformance/plugin_checks.hpp"
#include "nnplug/framework/input_file.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "nnplug/framework/user_json.hpp"

namespace nnplug::cli {

int plugin_check(const PluginCheckArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  namespace fs = std::filesystem;
  require_regular_file(args.plugin, "the plugin file");
  std::error_code ec;
  fs::path file = fs::weakly_canonical(args.plugin, ec);
  if (ec) file = args.plugin;
  Params::Json extra = Params::Json::object();
  if (!args.params.empty()) {
    try {
      extra = parse_user_json(args.params, "--params");
    } catch (const Params::Json::parse_error& e) {
      throw InvalidArgument(std::string("--params: not JSON: ") + e.what());
    }
    if (!extra.is_object()) throw InvalidArgument("--params: expected a JSON object, e.g. {\"units\": 3}");
  }
  const Shape sample = args.input_shape.empty() ? Shape{6} : input_shape_option(args.input_shape);
  // Centred differences run the layer twice per coordinate checked: a small sample is all a check needs.
  constexpr long long kMaxSampleValues = 1 << 20;
  long long values = 1;
  for (long long d : args.input_shape)
    if ((values *= std::min(d, kMaxSampleValues + 1)) > kMaxSampleValues)
      throw InvalidArgument(fmt::format("--input-shape: a checked sample holds at most {} values, got [{}]", kMaxSampleValues, fmt::join(args.input_shape, ", ")));
  PluginLoader loader;
  loader.add_file(file);  // first in the search order, so the file under test wins; nothing else of its folder
  for (const auto& d : plugin_dirs) loader.add_directory(d);
  const auto verdicts = loader.load_all(registry);
  const Candidate* mine = nullptr;
  for (const auto& c : verdicts)
    if (fs::weakly_canonical(c.path, ec) == file) mine = &c;
  if (!mine) throw PluginError(fmt::format("{}: not found by the loader (is it a .so file?)", file.string()));
  if (mine->verdict != Verdict::Loaded) {
    fmt::print("FAIL  load: {} {}: {}\n", verdict_name(mine->verdict), file.c_str(), mine->reason.c_str());
    return 1;
  }
  std::printf("PASS  load: %s@%s (ABI %u) provides %s\n", mine->name.c_str(), mine->version.c_str(), mine->abi_version,
              mine->provides.c_str());
  int failures = 0, checks = 0, skipped = 0;
  std::istringstream provides(mine->provides);
  for (std::string item; provides >> item;) {
    const auto colon = item.find(':');
    const std::string name = item.substr(colon + 1);
    const bool own = extra.contains(name) && extra[name].is_object();  // parameters for this name alone
    for (const auto& r : conformance::check_registered(registry, item.substr(0, colon), name, own ? extra[name] : extra, sample)) {
      if (r.skipped) {
        ++skipped;
        fmt::print("SKIP  {}: {}\n", r.check, r.detail);
        continue;
      }
      ++checks;
      failures += !r.passed;
      fmt::print("{}  {}{}{}\n", r.passed ? "PASS" : "FAIL", r.check.c_str(), r.detail.empty() ? "" : ": ", r.detail.c_str());
    }
  }
  fmt::print("{} of {} checks passed{}\n", checks - failures, checks, skipped ? fmt::format(", {} skipped", skipped) : "");
  return failures ? 1 : 0;
}

}  // namespace nnplug::cli

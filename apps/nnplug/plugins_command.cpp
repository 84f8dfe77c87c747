// nnplug plugins: what was found, what was loaded, and why anything was not.
#include <algorithm>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug::cli {

namespace {

std::string describe_value(const OpAttributeValue& v) {
  return std::visit([](auto x) { return fmt::format("{}", x); }, v);
}

// Every plugin op: its signature, its kernels, and the kernel each usable backend runs it with, per dtype.
void explain_ops(const Registry& registry) {
  const auto ops = registry.ops();
  if (ops.empty()) return;
  fmt::print("\nops that plugins define, their kernels, and what each backend runs:\n");
  for (const auto& op : ops) {
    const OpSchema& s = op->schema();
    std::vector<std::string> attributes;
    for (const auto& a : s.attributes) attributes.push_back(fmt::format("{}={}", a.name, describe_value(a.default_value)));
    fmt::print("  {}({}) -> ({}){}{}, from {}\n", op->name(), fmt::join(s.inputs, ", "), fmt::join(s.outputs, ", "),
               attributes.empty() ? "" : fmt::format(" [{}]", fmt::join(attributes, ", ")),
               s.gradient.empty() ? ", no gradient" : fmt::format(", gradient {}", s.gradient), op->origin());
    for (const auto& k : op->kernels()) fmt::print("      {}\n", k->describe());
    for (const auto& backend : registry.names(PluginKind::Backend))
      for (DType dtype : s.dtypes) {
        const OpKernel* k = op->select(backend, dtype);
        fmt::print("      on {} {}: {}\n", backend, dtype_name(dtype), k ? k->label() : "refused: no kernel and no reference runs there");
      }
  }
}

}  // namespace

int plugins(const PluginsArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  PluginLoader loader;
  for (const auto& d : plugin_dirs) loader.add_directory(d);
  const auto verdicts = loader.load_all(registry);

  if (args.explain) {
    fmt::print("search path, in order:\n");
    std::error_code ec;  // a folder that cannot be examined (a symlink loop) is shown as missing, not thrown on
    for (const auto& d : loader.search_path())
      fmt::print("  {}{}\n", d.c_str(), std::filesystem::is_directory(d, ec) ? "" : "   (does not exist)");
    fmt::print("\n");
  }
  // Columns as wide as their longest entry (a plugin's name is the author's, of any length).
  std::size_t kind_width = 4, name_width = 4, version_width = 7;
  for (const auto& e : registry.entries()) {
    kind_width = std::max(kind_width, std::string_view(kind_name(e.kind)).size());
    name_width = std::max(name_width, e.name.size());
    version_width = std::max(version_width, e.library->version().size());
  }
  const auto row = [&](std::string_view kind, std::string_view name, std::string_view version, std::string_view library) {
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", kind, kind_width, name, name_width, version, version_width, library);
  };
  row("KIND", "NAME", "VERSION", "LIBRARY");
  for (const auto& e : registry.entries()) row(kind_name(e.kind), e.name, e.library->version(), e.library->path().native());

  if (args.explain) explain_ops(registry);

  bool any_other = false;
  for (const auto& c : verdicts) {
    if (c.verdict == Verdict::Loaded && !args.explain) continue;
    if (!any_other) fmt::print("\n{}:\n", args.explain ? "verdict on every file" : "not loaded");
    any_other = true;
    fmt::print("  {:<9} {}\n", verdict_name(c.verdict), c.path.c_str());
    if (!c.reason.empty()) fmt::print("            {}\n", c.reason.c_str());
  }
  for (const auto& w : loader.warnings()) fmt::print("warning: {}\n", w.c_str());
  return 0;
}

}  // namespace nnplug::cli

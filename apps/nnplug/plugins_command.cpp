// nnplug plugins: what was found, what was loaded, and why anything was not.

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
  fmt::print("{:<12} {:<24} {:<9} {}\n", "KIND", "NAME", "VERSION", "LIBRARY");
  for (const auto& e : registry.entries())
    fmt::print("{:<12} {:<24} {:<9} {}\n", kind_name(e.kind), e.name.c_str(), e.library->version().c_str(), e.library->path().c_str());

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

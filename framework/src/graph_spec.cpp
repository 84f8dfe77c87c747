#include "nnplug/framework/graph_spec.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include <fmt/format.h>

#include "nnplug/framework/model.hpp"
#include "nnplug/framework/name_list.hpp"

namespace nnplug {

namespace {

using Json = Params::Json;

// Bounds on what blocks and repeats may expand to, so that a hostile spec gets an error, not an exhausted memory.
constexpr std::size_t kMaxNodes = 100000;
constexpr std::int64_t kMaxRepeat = 10000;

// The fields of a block definition, and those of an entry that uses one besides the block's parameters.
const std::set<std::string> kBlockFields{"params", "layers", "blocks", "description", "inputs"};
const std::set<std::string> kUseFields{"block", "repeat", "rest", "name", "inputs", "when"};

// Where block names are looked up: the spec's "blocks", or a block file's own, whose names hide the outer ones.
struct BlockTable {
  Json blocks;
  const Spec* file;  // relative block files resolve against it
  const BlockTable* outer = nullptr;
};

// A node's output (`name` empty: node, Model::kInput for the model's input), or a name to look up in a scope.
struct Target {
  std::size_t node = Model::kInput;
  std::size_t scope = 0;
  std::string name;
};

// The names one list of layers defines; "input" is the list's input (a block's first), `inputs` a block's own names
// for its inputs (a decoder's "tgt" and "memory").
struct Scope {
  Target input;
  std::map<std::string, Target> names;
  std::string description;  // " at the top level", " in block 'basic' at layer1.0"
  std::vector<std::string> inputs;
  std::string block;     // a block instance's block name,
  std::string instance;  // and where it is defined and used: "blocks.json: block 'b' at layer1.0"
};

// How one list of layers is expanded.
struct ListContext {
  std::string prefix;     // the module path of its nodes: "" or "layer1.0."
  std::string file;       // the file it is written in, for messages
  std::string group;      // the top-level block instance it belongs to
  const BlockTable* blocks;
  std::vector<std::string> uses;  // the blocks being expanded, outermost first
  bool top = true;        // unnamed top-level entries are labelled "layers[i]"
};

class Expander {
 public:
  explicit Expander(const Spec& spec) : spec_(spec) {}

  SpecGraph run() {
    if (!spec_.json.contains("layers") || !spec_.json["layers"].is_array() || spec_.json["layers"].empty())
      throw InvalidArgument(fmt::format("{}: \"layers\" must be a non-empty array", spec_.where()));
    const Json blocks = spec_.json.value("blocks", Json::object());
    if (!blocks.is_object()) throw InvalidArgument(fmt::format("{}: \"blocks\" must be an object of block definitions", spec_.where()));
    tables_.push_back({blocks, &spec_, nullptr});
    scopes_.push_back({Target{}, {}, " at the top level"});
    const Target output = expand_list(spec_.json["layers"], 0, {"", spec_.where(), "", &tables_.back(), {}, true});
    for (auto& n : pending_)
      for (const auto& t : n.targets) n.node.inputs.push_back(resolve(t, n.node.owner));
    const std::size_t out = resolve(output, fmt::format("{}: the model's output", spec_.where()));
    if (out == Model::kInput) throw InvalidArgument(fmt::format("{}: every layer is left out (\"when\": false), so the model has none", spec_.where()));
    SpecGraph graph = sorted(out);
    // First, as the likely cause of the layers nothing uses that sorted() names.
    const std::vector<std::string> unread = unread_block_inputs();
    graph.warnings.insert(graph.warnings.begin(), unread.begin(), unread.end());
    return graph;
  }

 private:
  struct Pending {
    SpecNode node;
    std::vector<Target> targets;
  };

  // Expands one list of layers reading the scope's input; returns its output (its last entry's).
  Target expand_list(const Json& layers, std::size_t scope, const ListContext& ctx) {
    Target previous{Model::kInput, scope, "input"};
    std::size_t position = 0;
    std::map<std::string, std::size_t> defined;  // name -> the entry that defines it
    for (std::size_t i = 0; i < layers.size(); ++i) {
      Json entry = layers[i].is_string() ? Json{{"type", layers[i]}} : layers[i];
      const std::string at = fmt::format("{}: {}layers[{}]", ctx.file,
                                         ctx.prefix.empty() ? "" : fmt::format("block instance {} ", ctx.prefix.substr(0, ctx.prefix.size() - 1)), i);
      if (!entry.is_object()) throw InvalidArgument(fmt::format("{} must be an object or a layer name, got {}", at, Params::shown(entry)));
      std::string local;
      if (entry.contains("name")) {
        const Json& n = entry["name"];
        if (!n.is_string() || n.get<std::string>().empty()) throw InvalidArgument(fmt::format("{}: \"name\" must be a non-empty string, got {}", at, Params::shown(n)));
        local = n.get<std::string>();
        if (local == "input") throw InvalidArgument(fmt::format("{}: \"input\" names the model's (or the block's) input; choose another name", at));
        if (const auto& own = scopes_[scope].inputs; std::find(own.begin(), own.end(), local) != own.end())
          throw InvalidArgument(fmt::format("{}: name '{}' names one of the block's inputs ({}); choose another name", at, local, fmt::join(own, ", ")));
        if (local.find('.') != std::string::npos)
          throw InvalidArgument(fmt::format("{}: name '{}' holds a '.', which separates the parts of a module path", at, local));
        if (const auto [it, fresh] = defined.emplace(local, i); !fresh)
          throw InvalidArgument(fmt::format("{}: name '{}' is used twice, by layers[{}] and layers[{}]", at, local, it->second, i));
      }
      std::vector<Target> inputs = read_inputs(entry, at, scope, previous);
      if (entry.contains("when")) {
        if (!entry["when"].is_boolean()) throw InvalidArgument(fmt::format("{}: \"when\" must be true or false, got {}", at, Params::shown(entry["when"])));
        if (!entry["when"].get<bool>()) {  // left out: its name stands for its input
          if (inputs.size() != 1) throw InvalidArgument(fmt::format("{}: a layer left out (\"when\": false) must have one input, which its name then stands for", at));
          if (!local.empty()) scopes_[scope].names[local] = inputs[0];
          previous = inputs[0];
          continue;
        }
      }
      const std::string path = ctx.prefix + (local.empty() ? fmt::format("{}", position) : local);
      Target out;
      if (entry.contains("block")) {
        out = expand_use(entry, at, path, inputs, ctx);
        position += 1;
      } else {
        out = add_layer(entry, at, i, local, path, std::move(inputs), ctx, position);
      }
      if (!local.empty()) scopes_[scope].names[local] = out;
      previous = out;
    }
    return previous;
  }

  std::vector<Target> read_inputs(const Json& entry, const std::string& at, std::size_t scope, const Target& previous) {
    if (!entry.contains("inputs")) return {previous};
    const Json& in = entry["inputs"];
    std::vector<Target> out;
    if (in.is_string()) out.push_back({Model::kInput, scope, in.get<std::string>()});
    if (in.is_array())
      for (const auto& name : in) {
        if (!name.is_string()) throw InvalidArgument(fmt::format("{}: \"inputs\" must list layer names, got {}", at, Params::shown(name)));
        out.push_back({Model::kInput, scope, name.get<std::string>()});
      }
    if (out.empty() || (!in.is_string() && !in.is_array()))
      throw InvalidArgument(fmt::format("{}: \"inputs\" must be a layer name or a non-empty list of them, got {}", at, Params::shown(in)));
    return out;
  }

  // A layer or activation entry: one node, and one more for its "activation".
  Target add_layer(Json entry, const std::string& at, std::size_t index, const std::string& local, const std::string& path,
                   std::vector<Target> inputs, const ListContext& ctx, std::size_t& position) {
    Json activation;
    std::vector<std::pair<std::string, Json>> attached;
    for (auto it = entry.begin(); it != entry.end();) {
      const std::string key = it.key();
      if (key == "activation") activation = it.value();
      else if (key.ends_with("_regularizer") || key.ends_with("_constraint")) attached.emplace_back(key, it.value());
      else if (key != "name" && key != "inputs" && key != "when") {
        ++it;
        continue;
      }
      it = entry.erase(it);
    }
    const std::string type = Params(at, entry).type();
    const std::string label = ctx.top && local.empty() ? fmt::format("layers[{}] ({})", index, type) : fmt::format("{} ({})", path, type);
    const std::size_t node = push({entry, fmt::format("{}: {}", ctx.file, label), label, path, ctx.group, {}, std::move(attached)}, std::move(inputs));
    position += 1;
    if (activation.is_null()) return {node, 0, {}};
    const std::string act_type = Params(fmt::format("{} activation", at), activation).type();
    const std::string act_path = local.empty() ? fmt::format("{}{}", ctx.prefix, position) : fmt::format("{}_{}", path, act_type);
    position += 1;
    const std::string act_label = fmt::format("{} {}", label, act_type);
    return {push({activation, fmt::format("{}: {}", ctx.file, act_label), act_label, act_path, ctx.group, {}, {}}, {Target{node, 0, {}}}), 0, {}};
  }

  std::size_t push(SpecNode node, std::vector<Target> inputs) {
    if (pending_.size() >= kMaxNodes)
      throw InvalidArgument(fmt::format("{}: the layers and blocks expand to more than {} layers", spec_.where(), kMaxNodes));
    pending_.push_back({std::move(node), std::move(inputs)});
    return pending_.size() - 1;
  }

  // An entry that uses a block: its instances one after the other, each reading the one before.
  Target expand_use(const Json& entry, const std::string& at, const std::string& path, const std::vector<Target>& inputs,
                    const ListContext& ctx) {
    if (!entry["block"].is_string()) throw InvalidArgument(fmt::format("{}: \"block\" must name a block, got {}", at, Params::shown(entry["block"])));
    const std::string name = entry["block"].get<std::string>();
    if (std::find(ctx.uses.begin(), ctx.uses.end(), name) != ctx.uses.end()) {
      const auto first = std::find(ctx.uses.begin(), ctx.uses.end(), name);
      throw InvalidArgument(fmt::format("{}: block '{}' uses itself: {} -> {}", at, name, fmt::join(first, ctx.uses.end(), " -> "), name));
    }
    const Definition def = find_block(name, at, *ctx.blocks);
    if (inputs.size() != def.inputs.size())
      throw InvalidArgument(def.inputs.size() == 1 ? fmt::format("{}: block '{}' takes one input, got {}", at, name, inputs.size())
                                                   : fmt::format("{}: block '{}' takes {} inputs ({}), got {}; list them in \"inputs\"", at, name,
                                                                 def.inputs.size(), fmt::join(def.inputs, ", "), inputs.size()));
    Json given = entry;
    for (const auto& key : kUseFields) given.erase(key);
    const Json defaults = def.json.value("params", Json::object());
    std::vector<std::string> known;
    for (const auto& [key, value] : defaults.items()) known.push_back(key);
    auto check_known = [&](const Json& values, const std::string& where) {
      for (const auto& [key, value] : values.items())
        if (!defaults.contains(key))
          throw InvalidArgument(fmt::format("{}: block '{}' has no parameter '{}'{} (its parameters: {})", at, name, key, where, name_list(known)));
    };
    check_known(given, "");
    const Json rest = entry.value("rest", Json::object());
    if (!rest.is_object()) throw InvalidArgument(fmt::format("{}: \"rest\" must be an object of block parameters, got {}", at, Params::shown(rest)));
    check_known(rest, " in \"rest\"");
    std::int64_t repeat = 1;
    if (entry.contains("repeat")) {
      const Json& r = entry["repeat"];
      if (!r.is_number_integer() || r.get<std::int64_t>() < 1 || r.get<std::int64_t>() > kMaxRepeat)
        throw InvalidArgument(fmt::format("{}: \"repeat\" must be a whole number in [1, {}], got {}", at, kMaxRepeat, Params::shown(r)));
      repeat = r.get<std::int64_t>();
    }
    // Each instance reads the one before as its first input and the use's other inputs as they are, as each layer of
    // PyTorch's TransformerDecoder reads the layer before and the same memory.
    std::vector<Target> in = inputs;
    for (std::int64_t k = 0; k < repeat; ++k) {
      // PyTorch names a repeated block's instances as an nn.Sequential's: layer1.0, layer1.1, ...
      const std::string instance = entry.contains("repeat") ? fmt::format("{}.{}", path, k) : path;
      Json values = defaults;
      for (const auto& [key, value] : given.items()) values[key] = value;
      if (k > 0)
        for (const auto& [key, value] : rest.items()) values[key] = value;
      for (const auto& [key, value] : values.items())
        if (value.is_null()) throw InvalidArgument(fmt::format("{}: block '{}' needs parameter '{}'", at, name, key));
      const Json layers = substituted(def.json["layers"], values, fmt::format("{}: block '{}'", def.file->where(), name), known);
      Scope scope{in[0], {}, fmt::format(" in block '{}' at {}", name, instance), def.inputs, name,
                  fmt::format("{}: block '{}' at {}", def.file->where(), name, instance)};
      for (std::size_t j = 0; j < in.size(); ++j)
        if (def.inputs[j] != "input") scope.names[def.inputs[j]] = in[j];
      scopes_.push_back(std::move(scope));
      ListContext inner{instance + ".", def.file->where(), ctx.group.empty() ? fmt::format("{} ({})", instance, name) : ctx.group,
                        def.table, ctx.uses, false};
      inner.uses.push_back(name);
      in[0] = expand_list(layers, scopes_.size() - 1, inner);
    }
    return in[0];
  }

  struct Definition {
    Json json;
    const Spec* file;
    const BlockTable* table;  // where the block's own uses are looked up
    std::vector<std::string> inputs{"input"};  // the names of its inputs, in the order a use lists them
  };

  Definition find_block(const std::string& name, const std::string& at, const BlockTable& blocks) {
    const BlockTable* table = &blocks;
    while (table && !table->blocks.contains(name)) table = table->outer;
    if (!table) {
      std::vector<std::string> names;
      for (const BlockTable* t = &blocks; t; t = t->outer)
        for (const auto& [key, value] : t->blocks.items()) names.push_back(key);
      throw InvalidArgument(fmt::format("{}: unknown block '{}' (blocks defined: {})", at, name, name_list(names)));
    }
    const Json& value = table->blocks[name];
    Definition def{value, table->file, table};
    if (value.is_string()) {  // a block in a file of its own
      const auto path = table->file->resolve(value.get<std::string>());
      auto it = files_.find(path.string());
      if (it == files_.end()) it = files_.emplace(path.string(), load_spec(path)).first;
      def.json = it->second.json;
      def.file = &it->second;
    } else if (!value.is_object()) {
      throw InvalidArgument(fmt::format("{}: blocks.{} must be a block (an object) or the file that holds one, got {}", table->file->where(), name, Params::shown(value)));
    }
    const std::string where = fmt::format("{}: block '{}'", def.file->where(), name);
    for (const auto& [key, v] : def.json.items())
      if (!kBlockFields.count(key)) throw InvalidArgument(fmt::format("{}: unknown field '{}' (a block has params, inputs, layers, blocks, description)", where, key));
    if (!def.json.contains("layers") || !def.json["layers"].is_array() || def.json["layers"].empty())
      throw InvalidArgument(fmt::format("{}: \"layers\" must be a non-empty array", where));
    if (!def.json.value("params", Json::object()).is_object())
      throw InvalidArgument(fmt::format("{}: \"params\" must be an object of parameters and their defaults (null: required)", where));
    if (def.json.contains("inputs")) def.inputs = input_names(def.json["inputs"], where);
    if (def.json.contains("blocks")) {
      if (!def.json["blocks"].is_object()) throw InvalidArgument(fmt::format("{}: \"blocks\" must be an object of block definitions", where));
      tables_.push_back({def.json["blocks"], def.file, table});
      def.table = &tables_.back();
    }
    return def;
  }

  // A block's "inputs": distinct names, "input" (which names the first in any block) only first.
  static std::vector<std::string> input_names(const Json& list, const std::string& where) {
    std::vector<std::string> names;
    bool fit = list.is_array() && !list.empty() && list.size() <= kMaxNodes;
    for (std::size_t i = 0; fit && i < list.size(); ++i) {
      const std::string name = list[i].is_string() ? list[i].get<std::string>() : "";
      fit = !name.empty() && name.find('.') == std::string::npos && (name != "input" || i == 0) &&
            std::find(names.begin(), names.end(), name) == names.end();
      names.push_back(name);
    }
    if (!fit)
      throw InvalidArgument(fmt::format("{}: \"inputs\" must list the names of the block's inputs, distinct and without '.' (\"input\" "
                                        "names the first, and may only be first), got {}", where, Params::shown(list)));
    return names;
  }

  // The block's layers with every "$parameter" string replaced by the parameter's value.
  static Json substituted(const Json& j, const Json& values, const std::string& where, const std::vector<std::string>& known) {
    if (j.is_string()) {
      const std::string s = j.get<std::string>();
      if (s.size() < 2 || s.front() != '$') return j;
      if (!values.contains(s.substr(1)))
        throw InvalidArgument(fmt::format("{}: '{}' names no parameter of the block (its parameters: {})", where, s, name_list(known)));
      return values[s.substr(1)];
    }
    if (!j.is_structured()) return j;
    Json out = j;
    for (auto it = out.begin(); it != out.end(); ++it) *it = substituted(*it, values, where, known);
    return out;
  }

  std::size_t resolve(Target t, const std::string& owner) {
    for (std::size_t hops = 0; !t.name.empty(); ++hops) {
      const Scope& scope = scopes_[t.scope];
      if (hops > pending_.size() + scopes_.size())
        throw InvalidArgument(fmt::format("{}: input '{}' leads round a cycle of layers left out by \"when\"", owner, t.name));
      read_.emplace(t.scope, t.name);
      if (t.name == "input") {
        t = scope.input;
        continue;
      }
      const auto it = scope.names.find(t.name);
      if (it == scope.names.end()) {
        std::vector<std::string> names{"input"};
        for (const auto& [name, target] : scope.names) names.push_back(name);
        throw InvalidArgument(fmt::format("{}: input '{}' names no layer{} (names there: {})", owner, t.name, scope.description, name_list(names)));
      }
      t = it->second;
    }
    return t.node;
  }

  // A block input that no layer of the instance reads is most often a name mistyped in the block's layers (a
  // decoder's cross-attention reading "tgt" for "memory"); the model still builds, so it is a warning, once a block.
  std::vector<std::string> unread_block_inputs() const {
    std::vector<std::string> warnings;
    std::set<std::pair<std::string, std::string>> warned;
    for (std::size_t i = 0; i < scopes_.size(); ++i)
      for (const auto& name : scopes_[i].inputs) {
        const bool read = read_.count({i, name}) || (name == scopes_[i].inputs[0] && read_.count({i, "input"}));  // the first is "input" too
        if (!read && warned.emplace(scopes_[i].block, name).second)
          warnings.push_back(fmt::format("{} never reads its input '{}' (its inputs: {})", scopes_[i].instance, name, fmt::join(scopes_[i].inputs, ", ")));
      }
    return warnings;
  }

  // The nodes that lead to `output`, each after its inputs (in the order written where that order allows).
  SpecGraph sorted(std::size_t output) {
    const std::size_t n = pending_.size();
    std::vector<bool> used(n, false);
    std::vector<std::size_t> stack{output};
    used[output] = true;
    while (!stack.empty()) {
      const std::size_t i = stack.back();
      stack.pop_back();
      for (const std::size_t in : pending_[i].node.inputs)
        if (in != Model::kInput && !used[in]) used[in] = true, stack.push_back(in);
    }
    SpecGraph graph;
    std::vector<std::size_t> waiting(n, 0);
    std::vector<std::vector<std::size_t>> readers(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (!used[i]) {
        graph.warnings.push_back(fmt::format("{}: nothing uses its output, so it is left out of the model", pending_[i].node.owner));
        continue;
      }
      for (const std::size_t in : pending_[i].node.inputs)
        if (in != Model::kInput) ++waiting[i], readers[in].push_back(i);
    }
    std::set<std::size_t> ready;
    for (std::size_t i = 0; i < n; ++i)
      if (used[i] && waiting[i] == 0) ready.insert(i);
    std::vector<std::size_t> order, index(n, Model::kInput);
    while (!ready.empty()) {
      const std::size_t i = *ready.begin();
      ready.erase(ready.begin());
      index[i] = order.size();
      order.push_back(i);
      for (const std::size_t r : readers[i])
        if (--waiting[r] == 0) ready.insert(r);
    }
    if (order.size() != static_cast<std::size_t>(std::count(used.begin(), used.end(), true))) throw_cycle(used, index);
    for (const std::size_t i : order) {
      SpecNode node = pending_[i].node;
      for (auto& in : node.inputs)
        if (in != Model::kInput) in = index[in];
      graph.nodes.push_back(std::move(node));
    }
    return graph;
  }

  // Some used nodes were never ready: follow inputs among them until one repeats.
  [[noreturn]] void throw_cycle(const std::vector<bool>& used, const std::vector<std::size_t>& placed) const {
    std::size_t i = 0;
    while (!(used[i] && placed[i] == Model::kInput)) ++i;
    std::vector<std::size_t> path;
    std::map<std::size_t, std::size_t> seen;
    while (!seen.count(i)) {
      seen[i] = path.size();
      path.push_back(i);
      for (const std::size_t in : pending_[i].node.inputs)
        if (in != Model::kInput && placed[in] == Model::kInput) {
          i = in;
          break;
        }
    }
    std::vector<std::string> cycle{pending_[i].node.label};  // in the direction data would flow: from an input to its reader
    for (std::size_t k = path.size(); k-- > seen[i];) cycle.push_back(pending_[path[k]].node.label);
    throw InvalidArgument(fmt::format("{}: the layers form a cycle: {}", spec_.where(), fmt::join(cycle, " -> ")));
  }

  const Spec& spec_;
  std::vector<Pending> pending_;
  std::vector<Scope> scopes_;
  std::set<std::pair<std::size_t, std::string>> read_;  // (scope, name) pairs some input resolved through
  std::deque<BlockTable> tables_;
  std::map<std::string, Spec> files_;
};

// `blocks` with each file's definition in place of its name. A file that names one it is inside of stays a name:
// using it would be a block that uses itself, which expand_layers refuses.
Json inlined(const Json& blocks, const Spec& file, std::vector<std::filesystem::path>& inside) {
  Json out = blocks;
  for (auto& [name, def] : out.items()) {
    if (def.is_string()) {
      std::error_code ec;  // a path that cannot be made canonical (a symlink loop) is refused by load_spec below
      auto path = std::filesystem::weakly_canonical(file.resolve(def.get<std::string>()), ec);
      if (ec) path = file.resolve(def.get<std::string>());
      if (std::find(inside.begin(), inside.end(), path) != inside.end()) continue;
      const Spec loaded = load_spec(path);
      def = loaded.json;
      inside.push_back(path);
      if (def.contains("blocks") && def["blocks"].is_object()) def["blocks"] = inlined(def["blocks"], loaded, inside);
      inside.pop_back();
    } else if (def.is_object() && def.contains("blocks") && def["blocks"].is_object()) {
      def["blocks"] = inlined(def["blocks"], file, inside);
    }
  }
  return out;
}

}  // namespace

Json with_block_files_inlined(const Spec& spec) {
  Json out = spec.json;
  std::vector<std::filesystem::path> inside;
  if (out.contains("blocks") && out["blocks"].is_object()) out["blocks"] = inlined(out["blocks"], spec, inside);
  return out;
}

SpecGraph expand_layers(const Spec& spec) { return Expander(spec).run(); }

}  // namespace nnplug

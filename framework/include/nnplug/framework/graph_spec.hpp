#pragma once
// The graph a spec's "layers" describe. An entry may have a "name" and "inputs" (earlier or later names in its
// list, "input" for the model's or the block's input; by default the entry before it), so the list describes any
// directed acyclic graph; a chain spec is the graph where each entry reads the one before. An entry may also use
// a block from "blocks" (inline, or a file of its own): a named sub-graph with parameters ("$filters" in its
// layers), used several times, "repeat" times in a row ("rest" giving the parameters of the repeats after the
// first), and an entry whose "when" is false is left out, its name then standing for its input. Nodes are named
// by their module paths ("layer1.0.conv1"), which name their parameters as PyTorch's modules do.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "nnplug/framework/spec.hpp"

namespace nnplug {

struct SpecNode {
  Params::Json layer;  // the layer's or activation's own fields ("type" and its parameters)
  std::string owner;   // names it in messages, file included: "resnet.json: layer1.0.conv1 (conv2d)"
  std::string label;   // names it in the model: "layers[2] (dense)", "layer1.0.conv1 (conv2d)"
  std::string name;    // its module path: "layer1.0.conv1", or its position ("2") when unnamed at the top
  std::string group;   // the top-level block instance it is part of ("layer1.0 (basic)"); empty: none
  std::vector<std::size_t> inputs;  // earlier nodes, or Model::kInput
  std::vector<std::pair<std::string, Params::Json>> attachments;  // "<target>_regularizer" / "_constraint" fields
};

struct SpecGraph {
  std::vector<SpecNode> nodes;        // every node after its inputs; the last is the output
  std::vector<std::string> warnings;  // nodes left out because nothing uses their output
};

// Throws InvalidArgument naming the file, the nodes and the names involved: a cycle, a name used twice, an input
// that names nothing, a block that uses itself, an unknown block or block parameter.
SpecGraph expand_layers(const Spec& spec);

// The spec's JSON with each block file's definition in place of the file's name, so that a saved model needs no
// file besides itself.
Params::Json with_block_files_inlined(const Spec& spec);

}  // namespace nnplug

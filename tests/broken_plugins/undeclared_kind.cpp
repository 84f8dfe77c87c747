// A plugin that registers a declared name under a kind it did not declare (a layer, declared as an activation).
#include "nnplug/plugin.hpp"

NNPLUG_PLUGIN("undeclared_kind", "1.0.0", "activation:shapeshifter", 0) {
  registrar.add_layer("shapeshifter", [](const nnplug::Params&) -> std::unique_ptr<nnplug::Layer> { return nullptr; });
}

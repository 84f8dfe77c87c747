// Activation 'sparse_plus' (Keras's sparse_plus; sparsemax's two-class case, Martins and Astudillo 2016): 0 up to -1,
// (x + 1)² / 4 between -1 and 1, x from 1: softplus's shape with exact zeros, smooth once. This plugin's ops
// sparse_plus and sparse_plus_grad compute it (element_activation_op.hpp), from sparse_plus_element.hpp on the CPU and
// the GPU alike.
#include "../shared/element_activation_op.hpp"
#include "nnplug/plugin.hpp"
#include "sparse_plus_element.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("sparse_plus", "0.1.0", "op:sparse_plus op:sparse_plus_grad activation:sparse_plus", 0) {
  auto op = activations::add_element_activation_ops<activations::SparsePlusElement>(registrar, "sparse_plus");
  registrar.add_activation("sparse_plus", [op](const Params& p) -> std::unique_ptr<Activation> {
    p.check_unused();
    return std::make_unique<OpActivation>("sparse_plus", op);
  });
}

// The activation hard_tanh's ops on the GPU: the shared element kernels (../shared/element_activation_cuda.cuh) over
// HardTanhElement, the arithmetic the CPU kernels run.
#include "../shared/element_activation_cuda.cuh"
#include "hard_tanh_element.hpp"

NNPLUG_ELEMENT_ACTIVATION_CUDA(nnplug::activations::HardTanhElement);

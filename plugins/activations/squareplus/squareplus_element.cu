// The activation squareplus's ops on the GPU: the shared element kernels (../shared/element_activation_cuda.cuh) over
// SquareplusElement, the arithmetic the CPU kernels run.
#include "../shared/element_activation_cuda.cuh"
#include "squareplus_element.hpp"

NNPLUG_ELEMENT_ACTIVATION_CUDA(nnplug::activations::SquareplusElement);

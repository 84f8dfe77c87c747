// The activation sparse_plus's ops on the GPU: the shared element kernels (../shared/element_activation_cuda.cuh) over
// SparsePlusElement, the arithmetic the CPU kernels run.
#include "../shared/element_activation_cuda.cuh"
#include "sparse_plus_element.hpp"

NNPLUG_ELEMENT_ACTIVATION_CUDA(nnplug::activations::SparsePlusElement);

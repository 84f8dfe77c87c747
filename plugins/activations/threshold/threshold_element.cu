// The activation threshold's ops on the GPU: the shared element kernels (../shared/element_activation_cuda.cuh) over
// ThresholdElement, the arithmetic the CPU kernels run.
#include "../shared/element_activation_cuda.cuh"
#include "threshold_element.hpp"

NNPLUG_ELEMENT_ACTIVATION_CUDA(nnplug::activations::ThresholdElement);

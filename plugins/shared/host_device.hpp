#pragma once
// NNPLUG_HOST_DEVICE marks a function that a CPU kernel calls on the host and, compiled by nvcc, a CUDA kernel calls
// on the device: the backends' shared arithmetic (plugins/backends/shared) and the ops plugins bring (an optimizer's
// step, a loss's row), so that the two kernels cannot drift apart. The SDK's counter_random.hpp defines the same
// macro, but a plugin's .cu files are compiled without the SDK's include folders (nnplug_add_plugin.cmake).
#ifndef NNPLUG_HOST_DEVICE
#if defined(__CUDACC__)
#define NNPLUG_HOST_DEVICE __host__ __device__
#else
#define NNPLUG_HOST_DEVICE
#endif
#endif

#pragma once
// Marks a function that the CPU backend calls on the host and the CUDA backend's kernels call on the device.
#if defined(__CUDACC__)
#define NNPLUG_BACKEND_HOST_DEVICE __host__ __device__
#else
#define NNPLUG_BACKEND_HOST_DEVICE
#endif

#pragma once
// NNPLUG_HOST_DEVICE marks the arithmetic of an optimizer's step that its CPU kernel and, compiled by nvcc, its CUDA
// kernel share (elementwise_step_cuda.cuh), so that the two cannot drift apart.
#ifdef __CUDACC__
#define NNPLUG_HOST_DEVICE __host__ __device__
#else
#define NNPLUG_HOST_DEVICE
#endif

#pragma once
// The grid-stride loop every element-wise kernel uses: correct for any grid size, so launches can cap the grid
// (blocks_for) without leaving elements out.
#include <cstdint>

#define NNPLUG_GRID_LOOP(i, n)                                                                   \
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += std::int64_t{gridDim.x} * blockDim.x)

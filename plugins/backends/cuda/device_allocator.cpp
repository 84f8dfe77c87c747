#include "device_allocator.hpp"

#include <cuda_runtime.h>

#include <string>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug::cuda {

namespace {
std::string mebibytes(std::size_t bytes) { return fmt::format("{} MiB", (bytes + (1 << 19)) >> 20); }
}  // namespace

DeviceAllocator::~DeviceAllocator() { free_cache_locked(); }

void DeviceAllocator::free_cache_locked() {
  for (auto& [size, blocks] : free_)
    for (void* p : blocks) cudaFree(p);
  free_.clear();
  cached_ = 0;
}

void* DeviceAllocator::allocate(std::size_t bytes) {
  const std::size_t size = round_up(bytes);
  std::lock_guard lock(mutex_);
  if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    in_use_ += size;
    return p;
  }
  cudaSetDevice(device_);
  void* p = nullptr;
  cudaError_t status = cudaMalloc(&p, size);
  if (status == cudaErrorMemoryAllocation && cached_ > 0) {
    cudaGetLastError();  // clear the sticky-free error before retrying
    free_cache_locked();
    status = cudaMalloc(&p, size);
  }
  if (status != cudaSuccess) {
    cudaGetLastError();
    std::size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    throw BackendError(fmt::format("cuda backend: out of device memory: asked for {} ({} bytes), {} free of {} on device {}, {} held by "
                                   "nnplug tensors ({})", mebibytes(bytes), bytes, mebibytes(free_bytes), mebibytes(total_bytes), device_,
                                   mebibytes(in_use_), cudaGetErrorString(status)));
  }
  ++system_allocations_;
  in_use_ += size;
  return p;
}

void DeviceAllocator::release(void* p, std::size_t bytes) {
  const std::size_t size = round_up(bytes);
  std::lock_guard lock(mutex_);
  in_use_ -= size;
  cached_ += size;
  free_[size].push_back(p);
}

std::size_t DeviceAllocator::bytes_in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}
std::size_t DeviceAllocator::bytes_cached() const {
  std::lock_guard lock(mutex_);
  return cached_;
}
std::size_t DeviceAllocator::system_allocations() const {
  std::lock_guard lock(mutex_);
  return system_allocations_;
}

}  // namespace nnplug::cuda

#pragma once
// DeviceAllocator: plain cudaMalloc behind per-size free lists. cudaMalloc and cudaFree synchronise the device and
// cost tens of microseconds, so a steady training step (the same sizes every batch) must be served from the cache.
// Blocks are reused in stream order: every op runs on the backend's one stream, so memory released by one op and
// handed to the next is never touched by both at once. When the device is full the cache is returned to the
// driver and the request retried once; if it still fails, the error says how much was asked and how much is free.
#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

namespace nnplug::cuda {

class DeviceAllocator {
 public:
  explicit DeviceAllocator(int device) : device_(device) {}
  DeviceAllocator(const DeviceAllocator&) = delete;
  DeviceAllocator& operator=(const DeviceAllocator&) = delete;
  ~DeviceAllocator();

  void* allocate(std::size_t bytes);  // 512-byte granular; throws BackendError when the device is out of memory
  void release(void* p, std::size_t bytes);

  std::size_t bytes_in_use() const;
  std::size_t bytes_cached() const;
  std::size_t system_allocations() const;

 private:
  static std::size_t round_up(std::size_t bytes) { return (bytes + 511) / 512 * 512; }
  void free_cache_locked();
  int device_;
  mutable std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;
  std::size_t in_use_ = 0, cached_ = 0, system_allocations_ = 0;
};

}  // namespace nnplug::cuda

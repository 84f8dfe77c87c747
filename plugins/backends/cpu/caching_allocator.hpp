#pragma once
// CachingAllocator: keeps freed blocks in per-size free lists and hands them out again. A training step asks for
// the same sizes every batch; on these machines a fresh page costs 5-10 us to fault in, so memory is never
// returned to the system while the allocator lives.
#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

namespace nnplug::cpu {

class CachingAllocator {
 public:
  CachingAllocator() = default;
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;
  ~CachingAllocator();

  // 64-byte aligned (a cache line, and enough for AVX-512 loads). Throws BackendError when out of memory.
  void* allocate(std::size_t bytes);
  void release(void* p, std::size_t bytes);

  std::size_t bytes_in_use() const;
  std::size_t bytes_cached() const;
  std::size_t system_allocations() const;  // allocations that were not served from the cache

 private:
  static std::size_t round_up(std::size_t bytes) { return (bytes + 255) / 256 * 256; }
  mutable std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;
  std::size_t in_use_ = 0, cached_ = 0, system_allocations_ = 0;
};

}  // namespace nnplug::cpu

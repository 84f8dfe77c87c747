#include "caching_allocator.hpp"

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug::cpu {

CachingAllocator::~CachingAllocator() {
  for (auto& [size, blocks] : free_)
    for (void* p : blocks) std::free(p);
}

void* CachingAllocator::allocate(std::size_t bytes) {
  const std::size_t size = round_up(bytes);
  std::lock_guard lock(mutex_);
  in_use_ += size;
  if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    return p;
  }
  ++system_allocations_;
  void* p = std::aligned_alloc(64, size);
  if (!p) {
    in_use_ -= size;
    throw BackendError(fmt::format("cpu backend: out of memory allocating {} bytes ({} bytes in use)", bytes, in_use_));
  }
  return p;
}

void CachingAllocator::release(void* p, std::size_t bytes) {
  const std::size_t size = round_up(bytes);
  std::lock_guard lock(mutex_);
  in_use_ -= size;
  cached_ += size;
  free_[size].push_back(p);
}

std::size_t CachingAllocator::bytes_in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}
std::size_t CachingAllocator::bytes_cached() const {
  std::lock_guard lock(mutex_);
  return cached_;
}
std::size_t CachingAllocator::system_allocations() const {
  std::lock_guard lock(mutex_);
  return system_allocations_;
}

}  // namespace nnplug::cpu

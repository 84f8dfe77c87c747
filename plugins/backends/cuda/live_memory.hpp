#pragma once
// LiveMemory: the live values of one step graph (live_values.hpp), one fixed-size slot per value. They are staged
// in pinned host memory and copied to the device, in stream order, just before each launch of the graph.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstring>

#include "live_values.hpp"

namespace nnplug::cuda {

class LiveMemory {
 public:
  explicit LiveMemory(std::size_t slots);  // throws BackendError when out of memory
  ~LiveMemory();
  LiveMemory(LiveMemory&& other) noexcept;
  LiveMemory& operator=(LiveMemory&&) = delete;
  LiveMemory(const LiveMemory&) = delete;

  // Forgets the staged values, once the last copy to the device has read them.
  void clear();

  // Stages a value in the next slot and returns the device address it will have. A value beyond the last slot is
  // not kept (overflowed() says so) and gets a valid but meaningless address.
  template <class V>
  const V* push(const V& value) {
    static_assert(sizeof(V) <= kLiveSlotBytes);
    if (used_ == slots_) {
      overflowed_ = true;
      return reinterpret_cast<const V*>(device_);
    }
    std::memcpy(host_ + used_ * kLiveSlotBytes, &value, sizeof value);
    return reinterpret_cast<const V*>(device_ + used_++ * kLiveSlotBytes);
  }
  bool overflowed() const { return overflowed_; }

  // Queues the copy of the staged values to the device on the stream.
  void copy_to_device(cudaStream_t stream);

 private:
  void release();
  std::size_t slots_, used_ = 0;
  bool overflowed_ = false;
  char* host_ = nullptr;    // pinned
  char* device_ = nullptr;
  cudaEvent_t copied_ = nullptr;
};

}  // namespace nnplug::cuda

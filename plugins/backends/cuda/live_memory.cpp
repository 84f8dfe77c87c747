#include "live_memory.hpp"

#include <algorithm>
#include <utility>

#include "kernels.hpp"

namespace nnplug::cuda {

LiveMemory::LiveMemory(std::size_t slots) : slots_(slots) {
  const std::size_t bytes = std::max<std::size_t>(slots_, 1) * kLiveSlotBytes;
  try {
    check(cudaMallocHost(&host_, bytes), "allocate a step graph's live values");
    check(cudaMalloc(&device_, bytes), "allocate a step graph's live values");
    check(cudaEventCreateWithFlags(&copied_, cudaEventDisableTiming), "create an event");
  } catch (...) {
    release();
    throw;
  }
}

LiveMemory::~LiveMemory() { release(); }

void LiveMemory::release() {
  if (copied_) {
    cudaEventSynchronize(copied_);  // a queued copy may still read the host memory
    cudaEventDestroy(copied_);
  }
  if (device_) cudaFree(device_);
  if (host_) cudaFreeHost(host_);
  copied_ = nullptr;
  device_ = host_ = nullptr;
}

LiveMemory::LiveMemory(LiveMemory&& other) noexcept
    : slots_(other.slots_),
      used_(other.used_),
      overflowed_(other.overflowed_),
      host_(std::exchange(other.host_, nullptr)),
      device_(std::exchange(other.device_, nullptr)),
      copied_(std::exchange(other.copied_, nullptr)) {}

void LiveMemory::clear() {
  check(cudaEventSynchronize(copied_), "wait for a step graph's live values");
  used_ = 0;
  overflowed_ = false;
}

void LiveMemory::copy_to_device(cudaStream_t stream) {
  if (used_ == 0) return;
  check(cudaMemcpyAsync(device_, host_, used_ * kLiveSlotBytes, cudaMemcpyHostToDevice, stream), "copy live values");
  check(cudaEventRecord(copied_, stream), "record an event");
}

}  // namespace nnplug::cuda

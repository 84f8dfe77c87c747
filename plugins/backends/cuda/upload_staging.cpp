#include "upload_staging.hpp"

#include <cstring>

#include "kernels.hpp"

namespace nnplug::cuda {

UploadStaging::~UploadStaging() {
  for (Buffer& b : buffers_) {
    if (b.copied) {
      cudaEventSynchronize(b.copied);
      cudaEventDestroy(b.copied);
    }
    if (b.host) cudaFreeHost(b.host);
  }
}

void UploadStaging::upload(void* device, const void* host, std::size_t bytes, cudaStream_t stream) {
  if (bytes > kMaxStagedBytes) {
    check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, stream), "upload");
    return;
  }
  Buffer& b = buffers_[next_];
  next_ = (next_ + 1) % buffers_.size();
  if (b.copied) check(cudaEventSynchronize(b.copied), "upload");  // its last copy has read it
  else check(cudaEventCreateWithFlags(&b.copied, cudaEventDisableTiming), "upload");
  if (b.bytes < bytes) {
    if (b.host) cudaFreeHost(b.host);
    b.host = nullptr;
    b.bytes = 0;
    check(cudaMallocHost(&b.host, bytes), "upload: allocate pinned host memory");
    b.bytes = bytes;
  }
  std::memcpy(b.host, host, bytes);
  check(cudaMemcpyAsync(device, b.host, bytes, cudaMemcpyHostToDevice, stream), "upload");
  check(cudaEventRecord(b.copied, stream), "upload");
}

}  // namespace nnplug::cuda

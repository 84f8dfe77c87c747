#pragma once
// UploadStaging: host-to-device copies through pinned memory. From pageable memory, cudaMemcpyAsync returns only
// once the data is on its way through the driver's own staging; copied into pinned memory first, the transfer
// runs on the stream while the host goes on (the trainer gathers the next batch while the GPU runs the step).
// A few staging buffers are used in turn; each is reused only after its last copy has finished.
#include <cuda_runtime.h>

#include <array>
#include <cstddef>

namespace nnplug::cuda {

class UploadStaging {
 public:
  UploadStaging() = default;
  ~UploadStaging();
  UploadStaging(const UploadStaging&) = delete;
  UploadStaging& operator=(const UploadStaging&) = delete;

  // Queues the copy of `bytes` from host to device on the stream; `host` may be reused when this returns.
  void upload(void* device, const void* host, std::size_t bytes, cudaStream_t stream);

  // Larger copies (a whole data set, imported weights) go straight from pageable memory: no pinned memory is
  // held for them.
  static constexpr std::size_t kMaxStagedBytes = std::size_t{64} << 20;

 private:
  struct Buffer {
    void* host = nullptr;  // pinned
    std::size_t bytes = 0;
    cudaEvent_t copied = nullptr;
  };
  std::array<Buffer, 4> buffers_;
  std::size_t next_ = 0;
};

}  // namespace nnplug::cuda

#pragma once
// CpuBackend: host memory from a caching allocator, ops on Eigen 3.4, multi-threaded with OpenMP.
// One source, built in several instruction-set variants (see CMakeLists.txt); each variant's probe scores itself.
#include <memory>
#include <string>

#include "caching_allocator.hpp"
#include "nnplug/backend.hpp"

namespace nnplug::cpu {

class CpuBackend final : public Backend {
 public:
  // flush_denormals: treat subnormal floats as zero in the backend's ops, on its compute threads and on the caller's
  // during its calls (see cpu_backend.cpp). bfloat16: float32 convolutions that oneDNN runs read their inputs in
  // bfloat16 (mixed precision; see onednn_convolution.hpp).
  // channel_blocks: those convolutions write their outputs in channel blocks of 16 (convolution_layout()).
  CpuBackend(int threads, bool flush_denormals, bool bfloat16 = false, bool channel_blocks = true);
  std::string name() const override { return "cpu"; }
  std::string device() const override;
  std::shared_ptr<Buffer> allocate(std::size_t bytes) override;
  void upload(const Tensor& dst, const void* host, std::size_t bytes) override;
  void download(void* host, const Tensor& src, std::size_t bytes) override;
  bool supports(const Op& op, DType dtype) const override;
  void run(const Op& op) override;
  bool host_addressable() const override { return true; }  // ops run synchronously on host memory
  void* write_in_place(const Tensor& t) override;
  bool has_layout(Layout) const override { return true; }
  // Channel blocks for float32 outputs whose channels fill whole blocks, where oneDNN is in the build (its direct
  // kernels compute in them): the next convolution, batch norm, pooling and dropout read them without a reorder.
  Layout convolution_layout(const Shape& input, const Shape& output, DType dtype) const override;
  MemoryStats memory_stats() const override {
    return {allocator_.bytes_in_use(), allocator_.bytes_cached(), allocator_.system_allocations()};
  }

  CachingAllocator& allocator() { return allocator_; }

 private:
  int threads_;
  bool flush_denormals_;
  bool bfloat16_;
  bool channel_blocks_;
  CachingAllocator allocator_;
};

// The instruction set this variant was compiled for ("avx512", "avx2", "generic").
const char* variant_name();

}  // namespace nnplug::cpu

#pragma once
// CudaBackend: device memory from a caching allocator, ops on one stream of one GPU. Tensors stay on the device
// between ops; only upload() and download() cross to the host, and download() is where the host waits.
#include <memory>
#include <string>

#include "device_allocator.hpp"
#include "device_context.hpp"
#include "nnplug/backend.hpp"
#include "step_graphs.hpp"
#include "upload_staging.hpp"

namespace nnplug::cuda {

class CudaBackend final : public Backend {
 public:
  // sync_every_op: wait after every op, so that a fault inside a kernel names that op (for debugging; slow).
  // allow_tf32, bfloat16: see DeviceContext. step_graphs: replay step parts as CUDA graphs (step_graphs.hpp).
  CudaBackend(int device, bool sync_every_op, bool allow_tf32, bool bfloat16, bool step_graphs);
  std::string name() const override { return "cuda"; }
  std::string device() const override { return description_; }
  std::shared_ptr<Buffer> allocate(std::size_t bytes) override;
  void upload(const Tensor& dst, const void* host, std::size_t bytes) override;
  void download(void* host, const Tensor& src, std::size_t bytes) override;
  bool supports(const Op& op, DType dtype) const override;
  void run(const Op& op) override;
  // Step parts become CUDA graphs, unless step_graphs is off.
  void run_step(std::string_view name, const std::function<void()>& body) override;
  void synchronize() override;
  MemoryStats memory_stats() const override {
    return {allocator_->bytes_in_use(), allocator_->bytes_cached(), allocator_->system_allocations()};
  }

  StepStats step_stats() const override { return steps_->stats(); }

  DeviceAllocator& allocator() { return *allocator_; }

 private:
  int device_;
  bool sync_every_op_, step_graphs_;
  std::string description_;
  // Declared before the context, so that the context (which holds scratch blocks) is destroyed first.
  std::unique_ptr<DeviceAllocator> allocator_;
  std::unique_ptr<DeviceContext> context_;
  std::unique_ptr<StepGraphs> steps_;  // its graphs go before the context
  UploadStaging staging_;
};

}  // namespace nnplug::cuda

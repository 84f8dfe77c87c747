#include "cuda_backend.hpp"

#include <fmt/format.h>

#include "kernels.hpp"
#include "nnplug/custom_op.hpp"

namespace nnplug::cuda {

namespace {

class DeviceBuffer final : public Buffer {
 public:
  DeviceBuffer(std::shared_ptr<CudaBackend> owner, std::size_t bytes)
      : owner_(std::move(owner)), bytes_(bytes), data_(owner_->allocator().allocate(bytes)) {}
  ~DeviceBuffer() override { owner_->allocator().release(data_, bytes_); }
  void* data() override { return data_; }
  std::size_t bytes() const override { return bytes_; }
  Backend& backend() override { return *owner_; }

 private:
  std::shared_ptr<CudaBackend> owner_;  // the backend (and its allocator) outlives every buffer
  std::size_t bytes_;
  void* data_;
};

bool same_backend(const Tensor& t, const Backend* b) { return !t.defined() || &t.backend() == b; }

std::string describe_device(int device) {
  cudaDeviceProp p{};
  check(cudaGetDeviceProperties(&p, device), "read the device properties");
  return fmt::format("cuda:{} {} (sm_{}{}, {} GiB)", device, p.name, p.major, p.minor, (p.totalGlobalMem + (1 << 29)) >> 30);
}

}  // namespace

CudaBackend::CudaBackend(int device, bool sync_every_op, bool allow_tf32, bool bfloat16, bool step_graphs)
    : device_(device),
      sync_every_op_(sync_every_op),
      step_graphs_(step_graphs),
      description_(describe_device(device) + (allow_tf32 ? ", tf32" : "") + (bfloat16 ? ", bfloat16 matrix products and convolutions" : "") +
                   (step_graphs ? ", step graphs" : "")),
      allocator_(std::make_unique<DeviceAllocator>(device)),
      context_(std::make_unique<DeviceContext>(device, *allocator_, allow_tf32, bfloat16)),
      steps_(std::make_unique<StepGraphs>(*context_)) {}

std::shared_ptr<Buffer> CudaBackend::allocate(std::size_t bytes) {
  require(bytes > 0, "allocate", "cannot allocate 0 bytes");
  auto self = std::static_pointer_cast<CudaBackend>(shared_from_this());
  return std::make_shared<DeviceBuffer>(std::move(self), bytes);
}

void CudaBackend::upload(const Tensor& dst, const void* host, std::size_t bytes) {
  require(same_backend(dst, this) && bytes <= dst.bytes(), "upload",
          [&] { return fmt::format("{} bytes do not fit tensor {}", bytes, dst.describe()); });
  steps_->interrupt();
  staging_.upload(dst.data(), host, bytes, context_->stream());
}

void CudaBackend::download(void* host, const Tensor& src, std::size_t bytes) {
  require(same_backend(src, this) && bytes <= src.bytes(), "download",
          [&] { return fmt::format("{} bytes asked of tensor {}", bytes, src.describe()); });
  steps_->interrupt();
  check(cudaMemcpyAsync(host, src.data(), bytes, cudaMemcpyDeviceToHost, context_->stream()), "download");
  context_->synchronize_and_check("download");
}

bool CudaBackend::supports(const Op& op, DType dtype) const {
  if (const auto* custom = std::get_if<op::Custom>(&op)) return custom->kernel && custom->kernel->runs_on(name(), dtype);
  return dtype == DType::Float32 || dtype == DType::Float64;
}

void CudaBackend::run(const Op& op) {
  steps_->run(op);
  if (sync_every_op_) context_->synchronize_and_check(op_name(op));
}

void CudaBackend::run_step(std::string_view name, const std::function<void()>& body) {
  if (!step_graphs_) return body();
  steps_->run_step(name, body);
}

void CudaBackend::synchronize() {
  steps_->interrupt();
  context_->synchronize_and_check("synchronize");
}

}  // namespace nnplug::cuda

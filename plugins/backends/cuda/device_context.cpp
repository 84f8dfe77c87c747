#include "device_context.hpp"

#include <string>

#include <fmt/format.h>

#include "kernels.hpp"

namespace nnplug::cuda {

namespace {
void check_cublas(const CublasLibrary& blas, cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) throw BackendError(fmt::format("cuda backend: {}: {}", what, blas.status_string(status)));
}
void check_cudnn(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS) throw BackendError(fmt::format("cuda backend: {}: {}", what, cudnnGetErrorString(status)));
}
}  // namespace

DeviceContext::DeviceContext(int device, DeviceAllocator& allocator, bool allow_tf32, bool bfloat16)
    : device_(device), allocator_(allocator), convolution_plans_(allow_tf32), bfloat16_(bfloat16) {
  check(cudaSetDevice(device_), "select the device");
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "create a stream");
  check_cublas(blas_, blas_.create(&cublas_), "cublasCreate");
  check_cublas(blas_, blas_.set_stream(cublas_, stream_), "cublasSetStream");
  // Exact float32 GEMMs by default (no TF32), so that the GPU computes what the CPU computes within float rounding.
  check_cublas(blas_, blas_.set_math_mode(cublas_, allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  cublas_workspace_ = allocator_.allocate(kCublasWorkspaceBytes);
  check_cublas(blas_, blas_.set_workspace(cublas_, cublas_workspace_, kCublasWorkspaceBytes), "cublasSetWorkspace");
  check_cudnn(cudnnCreate(&cudnn_), "cudnnCreate");
  check_cudnn(cudnnSetStream(cudnn_, stream_), "cudnnSetStream");
  error_word_ = static_cast<unsigned*>(allocator_.allocate(sizeof(unsigned)));
  check(cudaMemsetAsync(error_word_, 0, sizeof(unsigned), stream_), "clear the error word");
  check(cudaMallocHost(&error_word_host_, sizeof(unsigned)), "allocate pinned host memory");
}

DeviceContext::~DeviceContext() {
  cudaStreamSynchronize(stream_);
  convolution_plans_ = ConvolutionPlans(false);  // descriptors go before the cuDNN handle
  for (int slot = 0; slot < kScratchSlots; ++slot)
    if (scratch_[slot]) allocator_.release(scratch_[slot], scratch_bytes_[slot]);
  allocator_.release(error_word_, sizeof(unsigned));
  if (cublas_workspace_) allocator_.release(cublas_workspace_, kCublasWorkspaceBytes);
  if (error_word_host_) cudaFreeHost(error_word_host_);
  if (cudnn_) cudnnDestroy(cudnn_);
  if (cublas_) blas_.destroy(cublas_);
  if (stream_) cudaStreamDestroy(stream_);
}

void* DeviceContext::scratch(int slot, std::size_t bytes) {
  if (bytes > scratch_bytes_[slot]) {
    if (scratch_[slot]) allocator_.release(scratch_[slot], scratch_bytes_[slot]);
    scratch_[slot] = nullptr;
    scratch_[slot] = allocator_.allocate(bytes);
    scratch_bytes_[slot] = bytes;
    ++scratch_generation_;
  }
  return scratch_[slot];
}

void DeviceContext::synchronize_and_check(const char* during) {
  check(cudaMemcpyAsync(error_word_host_, error_word_, sizeof(unsigned), cudaMemcpyDeviceToHost, stream_), during);
  check(cudaStreamSynchronize(stream_), during);
  const unsigned word = *error_word_host_;
  if (word == 0) return;
  check(cudaMemsetAsync(error_word_, 0, sizeof(unsigned), stream_), during);
  if (word & kLabelOutOfRange)
    throw BackendError(fmt::format("cuda backend: class_loss: a label is outside [0, C), the number of score columns (seen {})", during));
  if (word & kIndexOutOfRange)
    throw BackendError(
        fmt::format("cuda backend: gather_rows: an index is not a whole number in [0, rows), the table's rows (seen {})", during));
  throw BackendError(fmt::format("cuda backend: a kernel reported error bits {} (seen {})", word, during));
}

}  // namespace nnplug::cuda

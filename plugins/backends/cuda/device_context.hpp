#pragma once
// What every CUDA op needs besides its tensors: the backend's stream, the library handles, scratch memory and the
// device's error word. One per backend; ops run in stream order, so scratch reused by the next op is safe.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "convolution_plans.hpp"
#include "cublas_library.hpp"
#include "device_allocator.hpp"
#include "live_memory.hpp"
#include "live_values.hpp"

namespace nnplug::cuda {

// Bits a kernel sets in the error word when its input is invalid in a way only the device sees (a label out of
// range, an embedding's index that is not a row). The backend reads the word whenever it synchronises and throws,
// naming the op.
enum DeviceErrorBit : unsigned { kLabelOutOfRange = 1u, kIndexOutOfRange = 2u };

class DeviceContext {
 public:
  // allow_tf32: float32 GEMMs and convolutions may use TF32 tensor cores (faster, about 3 decimal digits).
  // bfloat16: float32 GEMMs and convolutions run in mixed precision, inputs rounded to bfloat16 and products summed
  // in float32 (the backend's "precision").
  DeviceContext(int device, DeviceAllocator& allocator, bool allow_tf32, bool bfloat16);
  ~DeviceContext();
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  const CublasLibrary& blas() const { return blas_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  unsigned* error_word() const { return error_word_; }
  ConvolutionPlans& convolution_plans() { return convolution_plans_; }
  bool bfloat16() const { return bfloat16_; }

  // Device memory of at least `bytes` that stays valid until the next call with the same slot. Slot 0 is cuDNN's
  // workspace, slot 1 the double accumulators of reductions, slots 2 to 4 a mixed-precision convolution's bfloat16
  // copies of its operands (kBfloat16Slots).
  static constexpr int kScratchSlots = 5, kBfloat16Slots = 2;
  void* scratch(int slot, std::size_t bytes);
  // Counts the times scratch memory moved: a step graph captured before the last move uses memory it no longer owns.
  std::uint64_t scratch_generation() const { return scratch_generation_; }

  // A kernel's live value (live_values.hpp): the value itself, or while a step is being captured (live memory
  // set) the address of its slot in the graph's live memory.
  template <class V>
  Live<V> live(const V& value) {
    return {value, live_memory_ ? live_memory_->push(value) : nullptr};
  }
  void capture_live_values_into(LiveMemory* memory) { live_memory_ = memory; }

  // Waits for the stream, then throws BackendError if a kernel set an error bit since the last check.
  void synchronize_and_check(const char* during);

 private:
  int device_;
  DeviceAllocator& allocator_;
  cudaStream_t stream_ = nullptr;
  CublasLibrary blas_;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  // cuBLAS's workspace, set explicitly: otherwise cuBLAS allocates one of its own for every captured graph, and may
  // pick other GEMM algorithms inside a capture than outside. 32 MiB is NVIDIA's recommendation for Hopper.
  static constexpr std::size_t kCublasWorkspaceBytes = std::size_t{32} << 20;
  void* cublas_workspace_ = nullptr;
  unsigned* error_word_ = nullptr;       // device
  unsigned* error_word_host_ = nullptr;  // pinned: read back in the same wait as the caller's download
  ConvolutionPlans convolution_plans_;
  bool bfloat16_;
  void* scratch_[kScratchSlots] = {};
  std::size_t scratch_bytes_[kScratchSlots] = {};
  std::uint64_t scratch_generation_ = 0;
  LiveMemory* live_memory_ = nullptr;
};

}  // namespace nnplug::cuda

#pragma once
// cuBLAS, opened when a CUDA backend is created rather than linked. Linking it made every process that loads the
// plugin folder (each test, `nnplug plugins` on a machine without a GPU) map 200 MB and spend 80-900 ms in the
// dynamic loader; now only a process that runs on the GPU pays for it.
#include <cublas_v2.h>

#include <string>

namespace nnplug::cuda {

class CublasLibrary {
 public:
  CublasLibrary();  // throws BackendError naming the library file when it cannot be opened
  CublasLibrary(const CublasLibrary&) = delete;
  CublasLibrary& operator=(const CublasLibrary&) = delete;

  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasSetWorkspace_v2) set_workspace = nullptr;
  decltype(&cublasSgemm_v2) sgemm = nullptr;
  decltype(&cublasDgemm_v2) dgemm = nullptr;
  // Mixed precision: float32 operands, bfloat16 tensor-core products. The C++ header overloads cublasGemmEx with an
  // inline shim taking a cudaDataType compute type; this is the library's own entry point.
  cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*, const void*, cudaDataType, int,
                            const void*, cudaDataType, int, const void*, void*, cudaDataType, int, cublasComputeType_t,
                            cublasGemmAlgo_t) = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;

 private:
  void* handle_ = nullptr;  // never closed: cuBLAS keeps threads and state for the life of the process
};

}  // namespace nnplug::cuda

#include "cublas_library.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug::cuda {

namespace {
// The soname of the toolkit this plugin was compiled against: its declarations must match the functions loaded.
const std::string kLibrary = fmt::format("libcublas.so.{}", CUBLAS_VER_MAJOR);

template <typename F>
void bind(void* handle, F& fn, const char* symbol) {
  fn = reinterpret_cast<F>(dlsym(handle, symbol));
  if (!fn) throw BackendError(fmt::format("cuda backend: {} has no symbol {}", kLibrary, symbol));
}
}  // namespace

CublasLibrary::CublasLibrary() {
  handle_ = dlopen(kLibrary.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  // Not on the search path (an installed plugin without the toolkit's folder in its run path): the toolkit it
  // was built with.
  if (!handle_) handle_ = dlopen((std::string(NNPLUG_CUDA_LIBRARY_DIR "/") + kLibrary).c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle_) {
    const char* why = dlerror();
    throw BackendError(fmt::format("cuda backend: cannot open {}: {}", kLibrary, why ? why : "unknown error"));
  }
  bind(handle_, create, "cublasCreate_v2");
  bind(handle_, destroy, "cublasDestroy_v2");
  bind(handle_, set_stream, "cublasSetStream_v2");
  bind(handle_, set_math_mode, "cublasSetMathMode");
  bind(handle_, set_workspace, "cublasSetWorkspace_v2");
  bind(handle_, sgemm, "cublasSgemm_v2");
  bind(handle_, dgemm, "cublasDgemm_v2");
  bind(handle_, gemm_ex, "cublasGemmEx");
  bind(handle_, status_string, "cublasGetStatusString");
}

}  // namespace nnplug::cuda

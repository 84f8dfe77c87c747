// The entry points of the CUDA backend. The library loads on any machine (it links only the CUDA runtime and
// cuDNN's small loader library); the probe says whether a driver and a device this build can run on are present.
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "cuda_backend.hpp"
#include "precision_parameter.hpp"
#include "nnplug/plugin.hpp"

// Chosen only when asked for (`--backend cuda`, or "backend": "cuda" in a spec): the CPU backend's score is
// higher, so that a spec runs where it ran before unless the user moves it.
constexpr double kScore = 5.0;

NNPLUG_PLUGIN("cuda", "0.1.0", "backend:cuda", 0) {
  registrar.add_backend("cuda", [](const nnplug::Params& p) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) count = 0;
    // Ranks of a data-parallel run on one host take a GPU each (the nccl communicator picks the same one).
    const char* local_rank = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
    const long default_device = local_rank && count > 0 ? std::strtol(local_rank, nullptr, 10) % count : 0;
    const auto device = p.integer("device", default_device, 0, 1023);
    const bool sync_every_op = p.boolean("sync_every_op", false);
    const bool allow_tf32 = p.boolean("allow_tf32", false);
    const bool step_graphs = p.boolean("step_graphs", true);
    // "bfloat16": float32 GEMMs and convolutions on bfloat16 tensor cores (sm_80 and newer), as PyTorch's autocast.
    const bool bfloat16 = nnplug::backends::asks_for_bfloat16(p);
    p.check_unused();
    if (device >= count)
      throw nnplug::InvalidArgument(fmt::format("cuda backend: device {} asked for, this machine has {}", device, count));
    if (bfloat16) {
      cudaDeviceProp props{};
      if (cudaGetDeviceProperties(&props, static_cast<int>(device)) != cudaSuccess || props.major < 8)
        p.fail("precision", fmt::format("bfloat16 is unusable here: {} (sm_{}{}) has no bfloat16 tensor cores (sm_80 and newer have)",
                                        props.name, props.major, props.minor));
    }
    return std::make_unique<nnplug::cuda::CudaBackend>(static_cast<int>(device), sync_every_op, allow_tf32, bfloat16,
                                                         step_graphs && !sync_every_op);
  });
}

NNPLUG_PLUGIN_PROBE() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    // The runtime reports a missing driver as an old one; say which it is.
    if (!dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) return {0.0, "no CUDA driver on this machine (libcuda.so.1 not found)"};
    return {0.0, std::string("no usable CUDA device: ") + cudaGetErrorString(status)};
  }
  if (count == 0) return {0.0, "the CUDA driver sees no device"};
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return {0.0, "cannot read the properties of CUDA device 0"};
  if (p.major * 10 + p.minor < NNPLUG_CUDA_MIN_ARCH)
    return {0.0, fmt::format("{} is sm_{}; this build runs on sm_{} and newer (set CMAKE_CUDA_ARCHITECTURES and rebuild)", p.name,
                             p.major * 10 + p.minor, NNPLUG_CUDA_MIN_ARCH)};
  return {kScore, ""};
}

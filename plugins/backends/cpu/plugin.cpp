// The entry points of one CPU backend variant. Every variant registers the name "cpu"; the loader keeps the
// highest-priority variant whose probe finds the instruction set it was compiled for.
#include <omp.h>
#include <sched.h>

#include <charconv>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "cpu_backend.hpp"
#include "onednn_convolution.hpp"
#include "precision_parameter.hpp"
#include "nnplug/plugin.hpp"

namespace nnplug::cpu {
const char* variant_name() { return NNPLUG_CPU_VARIANT; }
}  // namespace nnplug::cpu

namespace {

// The threads when the spec gives none, as PyTorch chooses them: OMP_NUM_THREADS where it is set (its first value,
// libgomp's outer level), else the cores this process may run on (taskset, a container's or a batch system's
// cpuset: not every core of the machine), shared with the ranks of a data-parallel run on the same host (Open MPI
// says how many there are).
std::int64_t default_threads() {
  if (const char* omp = std::getenv("OMP_NUM_THREADS")) {
    const std::string_view text(omp);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && n >= 1 && n <= 1024 && (end == text.data() + text.size() || *end == ',')) return n;
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const int cores = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 ? CPU_COUNT(&allowed)
                                                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const char* local_ranks = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const auto sharing = std::max(1L, local_ranks ? std::strtol(local_ranks, nullptr, 10) : 1L);
  return std::max<std::int64_t>(1, cores / sharing);
}

}  // namespace

NNPLUG_PLUGIN("cpu_" NNPLUG_CPU_VARIANT, "0.1.0", "backend:cpu", NNPLUG_CPU_PRIORITY) {
  registrar.add_backend("cpu", [](const nnplug::Params& p) {
    const auto threads = p.integer("threads", default_threads(), 1, 1024);
    const bool flush_denormals = p.boolean("flush_denormals", true);
    // "bfloat16": float32 matrix products and convolutions read their inputs in bfloat16, as PyTorch's autocast.
    const bool bfloat16 = nnplug::backends::asks_for_bfloat16(p);
    if (bfloat16 && !nnplug::cpu::onednn_has_bfloat16())
      p.fail("precision", "bfloat16 is unusable here: the CPU has no bfloat16 support (AVX-512 BF16 or AMX), or nnplug was built without oneDNN");
    // false: convolutions write row-major images, reordered from oneDNN's channel blocks (to compare the two).
    const bool channel_blocks = p.boolean("channel_blocks", true);
    p.check_unused();
    return std::make_unique<nnplug::cpu::CpuBackend>(static_cast<int>(threads), flush_denormals, bfloat16, channel_blocks);
  });
}

NNPLUG_PLUGIN_PROBE() {
  __builtin_cpu_init();
  const std::string variant = NNPLUG_CPU_VARIANT;
  if (variant == "avx512" && !(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")))
    return {0.0, "this CPU lacks AVX-512 (F, VL, BW, DQ)"};
  if (variant == "avx2" && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
    return {0.0, "this CPU lacks AVX2 and FMA"};
  return {static_cast<double>(NNPLUG_CPU_PRIORITY), ""};
}

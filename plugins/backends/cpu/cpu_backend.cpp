#include "cpu_backend.hpp"

#include <malloc.h>
#include <xmmintrin.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <Eigen/Core>

#include <fmt/format.h>

#include "cpu_buffer.hpp"
#include "kernels.hpp"
#include "nnplug/custom_op.hpp"

namespace nnplug::cpu {

namespace {

// Eigen sizes its GEMM blocks from the cache sizes it detects. These virtual machines report a 532 MB L3, which
// makes Eigen choose blocks far too large for the real caches; measured here, stating realistic sizes raised the
// MLP's GEMMs from 150 to 240 GFLOP/s on two threads. A value the OS reports is kept when it is plausible.
void set_eigen_cache_sizes() {
  auto sized = [](int name, long fallback, long max) {
    const long v = sysconf(name);
    return v > 0 && v <= max ? v : fallback;
  };
  const long l1 = sized(_SC_LEVEL1_DCACHE_SIZE, 32 << 10, 128 << 10);
  const long l2 = sized(_SC_LEVEL2_CACHE_SIZE, 512 << 10, 4 << 20);
  const long l3 = sized(_SC_LEVEL3_CACHE_SIZE, 8 << 20, 64 << 20);
  Eigen::setCpuCacheSizes(l1, l2, l3);
}

bool same_backend(const Tensor& t, const Backend* b) { return !t.defined() || &t.backend() == b; }

// Subnormal floats take the slow path of x86 arithmetic units: a network whose activations decay towards zero
// (weights drawn with std 0.01, experiment X6) trained at 3,000 instead of 77,000 samples/s here. Setting
// flush-to-zero and denormals-are-zero (MXCSR bits 15 and 6) treats them as 0, as TensorFlow does by default.
// The bits are per thread. The OpenMP workers, which compute for the backend, keep them; the calling thread has them
// only during the backend's own calls (FlushDenormals), so that the program that uses the backend (a Python
// session's NumPy) keeps its subnormals in its own arithmetic, as it does beside PyTorch.
#if defined(__SSE__) || defined(__x86_64__)
constexpr unsigned kFlushBits = 0x8040;
unsigned with_flush(unsigned csr, bool on) { return on ? (csr | kFlushBits) : (csr & ~kFlushBits); }

void set_worker_flush(bool on) {
#pragma omp parallel
  if (omp_get_thread_num() != 0) _mm_setcsr(with_flush(_mm_getcsr(), on));
}

// The calling thread's MXCSR with the backend's setting for the scope of a call, and as it was after. Writing the
// register costs about 10 ns a call here (op_dispatch_bench's built-in op: 54 against 64 ns), so it is written only
// where the setting differs.
class FlushDenormals {
 public:
  explicit FlushDenormals(bool on) : saved_(_mm_getcsr()), wanted_(with_flush(saved_, on)) {
    if (wanted_ != saved_) _mm_setcsr(wanted_);
  }
  ~FlushDenormals() {
    if (wanted_ != saved_) _mm_setcsr(saved_);
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_, wanted_;
};
#else
void set_worker_flush(bool) {}
struct FlushDenormals {
  explicit FlushDenormals(bool) {}
};
#endif

// The output whose bfloat16 copy (where its buffer keeps one) an op writes as it writes the output: the weights
// that Adam updates; the inputs of the next convolution that a dropout or a batch norm writes, and the gradient of
// the convolution before that a batch norm's input gradient is; the gradient of a product's output that an
// activation's gradient is.
const Tensor& output_rounded_in_pass(const op::AdamStep& o) { return o.param; }
const Tensor& output_rounded_in_pass(const op::ActivationGrad& o) { return o.dx; }
const Tensor& output_rounded_in_pass(const op::Dropout& o) { return o.y; }
const Tensor& output_rounded_in_pass(const op::BatchNorm& o) { return o.y; }
const Tensor& output_rounded_in_pass(const op::BatchNormGrad& o) { return o.dx; }

}  // namespace

CpuBackend::CpuBackend(int threads, bool flush_denormals, bool bfloat16, bool channel_blocks)
    : threads_(threads), flush_denormals_(flush_denormals), bfloat16_(bfloat16), channel_blocks_(channel_blocks) {
  // Eigen allocates its GEMM packing buffers on every product. Keeping freed heap memory mapped (instead of
  // glibc returning it to the system and faulting it in again) took a training step from 45,000 back to
  // 120,000 samples/s here. This is a process-wide setting, made once, for the process that uses this backend.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  omp_set_num_threads(threads_);
  Eigen::setNbThreads(threads_);
  set_eigen_cache_sizes();
  set_worker_flush(flush_denormals_);
}

std::string CpuBackend::device() const {
  return fmt::format("cpu {}, {} thread{}{}", variant_name(), threads_, threads_ > 1 ? "s" : "", bfloat16_ ? ", bfloat16 matrix products and convolutions" : "");
}

std::shared_ptr<Buffer> CpuBackend::allocate(std::size_t bytes) {
  require(bytes > 0, "allocate", "cannot allocate 0 bytes");
  auto self = std::static_pointer_cast<CpuBackend>(shared_from_this());
  return std::make_shared<CpuBuffer>(std::move(self), bytes);
}

void CpuBackend::upload(const Tensor& dst, const void* host, std::size_t bytes) {
  require(same_backend(dst, this) && bytes <= dst.bytes(), "upload",
          [&] { return fmt::format("{} bytes do not fit tensor {}", bytes, dst.describe()); });
  const InsideBackend inside;
  cpu_buffer(dst).drop_copies(dst);
  std::memcpy(dst.data(), host, bytes);
}

void CpuBackend::download(void* host, const Tensor& src, std::size_t bytes) {
  require(same_backend(src, this) && bytes <= src.bytes(), "download",
          [&] { return fmt::format("{} bytes asked of tensor {}", bytes, src.describe()); });
  const InsideBackend inside;
  std::memcpy(host, src.data(), bytes);
}

void* CpuBackend::write_in_place(const Tensor& t) {
  require(same_backend(t, this) && t.defined(), "write_in_place", [&] { return fmt::format("tensor {} is not this backend's", t.describe()); });
  const InsideBackend inside;
  cpu_buffer(t).drop_copies(t);
  return t.data();
}

bool CpuBackend::supports(const Op& op, DType dtype) const {
  if (const auto* custom = std::get_if<op::Custom>(&op))
    return custom->kernel && custom->kernel->runs_on(name(), dtype);
  return dtype == DType::Float32 || dtype == DType::Float64;
}

Layout CpuBackend::convolution_layout(const Shape&, const Shape& output, DType dtype) const {
#if NNPLUG_HAVE_ONEDNN
  // oneDNN's float32 convolutions compute in blocks; so does a first layer's, whose few input channels leave it to
  // im2col only where its output is NCHW.
  const bool blocks = channel_blocks_ && dtype == DType::Float32 && output.rank() == 4 && output[1] % kChannelBlock == 0;
  return blocks ? Layout::ChannelBlocks16 : Layout::RowMajor;
#else
  (void)output, (void)dtype;
  return Layout::RowMajor;
#endif
}

void CpuBackend::run(const Op& op) {
  const InsideBackend inside;
  const FlushDenormals flush(flush_denormals_);
  check_layouts(op);
  // Mixed precision keeps the products' and convolutions' inputs rounded to bfloat16 while nothing changes them
  // (cpu_buffer.hpp): an op that can updates its output's copy as it writes the output, and any other copy of a
  // tensor the op names is dropped, even when the op throws half-way.
  std::uint16_t* updated = nullptr;
  try {
    std::visit(
        [&](const auto& o) {
          using Kind = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<Kind, op::Custom>) {
            require(o.kernel && o.kernel->backend == name(), "custom", "the op's kernel is not a cpu kernel");
            o.kernel->run(OpCall(*o.kernel->op, *this, o.inputs, o.outputs, o.attributes));
          } else if constexpr (std::is_same_v<Kind, op::Conv2d> || std::is_same_v<Kind, op::Conv2dGrad> || std::is_same_v<Kind, op::Gemm>) {
            run_kernel(o, bfloat16_);
          } else if constexpr (requires { output_rounded_in_pass(o); }) {
            const Tensor& out = output_rounded_in_pass(o);
            if (bfloat16_ && out.defined() && out.dtype() == DType::Float32) updated = cpu_buffer(out).copy_to_update(out);
            run_kernel(o, updated);
          } else {
            run_kernel(o);
          }
        },
        op);
  } catch (...) {
    if (bfloat16_) drop_copies_touched_by(op, nullptr);
    throw;
  }
  if (bfloat16_) drop_copies_touched_by(op, updated);
}

}  // namespace nnplug::cpu

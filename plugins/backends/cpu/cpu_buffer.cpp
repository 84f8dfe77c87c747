#include "cpu_buffer.hpp"

#include <algorithm>
#include <type_traits>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "bfloat16.hpp"
#include "cpu_backend.hpp"
#include "kernels.hpp"
#include "op_signature.hpp"

namespace nnplug::cpu {

namespace {

thread_local int inside_backend = 0;

// A tensor's place in its buffer in bytes, so that views of any dtype compare.
std::size_t first_byte(const Tensor& t) { return t.offset() * dtype_size(t.dtype()); }
std::size_t end_byte(const Tensor& t) { return first_byte(t) + t.bytes(); }

void drop_copies_of(const Tensor& t, const std::uint16_t* kept) {
  if (t.defined()) cpu_buffer(t).drop_copies(t, kept);
}

}  // namespace

#if defined(__x86_64__)
namespace {
// AVX-512 BF16's conversion, 32 values an instruction (the last few by to_bfloat16): the same rounding, but that the
// instruction makes a denormal input a zero of its sign (the CPU backend flushes denormals by default anyway). The
// demo's batch of 128 x 784 took 4.4 us on one thread against 6.5 for the vectorised plain loop.
[[gnu::target("avx512bf16,avx512f")]] void round_on_avx512_bf16(const float* from, std::uint16_t* to, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    _mm512_storeu_si512(to + i, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(_mm512_loadu_ps(from + i + 16), _mm512_loadu_ps(from + i))));
  for (; i < n; ++i) to[i] = backends::to_bfloat16(from[i]);
}
}  // namespace
#endif

// A plain loop, or AVX-512 BF16's conversion where the CPU has it: oneDNN's reorder took 60 us for the demo's batch
// of 128 x 784, and with the plain loop the demo trained 1.17-1.41x faster in bfloat16.
void round_range_to_bfloat16(const float* from, std::uint16_t* to, std::int64_t n) {
#if defined(__x86_64__)
  static const bool avx512_bf16 = __builtin_cpu_supports("avx512bf16");
  if (avx512_bf16) return round_on_avx512_bf16(from, to, n);
#endif
  for (std::int64_t i = 0; i < n; ++i) to[i] = backends::to_bfloat16(from[i]);
}

void round_to_bfloat16(const float* from, std::uint16_t* to, std::int64_t n) {
  parallel_chunks(n, [&](std::int64_t begin, std::int64_t end) { round_range_to_bfloat16(from + begin, to + begin, end - begin); });
}

InsideBackend::InsideBackend() { ++inside_backend; }
InsideBackend::~InsideBackend() { --inside_backend; }

CpuBuffer::CpuBuffer(std::shared_ptr<CpuBackend> owner, std::size_t bytes)
    : owner_(std::move(owner)), bytes_(bytes), data_(owner_->allocator().allocate(bytes)) {}

CpuBuffer::~CpuBuffer() {
  for (const Copy& c : copies_) owner_->allocator().release(c.values, c.count * sizeof(std::uint16_t));
  owner_->allocator().release(data_, bytes_);
}

void* CpuBuffer::data() {
  // Stored once: a store on every call from two threads bounced the buffer's cache line between their cores (X11's
  // pooling, which asked data() per window on OpenMP's threads, took 0.3 to 3 ms a call).
  if (inside_backend == 0 && !exposed_.load(std::memory_order_relaxed)) exposed_.store(true, std::memory_order_relaxed);
  return data_;
}

Backend& CpuBuffer::backend() { return *owner_; }

CpuBuffer::Copy* CpuBuffer::find(const Tensor& t) {
  const auto it = std::find_if(copies_.begin(), copies_.end(), [&](const Copy& c) {
    return c.offset == first_byte(t) && c.count == static_cast<std::size_t>(t.numel());
  });
  return it == copies_.end() ? nullptr : &*it;
}

const std::uint16_t* CpuBuffer::rounded(const Tensor& t, std::vector<std::uint16_t>& scratch) {
  const float* from = t.data<float>();
  if (exposed_.load(std::memory_order_relaxed)) {
    scratch.resize(static_cast<std::size_t>(t.numel()));
    round_to_bfloat16(from, scratch.data(), t.numel());
    return scratch.data();
  }
  Copy* copy = find(t);
  if (!copy) {
    const auto count = static_cast<std::size_t>(t.numel());
    copies_.push_back({first_byte(t), count, static_cast<std::uint16_t*>(owner_->allocator().allocate(count * sizeof(std::uint16_t))), false});
    copy = &copies_.back();
  }
  if (!copy->current) round_to_bfloat16(from, copy->values, t.numel());
  copy->current = true;
  return copy->values;
}

std::uint16_t* CpuBuffer::copy_to_update(const Tensor& t) {
  Copy* copy = exposed_.load(std::memory_order_relaxed) ? nullptr : find(t);
  return copy && copy->current ? copy->values : nullptr;
}

void CpuBuffer::drop_copies(const Tensor& t, const std::uint16_t* kept) {
  for (Copy& c : copies_)
    if (c.values != kept && c.offset < end_byte(t) && first_byte(t) < c.offset + c.count * sizeof(float)) c.current = false;
}

void drop_copies_touched_by(const Op& op, const std::uint16_t* kept) {
  std::visit(
      [&](const auto& o) {
        backends::with_fields(o, [&](const auto&... field) {
          const auto drop = [&](const auto& f) {
            using Field = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<Field, Tensor>) {
              using Kind = std::decay_t<decltype(o)>;  // the inputs read rounded keep the copies the op made
              if constexpr (std::is_same_v<Kind, op::Gemm>)
                if (&f == &o.a || &f == &o.b) return;
              if constexpr (std::is_same_v<Kind, op::Conv2d>)
                if (&f == &o.x) return;
              if constexpr (std::is_same_v<Kind, op::Conv2dGrad>)
                if (&f == &o.x || &f == &o.dy) return;
              drop_copies_of(f, kept);
            } else if constexpr (std::is_same_v<Field, std::vector<Tensor>>) {
              for (const Tensor& t : f) drop_copies_of(t, kept);
            }
          };
          (drop(field), ...);
        });
      },
      op);
}

}  // namespace nnplug::cpu

#pragma once
// CpuBuffer: host memory from the backend's caching allocator, and the bfloat16 copies that mixed precision keeps
// of it.
//
// In mixed precision every product reads its float32 inputs rounded to bfloat16, and rounding them took a quarter
// of the demo MLP's step. Most inputs are read by more than one product before they change: a layer's input by
// its forward product and by its weight gradient's, a weight by the forward product and by the input gradient's,
// and from one step to the next when only the optimizer writes it; a convolution's input by its forward and its
// weight gradient, its output's gradient by its data gradient and its weight gradient. So a buffer keeps the copies
// its products and convolutions made, and the backend drops a copy whenever the values may have changed:
// - after an op that names the tensor in any field but the inputs it reads rounded (a product's two, a
//   convolution's input and its output's gradient), whether the op writes or reads it (drop_copies_touched_by), so
//   that an op or a field added later is safe without anyone listing what it writes;
// - on upload() or write_in_place() into it (the trainer gathers its batches in place that way);
// - for good, once data() is asked from outside the backend's own calls (see InsideBackend): whoever holds the
//   address (a communicator reducing gradients, a DLPack view) may write through it at any time, so such a buffer
//   keeps no copies.
// An Adam step writes its parameter's copy in the same pass instead of dropping it (optimizer_kernels.cpp).
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "nnplug/ops.hpp"
#include "nnplug/tensor.hpp"

namespace nnplug::cpu {

class CpuBackend;

// Marks the calling thread as running the backend's own code (run, upload, download, and a kernel's chunks on
// OpenMP's threads, parallel_chunks) for its lifetime: data() asked there is the backend's, not an outside holder's.
class InsideBackend {
 public:
  InsideBackend();
  ~InsideBackend();
  InsideBackend(const InsideBackend&) = delete;
  InsideBackend& operator=(const InsideBackend&) = delete;
};

class CpuBuffer final : public Buffer {
 public:
  CpuBuffer(std::shared_ptr<CpuBackend> owner, std::size_t bytes);
  ~CpuBuffer() override;
  void* data() override;
  std::size_t bytes() const override { return bytes_; }
  Backend& backend() override;

  // The float32 tensor t (a view of this buffer) rounded to bfloat16, in t's element order: the copy kept since
  // an earlier product where nothing may have changed t since, else rounded afresh into a kept copy, or into
  // `scratch` where this buffer keeps none.
  const std::uint16_t* rounded(const Tensor& t, std::vector<std::uint16_t>& scratch);
  // The current copy of exactly t's elements, for an op that writes t to write as well; nullptr if there is none.
  std::uint16_t* copy_to_update(const Tensor& t);
  // Drops the copies that share an element with t, except `kept`.
  void drop_copies(const Tensor& t, const std::uint16_t* kept = nullptr);

 private:
  struct Copy {
    std::size_t offset;  // in bytes: where the float32 elements it rounds start in the buffer
    std::size_t count;   // how many
    std::uint16_t* values;      // from the allocator, kept while the buffer lives so that a dropped copy is remade in place
    bool current;
  };
  Copy* find(const Tensor& t);

  std::shared_ptr<CpuBackend> owner_;  // the backend (and its allocator) outlives every buffer
  std::size_t bytes_;
  void* data_;
  std::vector<Copy> copies_;        // used by the backend's thread only
  std::atomic<bool> exposed_{false};  // set from any thread that asks data() from outside
};

// The CpuBuffer behind t, a tensor of a CPU backend.
inline CpuBuffer& cpu_buffer(const Tensor& t) { return static_cast<CpuBuffer&>(*t.buffer()); }

// After op ran: drops every copy of the tensors the op names, but the inputs a product read and `kept` (the copy the
// op itself brought up to date).
void drop_copies_touched_by(const Op& op, const std::uint16_t* kept);

}  // namespace nnplug::cpu

#pragma once
// Communicator: how the processes of one data-parallel run reach each other. Every process (rank) holds the whole
// model and trains on its share of each global batch; the trainer averages gradients with all_reduce_async() while
// the backward pass goes on, and reduces metrics with all_gather(). A communicator is a plugin like a backend: the
// framework knows only this interface ("local" for one process, "mpi", "nccl").
//
// Collectives are matched by order: every rank must start the same collectives, in the same order, on tensors of
// the same shape and dtype. A rank that cannot go on calls abort(), so that no other rank waits for it forever.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nnplug/errors.hpp"
#include "nnplug/export.hpp"
#include "nnplug/tensor.hpp"

namespace nnplug {

// A collective failed or did not finish in time (a rank died, the network dropped).
class NNPLUG_API CommunicatorError : public Error {
 public:
  using Error::Error;
};

enum class ReduceOp : std::uint8_t { Sum, Average };

inline const char* reduce_op_name(ReduceOp op) { return op == ReduceOp::Sum ? "sum" : "average"; }

// How an all-reduce's values travel. BFloat16 (as PyTorch DDP's bf16_compress_hook) sends floating-point values
// as bfloat16, half the bytes of float32: every rank's values are rounded to bfloat16, summed in float32 and rounded
// again at each step of the reduction, and the result is widened back. Gradients tolerate this; statistics and
// metrics do not, so the trainer asks for it only for gradient buckets, and only when the spec says so.
enum class Compression : std::uint8_t { None, BFloat16 };

inline const char* compression_name(Compression c) { return c == Compression::None ? "none" : "bfloat16"; }

// An all-reduce in flight. The tensor must be neither read nor written until wait() has returned; wait() throws
// CommunicatorError when the reduction failed or timed out. Destroying a handle that was not waited for waits.
class NNPLUG_API PendingReduction {
 public:
  virtual ~PendingReduction() = default;
  virtual void wait() = 0;
};

class NNPLUG_API Communicator {
 public:
  virtual ~Communicator() = default;

  // The registered name ("mpi") and where this rank runs ("Open MPI v4.1.4, rank 0 of 2 on host-a").
  virtual std::string name() const = 0;
  virtual std::string describe() const = 0;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Starts an in-place reduction of `t` (contiguous, float32, float64 or int32, on any backend) over every rank.
  // Ops already issued on t's backend are part of its value. Average divides the sum by size(). A communicator
  // that cannot send with `compression` throws InvalidArgument saying so; int32 values are never compressed.
  virtual std::unique_ptr<PendingReduction> all_reduce_async(const Tensor& t, ReduceOp op, Compression compression) = 0;
  std::unique_ptr<PendingReduction> all_reduce_async(const Tensor& t, ReduceOp op) { return all_reduce_async(t, op, Compression::None); }
  void all_reduce(const Tensor& t, ReduceOp op) { all_reduce_async(t, op)->wait(); }

  // Every rank's `t` takes root's value.
  virtual void broadcast(const Tensor& t, int root) = 0;
  virtual void barrier() = 0;

  // Host bytes, `bytes` from every rank (the same count on each), concatenated in rank order.
  virtual std::vector<unsigned char> all_gather(const void* data, std::size_t bytes) = 0;

  // Ends every rank of the run with a non-zero exit: for a rank that failed, so that the others stop within
  // seconds instead of waiting in a collective. `message` says which rank and why. Does not return.
  [[noreturn]] virtual void abort(const std::string& message) = 0;
};

}  // namespace nnplug

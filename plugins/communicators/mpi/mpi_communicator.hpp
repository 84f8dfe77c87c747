#pragma once
// Communicator 'mpi': the ranks that mpirun started, over whatever transport Open MPI picks (shared memory on one
// host, TCP or InfiniBand between hosts). Every MPI call runs on the CallQueue's thread, so an all-reduce overlaps
// the trainer's work; a collective that has not finished after `timeout` seconds throws CommunicatorError instead
// of waiting forever (a rank died, the network dropped), and abort() then ends every rank.
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "call_queue.hpp"
#include "nnplug/communicator.hpp"

namespace nnplug::mpi {

// What an all-reduce sent as bfloat16 needs: the sum of two bfloat16 vectors as an MPI operation, and the words
// sent, kept from one reduction to the next (only the MPI thread touches them).
struct BFloat16Wire {
  MPI_Op sum = MPI_OP_NULL;
  std::vector<std::uint16_t> words;
};

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(std::chrono::milliseconds timeout);
  ~MpiCommunicator() override;

  std::string name() const override { return "mpi"; }
  std::string describe() const override { return description_; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::unique_ptr<PendingReduction> all_reduce_async(const Tensor& t, ReduceOp op, Compression compression) override;
  void broadcast(const Tensor& t, int root) override;
  void barrier() override;
  std::vector<unsigned char> all_gather(const void* data, std::size_t bytes) override;
  [[noreturn]] void abort(const std::string& message) override;

  // Waits for a call submitted to the queue; throws CommunicatorError naming `what` when it fails or times out.
  // After a timeout the communicator is broken: every later wait fails at once.
  void await(std::future<void>& done, const std::string& what) const;
  // Waits (at most the timeout) for a call whose outcome nobody reads.
  void settle(std::future<void>& done) const;

 private:
  // Runs `call` on the MPI thread and waits for it.
  void run(const std::string& what, std::function<void()> call);

  std::chrono::milliseconds timeout_;
  bool initialized_here_ = false;
  mutable bool broken_ = false;
  MPI_Comm comm_ = MPI_COMM_NULL;
  BFloat16Wire bfloat16_wire_;
  int rank_ = 0, size_ = 1;
  std::string description_;
  std::unique_ptr<CallQueue> queue_;
};

}  // namespace nnplug::mpi

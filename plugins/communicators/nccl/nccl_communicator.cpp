// Communicator 'nccl': all-reduce and broadcast of CUDA tensors on the GPUs, with NCCL; its host collectives
// (all_gather, barrier) and its start (rank 0's NCCL id broadcast to the others) go over MPI, so mpirun starts it.
// Started without mpirun it is a world of one rank on the first GPU, with no MPI at all (as PyTorch's NCCL process
// group of world size 1): a single-GPU machine, which cannot hold two NCCL ranks, still runs its reductions.
// Rank r uses GPU (local rank mod GPUs), as the cuda backend does by default under mpirun. A reduction runs on a
// stream of its own once the backend has finished what it was asked before (Backend::synchronize), so backward
// goes on while it runs; wait() waits for its stream. Tensors whose memory the host addresses (the cpu backend)
// belong to the mpi communicator and are refused. Chosen when asked for (--communicator nccl).
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "mpi_job.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

void check_nccl(ncclResult_t r, const std::string& what) {
  if (r != ncclSuccess) throw CommunicatorError(fmt::format("nccl: {} failed: {}", what, ncclGetErrorString(r)));
}
void check_cuda(cudaError_t r, const std::string& what) {
  if (r != cudaSuccess) throw CommunicatorError(fmt::format("nccl: {} failed: {}", what, cudaGetErrorString(r)));
}
void check_mpi(int r, const std::string& what) {
  if (r != MPI_SUCCESS) throw CommunicatorError(fmt::format("nccl: {} (over MPI) failed with MPI error {}", what, r));
}

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return ncclFloat32;
    case DType::Float64: return ncclFloat64;
    case DType::Int32: return ncclInt32;
  }
  throw CommunicatorError("nccl: no NCCL type for this dtype");
}

int local_rank() {
  const char* v = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  return v ? static_cast<int>(std::strtol(v, nullptr, 10)) : 0;
}

// A reduction on the communicator's stream: done when the event recorded after it has completed. The tensor is
// held until then.
class NcclPending final : public PendingReduction {
 public:
  NcclPending(cudaEvent_t done, Tensor held, std::chrono::milliseconds timeout, std::string what)
      : done_(done), held_(std::move(held)), timeout_(timeout), what_(std::move(what)) {}
  ~NcclPending() override {
    if (done_) cudaEventSynchronize(done_), cudaEventDestroy(done_);
  }
  void wait() override {
    if (!done_) return;
    // Polled rather than waited for, so that a peer that never arrives ends in an error, not in a hang.
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    cudaError_t status;
    while ((status = cudaEventQuery(done_)) == cudaErrorNotReady) {
      if (std::chrono::steady_clock::now() > deadline)
        throw CommunicatorError(fmt::format("nccl: {} did not finish within {:.3f} s (another rank may have died or stopped); the "
                                            "communicator's \"timeout\" sets the limit", what_, timeout_.count() / 1000.0));
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    check_cuda(status, what_);
    cudaEventDestroy(done_);
    done_ = nullptr;
  }

 private:
  cudaEvent_t done_;
  Tensor held_;
  std::chrono::milliseconds timeout_;
  std::string what_;
};

class NcclCommunicator final : public Communicator {
 public:
  explicit NcclCommunicator(std::chrono::milliseconds timeout) : timeout_(timeout) {
    if (communicators::launched_as_a_rank()) start_mpi();
    int devices = 0;
    check_cuda(cudaGetDeviceCount(&devices), "counting the GPUs");
    const char* local_size = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    if (local_size && std::strtol(local_size, nullptr, 10) > devices)
      throw InvalidArgument(fmt::format("nccl: {} ranks on this host share {} GPU(s); NCCL needs a GPU for each (start fewer ranks per "
                                        "host, or use --communicator mpi)", local_size, devices));
    device_ = local_rank() % devices;
    check_cuda(cudaSetDevice(device_), fmt::format("selecting GPU {}", device_));
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "creating a stream");
    ncclUniqueId id{};
    if (rank_ == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    if (mpi_ != MPI_COMM_NULL) check_mpi(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, mpi_), "broadcasting the NCCL id");
    check_nccl(ncclCommInitRank(&comm_, size_, id, rank_), "ncclCommInitRank");
    int version = 0;
    ncclGetVersion(&version);
    cudaDeviceProp p{};
    cudaGetDeviceProperties(&p, device_);
    description_ = fmt::format("NCCL {}.{}, rank {} of {} on GPU {} ({})", version / 10000, version / 100 % 100, rank_, size_, device_, p.name);
  }
  ~NcclCommunicator() override {
    if (comm_) ncclCommDestroy(comm_);
    if (stream_) cudaStreamDestroy(stream_);
    if (mpi_ == MPI_COMM_NULL) return;
    MPI_Comm_free(&mpi_);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (initialized_here_ && !finalized) MPI_Finalize();
  }

  std::string name() const override { return "nccl"; }
  std::string describe() const override { return description_; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  std::unique_ptr<PendingReduction> all_reduce_async(const Tensor& t, ReduceOp op, Compression compression) override {
    const std::string what = fmt::format("all-reduce ({}) of {}", reduce_op_name(op), t.describe());
    // Rounding to bfloat16 would take a kernel on the GPU, and this communicator has none of its own.
    if (compression != Compression::None)
      throw InvalidArgument(fmt::format("nccl: {}: {} compression is not available on this communicator yet; set the spec's "
                                        "training.gradient_compression to \"none\"", what, compression_name(compression)));
    require_device_tensor(t, what);
    t.backend().synchronize();  // the tensor's value is what the backend was asked to compute so far
    check_nccl(ncclAllReduce(t.data(), t.data(), static_cast<std::size_t>(t.numel()), nccl_type(t.dtype()),
                             op == ReduceOp::Sum ? ncclSum : ncclAvg, comm_, stream_),
               what);
    cudaEvent_t done = nullptr;
    check_cuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), what);
    check_cuda(cudaEventRecord(done, stream_), what);
    return std::make_unique<NcclPending>(done, t, timeout_, what);
  }

  void broadcast(const Tensor& t, int root) override {
    const std::string what = fmt::format("broadcast of {} from rank {}", t.describe(), root);
    require_device_tensor(t, what);
    t.backend().synchronize();
    check_nccl(ncclBroadcast(t.data(), t.data(), static_cast<std::size_t>(t.numel()), nccl_type(t.dtype()), root, comm_, stream_), what);
    cudaEvent_t done = nullptr;
    check_cuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), what);
    check_cuda(cudaEventRecord(done, stream_), what);
    NcclPending(done, t, timeout_, what).wait();
  }

  void barrier() override {
    if (mpi_ != MPI_COMM_NULL) check_mpi(MPI_Barrier(mpi_), "barrier");
  }

  std::vector<unsigned char> all_gather(const void* data, std::size_t bytes) override {
    if (mpi_ == MPI_COMM_NULL) return {static_cast<const unsigned char*>(data), static_cast<const unsigned char*>(data) + bytes};
    std::vector<unsigned char> out(bytes * static_cast<std::size_t>(size_));
    check_mpi(MPI_Allgather(data, static_cast<int>(bytes), MPI_BYTE, out.data(), static_cast<int>(bytes), MPI_BYTE, mpi_), "all-gather");
    return out;
  }

  [[noreturn]] void abort(const std::string& message) override {
    if (comm_) ncclCommAbort(comm_);
    if (mpi_ != MPI_COMM_NULL) communicators::abort_mpi_job(size_, message);
    std::_Exit(1);  // alone: nobody else to stop
  }

 private:
  void require_device_tensor(const Tensor& t, const std::string& what) const {
    if (t.backend().host_addressable())
      throw InvalidArgument(fmt::format("nccl: {} is on the {} backend, in host memory; NCCL reduces GPU tensors (--backend cuda), and the "
                                        "mpi communicator host ones", what, t.backend().name()));
  }

  void start_mpi() {
    communicators::make_mpi_symbols_global();
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
      initialized_here_ = true;
    }
    check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &mpi_), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(mpi_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(mpi_, &rank_);
    MPI_Comm_size(mpi_, &size_);
  }

  std::chrono::milliseconds timeout_;
  bool initialized_here_ = false;
  MPI_Comm mpi_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, device_ = 0;
  cudaStream_t stream_ = nullptr;
  ncclComm_t comm_ = nullptr;
  std::string description_;
};

}  // namespace

NNPLUG_PLUGIN("nccl", "0.1.0", "communicator:nccl", 0) {
  registrar.add_communicator("nccl", [](const Params& p) {
    const double timeout = p.number("timeout", 120.0, 0.001, 1e6);
    p.check_unused();
    return std::make_unique<NcclCommunicator>(std::chrono::milliseconds(static_cast<long long>(timeout * 1000)));
  });
}

// Below the mpi communicator's score under mpirun, and below 'local' (1) without it: chosen when asked for, as the
// cuda backend is.
NNPLUG_PLUGIN_PROBE() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) return {0.0, "no usable CUDA device on this machine"};
  return {communicators::launched_as_a_rank() ? 1.5 : 0.5, ""};
}

#include "mpi_communicator.hpp"

#include <climits>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "../../shared/vector_clones.hpp"
#include "bfloat16.hpp"
#include "mpi_job.hpp"
#include "nnplug/backend.hpp"

namespace nnplug::mpi {

namespace {

// An MPI return code as a message. The communicator's error handler returns codes instead of aborting.
void check(int code, const std::string& what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw CommunicatorError(fmt::format("mpi: {} failed: {}", what, std::string_view(text, static_cast<std::size_t>(length))));
}

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    case DType::Int32: return MPI_INT;
  }
  throw CommunicatorError("mpi: no MPI type for this dtype");
}

std::string library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(length));
  return version.substr(0, version.find_first_of(",\n"));
}

// bfloat16 on the wire. MPI has no bfloat16 type: values travel as 16-bit words and are summed by sum_bfloat16.
using backends::from_bfloat16;
using backends::to_bfloat16;

// The loops below run over every gradient at every step (vector_clones.hpp): AVX2 halves their time against the
// baseline SSE2 build here.

NNPLUG_VECTOR_CLONES void round_to_bfloat16(const float* values, std::uint16_t* words, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) words[i] = to_bfloat16(values[i]);
}

NNPLUG_VECTOR_CLONES void widen_from_bfloat16(const std::uint16_t* words, float* values, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) values[i] = from_bfloat16(words[i]);
}

NNPLUG_VECTOR_CLONES void add_bfloat16(const std::uint16_t* a, std::uint16_t* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) b[i] = to_bfloat16(from_bfloat16(a[i]) + from_bfloat16(b[i]));
}

// MPI's reduction function for bfloat16 words: inout += in, summed in float32.
void sum_bfloat16(void* in, void* inout, int* length, MPI_Datatype*) {
  add_bfloat16(static_cast<const std::uint16_t*>(in), static_cast<std::uint16_t*>(inout), static_cast<std::size_t>(*length));
}

// Reduces `count` elements at `data` in place, in pieces that fit MPI's int counts; with `wire`, floating-point
// values travel as bfloat16. Runs on the MPI thread, which owns the wire's buffer.
void all_reduce_host(MPI_Comm comm, void* data, std::size_t count, DType dtype, ReduceOp op, int size, BFloat16Wire* wire) {
  const std::size_t piece = INT_MAX / 2;
  const std::string what = fmt::format("all-reduce of {} {} values", count, dtype_name(dtype));
  if (wire && dtype != DType::Int32) {
    std::vector<std::uint16_t>& words = wire->words;
    words.resize(count);
    auto* doubles = static_cast<double*>(data);
    if (dtype == DType::Float32) round_to_bfloat16(static_cast<const float*>(data), words.data(), count);
    else
      for (std::size_t i = 0; i < count; ++i) words[i] = to_bfloat16(static_cast<float>(doubles[i]));
    for (std::size_t done = 0; done < count; done += piece) {
      const auto n = static_cast<int>(std::min(piece, count - done));
      check(MPI_Allreduce(MPI_IN_PLACE, words.data() + done, n, MPI_UINT16_T, wire->sum, comm), fmt::format("{} as bfloat16", what));
    }
    if (dtype == DType::Float32) widen_from_bfloat16(words.data(), static_cast<float*>(data), count);
    else
      for (std::size_t i = 0; i < count; ++i) doubles[i] = from_bfloat16(words[i]);
  } else {
    auto* bytes = static_cast<unsigned char*>(data);
    const std::size_t element = dtype_size(dtype);
    for (std::size_t done = 0; done < count; done += piece) {
      const auto n = static_cast<int>(std::min(piece, count - done));
      check(MPI_Allreduce(MPI_IN_PLACE, bytes + done * element, n, mpi_type(dtype), MPI_SUM, comm), what);
    }
  }
  if (op != ReduceOp::Average) return;
  auto divide = [&](auto* values) {
    for (std::size_t i = 0; i < count; ++i) values[i] /= size;
  };
  if (dtype == DType::Float32) divide(static_cast<float*>(data));
  else if (dtype == DType::Float64) divide(static_cast<double*>(data));
  else divide(static_cast<std::int32_t*>(data));
}

// A reduction running on the MPI thread. A tensor whose memory the host cannot address was copied to `staging`
// when the reduction started, and is copied back by wait(). The call on the MPI thread holds the memory it works
// on, so a handle dropped after a timeout frees nothing that MPI may still write.
class MpiPending final : public PendingReduction {
 public:
  MpiPending(const MpiCommunicator& owner, std::future<void> done, std::string what, Tensor device_tensor,
             std::shared_ptr<std::vector<unsigned char>> staging)
      : owner_(owner), done_(std::move(done)), what_(std::move(what)), tensor_(std::move(device_tensor)), staging_(std::move(staging)) {}
  ~MpiPending() override {
    if (done_.valid()) owner_.settle(done_);
  }
  void wait() override {
    if (!done_.valid()) return;
    owner_.await(done_, what_);
    if (staging_) tensor_.backend().upload(tensor_, staging_->data(), staging_->size());
  }

 private:
  const MpiCommunicator& owner_;
  std::future<void> done_;
  std::string what_;
  Tensor tensor_;
  std::shared_ptr<std::vector<unsigned char>> staging_;
};

}  // namespace

MpiCommunicator::MpiCommunicator(std::chrono::milliseconds timeout) : timeout_(timeout) {
  communicators::make_mpi_symbols_global();
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    // MPI_THREAD_MULTIPLE where offered, so that abort() may call MPI while the MPI thread waits in a collective.
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
      throw CommunicatorError("mpi: MPI_Init_thread failed");
    initialized_here_ = true;
    if (provided < MPI_THREAD_SERIALIZED)
      throw CommunicatorError(fmt::format("mpi: this MPI library offers thread level {}, and nnplug needs MPI_THREAD_SERIALIZED", provided));
  }
  // A communicator of our own, whose errors come back as codes (then messages) rather than ending the process.
  check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  char host[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(host, &length);
  check(MPI_Op_create(&sum_bfloat16, 1, &bfloat16_wire_.sum), "MPI_Op_create");
  description_ = fmt::format("{}, rank {} of {} on {}", library_version(), rank_, size_, std::string_view(host, static_cast<std::size_t>(length)));
  queue_ = std::make_unique<CallQueue>();
}

MpiCommunicator::~MpiCommunicator() {
  if (broken_) {
    // The MPI thread is stuck in a collective that will never end: leave it (and MPI) as they are.
    (void)queue_.release();
    return;
  }
  queue_.reset();  // runs what is left, then stops the MPI thread
  if (bfloat16_wire_.sum != MPI_OP_NULL) MPI_Op_free(&bfloat16_wire_.sum);
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (initialized_here_ && !finalized) MPI_Finalize();
}

void MpiCommunicator::settle(std::future<void>& done) const {
  if (!broken_ && done.wait_for(timeout_) != std::future_status::ready) broken_ = true;
}

void MpiCommunicator::await(std::future<void>& done, const std::string& what) const {
  if (broken_ || done.wait_for(timeout_) != std::future_status::ready) {
    broken_ = true;
    throw CommunicatorError(fmt::format("mpi: rank {}: {} did not finish within {:.3f} s (another rank may have died or stopped, or the "
                                        "network dropped; the communicator's \"timeout\" sets the limit)",
                                        rank_, what, timeout_.count() / 1000.0));
  }
  try {
    done.get();
  } catch (const CommunicatorError& e) {
    throw CommunicatorError(fmt::format("rank {}: {}", rank_, e.what()));
  }
}

void MpiCommunicator::run(const std::string& what, std::function<void()> call) {
  auto done = queue_->submit(std::move(call));
  await(done, what);
}

std::unique_ptr<PendingReduction> MpiCommunicator::all_reduce_async(const Tensor& t, ReduceOp op, Compression compression) {
  const std::string what = fmt::format("all-reduce ({}{}) of {}", reduce_op_name(op),
                                       compression == Compression::None ? "" : fmt::format(", sent as {}", compression_name(compression)), t.describe());
  BFloat16Wire* wire = compression == Compression::BFloat16 ? &bfloat16_wire_ : nullptr;
  Backend& backend = t.backend();
  const std::size_t count = static_cast<std::size_t>(t.numel());
  const DType dtype = t.dtype();
  const int size = size_;
  if (backend.host_addressable()) {
    backend.synchronize();
    auto done = queue_->submit([this, t, count, dtype, op, size, wire] { all_reduce_host(comm_, t.data(), count, dtype, op, size, wire); });
    return std::make_unique<MpiPending>(*this, std::move(done), what, Tensor(), nullptr);
  }
  auto staging = std::make_shared<std::vector<unsigned char>>(t.bytes());
  backend.download(staging->data(), t, t.bytes());
  auto done = queue_->submit([this, staging, count, dtype, op, size, wire] { all_reduce_host(comm_, staging->data(), count, dtype, op, size, wire); });
  return std::make_unique<MpiPending>(*this, std::move(done), what, t, staging);
}

void MpiCommunicator::broadcast(const Tensor& t, int root) {
  if (root < 0 || root >= size_)
    throw InvalidArgument(fmt::format("mpi: broadcast from rank {}, but the ranks are 0..{}", root, size_ - 1));
  const std::string what = fmt::format("broadcast of {} from rank {}", t.describe(), root);
  Backend& backend = t.backend();
  std::vector<unsigned char> staging;
  void* data = nullptr;
  if (backend.host_addressable()) {
    backend.synchronize();
    data = backend.write_in_place(t);  // every rank's write ends before its next op
  } else {
    staging.resize(t.bytes());
    if (rank_ == root) backend.download(staging.data(), t, t.bytes());
    data = staging.data();
  }
  const auto count = static_cast<int>(t.numel());
  const MPI_Datatype type = mpi_type(t.dtype());
  run(what, [&] { check(MPI_Bcast(data, count, type, root, comm_), what); });
  if (!staging.empty() && rank_ != root) backend.upload(t, staging.data(), staging.size());
}

void MpiCommunicator::barrier() {
  run("barrier", [this] { check(MPI_Barrier(comm_), "barrier"); });
}

std::vector<unsigned char> MpiCommunicator::all_gather(const void* data, std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(INT_MAX))
    throw InvalidArgument(fmt::format("mpi: all_gather of {} bytes per rank; at most {}", bytes, INT_MAX));
  std::vector<unsigned char> out(bytes * static_cast<std::size_t>(size_));
  const std::string what = fmt::format("all-gather of {} bytes", bytes);
  run(what, [&] {
    check(MPI_Allgather(data, static_cast<int>(bytes), MPI_BYTE, out.data(), static_cast<int>(bytes), MPI_BYTE, comm_), what);
  });
  return out;
}

void MpiCommunicator::abort(const std::string& message) { communicators::abort_mpi_job(size_, message); }

}  // namespace nnplug::mpi

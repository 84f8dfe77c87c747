// Communicator 'local': one process trains alone, the default. Its collectives are the identity (a sum or an
// average over one rank is the value itself). It refuses to run in a process that a launcher started as one of
// several ranks: that process would silently train alone, N times over.
#include <cstdlib>

#include <fmt/format.h>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Done final : public PendingReduction {
 public:
  void wait() override {}
};

class LocalCommunicator final : public Communicator {
 public:
  std::string name() const override { return "local"; }
  std::string describe() const override { return "one process"; }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  // One rank's values are the reduction's, so none is rounded for the wire either.
  std::unique_ptr<PendingReduction> all_reduce_async(const Tensor&, ReduceOp, Compression) override {
    return std::make_unique<Done>();
  }
  void broadcast(const Tensor&, int root) override {
    if (root != 0) throw InvalidArgument(fmt::format("communicator local: broadcast from rank {}, but there is only rank 0", root));
  }
  void barrier() override {}
  std::vector<unsigned char> all_gather(const void* data, std::size_t bytes) override {
    const auto* p = static_cast<const unsigned char*>(data);
    return {p, p + bytes};
  }
  [[noreturn]] void abort(const std::string&) override { std::_Exit(1); }
};

// The world size a launcher announces in the environment (Open MPI, then PMIx and PMI launchers, Slurm), or 1.
long launched_ranks(std::string& variable) {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE", "SLURM_NTASKS"}) {
    if (const char* value = std::getenv(name)) {
      variable = fmt::format("{}={}", name, value);
      return std::strtol(value, nullptr, 10);
    }
  }
  return 1;
}

}  // namespace

NNPLUG_PLUGIN("local", "0.1.0", "communicator:local", 0) {
  registrar.add_communicator("local", [](const Params& p) {
    p.check_unused();
    std::string variable;
    if (launched_ranks(variable) > 1)
      throw InvalidArgument(fmt::format("{}: this process is one of several ranks ({}), but communicator 'local' trains alone; use "
                                        "--communicator mpi (is the mpi plugin built? 'nnplug plugins --explain' shows why not)",
                                        p.owner(), variable));
    return std::make_unique<LocalCommunicator>();
  });
}

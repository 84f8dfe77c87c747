// The entry points of the mpi communicator. The probe only reads the environment (it runs in a forked child, where
// MPI must not start): usable when a launcher such as mpirun started this process.

#include "mpi_communicator.hpp"
#include "mpi_job.hpp"
#include "nnplug/plugin.hpp"

NNPLUG_PLUGIN("mpi", "0.1.0", "communicator:mpi", 0) {
  registrar.add_communicator("mpi", [](const nnplug::Params& p) {
    const double timeout = p.number("timeout", 120.0, 0.001, 1e6);
    p.check_unused();
    return std::make_unique<nnplug::mpi::MpiCommunicator>(std::chrono::milliseconds(static_cast<long long>(timeout * 1000)));
  });
}

NNPLUG_PLUGIN_PROBE() {
  if (nnplug::communicators::launched_as_a_rank()) return {2.0, ""};
  return {0.0, "not launched by mpirun (no OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK in the environment); start with mpirun -np N nnplug ..."};
}

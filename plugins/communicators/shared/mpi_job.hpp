#pragma once
// What a communicator built on MPI does to its process, at its start and at a failure.
#include <dlfcn.h>
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace nnplug::communicators {

// Whether a launcher (mpirun, or another PMI one) started this process as a rank of a job: read from the
// environment alone, so a probe may ask it in a forked child, where MPI must not start.
inline bool launched_as_a_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

// Open MPI opens its transports as plugins of its own that need libmpi's symbols; nnplug opened the communicator
// plugin (and with it libmpi) with local symbols, so libmpi is opened again, globally, before MPI_Init.
inline void make_mpi_symbols_global() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&MPI_Init_thread), &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
}

// Ends every rank of the job from a rank that failed: the message first (mpirun then adds which rank and how it
// ended), then MPI_Abort. Should MPI_Abort itself hang (MPI is stuck in the collective that failed), the process
// still ends after a few seconds: mpirun then sees a rank exit without MPI_Finalize and ends the others.
[[noreturn]] inline void abort_mpi_job(int ranks, const std::string& message) {
  std::fprintf(stderr, "nnplug: stopping all %d ranks: %s\n", ranks, message.c_str());
  std::fflush(stderr);
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(5));
    std::_Exit(1);
  }).detach();
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

}  // namespace nnplug::communicators

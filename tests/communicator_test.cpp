// The 'local' communicator (one process): the conformance checks every communicator passes, and its refusal to run
// in a process that a launcher started as one of several ranks. The mpi communicator passes the same checks on 2
// ranks in data_parallel_test.cpp, and the nccl one alone on a GPU here.
#include <gtest/gtest.h>

#include <cstdlib>

#include "nnplug/conformance/component_checks.hpp"
#include "nnplug/conformance/plugin_registry.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

TEST(LocalCommunicator, PassesTheCommunicatorConformanceChecks) {
  const auto local = registry().create_communicator(Params("test", "local"));
  EXPECT_EQ(local->size(), 1);
  for (const auto& r : conformance::check_communicator(*local, *cpu_backend())) EXPECT_TRUE(r.passed) << r.check << ": " << r.detail;
}

TEST(LocalCommunicator, RefusesToTrainAloneInOneOfSeveralRanks) {
  ::setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
  try {
    registry().create_communicator(Params("--communicator", "local"));
    ADD_FAILURE() << "local was created in rank 0 of 4";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "--communicator: this process is one of several ranks (OMPI_COMM_WORLD_SIZE=4), but communicator 'local' "
                           "trains alone; use --communicator mpi (is the mpi plugin built? 'nnplug plugins --explain' shows why not)");
  }
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
}

TEST(LocalCommunicator, IsTheDefaultWithoutALauncher) { EXPECT_EQ(registry().best_communicator(), "local"); }

// Started without a launcher, the nccl communicator is one rank on the first GPU with no MPI, so that a machine of
// one GPU (which cannot hold two NCCL ranks) runs its reductions on the device; it stays below 'local' in the choice.
TEST(CudaNcclCommunicator, AloneOnOneGpuPassesTheCommunicatorConformanceChecks) {
  SKIP_WITHOUT_CUDA();
  if (!registry().has(PluginKind::Communicator, "nccl")) {
    const std::string why = registry().why_unavailable(PluginKind::Communicator, "nccl");
    GTEST_SKIP() << "nccl: " << (why.empty() ? "not built here" : why);
  }
  const auto gpu = registry().create_backend(Params("test", "cuda"));
  const auto nccl = registry().create_communicator(Params("test", "nccl"));
  EXPECT_EQ(nccl->size(), 1);
  EXPECT_EQ(registry().best_communicator(), "local");
  for (const auto& r : conformance::check_communicator(*nccl, *gpu)) EXPECT_TRUE(r.passed) << r.check << ": " << r.detail;
}

}  // namespace
}  // namespace nnplug::test

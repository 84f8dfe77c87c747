// The 'local' communicator (one process): the conformance checks every communicator passes, and its refusal to run
// in a process that a launcher started as one of several ranks. The mpi communicator passes the same checks on 2
// ranks in data_parallel_test.cpp.
#include <gtest/gtest.h>

#include <cstdlib>

#include "nnplug/conformance/component_checks.hpp"
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

}  // namespace
}  // namespace nnplug::test

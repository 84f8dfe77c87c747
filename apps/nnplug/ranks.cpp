// What a command started by mpirun (train, cross-validate, search) does about its ranks: checks that they started
// alike, and ends them all when one fails.
#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/data_parallel.hpp"
#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug::cli {

namespace {

// What every rank must hold alike: "kind:name@version" of every plugin name registered.
std::string plugin_set(const Registry& registry) {
  std::string out;
  for (const auto& e : registry.entries()) out += fmt::format("{}:{}@{} ", kind_name(e.kind), e.name, e.library->version());
  return out;
}

}  // namespace

void require_same_start(Communicator& communicator, const std::string& what, const std::string& options, const Registry& registry) {
  if (communicator.size() == 1) return;
  require_same_on_every_rank(communicator, what, options, "start every rank with the same spec and options");
  require_same_on_every_rank(communicator, "the plugins found", plugin_set(registry), "every host needs the same plugins (nnplug plugins lists them)");
}

int run_on_every_rank(Communicator& communicator, const std::function<int()>& command) {
  if (communicator.size() == 1) return command();
  // A rank that fails ends every rank, so that none waits for it in a collective.
  const std::string rank = fmt::format("rank {} of {}", communicator.rank(), communicator.size());
  try {
    const int status = command();
    communicator.barrier();  // no rank leaves (and ends the run) while rank 0 still writes
    return status;
  } catch (const Error& e) {
    communicator.abort(fmt::format("{}: error: {}", rank, e.what()));
  } catch (const std::exception& e) {
    communicator.abort(fmt::format("{}: unexpected error: {}", rank, e.what()));
  }
  return 1;  // abort() ends every rank; a communicator whose abort returned still leaves this one failed
}

}  // namespace nnplug::cli

#include "op_checks.hpp"

#include <fmt/args.h>
#include <fmt/format.h>

namespace nnplug::backends {

std::string format_message(const char* format, std::initializer_list<MessageArgument> arguments) {
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  for (const MessageArgument& argument : arguments) std::visit([&](const auto& value) { store.push_back(value); }, argument);
  return fmt::vformat(format, store);
}

}  // namespace nnplug::backends

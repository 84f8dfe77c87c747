#pragma once
// The small error hierarchy of nnplug. Every message names the object involved (layer, plugin, file, field) and
// the values that did not fit, so that a user can act on it without a debugger.
#include <stdexcept>
#include <string>

#include "nnplug/export.hpp"

namespace nnplug {

class NNPLUG_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A value given by the user (spec field, plugin parameter, command-line option) is invalid.
class NNPLUG_API InvalidArgument : public Error {
 public:
  using Error::Error;
};

// Tensor or layer shapes that do not fit together.
class NNPLUG_API ShapeError : public Error {
 public:
  using Error::Error;
};

// A plugin could not be loaded, probed or registered, or a plugin name is unknown.
class NNPLUG_API PluginError : public Error {
 public:
  using Error::Error;
};

// A plugin was built against another ABI version or toolchain than the host.
class NNPLUG_API AbiError : public PluginError {
 public:
  using PluginError::PluginError;
};

// A backend cannot run an op (unsupported op or dtype, out of memory, device failure).
class NNPLUG_API BackendError : public Error {
 public:
  using Error::Error;
};

// A file is missing, truncated or malformed.
class NNPLUG_API IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace nnplug

#pragma once
// The plugin boundary. A plugin is a shared library exporting three fixed-name C entry points:
//   const nnplug_info_record* nnplug_plugin_info(void);            plain data, read before anything else
//   double nnplug_plugin_probe(char* why, size_t why_size);         optional: 0 = unusable here, else a score
//   int nnplug_plugin_register(nnplug::Registrar*, char* error, size_t error_size);   0 = success
// The host checks record_size, abi_version and fingerprint, then probes, then registers. No exception crosses
// these entry points: the macros below catch and return the message, and the host names the plugin and path.
//
// Usage, in exactly one source file of the plugin:
//   NNPLUG_PLUGIN("my_plugin", "1.0.0", "activation:swish", 0) {
//     registrar.add_activation("swish", [](const nnplug::Params& p) { ... });
//   }
//   NNPLUG_PLUGIN_PROBE() { return {1.0, ""}; }     // optional
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>

#include "nnplug/export.hpp"
#include "nnplug/registrar.hpp"

// Bumped whenever an SDK header changes: tests/abi_test.cpp holds a hash of the headers and fails until it is.
#define NNPLUG_ABI_VERSION 31
#define NNPLUG_SDK_VERSION "0.1.0"

#define NNPLUG_STR2(x) #x
#define NNPLUG_STR(x) NNPLUG_STR2(x)

// What must match between host and plugin beyond the ABI version: the C++ standard library and its ABI, and the
// JSON library whose types cross the boundary inside Params.
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define NNPLUG_STDLIB "libstdc++ cxx11-abi=" NNPLUG_STR(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define NNPLUG_STDLIB "libc++ " NNPLUG_STR(_LIBCPP_VERSION)
#else
#define NNPLUG_STDLIB "unknown-stdlib"
#endif
#if defined(__clang__)
#define NNPLUG_COMPILER "clang " __clang_version__
#define NNPLUG_COMPILER_ABI "clang " NNPLUG_STR(__clang_major__)
#elif defined(__GNUC__)
#define NNPLUG_COMPILER "gcc " __VERSION__
#define NNPLUG_COMPILER_ABI "gcc " NNPLUG_STR(__GNUC__)
#else
#define NNPLUG_COMPILER "unknown compiler"
#define NNPLUG_COMPILER_ABI "unknown compiler"
#endif

// The build fingerprint: fields separated by "; " (the host names the ones that differ). The compiler's major
// version, the standard library and its ABI, the JSON library whose types cross the boundary inside Params, and
// the SDK version.
#define NNPLUG_BUILD_FINGERPRINT                                                                          \
  "compiler " NNPLUG_COMPILER_ABI "; " NNPLUG_STDLIB "; nlohmann_json " NNPLUG_STR(NLOHMANN_JSON_VERSION_MAJOR) "." \
      NNPLUG_STR(NLOHMANN_JSON_VERSION_MINOR) "; sdk " NNPLUG_SDK_VERSION

extern "C" {
// Plain data: the host reads it before it trusts anything else in the library. Fields are only ever appended;
// record_size tells the host which fields a plugin has.
struct nnplug_info_record {
  std::uint32_t record_size;   // sizeof(nnplug_info_record) as the plugin was compiled
  std::uint32_t abi_version;   // NNPLUG_ABI_VERSION as the plugin was compiled
  const char* name;            // the library's name, e.g. "cpu_avx2"
  const char* version;         // the plugin's own version, e.g. "1.0.0"
  const char* provides;        // what it registers: "kind:name" separated by spaces, e.g. "activation:relu"
  std::int32_t priority;       // among plugins providing the same name, the highest usable priority wins
  const char* fingerprint;     // NNPLUG_BUILD_FINGERPRINT, must equal the host's
  const char* compiler;        // for messages only
};
typedef const nnplug_info_record* (*nnplug_info_fn)();
typedef double (*nnplug_probe_fn)(char* why, std::size_t why_size);
typedef int (*nnplug_register_fn)(nnplug::Registrar* registrar, char* error, std::size_t error_size);
}

namespace nnplug::detail {
inline void copy_message(char* out, std::size_t size, const std::string& message) {
  if (!out || size == 0) return;
  const std::size_t n = message.size() < size - 1 ? message.size() : size - 1;
  std::memcpy(out, message.data(), n);
  out[n] = '\0';
}
}  // namespace nnplug::detail

namespace nnplug {
// What a probe says: score 0 means "not usable on this machine", with the reason.
struct ProbeResult {
  double score = 1.0;
  std::string reason;
};
}  // namespace nnplug

#define NNPLUG_PLUGIN(NAME, VERSION, PROVIDES, PRIORITY)                                                    \
  static void nnplug_register_plugin(::nnplug::Registrar& registrar);                                      \
  extern "C" NNPLUG_API const nnplug_info_record* nnplug_plugin_info() {                                   \
    static const nnplug_info_record record{sizeof(nnplug_info_record), NNPLUG_ABI_VERSION, NAME, VERSION, \
                                           PROVIDES, PRIORITY, NNPLUG_BUILD_FINGERPRINT, NNPLUG_COMPILER}; \
    return &record;                                                                                        \
  }                                                                                                        \
  extern "C" NNPLUG_API int nnplug_plugin_register(::nnplug::Registrar* registrar, char* error,            \
                                                   std::size_t error_size) {                               \
    try {                                                                                                  \
      nnplug_register_plugin(*registrar);                                                                  \
      return 0;                                                                                            \
    } catch (const std::exception& e) {                                                                    \
      ::nnplug::detail::copy_message(error, error_size, e.what());                                         \
    } catch (...) {                                                                                        \
      ::nnplug::detail::copy_message(error, error_size, "unknown exception");                              \
    }                                                                                                      \
    return 1;                                                                                              \
  }                                                                                                        \
  static void nnplug_register_plugin(::nnplug::Registrar& registrar)

#define NNPLUG_PLUGIN_PROBE()                                                                            \
  static ::nnplug::ProbeResult nnplug_probe_plugin();                                                   \
  extern "C" NNPLUG_API double nnplug_plugin_probe(char* why, std::size_t why_size) {                   \
    try {                                                                                               \
      const ::nnplug::ProbeResult r = nnplug_probe_plugin();                                            \
      ::nnplug::detail::copy_message(why, why_size, r.reason);                                          \
      return r.score;                                                                                   \
    } catch (const std::exception& e) {                                                                 \
      ::nnplug::detail::copy_message(why, why_size, ::fmt::format("probe threw: {}", e.what()));        \
    } catch (...) {                                                                                     \
      ::nnplug::detail::copy_message(why, why_size, "probe threw an unknown exception");                \
    }                                                                                                   \
    return 0.0;                                                                                         \
  }                                                                                                     \
  static ::nnplug::ProbeResult nnplug_probe_plugin()

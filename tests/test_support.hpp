#pragma once
// Shared by the test suites: the registry and the CPU backend of the conformance kit (plugins loaded from the
// build tree's plugin folder, as a user's program finds them), and host-side helpers.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nnplug/conformance/gradient_check.hpp"
#include "nnplug/conformance/plugin_registry.hpp"

namespace nnplug::test {

using conformance::random_normal;
using conformance::registry;
inline std::shared_ptr<Backend> cpu_backend() { return conformance::reference_backend(); }

// A backend that hands everything to another one, under its own name; a test overrides run() to make an op
// misbehave.
class ForwardingBackend : public Backend {
 public:
  ForwardingBackend(std::string name, std::shared_ptr<Backend> inner) : name_(std::move(name)), inner_(std::move(inner)) {}
  std::string name() const override { return name_; }
  std::string device() const override { return "test"; }
  std::shared_ptr<Buffer> allocate(std::size_t n) override { return inner_->allocate(n); }
  void upload(const Tensor& d, const void* h, std::size_t n) override { inner_->upload(d, h, n); }
  void download(void* h, const Tensor& s, std::size_t n) override { inner_->download(h, s, n); }
  bool supports(const Op& op, DType dtype) const override { return inner_->supports(op, dtype); }
  void run(const Op& op) override { inner_->run(op); }

 protected:
  std::string name_;
  std::shared_ptr<Backend> inner_;
};

// A suite's scratch folder, made before each test and removed after it: <temp>/nnplug_<name>_<pid>.
class ScratchFolderTest : public ::testing::Test {
 protected:
  explicit ScratchFolderTest(const std::string& name)
      : dir_(std::filesystem::temp_directory_path() / fmt::format("nnplug_{}_{}", name, ::getpid())) {}
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// A tensor on the backend holding these values.
Tensor tensor(Backend& backend, const Shape& shape, const std::vector<double>& values, DType dtype = DType::Float64);

// The message of the nnplug Error that call() throws, or "(no error)".
template <typename Call>
std::string error_of(Call&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace nnplug::test

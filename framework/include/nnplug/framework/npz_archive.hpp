#pragma once
// NumPy's .npz archives (numpy.savez, numpy.savez_compressed, and the mnist.npz that Keras's datasets cache): a zip
// file of .npy arrays, each member named after its array plus ".npy". Read by libzip (stored or deflated members,
// zip64 as numpy writes them), from bytes already in memory so that the file passed require_regular_file's checks.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nnplug/framework/dataset.hpp"

namespace nnplug {

class NpzArchive {
 public:
  // Throws IoError naming the archive when the bytes are not a zip file libzip opens consistently.
  NpzArchive(std::vector<unsigned char> bytes, std::string name);
  ~NpzArchive();
  NpzArchive(const NpzArchive&) = delete;
  NpzArchive& operator=(const NpzArchive&) = delete;

  // The arrays it holds, by name (member "x_train.npy" is array "x_train"), in the archive's order.
  std::vector<std::string> arrays() const;
  bool has(const std::string& array) const;
  // An array's .npy bytes, inflated; throws IoError naming the archive and the array when it is missing (with the
  // arrays there are), larger than kMaxInputBytes, or damaged (a checksum that does not match, bytes cut short).
  std::vector<unsigned char> array(const std::string& array) const;
  const std::string& name() const { return name_; }
  // Samples from two of its arrays, as read_npy reads two files: `inputs`, and `targets` unless there are none (an
  // autoencoder's). Messages name the archive and the array.
  Dataset samples(const std::string& inputs, const std::optional<std::string>& targets, double divide_by, DType dtype) const;

 private:
  std::vector<unsigned char> bytes_;
  std::string name_;
  struct Zip;
  std::unique_ptr<Zip> zip_;
};

// The archive at `path` (read_input_bytes: a regular file, gzip allowed).
NpzArchive read_npz(const std::filesystem::path& path);

}  // namespace nnplug

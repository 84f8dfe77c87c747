#pragma once
// The safetensors file format (Hugging Face; PyTorch reads it with safetensors.torch.load_file): an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, an optional
// "__metadata__" map of strings, then the raw little-endian data.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nnplug/dtype.hpp"
#include "nnplug/shape.hpp"

namespace nnplug {

struct StoredTensor {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  std::vector<unsigned char> bytes;  // shape.numel() * dtype_size(dtype)
  // A dtype nnplug does not compute in ("I64" for PyTorch's num_batches_tracked, "F16", ...): such a tensor is read
  // and kept (bytes as stored) so that the rest of the file loads, but it cannot go into a parameter.
  std::string foreign_dtype;
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::vector<StoredTensor> tensors;  // in file order
  const StoredTensor* find(const std::string& name) const;
};

// Writes to a temporary file beside `path` and renames it, so that a crash never leaves a half-written file.
// Throws IoError naming the file.
void write_safetensors(const std::filesystem::path& path, const SafetensorsFile& file);
// Throws IoError naming the file and what is wrong: too short, a header that is not JSON or not a safetensors
// header, an unknown dtype, byte ranges that do not match the shape or lie outside the file.
SafetensorsFile read_safetensors(const std::filesystem::path& path);
// The same from the file's bytes; `name` stands for the file in messages.
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name);

}  // namespace nnplug

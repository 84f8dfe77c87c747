#include "nnplug/framework/safetensors.hpp"

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nnplug/errors.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/input_file.hpp"
#include "nnplug/framework/user_json.hpp"

namespace nnplug {

namespace {

using Json = nlohmann::json;

// Bytes per element of the safetensors dtypes nnplug keeps without computing in them; 0 for anything else.
std::size_t foreign_size(const std::string& code) {
  if (code == "I64" || code == "U64") return 8;
  if (code == "F16" || code == "BF16" || code == "I16" || code == "U16") return 2;
  if (code == "I8" || code == "U8" || code == "BOOL") return 1;
  if (code == "U32") return 4;
  return 0;
}

const char* code_of(DType d) {
  switch (d) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int32: return "I32";
  }
  return "?";
}

}  // namespace

const StoredTensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

void write_safetensors(const std::filesystem::path& path, const SafetensorsFile& file) {
  Json header = Json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::uint64_t offset = 0;
  for (const auto& t : file.tensors) {
    if (t.bytes.size() != static_cast<std::size_t>(t.shape.numel()) * dtype_size(t.dtype))
      throw IoError(fmt::format("{}: tensor '{}' has {} bytes for shape {}", path.string(), t.name, t.bytes.size(), t.shape.str()));
    header[t.name] = {{"dtype", code_of(t.dtype)}, {"shape", std::vector<std::int64_t>(t.shape.begin(), t.shape.end())},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  const auto length = static_cast<std::uint64_t>(text.size());
  write_atomically(path, [&](std::ostream& out) {
    unsigned char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(length >> (8 * i));
    out.write(reinterpret_cast<const char*>(le), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& t : file.tensors) out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
  }, "the safetensors file");
}

SafetensorsFile read_safetensors(const std::filesystem::path& path) {
  require_regular_file(path, "the model file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: the model file cannot be opened", path.string()));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return parse_safetensors(bytes.str(), path.string());
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name) {
  const std::string where = fmt::format("{}: ", name);
  const std::uint64_t size = bytes.size();
  if (size < 8) throw IoError(fmt::format("{}too short for a safetensors file ({} bytes)", where, size));
  std::uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)])) << (8 * i);
  if (length > size - 8) throw IoError(fmt::format("{}the header claims {} bytes, the file has {} after the length", where, length, size - 8));
  const std::string text(bytes.substr(8, static_cast<std::size_t>(length)));
  Json header;
  try {
    header = parse_user_json(text, fmt::format("{} (its JSON header)", name));
  } catch (const InvalidArgument& e) {  // a repeated key, nesting past the limit, a number past double's (fuzz/safetensors_fuzzer)
    throw IoError(e.what());
  } catch (const Json::exception& e) {  // a syntax error
    throw IoError(fmt::format("{}the header is not JSON nnplug can read: {}", where, e.what()));
  }
  if (!header.is_object()) throw IoError(fmt::format("{}the header is not a JSON object", where));
  SafetensorsFile out;
  const std::uint64_t data_size = size - 8 - length;
  std::vector<std::pair<std::uint64_t, StoredTensor>> ordered;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const Json& v = it.value();
    if (it.key() == "__metadata__") {
      if (!v.is_object()) throw IoError(fmt::format("{}__metadata__ is not an object", where));
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw IoError(fmt::format("{}__metadata__.{} is not a string", where, m.key()));
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string tensor = fmt::format("{}tensor '{}': ", where, it.key());
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets") || !v["dtype"].is_string() ||
        !v["shape"].is_array() || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
      throw IoError(fmt::format("{}needs dtype, shape and two data_offsets", tensor));
    StoredTensor t;
    t.name = it.key();
    const std::string code = v["dtype"].get<std::string>();
    if (code == "F32") t.dtype = DType::Float32;
    else if (code == "F64") t.dtype = DType::Float64;
    else if (code == "I32") t.dtype = DType::Int32;
    else if (foreign_size(code)) t.foreign_dtype = code;
    else throw IoError(fmt::format("{}dtype {} is not a safetensors dtype", tensor, code));
    if (v["shape"].size() > static_cast<std::size_t>(Shape::kMaxRank))
      throw IoError(fmt::format("{}its shape {} has {} sizes; nnplug's tensors have at most {}", tensor, Params::shown(v["shape"]),
                                v["shape"].size(), Shape::kMaxRank));
    // The byte count is multiplied out with overflow checks: a hostile shape must not wrap round to a small size.
    std::uint64_t expected = t.foreign_dtype.empty() ? dtype_size(t.dtype) : foreign_size(t.foreign_dtype);
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) throw IoError(fmt::format("{}the shape must hold non-negative integers", tensor));
      const auto extent = d.get<std::uint64_t>();
      if (extent > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) || __builtin_mul_overflow(expected, extent, &expected))
        throw IoError(fmt::format("{}its shape {} holds more bytes than 64 bits can count", tensor, Params::shown(v["shape"])));
      t.shape.push_back(static_cast<std::int64_t>(extent));
    }
    if (!v["data_offsets"][0].is_number_unsigned() || !v["data_offsets"][1].is_number_unsigned())
      throw IoError(fmt::format("{}data_offsets must be non-negative integers", tensor));
    const auto begin = v["data_offsets"][0].get<std::uint64_t>(), end = v["data_offsets"][1].get<std::uint64_t>();
    if (end < begin || end - begin != expected)
      throw IoError(fmt::format("{}holds {} bytes, its shape {} needs {}", tensor, end < begin ? 0 : end - begin, t.shape.str(), expected));
    if (end > data_size) throw IoError(fmt::format("{}its bytes end at {}, past the end of the data ({}): truncated file?", tensor, end, data_size));
    const char* first = bytes.data() + 8 + length + begin;
    t.bytes.assign(first, first + expected);
    ordered.emplace_back(begin, std::move(t));
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // As the safetensors format asks: the tensors tile the data region, no overlap, no gap, nothing after them.
  std::uint64_t covered = 0;
  const StoredTensor* previous = nullptr;
  for (auto& [offset, t] : ordered) {
    if (offset < covered)
      throw IoError(fmt::format("{}tensor '{}' starts at byte {}, inside tensor '{}' (which ends at {})", where, t.name, offset, previous->name, covered));
    if (offset > covered)
      throw IoError(fmt::format("{}{} bytes at {} belong to no tensor", where, offset - covered, covered));
    covered = offset + t.bytes.size();
    previous = &t;
  }
  if (covered != data_size)
    throw IoError(fmt::format("{}{} bytes after the last tensor belong to no tensor", where, data_size - covered));
  for (auto& [offset, t] : ordered) out.tensors.push_back(std::move(t));
  return out;
}

}  // namespace nnplug

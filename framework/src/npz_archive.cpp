#include "nnplug/framework/npz_archive.hpp"

#include <zip.h>

#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/input_file.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

namespace {
constexpr std::string_view kSuffix = ".npy";
}

struct NpzArchive::Zip {
  zip_t* archive = nullptr;
};

NpzArchive::NpzArchive(std::vector<unsigned char> bytes, std::string name) : bytes_(std::move(bytes)), name_(std::move(name)), zip_(std::make_unique<Zip>()) {
  zip_error_t error;
  zip_error_init(&error);
  // The source reads bytes_ where they are (0: libzip does not free them).
  zip_source_t* source = zip_source_buffer_create(bytes_.data(), bytes_.size(), 0, &error);
  if (source) {
    zip_->archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (!zip_->archive) zip_source_free(source);
  }
  if (!zip_->archive) {
    const std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw IoError(fmt::format("{}: not an .npz archive that can be read (a zip file, as numpy.savez writes): {}", name_, why));
  }
  zip_error_fini(&error);
}

NpzArchive::~NpzArchive() {
  if (zip_->archive) zip_discard(zip_->archive);  // read only: nothing to write back
}

std::vector<std::string> NpzArchive::arrays() const {
  std::vector<std::string> names;
  const zip_int64_t members = zip_get_num_entries(zip_->archive, 0);
  for (zip_int64_t i = 0; i < members; ++i) {
    const char* member = zip_get_name(zip_->archive, static_cast<zip_uint64_t>(i), 0);
    const std::string_view s = member ? member : "";
    if (s.size() > kSuffix.size() && s.ends_with(kSuffix)) names.emplace_back(s.substr(0, s.size() - kSuffix.size()));
  }
  return names;
}

bool NpzArchive::has(const std::string& array) const { return zip_name_locate(zip_->archive, (array + std::string(kSuffix)).c_str(), 0) >= 0; }

std::vector<unsigned char> NpzArchive::array(const std::string& array) const {
  const std::string member = array + std::string(kSuffix);
  const zip_int64_t index = zip_name_locate(zip_->archive, member.c_str(), 0);
  if (index < 0) {
    const auto names = arrays();
    std::vector<std::string> shown;  // as JSON strings: control characters in a member's name reach no terminal
    for (const auto& n : names) shown.push_back(Params::shown(n));
    throw IoError(fmt::format("{}: the .npz archive has no array {}; it holds {}", name_, Params::shown(array),
                              names.empty() ? std::string("none") : fmt::format("{}", fmt::join(shown, ", "))));
  }
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(zip_->archive, static_cast<zip_uint64_t>(index), 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE))
    throw IoError(fmt::format("{}: array {} of the .npz archive has no size: {}", name_, Params::shown(array), zip_strerror(zip_->archive)));
  if (stat.size > kMaxInputBytes)
    throw IoError(fmt::format("{}: array {} of the .npz archive holds {} bytes, more than the {} nnplug reads", name_, Params::shown(array), stat.size,
                              kMaxInputBytes));
  zip_file_t* file = zip_fopen_index(zip_->archive, static_cast<zip_uint64_t>(index), 0);
  if (!file) throw IoError(fmt::format("{}: array {} of the .npz archive cannot be opened: {}", name_, Params::shown(array), zip_strerror(zip_->archive)));
  std::vector<unsigned char> bytes(static_cast<std::size_t>(stat.size));
  const zip_int64_t read = zip_fread(file, bytes.data(), bytes.size());
  // One more read reaches the member's end, where libzip compares its checksum (and finds any bytes past the size).
  unsigned char past = 0;
  const zip_int64_t more = read == static_cast<zip_int64_t>(bytes.size()) ? zip_fread(file, &past, 1) : 0;
  const std::string why = read < 0 || more < 0 ? zip_file_strerror(file) : "";
  zip_fclose(file);
  if (read != static_cast<zip_int64_t>(bytes.size()) || more != 0)
    throw IoError(fmt::format("{}: array {} of the .npz archive is damaged: {}", name_, Params::shown(array),
                              why.empty() ? fmt::format("{} bytes announced, {} there", bytes.size(), read + more) : why));
  return bytes;
}

Dataset NpzArchive::samples(const std::string& inputs, const std::optional<std::string>& targets, double divide_by, DType dtype) const {
  Dataset d = parse_npy_inputs(array(inputs), fmt::format("{} (array {})", name_, Params::shown(inputs)), divide_by, dtype);
  if (targets) parse_npy_targets(array(*targets), fmt::format("{} (array {})", name_, Params::shown(*targets)), d);
  return d;
}

NpzArchive read_npz(const std::filesystem::path& path) { return NpzArchive(read_input_bytes(path, "the .npz archive"), path.string()); }

}  // namespace nnplug

#include "nnplug/framework/class_folders.hpp"

#include <algorithm>
#include <cctype>
#include <system_error>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {
namespace {

namespace fs = std::filesystem;

bool hidden(const fs::path& p) { return p.filename().string().starts_with('.'); }

[[noreturn]] void cannot_list(const fs::path& folder, const std::error_code& ec) {
  throw IoError(fmt::format("{}: the folder cannot be listed: {}", folder.string(), ec.message()));
}

void take(const fs::directory_entry& entry, const SampleFileFilter& is_sample, std::vector<fs::path>& files) {
  std::error_code ec;
  if (!entry.is_directory(ec) && is_sample(entry.path())) files.push_back(entry.path());
}

// The samples inside `folder`, and below it at any depth when `recursive`, in sorted order.
std::vector<fs::path> samples_in(const fs::path& folder, const SampleFileFilter& is_sample, bool recursive) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (recursive) {
    // directory_options::none: a symlink to a folder is listed but not entered.
    for (fs::recursive_directory_iterator it(folder, fs::directory_options::none, ec), end; !ec && it != end; it.increment(ec)) {
      if (hidden(it->path())) it.disable_recursion_pending();
      else take(*it, is_sample, files);
    }
  } else {
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
      if (!hidden(it->path())) take(*it, is_sample, files);
  }
  if (ec) cannot_list(folder, ec);
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::string lower_extension(const fs::path& file) {
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

std::vector<std::string> class_folder_names(const fs::path& folder, const char* what) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw IoError(fmt::format("{}: {} {}", folder.string(), what, fs::exists(folder, ec) ? "is not a folder" : "does not exist"));
  std::vector<std::string> names;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!hidden(it->path()) && it->is_directory(type_ec)) names.push_back(it->path().filename().string());
  }
  if (ec) cannot_list(folder, ec);
  std::sort(names.begin(), names.end());
  if (names.empty())
    throw IoError(fmt::format("{}: {} holds no class folders; put each class's samples in a folder named after it (path/<class>/<file>)",
                              folder.string(), what));
  return names;
}

ClassFolderFiles list_class_folders(const fs::path& folder, const SampleFileFilter& is_sample, const char* what, const char* samples,
                                    const std::vector<std::string>& classes) {
  ClassFolderFiles out;
  for (const std::string& name : class_folder_names(folder, what)) {
    auto label = static_cast<std::int32_t>(out.class_names.size());
    if (!classes.empty()) {
      const auto known = std::find(classes.begin(), classes.end(), name);
      if (known == classes.end())
        throw IoError(fmt::format("{}: class folder '{}' is not one of the training set's classes ({})", folder.string(), name,
                                  fmt::join(classes, ", ")));
      label = static_cast<std::int32_t>(known - classes.begin());
    }
    const std::vector<fs::path> files = samples_in(folder / name, is_sample, true);
    if (files.empty()) throw IoError(fmt::format("{}: class folder '{}' holds no {}", folder.string(), name, samples));
    out.files.insert(out.files.end(), files.begin(), files.end());
    out.labels.insert(out.labels.end(), files.size(), label);
    out.class_names.push_back(name);
  }
  if (!classes.empty()) out.class_names = classes;
  return out;
}

std::vector<fs::path> files_to_predict(const fs::path& path, const SampleFileFilter& is_sample, const char* samples) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  std::vector<fs::path> files = samples_in(path, is_sample, false);
  if (files.empty()) throw IoError(fmt::format("{}: the folder holds no {}", path.string(), samples));
  return files;
}

}  // namespace nnplug

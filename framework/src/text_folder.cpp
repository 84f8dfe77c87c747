#include "nnplug/framework/text_folder.hpp"

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/class_folders.hpp"
#include "nnplug/framework/input_file.hpp"

namespace nnplug {
namespace {

namespace fs = std::filesystem;

bool is_text(const fs::path& file) { return lower_extension(file) == ".txt"; }

void read_all(const std::vector<fs::path>& files, TextFolder& out) {
  std::uintmax_t total = 0;
  for (const fs::path& file : files) {
    const std::vector<unsigned char> bytes = read_input_bytes(file, "the text");
    if ((total += bytes.size()) > kMaxInputBytes)
      throw IoError(fmt::format("{}: the texts so far hold more than {} bytes, the most that is read", file.string(), kMaxInputBytes));
    out.texts.emplace_back(bytes.begin(), bytes.end());
    out.files.push_back(file.string());
  }
}

}  // namespace

TextFolder read_text_folder(const fs::path& folder, const std::vector<std::string>& classes) {
  ClassFolderFiles listed = list_class_folders(folder, is_text, "the text folder", ".txt files", classes);
  TextFolder out;
  read_all(listed.files, out);
  out.labels = std::move(listed.labels);
  out.class_names = std::move(listed.class_names);
  return out;
}

Dataset vectorized(TextFolder folder, const TextVectorization& text, DType dtype) {
  if (text.empty()) throw InvalidArgument("texts need the vocabulary fitted on the training texts, and the model keeps none");
  Dataset d;
  d.sample_shape = text.sample_shape();
  d.x = text.encode(folder.texts, dtype);
  d.labels = std::move(folder.labels);
  d.num_classes = static_cast<std::int64_t>(folder.class_names.size());
  d.sample_names = std::move(folder.files);
  return d;
}

TextFolder read_text_files(const std::vector<std::string>& files) {
  TextFolder out;
  read_all(std::vector<fs::path>(files.begin(), files.end()), out);
  return out;
}

TextFolder read_texts(const fs::path& path) {
  const std::vector<fs::path> files = files_to_predict(path, is_text, ".txt files");
  TextFolder out;
  read_all(files, out);
  out.labels.assign(files.size(), -1);
  return out;
}

}  // namespace nnplug

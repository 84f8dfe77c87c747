#include "nnplug/framework/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/image_decoding.hpp"
#include "nnplug/framework/input_file.hpp"

namespace nnplug {
namespace {

namespace fs = std::filesystem;

// Images are decoded this many at a time, in parallel, so that the decoded copies never hold more than a slice of
// the set beside the set itself.
constexpr std::size_t kDecodeSlice = 4096;

enum class FileKind { Image, Unread, Other };

FileKind kind_of(const fs::path& file) {
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".png" || extension == ".jpg" || extension == ".jpeg") return FileKind::Image;
  for (const char* unread : {".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})
    if (extension == unread) return FileKind::Unread;
  return FileKind::Other;
}

bool hidden(const fs::path& p) { return p.filename().string().starts_with('.'); }

void take(const fs::directory_entry& entry, std::vector<fs::path>& images) {
  std::error_code ec;
  if (entry.is_directory(ec)) return;
  switch (kind_of(entry.path())) {
    case FileKind::Image: images.push_back(entry.path()); return;
    case FileKind::Unread:
      throw IoError(fmt::format("{}: {} images are not read; convert them to PNG or JPEG", entry.path().string(), entry.path().extension().string()));
    case FileKind::Other: return;
  }
}

[[noreturn]] void cannot_list(const fs::path& folder, const std::error_code& ec) {
  throw IoError(fmt::format("{}: the folder cannot be listed: {}", folder.string(), ec.message()));
}

// The images inside `folder`, and below it at any depth when `recursive`, in sorted order.
std::vector<fs::path> images_in(const fs::path& folder, bool recursive) {
  std::vector<fs::path> images;
  std::error_code ec;
  if (recursive) {
    // directory_options::none: a symlink to a folder is listed but not entered.
    for (fs::recursive_directory_iterator it(folder, fs::directory_options::none, ec), end; !ec && it != end; it.increment(ec)) {
      if (hidden(it->path())) it.disable_recursion_pending();
      else take(*it, images);
    }
  } else {
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
      if (!hidden(it->path())) take(*it, images);
  }
  if (ec) cannot_list(folder, ec);
  std::sort(images.begin(), images.end());
  return images;
}

void require_folder(const fs::path& folder, const char* what) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw IoError(fmt::format("{}: {} {}", folder.string(), what, fs::exists(folder, ec) ? "is not a folder" : "does not exist"));
}

struct DecodedSample {
  std::vector<std::uint8_t> chw;
  std::int64_t height = 0, width = 0;
  std::string error;
};

DecodedSample decode_sample(const fs::path& file, const ImageLayout& layout) {
  DecodedSample sample;
  try {
    DecodedImage image = decode_image(read_input_bytes(file, "the image"), file.string(), layout.channels);
    if (layout.height > 0) image = resize_bilinear(image, layout.height, layout.width);
    const std::size_t plane = static_cast<std::size_t>(image.height * image.width), c = static_cast<std::size_t>(image.channels);
    sample.chw.resize(plane * c);
    for (std::size_t i = 0; i < plane; ++i)
      for (std::size_t k = 0; k < c; ++k) sample.chw[k * plane + i] = image.pixels[i * c + k];
    sample.height = image.height, sample.width = image.width;
  } catch (const IoError& e) {  // names the file already
    sample.error = e.what();
  } catch (const std::exception& e) {  // out of memory, most likely
    sample.error = fmt::format("{}: {}", file.string(), e.what());
  }
  return sample;
}

// The files' images as one data set of byte-coded samples with these labels. Without image_size every image must
// have the first one's size.
Dataset decode_all(const std::vector<fs::path>& files, std::vector<std::int32_t> labels, const ImageLayout& layout, DType dtype) {
  std::vector<std::uint8_t> bytes;
  std::int64_t height = 0, width = 0;
  for (std::size_t start = 0; start < files.size(); start += kDecodeSlice) {
    const std::size_t count = std::min(kDecodeSlice, files.size() - start);
    std::vector<DecodedSample> slice(count);
#pragma omp parallel for schedule(dynamic, 8)
    for (std::size_t i = 0; i < count; ++i) slice[i] = decode_sample(files[start + i], layout);
    for (std::size_t i = 0; i < count; ++i) {
      DecodedSample& s = slice[i];
      if (!s.error.empty()) throw IoError(s.error);
      if (start + i == 0) height = s.height, width = s.width;
      if (s.height != height || s.width != width)
        throw IoError(fmt::format("{}: {} x {} pixels, but {} has {} x {}; give the data section's image_size ([height, width]) to resize "
                                  "every image to one size", files[start + i].string(), s.width, s.height, files.front().string(), width, height));
      if (bytes.size() + s.chw.size() > kMaxInputBytes)
        throw IoError(fmt::format("{}: the images so far hold more than {} bytes, the most that is read", files[start + i].string(), kMaxInputBytes));
      bytes.insert(bytes.end(), s.chw.begin(), s.chw.end());
    }
  }
  Dataset d;
  d.sample_shape = Shape{layout.channels, height, width};
  const double divide_by = layout.divide_by;
  d.x = SampleValues::from_bytes(std::move(bytes), static_cast<std::size_t>(d.sample_shape.numel()), dtype,
                                 [&](std::uint8_t b) { return divided_in(dtype, b, divide_by); });
  d.labels = std::move(labels);
  for (const fs::path& file : files) d.sample_names.push_back(file.string());
  return d;
}

}  // namespace

std::vector<std::string> class_folder_names(const fs::path& folder) {
  require_folder(folder, "the image folder");
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!hidden(it->path()) && it->is_directory(type_ec)) names.push_back(it->path().filename().string());
  }
  if (ec) cannot_list(folder, ec);
  std::sort(names.begin(), names.end());
  if (names.empty())
    throw IoError(fmt::format("{}: the image folder holds no class folders; put each class's images in a folder named after it "
                              "(path/<class>/<image>.png)", folder.string()));
  return names;
}

ImageFolder read_image_folder(const fs::path& folder, const ImageLayout& layout, DType dtype, const std::vector<std::string>& classes) {
  ImageFolder out;
  std::vector<std::string> found;
  std::vector<fs::path> files;
  std::vector<std::int32_t> labels;
  for (const std::string& name : class_folder_names(folder)) {
    auto label = static_cast<std::int32_t>(found.size());
    if (!classes.empty()) {
      const auto known = std::find(classes.begin(), classes.end(), name);
      if (known == classes.end())
        throw IoError(fmt::format("{}: class folder '{}' is not one of the training set's classes ({})", folder.string(), name,
                                  fmt::join(classes, ", ")));
      label = static_cast<std::int32_t>(known - classes.begin());
    }
    const std::vector<fs::path> images = images_in(folder / name, true);
    if (images.empty()) throw IoError(fmt::format("{}: class folder '{}' holds no PNG or JPEG images", folder.string(), name));
    files.insert(files.end(), images.begin(), images.end());
    labels.insert(labels.end(), images.size(), label);
    found.push_back(name);
  }
  out.class_names = classes.empty() ? std::move(found) : classes;
  out.data = decode_all(files, std::move(labels), layout, dtype);
  out.data.num_classes = static_cast<std::int64_t>(out.class_names.size());
  return out;
}

Dataset read_images(const fs::path& path, const ImageLayout& layout, DType dtype) {
  std::error_code ec;
  std::vector<fs::path> files{path};
  if (fs::is_directory(path, ec)) {
    files = images_in(path, false);
    if (files.empty()) throw IoError(fmt::format("{}: the folder holds no PNG or JPEG images", path.string()));
  }
  return decode_all(files, std::vector<std::int32_t>(files.size(), -1), layout, dtype);
}

}  // namespace nnplug

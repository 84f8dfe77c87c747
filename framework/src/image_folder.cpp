#include "nnplug/framework/image_folder.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/class_folders.hpp"
#include "nnplug/framework/image_decoding.hpp"
#include "nnplug/framework/input_file.hpp"

namespace nnplug {
namespace {

namespace fs = std::filesystem;

// Images are decoded this many at a time, in parallel, so that the decoded copies never hold more than a slice of
// the set beside the set itself.
constexpr std::size_t kDecodeSlice = 4096;

// Whether a file is an image to read; an image format that is not read is refused rather than passed over, so
// that a folder of GIFs does not quietly train on nothing.
bool is_image(const fs::path& file) {
  const std::string extension = lower_extension(file);
  if (extension == ".png" || extension == ".jpg" || extension == ".jpeg") return true;
  for (const char* unread : {".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})
    if (extension == unread) throw IoError(fmt::format("{}: {} images are not read; convert them to PNG or JPEG", file.string(), file.extension().string()));
  return false;
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

ImageFolder read_image_folder(const fs::path& folder, const ImageLayout& layout, DType dtype, const std::vector<std::string>& classes) {
  ClassFolderFiles listed = list_class_folders(folder, is_image, "the image folder", "PNG or JPEG images", classes);
  ImageFolder out;
  out.class_names = std::move(listed.class_names);
  out.data = decode_all(listed.files, std::move(listed.labels), layout, dtype);
  out.data.num_classes = static_cast<std::int64_t>(out.class_names.size());
  return out;
}

Dataset read_images(const fs::path& path, const ImageLayout& layout, DType dtype) {
  const std::vector<fs::path> files = files_to_predict(path, is_image, "PNG or JPEG images");
  return decode_all(files, std::vector<std::int32_t>(files.size(), -1), layout, dtype);
}

}  // namespace nnplug

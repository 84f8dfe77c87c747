#pragma once
// Folders of PNG and JPEG images as a data set (the data section's format "image_folder"), laid out as
// torchvision's ImageFolder and Keras's image_dataset_from_directory read them:
//   path/<class>/<any folders>/<image>.png|.jpg|.jpeg
// Classes are the class folders' names in sorted order, a sample's label the index of its class. Each image is decoded
// as Pillow does (image_decoding.hpp), resized when the data section gives image_size, and kept as bytes in CHW order
// (a sample of shape [channels, height, width]) until batches are gathered, as IDX pixels are.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nnplug/dtype.hpp"
#include "nnplug/framework/dataset.hpp"

namespace nnplug {

struct ImageLayout {
  int channels = 3;                    // "color_mode": "rgb" (3, Keras's default) or "grayscale" (1)
  std::int64_t height = 0, width = 0;  // "image_size": [height, width]; 0: each image's own size, the same for all
  double divide_by = 1.0;              // each pixel value is divided by it in the dtype (255: torchvision's ToTensor)
};

struct ImageFolder {
  Dataset data;
  std::vector<std::string> class_names;
};

// Reads folder's class folders. Names starting with a dot (.ipynb_checkpoints, macOS's ._ files) are skipped, other
// files that are not images are ignored, and folders reached through symlinks are not entered (a link loop cannot
// hold the reader). With `classes` (a test set's, against its training set's) each class folder must be one of them
// and takes its index there. Throws IoError naming the file or folder for: no class folder, a class without images,
// an image format not read (.bmp, .gif, .webp, .tif: convert them), an image that does not decode, or, without
// image_size, an image whose size differs from the first one's.
ImageFolder read_image_folder(const std::filesystem::path& folder, const ImageLayout& layout, DType dtype,
                              const std::vector<std::string>& classes = {});

// Images to predict: the one image file `path`, or the images directly inside the folder `path`, in sorted order.
// Their labels are -1.
Dataset read_images(const std::filesystem::path& path, const ImageLayout& layout, DType dtype);

}  // namespace nnplug

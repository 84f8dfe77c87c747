#pragma once
// The layout torchvision's ImageFolder and Keras's image_dataset_from_directory and text_dataset_from_directory read:
//   path/<class>/<any folders>/<file>
// Classes are the class folders' names in sorted order, a file's label the index of its class. The image and text
// folder formats differ only in which files they take.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace nnplug {

// Whether a file is a sample: true to take it, false to pass over it; throws IoError naming a file of a kind that is
// refused (an image format not read).
using SampleFileFilter = std::function<bool(const std::filesystem::path&)>;

struct ClassFolderFiles {
  std::vector<std::filesystem::path> files;  // in class order, sorted within each class
  std::vector<std::int32_t> labels;          // one per file
  std::vector<std::string> class_names;
};

// The class folders' names in sorted order (those starting with a dot skipped). `what` names the folder in messages
// ("the image folder"). Throws IoError naming the folder when it is missing, cannot be listed, or holds none.
std::vector<std::string> class_folder_names(const std::filesystem::path& folder, const char* what = "the folder");

// Every class folder's sample files at any depth. Names starting with a dot (.ipynb_checkpoints, macOS's ._ files) are
// skipped and folders reached through symlinks are not entered (a link loop cannot hold the reader). With `classes`
// (a test set's, against its training set's) each class folder must be one of them and takes its index there.
// `samples` names the files in messages ("PNG or JPEG images"); a class folder without any is refused.
ClassFolderFiles list_class_folders(const std::filesystem::path& folder, const SampleFileFilter& is_sample, const char* what,
                                    const char* samples, const std::vector<std::string>& classes = {});

// Samples to predict: the one file `path` (whatever its kind), or the sample files directly inside the folder `path`,
// in sorted order. Throws IoError naming the folder when it holds none (`samples` names them: "PNG or JPEG images").
std::vector<std::filesystem::path> files_to_predict(const std::filesystem::path& path, const SampleFileFilter& is_sample, const char* samples);

// A file's extension in lower case, with its dot (".png").
std::string lower_extension(const std::filesystem::path& file);

}  // namespace nnplug

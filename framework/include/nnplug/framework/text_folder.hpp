#pragma once
// Folders of text files as a data set (the data section's format "text_folder"), laid out as Keras's
// text_dataset_from_directory reads them:
//   path/<class>/<any folders>/<text>.txt
// Each .txt file is one text, read whole; classes are the class folders' names in sorted order (class_folders.hpp).
// The texts become numbers through a TextVectorization.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/text_vectorization.hpp"

namespace nnplug {

struct TextFolder {
  std::vector<std::string> texts;
  std::vector<std::int32_t> labels;            // one per text: its class's index; -1 for texts to predict
  std::vector<std::string> files;              // where each text came from, for predict's output
  std::vector<std::string> class_names;
};

// Reads folder's class folders (hidden names skipped, symlinked folders not entered, files other than .txt ignored).
// With `classes` (a test set's, against its training set's) each class folder must be one of them. Throws IoError
// naming the file or folder for: no class folder, a class without .txt files, a file that cannot be read (a FIFO, a
// device), or texts of more than 16 GiB in all.
TextFolder read_text_folder(const std::filesystem::path& folder, const std::vector<std::string>& classes = {});

// Texts to predict: the one file `path` (whatever its extension), or the .txt files directly inside the folder `path`,
// in sorted order.
TextFolder read_texts(const std::filesystem::path& path);

// The texts of these files, read again (a data set's sample_names): no labels or classes.
TextFolder read_text_files(const std::vector<std::string>& files);

// The texts as a data set of samples of text.sample_shape(), in `dtype`, with their labels and files.
Dataset vectorized(TextFolder folder, const TextVectorization& text, DType dtype);

}  // namespace nnplug

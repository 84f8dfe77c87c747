// Folders of class folders of images as a data set (format "image_folder"): labels, class names, CHW order, what is
// skipped and what is refused, and a spec that trains on such a folder.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/image_folder.hpp"
#include "nnplug/framework/png_writer.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

class ImageFolderTest : public ScratchFolderTest {
 protected:
  ImageFolderTest() : ScratchFolderTest("image_folder") {}
  // An RGB PNG of height x width whose pixel (y, x) is (base + y, base + x, base + y + x), at dir_/relative.
  void image(const std::string& relative, int base, int height = 2, int width = 3) {
    std::vector<std::uint8_t> pixels;
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        for (int v : {base + y, base + x, base + y + x}) pixels.push_back(static_cast<std::uint8_t>(v));
    write(relative, encode_png(pixels, width, height, 3));
  }
  void write(const std::string& relative, const std::string& bytes) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative, std::ios::binary) << bytes;
  }
  std::string error_reading(const std::string& folder, ImageLayout layout = {}) {
    return error_of([&] { read_image_folder(dir_ / folder, layout, DType::Float32); });
  }
};

TEST_F(ImageFolderTest, ClassesAreTheSortedFolderNamesAndSamplesAreChwBytes) {
  image("set/dog/b.png", 100);
  image("set/dog/nested/deeper/a.png", 110);  // any depth
  image("set/cat/z.PNG", 10);                  // extensions in any case
  write("set/cat/notes.txt", "not an image");  // ignored
  write("set/cat/.DS_Store", "junk");          // hidden: skipped
  write("set/cat/._z.png", "AppleDouble");     // hidden: skipped, not decoded
  image("set/.ipynb_checkpoints/c.png", 0);    // a hidden folder is no class
  ImageLayout layout;
  layout.divide_by = 2;
  const ImageFolder folder = read_image_folder(dir_ / "set", layout, DType::Float64);
  EXPECT_EQ(folder.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(folder.data.num_classes, 2);
  EXPECT_EQ(folder.data.labels, (std::vector<std::int32_t>{0, 1, 1}));  // cat/z, dog/b, dog/nested/deeper/a
  EXPECT_EQ(folder.data.sample_shape, (Shape{3, 2, 3}));
  // Sample 1 (dog/b.png, base 100): the red plane (100 + y), then green (100 + x), then blue (100 + y + x), halved.
  std::vector<double> want;
  for (int channel = 0; channel < 3; ++channel)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) want.push_back((100 + (channel == 0 ? y : channel == 1 ? x : y + x)) / 2.0);
  const auto values = folder.data.x.doubles();
  EXPECT_EQ(std::vector<double>(values.begin() + 18, values.begin() + 36), want);
}

TEST_F(ImageFolderTest, GrayscaleAndResizedImagesTakeTheirLayout) {
  image("set/a/1.png", 0, 4, 6);
  image("set/b/2.png", 50, 3, 5);  // another size: resized like the rest
  ImageLayout layout;
  layout.channels = 1, layout.height = 8, layout.width = 7;
  const ImageFolder folder = read_image_folder(dir_ / "set", layout, DType::Float32);
  EXPECT_EQ(folder.data.sample_shape, (Shape{1, 8, 7}));
  EXPECT_EQ(folder.data.size(), 2);
}

TEST_F(ImageFolderTest, ATestFolderTakesTheTrainingClassesIndices) {
  image("test/zebra/1.png", 0);
  image("test/cat/2.png", 0);
  const ImageFolder test = read_image_folder(dir_ / "test", {}, DType::Float32, {"ant", "cat", "zebra"});
  EXPECT_EQ(test.data.labels, (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(test.data.num_classes, 3);
  image("test/yak/3.png", 0);
  EXPECT_EQ(error_of([&] { read_image_folder(dir_ / "test", {}, DType::Float32, {"ant", "cat", "zebra"}); }),
            fmt::format("{}: class folder 'yak' is not one of the training set's classes (ant, cat, zebra)", (dir_ / "test").string()));
}

TEST_F(ImageFolderTest, BadFoldersAndFilesAreRefusedByName) {
  EXPECT_EQ(error_reading("missing"), fmt::format("{}: the image folder does not exist", (dir_ / "missing").string()));
  write("flat/a.png", "x");
  EXPECT_THAT(error_reading("flat"), ::testing::HasSubstr("flat: the image folder holds no class folders"));
  fs::create_directories(dir_ / "empty/cat");
  EXPECT_EQ(error_reading("empty"), fmt::format("{}: class folder 'cat' holds no PNG or JPEG images", (dir_ / "empty").string()));
  image("bmp/cat/a.png", 0);
  write("bmp/cat/b.BMP", "BM");
  EXPECT_EQ(error_reading("bmp"), fmt::format("{}: .BMP images are not read; convert them to PNG or JPEG", (dir_ / "bmp/cat/b.BMP").string()));
  image("sizes/cat/a.png", 0, 2, 3);
  image("sizes/cat/b.png", 0, 4, 3);
  EXPECT_EQ(error_reading("sizes"), fmt::format("{}: 3 x 4 pixels, but {} has 3 x 2; give the data section's image_size ([height, width]) to "
                                                "resize every image to one size",
                                                (dir_ / "sizes/cat/b.png").string(), (dir_ / "sizes/cat/a.png").string()));
  image("broken/cat/a.png", 0);
  write("broken/cat/b.png", "\x89PNG\r\n\x1a\n");
  EXPECT_THAT(error_reading("broken"), ::testing::HasSubstr("broken/cat/b.png: not a readable PNG image"));
  fs::create_directories(dir_ / "fifo/cat");
  ASSERT_EQ(::mkfifo((dir_ / "fifo/cat/a.png").c_str(), 0600), 0);  // would block a reader that opened it
  EXPECT_EQ(error_reading("fifo"), fmt::format("{}: the image is a FIFO (named pipe), not a regular file", (dir_ / "fifo/cat/a.png").string()));
}

TEST_F(ImageFolderTest, ASymlinkLoopIsNotEntered) {
  image("loop/cat/a.png", 0);
  fs::create_directory_symlink(dir_ / "loop/cat", dir_ / "loop/cat/again");
  const ImageFolder folder = read_image_folder(dir_ / "loop", {}, DType::Float32);
  EXPECT_EQ(folder.data.size(), 1);
}

TEST_F(ImageFolderTest, ImagesToPredictAreAFolderOfImagesOrOneImage) {
  image("new/b.png", 0);
  image("new/a.jpg.png", 0);
  fs::create_directories(dir_ / "new/sub");
  const Dataset folder = read_images(dir_ / "new", {}, DType::Float32);
  EXPECT_EQ(folder.labels, (std::vector<std::int32_t>{-1, -1}));
  EXPECT_EQ(folder.sample_names, (std::vector<std::string>{(dir_ / "new/a.jpg.png").string(), (dir_ / "new/b.png").string()}));
  EXPECT_EQ(folder.subset({1}).sample_names, std::vector<std::string>{(dir_ / "new/b.png").string()});  // names follow their samples
  const Dataset one = read_images(dir_ / "new/b.png", {}, DType::Float32);
  EXPECT_EQ(one.size(), 1);
  EXPECT_EQ(one.sample_shape, (Shape{3, 2, 3}));
}

// Two classes told apart by brightness, with noise: a spec trains on the folder and names the classes.
TEST_F(ImageFolderTest, ASpecTrainsOnAnImageFolder) {
  Random rng(3);
  for (int i = 0; i < 40; ++i)
    for (const char* kind : {"dark", "light"}) {
      std::vector<std::uint8_t> pixels(4 * 4);
      for (auto& p : pixels) p = static_cast<std::uint8_t>((kind[0] == 'd' ? 60 : 150) + static_cast<int>(rng.uniform() * 50));
      write(fmt::format("train/{}/{}.png", kind, i), encode_png(pixels, 4, 4, 1));
    }
  std::ofstream(dir_ / "spec.json") << R"({"seed": 1,
    "data": {"format": "image_folder", "path": "train", "color_mode": "grayscale", "divide_by": 255, "validation_split": 0.25},
    "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}],
    "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.1}, "training": {"epochs": 20, "batch_size": 8}})";
  Experiment ex = build_experiment(load_spec(dir_ / "spec.json"), registry());
  EXPECT_EQ(ex.class_names, (std::vector<std::string>{"dark", "light"}));
  EXPECT_EQ(ex.train.sample_shape, (Shape{1, 4, 4}));
  ex.fit.progress = false;
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  trainer.fit(ex.train, &ex.validation, ex.fit);
  EXPECT_GE(trainer.evaluate(ex.validation, 8).score, 0.95);
  // predict --input names the classes from the folder while it is there, and numbers them once it is gone.
  EXPECT_EQ(spec_class_names(load_spec(dir_ / "spec.json")), (std::vector<std::string>{"dark", "light"}));
  fs::remove_all(dir_ / "train");
  EXPECT_TRUE(spec_class_names(load_spec(dir_ / "spec.json")).empty());
}

}  // namespace
}  // namespace nnplug::test

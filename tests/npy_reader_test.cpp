// The .npy reader (data format "npy"): files built here byte by byte as numpy.save lays them out, read back to the
// values they were built from; and every way a header or its sizes can be wrong, refused by name. Files and .npz
// archives written by numpy itself are read in tests/cli_npy_data.sh.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/npz_archive.hpp"
#include "nnplug/framework/trainer.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

using Bytes = std::vector<unsigned char>;

// An .npy file: the magic, version major.0, the header's length (16 bits in version 1, 32 after), the header padded
// with spaces and a newline so that the values start at a multiple of 64 bytes (as numpy pads it), the values.
Bytes npy_file(const std::string& header_dict, const Bytes& values, unsigned major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string header = header_dict;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major), 0};
  for (std::size_t k = 0; k < prefix - 8; ++k) out.push_back(static_cast<unsigned char>(header.size() >> (8 * k)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), values.begin(), values.end());
  return out;
}

template <typename T>
Bytes bytes_of(const std::vector<T>& values) {
  Bytes out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

template <typename T>
Bytes array(const std::string& descr, const std::string& shape, const std::vector<T>& values, unsigned major = 1) {
  return npy_file(fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape), bytes_of(values), major);
}

Dataset inputs(const Bytes& file, double divide_by = 1.0, DType dtype = DType::Float32) {
  return parse_npy_inputs(file, "x.npy", divide_by, dtype);
}

TEST(NpyReader, ReadsEachDtypeNumpyWritesAsItsValues) {
  const std::vector<double> expected{-1.5, 0, 2, 3, 100, -7};
  EXPECT_EQ(inputs(array<float>("<f4", "(2, 3)", {-1.5f, 0, 2, 3, 100, -7})).x.doubles(), expected);
  EXPECT_EQ(inputs(array<double>("<f8", "(2, 3)", {-1.5, 0, 2, 3, 100, -7}), 1.0, DType::Float64).x.doubles(), expected);
  EXPECT_EQ(inputs(array<std::int16_t>("<i2", "(2, 3)", {-3, 0, 4, 6, 200, -14}), 2.0).x.doubles(), expected);
  EXPECT_EQ(inputs(array<std::int64_t>("<i8", "(3, 2)", {-3, 0, 4, 6, 200, -14}), 2.0).x.doubles(), expected);
  EXPECT_EQ(inputs(array<std::uint32_t>("<u4", "(6,)", {3, 0, 4, 6, 200, 14}), 2.0).x.doubles(), (std::vector<double>{1.5, 0, 2, 3, 100, 7}));
  // Bytes stay byte-coded, divided in float32 as torchvision's ToTensor divides them (and read_idx does).
  const Dataset pixels = inputs(array<std::uint8_t>("|u1", "(2, 2)", {0, 1, 128, 255}), 255.0);
  EXPECT_TRUE(pixels.x.byte_coded());
  EXPECT_EQ(pixels.x.doubles(), (std::vector<double>{0, 1.0f / 255.0f, 128.0f / 255.0f, 1}));
  // A bool's byte is True unless it is 0, as numpy reads it.
  EXPECT_EQ(inputs(array<std::uint8_t>("|b1", "(4,)", {0, 1, 0, 7})).x.doubles(), (std::vector<double>{0, 1, 0, 1}));
  // A float64 array for a float32 model is rounded to float32.
  EXPECT_EQ(inputs(array<double>("<f8", "(1,)", {0.1})).x.doubles(), (std::vector<double>{static_cast<double>(0.1f)}));
}

TEST(NpyReader, TheFirstAxisCountsTheSamplesAndTheRestIsTheirShape) {
  const Dataset images = inputs(array<float>("<f4", "(2, 1, 2, 3)", std::vector<float>(12, 1.0f)));
  EXPECT_EQ(images.size(), 2);
  EXPECT_EQ(images.sample_shape, (Shape{1, 2, 3}));
  EXPECT_EQ(images.labels, (std::vector<std::int32_t>{-1, -1}));
  const Dataset column = inputs(array<float>("<f4", "(3,)", {1, 2, 3}));
  EXPECT_EQ(column.size(), 3);
  EXPECT_EQ(column.sample_shape, (Shape{1}));
  // Versions 2 and 3 count the header in 32 bits; a trailing comma after the shape's last size is optional.
  EXPECT_EQ(inputs(array<float>("<f4", "(2, 2)", {1, 2, 3, 4}, 2)).size(), 2);
  EXPECT_EQ(inputs(array<float>("<f4", "(1,2)", {1, 2}, 3)).sample_shape, (Shape{2}));
  EXPECT_EQ(inputs(npy_file("{\"shape\": (2,), \"fortran_order\": True, \"descr\": \"<f4\"}", bytes_of<float>({1, 2}))).size(), 2);
}

// Three samples of two values, with these targets.
Dataset with_targets(const Bytes& targets) {
  Dataset d = inputs(array<float>("<f4", "(3, 2)", std::vector<float>(6, 0.5f)));
  parse_npy_targets(targets, "y.npy", d);
  return d;
}

TEST(NpyReader, IntegerTargetsOfOneValueAreLabelsAndTheRestValueTargets) {
  const Dataset labelled = with_targets(array<std::int64_t>("<i8", "(3,)", {2, 0, 4}));
  EXPECT_EQ(labelled.labels, (std::vector<std::int32_t>{2, 0, 4}));
  EXPECT_EQ(labelled.num_classes, 5);
  EXPECT_FALSE(labelled.has_value_targets());
  EXPECT_EQ(with_targets(array<std::uint8_t>("|u1", "(3, 1)", {1, 1, 0})).labels, (std::vector<std::int32_t>{1, 1, 0}));
  EXPECT_EQ(with_targets(array<std::uint8_t>("|b1", "(3,)", {1, 0, 1})).num_classes, 2);
  const Dataset regression = with_targets(array<float>("<f4", "(3,)", {0.5f, -2, 7}));
  EXPECT_EQ(regression.targets, (std::vector<float>{0.5f, -2, 7}));
  EXPECT_EQ(regression.target_width, 1);
  EXPECT_EQ(regression.labels, (std::vector<std::int32_t>{-1, -1, -1}));
  const Dataset multilabel = with_targets(array<std::uint8_t>("|u1", "(3, 2)", {1, 0, 0, 1, 1, 1}));
  EXPECT_EQ(multilabel.targets, (std::vector<float>{1, 0, 0, 1, 1, 1}));
  EXPECT_EQ(multilabel.target_width, 2);
}

// Targets of several axes per sample keep their shape, and are read in C order only where it is the model's output's,
// up to axes of length 1: axes in another order would be read as the output's, a value landing on another one.
TEST(NpyReader, TargetsOfSeveralAxesPerSampleMustLieAsTheModelsOutput) {
  Dataset d = inputs(array<float>("<f4", "(3, 2)", std::vector<float>(6, 0.5f)));
  parse_npy_targets(array<float>("<f4", "(3, 2, 4)", std::vector<float>(24, 0.5f)), "y.npy", d);
  EXPECT_EQ(d.target_width, 8);
  EXPECT_EQ(d.target_shape, (Shape{2, 4}));
  EXPECT_EQ(d.subset({2, 0}).target_shape, (Shape{2, 4}));  // and so do a split's sets
  const auto mse = registry().create_loss(Params("test", "mse"));
  EXPECT_NO_THROW(check_targets(*mse, Shape{2, 4}, d));
  EXPECT_NO_THROW(check_targets(*mse, Shape{2, 1, 4}, d));
  EXPECT_EQ(error_of([&] { check_targets(*mse, Shape{4, 2}, d); }),
            "y.npy: the targets have shape [2, 4] per sample, but the model outputs [4, 2] (targets shaped as it, or a class label at each of "
            "its steps, [4]); give the targets' axes in the output's order");
  Dataset flat = inputs(array<float>("<f4", "(3, 2)", std::vector<float>(6, 0.5f)));
  parse_npy_targets(array<float>("<f4", "(3, 8)", std::vector<float>(24, 0.5f)), "y.npy", flat);
  EXPECT_EQ(flat.target_shape.rank(), 0);  // a row of values: any output of as many, as a CSV file's columns
  EXPECT_NO_THROW(check_targets(*mse, Shape{4, 2}, flat));
  EXPECT_EQ(error_of([&] { parse_npy_targets(array<float>("<f4", "(3, 1, 1, 1, 1, 1, 1, 8)", std::vector<float>(24, 0.5f)), "y.npy", flat); }),
            "y.npy: the targets have 7 axes per sample, more than a model's output has (at most 6)");
}

// A loss of class labels reads float targets of whole numbers (y saved from pandas) and one-hot rows (Keras's
// to_categorical) as the labels they hold, as Python's fit reads its y; a loss of values keeps them as values, and
// targets that are neither stay for check_targets to refuse.
TEST(NpyReader, ALossOfClassLabelsTakesWholeFloatsAndOneHotRowsAsLabels) {
  const auto labels = registry().create_loss(Params("test", "softmax_cross_entropy"));
  const auto mse = registry().create_loss(Params("test", "mse"));
  Dataset whole = with_targets(array<double>("<f8", "(3, 1)", {2, 0, 1}));
  take_class_labels(*labels, Shape{3}, whole);
  EXPECT_EQ(whole.labels, (std::vector<std::int32_t>{2, 0, 1}));
  EXPECT_EQ(whole.num_classes, 3);
  EXPECT_FALSE(whole.has_value_targets());
  Dataset one_hot = with_targets(array<float>("<f4", "(3, 4)", {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0}));
  take_class_labels(*labels, Shape{4}, one_hot);
  EXPECT_EQ(one_hot.labels, (std::vector<std::int32_t>{2, 0, 2}));
  EXPECT_EQ(one_hot.num_classes, 4);
  for (const auto& [loss, values, width] : {std::tuple{mse, std::vector<float>{2, 0, 1}, "(3,)"}, {labels, {2, 0.5f, 1}, "(3,)"},
                                            {labels, {2, -1, 1}, "(3,)"}, {labels, {1, 0, 0, 1, 0.5f, 0.5f}, "(3, 2)"}}) {
    Dataset kept = with_targets(array<float>("<f4", width, values));
    take_class_labels(*loss, Shape{values.size() == 3 ? 1 : 2}, kept);
    EXPECT_EQ(kept.targets, values) << loss->type();
  }
}

std::string header_error(const std::string& dict, const Bytes& values = bytes_of<float>({1, 2})) {
  return error_of([&] { inputs(npy_file(dict, values)); });
}

TEST(NpyReader, HostileHeadersAreRefusedByName) {
  const std::string at = "x.npy: the .npy header ";
  EXPECT_EQ(error_of([] { inputs(Bytes{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0}); }),
            "x.npy: a zip file, as numpy.savez writes an .npz archive: name it as the data section's path, and its arrays as train_inputs "
            "and train_targets");
  EXPECT_EQ(error_of([] { inputs(Bytes{0x89, 'P', 'N', 'G', 0, 0, 0, 0, 0, 0, 0, 0}); }),
            "x.npy: not a NumPy .npy file (it does not start with numpy.save's magic string \\x93NUMPY)");
  EXPECT_EQ(error_of([] { inputs(Bytes{}); }), "x.npy: not a NumPy .npy file (it does not start with numpy.save's magic string \\x93NUMPY)");
  Bytes version4 = array<float>("<f4", "(2,)", {1, 2});
  version4[6] = 4;
  EXPECT_EQ(error_of([&] { inputs(version4); }), "x.npy: .npy format version 4.0, which nnplug does not read (1.0, 2.0 and 3.0)");
  Bytes long_header = array<float>("<f4", "(2,)", {1, 2});
  long_header[8] = 0xff, long_header[9] = 0xff;
  EXPECT_EQ(error_of([&] { inputs(long_header); }), "x.npy: the .npy header announces 65535 bytes but the file has 126 after its prefix");
  const std::string tail = "'fortran_order': False, 'shape': (2,)}";
  EXPECT_NE(header_error("{'descr': '>f4', " + tail).find(at + "names the big-endian dtype '>f4'"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f\x1b[2J4', " + tail).find(at + "has a string with characters that are not printable ASCII"),
            std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f2', " + tail).find(at + "names float16 ('<f2'); convert it first: arr.astype('float32')"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<c8', " + tail).find(at + "names the dtype '<c8'; nnplug reads bool, integer and float32 or float64 arrays"),
            std::string::npos);
  EXPECT_NE(header_error("{'descr': '|O', " + tail).find(at + "names the dtype '|O', not a NumPy type string"), std::string::npos);
  EXPECT_NE(header_error("{'descr': [('a', '<f4')], " + tail).find(at + "names a structured dtype"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2)}").find(at + "says the array is in Fortran order"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'descr': '<f4', " + tail).find(at + "gives 'descr' twice"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'version': 1, " + tail).find(at + "has the key 'version'"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'shape': (2,)}").find(at + "lacks one of 'descr', 'fortran_order' and 'shape'"), std::string::npos);
  EXPECT_NE(header_error("{'descr' '<f4', " + tail).find(at + "lacks ':'"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4, " + tail).find(at + "names the dtype '<f4, '"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}").find(at + "has a fortran_order that is neither"),
            std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}").find(at + "has a shape that is not a tuple"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}").find(at + "has a size past 63 bits"),
            std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', " + tail + " x").find(at + "has text after its dict"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}").find(at + "lacks ')'"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,").find(at + "has a shape that is not a tuple"), std::string::npos);
  EXPECT_NE(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'descr").find(at + "has a string without its closing quote"),
            std::string::npos);
}

TEST(NpyReader, SizesAreCheckedAgainstTheBytesThere) {
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904)}"),
            "x.npy: the .npy header announces shape (4611686018427387904, 4611686018427387904), more values than 64 bits can count");
  EXPECT_EQ(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}"),
            "x.npy: the .npy header announces shape (4611686018427387904) of <f8, more bytes than 64 bits can count");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}"),
            "x.npy: the .npy header announces shape (3) of <f4, 12 bytes, but 8 bytes follow it");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", bytes_of<float>({1})),
            "x.npy: holds one value (shape ()), not samples: the first axis counts the samples");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5)}", {}), "x.npy: shape (0, 5) holds no values: there is nothing to read");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 2)}"),
            "x.npy: shape (1, 1, 1, 1, 1, 1, 2) has 7 axes; nnplug's samples have at most 5 (the first axis counts them)");
  EXPECT_EQ(error_of([] { inputs(array<float>("<f4", "(2,)", {1, std::numeric_limits<float>::quiet_NaN()})); }),
            "x.npy: value 1 (sample 1, feature 0) is nan: not a finite float32 value");
  EXPECT_EQ(error_of([] { inputs(array<double>("<f8", "(1, 2)", {1, 1e300})); }),
            "x.npy: value 1 (sample 0, feature 1) is 1e+300: not a finite float32 value");
  Dataset d = inputs(array<float>("<f4", "(2,)", {1, 2}));
  EXPECT_EQ(error_of([&] { parse_npy_targets(array<std::int32_t>("<i4", "(3,)", {0, 1, 2}), "y.npy", d); }),
            "y.npy: shape (3) holds 3 rows of targets, but the inputs hold 2 samples");
  EXPECT_EQ(error_of([&] { parse_npy_targets(array<std::int32_t>("<i4", "(2,)", {0, -1}), "y.npy", d); }),
            "y.npy: label -1 (sample 1) is not a class index (a non-negative integer up to 1e9)");
  EXPECT_EQ(error_of([&] { parse_npy_targets(array<std::int64_t>("<i8", "(2,)", {0, 10000000000}), "y.npy", d); }),
            "y.npy: label 10000000000 (sample 1) is not a class index (a non-negative integer up to 1e9)");
  EXPECT_EQ(error_of([&] { parse_npy_targets(array<double>("<f8", "(2,)", {0, 1e300}), "y.npy", d); }),
            "y.npy: target 0 of sample 1 is 1e+300: not a finite float32 value");
}

TEST(NpzArchive, BytesThatAreNotAZipFileAreRefusedByName) {
  EXPECT_EQ(error_of([] { NpzArchive(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", bytes_of<float>({1})), "d.npz"); }),
            "d.npz: not an .npz archive that can be read (a zip file, as numpy.savez writes): Not a zip archive");
  EXPECT_EQ(error_of([] { NpzArchive(Bytes{'P', 'K', 5, 6}, "d.npz"); }),
            "d.npz: not an .npz archive that can be read (a zip file, as numpy.savez writes): Not a zip archive");
}

class NpySpecTest : public ScratchFolderTest {
 protected:
  NpySpecTest() : ScratchFolderTest("npy_spec") {}
  void save(const std::string& file, const Bytes& bytes) { std::ofstream(dir_ / file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())); }
  Spec spec(const std::string& data_fields) {
    return parse_spec(fmt::format(R"({{"data": {{"format": "npy", {}}}, "layers": [{{"type": "dense", "units": 3}}],
                                       "loss": "softmax_cross_entropy", "optimizer": {{"type": "sgd", "lr": 0.1}}, "training": {{"shuffle": false}}}})",
                                  data_fields),
                      dir_ / "spec.json");
  }
};

TEST_F(NpySpecTest, ASpecNamesTrainingAndTestArraysRelativeToItself) {
  save("x.npy", array<std::uint8_t>("|u1", "(4, 1, 2)", {0, 255, 51, 102, 0, 0, 255, 255}));
  save("y.npy", array<std::int64_t>("<i8", "(4,)", {0, 2, 1, 2}));
  save("x_test.npy", array<float>("<f4", "(1, 1, 2)", {0.5f, 255}));
  save("y_test.npy", array<std::int32_t>("<i4", "(1,)", {1}));
  const Experiment ex = build_experiment(spec(R"("train_inputs": "x.npy", "train_targets": "y.npy", "test_inputs": "x_test.npy",
                                                 "test_targets": "y_test.npy", "divide_by": 255, "sample_shape": [2])"),
                                         registry());
  EXPECT_EQ(ex.train.x.doubles(), (std::vector<double>{0, 1, 0.2f, 0.4f, 0, 0, 1, 1}));
  EXPECT_EQ(ex.train.labels, (std::vector<std::int32_t>{0, 2, 1, 2}));
  EXPECT_EQ(ex.train.num_classes, 3);
  EXPECT_EQ(ex.train.sample_shape, (Shape{2}));
  EXPECT_EQ(ex.test.x.doubles(), (std::vector<double>{0.5f / 255.0f, 1}));
  EXPECT_EQ(ex.test.labels, (std::vector<std::int32_t>{1}));
  // An autoencoder's spec names the inputs alone.
  const std::string where = (dir_ / "spec.json").string();
  EXPECT_EQ(error_of([&] { build_experiment(spec(R"("train_inputs": "x.npy", "train_targets": "y.npy", "targets_are_inputs": true)"), registry()); }),
            fmt::format("{}: data: parameter 'targets_are_inputs' cannot be given with train_targets or test_targets: the inputs are the targets", where));
  EXPECT_NE(error_of([&] { build_experiment(spec(R"("train_inputs": "x.npy", "train_targets": "missing.npy")"), registry()); })
                .find((dir_ / "missing.npy").string()),
            std::string::npos);
}

}  // namespace
}  // namespace nnplug::test

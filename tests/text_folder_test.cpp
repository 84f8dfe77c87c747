// Folders of class folders of texts as a data set (format "text_folder"): labels, class names and files, what is
// skipped and what is refused, and a spec that trains on such a folder and predicts, from its saved model, with the
// vocabulary it was trained with.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/text_folder.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

class TextFolderTest : public ScratchFolderTest {
 protected:
  TextFolderTest() : ScratchFolderTest("text_folder") {}
  void write(const std::string& relative, const std::string& text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative, std::ios::binary) << text;
  }
  std::string error_reading(const std::string& folder) {
    return error_of([&] { read_text_folder(dir_ / folder); });
  }
};

TEST_F(TextFolderTest, ClassesAreTheSortedFolderNamesAndEachTxtFileIsOneText) {
  write("set/pos/b.txt", "good film");
  write("set/pos/nested/a.TXT", "great\nacting");  // any depth, the extension in any case
  write("set/neg/z.txt", "dull");
  write("set/neg/notes.md", "not a text of the set");  // ignored
  write("set/neg/.z.txt.swp", "junk");                  // hidden: skipped
  write("set/.cache/x.txt", "a hidden folder is no class");
  const TextFolder folder = read_text_folder(dir_ / "set");
  EXPECT_EQ(folder.class_names, (std::vector<std::string>{"neg", "pos"}));
  EXPECT_EQ(folder.labels, (std::vector<std::int32_t>{0, 1, 1}));
  EXPECT_EQ(folder.texts, (std::vector<std::string>{"dull", "good film", "great\nacting"}));
  EXPECT_EQ(folder.files.back(), (dir_ / "set/pos/nested/a.TXT").string());
  // A test folder takes the training classes' indices.
  EXPECT_EQ(read_text_folder(dir_ / "set", {"extra", "neg", "pos"}).labels, (std::vector<std::int32_t>{1, 2, 2}));
}

TEST_F(TextFolderTest, BadFoldersAndFilesAreRefusedByName) {
  EXPECT_EQ(error_reading("missing"), fmt::format("{}: the text folder does not exist", (dir_ / "missing").string()));
  write("flat/a.txt", "x");
  EXPECT_THAT(error_reading("flat"), ::testing::HasSubstr("flat: the text folder holds no class folders"));
  write("empty/neg/a.csv", "x");
  EXPECT_EQ(error_reading("empty"), fmt::format("{}: class folder 'neg' holds no .txt files", (dir_ / "empty").string()));
  fs::create_directories(dir_ / "fifo/neg");
  ASSERT_EQ(::mkfifo((dir_ / "fifo/neg/a.txt").c_str(), 0600), 0);  // would block a reader that opened it
  EXPECT_EQ(error_reading("fifo"), fmt::format("{}: the text is a FIFO (named pipe), not a regular file", (dir_ / "fifo/neg/a.txt").string()));
  write("loop/neg/a.txt", "x");
  fs::create_directory_symlink(dir_ / "loop/neg", dir_ / "loop/neg/again");
  EXPECT_EQ(read_text_folder(dir_ / "loop").texts.size(), 1u);
}

// A vocabulary file (Keras's vocabulary=): its tokens in its order, the reserved ones allowed to open it; a mistake
// named by file and line.
TEST_F(TextFolderTest, AVocabularyFileGivesTheTokensInItsOrder) {
  write("set/neg/a.txt", "dull film");
  write("set/pos/b.txt", "great film");
  write("vocab.txt", "\r\n[UNK]\r\ngreat\r\ndull\r\n");
  std::ofstream(dir_ / "spec.json") << R"({"data": {"format": "text_folder", "path": "set", "text": {"vocabulary": "vocab.txt", "output_sequence_length": 3}},
    "layers": [{"type": "embedding", "input_dim": 4, "output_dim": 2}, {"type": "flatten"}, {"type": "dense", "units": 2}],
    "loss": "softmax_cross_entropy", "optimizer": "adam", "training": {"shuffle": false}})";
  const Experiment ex = build_experiment(load_spec(dir_ / "spec.json"), registry());
  EXPECT_EQ(ex.text.vocabulary(), (std::vector<std::string>{"", "[UNK]", "great", "dull"}));
  EXPECT_EQ(ex.train.x.doubles(), (std::vector<double>{3, 1, 0, 2, 1, 0}));  // "film" is outside the vocabulary
  write("vocab.txt", "great\ndull\ngreat\n");
  EXPECT_EQ(error_of([&] { build_experiment(load_spec(dir_ / "spec.json"), registry()); }),
            fmt::format("{}:3: \"great\" is given twice", (dir_ / "vocab.txt").string()));
}

// The vocabulary is fitted on the texts the split leaves for training, as the numbers' preprocessing is: a word
// that only validation and test texts hold is out of it, as Keras's adapt on the training set leaves it.
TEST_F(TextFolderTest, TheVocabularyIsFittedOnTheTrainingSplitOnly) {
  for (int i = 0; i < 10; ++i) write(fmt::format("set/{}/{}.txt", i % 2 ? "pos" : "neg", i), fmt::format("shared only{}", i));
  std::ofstream(dir_ / "spec.json") << R"({"seed": 3, "data": {"format": "text_folder", "path": "set", "validation_split": 0.3, "test_split": 0.2,
    "text": {"output_mode": "multi_hot"}}, "layers": [{"type": "dense", "units": 2}], "loss": "softmax_cross_entropy", "optimizer": "adam"})";
  const Experiment ex = build_experiment(load_spec(dir_ / "spec.json"), registry());
  ASSERT_EQ(ex.train.size(), 5);
  const std::vector<std::string>& vocabulary = ex.text.vocabulary();
  const auto in_vocabulary = [&](const std::string& file) {  // the word only this file holds: only<i> for <i>.txt
    return std::find(vocabulary.begin(), vocabulary.end(), "only" + fs::path(file).stem().string()) != vocabulary.end();
  };
  for (const auto& file : ex.train.sample_names) EXPECT_TRUE(in_vocabulary(file)) << file;
  for (const Dataset* held_out : {&ex.validation, &ex.test})
    for (const auto& file : held_out->sample_names) EXPECT_FALSE(in_vocabulary(file)) << file;
  EXPECT_EQ(ex.validation.size() + ex.test.size(), 5);
}

// Two topics told apart by their words among shared filler words: a spec trains on the folder, saves the model, and
// the saved model predicts new texts, as int sequences and as a bag of words, with the folder gone.
TEST_F(TextFolderTest, ASpecTrainsOnTextsAndItsSavedModelReadsNewTexts) {
  const std::vector<std::vector<std::string>> topics{{"goal", "match", "team", "coach", "league"}, {"rain", "storm", "cloud", "wind", "snow"}};
  const std::vector<std::string> filler{"the", "a", "today", "and", "of", "was"};
  Random rng(5);
  for (int i = 0; i < 40; ++i)
    for (std::size_t t = 0; t < 2; ++t) {
      std::string text;
      const int words = 4 + i % 7;  // 4 to 10: some texts are padded to the sequence length, some cut
      for (int w = 0; w < words; ++w) {
        const auto& pool = rng.uniform() < 0.4 ? topics[t] : filler;
        text += pool[static_cast<std::size_t>(rng.uniform() * static_cast<double>(pool.size()))] + (w % 3 ? " " : ", ");
      }
      write(fmt::format("train/{}/{}.txt", t ? "weather" : "sports", i), text);
    }
  write("new/a.txt", "Snow, and WIND today!");
  write("new/b.txt", "the coach of the team");
  for (const char* data : {R"({"output_mode": "int", "max_tokens": 20, "output_sequence_length": 8})", R"({"output_mode": "multi_hot"})"}) {
    const bool sequences = std::string(data).find("int") != std::string::npos;
    std::ofstream(dir_ / "spec.json") << fmt::format(R"({{"seed": 1,
      "data": {{"format": "text_folder", "path": "train", "validation_split": 0.25, "text": {}}},
      "layers": {},
      "loss": "softmax_cross_entropy", "optimizer": {{"type": "adam", "lr": 0.05}}, "training": {{"epochs": 15, "batch_size": 8}}}})",
                                                     data,
                                                     sequences ? R"([{"type": "embedding", "input_dim": 20, "output_dim": 4, "padding_idx": 0},
                                                                     {"type": "global_avg_pool1d", "data_format": "channels_last", "mask_zero": true},
                                                                     {"type": "dense", "units": 2}])"
                                                               : R"([{"type": "dense", "units": 2}])");
    Experiment ex = build_experiment(load_spec(dir_ / "spec.json"), registry());
    EXPECT_EQ(ex.class_names, (std::vector<std::string>{"sports", "weather"}));
    EXPECT_EQ(ex.train.sample_shape, sequences ? Shape{8} : Shape{2 + 10 + 6 - 1});  // [UNK], 10 topic and 6 filler words
    ex.fit.progress = false;
    Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    trainer.fit(ex.train, &ex.validation, ex.fit);
    EXPECT_GE(trainer.evaluate(ex.validation, 8).score, 0.9) << data;
    save_model(dir_ / "model.safetensors", load_spec(dir_ / "spec.json"), *ex.model, registry());
    fs::rename(dir_ / "train", dir_ / "away");  // predicting needs the model's vocabulary, not the training texts
    const LoadedModel loaded = load_model(dir_ / "model.safetensors", registry());
    EXPECT_EQ(loaded.model->text_vectorization().vocabulary(), ex.text.vocabulary());
    EXPECT_EQ(loaded.class_names, ex.class_names);  // kept in the file, the folders gone
    const std::optional<Dataset> inputs = read_inputs(loaded.spec, *loaded.model, dir_ / "new");
    ASSERT_TRUE(inputs.has_value());
    Trainer predictor(*loaded.model, ex.loss, nullptr);
    const std::vector<float> outputs = predictor.predict(*inputs, 2);
    EXPECT_GT(outputs[1], outputs[0]) << data << ": the snow and wind text is weather";
    EXPECT_GT(outputs[2], outputs[3]) << data << ": the coach and team text is sports";
    fs::rename(dir_ / "away", dir_ / "train");
  }
}

}  // namespace
}  // namespace nnplug::test

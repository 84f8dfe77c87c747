#pragma once
// Saved models scored together on one data set, for evaluate and predict: each model's class probabilities (its
// outputs through its loss's output link), and their average when there are several (an ensemble).
#include <filesystem>
#include <string>
#include <vector>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"

namespace nnplug::cli {

struct ScoredModels {
  Experiment data;            // the first model's spec's data, preprocessed as in training
  const Dataset* scored = nullptr;  // the set scored: the inputs, else the test set, else the validation set
  std::string scored_name;    // "inputs", "test" or "validation"
  std::int64_t classes = 0;
  std::vector<Scores> member_scores;  // each model's loss and accuracy (when the labels are known)
  // Models that score a class per step of a sequence (step_labels.hpp): the steps of each sample; each row of
  // probabilities, outputs and labels is then a sample's step. 0 for models that score whole samples.
  std::int64_t steps = 0;
  std::vector<float> probabilities;   // rows (scored->size(), times steps) of `classes`, averaged over the models
  std::vector<float> outputs;         // the first model's raw outputs (logits): as many rows of `width`
  std::int64_t width = 0;             // values per row the models output (1 for two classes with a sigmoid)
  std::vector<std::int32_t> labels;   // each row's class label; negative where unknown (or a step not scored)
  bool class_scores = false;          // `probabilities` are class scores (gives_class_scores: hinge losses, margins)
  // Models of value targets (a CSV file's data.targets, an .npy file's floats) score no classes: `predictions` holds
  // their outputs through their loss's link (link_values: probabilities or margins for a multi-label loss), averaged,
  // and `probabilities` stays empty.
  std::vector<std::string> target_names;  // empty for class labels; target_0, ... where the data names none
  OutputLink link = OutputLink::Identity;  // the first model's loss's
  std::vector<float> predictions;         // scored->size() rows of `width`
  std::string label_name;                 // the first model's training file's label column's name; empty where unnamed
};

// Every model must have been trained on the same data section (the first model's spec gives it) and output as
// many classes. inputs: a file of samples to score instead of the test set (see load_data). precision: --precision,
// or "" for each model's saved precision (precision.hpp).
ScoredModels score_saved_models(const std::vector<std::filesystem::path>& models, const std::string& backend_name,
                                const std::string& precision, const Registry& registry, std::int64_t batch_size,
                                const std::filesystem::path& inputs = {});

}  // namespace nnplug::cli

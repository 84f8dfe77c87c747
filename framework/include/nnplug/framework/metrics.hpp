#pragma once
// Classification metrics from predicted scores and true labels: accuracy, top-k accuracy, the confusion matrix,
// and per-class precision, recall (sensitivity), F1, specificity and IoU with macro, micro and weighted averages.
// Precision is TP / (TP + FP) and specificity TN / (TN + FP): they are different things (one chapter conflates
// them). A ratio whose denominator is 0 is reported as 0, as scikit-learn's zero_division=0.
#include <cstdint>
#include <vector>

namespace nnplug {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(std::int64_t classes);
  // scores: rows of `classes` values (the predicted class is the arg-max); labels: the true classes.
  static ConfusionMatrix from_scores(const std::vector<float>& scores, const std::vector<std::int32_t>& labels,
                                     std::int64_t classes);
  void add(std::int32_t actual, std::int32_t predicted, std::int64_t count = 1);

  std::int64_t classes() const { return classes_; }
  std::int64_t at(std::int64_t actual, std::int64_t predicted) const { return counts_[static_cast<std::size_t>(actual * classes_ + predicted)]; }
  std::int64_t total() const;

  std::int64_t true_positives(std::int64_t c) const { return at(c, c); }
  std::int64_t false_positives(std::int64_t c) const;
  std::int64_t false_negatives(std::int64_t c) const;
  std::int64_t true_negatives(std::int64_t c) const;
  std::int64_t support(std::int64_t c) const { return true_positives(c) + false_negatives(c); }

  double accuracy() const;
  double precision(std::int64_t c) const;
  double recall(std::int64_t c) const;
  double f1(std::int64_t c) const;
  double specificity(std::int64_t c) const;
  // Intersection over union, TP / (TP + FP + FN): the Jaccard index (scikit-learn's jaccard_score), whose macro
  // average over the classes is a segmentation's mean IoU.
  double iou(std::int64_t c) const;

  enum class Average { Macro, Micro, Weighted };
  // Averages of the per-class values: macro (plain mean), weighted (by support), micro (from summed counts). As
  // scikit-learn's, they run over the classes that some label or prediction names: a model output that no sample
  // is labelled or predicted as (data whose labels stop short of it) does not pull the macro mean down.
  double precision(Average a) const;
  double recall(Average a) const;
  double f1(Average a) const;
  double specificity(Average a) const;
  double iou(Average a) const;

 private:
  template <typename F>
  double average(Average a, F per_class, double micro) const;
  bool named(std::int64_t c) const { return support(c) > 0 || true_positives(c) + false_positives(c) > 0; }  // by a label or a prediction
  std::int64_t classes_;
  std::vector<std::int64_t> counts_;  // [actual][predicted]
};

// The share of rows whose true label is among the k highest scores.
double top_k_accuracy(const std::vector<float>& scores, const std::vector<std::int32_t>& labels, std::int64_t classes,
                      std::int64_t k);

}  // namespace nnplug

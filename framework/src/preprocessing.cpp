#include "nnplug/framework/preprocessing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

Standardizer Standardizer::per_channel(std::int64_t channel_size, double eps) {
  if (channel_size < 1) throw InvalidArgument(fmt::format("a channel holds at least one value, got {}", channel_size));
  Standardizer s(true, true, eps);
  s.channel_size_ = channel_size;
  return s;
}

std::size_t Standardizer::group_of(std::size_t feature) const {
  return channel_size_ ? feature / static_cast<std::size_t>(channel_size_) : per_feature_ ? feature : 0;
}

std::size_t Standardizer::groups(std::size_t features) const {
  return channel_size_ ? features / static_cast<std::size_t>(channel_size_) : per_feature_ ? features : 1;
}

void Standardizer::fit(const Dataset& train) {
  if (train.size() == 0) throw InvalidArgument("cannot fit preprocessing on an empty training set");
  const auto f = static_cast<std::size_t>(train.features()), n = static_cast<std::size_t>(train.size());
  if (channel_size_ && f % static_cast<std::size_t>(channel_size_) != 0)
    throw ShapeError(fmt::format("samples of {} values are not whole channels of {} values", f, channel_size_));
  const std::size_t g = groups(f);
  std::vector<double> sum(g, 0.0), sq(g, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) sum[group_of(j)] += train.x[i * f + j];
  const double count = static_cast<double>(n * f / g);  // the values in each group
  mean_.resize(g);
  for (std::size_t k = 0; k < g; ++k) mean_[k] = sum[k] / count;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) {
      const double d = train.x[i * f + j] - mean_[group_of(j)];
      sq[group_of(j)] += d * d;
    }
  std_.resize(g);
  // A feature constant in training has no scale: std 0 (a variance within its mean's rounding, scikit-learn's test),
  // which apply() reads as 1, as StandardScaler leaves it, so that a value training never saw keeps its size instead
  // of growing by 1 / eps.
  const double e = std::numeric_limits<double>::epsilon();
  for (std::size_t k = 0; k < g; ++k) {
    const double variance = sq[k] / count, rounding = count * mean_[k] * e;
    std_[k] = variance <= count * e * variance + rounding * rounding ? 0.0 : std::sqrt(variance);
  }
}

void Standardizer::apply(Dataset& data) const {
  if (mean_.empty()) throw Error("preprocessing must be fitted before it is applied");
  const auto f = static_cast<std::size_t>(data.features());
  if (per_feature_ && (groups(f) != mean_.size() || (channel_size_ && f % static_cast<std::size_t>(channel_size_) != 0)))
    throw ShapeError(channel_size_ ? fmt::format("preprocessing was fitted on {} channels of {} values, the data has {} values", mean_.size(),
                                                 channel_size_, f)
                                   : fmt::format("preprocessing was fitted on {} features, the data has {}", mean_.size(), f));
  data.x.map_values(f, per_feature_, [&](double x, std::size_t feature) {
    const std::size_t g = group_of(feature);
    // A constant feature (std 0) is only centred; eps keeps a scale of a tiny spread finite.
    return scale_ ? (x - mean_[g]) / (std_[g] == 0.0 ? 1.0 : std_[g] + eps_) : x - mean_[g];
  });
}

namespace {

using Json = nlohmann::json;

// The fields of a saved step, checked: a list of `size` finite numbers (a non-empty one when size is 0), a whole
// number in [min, max], a flag, eps.
std::vector<double> numbers_in(const Json& list, const char* key, std::size_t size) {
  if (!list.is_array() || list.empty() || (size && list.size() != size))
    throw InvalidArgument(size ? fmt::format("'{}' must be a list of {} numbers", key, size) : fmt::format("'{}' must be a list of numbers", key));
  std::vector<double> out;
  out.reserve(list.size());
  for (const auto& v : list) {
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      throw InvalidArgument(fmt::format("'{}' holds {}, not a finite number", key, Params::shown(v)));
    out.push_back(v.get<double>());
  }
  return out;
}

std::vector<double> numbers_of(const Json& step, const char* key, std::size_t size) {
  const auto it = step.find(key);
  return numbers_in(it == step.end() ? Json() : *it, key, size);
}

std::int64_t whole_of(const Json& step, const char* key, std::int64_t min, std::int64_t max) {
  const auto it = step.find(key);
  if (it == step.end() || !it->is_number_integer() || it->get<std::int64_t>() < min || it->get<std::int64_t>() > max)
    throw InvalidArgument(fmt::format("'{}' must be a whole number in [{}, {}]", key, min, max));
  return it->get<std::int64_t>();
}

bool flag_of(const Json& step, const char* key) {
  const auto it = step.find(key);
  if (it == step.end() || !it->is_boolean()) throw InvalidArgument(fmt::format("'{}' must be true or false", key));
  return it->get<bool>();
}

double eps_of(const Json& step) {
  const auto it = step.find("eps");
  if (it == step.end() || !it->is_number() || !(it->get<double>() >= 0) || !std::isfinite(it->get<double>()))
    throw InvalidArgument("'eps' must be a finite number >= 0");
  return it->get<double>();
}

// The most features a saved step may name: a sample's bound (Model::kMaxSampleValues), without including model.hpp.
constexpr std::int64_t kMaxFeatures = std::int64_t{1} << 30;

}  // namespace

MissingValueFiller::MissingValueFiller(std::string strategy, double constant) : strategy_(std::move(strategy)), constant_(constant) {
  if (strategy_ != "mean" && strategy_ != "median" && strategy_ != "most_frequent" && strategy_ != "constant")
    throw InvalidArgument(fmt::format("'strategy' must be \"mean\", \"median\", \"most_frequent\" or \"constant\", got \"{}\"", strategy_));
  if (!std::isfinite(constant_)) throw InvalidArgument("the constant to fill with must be a finite number");
}

void MissingValueFiller::fit(const Dataset& train) {
  if (train.size() == 0) throw InvalidArgument("cannot fit preprocessing on an empty training set");
  const auto f = static_cast<std::size_t>(train.features()), n = static_cast<std::size_t>(train.size());
  values_.assign(f, constant_);
  missing_in_fit_.assign(f, 0);
  std::vector<double> present;
  for (std::size_t j = 0; j < f; ++j) {
    present.clear();
    for (std::size_t i = 0; i < n; ++i)
      if (const double v = train.x[i * f + j]; !std::isnan(v)) present.push_back(v);
    missing_in_fit_[j] = static_cast<std::int64_t>(n - present.size());
    if (present.empty() || strategy_ == "constant") continue;  // the constant: 0 unless given
    std::ranges::sort(present);
    const std::size_t m = present.size();
    if (strategy_ == "mean") {
      values_[j] = std::accumulate(present.begin(), present.end(), 0.0) / static_cast<double>(m);
    } else if (strategy_ == "median") {
      values_[j] = m % 2 ? present[m / 2] : (present[m / 2 - 1] + present[m / 2]) / 2;
    } else {  // the longest run of equal values in sorted order; the first of those as long, the smallest value
      std::size_t best = 0, best_length = 0;
      for (std::size_t start = 0, end = 0; start < m; start = end) {
        while (end < m && present[end] == present[start]) ++end;
        if (end - start > best_length) best = start, best_length = end - start;
      }
      values_[j] = present[best];
    }
  }
}

void MissingValueFiller::apply(Dataset& data) const {
  if (values_.empty()) throw Error("preprocessing must be fitted before it is applied");
  const auto f = static_cast<std::size_t>(data.features());
  if (f != values_.size()) throw ShapeError(fmt::format("missing values were filled in {} features, the data has {}", values_.size(), f));
  data.x.map_values(f, true, [&](double x, std::size_t feature) { return std::isnan(x) ? values_[feature] : x; });
}

Json MissingValueFiller::to_json() const { return {{"type", "fill_missing"}, {"strategy", strategy_}, {"values", values_}}; }

MissingValueFiller MissingValueFiller::from_json(const Json& j) {
  const auto strategy = j.find("strategy");
  if (strategy == j.end() || !strategy->is_string()) throw InvalidArgument("'strategy' must be a string");
  MissingValueFiller filler(strategy->get<std::string>());
  filler.values_ = numbers_of(j, "values", 0);
  if (filler.values_.size() > static_cast<std::size_t>(kMaxFeatures))
    throw InvalidArgument(fmt::format("'values' holds more than {} features", kMaxFeatures));
  return filler;
}

Json Standardizer::to_json() const {
  Json j = {{"type", "standardize"}, {"scale", scale_}, {"per_feature", per_feature_}, {"eps", eps_}, {"mean", mean_}, {"std", std_}};
  if (channel_size_) j["channel_size"] = channel_size_;
  return j;
}

Standardizer Standardizer::from_json(const Json& j) {
  Standardizer s(flag_of(j, "scale"), flag_of(j, "per_feature"), eps_of(j));
  if (j.contains("channel_size")) {  // absent in files written before per-channel statistics, and in other steps
    if (!s.per_feature_) throw InvalidArgument("'channel_size' is given, but 'per_feature' is false");
    s.channel_size_ = whole_of(j, "channel_size", 1, kMaxFeatures);
  }
  s.mean_ = numbers_of(j, "mean", s.per_feature_ ? 0 : 1);
  s.std_ = numbers_of(j, "std", s.mean_.size());
  if (s.channel_size_ && static_cast<std::int64_t>(s.mean_.size()) > kMaxFeatures / s.channel_size_)
    throw InvalidArgument(fmt::format("'mean' holds {} channels of {} values: more than {} features", s.mean_.size(), s.channel_size_, kMaxFeatures));
  return s;
}

Pca::Pca(std::int64_t components, std::string whiten, double eps)
    : components_(components), whiten_(std::move(whiten)), eps_(eps) {
  if (whiten_ != "none" && whiten_ != "pca" && whiten_ != "zca")
    throw InvalidArgument("pca whiten must be \"none\", \"pca\" or \"zca\", got \"" + whiten_ + "\"");
}

namespace {
// Eigen-decomposition of a symmetric matrix (row-major, d x d) by cyclic Jacobi rotations, in double. The
// framework links no linear-algebra library; d is the number of input features, and the cost (d^3 per sweep,
// under ten sweeps) is paid once per fit.
void symmetric_eigen(std::vector<double> a, std::int64_t d, std::vector<double>& values, std::vector<double>& vectors) {
  const auto n = static_cast<std::size_t>(d);
  std::vector<double> v(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) v[i * n + i] = 1.0;
  for (int sweep = 0; sweep < 60; ++sweep) {
    double off = 0.0;
    for (std::size_t p = 0; p < n; ++p)
      for (std::size_t q = p + 1; q < n; ++q) off += a[p * n + q] * a[p * n + q];
    if (off < 1e-22) break;
    for (std::size_t p = 0; p < n; ++p)
      for (std::size_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (std::abs(apq) < 1e-300) continue;
        const double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (std::size_t k = 0; k < n; ++k) {  // A <- A J (columns p, q)
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < n; ++k) {  // A <- J^T A (rows p, q)
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (std::size_t k = 0; k < n; ++k) {  // V <- V J
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return a[x * n + x] > a[y * n + y]; });
  values.resize(n);
  vectors.resize(n * n);
  for (std::size_t r = 0; r < n; ++r) {
    values[r] = a[order[r] * n + order[r]];
    for (std::size_t k = 0; k < n; ++k) vectors[r * n + k] = v[k * n + order[r]];  // row r: the r-th eigenvector
  }
}
}  // namespace

void Pca::fit(const Dataset& train) {
  if (train.size() < 2) throw InvalidArgument("pca needs at least two training samples");
  dims_ = train.features();
  if (whiten_ != "zca" && (components_ < 1 || components_ > dims_))
    throw InvalidArgument(fmt::format("pca components must be in [1, {}], got {}", dims_, components_));
  const auto d = static_cast<std::size_t>(dims_), n = static_cast<std::size_t>(train.size());
  mean_.assign(d, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) mean_[j] += train.x[i * d + j];
  for (double& m : mean_) m /= static_cast<double>(n);
  std::vector<double> cov(d * d, 0.0), row(d);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) row[j] = train.x[i * d + j] - mean_[j];
    for (std::size_t j = 0; j < d; ++j)
      for (std::size_t k = j; k < d; ++k) cov[j * d + k] += row[j] * row[k];
  }
  for (std::size_t j = 0; j < d; ++j)
    for (std::size_t k = j; k < d; ++k) cov[k * d + j] = cov[j * d + k] /= static_cast<double>(n);
  symmetric_eigen(cov, dims_, eigenvalues_, eigenvectors_);
}

void Pca::apply(Dataset& data) const {
  if (!dims_) throw Error("pca must be fitted before it is applied");
  if (data.features() != dims_)
    throw ShapeError(fmt::format("pca was fitted on {} features, the data has {}", dims_, data.features()));
  const auto d = static_cast<std::size_t>(dims_), n = static_cast<std::size_t>(data.size());
  const std::size_t k = whiten_ == "zca" ? d : static_cast<std::size_t>(components_);
  std::vector<double> out(n * (whiten_ == "zca" ? d : k));
  std::vector<double> centred(d), projected(k);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) centred[j] = data.x[i * d + j] - mean_[j];
    for (std::size_t r = 0; r < k; ++r) {
      double dot = 0;
      for (std::size_t j = 0; j < d; ++j) dot += eigenvectors_[r * d + j] * centred[j];
      if (whiten_ != "none") dot /= std::sqrt(std::max(eigenvalues_[r], 0.0) + eps_);
      projected[r] = dot;
    }
    if (whiten_ == "zca") {  // rotate back: U diag(1 / sqrt(lambda + eps)) U^T x
      for (std::size_t j = 0; j < d; ++j) {
        double sum = 0;
        for (std::size_t r = 0; r < d; ++r) sum += eigenvectors_[r * d + j] * projected[r];
        out[i * d + j] = sum;
      }
    } else {
      for (std::size_t r = 0; r < k; ++r) out[i * k + r] = projected[r];
    }
  }
  const DType dtype = data.x.dtype();
  data.x = std::move(out);  // computed in double; kept in the data's dtype
  if (dtype != DType::Float64) data.x = data.x.as(dtype);
  data.sample_shape = Shape{static_cast<std::int64_t>(whiten_ == "zca" ? d : k)};
}

Json Pca::to_json() const {
  const std::size_t rows = whiten_ == "zca" ? static_cast<std::size_t>(dims_) : static_cast<std::size_t>(components_);
  Json directions = Json::array();
  for (std::size_t r = 0; r < rows; ++r)
    directions.push_back(std::vector<double>(eigenvectors_.begin() + static_cast<std::ptrdiff_t>(r * static_cast<std::size_t>(dims_)),
                                             eigenvectors_.begin() + static_cast<std::ptrdiff_t>((r + 1) * static_cast<std::size_t>(dims_))));
  return {{"type", "pca"},  {"components", components_}, {"whiten", whiten_}, {"eps", eps_}, {"mean", mean_},
          {"eigenvalues", std::vector<double>(eigenvalues_.begin(), eigenvalues_.begin() + static_cast<std::ptrdiff_t>(rows))},
          {"eigenvectors", directions}};
}

Pca Pca::from_json(const Json& j) {
  const auto whiten = j.find("whiten");
  if (whiten == j.end() || !whiten->is_string()) throw InvalidArgument("'whiten' must be \"none\", \"pca\" or \"zca\"");
  Pca p(1, whiten->get<std::string>(), eps_of(j));
  p.mean_ = numbers_of(j, "mean", 0);
  if (p.mean_.size() > static_cast<std::size_t>(kMaxFeatures)) throw InvalidArgument(fmt::format("'mean' holds more than {} features", kMaxFeatures));
  p.dims_ = static_cast<std::int64_t>(p.mean_.size());
  p.components_ = whole_of(j, "components", 1, p.whiten_ == "zca" ? kMaxFeatures : p.dims_);
  const std::size_t rows = p.whiten_ == "zca" ? p.mean_.size() : static_cast<std::size_t>(p.components_);
  p.eigenvalues_ = numbers_of(j, "eigenvalues", rows);
  const auto directions = j.find("eigenvectors");
  if (directions == j.end() || !directions->is_array() || directions->size() != rows)
    throw InvalidArgument(fmt::format("'eigenvectors' must be a list of {} directions", rows));
  for (const auto& direction : *directions) {
    const auto values = numbers_in(direction, "eigenvectors", p.mean_.size());
    p.eigenvectors_.insert(p.eigenvectors_.end(), values.begin(), values.end());
  }
  return p;
}

std::pair<std::int64_t, std::int64_t> InputPreprocessing::features_of(const Step& step) {
  if (const auto* filler = std::get_if<MissingValueFiller>(&step)) {
    const auto features = static_cast<std::int64_t>(filler->values().size());
    return {features, features};
  }
  if (const auto* p = std::get_if<Pca>(&step)) return {p->dims_, p->whiten_ == "zca" ? p->dims_ : p->components_};
  const auto& s = std::get<Standardizer>(step);
  const auto kept = s.per_feature_ ? static_cast<std::int64_t>(s.mean_.size()) * std::max<std::int64_t>(s.channel_size_, 1) : 0;
  return {kept, kept};
}

std::int64_t InputPreprocessing::features_in(std::int64_t features) const {
  for (const auto& step : steps_)  // the first step that fixes them
    if (const auto in = features_of(step).first) return in;
  return features;
}

void InputPreprocessing::apply(Dataset& data) const {
  for (const auto& step : steps_) std::visit([&](const auto& s) { s.apply(data); }, step);
}

Json InputPreprocessing::to_json() const {
  Json out = Json::array();
  for (const auto& step : steps_) out.push_back(std::visit([](const auto& s) { return s.to_json(); }, step));
  return out;
}

InputPreprocessing InputPreprocessing::from_json(const Json& j, std::int64_t features) {
  if (!j.is_array()) throw InvalidArgument("must be a list of steps");
  InputPreprocessing out;
  std::int64_t flowing = 0;  // the features between two steps, where a step fixes them (a scalar standardizer does not)
  for (std::size_t i = 0; i < j.size(); ++i) {
    try {
      const Json& step = j[i];
      const std::string type = step.is_object() && step.contains("type") && step["type"].is_string() ? step["type"].get<std::string>() : "";
      if (type == "standardize") out.add(Standardizer::from_json(step));
      else if (type == "pca") out.add(Pca::from_json(step));
      else if (type == "fill_missing") out.add(MissingValueFiller::from_json(step));
      else throw InvalidArgument("'type' must be \"fill_missing\", \"standardize\" or \"pca\"");
      const auto [in, made] = features_of(out.steps_.back());
      if (in && flowing && in != flowing) throw InvalidArgument(fmt::format("takes {} features, the step before gives {}", in, flowing));
      if (made) flowing = made;
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("step {}: {}", i, e.what()));
    }
  }
  if (flowing && flowing != features) throw InvalidArgument(fmt::format("the steps give {} features, the model takes {}", flowing, features));
  return out;
}

bool names_preprocessing(const Params& data) {
  return data.has("fill_missing") || data.boolean("mean_subtraction", false) || data.string("standardize", "none") != "none" || data.has("pca");
}

namespace {

// The values of one channel of a sample, for per-channel statistics: its shape's, where it has channels (C, H, W),
// else the data section's sample_shape's, which load_data gives the samples after preprocessing.
std::int64_t channel_size(const Params& data, const Dataset& train) {
  const std::int64_t features = train.features();
  if (train.sample_shape.rank() >= 2) return features / train.sample_shape[0];
  if (data.has("sample_shape")) {
    // Each size at most the features and the product checked as it grows, so that nothing overflows.
    const auto sizes = data.numbers("sample_shape", {}, 0, 1.0, static_cast<double>(std::max<std::int64_t>(features, 1)));
    std::int64_t values = 1;
    for (std::size_t i = 0; i < sizes.size() && values <= features; ++i) values *= static_cast<std::int64_t>(sizes[i]);
    if (sizes.size() >= 2 && values == features) return features / static_cast<std::int64_t>(sizes[0]);
  }
  data.fail("standardize", fmt::format("\"per_channel\" needs samples of channels (C, H, W, as NCHW images are): give data.sample_shape, "
                                       "such as [3, 32, 32], that holds these samples' {} values",
                                       features));
}

}  // namespace

std::optional<MissingValueFiller> missing_value_filler(const Params& data) {
  if (!data.has("fill_missing")) return std::nullopt;
  const Params::Json& fill = data.json()["fill_missing"];
  const bool strategy = fill == "mean" || fill == "median" || fill == "most_frequent";
  if (!strategy && !(fill.is_number() && std::isfinite(fill.get<double>())))
    data.fail("fill_missing", fmt::format("must be \"mean\", \"median\" or \"most_frequent\" (scikit-learn's SimpleImputer strategies), or a "
                                          "number to fill with; got {}", Params::shown(fill)));
  data.accept({"fill_missing"});
  return strategy ? MissingValueFiller(fill.get<std::string>()) : MissingValueFiller("constant", fill.get<double>());
}

std::string standardize_of(const Params& data) {
  const std::string standardize = data.string("standardize", "none");
  if (standardize != "none" && standardize != "per_feature" && standardize != "per_channel" && standardize != "scalar")
    data.fail("standardize", fmt::format("must be \"none\", \"per_feature\", \"per_channel\" or \"scalar\", got \"{}\"", standardize));
  return standardize;
}

InputPreprocessing fit_input_preprocessing(const Params& data, Dataset& train) {
  InputPreprocessing out;
  const auto fitted = [&](auto step) {
    step.fit(train);
    step.apply(train);
    out.add(std::move(step));
  };
  const std::string standardize = standardize_of(data);
  if (auto filler = missing_value_filler(data)) fitted(std::move(*filler));  // first: the steps after it take no NaN
  if (data.boolean("mean_subtraction", false)) fitted(Standardizer(false, true));
  if (standardize == "per_channel") fitted(Standardizer::per_channel(channel_size(data, train)));
  else if (standardize != "none") fitted(Standardizer(true, standardize == "per_feature"));
  if (data.has("pca")) {
    const Params pca = data.child("pca", Params::Json::object());
    Pca step(pca.integer("components", train.features(), 1), pca.string("whiten", "none"), pca.number("eps", 1e-5, 0.0));
    pca.check_unused();
    fitted(std::move(step));
  }
  return out;
}

std::vector<float> one_hot(const std::vector<std::int32_t>& labels, std::int64_t num_classes) {
  std::vector<float> out(labels.size() * static_cast<std::size_t>(num_classes), 0.0f);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes)
      throw InvalidArgument(fmt::format("label {} at row {} is outside [0, {})", labels[i], i, num_classes));
    out[i * static_cast<std::size_t>(num_classes) + static_cast<std::size_t>(labels[i])] = 1.0f;
  }
  return out;
}

}  // namespace nnplug

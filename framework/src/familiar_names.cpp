#include "nnplug/framework/familiar_names.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nnplug {

namespace {

// Lower case, without '_', '-', '.' and spaces: "Conv2D", "conv_2d" and "conv2d" are one name.
std::string folded(const std::string& name) {
  std::string out;
  for (const char c : name)
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// PyTorch's and Keras's names (folded) whose nnplug name is not a spelling of them.
const std::map<std::string, std::string>& other_frameworks_names() {
  static const std::map<std::string, std::string> names = {
      // losses: PyTorch's torch.nn classes, Keras's losses (Keras's crossentropies from logits)
      {"crossentropyloss", "softmax_cross_entropy"}, {"crossentropy", "softmax_cross_entropy"},
      {"sparsecategoricalcrossentropy", "categorical_cross_entropy"},  // Keras's default takes probabilities, as it does
      {"bcewithlogitsloss", "binary_cross_entropy"}, {"bce", "binary_cross_entropy"}, {"mseloss", "mse"}, {"meansquarederror", "mse"},
      {"l1loss", "mae"}, {"meanabsoluteerror", "mae"}, {"huberloss", "huber"}, {"smoothl1loss", "smooth_l1"}, {"nllloss", "nll"},
      {"kldivloss", "kl_divergence"}, {"kld", "kl_divergence"}, {"kullbackleiblerdivergence", "kl_divergence"}, {"multimarginloss", "hinge"},
      {"poissonnllloss", "poisson"}, {"meansquaredlogarithmicerror", "msle"}, {"meanabsolutepercentageerror", "mape"},
      {"multilabelsoftmarginloss", "multilabel_sigmoid"},
      // layers: PyTorch's torch.nn, Keras's layers
      {"linear", "dense"}, {"batchnorm", "batch_norm"}, {"batchnorm1d", "batch_norm"}, {"batchnorm2d", "batch_norm"},
      {"batchnormalization", "batch_norm"}, {"layernormalization", "layer_norm"}, {"groupnormalization", "group_norm"},
      {"instancenorm2d", "instance_norm"}, {"maxpooling1d", "max_pool1d"}, {"maxpooling2d", "max_pool2d"}, {"averagepooling1d", "avg_pool1d"},
      {"averagepooling2d", "avg_pool2d"}, {"globalaveragepooling1d", "global_avg_pool1d"}, {"globalaveragepooling2d", "global_avg_pool2d"},
      {"globalmaxpooling1d", "global_max_pool1d"}, {"globalmaxpooling2d", "global_max_pool2d"}, {"adaptiveavgpool2d", "adaptive_avg_pool2d"},
      {"convtranspose1d", "conv1d_transpose"}, {"convtranspose2d", "conv2d_transpose"}, {"upsampling1d", "upsample1d"},
      {"upsampling2d", "upsample2d"}, {"upsample", "upsample2d"},
      // initializers: Keras's and PyTorch's names of Glorot's and He's
      {"glorotuniform", "xavier_uniform"}, {"glorotnormal", "xavier_normal"}, {"kaiminguniform", "he_uniform"}, {"kaimingnormal", "he_normal"}};
  return names;
}

// Parameters as PyTorch's and Keras's classes name them, where nnplug's plugins take another framework's name (or
// their own): the other name, the framework, nnplug's; or what stands for it in nnplug where no parameter does.
struct FamiliarParameter {
  const char* name;
  const char* framework;
  const char* nnplug;
  const char* meaning = nullptr;
};
constexpr FamiliarParameter kFamiliarParameters[] = {
    {"learning_rate", "Keras", "lr"}, {"epsilon", "Keras", "eps"}, {"beta_1", "Keras", "betas"}, {"beta_2", "Keras", "betas"},
    {"out_channels", "PyTorch", "filters"}, {"out_features", "PyTorch", "units"}, {"hidden_size", "PyTorch", "units"},
    {"p", "PyTorch", "rate"}, {"kernel_size", "PyTorch", "pool_size"}, {"strides", "Keras", "stride"},
    {"kernel_initializer", "Keras", "weight_init"}, {"bias_initializer", "Keras", "bias_init"}, {"use_bias", "Keras", "bias"},
    {"num_embeddings", "PyTorch", "input_dim"}, {"embedding_dim", "PyTorch", "output_dim"},
    {"from_logits", "Keras", "", "is nnplug's choice of loss: softmax_cross_entropy and binary_cross_entropy take logits, "
                                 "categorical_cross_entropy probabilities"},
    // ImageDataGenerator's, for the spec's augmentation
    {"rotation_range", "Keras", "rotation"}, {"width_shift_range", "Keras", "width_shift"}, {"height_shift_range", "Keras", "height_shift"},
    {"zoom_range", "Keras", "zoom"}, {"fill_mode", "Keras", "fill"}, {"cval", "Keras", "fill_value"},
    {"brightness_range", "Keras", "", "[low, high] is nnplug's 'brightness' b, a factor in [1 - b, 1 + b]"},
    // Keras's callbacks', for the spec's callbacks
    {"restore_best_weights", "Keras", "restore_best"}, {"save_best_only", "Keras", "best_only"}, {"filepath", "Keras", "path"},
    {"min_delta", "Keras", "", "is reduce_lr_on_plateau's 'threshold' with \"threshold_mode\": \"abs\""},
    {"mode", "Keras", "", "is the monitor's own direction in nnplug: losses fall and accuracies rise"}};

}  // namespace

std::string familiar_parameter_hint(const nlohmann::json& given, const std::string& message) {
  if (!given.is_object()) return "";
  // Params' refusals: "unknown parameter 'a', 'b' (it takes: ...)" and "parameter 'units' is required".
  const auto unknown_at = message.find("unknown parameter "), takes_at = message.find(" (it takes");
  const auto unknown = [&](const char* key) {
    const auto at = message.find(fmt::format("'{}'", key), unknown_at);
    return unknown_at != std::string::npos && at != std::string::npos && at < takes_at;
  };
  const auto required = [&](const char* key) { return message.find(fmt::format("parameter '{}' is required", key)) != std::string::npos; };
  std::vector<std::string> meant;
  for (const auto& p : kFamiliarParameters)
    if (given.contains(p.name) && !given.contains(p.nnplug) && (unknown(p.name) || required(p.nnplug)))
      meant.push_back(p.meaning ? fmt::format("{}'s '{}' {}", p.framework, p.name, p.meaning)
                                : fmt::format("{}'s '{}' is nnplug's '{}'", p.framework, p.name, p.nnplug));
  return meant.empty() ? "" : fmt::format(" ({})", fmt::join(meant, "; "));
}

InvalidArgument with_familiar_hint(const InvalidArgument& error, const nlohmann::json& given) {
  return InvalidArgument(error.what() + familiar_parameter_hint(given, error.what()));
}

std::string familiar_name_hint(const std::string& name, const std::vector<std::string>& available) {
  const std::string key = folded(name);
  const auto other = other_frameworks_names().find(key);
  const std::string other_name = other == other_frameworks_names().end() ? "" : other->second;
  // nnplug's own name spelled otherwise first, then another framework's name for one that is available.
  const auto meant = std::find_if(available.begin(), available.end(), [&](const std::string& a) { return folded(a) == key; });
  const auto named = meant != available.end() ? meant : std::find(available.begin(), available.end(), other_name);
  return named == available.end() ? "" : fmt::format(" (did you mean '{}'?)", *named);
}

}  // namespace nnplug

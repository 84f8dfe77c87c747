#pragma once
// cuDNN descriptors and chosen algorithms for each convolution geometry seen, built once: a training step runs
// the same few convolutions every batch, and building descriptors and asking cuDNN's heuristics costs more host
// time than launching the convolution itself.
#include <cudnn.h>

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include "nnplug/ops.hpp"

namespace nnplug::cuda {

struct ConvolutionGeometry {
  DType dtype;
  std::int64_t n, c, h, w, f, oh, ow, groups;
  Window2d g;
  bool bfloat16 = false;  // float32 tensors, convolved as bfloat16 copies with float32 accumulation
  auto tied() const {
    return std::tie(dtype, bfloat16, n, c, h, w, f, groups, g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.dilation_h, g.dilation_w);
  }
  bool operator<(const ConvolutionGeometry& other) const { return tied() < other.tied(); }
};

struct ConvolutionPlan {
  ConvolutionPlan() = default;
  ConvolutionPlan(const ConvolutionPlan&) = delete;
  ConvolutionPlan& operator=(const ConvolutionPlan&) = delete;
  ~ConvolutionPlan();

  // x, w, y: as the convolution reads and writes them (bfloat16 copies in mixed precision); y_wide and bias: the
  // output and bias at the tensors' own width, for cuDNN's bias add and bias gradient.
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, y_wide = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t forward{};
  cudnnConvolutionBwdDataAlgo_t backward_data{};
  cudnnConvolutionBwdFilterAlgo_t backward_filter{};
  std::size_t forward_workspace = 0, backward_data_workspace = 0, backward_filter_workspace = 0;
};

class ConvolutionPlans {
 public:
  // allow_tf32: let cuDNN use TF32 tensor cores for float32 (faster, about 3 decimal digits; PyTorch's default).
  explicit ConvolutionPlans(bool allow_tf32) : allow_tf32_(allow_tf32) {}
  const ConvolutionPlan& get(cudnnHandle_t handle, const ConvolutionGeometry& geometry);

 private:
  bool allow_tf32_;
  std::map<ConvolutionGeometry, std::unique_ptr<ConvolutionPlan>> plans_;
};

}  // namespace nnplug::cuda

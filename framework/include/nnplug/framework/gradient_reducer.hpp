#pragma once
// GradientReducer: data-parallel gradient averaging, as PyTorch's DistributedDataParallel does it. The trainable
// parameters are grouped, last layer first, into buckets of about bucket_bytes; every parameter's gradient is
// made a view into its bucket, so that backward writes straight into the memory that is sent. A bucket's
// all-reduce starts as soon as the backward pass has written its last gradient, and runs while the layers before
// it are still in backward; finish() waits for them all.
//
// Each rank's gradients are of the mean loss over its own samples; weighted by the rank's share of the global
// batch and summed, they are the gradients of the mean loss over the global batch, as one process computes them
// (a short last batch may give the ranks unequal shares).
#include <cstddef>
#include <memory>
#include <vector>

#include "nnplug/communicator.hpp"
#include "nnplug/framework/model.hpp"

namespace nnplug {

class GradientReducer {
 public:
  GradientReducer(Model& model, std::shared_ptr<Communicator> communicator, std::size_t bucket_bytes);

  // Before a step's backward: this rank's share of the global batch, samples / global samples.
  void begin(double share);
  // Called by Model::backward after layer i: starts every bucket whose gradients are all written.
  void layer_done(std::size_t layer);
  // For a rank without samples in this step: its gradients are zero, and it joins every reduction.
  void reduce_zeros();
  // Waits for every bucket: the gradients are then the global batch's.
  void finish();

  std::size_t buckets() const { return buckets_.size(); }

 private:
  struct Slot {
    Parameter* parameter;
    Tensor view;  // the parameter's place in the bucket
  };
  struct Bucket {
    Tensor flat;                 // every gradient of the bucket, one after another
    std::vector<Slot> slots;
    std::size_t first_layer = 0;  // the bucket is complete once backward has done this layer
    std::unique_ptr<PendingReduction> pending;
  };
  void start(Bucket& bucket);

  Model& model_;
  std::shared_ptr<Communicator> communicator_;
  std::vector<Bucket> buckets_;  // in the order backward completes them
  std::size_t next_ = 0;         // the first bucket not yet started in this step
  double share_ = 1.0;
};

}  // namespace nnplug

#pragma once
// GradientReducer: data-parallel gradient averaging, as PyTorch's DistributedDataParallel does it. The trainable
// parameters are grouped, last layer first, into buckets of whole layers of about bucket_bytes; every parameter's
// gradient is made a view into its bucket, so that backward writes straight into the memory that is sent. A bucket's
// all-reduce starts as soon as the backward pass has written its last gradient (a dense layer's weight gradient is
// written before its input gradient is computed: Layer::gradients_written), and runs while backward goes on;
// finish() waits for them all, and can hand each bucket to the optimizer as soon as it is reduced.
//
// Each rank's gradients must be those of its own samples' part of the mean loss over the global batch (the
// trainer weighs the loss gradient by the rank's share of the batch): their sum over the ranks is then the
// gradient one process computes, whatever the shares (a short last batch may give the ranks unequal ones).
// With Compression::BFloat16 the buckets travel as bfloat16 (the spec's training.gradient_compression): half the
// bytes, at the price of bfloat16's precision in the averaged gradient, as DDP's bf16_compress_hook.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "nnplug/communicator.hpp"
#include "nnplug/framework/model.hpp"

namespace nnplug {

class GradientReducer {
 public:
  GradientReducer(Model& model, std::shared_ptr<Communicator> communicator, std::size_t bucket_bytes,
                  Compression compression = Compression::None);

  // Before a step's backward.
  void begin() { next_ = 0; }
  // Called by Model::backward once layer i's gradients are written: starts every bucket whose gradients all are.
  void layer_done(std::size_t layer);
  // For a rank without samples in this step: its gradients are zero, and it joins every reduction.
  void reduce_zeros();
  // Waits for every bucket, in order, calling reduced(b) as soon as bucket b's gradients are the global batch's.
  void finish(const std::function<void(std::size_t bucket)>& reduced = {});

  // The elements of each bucket, in the order backward completes them.
  std::vector<std::int64_t> bucket_sizes() const;
  std::size_t buckets() const { return buckets_.size(); }
  // Bucket b's parameters, and their positions in Model::parameters(true) (the list an optimizer is attached to).
  const std::vector<Parameter*>& parameters(std::size_t bucket) const { return buckets_[bucket].parameters; }
  const std::vector<std::size_t>& positions(std::size_t bucket) const { return buckets_[bucket].positions; }
  // Steps so far and the seconds they spent waiting in finish(): the communication that backward did not hide.
  struct Waits {
    std::size_t steps = 0;
    double seconds = 0.0;
  };
  const Waits& waits() const { return waits_; }

 private:
  struct Bucket {
    Tensor flat;  // every gradient of the bucket, one after another
    std::vector<Parameter*> parameters;
    std::vector<Tensor> views;           // each parameter's place in flat
    std::vector<std::size_t> positions;  // each parameter's place in Model::parameters(true)
    std::size_t first_layer = 0;         // the bucket is complete once backward has done this layer
    std::unique_ptr<PendingReduction> pending;
  };
  void start(Bucket& bucket);

  Model& model_;
  std::shared_ptr<Communicator> communicator_;
  Compression compression_;
  std::vector<Bucket> buckets_;  // in the order backward completes them
  std::size_t next_ = 0;         // the first bucket not yet started in this step
  Waits waits_;
};

}  // namespace nnplug

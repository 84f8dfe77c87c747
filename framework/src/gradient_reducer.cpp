#include "nnplug/framework/gradient_reducer.hpp"

#include <algorithm>
#include <chrono>

namespace nnplug {

GradientReducer::GradientReducer(Model& model, std::shared_ptr<Communicator> communicator, std::size_t bucket_bytes,
                                 Compression compression)
    : model_(model), communicator_(std::move(communicator)), compression_(compression) {
  if (bucket_bytes == 0) throw InvalidArgument("the gradient bucket size must be positive");
  // Parameters in the order backward writes them: last layer first. A layer writes its gradients together, so a
  // bucket ends between layers, never inside one: a layer's bias in the next bucket would wait for the layer
  // before, and each bucket costs a latency.
  struct Pending {
    Parameter* parameter;
    std::size_t layer;
  };
  std::vector<std::vector<Pending>> groups(1);
  std::size_t bytes = 0;
  for (std::size_t i = model.size(); i-- > 0;) {
    std::vector<Parameter*> trained;
    std::size_t layer_bytes = 0;
    for (Parameter* p : model.layer(i).parameters())
      if (p->trainable) trained.push_back(p), layer_bytes += p->grad.bytes();
    if (bytes > 0 && bytes + layer_bytes > bucket_bytes) groups.emplace_back(), bytes = 0;
    for (Parameter* p : trained) groups.back().push_back({p, i});
    bytes += layer_bytes;
  }
  Backend& backend = model.backend();
  const auto attached = model.parameters(true);
  for (const auto& group : groups) {
    if (group.empty()) continue;
    std::int64_t elements = 0;
    for (const auto& g : group) elements += g.parameter->grad.numel();
    Bucket bucket;
    bucket.flat = backend.empty(Shape{elements}, model.dtype());
    bucket.first_layer = group.back().layer;
    std::size_t offset = 0;
    for (const auto& g : group) {
      Tensor view(bucket.flat.buffer(), bucket.flat.dtype(), g.parameter->grad.shape(), offset);
      offset += static_cast<std::size_t>(view.numel());
      g.parameter->grad = view;
      bucket.parameters.push_back(g.parameter);
      bucket.views.push_back(view);
      bucket.positions.push_back(static_cast<std::size_t>(std::find(attached.begin(), attached.end(), g.parameter) - attached.begin()));
    }
    buckets_.push_back(std::move(bucket));
  }
}

void GradientReducer::start(Bucket& bucket) {
  Backend& backend = model_.backend();
  for (std::size_t k = 0; k < bucket.parameters.size(); ++k) {
    Parameter& p = *bucket.parameters[k];
    const Tensor& view = bucket.views[k];
    // A layer that replaced its gradient tensor instead of writing into it: take the value from there.
    if (p.grad.buffer() != view.buffer() || p.grad.offset() != view.offset()) {
      backend.run(op::Copy{p.grad, view});
      p.grad = view;
    }
  }
  bucket.pending = communicator_->all_reduce_async(bucket.flat, ReduceOp::Sum, compression_);
}

void GradientReducer::layer_done(std::size_t layer) {
  while (next_ < buckets_.size() && buckets_[next_].first_layer >= layer) start(buckets_[next_++]);
}

void GradientReducer::reduce_zeros() {
  for (; next_ < buckets_.size(); ++next_) {
    model_.backend().run(op::Fill{buckets_[next_].flat, 0.0});
    start(buckets_[next_]);
  }
}

void GradientReducer::finish(const std::function<void(std::size_t bucket)>& reduced) {
  layer_done(0);
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    if (auto pending = std::move(buckets_[b].pending)) {
      const auto start = std::chrono::steady_clock::now();
      pending->wait();
      waits_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    if (reduced) reduced(b);
  }
  ++waits_.steps;
}

std::vector<std::int64_t> GradientReducer::bucket_sizes() const {
  std::vector<std::int64_t> out;
  for (const auto& bucket : buckets_) out.push_back(bucket.flat.numel());
  return out;
}

}  // namespace nnplug

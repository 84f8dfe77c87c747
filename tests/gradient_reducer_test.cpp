// The gradient buckets of data-parallel training, in one process, with a communicator that only records: which
// gradients each bucket holds, and that a bucket's reduction starts while backward is still running the layers
// before it (the overlap DistributedDataParallel relies on), not after the whole backward pass.
#include <gtest/gtest.h>

#include "nnplug/framework/gradient_reducer.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

// Counts the GEMMs run, so that a reduction can be placed within the backward pass.
class CountingBackend final : public ForwardingBackend {
 public:
  explicit CountingBackend(std::shared_ptr<Backend> inner) : ForwardingBackend("counting", std::move(inner)) {}
  void run(const Op& op) override {
    if (std::holds_alternative<op::Gemm>(op)) ++gemms;
    inner_->run(op);
  }
  int gemms = 0;
};

// Done at once; notes its wait in `events` when given one.
class Done final : public PendingReduction {
 public:
  Done(std::vector<std::string>* events, std::size_t bucket) : events_(events), bucket_(bucket) {}
  void wait() override {
    if (events_) events_->push_back(fmt::format("wait {}", bucket_));
  }

 private:
  std::vector<std::string>* events_;
  std::size_t bucket_;
};

// Pretends to be rank 0 of 2 whose peer holds the same gradients: a sum then doubles them.
class RecordingCommunicator final : public Communicator {
 public:
  explicit RecordingCommunicator(const CountingBackend& backend) : backend_(backend) {}
  std::string name() const override { return "recording"; }
  std::string describe() const override { return "test"; }
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::unique_ptr<PendingReduction> all_reduce_async(const Tensor& t, ReduceOp op, Compression compression) override {
    started.push_back({t.numel(), backend_.gemms, compression});
    if (op == ReduceOp::Sum) t.backend().run(op::Axpby{t, t, 2.0, 0.0});
    return std::make_unique<Done>(events, started.size() - 1);
  }
  void broadcast(const Tensor&, int) override {}
  void barrier() override {}
  std::vector<unsigned char> all_gather(const void* data, std::size_t bytes) override {
    const auto* p = static_cast<const unsigned char*>(data);
    std::vector<unsigned char> out(p, p + bytes);
    out.insert(out.end(), p, p + bytes);
    return out;
  }
  [[noreturn]] void abort(const std::string& message) override { throw Error(message); }

  struct Start {
    std::int64_t elements;
    int gemms_before;  // GEMMs run when it started
    Compression compression;
  };
  std::vector<Start> started;
  std::vector<std::string>* events = nullptr;

 private:
  const CountingBackend& backend_;
};

struct Fixture {
  std::shared_ptr<CountingBackend> backend = std::make_shared<CountingBackend>(cpu_backend());
  Model model{backend, DType::Float64};
  Tensor x, dy;
  Fixture() {
    for (const int units : {8, 6, 4}) model.add(registry().create_layer(Params("test", {{"type", "dense"}, {"units", units}})), "dense");
    model.build(Shape{5}, registry(), 3);
    x = tensor(*backend, Shape{2, 5}, random_normal(10, 1));
    dy = tensor(*backend, Shape{2, 4}, random_normal(8, 2));
  }
};

TEST(GradientReducer, BucketsFollowBackwardAndStartWhileItRuns) {
  Fixture f;
  const auto communicator = std::make_shared<RecordingCommunicator>(*f.backend);
  // Gradients join a bucket one by one, last layer first, while it stays within 440 bytes (55 values): here one
  // dense layer's weight and bias a bucket (the last layer's 28 values, then 54, then 48).
  GradientReducer reducer(f.model, communicator, 440);
  EXPECT_EQ(reducer.bucket_sizes(), (std::vector<std::int64_t>{4 * 6 + 4, 6 * 8 + 6, 8 * 5 + 8}));
  // A bucket ends between layers only: with 200 bytes (25 values), each layer's weight and bias still share one.
  Fixture other;
  EXPECT_EQ(GradientReducer(other.model, communicator, 200).bucket_sizes(), (std::vector<std::int64_t>{4 * 6 + 4, 6 * 8 + 6, 8 * 5 + 8}));
  f.model.forward(f.x);
  const int forward_gemms = f.backend->gemms;
  reducer.begin();
  f.model.backward(f.dy, [&](std::size_t layer) { reducer.layer_done(layer); });
  reducer.finish();
  // Backward runs 2 GEMMs for each of the last two layers, the weight gradient's and then the input gradient's, 1
  // for the first. A dense layer's bucket starts once its weight gradient is written, before its input gradient.
  ASSERT_EQ(communicator->started.size(), 3u);
  EXPECT_EQ(communicator->started[0].gemms_before - forward_gemms, 1);
  EXPECT_EQ(communicator->started[1].gemms_before - forward_gemms, 3);
  EXPECT_EQ(communicator->started[2].gemms_before - forward_gemms, 5);
}

// finish() hands each bucket on (to the optimizer) once its own reduction is done, not once all are; a bucket's
// positions are those of its parameters in the list an optimizer is attached to.
TEST(GradientReducer, EachBucketIsHandedOnOnceItIsReduced) {
  Fixture f;
  std::vector<std::string> events;
  const auto communicator = std::make_shared<RecordingCommunicator>(*f.backend);
  communicator->events = &events;
  GradientReducer reducer(f.model, communicator, 440);
  ASSERT_EQ(reducer.buckets(), 3u);
  const auto attached = f.model.parameters(true);
  std::vector<Parameter*> covered;
  for (std::size_t b = 0; b < reducer.buckets(); ++b) {
    ASSERT_EQ(reducer.parameters(b).size(), reducer.positions(b).size());
    for (std::size_t j = 0; j < reducer.positions(b).size(); ++j) {
      EXPECT_EQ(attached.at(reducer.positions(b)[j]), reducer.parameters(b)[j]) << "bucket " << b;
      covered.push_back(reducer.parameters(b)[j]);
    }
  }
  EXPECT_EQ(covered, (std::vector<Parameter*>{attached[4], attached[5], attached[2], attached[3], attached[0], attached[1]}));
  f.model.forward(f.x);
  reducer.begin();
  f.model.backward(f.dy, [&](std::size_t layer) { reducer.layer_done(layer); });
  reducer.finish([&](std::size_t b) { events.push_back(fmt::format("reduced {}", b)); });
  EXPECT_EQ(events, (std::vector<std::string>{"wait 0", "reduced 0", "wait 1", "reduced 1", "wait 2", "reduced 2"}));
}

// Every bucket travels as the trainer asked: float32 unless the spec's gradient_compression says bfloat16.
TEST(GradientReducer, BucketsAreSentWithTheCompressionAskedFor) {
  for (const Compression compression : {Compression::None, Compression::BFloat16}) {
    Fixture f;
    const auto communicator = std::make_shared<RecordingCommunicator>(*f.backend);
    GradientReducer reducer = compression == Compression::None ? GradientReducer(f.model, communicator, 440)
                                                               : GradientReducer(f.model, communicator, 440, compression);
    f.model.forward(f.x);
    reducer.begin();
    f.model.backward(f.dy, [&](std::size_t layer) { reducer.layer_done(layer); });
    reducer.finish();
    ASSERT_EQ(communicator->started.size(), 3u);
    for (const auto& start : communicator->started) EXPECT_EQ(start.compression, compression) << compression_name(compression);
  }
}

TEST(GradientReducer, GradientsAreViewsIntoTheBucketsAndComeBackSummed) {
  Fixture f;
  const auto communicator = std::make_shared<RecordingCommunicator>(*f.backend);
  // Backward alone first: the gradients of one process.
  f.model.forward(f.x);
  f.model.backward(f.dy);
  std::vector<std::vector<double>> alone;
  for (Parameter* p : f.model.parameters()) alone.push_back(to_host<double>(p->grad));
  GradientReducer reducer(f.model, communicator, 1 << 20);
  EXPECT_EQ(reducer.bucket_sizes().size(), 1u);
  reducer.begin();
  f.model.backward(f.dy, [&](std::size_t layer) { reducer.layer_done(layer); });
  reducer.finish();
  const auto parameters = f.model.parameters();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const auto summed = to_host<double>(parameters[i]->grad);
    for (std::size_t j = 0; j < summed.size(); ++j) EXPECT_DOUBLE_EQ(summed[j], 2 * alone[i][j]) << parameters[i]->name;
  }
}

TEST(GradientReducer, ARankWithoutSamplesSendsZeros) {
  Fixture f;
  const auto communicator = std::make_shared<RecordingCommunicator>(*f.backend);
  GradientReducer reducer(f.model, communicator, 440);
  f.model.forward(f.x);
  f.model.backward(f.dy);
  reducer.begin();
  reducer.reduce_zeros();
  reducer.finish();
  EXPECT_EQ(communicator->started.size(), 3u);
  for (Parameter* p : f.model.parameters())
    for (const double g : to_host<double>(p->grad)) EXPECT_EQ(g, 0.0) << p->name;
}

}  // namespace
}  // namespace nnplug::test

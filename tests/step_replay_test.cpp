// Replaying recorded steps (Backend::run_step, plugins/backends/shared/step_recorder.hpp), checked on the CPU: a
// test backend records and replays steps with the recorder as the CUDA backend does with graphs. Its replay runs
// the ops as they were captured, with only their live fields (learning rate, step count, seed) taken from the new
// ops: if the recorder took a changed op for the same op, the stale captured tensors or attributes would be used,
// and training would no longer match a plain CPU run bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "nnplug/custom_op.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/trainer.hpp"
#include "step_recorder.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

using backends::StepRecorder;
using Mode = backends::StepMode;

// Host memory of the CPU backend, owned by this backend (so that uploads and downloads come here).
class OwnedBuffer final : public Buffer {
 public:
  OwnedBuffer(std::shared_ptr<Buffer> inner, std::shared_ptr<Backend> owner) : inner_(std::move(inner)), owner_(std::move(owner)) {}
  void* data() override { return inner_->data(); }
  std::size_t bytes() const override { return inner_->bytes(); }
  Backend& backend() override { return *owner_; }

 private:
  std::shared_ptr<Buffer> inner_;
  std::shared_ptr<Backend> owner_;
};

// Records steps and replays them as the CUDA backend does, running ops on the CPU backend. A capture only keeps
// the ops (a CUDA capture runs nothing either); the recording is then launched, i.e. run.
class ReplayingBackend final : public ForwardingBackend {
 public:
  ReplayingBackend() : ForwardingBackend("replaying", cpu_backend()) {}
  int interrupts = 0;
  StepStats step_stats() const override { return recorder_.stats(); }
  // The recordings keep their ops' tensors, whose buffers keep this backend: dropping them frees it all (a CUDA
  // graph keeps device addresses, not tensors, and so has no such cycle).
  void forget_recordings() { recorder_.forget(); }

  std::shared_ptr<Buffer> allocate(std::size_t n) override {
    return std::make_shared<OwnedBuffer>(inner_->allocate(n), shared_from_this());
  }
  void upload(const Tensor& d, const void* h, std::size_t n) override {
    interrupt();
    std::memcpy(d.data(), h, n);
  }
  void download(void* h, const Tensor& s, std::size_t n) override {
    interrupt();
    std::memcpy(h, s.data(), n);
  }

  void run(const Op& op) override {
    switch (recorder_.mode()) {
      case Mode::Closed: inner_->run(op); break;
      case Mode::Eager: inner_->run(op); recorder_.ran(op); break;
      case Mode::Capture: recorder_.ran(op); break;
      case Mode::Replay:
        if (recorder_.matched(op)) break;
        run_all(recorder_.take_kept());
        inner_->run(op);
        break;
    }
  }

  void run_step(std::string_view name, const std::function<void()>& body) override {
    if (recorder_.mode() != Mode::Closed) return body();
    recorder_.open(name);
    try {
      body();
    } catch (...) {
      run_all(recorder_.take_kept());
      recorder_.abandon();
      throw;
    }
    if (recorder_.mode() == Mode::Capture) {
      run_all(recorder_.captured(recorder_.take_kept()));
    } else if (recorder_.mode() == Mode::Replay) {
      const std::vector<Op> fresh = recorder_.take_kept();
      if (std::vector<Op>* recording = recorder_.replayable()) {
        for (std::size_t i = 0; i < recording->size(); ++i) backends::copy_live_fields((*recording)[i], fresh[i]);
        run_all(*recording);
      } else {
        run_all(fresh);
      }
    }
    recorder_.close();
  }

 private:
  void interrupt() {
    if (recorder_.mode() != Mode::Capture && recorder_.mode() != Mode::Replay) return;
    ++interrupts;
    recorder_.interrupt();
    run_all(recorder_.take_kept());
  }
  void run_all(const std::vector<Op>& ops) {
    for (const Op& op : ops) inner_->run(op);
  }

  StepRecorder<std::vector<Op>> recorder_;
};

// A spec whose steps have every kind of live field: dropout seeds, Adam's step count, a learning rate that a
// schedule changes every step, and (with gradient noise) a noise seed and std that change every step. 1,000
// samples in batches of 64 leave a shorter last batch in each epoch. `layer` adds fields to the first layer.
std::string spec_text(const std::string& optimizer, const std::string& layer = "", const std::string& transforms = "[]") {
  return R"({
    "seed": 7, "dtype": "float64",
    "data": {"format": "gaussian_blobs", "samples": 1250, "centers": 4, "features": 12, "std": 2.0, "validation_split": 0.2},
    "layers": [
      {"type": "dense", "units": 16, "activation": "relu")" + layer + R"(},
      {"type": "batch_norm"},
      {"type": "dropout", "rate": 0.3},
      {"type": "dense", "units": 4}
    ],
    "loss": "softmax_cross_entropy",
    "optimizer": )" + optimizer + R"(,
    "schedule": {"type": "cosine", "T_max": 3},
    "gradient_transforms": )" + transforms + R"(,
    "training": {"epochs": 3, "batch_size": 64, "shuffle": true}
  })";
}

struct Run {
  std::vector<EpochRecord> history;
  std::vector<std::vector<double>> weights;
};

Run train_on(std::shared_ptr<Backend> backend, const std::string& text, std::shared_ptr<GradientTransform> transform = {}) {
  const Spec spec = parse_spec(text, "replay.json");
  Experiment ex = build_experiment(spec, registry(), {});
  ex.model = build_model(spec, registry(), std::move(backend), ex.model->dtype(), ex.train.sample_shape, 7);
  ex.fit.progress = false;
  if (transform) ex.fit.gradient_transforms.push_back(std::move(transform));
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  Run run{trainer.fit(ex.train, &ex.validation, ex.fit), {}};
  for (const auto* p : ex.model->parameters(true)) run.weights.push_back(to_host<double>(p->value));
  return run;
}

void expect_same_run(const Run& replayed, const Run& plain) {
  ASSERT_EQ(replayed.history.size(), plain.history.size());
  for (std::size_t e = 0; e < plain.history.size(); ++e) {
    EXPECT_EQ(replayed.history[e].train.loss, plain.history[e].train.loss) << "epoch " << e + 1;
    EXPECT_EQ(replayed.history[e].validation.score, plain.history[e].validation.score) << "epoch " << e + 1;
  }
  EXPECT_EQ(replayed.weights, plain.weights);
}

TEST(StepReplay, ReplayedStepsTrainExactlyAsOpsRunOneByOne) {
  const std::string adam = R"({"type": "adam", "lr": 0.01})", sgd = R"({"type": "sgd", "lr": 0.05, "momentum": 0.9})";
  // Penalties and clip_norm keep their values on the backend: a penalised, clipped step is replayed too.
  const std::string penalties = R"(, "weight_regularizer": {"type": "l2", "lambda": 0.01}, "activity_regularizer": {"type": "l1", "lambda": 0.001})";
  for (const std::string& text : {spec_text(adam), spec_text(sgd, "", R"([{"type": "gradient_noise", "eta": 0.01}])"),
                                  spec_text(adam, penalties, R"([{"type": "clip_norm", "max_norm": 0.5}])")}) {
    SCOPED_TRACE(text);
    auto replaying = std::make_shared<ReplayingBackend>();
    expect_same_run(train_on(replaying, text), train_on(cpu_backend(), text));
    // 3 epochs of 16 batches, two parts each: most of them replayed (not the first few of an epoch, nor its
    // shorter last batch).
    EXPECT_GE(replaying->step_stats().replays, 2u * 3 * 11);
    EXPECT_GE(replaying->step_stats().captures, 2u);
    EXPECT_EQ(replaying->interrupts, 0);
    replaying->forget_recordings();
  }
}

// A gradient transform that reads a value back every step, as a user's might (the built-in ones do not).
class ReadsBack final : public GradientTransform {
 public:
  std::string type() const override { return "reads_back"; }
  void apply(const std::vector<Parameter*>& parameters, std::int64_t) override {
    Backend& be = parameters[0]->grad.backend();
    ensure(sum_, be, Shape{1}, DType::Float64);
    be.run(op::SumSquares{parameters[0]->grad, sum_});
    if (!std::isfinite(to_host<double>(sum_)[0])) throw Error("a non-finite gradient");
  }

 private:
  Tensor sum_;
};

TEST(StepReplay, AStepThatReadsBackRunsOpByOneFromThenOn) {
  // The transform reads inside the update part: that part is run op by op, the forward part is still replayed.
  const std::string text = spec_text(R"({"type": "adam", "lr": 0.01})", "", R"([{"type": "clip_norm", "max_norm": 1.0}])");
  auto replaying = std::make_shared<ReplayingBackend>();
  expect_same_run(train_on(replaying, text, std::make_shared<ReadsBack>()), train_on(cpu_backend(), text, std::make_shared<ReadsBack>()));
  EXPECT_EQ(replaying->interrupts, 1);
  EXPECT_GE(replaying->step_stats().replays, 3u * 12);
  EXPECT_GE(replaying->step_stats().parts_run_op_by_op, 3u * 16);  // every update part
  replaying->forget_recordings();
}

Op adam_step(const Tensor& w, const Tensor& g, const Tensor& m, const Tensor& v, double lr, std::int64_t step, double beta1 = 0.9,
            double eps = 1e-8) {
  op::AdamStep o{w, g, m, v, Tensor()};
  o.lr = lr;
  o.step = step;
  o.beta1 = beta1;
  o.eps = eps;
  return o;
}

std::vector<std::uint64_t> signature(const Op& op) {
  std::vector<std::uint64_t> s;
  backends::append_signature(op, s);
  return s;
}

TEST(StepReplay, OnlyLiveFieldsMayDifferBetweenTheSameOps) {
  auto be = cpu_backend();
  Tensor w = be->empty({3}, DType::Float64), g = be->empty({3}, DType::Float64), m = be->empty({3}, DType::Float64),
         v = be->empty({3}, DType::Float64), other = be->empty({3}, DType::Float64);
  const auto base = signature(adam_step(w, g, m, v, 0.1, 1));
  EXPECT_EQ(signature(adam_step(w, g, m, v, 0.2, 7)), base);        // learning rate and step are live
  EXPECT_EQ(signature(adam_step(w, g, m, v, 0.1, 1, 0.9, 2e-8)), base);  // and eps (RAdam rescales it every step)
  EXPECT_EQ(signature(adam_step(w, g, m, v, 0.1, 1, 0.8)), base);   // and beta1 (one_cycle cycles it)
  op::AdamStep other_beta2 = std::get<op::AdamStep>(adam_step(w, g, m, v, 0.1, 1));
  other_beta2.beta2 = 0.99;
  EXPECT_NE(signature(other_beta2), base);                           // beta2 is not
  // SGD's momentum is live too; its dampening is not.
  EXPECT_EQ(signature(op::SgdStep{w, g, m, 0.1, 0.9}), signature(op::SgdStep{w, g, m, 0.2, 0.85}));
  EXPECT_NE(signature(op::SgdStep{w, g, m, 0.1, 0.9, 0.0}), signature(op::SgdStep{w, g, m, 0.1, 0.9, 0.5}));
  EXPECT_NE(signature(adam_step(w, other, m, v, 0.1, 1)), base);    // nor which tensor
  EXPECT_NE(signature(adam_step(w, g, m, v.reshape({3, 1}), 0.1, 1)), base);  // nor its shape
  EXPECT_NE(signature(op::Fill{w, 1.0}), signature(op::Fill{w, 2.0}));
  EXPECT_EQ(signature(op::Dropout{w, g, m, DropoutKind::Inverted, 0.5, 1}), signature(op::Dropout{w, g, m, DropoutKind::Inverted, 0.5, 2}));
  EXPECT_NE(signature(op::Dropout{w, g, m, DropoutKind::Inverted, 0.5, 1}), signature(op::Dropout{w, g, m, DropoutKind::Gaussian, 0.5, 1}));
  EXPECT_EQ(signature(op::AddNoise{w, 0.1, 1}), signature(op::AddNoise{w, 0.2, 2}));  // gradient noise decays
  EXPECT_NE(signature(op::Copy{w, g}), signature(op::Copy{g, w}));
  EXPECT_NE(signature(op::Copy{w, g}), signature(op::Multiply{w, g, Tensor()}));
  // A plugin op is the same op again only with the same kernel, tensors and every attribute (none is live).
  OpKernel kernel, another_kernel;
  auto custom = [&](const OpKernel& k, const Tensor& x, OpAttributeValue a) { return op::Custom{&k, {x}, {g}, {a, true}}; };
  EXPECT_EQ(signature(custom(kernel, w, 0.5)), signature(custom(kernel, w, 0.5)));
  EXPECT_NE(signature(custom(kernel, w, 0.5)), signature(custom(kernel, w, 0.25)));
  EXPECT_NE(signature(custom(kernel, w, 0.5)), signature(custom(kernel, w, std::int64_t{0})));
  EXPECT_NE(signature(custom(kernel, w, 0.5)), signature(custom(another_kernel, w, 0.5)));
  EXPECT_NE(signature(custom(kernel, w, 0.5)), signature(custom(kernel, other, 0.5)));
}

TEST(StepReplay, TheRecorderCapturesAfterTwoEqualRunsAndFallsBackOnADifferentOp) {
  auto be = cpu_backend();
  Tensor a = be->empty({2}, DType::Float64), b = be->empty({2}, DType::Float64);
  StepRecorder<int> recorder;
  const auto eager_run = [&](const Tensor& t) {
    EXPECT_EQ(recorder.open("part"), Mode::Eager);
    recorder.ran(op::Fill{t, 1.0});
    recorder.close();
  };
  eager_run(a);
  eager_run(b);  // not the same as the run before: no capture yet
  eager_run(b);
  ASSERT_EQ(recorder.open("part"), Mode::Capture);
  EXPECT_EQ(recorder.expected_ops(), 1u);
  recorder.ran(op::Fill{b, 1.0});
  EXPECT_EQ(recorder.captured(42), 42);
  recorder.close();

  ASSERT_EQ(recorder.open("part"), Mode::Replay);
  EXPECT_TRUE(recorder.matched(op::Fill{b, 1.0}));
  const int* replayed = recorder.replayable();
  ASSERT_NE(replayed, nullptr);
  EXPECT_EQ(*replayed, 42);
  recorder.close();

  ASSERT_EQ(recorder.open("part"), Mode::Replay);
  EXPECT_TRUE(recorder.matched(op::Fill{b, 1.0}));
  EXPECT_FALSE(recorder.matched(op::Fill{a, 1.0}));  // one op more than recorded
  EXPECT_EQ(recorder.mode(), Mode::Eager);
  EXPECT_EQ(recorder.take_kept().size(), 1u);
  recorder.close();

  ASSERT_EQ(recorder.open("part"), Mode::Replay);
  recorder.interrupt();
  EXPECT_TRUE(recorder.take_kept().empty());
  recorder.close();
  EXPECT_EQ(recorder.open("part"), Mode::Eager);  // never recorded again
  recorder.close();
}

TEST(StepReplay, AFailedCaptureIsTriedAgainAFewTimesThenGivenUp) {
  auto be = cpu_backend();
  Tensor a = be->empty({2}, DType::Float64);
  StepRecorder<int> recorder;
  int captures = 0;
  for (int run = 0; run < 20; ++run) {
    if (recorder.open("part") == Mode::Capture) {
      ++captures;
      recorder.ran(op::Fill{a, 1.0});
      recorder.capture_failed();
      EXPECT_EQ(recorder.take_kept().size(), 1u);  // to be run by the caller
    } else {
      EXPECT_EQ(recorder.mode(), Mode::Eager);
      recorder.ran(op::Fill{a, 1.0});
    }
    recorder.close();
  }
  EXPECT_EQ(captures, StepRecorder<int>::kMaxFailedCaptures);
}

}  // namespace
}  // namespace nnplug::test

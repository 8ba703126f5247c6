//===- CpuTrainer.cpp - golfc train on the CPU reference executor ---------===//
#include "Trainer.h"

#include "runtime/train/Gradients.h"
#include "runtime/train/Optimizer.h"

#include <cmath>

namespace golf {
namespace {

class CpuTrainer final : public Trainer {
public:
  CpuTrainer(cpu::Executor ex, train::Optimizers opt, train::Averaging avg, double gradClip,
             const Ranks &ranks)
      : ex_(std::move(ex)), optimizers_(std::move(opt)), averaging_(std::move(avg)),
        gradClip_(gradClip), ranks_(ranks) {}

  std::string describe() const override {
    if (!ranks_.world.distributed())
      return "CPU reference executor";
    return "CPU reference executor, " + std::to_string(ranks_.world.size) +
           " ranks (host all-reduce)";
  }

  bool start(const TrainState &s, bool resumed, std::string &error) override {
    params_ = s.params;
    if (!resumed)
      return averaging_.start(params_, error);
    return optimizers_.loadState(s.optimizer, error) && averaging_.loadState(s.averaging, error);
  }

  bool step(const std::string &function, const std::vector<data::Batch> &batches, int64_t step,
            double lrMult, double softRoundAlpha, std::string &error) override {
    train::GradAccumulator acc;
    double lossSum = 0;
    for (const data::Batch &batch : batches) {
      cpu::ParamStore grads;
      auto loss = lossAndGrads(ex_, function, batch, params_, grads, error, softRoundAlpha);
      if (!loss || !acc.add(grads, error))
        return false;
      lossSum += *loss;
    }
    const dist::SumAcrossRanks sum = ranks_.sum();
    if (!acc.sumAcrossRanks(sum, error) || (sum && !sum(&lossSum, 1, error)))
      return false;
    cpu::ParamStore grads = acc.mean();
    auto norm = train::clipGradNorm(grads, gradClip_, error);
    if (!norm)
      return false;
    StepStats s{lossSum / double(acc.count()), *norm};
    if (stats_.empty())
      statsBase_ = step;
    stats_.push_back(s);
    // Stop before a non-finite step changes the weights (the loop reports it).
    if (!std::isfinite(s.loss) || !std::isfinite(s.gradNorm))
      return true;
    return optimizers_.step(params_, grads, {step, lrMult}, error) &&
           averaging_.afterStep(params_, step + 1, lrMult, error);
  }

  std::optional<std::vector<StepStats>> stats(int64_t first, int64_t last,
                                              std::string &error) override {
    if (first < 0 || last > int64_t(stats_.size()) + statsBase_ || first < statsBase_) {
      error = "no statistics for those steps";
      return std::nullopt;
    }
    std::vector<StepStats> out(stats_.begin() + (first - statsBase_),
                               stats_.begin() + (last - statsBase_));
    return out;
  }

  std::optional<TrainState> state(std::string &) override {
    return TrainState{params_, optimizers_.saveState(), averaging_.saveState()};
  }

  std::optional<cpu::ParamStore> exportWeights(train::WeightsSource &source,
                                               std::string &error) override {
    source = averaging_.exportSource();
    return averaging_.exportWeights(params_, error);
  }

  std::optional<EvalResult> evaluate(const cpu::ParamStore *weights, const Validation &val,
                                     std::string &error) override {
    return golf::evaluate(ex_.plan(), cpuScorer(ex_, weights ? *weights : params_), val.tokens,
                          val.luts, error, ranks_.evalShare());
  }

private:
  cpu::Executor ex_;
  train::Optimizers optimizers_;
  train::Averaging averaging_;
  double gradClip_;
  Ranks ranks_;
  cpu::ParamStore params_;
  std::vector<StepStats> stats_; // from step statsBase_ on (a resumed run's first)
  int64_t statsBase_ = 0;
};

} // namespace

std::optional<double> lossAndGrads(cpu::Executor &ex, const std::string &function,
                                   const data::Batch &batch, const cpu::ParamStore &params,
                                   cpu::ParamStore &grads, std::string &error,
                                   double softRoundAlpha) {
  const plan::Plan &p = ex.plan();
  const plan::Function &f = *p.function(function);
  const std::vector<int64_t> &shape = p.values[size_t(f.args[0])].shape;
  std::vector<cpu::Tensor> inputs{cpu::Tensor::fromInts(shape, batch.inputs),
                                  cpu::Tensor::fromInts(shape, batch.targets)};
  if (f.args.size() > 2)
    inputs.push_back(cpu::Tensor::fromDoubles(plan::DType::F32, {}, {softRoundAlpha}));
  auto out = ex.run(function, inputs, params, error);
  if (!out)
    return std::nullopt;
  for (size_t i = 0; i < p.params.size(); ++i)
    grads[p.params[i].name] = (*out)[i + 1];
  return (*out)[0].get(0);
}

std::unique_ptr<Trainer> makeCpuTrainer(const plan::Plan &plan, const Ranks &ranks,
                                        std::string &error) {
  auto ex = cpu::Executor::create(plan, cpu::Precision::F32, error);
  auto optimizers = ex ? train::Optimizers::create(plan, error) : std::nullopt;
  auto averaging = optimizers ? train::Averaging::create(plan.train, error) : std::nullopt;
  if (!averaging)
    return nullptr;
  return std::make_unique<CpuTrainer>(std::move(*ex), std::move(*optimizers),
                                      std::move(*averaging), plan.train.value("grad_clip", 0.0),
                                      ranks);
}

} // namespace golf

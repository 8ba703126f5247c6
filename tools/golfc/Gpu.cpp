//===- Gpu.cpp - golfc's GPU entry points ---------------------------------===//
//
// The trainer: parameters, gradients, optimizer state and the EMA shadow stay on the
// GPU; each step is one CUDA-graph replay (cuda/TrainStep.h). SWA
// snapshots, which are rare, download the weights into a host
// train::Averaging that holds only the SWA sums. Checkpoints and exports
// put the device EMA back beside them in the CPU trainer's format, so a
// checkpoint resumes on either executor. Evaluation scores @nll on the
// GPU; GPTQ's calibration computes x^T x there. In a data-parallel run
// each rank drives GPU LOCAL_RANK, and the ranks' NCCL communicator is
// made here (its id travels through the HostGroup).
//
//===----------------------------------------------------------------------===//
#include "Gpu.h"

#include "runtime/cuda/Error.h"
#include "runtime/cuda/Gemm.h"
#include "runtime/cuda/Memory.h"
#include "runtime/cuda/Nccl.h"
#include "runtime/export/PlanSlice.h"
#include "runtime/train/Error.h"

#include "runtime/cuda/Device.h"
#include "runtime/cuda/TrainStep.h"

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <exception>

namespace golf {
namespace {

using train::guard; // any exception as a one-line error

/// @nll on `ex` with the weights it holds.
NllScorer executorScorer(const plan::Plan &plan, cuda::Executor &ex) {
  const std::vector<int64_t> shape = plan.values[plan.function("nll")->args[0]].shape;
  return [&ex, shape](const std::vector<int32_t> &ids, const std::vector<int32_t> &targets,
                      std::vector<double> &nll, std::string &e) {
    return guard(e, [&] {
      auto out = ex.run("nll", {cpu::Tensor::fromInts(shape, ids), cpu::Tensor::fromInts(shape, targets)});
      nll = out[0].toDoubles();
    });
  };
}

class GpuTrainer final : public Trainer {
public:
  GpuTrainer(const plan::Plan &plan, cuda::DeviceInfo device,
             std::unique_ptr<cuda::Executor> ex, train::Averaging full, std::string compiled,
             uint64_t allocated, const Ranks &ranks, std::unique_ptr<cuda::NcclComm> comm,
             int64_t accumulation)
      : plan_(plan), device_(std::move(device)), ex_(std::move(ex)), full_(std::move(full)),
        swa_(full_.withoutEma()), compiled_(std::move(compiled)), allocated_(allocated),
        ranks_(ranks), comm_(std::move(comm)) {
    cuda::TrainStepOptions o;
    o.accumulation = accumulation;
    o.comm = comm_.get();
    o.maxNorm = plan.train.value("grad_clip", 0.0);
    o.bf16NewtonSchulz = cuda::bf16NewtonSchulz(plan);
    if (full_.hasEma())
      o.emaDecay = full_.emaDecay();
    step_ = std::make_unique<cuda::TrainStep>(plan, *ex_, device_, o);
  }

  double deviceGiB() const override {
    return double(allocated_ + step_->memoryBytes()) / double(1ull << 30);
  }

  std::string describe() const override {
    char memory[64];
    snprintf(memory, sizeof memory, "; trainer state %.0f MiB",
             double(step_->memoryBytes()) / double(1 << 20));
    std::string ranks;
    if (comm_)
      ranks = ", " + std::to_string(comm_->size()) + " ranks (NCCL " +
              cuda::NcclComm::version() + ")";
    return "GPU " + device_.name + " (" + device_.arch() + ")" + ranks + ", CUDA graphs; " +
           compiled_ + memory;
  }

  bool start(const TrainState &s, bool resumed, std::string &error) override {
    return guard(error, [&] {
      ex_->setParams(s.params);
      if (!resumed) {
        std::string e;
        if (!swa_.start(s.params, e))
          throw std::runtime_error(e);
        step_->startEma();
        return;
      }
      step_->optimizers().loadState(s.optimizer);
      train::StateBlob host = s.averaging;
      cpu::ParamStore shadow;
      for (auto it = host.tensors.begin(); it != host.tensors.end();)
        if (it->first.rfind("ema/", 0) == 0) {
          shadow[it->first.substr(4)] = it->second;
          it = host.tensors.erase(it);
        } else {
          ++it;
        }
      std::string e;
      if (!swa_.loadState(host, e))
        throw std::runtime_error(e);
      if (full_.hasEma()) {
        if (shadow.empty())
          throw std::runtime_error("the checkpoint has no EMA shadow, but this run averages with ema");
        step_->startEma(&shadow);
      } else if (!shadow.empty()) {
        throw std::runtime_error("the checkpoint has an EMA shadow, but this run has no ema");
      }
    });
  }

  bool step(const std::string &function, const std::vector<data::Batch> &batches, int64_t step,
            double lrMult, double softRoundAlpha, std::string &error) override {
    return guard(error, [&] {
      std::vector<const int32_t *> inputs, targets;
      for (const data::Batch &b : batches) {
        inputs.push_back(b.inputs.data());
        targets.push_back(b.targets.data());
      }
      step_->enqueue(function, inputs, targets, step, lrMult, full_.emaDue(step + 1),
                     softRoundAlpha);
      if (swa_.swaDue(step + 1, lrMult)) {
        std::string e;
        if (!swa_.afterStep(ex_->params(), step + 1, lrMult, e))
          throw std::runtime_error(e);
      }
    });
  }

  std::optional<std::vector<StepStats>> stats(int64_t first, int64_t last,
                                              std::string &error) override {
    std::vector<StepStats> out;
    bool ok = guard(error, [&] {
      for (const cuda::StepStats &s : step_->stats(first, last))
        out.push_back({s.loss, s.gradNorm});
    });
    return ok ? std::optional(out) : std::nullopt;
  }

  std::optional<TrainState> state(std::string &error) override {
    TrainState s;
    bool ok = guard(error, [&] {
      step_->synchronize();
      s.params = ex_->params();
      s.optimizer = step_->optimizers().saveState();
      s.averaging = averagingState();
    });
    return ok ? std::optional(s) : std::nullopt;
  }

  std::optional<cpu::ParamStore> exportWeights(train::WeightsSource &source,
                                               std::string &error) override {
    cpu::ParamStore live;
    if (!guard(error, [&] {
          step_->synchronize();
          live = ex_->params();
          std::string e;
          if (!full_.loadState(averagingState(), e))
            throw std::runtime_error(e);
        }))
      return std::nullopt;
    source = full_.exportSource();
    return full_.exportWeights(live, error);
  }

  std::optional<EvalResult> evaluate(const cpu::ParamStore *weights, const Validation &val,
                                     std::string &error) override {
    if (weights && !guard(error, [&] {
          step_->synchronize();
          ex_->setParams(*weights);
        }))
      return std::nullopt;
    return golf::evaluate(plan_, executorScorer(plan_, *ex_), val.tokens, val.luts, error,
                          ranks_.evalShare());
  }

private:
  /// The host SWA sums beside the device EMA shadow: the CPU trainer's format.
  train::StateBlob averagingState() const {
    train::StateBlob s = swa_.saveState();
    for (const auto &[name, t] : step_->emaShadow())
      s.tensors["ema/" + name] = t;
    return s;
  }

  const plan::Plan &plan_;
  cuda::DeviceInfo device_;
  std::unique_ptr<cuda::Executor> ex_;
  train::Averaging full_, swa_;
  std::string compiled_; // what building the executor took
  uint64_t allocated_;   // the executor's arena and weights
  Ranks ranks_;
  std::unique_ptr<cuda::NcclComm> comm_; // outlives step_, whose graphs use it
  std::unique_ptr<cuda::TrainStep> step_;
};

} // namespace

int gpuCount(std::string &why) { return cuda::deviceCount(why); }

namespace {

/// The first usable GPU, or GPU `ordinal` (a rank's LOCAL_RANK).
std::optional<cuda::DeviceInfo> gpu(std::string &error, int ordinal = -1) {
  std::string why;
  std::optional<cuda::DeviceInfo> device = cuda::probeDevice(why, ordinal);
  if (!device)
    error = "no usable GPU (" + why + ")";
  return device;
}

/// The ranks' communicator: rank 0's unique id to all through the
/// HostGroup, then every rank joins (on its current GPU).
std::unique_ptr<cuda::NcclComm> joinNccl(const Ranks &ranks) {
  // NVLink SHARP (multicast) stays off: pgolf-spec's runs and the device
  // notes both leave it off; a launcher may still say otherwise.
  ::setenv("NCCL_NVLS_ENABLE", "0", 0);
  cuda::NcclComm::Id id{};
  if (ranks.world.leader())
    id = cuda::NcclComm::newId();
  std::string e;
  if (!ranks.group || !ranks.group->broadcast(id.data(), id.size(), e))
    throw std::runtime_error("sharing the NCCL id: " + (ranks.group ? e : "no rank group"));
  return std::make_unique<cuda::NcclComm>(id, ranks.world.rank, ranks.world.size);
}

} // namespace

std::optional<NllScorer> gpuScorer(const plan::Plan &plan, const cpu::ParamStore &params,
                                   std::string &error) {
  std::optional<cuda::DeviceInfo> device = gpu(error);
  std::optional<NllScorer> out;
  if (device && !guard(error, [&] {
        cuda::ExecutorOptions options;
        options.functions = {"nll"};
        cuda::CompileReport report;
        std::shared_ptr<cuda::Executor> ex = cuda::Executor::create(plan, *device, options, report);
        ex->setParams(params);
        NllScorer score = executorScorer(plan, *ex);
        out = [ex, score](const std::vector<int32_t> &ids, const std::vector<int32_t> &targets,
                          std::vector<double> &nll, std::string &e) {
          return score(ids, targets, nll, e);
        };
      }))
    return std::nullopt;
  return out;
}

std::optional<exporter::GramRunner> gpuGramRunner(const plan::Plan &plan,
                                                  const cpu::ParamStore &params,
                                                  std::string &error) {
  std::optional<cuda::DeviceInfo> device = gpu(error);
  if (!device)
    return std::nullopt;
  struct State {
    plan::Plan withCalibration; // the plan and the collector's function
    std::unique_ptr<cuda::Executor> ex;
    cuda::Gemm gemm;
    cuda::DeviceBuffer gram;
  };
  auto state = std::make_shared<State>();
  return [state, device = *device, plan, params](
             const plan::Function &calibration, const std::vector<int32_t> &ids, int64_t rows,
             int64_t positions, exporter::HessianCollector &collector, std::string &e) {
    return guard(e, [&] {
      State &s = *state;
      if (!s.ex) {
        s.withCalibration = exporter::planWith(plan, calibration);
        cuda::ExecutorOptions options;
        options.functions = {calibration.name};
        cuda::CompileReport report;
        s.ex = cuda::Executor::create(s.withCalibration, device, options, report);
        s.ex->setParams(params);
      }
      std::vector<void *> args = s.ex->argAddresses(calibration.name);
      std::vector<int32_t> targets(ids.size(), 0);
      cuda::copyToDevice(args[0], ids.data(), ids.size() * 4, s.ex->stream());
      cuda::copyToDevice(args[1], targets.data(), targets.size() * 4, s.ex->stream());
      s.ex->enqueue(calibration.name);
      std::vector<void *> results = s.ex->resultAddresses(calibration.name);
      for (size_t i = 0; i < results.size(); ++i) {
        const plan::TensorType &t = s.withCalibration.values[size_t(calibration.results[i])];
        const int64_t c = t.shape.back(), n = t.numel() / c;
        // [B, T, C] inputs count their first rows x positions tokens.
        const int64_t B = t.shape.size() == 3 ? t.shape[0] : 1, T = n / B;
        const int64_t useRows = t.shape.size() == 3 ? std::min(rows, B) : 1;
        const int64_t useT = t.shape.size() == 3 ? std::min(positions, T) : n;
        const uint64_t bytes = uint64_t(c * c) * 4;
        if (s.gram.bytes() < bytes)
          s.gram = cuda::DeviceBuffer(bytes);
        cuda::GemmShape g;
        g.m = g.n = c;
        g.k = useT;
        g.transA = true;
        g.a = g.b = t.dtype == plan::DType::BF16 ? cuda::ElemType::BF16 : cuda::ElemType::F32;
        g.c = cuda::ElemType::F32;
        if (t.dtype != plan::DType::BF16 && t.dtype != plan::DType::F32)
          throw std::runtime_error("calibration input of dtype " + std::string(plan::dtypeName(t.dtype)));
        const uint64_t elem = t.dtype == plan::DType::BF16 ? 2 : 4;
        for (int64_t b = 0; b < useRows; ++b) {
          g.beta = b == 0 ? 0.0f : 1.0f;
          const char *x = static_cast<const char *>(results[i]) + uint64_t(b * T * c) * elem;
          s.gemm.run(g, x, x, s.gram.data(), s.ex->stream());
        }
        std::vector<float> host(size_t(c * c));
        cuda::copyToHost(host.data(), s.gram.data(), bytes, s.ex->stream());
        cuda::check(cudaStreamSynchronize(s.ex->stream()), "calibration");
        if (!collector.addGram(i, std::vector<double>(host.begin(), host.end()), useRows * useT, e))
          throw std::runtime_error(e);
      }
    });
  };
}

std::unique_ptr<Trainer> makeGpuTrainer(const plan::Plan &plan, const Ranks &ranks,
                                        int64_t accumulation, const cudagen::LowerOptions &lowering,
                                        std::string &error) {
  std::optional<cuda::DeviceInfo> device =
      gpu(error, ranks.world.distributed() ? ranks.world.localRank : -1);
  if (!device)
    return nullptr;
  auto averaging = train::Averaging::create(plan.train, error);
  if (!averaging)
    return nullptr;
  std::unique_ptr<Trainer> out;
  guard(error, [&] {
    std::unique_ptr<cuda::NcclComm> comm;
    if (ranks.world.distributed())
      comm = joinNccl(ranks);
    cuda::ExecutorOptions options;
    options.lowering = lowering;
    options.functions = {"loss_grad", "nll"};
    for (const char *late : {"loss_qat_grad", "loss_crownq_grad", "loss_qat_crownq_grad"})
      if (plan.function(late))
        options.functions.push_back(late);
    cuda::CompileReport report;
    auto t0 = std::chrono::steady_clock::now();
    auto ex = cuda::Executor::create(plan, *device, options, report);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char compiled[200];
    snprintf(compiled, sizeof compiled,
             "%d kernels (%d compiled, %d cached) ready in %.2f s; arena %.0f MiB, weights %.0f MiB",
             report.kernels, report.nvrtc.compiled, report.nvrtc.cached, seconds,
             double(report.arenaBytes) / double(1 << 20), double(report.paramBytes) / double(1 << 20));
    out = std::make_unique<GpuTrainer>(plan, *device, std::move(ex), std::move(*averaging),
                                       compiled, report.arenaBytes + report.paramBytes, ranks,
                                       std::move(comm), accumulation);
  });
  return out;
}

} // namespace golf

//===- TrainStep.cpp - one training step on the GPU, as a graph -----------===//
#include "runtime/cuda/TrainStep.h"
#include "runtime/cuda/Error.h"
#include "runtime/cuda/Graph.h"
#include "runtime/cuda/HostTensor.h"
#include "runtime/cuda/Stream.h"

#include <cstring>
#include <map>

namespace golf::cuda {
namespace {

/// What the graphs of one gradient function read and write.
struct GradFunction {
  std::vector<void *> args;    // ids, targets (i32)
  const float *loss = nullptr; // result 0
  MultiTensorPass accumulate;  // ptr[0]: its gradient; ptr[1]: the accumulator
  std::optional<Graph> graph[2];
  bool ranEagerly = false;
};

} // namespace

struct TrainStep::Impl {
  const plan::Plan &plan;
  Executor &executor;
  TrainStepOptions options;
  TrainKernels kernels;
  int64_t microTokens = 0;

  DeviceBuffer gradients;                       // fp32, every parameter's in one
  std::map<std::string, float *> accumulators;  // into `gradients`
  MultiTensorPass norm;                             // ptr[1]: accumulator
  std::unique_ptr<DeviceOptimizers> optimizers;
  std::map<std::string, DeviceBuffer> shadow; // EMA, fp32
  MultiTensorPass ema;                        // ptr[0]: shadow; ptr[1]: parameter
  std::map<std::string, GradFunction> functions;

  DeviceBuffer scalars{sizeof(golf_mt::StepScalars)}, scale{sizeof(golf_mt::GradScale)},
      stats{sizeof(golf_mt::StepStats) * golf_mt::kStatsSlots}, partials;
  // Ping-pong by step parity: staged tokens, their device copies, and the
  // scalars each step copies from.
  PinnedBuffer staging[2], hostScalars[2];
  DeviceBuffer tokens[2];
  Event copied[2], scalarsRead[2], done[2];
  Stream copyStream;
  int64_t enqueued = 0; // steps enqueued so far (the ping-pong parity)
  int64_t latest = 0;   // the last enqueued step's index + 1 (stats' range)

  Impl(const plan::Plan &p, Executor &ex, const TrainStepOptions &o) : plan(p), executor(ex), options(o) {}
  GradFunction &function(const std::string &name);
  void body(const std::string &name, GradFunction &f, int parity);
};

GradFunction &TrainStep::Impl::function(const std::string &name) {
  auto it = functions.find(name);
  if (it != functions.end())
    return it->second;
  const plan::Function *src = plan.function(name);
  if (!src || src->args.size() < 2 || src->args.size() > 3 ||
      src->results.size() != plan.params.size() + 1)
    throw std::runtime_error("'" + name + "' is not a gradient function (ids, targets"
                             "[, sharpness]) -> (loss, grads)");
  for (size_t i = 0; i < src->args.size(); ++i) {
    const plan::TensorType &t = plan.values[size_t(src->args[i])];
    const bool ok = i < 2 ? t.dtype == plan::DType::I32 && t.numel() == microTokens
                          : t.dtype == plan::DType::F32 && t.numel() == 1;
    if (!ok)
      throw std::runtime_error("'" + name + "' takes other arguments than @loss_grad");
  }
  GradFunction &f = functions[name];
  f.args = executor.argAddresses(name);
  std::vector<void *> results = executor.resultAddresses(name);
  f.loss = static_cast<const float *>(results[0]);
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const plan::Param &p = plan.params[i];
    if (src->resultNames.size() > i + 1 && src->resultNames[i + 1] != "grad:" + p.name)
      throw std::runtime_error("'" + name + "' result " + std::to_string(i + 1) + " is " +
                               src->resultNames[i + 1] + ", expected grad:" + p.name);
    golf_mt::Tensor t{};
    t.numel = p.type.numel();
    t.ptr[0] = results[i + 1];
    t.dtype[0] = mtDType(plan.values[size_t(src->results[i + 1])].dtype);
    t.ptr[1] = accumulators.at(p.name);
    t.dtype[1] = golf_mt::kF32;
    f.accumulate.add(t);
  }
  f.accumulate.upload();
  return f;
}

/// Everything one step enqueues after its scalars: the same calls eagerly
/// and under capture.
void TrainStep::Impl::body(const std::string &name, GradFunction &f, int parity) {
  cudaStream_t s = executor.stream();
  const auto *dScalars = scalars.as<const golf_mt::StepScalars>();
  auto *dStats = stats.as<golf_mt::StepStats>();
  const uint64_t bytes = uint64_t(microTokens) * 4;
  // The weights' casts once: they do not change between micro-batches.
  executor.enqueue(name, Executor::Part::Weights);
  for (int64_t k = 0; k < options.accumulation; ++k) {
    const char *batch = tokens[parity].as<char>() + uint64_t(2 * k) * bytes;
    check(cudaMemcpyAsync(f.args[0], batch, bytes, cudaMemcpyDeviceToDevice, s), "cudaMemcpyAsync (ids)");
    check(cudaMemcpyAsync(f.args[1], batch + bytes, bytes, cudaMemcpyDeviceToDevice, s),
          "cudaMemcpyAsync (targets)");
    if (f.args.size() > 2)
      check(cudaMemcpyAsync(f.args[2], &dScalars->softRoundAlpha, sizeof(float),
                            cudaMemcpyDeviceToDevice, s),
            "cudaMemcpyAsync (sharpness)");
    executor.enqueue(name, Executor::Part::Batch);
    const int first = k == 0;
    f.accumulate.launch(kernels, kernels.accumulate, s, first);
    auto *dScale = scale.as<golf_mt::GradScale>();
    void *args[] = {&f.loss, &dScalars, &dScale, const_cast<int *>(&first)};
    kernels.library.launch(kernels.loss, dim3(1), dim3(1), 0, s, args);
  }
  if (options.comm) {
    options.comm->allReduceSum(gradients.data(), gradients.bytes() / 4, NcclType::F32, s);
    options.comm->allReduceSum(scale.data(), 1, NcclType::F64, s); // GradScale::loss
  }
  double *dPartials = partials.as<double>();
  norm.launch(kernels, kernels.sumsq, s, dPartials);
  {
    const double *p = dPartials;
    int count = norm.chunks();
    auto *dScale = scale.as<golf_mt::GradScale>();
    void *args[] = {&p, &count, &dScalars, &dScale, &dStats};
    kernels.library.launch(kernels.clip, dim3(1), dim3(1024), 0, s, args);
  }
  optimizers->enqueue(kernels, s, dScalars, scale.as<const golf_mt::GradScale>());
  ema.launch(kernels, kernels.ema, s, dScalars);
}

TrainStep::TrainStep(const plan::Plan &plan, Executor &executor, const DeviceInfo &device,
                     const TrainStepOptions &options)
    : impl_(std::make_unique<Impl>(plan, executor, options)) {
  Impl &m = *impl_;
  if (options.accumulation < 1)
    throw std::runtime_error("gradient accumulation must be at least 1");
  const plan::Function *grad = plan.function("loss_grad");
  if (!grad)
    throw std::runtime_error("the plan has no @loss_grad (compile with differentiation)");
  m.microTokens = plan.values[size_t(grad->args[0])].numel();
  m.kernels = TrainKernels::load(device.arch(), options.cacheDir);
  std::map<std::string, void *> params;
  // One buffer, so that a data-parallel step sums it with one all-reduce;
  // each parameter's part starts on a 16-byte boundary for vector access.
  uint64_t elements = 0;
  for (const plan::Param &p : plan.params)
    elements += (uint64_t(p.type.numel()) + 3) / 4 * 4;
  m.gradients = DeviceBuffer(std::max<uint64_t>(elements, 1) * 4);
  m.gradients.fill(0);
  float *next = m.gradients.as<float>();
  for (const plan::Param &p : plan.params) {
    params[p.name] = executor.paramAddress(p.name);
    float *acc = m.accumulators[p.name] = next;
    next += (uint64_t(p.type.numel()) + 3) / 4 * 4;
    golf_mt::Tensor t{};
    t.numel = p.type.numel();
    t.ptr[1] = acc;
    t.dtype[1] = golf_mt::kF32;
    m.norm.add(t);
    if (options.emaDecay) {
      DeviceBuffer &sh = m.shadow[p.name] = DeviceBuffer(uint64_t(p.type.numel()) * 4);
      golf_mt::Tensor e{};
      e.numel = p.type.numel();
      e.ptr[0] = sh.data();
      e.dtype[0] = golf_mt::kF32;
      e.ptr[1] = executor.paramAddress(p.name);
      e.dtype[1] = mtDType(p.type.dtype);
      m.ema.add(e);
    }
  }
  m.norm.upload();
  m.ema.upload();
  m.partials = DeviceBuffer(uint64_t(std::max(m.norm.chunks(), 1)) * sizeof(double));
  m.optimizers = std::make_unique<DeviceOptimizers>(plan, params, m.accumulators,
                                                    options.bf16NewtonSchulz, options.comm);
  const uint64_t stepTokens = uint64_t(2 * options.accumulation * m.microTokens) * 4;
  for (int q = 0; q < 2; ++q) {
    m.staging[q] = PinnedBuffer(stepTokens);
    m.tokens[q] = DeviceBuffer(stepTokens);
    m.hostScalars[q] = PinnedBuffer(sizeof(golf_mt::StepScalars));
    // Recorded once so that the first waits on them return at once.
    m.copied[q].record(m.copyStream.get());
    m.scalarsRead[q].record(executor.stream());
    m.done[q].record(executor.stream());
  }
  m.stats.fill(0);
}

TrainStep::~TrainStep() = default;

void TrainStep::enqueue(const std::string &name, const std::vector<const int32_t *> &inputs,
                        const std::vector<const int32_t *> &targets, int64_t step, double lrMult,
                        bool emaNow, double softRoundAlpha) {
  Impl &m = *impl_;
  if (int64_t(inputs.size()) != m.options.accumulation ||
      int64_t(targets.size()) != m.options.accumulation)
    throw std::runtime_error("a step takes " + std::to_string(m.options.accumulation) +
                             " micro-batches");
  GradFunction &f = m.function(name);
  const int q = int(m.enqueued % 2);
  cudaStream_t main = m.executor.stream();

  // Tokens: into pinned staging once its last copy is done, then to the
  // device on the copy stream once the step two back has read them.
  m.copied[q].synchronize();
  char *stage = m.staging[q].as<char>();
  const uint64_t bytes = uint64_t(m.microTokens) * 4;
  for (int64_t k = 0; k < m.options.accumulation; ++k) {
    std::memcpy(stage + uint64_t(2 * k) * bytes, inputs[size_t(k)], bytes);
    std::memcpy(stage + uint64_t(2 * k + 1) * bytes, targets[size_t(k)], bytes);
  }
  check(cudaStreamWaitEvent(m.copyStream.get(), m.done[q].get(), 0), "cudaStreamWaitEvent");
  copyToDevice(m.tokens[q].data(), stage, m.staging[q].bytes(), m.copyStream.get());
  m.copied[q].record(m.copyStream.get());

  m.scalarsRead[q].synchronize();
  auto *s = m.hostScalars[q].as<golf_mt::StepScalars>();
  std::memset(static_cast<void *>(s), 0, sizeof *s);
  m.optimizers->beginStep(*s, step, lrMult);
  s->maxNorm = m.options.maxNorm;
  s->emaDecay = m.options.emaDecay.value_or(0);
  s->emaActive = emaNow && m.options.emaDecay;
  s->statsSlot = int(step % golf_mt::kStatsSlots);
  s->accumulation = int(m.options.accumulation * (m.options.comm ? m.options.comm->size() : 1));
  s->softRoundAlpha = float(softRoundAlpha);
  copyToDevice(m.scalars.data(), s, sizeof *s, main);
  m.scalarsRead[q].record(main);

  check(cudaStreamWaitEvent(main, m.copied[q].get(), 0), "cudaStreamWaitEvent");
  if (!f.ranEagerly || !m.options.graphs) {
    m.body(name, f, q);
    f.ranEagerly = true;
    synchronize(); // tuning and first launches are done: capture is safe
  } else {
    if (!f.graph[q])
      f.graph[q] = Graph::capture(main, [&] { m.body(name, f, q); });
    f.graph[q]->launch(main);
  }
  m.done[q].record(main);
  ++m.enqueued;
  m.latest = step + 1;
  // At most two steps in flight: wait for the one before this.
  m.done[1 - q].synchronize();
}

std::vector<StepStats> TrainStep::stats(int64_t first, int64_t last) {
  Impl &m = *impl_;
  if (first < 0 || last < first || last > m.latest || m.latest - first > golf_mt::kStatsSlots)
    throw std::logic_error("TrainStep::stats: steps out of the ring");
  synchronize();
  std::vector<golf_mt::StepStats> ring(golf_mt::kStatsSlots);
  copyToHost(ring.data(), m.stats.data(), m.stats.bytes());
  std::vector<StepStats> out;
  for (int64_t s = first; s < last; ++s) {
    const golf_mt::StepStats &r = ring[size_t(s % golf_mt::kStatsSlots)];
    out.push_back({r.loss, r.gradNorm});
  }
  return out;
}

void TrainStep::synchronize() {
  check(cudaStreamSynchronize(impl_->executor.stream()), "cudaStreamSynchronize");
  check(cudaStreamSynchronize(impl_->copyStream.get()), "cudaStreamSynchronize");
}

DeviceOptimizers &TrainStep::optimizers() { return *impl_->optimizers; }

cpu::ParamStore TrainStep::emaShadow() const {
  cpu::ParamStore out;
  for (const auto &[name, buffer] : impl_->shadow) {
    const plan::Param *p = impl_->plan.param(name);
    std::vector<char> bytes(buffer.bytes());
    copyToHost(bytes.data(), buffer.data(), bytes.size());
    out[name] = hostTensor(bytes.data(), {plan::DType::F32, p->type.shape});
  }
  return out;
}

void TrainStep::startEma(const cpu::ParamStore *shadow) {
  Impl &m = *impl_;
  if (m.shadow.empty())
    return;
  cpu::ParamStore live;
  if (!shadow)
    live = m.executor.params();
  const cpu::ParamStore &from = shadow ? *shadow : live;
  for (auto &[name, buffer] : m.shadow) {
    auto it = from.find(name);
    const plan::Param *p = m.plan.param(name);
    if (it == from.end() || it->second.shape() != p->type.shape)
      throw std::runtime_error("EMA shadow of '" + name + "' is missing or has the wrong shape");
    std::vector<char> bytes = deviceBytes(it->second, plan::DType::F32);
    copyToDevice(buffer.data(), bytes.data(), bytes.size());
  }
}

uint64_t TrainStep::memoryBytes() const {
  const Impl &m = *impl_;
  uint64_t n = m.optimizers->stateBytes() + m.partials.bytes() + 2 * m.tokens[0].bytes() +
               m.gradients.bytes();
  for (const auto &[name, b] : m.shadow)
    n += b.bytes();
  return n;
}

} // namespace golf::cuda

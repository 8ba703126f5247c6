//===- Executor.cpp - runs lowered plan functions on the GPU --------------===//
#include "runtime/cuda/Executor.h"
#include "codegen/cuda/BufferPlan.h"
#include "codegen/cuda/Print.h"
#include "runtime/cuda/CudnnAttention.h"
#include "runtime/cuda/Error.h"
#include "runtime/cuda/Gemm.h"
#include "runtime/cuda/HostTensor.h"
#include "runtime/cuda/Memory.h"
#include "runtime/cuda/Module.h"
#include "runtime/cuda/Stream.h"

#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>

namespace golf::cuda {

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

ElemType elemType(plan::DType d, const std::string &where) {
  switch (d) {
  case plan::DType::F32:
    return ElemType::F32;
  case plan::DType::BF16:
    return ElemType::BF16;
  case plan::DType::F16:
    return ElemType::F16;
  default:
    throw std::runtime_error(where + ": matmul of dtype " + plan::dtypeName(d) + " has no cuBLASLt path");
  }
}

/// A launch resolved at create(): the kernel handle and its arguments as
/// cudaLaunchKernel takes them (args[i] points at pointers[i]). Parameter
/// buffers and arenas never move, so nothing is looked up per run.
struct BoundLaunch {
  cudaKernel_t kernel;
  dim3 grid, block;
  uint32_t smem;
  std::vector<void *> pointers;
  std::vector<void *> args;
};

struct Function {
  const plan::Function *source;
  cudagen::FunctionProgram program;
  cudagen::BufferPlan buffers;
  std::vector<void *> address;                    // per value id; nullptr: not in device memory
  std::vector<std::vector<BoundLaunch>> launches; // per step
  std::vector<GemmShape> gemms;                   // per step (kind Gemm)
};

} // namespace

struct Executor::Impl {
  plan::Plan plan;
  ExecutorOptions options;
  KernelLibrary library;
  Gemm gemm;
  std::unique_ptr<CudnnAttention> cudnn; // when a function has cuDNN attention steps
  void *cudnnWorkspace = nullptr;         // past the functions' plans, in the arena
  Stream stream;
  Event start, stop;
  /// Every parameter in one allocation (aligned slots), by name.
  struct ParamSlot {
    uint64_t offset, bytes;
  };
  DeviceBuffer paramMemory;
  std::map<std::string, ParamSlot> params;
  void *param(const std::string &name) const {
    return static_cast<char *>(paramMemory.data()) + params.at(name).offset;
  }
  DeviceBuffer arena; // shared by every function (they run one at a time)
  std::vector<Function> functions;
  double lastMs = 0;

  void *pointer(const Function &f, int value) const;
  std::vector<void *> pointers(const Function &f, const std::vector<int> &values) const;
  /// Enqueues every step; records marks[i] after step i when given, and
  /// each GEMM step's tuned time alone into gemmAloneMs[i] when given.
  void runSteps(const Function &f, const std::vector<Event> *marks = nullptr,
                std::vector<double> *gemmAloneMs = nullptr, Part part = Part::All);
  const Function &function(const std::string &name) const;
  void upload(const Function &f, const std::vector<cpu::Tensor> &args);
};

const Function &Executor::Impl::function(const std::string &name) const {
  for (const Function &g : functions)
    if (g.program.function == name)
      return g;
  throw std::runtime_error("plan has no function '" + name + "'");
}

void *Executor::Impl::pointer(const Function &f, int value) const {
  void *p = f.address[size_t(value)];
  if (!p)
    throw std::logic_error("value %" + std::to_string(value) + " has no device buffer");
  return p;
}

void Executor::Impl::runSteps(const Function &f, const std::vector<Event> *marks,
                              std::vector<double> *gemmAloneMs, Part part) {
  cudaStream_t s = stream.get();
  for (size_t i = 0; i < f.program.steps.size(); ++i) {
    const cudagen::Step &step = f.program.steps[i];
    if (marks && i > 0)
      (*marks)[i - 1].record(s);
    if (step.kind == cudagen::Step::Alias ||
        (part != Part::All && step.weightsOnly != (part == Part::Weights)))
      continue;
    if (step.kind == cudagen::Step::Gemm) {
      const GemmTuning &tuning = gemm.run(f.gemms[i], pointer(f, step.operands[0]),
                                          pointer(f, step.operands[1]), pointer(f, step.results[0]), s);
      if (gemmAloneMs)
        (*gemmAloneMs)[i] = tuning.ms;
      continue;
    }
    if (step.kind == cudagen::Step::Attention) {
      cudnn->run(step.attention, pointers(f, step.operands), pointers(f, step.results), cudnnWorkspace, s);
      continue;
    }
    for (size_t k = 0; k < step.program.scratchBytes.size(); ++k)
      if (step.program.scratchZeroed[k])
        check(cudaMemsetAsync(static_cast<char *>(arena.data()) + f.buffers.scratchOffset[i][k], 0,
                              step.program.scratchBytes[k], s),
              "cudaMemsetAsync (scratch)");
    for (const BoundLaunch &l : f.launches[i])
      library.launch(l.kernel, l.grid, l.block, l.smem, s, const_cast<void **>(l.args.data()));
  }
  if (marks && !f.program.steps.empty())
    marks->back().record(s);
}

std::unique_ptr<Executor> Executor::create(const plan::Plan &plan, const DeviceInfo &device,
                                           const ExecutorOptions &options, CompileReport &report) {
  auto impl = std::make_unique<Impl>();
  impl->plan = plan;
  impl->options = options;
  auto t0 = std::chrono::steady_clock::now();
  if (!options.functions.empty()) {
    std::vector<plan::Function> kept;
    for (const std::string &name : options.functions) {
      const plan::Function *f = impl->plan.function(name);
      if (!f)
        throw std::runtime_error("plan has no function '" + name + "'");
      kept.push_back(*f);
    }
    impl->plan.functions = std::move(kept);
  }
  std::vector<cudagen::FunctionProgram> programs = cudagen::lowerPlan(impl->plan, options.lowering);
  report.lowerSeconds = secondsSince(t0);
  std::vector<KernelSource> sources;
  for (const cudagen::Kernel &k : cudagen::distinctKernels(programs))
    sources.push_back({k.name, k.source});
  report.kernels = int(sources.size());
  NvrtcOptions nvrtc;
  nvrtc.arch = device.arch();
  nvrtc.cacheDir = options.cacheDir;
  std::vector<std::string> cubins = compileCubins(sources, nvrtc, &report.nvrtc);
  t0 = std::chrono::steady_clock::now();
  impl->library = KernelLibrary::load(sources, cubins);
  uint64_t paramTotal = 0;
  for (const plan::Param &p : impl->plan.params) {
    uint64_t bytes = uint64_t(p.type.numel()) * cudagen::elementBytes(p.type.dtype);
    impl->params.emplace(p.name, Impl::ParamSlot{paramTotal, bytes});
    paramTotal += cudagen::BufferPlan::aligned(bytes);
    report.paramBytes += bytes;
  }
  impl->paramMemory = DeviceBuffer(paramTotal);
  std::vector<cudagen::BufferPlan> plans;
  uint64_t arenaBytes = 0;
  for (size_t i = 0; i < programs.size(); ++i) {
    plans.push_back(cudagen::planBuffers(programs[i], impl->plan.functions[i].args,
                                         impl->plan.functions[i].results));
    arenaBytes = std::max(arenaBytes, plans.back().arenaBytes);
    report.naiveBytes += plans.back().naiveBytes;
  }
  // cuDNN's graphs are built now (they need the GPU); their workspace, the
  // largest any call needs, follows the plans in the one allocation.
  uint64_t cudnnBytes = 0;
  for (const cudagen::FunctionProgram &p : programs)
    for (const cudagen::Step &step : p.steps)
      if (step.kind == cudagen::Step::Attention) {
        if (!impl->cudnn) {
          impl->cudnn = std::make_unique<CudnnAttention>();
          report.cudnn = impl->cudnn->version();
        }
        cudnnBytes = std::max<uint64_t>(cudnnBytes, impl->cudnn->prepare(step.attention));
      }
  const uint64_t plannedBytes = cudagen::BufferPlan::aligned(arenaBytes);
  size_t freeBytes = 0, totalBytes = 0;
  if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess && plannedBytes + cudnnBytes > freeBytes)
    throw std::runtime_error(
        "the activations' arena (" + std::to_string((plannedBytes + cudnnBytes) >> 20) +
        " MiB) does not fit in the GPU's free memory (" + std::to_string(freeBytes >> 20) +
        " MiB): a smaller --batch, or --memory-budget=GIB to recompute cheap values instead of keeping them");
  impl->arena = DeviceBuffer(plannedBytes + cudnnBytes);
  if (impl->cudnn)
    impl->cudnnWorkspace = static_cast<char *>(impl->arena.data()) + plannedBytes;
  report.arenaBytes = plannedBytes + cudnnBytes;
  char *arena = static_cast<char *>(impl->arena.data());
  for (size_t i = 0; i < programs.size(); ++i) {
    Function f;
    f.source = &impl->plan.functions[i];
    f.program = std::move(programs[i]);
    f.buffers = std::move(plans[i]);
    f.address.assign(f.program.values.size(), nullptr);
    for (size_t v = 0; v < f.address.size(); ++v)
      if (f.buffers.offset[v] >= 0)
        f.address[v] = arena + f.buffers.offset[v];
    for (const auto &[v, name] : f.program.params)
      f.address[size_t(v)] = impl->param(name);
    for (size_t v = 0; v < f.address.size(); ++v) // views of parameters
      if (!f.address[v])
        f.address[v] = f.address[size_t(f.buffers.root[v])];
    for (size_t i = 0; i < f.program.steps.size(); ++i) {
      const cudagen::Step &step = f.program.steps[i];
      std::vector<BoundLaunch> bound;
      for (const cudagen::Launch &l : step.program.launches) {
        BoundLaunch b{impl->library.get(l.kernel), dim3(l.grid[0], l.grid[1], l.grid[2]),
                      dim3(l.block[0], l.block[1], l.block[2]), l.sharedBytes, {}, {}};
        for (const cudagen::ArgRef &a : l.args) {
          size_t k = size_t(a.index);
          b.pointers.push_back(a.kind == cudagen::ArgRef::Operand  ? impl->pointer(f, step.operands[k])
                               : a.kind == cudagen::ArgRef::Result ? impl->pointer(f, step.results[k])
                                                                   : arena + f.buffers.scratchOffset[i][k]);
        }
        for (void *&p : b.pointers)
          b.args.push_back(&p);
        bound.push_back(std::move(b));
      }
      f.launches.push_back(std::move(bound));
      GemmShape g;
      if (step.kind == cudagen::Step::Gemm) {
        const cudagen::GemmCall &c = step.gemm;
        std::string where = "function '" + f.program.function + "' " + step.label;
        g.m = c.m, g.n = c.n, g.k = c.k, g.transA = c.transA, g.transB = c.transB;
        g.batch = c.batch, g.strideA = c.strideA, g.strideB = c.strideB, g.strideC = c.strideC;
        g.a = elemType(f.program.values[size_t(step.operands[0])].dtype, where);
        g.b = elemType(f.program.values[size_t(step.operands[1])].dtype, where);
        g.c = elemType(f.program.values[size_t(step.results[0])].dtype, where);
        try {
          validate(g);
        } catch (const std::invalid_argument &e) {
          throw std::runtime_error(where + ": " + e.what());
        }
      }
      f.gemms.push_back(g);
    }
    impl->functions.push_back(std::move(f));
  }
  report.loadSeconds = secondsSince(t0);
  return std::unique_ptr<Executor>(new Executor(std::move(impl)));
}

void Executor::setParams(const cpu::ParamStore &params) {
  for (const plan::Param &p : impl_->plan.params) {
    auto it = params.find(p.name);
    if (it == params.end())
      throw std::runtime_error("parameter '" + p.name + "' is missing");
    if (it->second.shape() != p.type.shape)
      throw std::runtime_error("parameter '" + p.name + "' has the wrong shape");
    std::vector<char> bytes = deviceBytes(it->second, p.type.dtype);
    copyToDevice(impl_->param(p.name), bytes.data(), bytes.size());
  }
}

void Executor::Impl::upload(const Function &f, const std::vector<cpu::Tensor> &args) {
  const plan::Function &src = *f.source;
  if (args.size() != src.args.size())
    throw std::runtime_error("function '" + src.name + "' takes " + std::to_string(src.args.size()) +
                             " arguments, got " + std::to_string(args.size()));
  cudaStream_t s = stream.get();
  if (options.poison)
    check(cudaMemsetAsync(arena.data(), 0xff, f.buffers.arenaBytes, s), "cudaMemsetAsync (poison)");
  for (size_t i = 0; i < args.size(); ++i) {
    const plan::TensorType &t = plan.values[size_t(src.args[i])];
    if (args[i].shape() != t.shape)
      throw std::runtime_error("function '" + src.name + "' argument " + std::to_string(i) +
                               " has the wrong shape");
    std::vector<char> bytes = deviceBytes(args[i], t.dtype);
    copyToDevice(pointer(f, src.args[i]), bytes.data(), bytes.size(), s);
  }
}

std::vector<Executor::StepTime> Executor::profile(const std::string &name,
                                                  const std::vector<cpu::Tensor> &args) {
  Impl &m = *impl_;
  const Function &f = m.function(name);
  m.upload(f, args);
  std::vector<Event> marks(f.program.steps.size());
  std::vector<double> gemmAloneMs(f.program.steps.size());
  m.start.record(m.stream.get());
  m.runSteps(f, &marks, &gemmAloneMs);
  m.stream.synchronize();
  std::vector<StepTime> out;
  for (size_t i = 0; i < marks.size(); ++i) {
    const cudagen::Step &step = f.program.steps[i];
    StepTime t{step.label, "", elapsedMs(i ? marks[i - 1] : m.start, marks[i])};
    t.weightsOnly = step.weightsOnly;
    if (step.kind == cudagen::Step::Program || step.kind == cudagen::Step::Attention)
      t.bytes = cudagen::stepBytes(f.program, step);
    if (step.kind == cudagen::Step::Gemm) {
      t.what = describe(f.gemms[i]);
      t.aloneMs = gemmAloneMs[i];
    } else if (step.kind == cudagen::Step::Attention) {
      t.what = cudagen::describe(step.attention);
    } else if (step.kind == cudagen::Step::Alias)
      t.what = "view";
    for (const cudagen::Launch &l : step.program.launches)
      t.what += (t.what.empty() ? "" : " ") + l.kernel;
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<cpu::Tensor> Executor::run(const std::string &name, const std::vector<cpu::Tensor> &args) {
  Impl &m = *impl_;
  const Function *f = &m.function(name);
  const plan::Function &src = *f->source;
  cudaStream_t s = m.stream.get();
  m.upload(*f, args);
  m.start.record(s);
  m.runSteps(*f);
  m.stop.record(s);
  m.lastMs = elapsedMs(m.start, m.stop);
  std::vector<cpu::Tensor> out;
  for (int r : src.results) {
    const plan::TensorType &t = m.plan.values[size_t(r)];
    std::vector<char> bytes(size_t(t.numel()) * cudagen::elementBytes(t.dtype));
    copyToHost(bytes.data(), m.pointer(*f, r), bytes.size(), s);
    m.stream.synchronize();
    out.push_back(hostTensor(bytes.data(), t));
  }
  check(cudaGetLastError(), "run");
  return out;
}

double Executor::lastRunMs() const { return impl_->lastMs; }

cpu::ParamStore Executor::params() const {
  cpu::ParamStore out;
  for (const plan::Param &p : impl_->plan.params) {
    std::vector<char> bytes(impl_->params.at(p.name).bytes);
    copyToHost(bytes.data(), impl_->param(p.name), bytes.size());
    out[p.name] = hostTensor(bytes.data(), p.type);
  }
  return out;
}

void *Executor::paramAddress(const std::string &name) const {
  if (!impl_->params.count(name))
    throw std::runtime_error("plan has no parameter '" + name + "'");
  return impl_->param(name);
}

std::vector<void *> Executor::Impl::pointers(const Function &f, const std::vector<int> &values) const {
  std::vector<void *> out;
  for (int v : values)
    out.push_back(pointer(f, v));
  return out;
}

std::vector<void *> Executor::argAddresses(const std::string &name) const {
  const Function &f = impl_->function(name);
  return impl_->pointers(f, f.source->args);
}

std::vector<void *> Executor::resultAddresses(const std::string &name) const {
  const Function &f = impl_->function(name);
  return impl_->pointers(f, f.source->results);
}

void Executor::enqueue(const std::string &name, Part part) {
  impl_->runSteps(impl_->function(name), nullptr, nullptr, part);
}

cudaStream_t Executor::stream() const { return impl_->stream.get(); }

Executor::Executor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executor::~Executor() = default;

} // namespace golf::cuda

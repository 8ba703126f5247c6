//===- ProfileCommand.cpp - golfc profile: where GPU time goes ------------===//
//
// Random weights and tokens at the file's own micro-batch (or --batch):
// one warm-up run per function (NVRTC loads, cuBLASLt tunes), then --repeat
// timed runs (median), then one run with an event after every step, summed
// by kernel family ("rmsnorm", "pw", "gemm", ...) and listed by step.
//
//===----------------------------------------------------------------------===//
#include "ProfileCommand.h"
#include "CheckArgs.h"
#include "RandomInputs.h"

#include "runtime/cuda/Device.h"
#include "runtime/cuda/DeviceOptimizers.h"
#include "runtime/cuda/Executor.h"
#include "runtime/cuda/HostTensor.h"
#include "runtime/cuda/Stream.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace golf {
namespace {

const char *kUsage = R"(usage: golfc profile FILE [--set NAME=VALUE]... [--batch=N] [--eval-batch=N]
                      [--function=NAME] [--repeat=N] [--top=N] [--seed=N]
                      [--attention=flash|cudnn|general] [--memory-budget=GIB]

Runs each function of FILE (or only NAME) on the GPU with random weights and
tokens: a warm-up run, then N timed runs (default 10; the median is shown,
with tokens per second), then one run timed step by step, summed by kernel
family and listed for the --top slowest steps (default 15), each generated
kernel with its bandwidth (the bytes of the values it reads and writes over
its time). Steps that read the weights alone, which a trainer runs once per
optimizer step rather than per micro-batch, are a family of their own. Each
GEMM shape's time in the function is shown beside the same product alone
(cuBLASLt's tuned algorithm, timed when the shape was tuned; the issue's
target is within 10%). Then the optimizer step (alone with --function=optimizer):
every optimizer of the train section on all parameters, random gradients,
as the trainer enqueues it after accumulating; the median of N.
)";

/// Each GEMM shape of a profiled run: how many steps, their median time in
/// the function, the same product alone, and the ratio (over 1.10 marked).
void printGemms(const std::vector<cuda::Executor::StepTime> &steps) {
  std::map<std::string, std::pair<std::vector<double>, double>> shapes; // what -> (ms each, alone)
  for (const auto &s : steps)
    if (s.aloneMs > 0) {
      auto &[ms, alone] = shapes[s.what];
      ms.push_back(s.ms);
      alone = s.aloneMs;
    }
  if (shapes.empty())
    return;
  llvm::outs() << "  GEMMs in the function vs alone (median ms per step):\n";
  for (auto &[what, v] : shapes) {
    std::vector<double> &ms = v.first;
    std::sort(ms.begin(), ms.end());
    double in = ms[ms.size() / 2], ratio = in / v.second;
    llvm::outs() << llvm::format("  %4zu x %8.3f ms  alone %8.3f ms  %5.2fx", ms.size(), in, v.second, ratio)
                 << (ratio > 1.10 ? " (over 1.10)" : "") << "  " << what << "\n";
  }
}

/// The trainer's optimizer step (DeviceOptimizers: Muon's batched
/// Newton-Schulz, Adam's multi-tensor kernel) on copies of `params` with
/// random fp32 gradients: median milliseconds of `repeat` steps after a
/// warm-up step (cuBLASLt tunes the Newton-Schulz shapes).
double optimizerStepMs(const plan::Plan &p, const cuda::DeviceInfo &device, const cpu::ParamStore &params,
                       int repeat, std::mt19937_64 &rng) {
  const cpu::ParamStore gradients = randomParams(p, 0.01, cpu::Storage::F32, rng);
  std::vector<cuda::DeviceBuffer> buffers; // weights and gradients, alive for the optimizers
  auto upload = [&](const cpu::Tensor &t, plan::DType d) {
    std::vector<char> bytes = cuda::deviceBytes(t, d);
    buffers.emplace_back(bytes.size());
    cuda::copyToDevice(buffers.back().data(), bytes.data(), bytes.size());
    return buffers.back().data();
  };
  std::map<std::string, void *> weightPtrs;
  std::map<std::string, float *> gradPtrs;
  for (const plan::Param &q : p.params) {
    weightPtrs[q.name] = upload(params.at(q.name), q.type.dtype);
    gradPtrs[q.name] = static_cast<float *>(upload(gradients.at(q.name), plan::DType::F32));
  }
  cuda::DeviceOptimizers optimizers(p, weightPtrs, gradPtrs, cuda::bf16NewtonSchulz(p));
  cuda::TrainKernels kernels = cuda::TrainKernels::load(device.arch(), cuda::defaultCacheDir());
  cuda::DeviceBuffer scalars(sizeof(golf_mt::StepScalars)), scale(sizeof(golf_mt::GradScale));
  const golf_mt::GradScale unit{0.0, 1.0, 1.0};
  cuda::copyToDevice(scale.data(), &unit, sizeof unit);
  cuda::Stream stream;
  cuda::Event start, stop;
  std::vector<double> ms;
  for (int i = 0; i <= repeat; ++i) {
    golf_mt::StepScalars s{};
    optimizers.beginStep(s, i, 1.0);
    cuda::copyToDevice(scalars.data(), &s, sizeof s);
    start.record(stream.get());
    optimizers.enqueue(kernels, stream.get(), scalars.as<golf_mt::StepScalars>(),
                       scale.as<golf_mt::GradScale>());
    stop.record(stream.get());
    if (i > 0) // the first step tunes cuBLASLt
      ms.push_back(cuda::elapsedMs(start, stop));
    else
      stream.synchronize();
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

/// "rmsnorm_grad_0123456789ab" -> "rmsnorm_grad"; "Gemm(...)" -> "gemm";
/// "cudnn sdpa fwd ..." -> "cudnn sdpa fwd".
std::string family(const std::string &what) {
  if (what.rfind("Gemm(", 0) == 0)
    return "gemm (cuBLASLt)";
  if (what.rfind("cudnn sdpa ", 0) == 0)
    return what.substr(0, what.find(' ', 11));
  std::string first = what.substr(0, what.find(' '));
  size_t cut = first.rfind('_');
  return cut == std::string::npos ? first : first.substr(0, cut);
}

} // namespace

int runProfileCommand(int argc, char **argv) {
  std::string only;
  int repeat = 10, top = 15;
  CheckArgs a;
  auto extra = [&](Args &args, std::string &error) {
    if (parseGpuFlag(args, a.request.gpu, error))
      return true;
    if (auto v = args.value("--function")) {
      only = v->str();
      return true;
    }
    for (auto [flag, slot] : {std::pair<const char *, int *>{"--repeat", &repeat}, {"--top", &top}})
      if (auto v = args.value(flag)) {
        if (v->getAsInteger(10, *slot) || *slot <= 0)
          error = std::string(flag) + " expects a positive integer";
        return true;
      }
    return false;
  };
  CompileResult compiled;
  if (auto code = parseAndCompile(argc, argv, "profile", kUsage, a, extra, compiled))
    return *code;
  const plan::Plan &p = *compiled.plan;
  if (!only.empty() && only != "optimizer" && !p.function(only))
    return llvm::errs() << "golfc profile: --function=" << only << ": no such function\n", 1;
  try {
    std::string why;
    std::optional<cuda::DeviceInfo> device = cuda::probeDevice(why);
    if (!device)
      return llvm::errs() << "golfc profile: needs a GPU: " << why << "\n", 1;
    auto t0 = std::chrono::steady_clock::now();
    cuda::CompileReport report;
    cuda::ExecutorOptions options;
    options.lowering = a.request.gpu;
    auto gpu = cuda::Executor::create(p, *device, options, report);
    double setup = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    llvm::outs() << device->name << ": " << report.kernels << " kernels (" << report.nvrtc.compiled
                 << " compiled, " << report.nvrtc.cached << " cached), executor ready in "
                 << llvm::format("%.2f", setup) << " s; arenas "
                 << llvm::format("%.0f", double(report.arenaBytes) / (1 << 20)) << " MiB, params "
                 << llvm::format("%.0f", double(report.paramBytes) / (1 << 20)) << " MiB\n";
    std::mt19937_64 rng(a.seed);
    cpu::ParamStore params = randomParams(p, 0.02, cpu::Storage::F32, rng);
    gpu->setParams(params);
    for (const plan::Function &f : p.functions) {
      if (!only.empty() && f.name != only)
        continue;
      std::vector<cpu::Tensor> inputs = randomInputs(p, f, rng);
      int64_t tokens = inputs.empty() ? 0 : inputs[0].numel();
      gpu->run(f.name, inputs);
      std::vector<double> ms;
      for (int i = 0; i < repeat; ++i) {
        gpu->run(f.name, inputs);
        ms.push_back(gpu->lastRunMs());
      }
      std::sort(ms.begin(), ms.end());
      double median = ms[ms.size() / 2];
      llvm::outs() << "\n@" << f.name << ": " << llvm::format("%.3f", median) << " ms median of "
                   << repeat << " (" << tokens << " tokens, "
                   << llvm::format("%.0f", tokens / median * 1e3) << " tokens/s)\n";
      std::vector<cuda::Executor::StepTime> steps = gpu->profile(f.name, inputs);
      double total = 0;
      std::map<std::string, std::pair<int, double>> families;
      for (const auto &s : steps) {
        total += s.ms;
        auto &[n, sum] = families[s.weightsOnly ? "once per step (weights)" : family(s.what)];
        ++n;
        sum += s.ms;
      }
      std::vector<std::pair<std::string, std::pair<int, double>>> rows(families.begin(), families.end());
      std::sort(rows.begin(), rows.end(), [](auto &x, auto &y) { return x.second.second > y.second.second; });
      llvm::outs() << "  " << llvm::left_justify("family", 22) << llvm::right_justify("steps", 7)
                   << llvm::right_justify("ms", 10) << llvm::right_justify("share", 8) << "\n";
      for (const auto &[name, v] : rows)
        llvm::outs() << "  " << llvm::left_justify(name, 22) << llvm::right_justify(std::to_string(v.first), 7)
                     << llvm::format("%10.3f%7.1f%%", v.second, 100 * v.second / total) << "\n";
      printGemms(steps);
      std::sort(steps.begin(), steps.end(), [](auto &x, auto &y) { return x.ms > y.ms; });
      llvm::outs() << "  slowest steps (profiled total " << llvm::format("%.3f", total) << " ms):\n";
      for (int i = 0; i < std::min<int>(top, int(steps.size())); ++i) {
        const cuda::Executor::StepTime &s = steps[size_t(i)];
        // Bandwidth of a memory-bound kernel: its values' bytes over its time.
        std::string rate = s.bytes && s.ms > 0 ? llvm::formatv("{0,6:f2} TB/s", double(s.bytes) / s.ms * 1e-9).str()
                                               : std::string(11, ' ');
        llvm::outs() << llvm::format("  %8.3f ms ", s.ms) << rate << "  " << s.what << "  [" << s.label << "]\n";
      }
    }
    if ((only.empty() || only == "optimizer") && p.train.contains("optimizers")) {
      double ms = optimizerStepMs(p, *device, params, repeat, rng);
      llvm::outs() << "\noptimizer step (" << p.params.size() << " parameters, every optimizer of the train "
                   << "section): " << llvm::format("%.3f", ms) << " ms median of " << repeat << "\n";
    }
    return 0;
  } catch (const std::exception &e) {
    llvm::errs() << "golfc profile: " << e.what() << "\n";
    return 1;
  }
}

} // namespace golf

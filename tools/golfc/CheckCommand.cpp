//===- CheckCommand.cpp - golfc check: the GPU against the CPU oracle -----===//
//
// Compiles a small configuration of the model (two sequences per batch
// unless --batch says otherwise), draws random weights and tokens, runs each
// function on the GPU executor (arenas poisoned with NaN first) and on the
// CPU reference executor, and reports every result tensor's relative error
// ||gpu - cpu|| / ||cpu||. NaN never passes. Where a function has a result
// over the tolerance, it runs again on the CPU in float64 without rounding,
// and the verdict is runtime/cpu/Agreement.h's: bf16 rounding noise passes,
// an error beyond it fails.
//
//===----------------------------------------------------------------------===//
#include "CheckCommand.h"
#include "CheckArgs.h"
#include "RandomInputs.h"

#include "codegen/cuda/Print.h"
#include "runtime/cpu/Agreement.h"
#include "runtime/cpu/Executor.h"
#include "runtime/cuda/Device.h"
#include "runtime/cuda/Executor.h"
#include "runtime/cuda/Nvrtc.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <random>
#include <thread>

namespace golf {
namespace {

const char *kUsage = R"(usage: golfc check FILE [--set NAME=VALUE]... [--batch=N] [--eval-batch=N]
                    [--tolerance=T] [--seed=N] [--arch=sm_XX] [--attention=flash|cudnn|general]
                    [--memory-budget=GIB]

Runs every function of FILE (@loss, @loss_grad, @nll, ...) on the GPU and on
the CPU reference executor with the same random weights (normal, std 0.1) and
random tokens, at --batch/--eval-batch sequences (default 2), and prints each
result tensor's relative error. A result over T (default 2e-2, bf16 level) is
measured, with the CPU's, against the function run in float64 without
rounding: it passes if no further from that than twice the CPU's distance
(bf16 rounding noise of a deep gradient) and within 10 T, else fails; so
does a result that is not finite. Exits 1 on any failure. Without a usable
GPU it NVRTC-compiles every kernel for --arch (default sm_90), reports that,
and exits 0. --attention picks the attention kernels: flash
(FlashAttention-style, head dim 64, bf16 operands; the default where it
applies), cudnn (cuDNN's fused SDPA where flash would apply and every tensor
is bf16; needs libcudnn.so.9) or general (batched products + row softmax,
any shape; f32 attention always takes it). --memory-budget lowers as the
trainer does with it (values recomputed for memory).
)";

std::string verdict(const cpu::Agreement &a) {
  std::string text = a.ok ? "  ok" : a.toReference.finite ? "  FAIL" : "  FAIL (not finite)";
  if (a.toExact)
    text += llvm::formatv(" (vs float64: gpu {0:e2}, cpu {1:e2})", a.toExact->backend, a.toExact->reference).str();
  return text;
}

/// Kernels whose registers spill run slower than their traffic says: named
/// where `golfc check` compiles them (not for those from the cache).
void printSpills(const cuda::NvrtcStats &stats) {
  if (stats.spills.empty())
    return;
  llvm::outs() << stats.spills.size() << " kernels spill registers:\n";
  for (const std::string &s : stats.spills)
    llvm::outs() << "  " << s << "\n";
}

int compileOnly(const plan::Plan &p, const cudagen::LowerOptions &lowering, const std::string &arch,
                const std::string &why) {
  llvm::outs() << "no usable GPU (" << why << "): NVRTC-compiling every kernel for " << arch
               << " without running it\n";
  std::vector<cuda::KernelSource> sources;
  for (const cudagen::Kernel &k : cudagen::distinctKernels(cudagen::lowerPlan(p, lowering)))
    sources.push_back({k.name, k.source});
  cuda::NvrtcOptions options;
  options.arch = arch;
  options.cacheDir = cuda::defaultCacheDir();
  cuda::NvrtcStats stats;
  cuda::compileCubins(sources, options, &stats);
  llvm::outs() << sources.size() << " kernels compiled for " << arch << " (" << stats.compiled
               << " by NVRTC " << cuda::nvrtcVersion() << ", " << stats.cached << " from the cache) in "
               << llvm::format("%.1f", stats.seconds) << " s\n";
  printSpills(stats);
  return 0;
}

} // namespace

int runCheckCommand(int argc, char **argv) {
  std::string arch = "sm_90";
  CheckArgs a;
  a.tolerance = 2e-2;
  a.request.lower.trainBatch = 2;
  a.request.lower.evalBatch = 2;
  auto extra = [&](Args &args, std::string &error) {
    if (parseGpuFlag(args, a.request.gpu, error))
      return true;
    auto v = args.value("--arch");
    if (!v)
      return false;
    if (!v->starts_with("sm_"))
      error = "--arch expects sm_XX, not '" + v->str() + "'";
    arch = v->str();
    return true;
  };
  CompileResult compiled;
  if (auto code = parseAndCompile(argc, argv, "check", kUsage, a, extra, compiled))
    return *code;
  double tolerance = *a.tolerance;
  uint64_t seed = a.seed;
  const plan::Plan &p = *compiled.plan;
  try {
    std::string why;
    std::optional<cuda::DeviceInfo> device = cuda::probeDevice(why);
    if (!device)
      return compileOnly(p, a.request.gpu, arch, why);
    cuda::ExecutorOptions options;
    options.poison = true;
    options.lowering = a.request.gpu;
    cuda::CompileReport report;
    auto gpu = cuda::Executor::create(p, *device, options, report);
    llvm::outs() << device->name << " (" << device->arch() << "): " << report.kernels << " kernels ("
                 << report.nvrtc.compiled << " compiled, " << report.nvrtc.cached << " cached) in "
                 << llvm::format("%.2f", report.nvrtc.seconds) << " s; arenas "
                 << llvm::format("%.1f", double(report.arenaBytes) / (1 << 20)) << " MiB (without reuse "
                 << llvm::format("%.1f", double(report.naiveBytes) / (1 << 20)) << " MiB)\n";
    printSpills(report.nvrtc);
    std::string error;
    cpu::ExecutorOptions cpuOptions;
    cpuOptions.threads = int(std::max(1u, std::thread::hardware_concurrency()));
    auto cpuEx = cpu::Executor::create(p, cpuOptions, error);
    if (!cpuEx)
      return llvm::errs() << "golfc check: " << error << "\n", 1;
    std::mt19937_64 rng(seed);
    cpu::ParamStore params = randomParams(p, 0.1, cpu::Storage::F32, rng);
    gpu->setParams(params);
    llvm::outs() << llvm::left_justify("function", 12) << llvm::left_justify("result", 34)
                 << llvm::right_justify("rel err", 12) << llvm::right_justify("gpu ms", 10) << "\n";
    std::optional<cpu::Executor> exactEx; // float64, no rounding: made when first needed
    int failures = 0, checked = 0;
    for (const plan::Function &f : p.functions) {
      std::vector<cpu::Tensor> inputs = randomInputs(p, f, rng);
      auto ref = cpuEx->run(f.name, inputs, params, error);
      if (!ref)
        return llvm::errs() << "golfc check: cpu executor: " << error << "\n", 1;
      std::vector<cpu::Tensor> out = gpu->run(f.name, inputs);
      std::optional<std::vector<cpu::Tensor>> exact;
      for (size_t r = 0; r < out.size() && !exact; ++r) {
        if (cpu::withinTolerance(cpu::relativeError(out[r], (*ref)[r]), tolerance))
          continue;
        cpu::ExecutorOptions exactOptions = cpuOptions;
        exactOptions.precision = cpu::Precision::F64;
        if (!exactEx && !(exactEx = cpu::Executor::create(p, exactOptions, error)))
          return llvm::errs() << "golfc check: float64 executor: " << error << "\n", 1;
        if (!(exact = exactEx->run(f.name, inputs, params, error)))
          return llvm::errs() << "golfc check: float64 executor: " << error << "\n", 1;
      }
      for (size_t r = 0; r < out.size(); ++r) {
        cpu::Agreement a = cpu::judge(out[r], (*ref)[r], exact ? &(*exact)[r] : nullptr, tolerance);
        failures += !a.ok;
        ++checked;
        std::string name = r < f.resultNames.size() ? f.resultNames[r] : "#" + std::to_string(r);
        llvm::outs() << llvm::left_justify("@" + f.name, 12) << llvm::left_justify(name, 34)
                     << llvm::right_justify(llvm::formatv("{0:e2}", a.toReference.rel).str(), 12)
                     << llvm::right_justify(r == 0 ? llvm::formatv("{0:f2}", gpu->lastRunMs()).str() : "", 10)
                     << verdict(a) << "\n";
      }
    }
    llvm::outs() << (checked - failures) << " passed, " << failures << " failed\n";
    return failures ? 1 : 0;
  } catch (const std::exception &e) {
    llvm::errs() << "golfc check: " << e.what() << "\n";
    return 1;
  }
}

} // namespace golf

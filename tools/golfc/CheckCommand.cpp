//===- CheckCommand.cpp - golfc check: the GPU against the CPU oracle -----===//
//
// Compiles a small configuration of the model (two sequences per batch
// unless --batch says otherwise), draws random weights and tokens, runs each
// function on the GPU executor (arenas poisoned with NaN first) and on the
// CPU reference executor, and reports every result tensor's relative error
// ||gpu - cpu|| / ||cpu||. NaN never passes.
//
//===----------------------------------------------------------------------===//
#include "CheckCommand.h"
#include "CheckArgs.h"
#include "RandomInputs.h"

#include "codegen/cuda/Print.h"
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
                    [--tolerance=T] [--seed=N] [--arch=sm_XX] [--attention=flash|general]

Runs every function of FILE (@loss, @loss_grad, @nll, ...) on the GPU and on
the CPU reference executor with the same random weights (normal, std 0.1) and
random tokens, at --batch/--eval-batch sequences (default 2), and prints each
result tensor's relative error. Exits 1 if any exceeds T (default 2e-2, bf16
level) or is not finite. Without a usable GPU it NVRTC-compiles every kernel
for --arch (default sm_90), reports that, and exits 0. --attention picks the
attention kernels: flash (FlashAttention-style, head dim 64, bf16 operands;
the default where it applies) or general (batched products + row softmax, any
shape; f32 attention always takes it).
)";

struct Error {
  double rel;
  bool finite;
};

Error compare(const cpu::Tensor &gpu, const cpu::Tensor &ref) {
  double diff = 0, norm = 0;
  bool finite = true;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    double g = gpu.get(i), c = ref.get(i);
    finite = finite && std::isfinite(g);
    diff += (g - c) * (g - c);
    norm += c * c;
  }
  return {std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30), finite};
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
    if (parseAttentionFlag(args, a.request.gpu, error))
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
    int failures = 0, checked = 0;
    for (const plan::Function &f : p.functions) {
      std::vector<cpu::Tensor> inputs = randomInputs(p, f, rng);
      auto ref = cpuEx->run(f.name, inputs, params, error);
      if (!ref)
        return llvm::errs() << "golfc check: cpu executor: " << error << "\n", 1;
      std::vector<cpu::Tensor> out = gpu->run(f.name, inputs);
      for (size_t r = 0; r < out.size(); ++r) {
        Error e = compare(out[r], (*ref)[r]);
        bool ok = e.finite && e.rel <= tolerance;
        failures += !ok;
        ++checked;
        std::string name = r < f.resultNames.size() ? f.resultNames[r] : "#" + std::to_string(r);
        llvm::outs() << llvm::left_justify("@" + f.name, 12) << llvm::left_justify(name, 34)
                     << llvm::right_justify(llvm::formatv("{0:e2}", e.rel).str(), 12)
                     << llvm::right_justify(r == 0 ? llvm::formatv("{0:f2}", gpu->lastRunMs()).str() : "", 10)
                     << (ok ? "  ok" : e.finite ? "  FAIL" : "  FAIL (not finite)") << "\n";
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

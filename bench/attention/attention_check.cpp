//===- attention_check.cpp - GPU check and benchmark of the attention kernels -===//
//
// Emits the attention programs of codegen/cuda/Attention.h for a list of
// configurations, compiles them with NVRTC for the GPU it finds, loads them
// with cudaLibraryLoadData, and for each configuration:
//   - fills q, k, v, dy with random normals (never zeros) and the outputs
//     with NaN;
//   - runs the forward and backward programs and compares y, dq, dk, dv with
//     a naive GPU reference (one thread per query row or key, fp64
//     accumulation, on the same bf16-rounded inputs): relative error
//     ||out - ref|| / ||ref|| (the backward column is the worst of dq, dk, dv);
//   - times each program (median of cudaEvent-timed repetitions after
//     warm-up) and reports TFLOP/s with FlashAttention's convention:
//     forward 4*B*H*T*S*D (halved when causal), backward 2.5x that.
//     "bwd main" is the backward kernel alone, without the first pass that
//     recomputes lse and delta (what a saved forward lse would leave);
//   - for bf16 configurations, the same through cuDNN's fused SDPA
//     (runtime/cuda/CudnnAttention.h: forward saving its statistics, then
//     the backward reading them), checked against the same reference and
//     timed: the issue's "own kernels or cuDNN, whichever is faster".
// Exit status 1 when any error exceeds 1e-2 (or is NaN), 2 without a GPU.
//
// Usage: attention_check [--quick] [--reps N] [--filter SUBSTRING] [--compile-only]
// (--compile-only: NVRTC-compile every kernel for sm_90 and stop; no GPU needed).
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Attention.h"
#include "runtime/cuda/CudnnAttention.h"

#include <cuda_runtime.h>
#include <nvrtc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using golf::cudagen::ArgRef;
using golf::cudagen::AttentionCall;
using golf::cudagen::AttentionShape;
using golf::cudagen::Kernel;
using golf::cudagen::OpProgram;
using golf::plan::DType;

#define CHECK_CUDA(call)                                                                   \
  do {                                                                                     \
    cudaError_t err_ = (call);                                                             \
    if (err_ != cudaSuccess) {                                                             \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,                  \
                   cudaGetErrorString(err_));                                              \
      std::exit(1);                                                                        \
    }                                                                                      \
  } while (0)

// ---------------------------------------------------------------------------
// NVRTC + cudaLibrary: compile sources in parallel, look entries up by name.

class Jit {
public:
  /// For device `device`, or with device < 0 for sm_90 without loading
  /// anything (--compile-only).
  explicit Jit(int device) : device_(device) {
    int major = 9, minor = 0;
    if (device >= 0) {
      CHECK_CUDA(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
      CHECK_CUDA(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
    }
    arch_ = "--gpu-architecture=sm_" + std::to_string(major * 10 + minor);
  }

  /// Queues a source whose extern "C" entries are `entries`.
  void add(const std::string &source, std::vector<std::string> entries) {
    if (!kernels_.count(entries.at(0)) && !queued_.count(entries[0])) {
      queued_.insert(entries[0]);
      pending_.push_back({source, std::move(entries)});
    }
  }
  void add(const Kernel &k) { add(k.source, {k.name}); }

  void compilePending() {
    std::vector<std::string> cubins(pending_.size()), errors(pending_.size());
    std::mutex mu;
    size_t next = 0;
    auto worker = [&] {
      for (;;) {
        size_t i;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (next == pending_.size())
            return;
          i = next++;
        }
        compile(pending_[i], cubins[i], errors[i]);
      }
    };
    std::vector<std::thread> pool;
    unsigned n = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
    for (unsigned t = 0; t < n; ++t)
      pool.emplace_back(worker);
    for (auto &t : pool)
      t.join();
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (!errors[i].empty()) {
        std::fprintf(stderr, "NVRTC failed for %s:\n%s\n", pending_[i].entries[0].c_str(),
                     errors[i].c_str());
        std::exit(1);
      }
      if (device_ < 0)
        continue;
      cudaLibrary_t lib;
      CHECK_CUDA(cudaLibraryLoadData(&lib, cubins[i].data(), nullptr, nullptr, 0, nullptr,
                                     nullptr, 0));
      for (const std::string &e : pending_[i].entries) {
        cudaKernel_t kernel;
        CHECK_CUDA(cudaLibraryGetKernel(&kernel, lib, e.c_str()));
        kernels_[e] = kernel;
      }
    }
    pending_.clear();
    queued_.clear();
  }

  void launch(const std::string &name, dim3 grid, dim3 block, size_t smem, void **args) {
    auto it = kernels_.find(name);
    if (it == kernels_.end()) {
      std::fprintf(stderr, "kernel %s was not compiled\n", name.c_str());
      std::exit(1);
    }
    if (smem > 48 * 1024 && raised_.insert(name).second)
      CHECK_CUDA(cudaKernelSetAttributeForDevice(
          it->second, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem), device_));
    CHECK_CUDA(cudaLaunchKernel(reinterpret_cast<const void *>(it->second), grid, block, args,
                                smem, nullptr));
  }

private:
  struct Source {
    std::string text;
    std::vector<std::string> entries;
  };

  void compile(const Source &src, std::string &cubin, std::string &error) const {
    nvrtcProgram prog;
    if (nvrtcCreateProgram(&prog, src.text.c_str(), (src.entries[0] + ".cu").c_str(), 0,
                           nullptr, nullptr) != NVRTC_SUCCESS) {
      error = "nvrtcCreateProgram failed";
      return;
    }
    std::string inc = std::string("--include-path=") + GOLF_CUDA_INCLUDE_DIR;
    std::string cccl = inc + "/cccl";
    const char *opts[] = {arch_.c_str(), "--std=c++17", inc.c_str(), cccl.c_str()};
    nvrtcResult r = nvrtcCompileProgram(prog, 4, opts);
    if (r != NVRTC_SUCCESS) {
      size_t size = 0;
      nvrtcGetProgramLogSize(prog, &size);
      std::string log(size, '\0');
      nvrtcGetProgramLog(prog, log.data());
      error = std::string(nvrtcGetErrorString(r)) + "\n" + log;
    } else {
      size_t size = 0;
      nvrtcGetCUBINSize(prog, &size);
      cubin.assign(size, '\0');
      nvrtcGetCUBIN(prog, cubin.data());
    }
    nvrtcDestroyProgram(&prog);
  }

  int device_;
  std::string arch_;
  std::vector<Source> pending_;
  std::set<std::string> queued_, raised_;
  std::map<std::string, cudaKernel_t> kernels_;
};

// ---------------------------------------------------------------------------
// Reference, initialization and comparison kernels (fp64 accumulation).

const char *kHelperSource = R"cuda(
typedef unsigned short bf16_t;

__device__ float bf16ToFloat(bf16_t h) { return __uint_as_float(unsigned(h) << 16); }
__device__ bf16_t floatToBf16(float x) {   // round to nearest even (no NaN inputs here)
  unsigned u = __float_as_uint(x);
  u += 0x7fffu + ((u >> 16) & 1u);
  return bf16_t(u >> 16);
}
__device__ unsigned hash(unsigned long long x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
  return unsigned(x);
}

// Normal(0, 1) values; the bf16 copy is rounded, and with roundRef the fp32
// copy (the reference's input) is that rounded value too.
extern "C" __global__ void init_normal(float *f, bf16_t *h, long long n, unsigned long long seed,
                                       int roundRef) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  float u1 = (hash(seed * 0x9e3779b97f4a7c15ULL + 2 * i) + 1.0f) * 2.3283064e-10f;
  float u2 = hash(seed * 0x9e3779b97f4a7c15ULL + 2 * i + 1) * 2.3283064e-10f;
  float x = sqrtf(-2.f * logf(u1)) * cospif(2.f * u2);
  bf16_t b = floatToBf16(x);
  h[i] = b;
  f[i] = roundRef ? bf16ToFloat(b) : x;
}

// One thread per query row: y, the natural-log lse and delta = dy . y.
extern "C" __global__ void ref_forward(const float *q, const float *k, const float *v,
    const float *dy, float *y, double *lse, double *delta, int B, int H, int Hkv, int T, int S,
    int causal, double scale) {
  long long row = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (row >= (long long)B * H * T) return;
  int bh = int(row / T), i = int(row % T), b = bh / H, h = bh % H;
  long long kv = (long long)b * Hkv + h / (H / Hkv);
  const float *K = k + kv * S * 64, *V = v + kv * S * 64, *qi = q + row * 64;
  float qr[64];
  for (int d = 0; d < 64; ++d) qr[d] = qi[d];
  int n = causal ? i + 1 : S;
  double m = -1e300;
  for (int j = 0; j < n; ++j) {
    double s = 0;
    for (int d = 0; d < 64; ++d) s += double(qr[d]) * K[j * 64 + d];
    m = fmax(m, s * scale);
  }
  double l = 0, acc[64];
  for (int d = 0; d < 64; ++d) acc[d] = 0;
  for (int j = 0; j < n; ++j) {
    double s = 0;
    for (int d = 0; d < 64; ++d) s += double(qr[d]) * K[j * 64 + d];
    double p = exp(s * scale - m);
    l += p;
    for (int d = 0; d < 64; ++d) acc[d] += p * V[j * 64 + d];
  }
  double dot = 0;
  for (int d = 0; d < 64; ++d) {
    y[row * 64 + d] = float(acc[d] / l);
    dot += acc[d] / l * dy[row * 64 + d];
  }
  lse[row] = m + log(l);
  delta[row] = dot;
}

// One thread per query row: dq = scale * sum_j P_ij (dP_ij - delta_i) k_j.
extern "C" __global__ void ref_dq(const float *q, const float *k, const float *v, const float *dy,
    const double *lse, const double *delta, float *dq, int B, int H, int Hkv, int T, int S,
    int causal, double scale) {
  long long row = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (row >= (long long)B * H * T) return;
  int bh = int(row / T), i = int(row % T), b = bh / H, h = bh % H;
  long long kv = (long long)b * Hkv + h / (H / Hkv);
  const float *K = k + kv * S * 64, *V = v + kv * S * 64;
  float qr[64], gr[64];
  for (int d = 0; d < 64; ++d) { qr[d] = q[row * 64 + d]; gr[d] = dy[row * 64 + d]; }
  double acc[64];
  for (int d = 0; d < 64; ++d) acc[d] = 0;
  int n = causal ? i + 1 : S;
  for (int j = 0; j < n; ++j) {
    double s = 0, dp = 0;
    for (int d = 0; d < 64; ++d) { s += double(qr[d]) * K[j * 64 + d]; dp += double(gr[d]) * V[j * 64 + d]; }
    double ds = exp(s * scale - lse[row]) * (dp - delta[row]);
    for (int d = 0; d < 64; ++d) acc[d] += ds * K[j * 64 + d];
  }
  for (int d = 0; d < 64; ++d) dq[row * 64 + d] = float(scale * acc[d]);
}

// One thread per key: dk and dv summed over the query heads of its KV head.
extern "C" __global__ void ref_dkv(const float *q, const float *k, const float *v, const float *dy,
    const double *lse, const double *delta, float *dk, float *dv, int B, int H, int Hkv, int T,
    int S, int causal, double scale) {
  long long key = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (key >= (long long)B * Hkv * S) return;
  int bkv = int(key / S), j = int(key % S), b = bkv / Hkv, g = bkv % Hkv, group = H / Hkv;
  float kr[64], vr[64];
  for (int d = 0; d < 64; ++d) { kr[d] = k[key * 64 + d]; vr[d] = v[key * 64 + d]; }
  double ak[64], av[64];
  for (int d = 0; d < 64; ++d) ak[d] = av[d] = 0;
  for (int h = g * group; h < (g + 1) * group; ++h) {
    long long head = (long long)b * H + h;
    for (int i = causal ? j : 0; i < T; ++i) {
      const float *qi = q + (head * T + i) * 64, *gi = dy + (head * T + i) * 64;
      double s = 0, dp = 0;
      for (int d = 0; d < 64; ++d) { s += double(qi[d]) * kr[d]; dp += double(gi[d]) * vr[d]; }
      double p = exp(s * scale - lse[head * T + i]);
      double ds = p * (dp - delta[head * T + i]);
      for (int d = 0; d < 64; ++d) { ak[d] += ds * qi[d]; av[d] += p * gi[d]; }
    }
  }
  for (int d = 0; d < 64; ++d) { dk[key * 64 + d] = float(scale * ak[d]); dv[key * 64 + d] = float(av[d]); }
}

// sums[0] += (out - ref)^2, sums[1] += ref^2, sums[2] += count of non-finite outputs.
extern "C" __global__ void compare(const void *out, int outF32, const float *ref, long long n,
                                   double *sums) {
  double e = 0, r = 0, bad = 0;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x) {
    float o = outF32 ? ((const float *)out)[i] : bf16ToFloat(((const bf16_t *)out)[i]);
    if (!isfinite(o)) { bad += 1; continue; }
    double d = double(o) - ref[i];
    e += d * d;
    r += double(ref[i]) * ref[i];
  }
  for (int off = 16; off; off >>= 1) {
    e += __shfl_xor_sync(0xffffffffu, e, off);
    r += __shfl_xor_sync(0xffffffffu, r, off);
    bad += __shfl_xor_sync(0xffffffffu, bad, off);
  }
  if ((threadIdx.x & 31) == 0) { atomicAdd(sums, e); atomicAdd(sums + 1, r); atomicAdd(sums + 2, bad); }
}
)cuda";

// ---------------------------------------------------------------------------

const std::vector<std::string> kHelperEntries = {"init_normal", "ref_forward", "ref_dq", "ref_dkv",
                                                 "compare"};

void *deviceAlloc(size_t bytes) {
  void *p = nullptr;
  CHECK_CUDA(cudaMalloc(&p, std::max<size_t>(bytes, 16)));
  return p;
}

dim3 blocksFor(long long n, int threads) { return dim3(unsigned((n + threads - 1) / threads)); }

/// One operand: the fp32 values the reference reads and what the program reads.
struct Input {
  float *ref = nullptr;
  void *arg = nullptr;
  void *spare = nullptr; // the unused bf16 copy of an fp32 operand
};

Input makeInput(Jit &jit, long long n, DType dtype, unsigned long long seed) {
  Input in;
  in.ref = static_cast<float *>(deviceAlloc(size_t(n) * 4));
  void *h = deviceAlloc(size_t(n) * 2);
  int roundRef = dtype == DType::BF16;
  void *args[] = {&in.ref, &h, &n, &seed, &roundRef};
  jit.launch("init_normal", blocksFor(n, 256), 256, 0, args);
  in.arg = roundRef ? h : static_cast<void *>(in.ref);
  in.spare = roundRef ? nullptr : h;
  return in;
}

size_t dtypeBytes(DType t) { return t == DType::F32 ? 4 : 2; }

/// An OpProgram bound to device buffers.
struct Bound {
  const OpProgram *program = nullptr;
  std::vector<void *> operands, results, scratch;

  void *resolve(const ArgRef &a) const {
    const std::vector<void *> &v = a.kind == ArgRef::Operand  ? operands
                                   : a.kind == ArgRef::Result ? results
                                                              : scratch;
    return v.at(size_t(a.index));
  }
  /// Runs the launches whose kernel name starts with `only` (all by default).
  void run(Jit &jit, const std::string &only = "") const {
    for (size_t i = 0; i < scratch.size(); ++i)
      if (program->scratchZeroed[i])
        CHECK_CUDA(cudaMemsetAsync(scratch[i], 0, program->scratchBytes[i]));
    for (const auto &l : program->launches) {
      if (l.kernel.rfind(only, 0) != 0)
        continue;
      std::vector<void *> ptrs;
      for (const ArgRef &a : l.args)
        ptrs.push_back(resolve(a));
      std::vector<void *> args;
      for (void *&p : ptrs)
        args.push_back(&p);
      jit.launch(l.kernel, dim3(l.grid[0], l.grid[1], l.grid[2]),
                 dim3(l.block[0], l.block[1], l.block[2]), l.sharedBytes, args.data());
    }
  }
};

Bound bind(const OpProgram &p, std::vector<void *> operands, std::vector<void *> results) {
  Bound b;
  b.program = &p;
  b.operands = std::move(operands);
  b.results = std::move(results);
  for (uint64_t bytes : p.scratchBytes)
    b.scratch.push_back(deviceAlloc(bytes));
  return b;
}

/// Median time in ms of `reps` runs after 3 warm-up runs.
template <class F> double medianMs(F &&f, int reps) {
  for (int i = 0; i < 3; ++i)
    f();
  cudaEvent_t start, stop;
  CHECK_CUDA(cudaEventCreate(&start));
  CHECK_CUDA(cudaEventCreate(&stop));
  std::vector<float> ms;
  for (int i = 0; i < reps; ++i) {
    CHECK_CUDA(cudaEventRecord(start));
    f();
    CHECK_CUDA(cudaEventRecord(stop));
    CHECK_CUDA(cudaEventSynchronize(stop));
    float t = 0;
    CHECK_CUDA(cudaEventElapsedTime(&t, start, stop));
    ms.push_back(t);
  }
  CHECK_CUDA(cudaEventDestroy(start));
  CHECK_CUDA(cudaEventDestroy(stop));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

/// ||out - ref|| / ||ref||; NaN when any output is not finite.
double relError(Jit &jit, void *out, DType dtype, float *ref, long long n, double *sums) {
  CHECK_CUDA(cudaMemset(sums, 0, 3 * sizeof(double)));
  int outF32 = dtype == DType::F32;
  void *args[] = {&out, &outF32, &ref, &n, &sums};
  jit.launch("compare", dim3(1024), 256, 0, args);
  double h[3];
  CHECK_CUDA(cudaMemcpy(h, sums, sizeof h, cudaMemcpyDeviceToHost));
  return h[2] > 0 ? NAN : std::sqrt(h[0] / std::max(h[1], 1e-300));
}

struct Config {
  AttentionShape s;
  bool timed; // a performance configuration (more repetitions)
};

std::string describe(const AttentionShape &s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "B%lld H%lld Hkv%lld T%lld S%lld %s %s",
                (long long)s.B, (long long)s.H, (long long)s.Hkv, (long long)s.T, (long long)s.S,
                s.causal ? "causal" : "full", s.q == DType::F32 ? "f32" : "bf16");
  return buf;
}

AttentionShape make(int64_t b, int64_t h, int64_t hkv, int64_t t, bool causal, DType dtype) {
  return {b, h, hkv, t, t, 64, 64, causal, 0.125, dtype, dtype, dtype, dtype};
}

std::vector<Config> configs(bool quick) {
  std::vector<Config> c;
  // Correctness: GQA 1/2/4, causal or not, tile multiples or not, both dtypes.
  for (int64_t t : {64, 100, 256})
    for (int64_t hkv : {8, 4, 2})
      for (bool causal : {true, false})
        for (DType d : {DType::BF16, DType::F32})
          if (!quick || (t == 100 && d == DType::BF16))
            c.push_back({make(2, 8, hkv, t, causal, d), false});
  AttentionShape cross = make(2, 8, 4, 100, false, DType::BF16);
  cross.S = 300;
  c.push_back({cross, false});
  c.push_back({make(4, 8, 4, 1000, true, DType::BF16), false});
  // Performance: the baseline and seed shapes.
  c.push_back({make(64, 8, 4, 1024, true, DType::BF16), true});
  c.push_back({make(32, 8, 4, 2048, true, DType::BF16), true});
  if (!quick) {
    c.push_back({make(64, 8, 8, 1024, true, DType::BF16), true});
    c.push_back({make(64, 8, 4, 1024, false, DType::BF16), true});
  }
  return c;
}

} // namespace

int main(int argc, char **argv) {
  bool quick = false, compileOnly = false;
  int reps = 20;
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick")
      quick = true;
    else if (a == "--compile-only")
      compileOnly = true;
    else if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--filter" && i + 1 < argc)
      filter = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--reps N] [--filter SUBSTRING] [--compile-only]\n", argv[0]);
      return 2;
    }
  }
  int count = 0;
  cudaError_t err = compileOnly ? cudaSuccess : cudaGetDeviceCount(&count);
  if (!compileOnly && (err != cudaSuccess || count == 0)) {
    std::printf("no CUDA device (%s): nothing to check\n",
                err != cudaSuccess ? cudaGetErrorString(err) : "none found");
    return 2;
  }
  if (!compileOnly) {
    cudaDeviceProp prop;
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    std::printf("device: %s, %d SMs, sm_%d%d\n", prop.name, prop.multiProcessorCount,
                prop.major, prop.minor);
  }
  Jit jit(compileOnly ? -1 : 0);
  jit.add(kHelperSource, kHelperEntries);

  // Each configuration twice: the backward's own stats pass, and the
  // statistics saved by the forward (as golfc pairs them; y unmerged).
  struct Item {
    Config c;
    OpProgram fwd, bwd, fwdSaving, bwdSaved;
  };
  std::vector<Item> items;
  for (const Config &c : configs(quick)) {
    if (describe(c.s).find(filter) == std::string::npos)
      continue;
    Item it{c, golf::cudagen::emitAttention(c.s), golf::cudagen::emitAttentionGrad(c.s),
            golf::cudagen::emitAttention(c.s, true),
            golf::cudagen::emitAttentionGrad(c.s, golf::cudagen::SavedAttention{c.s.out, false})};
    for (const OpProgram *p : {&it.fwd, &it.bwd, &it.fwdSaving, &it.bwdSaved})
      for (const Kernel &k : p->kernels)
        jit.add(k);
    items.push_back(std::move(it));
  }
  jit.compilePending();
  if (compileOnly) {
    std::printf("compiled the kernels of %zu configurations for sm_90\n", items.size());
    return 0;
  }
  std::printf("%zu configurations; TFLOP/s: forward 4*B*H*T*S*D (halved when causal), "
              "backward 2.5x forward; times are medians\n\n",
              items.size());
  // cuDNN, where libcudnn.so.9 loads; otherwise its columns say why not.
  std::unique_ptr<golf::cuda::CudnnAttention> cudnn;
  try {
    cudnn = std::make_unique<golf::cuda::CudnnAttention>();
    std::printf("cuDNN columns: %s\n", cudnn->version().c_str());
  } catch (const std::exception &e) {
    std::printf("cuDNN columns skipped: %s\n", e.what());
  }
  std::printf("%-40s %9s %9s %9s %9s %8s %9s %8s %15s %9s %8s | %9s %9s %8s %9s %8s\n", "config",
              "fwd err", "bwd err", "saved err", "fwd ms", "TFLOP/s", "bwd ms", "TFLOP/s",
              "bwd main ms,TF", "saved ms", "TFLOP/s", "cudnn err", "fwd ms", "TFLOP/s", "bwd ms",
              "TFLOP/s");

  double *sums = static_cast<double *>(deviceAlloc(3 * sizeof(double)));
  bool ok = true;
  unsigned long long seed = 1;
  for (Item &it : items) {
    const AttentionShape &s = it.c.s;
    const long long nq = s.B * s.H * s.T * 64, nkv = s.B * s.Hkv * s.S * 64;
    Input q = makeInput(jit, nq, s.q, seed++), k = makeInput(jit, nkv, s.k, seed++),
          v = makeInput(jit, nkv, s.v, seed++), dy = makeInput(jit, nq, s.out, seed++);
    // Outputs, poisoned with NaN (all-ones bytes are NaN in fp32 and bf16).
    size_t ob = dtypeBytes(s.out);
    void *y = deviceAlloc(nq * ob), *dq = deviceAlloc(nq * ob), *dk = deviceAlloc(nkv * ob),
         *dv = deviceAlloc(nkv * ob);
    for (auto [p, n] : {std::pair{y, nq}, {dq, nq}, {dk, nkv}, {dv, nkv}})
      CHECK_CUDA(cudaMemset(p, 0xff, size_t(n) * ob));
    // Reference.
    float *ry = static_cast<float *>(deviceAlloc(nq * 4)), *rdq = static_cast<float *>(deviceAlloc(nq * 4)),
          *rdk = static_cast<float *>(deviceAlloc(nkv * 4)), *rdv = static_cast<float *>(deviceAlloc(nkv * 4));
    double *lse = static_cast<double *>(deviceAlloc(nq / 64 * 8)),
           *delta = static_cast<double *>(deviceAlloc(nq / 64 * 8));
    int B = int(s.B), H = int(s.H), Hkv = int(s.Hkv), T = int(s.T), S = int(s.S), causal = s.causal;
    double scale = s.scale;
    {
      void *a[] = {&q.ref, &k.ref, &v.ref, &dy.ref, &ry, &lse, &delta, &B, &H, &Hkv, &T, &S, &causal, &scale};
      jit.launch("ref_forward", blocksFor(nq / 64, 128), 128, 0, a);
      void *b[] = {&q.ref, &k.ref, &v.ref, &dy.ref, &lse, &delta, &rdq, &B, &H, &Hkv, &T, &S, &causal, &scale};
      jit.launch("ref_dq", blocksFor(nq / 64, 128), 128, 0, b);
      void *c[] = {&q.ref, &k.ref, &v.ref, &dy.ref, &lse, &delta, &rdk, &rdv, &B, &H, &Hkv, &T, &S, &causal, &scale};
      jit.launch("ref_dkv", blocksFor(nkv / 64, 128), 128, 0, c);
    }
    Bound fwd = bind(it.fwd, {q.arg, k.arg, v.arg}, {y});
    Bound bwd = bind(it.bwd, {q.arg, k.arg, v.arg, dy.arg}, {dq, dk, dv});
    void *lseSaved = deviceAlloc(size_t(golf::cudagen::attentionLseCount(s)) * 4);
    Bound fwdSaving = bind(it.fwdSaving, {q.arg, k.arg, v.arg}, {y, lseSaved});
    Bound bwdSaved = bind(it.bwdSaved, {q.arg, k.arg, v.arg, dy.arg, lseSaved, y}, {dq, dk, dv});
    auto bwdError = [&] {
      double worst = 0;
      for (auto [out, ref, n] : {std::tuple{dq, rdq, nq}, {dk, rdk, nkv}, {dv, rdv, nkv}}) {
        double e = relError(jit, out, s.out, ref, n, sums);
        worst = std::isnan(e) || std::isnan(worst) ? NAN : std::max(worst, e);
      }
      return worst;
    };
    fwd.run(jit);
    bwd.run(jit);
    CHECK_CUDA(cudaDeviceSynchronize());
    double fwdErr = relError(jit, y, s.out, ry, nq, sums);
    double bwdErr = bwdError();
    for (auto [p, n] : {std::pair{y, nq}, {dq, nq}, {dk, nkv}, {dv, nkv}})
      CHECK_CUDA(cudaMemset(p, 0xff, size_t(n) * ob));
    CHECK_CUDA(cudaMemset(lseSaved, 0xff, size_t(golf::cudagen::attentionLseCount(s)) * 4));
    fwdSaving.run(jit);
    bwdSaved.run(jit);
    CHECK_CUDA(cudaDeviceSynchronize());
    double savedErr = std::max(relError(jit, y, s.out, ry, nq, sums), bwdError());
    int r = it.c.timed ? reps : 3;
    double fwdMs = medianMs([&] { fwd.run(jit); }, r);
    double bwdMs = medianMs([&] { bwd.run(jit); }, r);
    double mainMs = medianMs([&] { bwd.run(jit, "attn_bwd_c"); }, r);
    double savedMs = medianMs([&] { bwdSaved.run(jit); }, r);
    double flops = 4.0 * s.B * s.H * s.T * s.S * 64 * (s.causal ? 0.5 : 1.0);
    bool good = fwdErr < 1e-2 && bwdErr < 1e-2 && savedErr < 1e-2; // false for NaN too
    // cuDNN: the forward saving its statistics, the backward reading them.
    char cudnnCols[96] = "        -         -        -         -        -";
    void *stats = nullptr, *work = nullptr;
    if (cudnn && s.q == DType::BF16) {
      AttentionCall fc{s, false, true, false}, bc{s, true, false, false};
      work = deviceAlloc(std::max(cudnn->prepare(fc), cudnn->prepare(bc)));
      stats = deviceAlloc(size_t(s.B * s.H * s.T) * 4);
      for (auto [p, n] : {std::pair{y, nq}, {dq, nq}, {dk, nkv}, {dv, nkv}})
        CHECK_CUDA(cudaMemset(p, 0xff, size_t(n) * ob));
      CHECK_CUDA(cudaMemset(stats, 0xff, size_t(s.B * s.H * s.T) * 4));
      auto forward = [&] { cudnn->run(fc, {q.arg, k.arg, v.arg}, {y, stats}, work, nullptr); };
      auto backward = [&] { cudnn->run(bc, {q.arg, k.arg, v.arg, dy.arg, stats, y}, {dq, dk, dv}, work, nullptr); };
      forward();
      backward();
      CHECK_CUDA(cudaDeviceSynchronize());
      double err = std::max(relError(jit, y, s.out, ry, nq, sums), bwdError());
      double cf = medianMs(forward, r), cb = medianMs(backward, r);
      good = good && err < 1e-2;
      std::snprintf(cudnnCols, sizeof cudnnCols, "%9.2e %9.3f %8.1f %9.3f %8.1f", err, cf,
                    flops / cf * 1e-9, cb, 2.5 * flops / cb * 1e-9);
    }
    ok = ok && good;
    char mainCol[32];
    std::snprintf(mainCol, sizeof mainCol, "%.3f,%.0f", mainMs, 2.5 * flops / mainMs * 1e-9);
    std::printf("%-40s %9.2e %9.2e %9.2e %9.3f %8.1f %9.3f %8.1f %15s %9.3f %8.1f | %s%s\n",
                describe(s).c_str(), fwdErr, bwdErr, savedErr, fwdMs, flops / fwdMs * 1e-9, bwdMs,
                2.5 * flops / bwdMs * 1e-9, mainCol, savedMs, 2.5 * flops / savedMs * 1e-9,
                cudnnCols, good ? "" : "  FAIL");
    std::fflush(stdout);
    for (void *p : {static_cast<void *>(q.ref), q.spare, static_cast<void *>(k.ref), k.spare,
                    static_cast<void *>(v.ref), v.spare, static_cast<void *>(dy.ref), dy.spare, y,
                    dq, dk, dv, static_cast<void *>(ry), static_cast<void *>(rdq),
                    static_cast<void *>(rdk), static_cast<void *>(rdv), static_cast<void *>(lse),
                    static_cast<void *>(delta), lseSaved, stats, work})
      if (p)
        CHECK_CUDA(cudaFree(p));
    for (const Bound *b : {&fwd, &bwd, &fwdSaving, &bwdSaved})
      for (void *p : b->scratch)
        CHECK_CUDA(cudaFree(p));
    if (q.arg != q.ref) CHECK_CUDA(cudaFree(q.arg));
    if (k.arg != k.ref) CHECK_CUDA(cudaFree(k.arg));
    if (v.arg != v.ref) CHECK_CUDA(cudaFree(v.arg));
    if (dy.arg != dy.ref) CHECK_CUDA(cudaFree(dy.arg));
  }
  std::printf("\n%s\n", ok ? "all configurations within 1e-2" : "SOME CONFIGURATIONS FAILED");
  return ok ? 0 : 1;
}

//===- Nvrtc.h - compiling generated CUDA C++ to CUBINs ---------*- C++ -*-===//
//
// The code generator hands the runtime CUDA C++ text, one extern "C"
// __global__ entry point per source. compileCubins turns those into CUBINs
// for one architecture with NVRTC, which needs no GPU, so this part runs and
// is tested on the CPU-only machines. Compiles run in parallel and land in an
// on-disk cache (KernelCache.h), so a rerun of the same model starts at once.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_NVRTC_H
#define GOLF_RUNTIME_CUDA_NVRTC_H

#include <stdexcept>
#include <string>
#include <vector>

namespace golf::cuda {

struct KernelSource {
  std::string name;   ///< the extern "C" __global__ entry point
  std::string source; ///< complete CUDA C++ translation unit
};

struct NvrtcOptions {
  std::string arch = "sm_90";     ///< a real architecture; "sm_90a" when wgmma/TMA are used
  std::vector<std::string> flags; ///< extra NVRTC options, e.g. "-DFOO=1", "-lineinfo"
  std::string cacheDir;           ///< "" = no cache
  int threads = 0;                ///< 0 = std::thread::hardware_concurrency()
};

struct NvrtcStats {
  int compiled = 0; ///< distinct sources compiled by NVRTC in this call
  int cached = 0;   ///< distinct sources read from the cache
  double seconds = 0;
  /// Kernels compiled in this call whose registers spill to local memory
  /// ("name: N bytes spill stores", from ptxas's report), in source order.
  std::vector<std::string> spills;
};

/// A kernel that does not compile, or compiles without its entry point. The
/// first line names the kernel, the architecture and NVRTC's status; NVRTC's
/// log follows.
struct CompileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One CUBIN per source, in the same order. Distinct sources are compiled in
/// parallel; identical sources are compiled once. With a cacheDir, results are
/// cached under a key hashing (source, NVRTC version, every option including
/// the arch and include paths); a corrupt cache entry is recompiled. Options
/// always include -std=c++17, -default-device and the CUDA include dirs
/// (cudaIncludeDirs()); --use_fast_math is never implied (results must match
/// the CPU reference). Throws CompileError for the first failing kernel in
/// source order, CudaError if NVRTC itself fails, and std::runtime_error if
/// the cache cannot be written.
std::vector<std::string> compileCubins(const std::vector<KernelSource> &sources,
                                       const NvrtcOptions &options, NvrtcStats *stats = nullptr);

/// The NVRTC library's version, "major.minor" (e.g. "13.0").
std::string nvrtcVersion();

/// $GOLF_CACHE_DIR, else $XDG_CACHE_HOME/golfc/kernels, else
/// $HOME/.cache/golfc/kernels; "" (no cache) if none of them is set.
std::string defaultCacheDir();

/// The include dirs NVRTC gets (NVRTC 13 has no built-in cuda_bf16.h, and CUB
/// and libcu++ live in include/cccl): the first of $CUDA_HOME/include,
/// $CUDA_PATH/include, /usr/local/cuda/include and the configure-time toolkit
/// include dir that holds cuda_fp16.h, plus its cccl/ subdir. Empty if none.
const std::vector<std::string> &cudaIncludeDirs();

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_NVRTC_H

//===- Module.h - loading and launching NVRTC kernels -----------*- C++ -*-===//
//
// CUBINs from compileCubins are loaded with cudaLibraryLoadData and their
// entry points looked up with cudaLibraryGetKernel. Both are runtime-API
// calls, so the runtime links cudart statically and never -lcuda (a binary
// linked to the driver stub cannot even start on a machine without a GPU).
// Libraries are context-independent: they load into whichever device is
// current at launch.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_MODULE_H
#define GOLF_RUNTIME_CUDA_MODULE_H

#include "runtime/cuda/Handle.h"
#include "runtime/cuda/Nvrtc.h"

#include <cuda_runtime_api.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace golf::cuda {

class KernelLibrary {
public:
  /// Loads cubins[i] (compiled from sources[i]) and looks up sources[i].name
  /// in it. Identical CUBINs are loaded once. Throws CudaError naming the
  /// kernel if loading or the lookup fails.
  static KernelLibrary load(const std::vector<KernelSource> &sources,
                            const std::vector<std::string> &cubins);

  /// The kernel of that entry point; throws CudaError if there is none.
  cudaKernel_t get(const std::string &name) const;

  /// cudaLaunchKernel of k (from this library) with `args` (pointers to each
  /// argument, as cudaLaunchKernel takes them). The first launch of a kernel
  /// with smem > 48 KiB raises its dynamic shared-memory limit (do a first
  /// launch before graph capture). Throws CudaError naming the kernel if the
  /// launch is rejected; errors during execution surface at the next sync.
  void launch(cudaKernel_t k, dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
              void **args) const;

private:
  using Library = Handle<cudaLibrary_t, cudaLibraryUnload>;
  std::string nameOf(cudaKernel_t k) const;

  std::vector<Library> libraries_;
  std::map<std::string, cudaKernel_t> kernels_;
  std::map<cudaKernel_t, std::string> names_;
  // Per kernel, the dynamic shared-memory limit set so far (launch is const
  // and may be called from several threads).
  mutable std::map<cudaKernel_t, size_t> smemLimit_;
  mutable std::unique_ptr<std::mutex> smemMutex_ = std::make_unique<std::mutex>();
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_MODULE_H

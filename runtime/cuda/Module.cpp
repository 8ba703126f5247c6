//===- Module.cpp - loading and launching NVRTC kernels -------------------===//
#include "runtime/cuda/Module.h"

#include "runtime/cuda/Error.h"

namespace golf::cuda {
namespace {

// Without an explicit attribute a kernel may use at most 48 KiB of dynamic
// shared memory; above that the limit must be raised per kernel.
constexpr size_t kDefaultSmemLimit = 48u << 10;

} // namespace

KernelLibrary KernelLibrary::load(const std::vector<KernelSource> &sources,
                                  const std::vector<std::string> &cubins) {
  if (sources.size() != cubins.size())
    throw CudaError("KernelLibrary::load: " + std::to_string(sources.size()) + " sources but " +
                    std::to_string(cubins.size()) + " CUBINs");
  KernelLibrary lib;
  std::map<std::string, cudaLibrary_t> loaded; // CUBIN bytes -> library
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::string &name = sources[i].name;
    if (lib.kernels_.count(name))
      throw CudaError("KernelLibrary::load: two kernels named '" + name + "'");
    auto [it, fresh] = loaded.emplace(cubins[i], nullptr);
    if (fresh) {
      cudaLibrary_t l = nullptr;
      check(cudaLibraryLoadData(&l, cubins[i].data(), nullptr, nullptr, 0, nullptr, nullptr, 0),
            ("cudaLibraryLoadData(kernel '" + name + "')").c_str());
      lib.libraries_.emplace_back(l);
      it->second = l;
    }
    cudaKernel_t k = nullptr;
    check(cudaLibraryGetKernel(&k, it->second, name.c_str()),
          ("cudaLibraryGetKernel('" + name + "')").c_str());
    lib.kernels_[name] = k;
    lib.names_[k] = name;
  }
  return lib;
}

cudaKernel_t KernelLibrary::get(const std::string &name) const {
  auto it = kernels_.find(name);
  if (it == kernels_.end())
    throw CudaError("KernelLibrary: no kernel named '" + name + "'");
  return it->second;
}

std::string KernelLibrary::nameOf(cudaKernel_t k) const {
  auto it = names_.find(k);
  return it == names_.end() ? "<a kernel of another library>" : it->second;
}

void KernelLibrary::launch(cudaKernel_t k, dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
                           void **args) const {
  if (smem > kDefaultSmemLimit) {
    std::lock_guard<std::mutex> lock(*smemMutex_);
    size_t &limit = smemLimit_[k];
    if (smem > limit) {
      // cudaFuncSetAttribute takes a cudaKernel_t in place of a function symbol.
      check(cudaFuncSetAttribute(reinterpret_cast<const void *>(k),
                                 cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
            ("cudaFuncSetAttribute(kernel '" + nameOf(k) + "', " + std::to_string(smem) +
             " bytes of shared memory)")
                .c_str());
      limit = smem;
    }
  }
  // The message is built only on failure: this is the per-kernel hot path
  // when not replaying a graph.
  cudaError_t e = cudaLaunchKernel(reinterpret_cast<const void *>(k), grid, block, args, smem, stream);
  if (e != cudaSuccess)
    check(e, ("cudaLaunchKernel('" + nameOf(k) + "')").c_str());
}

} // namespace golf::cuda

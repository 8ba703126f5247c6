//===- Error.cpp - one-line errors from CUDA, cuBLASLt and NVRTC ----------===//
#include "runtime/cuda/Error.h"

namespace golf::cuda {

std::string describe(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

void check(cudaError_t e, const char *what) {
  if (e == cudaSuccess)
    return;
  // Reported here, so clear it: cuBLASLt checks cudaGetLastError after its
  // own launches and would otherwise fail later on this stale error.
  // (Sticky errors, which break the context, stay regardless.)
  (void)cudaGetLastError();
  throw CudaError(std::string(what) + ": " + describe(e));
}

void check(cublasStatus_t s, const char *what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw CudaError(std::string(what) + ": " + cublasLtGetStatusName(s) + ": " +
                    cublasLtGetStatusString(s));
}

void check(nvrtcResult r, const char *what) {
  if (r != NVRTC_SUCCESS)
    throw CudaError(std::string(what) + ": " + nvrtcGetErrorString(r));
}

} // namespace golf::cuda

//===- Error.h - one-line errors from CUDA, cuBLASLt and NVRTC -*- C++ -*-===//
//
// Every CUDA, cuBLASLt and NVRTC call in runtime/cuda goes through check(),
// which turns a failure into a CudaError whose text is one line:
// "what: <status name>: <description>". Callers above (the executor, golfc)
// print it as is.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_ERROR_H
#define GOLF_RUNTIME_CUDA_ERROR_H

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <nvrtc.h>

#include <stdexcept>
#include <string>

namespace golf::cuda {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Throws CudaError("what: cudaErrorName: message") unless e is cudaSuccess.
void check(cudaError_t e, const char *what);
/// Throws CudaError("what: CUBLAS_STATUS_...: description") on failure.
void check(cublasStatus_t s, const char *what);
/// Throws CudaError("what: NVRTC_ERROR_...") on failure. Compilation errors
/// are reported by compileCubins as CompileError, with NVRTC's log.
void check(nvrtcResult r, const char *what);

/// "cudaErrorName: message" for e (also used where an error is reported, not thrown).
std::string describe(cudaError_t e);

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_ERROR_H

//===- Handle.h - RAII for CUDA and cuBLASLt handles ------------*- C++ -*-===//
//
// CUDA's handles (cudaStream_t, cudaEvent_t, cudaGraph_t, cudaLibrary_t,
// cublasLt*_t) are pointers to opaque structs, so std::unique_ptr with the
// matching destroy function owns them. Destroy statuses are ignored: a
// destructor cannot throw, and they only fail after an earlier sticky error
// that has already been reported.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_HANDLE_H
#define GOLF_RUNTIME_CUDA_HANDLE_H

#include <memory>
#include <type_traits>

namespace golf::cuda {

template <class H, auto Destroy> struct HandleDeleter {
  void operator()(H h) const noexcept { (void)Destroy(h); }
};

/// Owns a handle of type H (a pointer) and calls Destroy(h) at the end.
template <class H, auto Destroy>
using Handle = std::unique_ptr<std::remove_pointer_t<H>, HandleDeleter<H, Destroy>>;

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_HANDLE_H

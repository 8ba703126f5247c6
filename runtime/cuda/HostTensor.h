//===- HostTensor.h - host tensors to and from device bytes ----*- C++ -*-===//
//
// The byte layout of a plan dtype on the GPU (f32, bf16, f16 as 16-bit
// patterns, f64, i32) and the conversions from and to the CPU executor's
// tensors, for parameters, arguments, results and optimizer state.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_HOSTTENSOR_H
#define GOLF_RUNTIME_CUDA_HOSTTENSOR_H

#include "runtime/cpu/Tensor.h"

#include <vector>

namespace golf::cuda {

/// Host bytes of `t` (F32 storage, or I32) in the GPU layout of `dtype`.
std::vector<char> deviceBytes(const cpu::Tensor &t, plan::DType dtype);
/// A host tensor (F32 storage; I32 for integers) of `type` from GPU bytes.
cpu::Tensor hostTensor(const void *bytes, const plan::TensorType &type);

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_HOSTTENSOR_H

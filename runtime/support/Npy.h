//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Tensors for tools outside golfc (the PyTorch reference, notebooks): the
// .npy format version 1.0, little-endian, C order.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_SUPPORT_NPY_H
#define GOLF_RUNTIME_SUPPORT_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace golf {

/// The bytes of an .npy file holding `data` (float32 or int32) with `shape`.
std::string npyFloat32(const std::vector<int64_t> &shape, const std::vector<float> &data);
std::string npyInt32(const std::vector<int64_t> &shape, const std::vector<int32_t> &data);

} // namespace golf

#endif // GOLF_RUNTIME_SUPPORT_NPY_H

//===- NarrowFloat.h - bits of the 16-bit float formats ---------*- C++ -*-===//
//
// Conversions between float and the bit patterns of IEEE half (f16) and
// bfloat16, rounding to nearest even: the artifact's f16 tensors and scales,
// and the GPU runtime's bf16/f16 buffers.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_SUPPORT_NARROWFLOAT_H
#define GOLF_RUNTIME_SUPPORT_NARROWFLOAT_H

#include <cstdint>

namespace golf {

/// IEEE half precision: round to nearest even (overflow to infinity), and back.
uint16_t halfBits(float x);
float halfValue(uint16_t bits);

/// bfloat16 (the top half of a float): round to nearest even, NaN stays NaN.
uint16_t bf16Bits(float x);
float bf16Value(uint16_t bits);

} // namespace golf

#endif // GOLF_RUNTIME_SUPPORT_NARROWFLOAT_H

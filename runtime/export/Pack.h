//===- Pack.h - the bytes of one stored tensor ------------------*- C++ -*-===//
//
// A stored tensor is either float (every element as f16 or f32) or
// quantized: the per-row scales (f16 or f32), then the integer values, one
// signed byte each or, with nibble packing (bits <= 4), two per byte (the
// even element in the low nibble, 4-bit two's complement). Little-endian.
// Sizes follow from shape and format, so a reader checks them exactly.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_PACK_H
#define GOLF_RUNTIME_EXPORT_PACK_H

#include "runtime/export/Quantize.h"
#include "runtime/plan/Plan.h"
#include "runtime/support/NarrowFloat.h"

#include <optional>
#include <string>

namespace golf::exporter {

using golf::halfBits;
using golf::halfValue;

struct StoredTensor {
  std::string name;
  plan::DType dtype = plan::DType::F32; // the parameter's; restored on load
  std::vector<int64_t> shape;
  bool quantized = false;
  bool f32 = false; // float elements, or a quantized tensor's scales, in f32 (else f16)
  int bits = 0;     // quantized: 2 to 8
  bool nibble = false;
  std::string data;

  /// rows x cols view: cols is the last axis (1 for a scalar).
  int64_t cols() const;
  int64_t rows() const;
  int64_t numel() const;
  /// "int8", "int4/nibble", "f16", "f32".
  std::string format() const;
};

/// The byte size `t`'s shape and format imply, or -1 if the shape or format
/// is invalid (negative or huge extents, bits out of range, nibble > 4 bits).
int64_t expectedBytes(const StoredTensor &t);

StoredTensor packFloat(std::string name, plan::DType dtype, std::vector<int64_t> shape,
                       const std::vector<float> &values, bool f32);
StoredTensor packQuantized(std::string name, plan::DType dtype, std::vector<int64_t> shape,
                           const Quantized &q, bool nibble);
/// The integer values and scales; fails on a wrong size, a value outside
/// [-qmax, qmax] or a scale that is not finite.
std::optional<Quantized> unpackQuantized(const StoredTensor &t, std::string &error);
/// The tensor's float values (dequantized if quantized).
std::optional<std::vector<float>> unpackValues(const StoredTensor &t, std::string &error);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_PACK_H

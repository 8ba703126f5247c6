//===- Quantize.h - per-row symmetric integer quantization ------*- C++ -*-===//
//
// A tensor is quantized as a matrix: rows are all axes but the last (a 1-D
// tensor is one row). Each row r gets a clip c_r from the clip rule and a
// scale s_r = max(c_r / qmax, min_scale), qmax = 2^(bits-1) - 1, rounded to
// its storage type (f16 or f32); values are q = clamp(round(w / s_r), -qmax,
// qmax), a symmetric grid (int8 [-127, 127], int6 [-31, 31], int4 [-7, 7]),
// and w is restored as q * s_r (pgolf-spec §3.7, §4.20, §4.21).
//
// Clip rules: max |w_r|; a percentile of |w_r| with torch.quantile's linear
// interpolation (the baseline's 99.99984); gptq_lite, the best of the
// quantiles {0.999, 0.9995, 0.9999, 0.99999, 1} by the row's squared error;
// sdclip, k times the row's standard deviation (unbiased, as torch.std).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_QUANTIZE_H
#define GOLF_RUNTIME_EXPORT_QUANTIZE_H

#include <cstdint>
#include <vector>

namespace golf::exporter {

enum class ClipKind { Max, Percentile, GptqLite, SdClip };

struct ClipRule {
  ClipKind kind = ClipKind::Max;
  double value = 0; // percentile: q in percent; sdclip: k
};

struct QuantSpec {
  int bits = 8; // 2 to 8
  ClipRule clip;
  bool scaleF32 = false; // scale storage: f32, else f16
  double minScale = 0;   // floor of the scale (the baseline's 1/127)
};

/// Float values seen as rows x cols, row-major.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> values;
};

struct Quantized {
  int64_t rows = 0, cols = 0;
  int bits = 8;
  bool scaleF32 = false;
  std::vector<float> scales; // per row, exactly representable in the storage type
  std::vector<int8_t> q;     // rows x cols, in [-qmax, qmax]
};

int quantMax(int bits);
/// The stored scale for clip c: max(c / qmax, minScale), rounded to f16 or
/// f32; a zero row gets 1, and a positive scale never rounds to 0.
float storedScale(double clip, const QuantSpec &spec);
/// Per-row stored scales of the clip rule (gptq_lite searches its quantiles).
std::vector<float> rowScales(const Matrix &w, const QuantSpec &spec);
/// Round to nearest on given per-row scales.
Quantized quantizeWithScales(const Matrix &w, const std::vector<float> &scales,
                             const QuantSpec &spec);
/// rowScales + quantizeWithScales.
Quantized quantize(const Matrix &w, const QuantSpec &spec);
Matrix dequantize(const Quantized &q);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_QUANTIZE_H

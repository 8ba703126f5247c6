//===- Quantize.cpp - per-row symmetric integer quantization --------------===//
#include "runtime/export/Quantize.h"
#include "runtime/export/Pack.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace golf::exporter {

namespace {

/// torch.quantile(|row|, p) for p in [0, 1]: linear interpolation between
/// the order statistics around p * (n - 1). `sorted` holds |row| ascending.
double quantile(const std::vector<double> &sorted, double p) {
  if (sorted.empty())
    return 0;
  double pos = p * double(sorted.size() - 1);
  size_t lo = size_t(std::floor(pos)), hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

std::vector<double> sortedAbs(const float *row, int64_t n) {
  std::vector<double> a(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    a[size_t(i)] = std::fabs(double(row[i]));
  std::sort(a.begin(), a.end());
  return a;
}

double roundedValue(double w, double s, double qmax) {
  return std::clamp(std::nearbyint(w / s), -qmax, qmax);
}

/// Squared error of round-to-nearest of one row on scale s.
double rowError(const float *row, int64_t n, double s, double qmax) {
  double e = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = double(row[i]) - roundedValue(row[i], s, qmax) * s;
    e += d * d;
  }
  return e;
}

double rowStd(const float *row, int64_t n) {
  if (n < 2)
    return 0;
  double mean = 0, ss = 0;
  for (int64_t i = 0; i < n; ++i)
    mean += row[i];
  mean /= double(n);
  for (int64_t i = 0; i < n; ++i)
    ss += (row[i] - mean) * (row[i] - mean);
  return std::sqrt(ss / double(n - 1));
}

} // namespace

int quantMax(int bits) { return (1 << (bits - 1)) - 1; }

float storedScale(double clip, const QuantSpec &spec) {
  if (!(clip > 0))
    return 1.0f;
  double s = std::max(clip / quantMax(spec.bits), spec.minScale);
  if (spec.scaleF32)
    return std::max(float(s), std::numeric_limits<float>::denorm_min());
  // The smallest f16 subnormal, 2^-24, keeps a tiny row's scale nonzero.
  return std::max(halfValue(halfBits(float(s))), std::ldexp(1.0f, -24));
}

std::vector<float> rowScales(const Matrix &w, const QuantSpec &spec) {
  std::vector<float> scales(size_t(w.rows));
  double qmax = quantMax(spec.bits);
  for (int64_t r = 0; r < w.rows; ++r) {
    const float *row = w.values.data() + r * w.cols;
    double clip = 0;
    switch (spec.clip.kind) {
    case ClipKind::Max:
      for (int64_t i = 0; i < w.cols; ++i)
        clip = std::max(clip, std::fabs(double(row[i])));
      break;
    case ClipKind::Percentile:
      clip = quantile(sortedAbs(row, w.cols), spec.clip.value / 100.0);
      break;
    case ClipKind::SdClip:
      clip = spec.clip.value * rowStd(row, w.cols);
      break;
    case ClipKind::GptqLite: {
      std::vector<double> sorted = sortedAbs(row, w.cols);
      double best = INFINITY;
      for (double p : {0.999, 0.9995, 0.9999, 0.99999, 1.0}) {
        float s = storedScale(quantile(sorted, p), spec);
        double e = rowError(row, w.cols, s, qmax);
        if (e < best) {
          best = e;
          scales[size_t(r)] = s;
        }
      }
      continue;
    }
    }
    scales[size_t(r)] = storedScale(clip, spec);
  }
  return scales;
}

Quantized quantizeWithScales(const Matrix &w, const std::vector<float> &scales,
                             const QuantSpec &spec) {
  Quantized q{w.rows, w.cols, spec.bits, spec.scaleF32, scales, {}};
  q.q.resize(w.values.size());
  double qmax = quantMax(spec.bits);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t i = r * w.cols; i < (r + 1) * w.cols; ++i)
      q.q[size_t(i)] = int8_t(roundedValue(w.values[size_t(i)], scales[size_t(r)], qmax));
  return q;
}

Quantized quantize(const Matrix &w, const QuantSpec &spec) {
  return quantizeWithScales(w, rowScales(w, spec), spec);
}

Matrix dequantize(const Quantized &q) {
  Matrix m{q.rows, q.cols, std::vector<float>(q.q.size())};
  for (int64_t r = 0; r < q.rows; ++r)
    for (int64_t i = r * q.cols; i < (r + 1) * q.cols; ++i)
      m.values[size_t(i)] = float(double(q.q[size_t(i)]) * double(q.scales[size_t(r)]));
  return m;
}

} // namespace golf::exporter

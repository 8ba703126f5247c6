//===- QuantizeTest.cpp - per-row intN quantization -----------------------===//
#include "runtime/export/Pack.h"
#include "runtime/export/Quantize.h"

#include <gtest/gtest.h>
#include <cmath>
#include <random>

using namespace golf::exporter;

namespace {

Matrix randomMatrix(int64_t rows, int64_t cols, uint64_t seed, double std = 0.05) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, std);
  Matrix m{rows, cols, {}};
  for (int64_t i = 0; i < rows * cols; ++i)
    m.values.push_back(float(n(rng)));
  return m;
}

TEST(Half, EveryFiniteBitPatternRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu))
      continue; // NaN payloads are not preserved
    EXPECT_EQ(halfBits(halfValue(uint16_t(h))), h) << h;
  }
}

TEST(Half, RoundsToNearestEven) {
  EXPECT_EQ(halfValue(halfBits(1.0f + 1.0f / 2048)), 1.0f);          // tie -> even
  EXPECT_EQ(halfValue(halfBits(1.0f + 3.0f / 2048)), 1.0f + 2.0f / 1024); // tie -> even (up)
  EXPECT_EQ(halfValue(halfBits(70000.0f)), INFINITY);
  EXPECT_EQ(halfValue(halfBits(std::ldexp(1.0f, -24))), std::ldexp(1.0f, -24));
  EXPECT_EQ(halfValue(halfBits(std::ldexp(1.0f, -26))), 0.0f);
}

// bf16 shares the support header with f16 (the GPU runtime's buffers).
TEST(Bf16, EveryFiniteBitPatternRoundTripsAndTiesGoToEven) {
  for (uint32_t b = 0; b < 65536; ++b) {
    if ((b & 0x7f80u) == 0x7f80u && (b & 0x7fu))
      continue; // NaN payloads are not preserved
    EXPECT_EQ(golf::bf16Bits(golf::bf16Value(uint16_t(b))), b) << b;
  }
  EXPECT_EQ(golf::bf16Value(golf::bf16Bits(1.0f + 1.0f / 256)), 1.0f);                // tie -> even
  EXPECT_EQ(golf::bf16Value(golf::bf16Bits(1.0f + 3.0f / 256)), 1.0f + 2.0f / 128);   // tie -> even (up)
  EXPECT_TRUE(std::isnan(golf::bf16Value(golf::bf16Bits(NAN))));
}

TEST(Quantize, GridValuesAreFixedPointsForEveryWidth) {
  for (int bits = 2; bits <= 8; ++bits) {
    int qmax = quantMax(bits);
    // Row r holds k * 0.01 * (r + 1) for k in [-qmax, qmax]: max clip gives
    // s = 0.01 (r + 1) up to f16 rounding, so every value is on the grid.
    Matrix m{3, 2 * qmax + 1, {}};
    for (int r = 0; r < 3; ++r)
      for (int k = -qmax; k <= qmax; ++k)
        m.values.push_back(halfValue(halfBits(0.01f * float(r + 1))) * float(k));
    QuantSpec spec{bits, {ClipKind::Max, 0}, false, 0};
    Quantized q = quantize(m, spec);
    for (int r = 0; r < 3; ++r)
      for (int k = -qmax; k <= qmax; ++k)
        EXPECT_EQ(q.q[size_t(r * (2 * qmax + 1) + k + qmax)], k) << bits;
    Matrix back = dequantize(q);
    for (size_t i = 0; i < m.values.size(); ++i)
      EXPECT_NEAR(back.values[i], m.values[i], 1e-6 * std::fabs(m.values[i]) + 1e-9);
  }
}

TEST(Quantize, ErrorIsAtMostHalfAStepWithoutClipping) {
  Matrix m = randomMatrix(16, 64, 1);
  for (int bits : {4, 5, 6, 7, 8}) {
    for (bool f32 : {false, true}) {
      QuantSpec spec{bits, {ClipKind::Max, 0}, f32, 0};
      Quantized q = quantize(m, spec);
      Matrix back = dequantize(q);
      for (int64_t r = 0; r < m.rows; ++r)
        for (int64_t c = 0; c < m.cols; ++c) {
          size_t i = size_t(r * m.cols + c);
          EXPECT_LE(std::abs(int(q.q[i])), quantMax(bits));
          // f16 rounding of the scale may push the row max just past qmax * s.
          double slack = f32 ? 0 : std::fabs(m.values[i]) * 1e-3;
          EXPECT_LE(std::fabs(back.values[i] - m.values[i]), q.scales[size_t(r)] / 2 + slack + 1e-9);
        }
    }
  }
}

TEST(Quantize, ClipRules) {
  // One row |w| = 1..5 (signs alternate).
  Matrix m{1, 5, {1, -2, 3, -4, 5}};
  auto scale = [&](ClipRule rule) { return rowScales(m, {8, rule, true, 0})[0]; };
  EXPECT_FLOAT_EQ(scale({ClipKind::Max, 0}), 5.0f / 127);
  // torch.quantile interpolation: position 0.5 * 4 = 2 -> 3; 0.9 * 4 = 3.6 -> 4.6.
  EXPECT_FLOAT_EQ(scale({ClipKind::Percentile, 50}), 3.0f / 127);
  EXPECT_FLOAT_EQ(scale({ClipKind::Percentile, 90}), 4.6f / 127);
  // Unbiased std of {1,-2,3,-4,5}: mean 0.6, sum of squares 55 - 5 * 0.36 = 53.2.
  EXPECT_FLOAT_EQ(scale({ClipKind::SdClip, 2}), float(2 * std::sqrt(53.2 / 4) / 127));
  // Clipped values saturate at qmax.
  Quantized q = quantizeWithScales(m, {float(3.0 / 127)}, {8, {}, true, 0});
  EXPECT_EQ(q.q[3], -127);
  EXPECT_EQ(q.q[4], 127);
}

TEST(Quantize, GptqLiteNeverLosesToMaxClip) {
  Matrix m = randomMatrix(32, 128, 2);
  m.values[5] = 1.0f; // an outlier makes a lower clip worth it in row 0
  for (int bits : {4, 6}) {
    auto err = [&](ClipKind k) {
      Matrix back = dequantize(quantize(m, {bits, {k, 0}, false, 0}));
      std::vector<double> rowErr(size_t(m.rows), 0);
      for (size_t i = 0; i < m.values.size(); ++i)
        rowErr[i / size_t(m.cols)] += std::pow(back.values[i] - m.values[i], 2);
      return rowErr;
    };
    std::vector<double> lite = err(ClipKind::GptqLite), max = err(ClipKind::Max);
    for (size_t r = 0; r < lite.size(); ++r)
      EXPECT_LE(lite[r], max[r] * (1 + 1e-12)) << r;
  }
}

TEST(Quantize, ScaleFloorAndZeroRows) {
  Matrix m{2, 3, {0.001f, -0.002f, 0.0005f, 0, 0, 0}};
  // The baseline's floor: s = max(c / 127, 1 / 127), so small rows round to 0.
  Quantized q = quantize(m, {8, {ClipKind::Max, 0}, true, 1.0 / 127});
  EXPECT_FLOAT_EQ(q.scales[0], 1.0f / 127);
  EXPECT_EQ(q.q[1], 0);
  EXPECT_EQ(q.scales[1], 1.0f); // a zero row
  for (int i = 3; i < 6; ++i)
    EXPECT_EQ(q.q[size_t(i)], 0);
  // A tiny f16 scale stays positive.
  EXPECT_GT(storedScale(1e-12, {8, {}, false, 0}), 0.0f);
}

} // namespace

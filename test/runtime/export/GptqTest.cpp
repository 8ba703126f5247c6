//===- GptqTest.cpp - GPTQ against round to nearest -----------------------===//
#include "runtime/export/Gptq.h"

#include <gtest/gtest.h>
#include <random>

using namespace golf::exporter;

namespace {

struct Layer {
  Matrix w;
  std::vector<double> h;
};

/// A 24 x 96 linear whose inputs are strongly correlated (x = z A, z white),
/// the case GPTQ exists for; columns in `dead` never see input.
Layer correlatedLayer(uint64_t seed, std::vector<int64_t> dead = {}) {
  const int64_t rows = 24, cols = 96, tokens = 2048, latent = 24;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, 1);
  std::vector<double> a(size_t(latent * cols));
  for (double &v : a)
    v = n(rng);
  std::vector<double> x(size_t(tokens * cols), 0.0);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t l = 0; l < latent; ++l) {
      double z = n(rng);
      for (int64_t c = 0; c < cols; ++c)
        x[size_t(t * cols + c)] += z * a[size_t(l * cols + c)] + 0.05 * (l == 0 ? n(rng) : 0);
    }
  for (int64_t c : dead)
    for (int64_t t = 0; t < tokens; ++t)
      x[size_t(t * cols + c)] = 0;
  Layer layer{{rows, cols, {}}, std::vector<double>(size_t(cols * cols), 0.0)};
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        layer.h[size_t(i * cols + j)] += x[size_t(t * cols + i)] * x[size_t(t * cols + j)] / tokens;
  for (int64_t i = 0; i < rows * cols; ++i)
    layer.w.values.push_back(float(0.05 * n(rng)));
  return layer;
}

TEST(Gptq, BeatsRoundToNearestOnTheHessianWeightedError) {
  Layer layer = correlatedLayer(7);
  for (int bits : {4, 6, 8})
    for (bool actOrder : {true, false})
      for (int64_t block : {128, 16}) {
        QuantSpec spec{bits, {ClipKind::Max, 0}, false, 0};
        std::vector<float> scales = rowScales(layer.w, spec);
        std::string error;
        auto g = gptqQuantize(layer.w, layer.h, scales, spec, {0.01, block, actOrder}, error);
        ASSERT_TRUE(g) << error;
        EXPECT_EQ(g->scales, scales);
        double rtn = hessianError(layer.w, dequantize(quantizeWithScales(layer.w, scales, spec)),
                                  layer.h);
        double gptq = hessianError(layer.w, dequantize(*g), layer.h);
        EXPECT_LT(gptq, 0.8 * rtn) << "bits " << bits << " act_order " << actOrder
                                    << " block " << block;
        for (int8_t v : g->q)
          EXPECT_LE(std::abs(int(v)), quantMax(bits));
      }
}

TEST(Gptq, DeadColumnsAreZeroed) {
  Layer layer = correlatedLayer(3, {5, 40});
  QuantSpec spec{6, {ClipKind::Max, 0}, false, 0};
  std::string error;
  auto g = gptqQuantize(layer.w, layer.h, rowScales(layer.w, spec), spec, {}, error);
  ASSERT_TRUE(g) << error;
  for (int64_t r = 0; r < layer.w.rows; ++r) {
    EXPECT_EQ(g->q[size_t(r * layer.w.cols + 5)], 0);
    EXPECT_EQ(g->q[size_t(r * layer.w.cols + 40)], 0);
  }
}

TEST(Gptq, RefusesMismatchedHessian) {
  Layer layer = correlatedLayer(1);
  layer.h.pop_back();
  std::string error;
  QuantSpec spec;
  EXPECT_FALSE(gptqQuantize(layer.w, layer.h, rowScales(layer.w, spec), spec, {}, error));
  EXPECT_NE(error.find("do not match"), std::string::npos) << error;
}

} // namespace

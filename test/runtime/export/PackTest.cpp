//===- PackTest.cpp - stored tensor bytes ---------------------------------===//
#include "runtime/export/Pack.h"

#include <gtest/gtest.h>

using namespace golf::exporter;
using golf::plan::DType;

namespace {

Quantized sample(int bits, int64_t rows, int64_t cols) {
  Quantized q{rows, cols, bits, false, {}, {}};
  int qmax = quantMax(bits);
  for (int64_t r = 0; r < rows; ++r)
    q.scales.push_back(halfValue(halfBits(0.01f * float(r + 1))));
  for (int64_t i = 0; i < rows * cols; ++i)
    q.q.push_back(int8_t(i % (2 * qmax + 1) - qmax));
  return q;
}

TEST(Pack, QuantizedRoundTripsInEveryFormat) {
  for (int bits = 2; bits <= 8; ++bits)
    for (bool nibble : {false, true}) {
      if (nibble && bits > 4)
        continue;
      Quantized q = sample(bits, 3, 7); // odd count: the last nibble is padding
      StoredTensor t = packQuantized("w", DType::F32, {3, 7}, q, nibble);
      EXPECT_EQ(int64_t(t.data.size()), expectedBytes(t));
      EXPECT_EQ(t.data.size(), size_t(3 * 2 + (nibble ? 11 : 21)));
      std::string error;
      auto back = unpackQuantized(t, error);
      ASSERT_TRUE(back) << error;
      EXPECT_EQ(back->q, q.q);
      EXPECT_EQ(back->scales, q.scales);
    }
}

TEST(Pack, FloatsRoundTrip) {
  std::vector<float> v = {0.5f, -1.25f, 3e-5f, 65504.0f};
  for (bool f32 : {false, true}) {
    StoredTensor t = packFloat("x", DType::BF16, {2, 2}, v, f32);
    EXPECT_EQ(t.format(), f32 ? "f32" : "f16");
    std::string error;
    auto back = unpackValues(t, error);
    ASSERT_TRUE(back) << error;
    for (size_t i = 0; i < v.size(); ++i)
      EXPECT_EQ((*back)[i], f32 ? v[i] : halfValue(halfBits(v[i])));
  }
}

TEST(Pack, DamageIsRefused) {
  std::string error;
  StoredTensor t = packQuantized("w", DType::F32, {2, 4}, sample(6, 2, 4), false);
  StoredTensor shortT = t;
  shortT.data.pop_back();
  EXPECT_FALSE(unpackQuantized(shortT, error));
  EXPECT_NE(error.find("does not match its shape"), std::string::npos) << error;
  StoredTensor range = t;
  range.data.back() = char(40); // > 31 = qmax of int6
  EXPECT_FALSE(unpackQuantized(range, error));
  EXPECT_NE(error.find("outside int6"), std::string::npos) << error;
  StoredTensor inf = t;
  inf.data[1] = char(0x7c); // scale of row 0: f16 infinity
  inf.data[0] = 0;
  EXPECT_FALSE(unpackQuantized(inf, error));
  StoredTensor wide = t;
  wide.nibble = true; // nibble packing of 6-bit values is not a format
  EXPECT_EQ(expectedBytes(wide), -1);
  StoredTensor huge = t;
  huge.shape = {int64_t(1) << 40, int64_t(1) << 40};
  EXPECT_EQ(expectedBytes(huge), -1);
}

} // namespace

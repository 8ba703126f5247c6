// golfc check's verdict (runtime/cpu/Agreement.h): within tolerance of the
// reference passes; beyond it, only a result no further from the exact
// (float64) one than twice the reference's own rounding error passes.
#include "runtime/cpu/Agreement.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace golf::cpu {
namespace {

Tensor vec(std::vector<double> v) {
  Shape shape{int64_t(v.size())};
  return Tensor::fromDoubles(DType::F32, shape, v);
}

TEST(Agreement, RelativeErrorIsTheNormOfTheDifference) {
  RelativeError e = relativeError(vec({3, 4}), vec({3, 0}));
  EXPECT_DOUBLE_EQ(e.rel, 4.0 / 3.0);
  EXPECT_TRUE(e.finite);
  EXPECT_FALSE(relativeError(vec({1, std::nan("")}), vec({1, 1})).finite);
  EXPECT_FALSE(relativeError(vec({1, std::numeric_limits<double>::infinity()}), vec({1, 1})).finite);
}

TEST(Agreement, WithinToleranceNeedsNoExactRun) {
  Agreement a = judge(vec({1.01, 2}), vec({1, 2}), nullptr, 2e-2);
  EXPECT_TRUE(a.ok);
  EXPECT_FALSE(a.toExact);
}

TEST(Agreement, BeyondToleranceWithoutExactFails) {
  EXPECT_FALSE(judge(vec({1.1, 2}), vec({1, 2}), nullptr, 2e-2).ok);
}

TEST(Agreement, RoundingNoiseOfTheReferencePasses) {
  // The exact value is 1; the reference rounded to 0.96, the backend to 1.04:
  // 8% apart, each 4% from the exact result.
  Tensor exact = vec({1, 0}), ref = vec({0.96, 0}), backend = vec({1.04, 0});
  Agreement a = judge(backend, ref, &exact, 2e-2);
  ASSERT_TRUE(a.toExact);
  EXPECT_NEAR(a.toExact->backend, 0.04, 1e-12);
  EXPECT_NEAR(a.toExact->reference, 0.04, 1e-12);
  EXPECT_TRUE(a.ok);
}

TEST(Agreement, AnErrorBeyondTheNoiseFails) {
  // The reference is 1% off the exact result; the backend 5% off: a real error.
  Tensor exact = vec({1, 1}), ref = vec({1.01, 0.99}), backend = vec({1.05, 0.95});
  Agreement a = judge(backend, ref, &exact, 2e-2);
  ASSERT_TRUE(a.toExact);
  EXPECT_FALSE(a.ok);
}

TEST(Agreement, NoisyReferenceDoesNotExcuseAnythingPastTheCap) {
  // The reference is 50% off, so twice that would excuse a result that is
  // all wrong; the cap of ten tolerances does not.
  Tensor exact = vec({1, 0}), ref = vec({1.5, 0}), backend = vec({0, 0});
  EXPECT_FALSE(judge(backend, ref, &exact, 2e-2).ok);
}

TEST(Agreement, NaNNeverPasses) {
  Tensor exact = vec({1, 1}), ref = vec({1.5, 1});
  EXPECT_FALSE(judge(vec({std::nan(""), 1}), ref, &exact, 2e-2).ok);
}

} // namespace
} // namespace golf::cpu

//===- GradientsTest.cpp - global-norm clipping and accumulation ----------===//
#include "runtime/train/Gradients.h"

#include "TestUtil.h"

namespace golf::train::test {
namespace {

TEST(GradClip, NormOverAllTensors) {
  cpu::ParamStore g{{"a", tensorOf({3, 0}, {2})}, {"b", tensorOf({0, 4}, {1, 2}, Storage::F32)}};
  std::string err;
  auto n = gradNorm(g, err);
  ASSERT_TRUE(n) << err;
  EXPECT_DOUBLE_EQ(*n, 5.0);
}

TEST(GradClip, ClipsLikeTorch) {
  Tensor a = tensorOf({3, 0}, {2}), b = tensorOf({0, 4}, {2});
  cpu::ParamStore g{{"a", a}, {"b", b}};
  std::string err;
  auto n = clipGradNorm(g, 1.0, err);
  ASSERT_TRUE(n) << err;
  EXPECT_DOUBLE_EQ(*n, 5.0);
  double coef = 1.0 / (5.0 + 1e-6);
  EXPECT_DOUBLE_EQ(g["a"].get(0), 3 * coef);
  EXPECT_DOUBLE_EQ(g["b"].get(1), 4 * coef);
  EXPECT_EQ(a.get(0), 3.0); // the caller's tensors are not written
  // Below the limit, or with clipping off: unchanged.
  cpu::ParamStore h{{"a", a}};
  ASSERT_TRUE(clipGradNorm(h, 10.0, err));
  EXPECT_TRUE(h["a"].sharesBufferWith(a));
  ASSERT_TRUE(clipGradNorm(h, 0.0, err));
  EXPECT_TRUE(h["a"].sharesBufferWith(a));
}

TEST(GradClip, Bf16GradientsStayBf16) {
  cpu::ParamStore g{{"e", tensorOf({0.3, -0.7, 1.1}, {3}, Storage::F32, DType::BF16)}};
  std::string err;
  ASSERT_TRUE(clipGradNorm(g, 0.1, err)) << err;
  for (int64_t i = 0; i < 3; ++i)
    EXPECT_EQ(g["e"].get(i), cpu::roundToDType(g["e"].get(i), DType::BF16));
}

TEST(GradClip, RejectsIntegerTensors) {
  cpu::ParamStore g{{"ids", Tensor::fromInts({2}, {1, 2})}};
  std::string err;
  EXPECT_FALSE(gradNorm(g, err));
  EXPECT_NE(err.find("gradient of 'ids' must be a float tensor"), std::string::npos) << err;
}

TEST(GradAccumulator, SumAndMean) {
  GradAccumulator acc;
  std::string err;
  ASSERT_TRUE(acc.add({{"w", tensorOf({1, 2}, {2}, Storage::F32)}}, err)) << err;
  ASSERT_TRUE(acc.add({{"w", tensorOf({3, 5}, {2}, Storage::F64)}}, err)) << err;
  ASSERT_TRUE(acc.add({{"w", tensorOf({0.5, -1}, {2}, Storage::F32)}}, err)) << err;
  EXPECT_EQ(acc.count(), 3);
  cpu::ParamStore sum = acc.sum(), mean = acc.mean();
  EXPECT_EQ(sum["w"].storage(), Storage::F32); // the first micro-batch's
  EXPECT_DOUBLE_EQ(sum["w"].get(0), 4.5);
  EXPECT_DOUBLE_EQ(mean["w"].get(1), float(6.0 / 3));
  EXPECT_DOUBLE_EQ(mean["w"].get(0), double(float(4.5 / 3)));
  acc.clear();
  EXPECT_EQ(acc.count(), 0);
  EXPECT_TRUE(acc.mean().empty());
}

TEST(GradAccumulator, MismatchesAreErrors) {
  GradAccumulator acc;
  std::string err;
  ASSERT_TRUE(acc.add({{"w", tensorOf({1, 2}, {2})}}, err));
  EXPECT_FALSE(acc.add({{"w", tensorOf({1, 2, 3}, {3})}}, err));
  EXPECT_NE(err.find("gradient of 'w' has shape [3], expected [2]"), std::string::npos) << err;
  EXPECT_FALSE(acc.add({{"v", tensorOf({1, 2}, {2})}}, err));
  EXPECT_NE(err.find("'v'"), std::string::npos) << err;
  EXPECT_EQ(acc.count(), 1);
}

} // namespace
} // namespace golf::train::test

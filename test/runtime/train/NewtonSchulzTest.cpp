//===- NewtonSchulzTest.cpp - Muon's orthogonalization --------------------===//
#include "runtime/train/NewtonSchulz.h"

#include "TestUtil.h"

#include <cstdio>

namespace golf::train::test {
namespace {

Tensor ns(const Tensor &g, int steps = 5, cpu::ThreadPool *pool = nullptr) {
  std::string err;
  auto out = newtonSchulz(g, steps, err, pool);
  EXPECT_TRUE(out.has_value()) << err;
  return out ? *out : Tensor();
}

TEST(NewtonSchulz, MatchesStraightforwardReference) {
  // Small matrices, both orientations (3x5 runs as is, 5x3 transposed).
  for (Shape shape : {Shape{3, 5}, Shape{5, 3}, Shape{4, 4}}) {
    std::vector<double> values = pseudoRandom(size_t(shape[0] * shape[1]), 11);
    Mat ref = referenceNewtonSchulz(Mat(shape[0], shape[1], values), 5);
    Tensor d = ns(tensorOf(values, shape, Storage::F64));
    Tensor f = ns(tensorOf(values, shape, Storage::F32));
    for (int64_t i = 0; i < d.numel(); ++i) {
      EXPECT_NEAR(d.get(i), ref.v[size_t(i)], 1e-12) << cpu::shapeString(shape);
      EXPECT_NEAR(f.get(i), ref.v[size_t(i)], 2e-5) << cpu::shapeString(shape);
    }
  }
}

TEST(NewtonSchulz, SingularValuesInBand) {
  // A random 48x96 matrix: singular values spread over an order of
  // magnitude; NS5 maps them all into the quintic's band around 1.
  for (Shape shape : {Shape{48, 96}, Shape{96, 48}}) {
    std::vector<double> values = pseudoRandom(size_t(shape[0] * shape[1]), 3);
    // Scale the short side's lines from 0.1 to 1 so that the singular
    // values spread over more than an order of magnitude.
    for (int64_t i = 0; i < shape[0]; ++i)
      for (int64_t j = 0; j < shape[1]; ++j) {
        int64_t line = shape[0] <= shape[1] ? i : j;
        values[size_t(i * shape[1] + j)] *= 0.1 + 0.9 * double(line) / 47.0;
      }
    Mat in(shape[0], shape[1], values);
    std::vector<double> before = singularValues(in);
    ASSERT_GT(before.back() / before.front(), 10.0);
    Tensor out = ns(tensorOf(values, shape, Storage::F32));
    std::vector<double> sv = singularValues(toMat(out));
    ASSERT_EQ(sv.size(), 48u);
    EXPECT_GT(sv.front(), 0.6) << cpu::shapeString(shape);
    EXPECT_LT(sv.back(), 1.25) << cpu::shapeString(shape);
    std::printf("NS5 singular values of %s: %.3f .. %.3f (input ratio %.1f)\n",
                cpu::shapeString(shape).c_str(), sv.front(), sv.back(),
                before.back() / before.front());
  }
}

TEST(NewtonSchulz, ZeroStepsIsNormalization) {
  std::vector<double> values = {3, 0, 0, 4};
  Tensor out = ns(tensorOf(values, {2, 2}), 0);
  EXPECT_NEAR(out.get(0), 0.6, 1e-7);
  EXPECT_NEAR(out.get(3), 0.8, 1e-7);
}

TEST(NewtonSchulz, ZeroMatrixStaysZero) {
  Tensor out = ns(tensorOf(std::vector<double>(6, 0.0), {2, 3}));
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_EQ(out.get(i), 0.0);
}

TEST(NewtonSchulz, BatchesAndThreadsGiveTheSameBits) {
  // A bank of 3 matrices big enough for parallelGemm to cut into slabs.
  const Shape shape{3, 160, 96};
  std::vector<double> values = pseudoRandom(size_t(3 * 160 * 96), 5);
  Tensor bank = tensorOf(values, shape, Storage::F32);
  Tensor serial = ns(bank);
  cpu::ThreadPool pool(2);
  Tensor threaded = ns(bank, 5, &pool);
  EXPECT_TRUE(sameBits(serial, threaded));
  // Each slice alone (with the pool, so its products are cut into slabs)
  // equals the batched result.
  for (int64_t s = 0; s < 3; ++s) {
    std::vector<double> slice(values.begin() + s * 160 * 96, values.begin() + (s + 1) * 160 * 96);
    Tensor one = ns(tensorOf(slice, {160, 96}, Storage::F32), 5, &pool);
    EXPECT_EQ(std::memcmp(one.data<float>(), serial.data<float>() + s * 160 * 96,
                          one.bytes()),
              0)
        << "slice " << s;
  }
}

TEST(NewtonSchulz, RejectsVectors) {
  std::string err;
  EXPECT_FALSE(newtonSchulz(tensorOf({1, 2, 3}, {3}), 5, err));
  EXPECT_NE(err.find("needs a matrix"), std::string::npos) << err;
}

} // namespace
} // namespace golf::train::test

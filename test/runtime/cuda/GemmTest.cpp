//===- GemmTest.cpp - cuBLASLt GEMMs against a float64 CPU reference ------===//
#include "GemmCase.h"
#include "GpuTest.h"

#include "runtime/cuda/Error.h"

#include <cstdio>

namespace golf::cuda::test {
namespace {

// Not multiples of 16 (or of 8), so no tile divides them.
GemmShape odd(ElemType in, ElemType out, bool transA, bool transB) {
  GemmShape s;
  s.m = 37;
  s.n = 53;
  s.k = 29;
  s.a = s.b = in;
  s.c = out;
  s.transA = transA;
  s.transB = transB;
  return s;
}

void expectAccurate(Gemm &gemm, const GemmShape &s, unsigned seed) {
  GemmCase c(s, seed);
  c.run(gemm);
  double err = c.relativeError();
  EXPECT_LT(err, tolerance(s)) << describe(s); // NaN fails
}

TEST(GemmTest, OddShapesEveryTransposeAndType) {
  GOLF_REQUIRE_GPU();
  Gemm gemm;
  const std::pair<ElemType, ElemType> types[] = {{ElemType::BF16, ElemType::BF16},
                                                 {ElemType::BF16, ElemType::F32},
                                                 {ElemType::F16, ElemType::F16},
                                                 {ElemType::F32, ElemType::F32}};
  unsigned seed = 1;
  for (auto [in, out] : types)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        expectAccurate(gemm, odd(in, out, ta, tb), seed++);
  EXPECT_EQ(gemm.tunedShapes(), 16u);
}

TEST(GemmTest, BatchedWithSharedAndStridedB) {
  GOLF_REQUIRE_GPU();
  Gemm gemm;
  for (ElemType t : {ElemType::BF16, ElemType::F32}) {
    GemmShape s;
    s.m = 33;
    s.n = 40;
    s.k = 24;
    s.a = s.b = s.c = t;
    s.batch = 3;
    s.strideA = s.m * s.k;
    s.strideC = s.m * s.n + 8; // gaps between entries must stay untouched
    s.strideB = 0;             // one weight for the whole batch
    expectAccurate(gemm, s, 11);
    s.strideB = s.k * s.n + 16;
    expectAccurate(gemm, s, 12);
    s.transB = true; // e.g. attention scores Q @ K^T per head
    expectAccurate(gemm, s, 13);
  }
}

TEST(GemmTest, BetaAccumulatesIntoC) {
  GOLF_REQUIRE_GPU();
  Gemm gemm;
  for (ElemType t : {ElemType::BF16, ElemType::F32}) {
    GemmShape s = odd(t, t, false, true);
    s.alpha = 0.75f;
    s.beta = -1.5f;
    expectAccurate(gemm, s, 21);
    s.c = ElemType::F32; // gradient accumulation into an f32 buffer
    expectAccurate(gemm, s, 22);
  }
}

TEST(GemmTest, LeadingDimsSelectSubmatrices) {
  GOLF_REQUIRE_GPU();
  Gemm gemm;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      GemmShape s = odd(ElemType::BF16, ElemType::BF16, ta, tb);
      s.lda = (ta ? s.m : s.k) + 3;
      s.ldb = (tb ? s.k : s.n) + 5;
      s.ldc = s.n + 7; // the 7 padding columns must stay untouched
      expectAccurate(gemm, s, 31);
    }
}

TEST(GemmTest, Tf32IsOptIn) {
  GOLF_REQUIRE_GPU();
  Gemm gemm;
  GemmShape s;
  s.m = s.n = 256;
  s.k = 512;
  s.a = s.b = s.c = ElemType::F32;
  expectAccurate(gemm, s, 41); // exact fp32: under 1e-5
  s.tf32 = true;
  expectAccurate(gemm, s, 41);
}

TEST(GemmTest, TuningIsCachedPerShapeAndAlignment) {
  GOLF_REQUIRE_GPU();
  Gemm gemm;
  GemmShape s = odd(ElemType::BF16, ElemType::BF16, false, false);
  GemmCase c(s, 51);
  const GemmTuning &first = c.run(gemm);
  EXPECT_GE(first.candidates, 1);
  EXPECT_GT(first.ms, 0);
  EXPECT_GE(first.algoId, 0);
  const GemmTuning &again = c.run(gemm);
  EXPECT_EQ(&first, &again);
  EXPECT_EQ(gemm.tunedShapes(), 1u);
  EXPECT_LT(c.relativeError(), tolerance(s));

  // A pointer 2 bytes past a 256-byte boundary is tuned separately: the
  // algorithm chosen for aligned pointers may need more alignment.
  GemmCase shifted(s, 52);
  DeviceBuffer moved(shifted.A.device.bytes() + 2);
  unsigned char *a = moved.as<unsigned char>() + 2;
  check(cudaMemcpy(a, shifted.A.device.data(), shifted.A.device.bytes(), cudaMemcpyDeviceToDevice),
        "cudaMemcpy");
  gemm.run(s, a, shifted.B.device.data(), shifted.C.device.data(), nullptr);
  EXPECT_EQ(gemm.tunedShapes(), 2u);
  EXPECT_LT(shifted.relativeError(), tolerance(s));
}

// The model's largest products: tokens x 512 -> 512 (attention projections)
// and 512 -> 1536 (MLP). Checked on 64 sampled rows.
TEST(GemmTest, BigShapes) {
  GOLF_REQUIRE_GPU();
  Gemm gemm;
  for (int64_t n : {512, 1536}) {
    GemmShape s;
    s.m = 65536;
    s.n = n;
    s.k = 512;
    s.transB = true; // y = x @ W^T, W stored (out x in) as in PyTorch
    GemmCase c(s, 61);
    const GemmTuning &t = c.run(gemm);
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < 64; ++i)
      rows.push_back((i * 104729) % s.m);
    EXPECT_LT(c.relativeError(rows), tolerance(s)) << describe(s);
    std::printf("%s: %.3f ms, %.0f TFLOP/s, algo %d of %d candidates\n", describe(s).c_str(), t.ms,
                2.0 * s.m * s.n * s.k / (t.ms * 1e-3) / 1e12, t.algoId, t.candidates);
  }
}

} // namespace
} // namespace golf::cuda::test

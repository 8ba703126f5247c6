//===- InitTest.cpp - parameter initializers ------------------------------===//
#include "runtime/train/Init.h"
#include "runtime/train/Rng.h"

#include "TestUtil.h"

namespace golf::train::test {
namespace {

Tensor init(const plan::Param &p, uint64_t seed = 1337, Storage storage = Storage::F32) {
  std::string err;
  auto t = initParam(p, seed, storage, err);
  EXPECT_TRUE(t.has_value()) << err;
  return t ? *t : Tensor();
}

struct Stats {
  double mean = 0, sd = 0, lo = 1e300, hi = -1e300;
};
Stats stats(const Tensor &t) {
  Stats s;
  double n = double(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) {
    double x = t.get(i);
    s.mean += x / n;
    s.lo = std::min(s.lo, x);
    s.hi = std::max(s.hi, x);
  }
  for (int64_t i = 0; i < t.numel(); ++i)
    s.sd += (t.get(i) - s.mean) * (t.get(i) - s.mean) / n;
  s.sd = std::sqrt(s.sd);
  return s;
}

TEST(Init, Constants) {
  Tensor z = init(param("z", {3, 4}, {{"kind", "zeros"}}));
  Tensor o = init(param("o", {5}, {{"kind", "ones"}}));
  Tensor f = init(param("f", {}, {{"kind", "fill"}, {"value", 0.05}}));
  for (int64_t i = 0; i < z.numel(); ++i)
    EXPECT_EQ(z.get(i), 0.0);
  for (int64_t i = 0; i < o.numel(); ++i)
    EXPECT_EQ(o.get(i), 1.0);
  ASSERT_EQ(f.numel(), 1);
  EXPECT_EQ(f.get(0), double(0.05f));
  EXPECT_EQ(f.storage(), Storage::F32);
}

TEST(Init, NormalStatistics) {
  Tensor t = init(param("emb", {512, 256}, {{"kind", "normal"}, {"std", 0.02}, {"mean", 0.1}}));
  Stats s = stats(t);
  double n = double(t.numel());
  EXPECT_NEAR(s.mean, 0.1, 4 * 0.02 / std::sqrt(n));
  EXPECT_NEAR(s.sd, 0.02, 0.02 * 4 / std::sqrt(2 * n));
  // Tails exist but are Gaussian: about 0.27% beyond 3 sigma.
  int64_t beyond = 0;
  for (int64_t i = 0; i < t.numel(); ++i)
    beyond += std::abs(t.get(i) - 0.1) > 3 * 0.02;
  EXPECT_NEAR(double(beyond) / n, 0.0027, 0.0006);
}

TEST(Init, UniformStatistics) {
  Tensor t = init(param("u", {300, 300}, {{"kind", "uniform"}, {"low", -0.5}, {"high", 1.5}}));
  Stats s = stats(t);
  EXPECT_GE(s.lo, -0.5);
  EXPECT_LE(s.hi, 1.5);
  EXPECT_LT(s.lo, -0.499);
  EXPECT_GT(s.hi, 1.499);
  EXPECT_NEAR(s.mean, 0.5, 0.01);
  EXPECT_NEAR(s.sd, 2.0 / std::sqrt(12.0), 0.005);
}

TEST(Init, LinearDefaultBoundsUseLastDim) {
  Tensor t = init(param("fc", {64, 400}, {{"kind", "linear_default"}}));
  double bound = 1.0 / std::sqrt(400.0);
  Stats s = stats(t);
  EXPECT_GE(s.lo, -bound);
  EXPECT_LE(s.hi, bound);
  EXPECT_LT(s.lo, -0.99 * bound);
  EXPECT_GT(s.hi, 0.99 * bound);
  EXPECT_NEAR(s.sd, bound / std::sqrt(3.0), 0.02 * bound);
}

/// ||A Aᵀ - gain² I||_max for the rows (or AᵀA for the columns).
double orthogonalityError(const Mat &m, bool rows, double gain) {
  Mat g = rows ? matmul(m, transpose(m)) : matmul(transpose(m), m);
  double err = 0;
  for (int64_t i = 0; i < g.rows; ++i)
    for (int64_t j = 0; j < g.cols; ++j)
      err = std::max(err, std::abs(g(i, j) - (i == j ? gain * gain : 0.0)));
  return err;
}

TEST(Init, OrthogonalSquareTallWide) {
  Tensor sq = init(param("sq", {64, 64}, {{"kind", "orthogonal"}, {"gain", 1.0}}), 1, Storage::F64);
  EXPECT_LT(orthogonalityError(toMat(sq), true, 1.0), 1e-6); // rounded to f32 values
  EXPECT_LT(orthogonalityError(toMat(sq), false, 1.0), 1e-6);
  // rows > cols: orthonormal columns.
  Tensor tall = init(param("tall", {96, 32}, {{"kind", "orthogonal"}, {"gain", 0.5}}));
  EXPECT_LT(orthogonalityError(toMat(tall), false, 0.5), 1e-6);
  // rows < cols: orthonormal rows.
  Tensor wide = init(param("wide", {16, 80}, {{"kind", "orthogonal"}}));
  EXPECT_LT(orthogonalityError(toMat(wide), true, 1.0), 1e-6);
}

/// Modified Gram-Schmidt on the columns of a tall matrix: the Q of the QR
/// factorization whose R has a positive diagonal, i.e. what torch's
/// orthogonal_ returns after its sign fix.
Mat gramSchmidtColumns(Mat a) {
  for (int64_t j = 0; j < a.cols; ++j) {
    for (int64_t k = 0; k < j; ++k) {
      double dot = 0;
      for (int64_t i = 0; i < a.rows; ++i)
        dot += a(i, k) * a(i, j);
      for (int64_t i = 0; i < a.rows; ++i)
        a(i, j) -= dot * a(i, k);
    }
    double norm = 0;
    for (int64_t i = 0; i < a.rows; ++i)
      norm += a(i, j) * a(i, j);
    for (int64_t i = 0; i < a.rows; ++i)
      a(i, j) /= std::sqrt(norm);
  }
  return a;
}

TEST(Init, OrthogonalIsTorchsQrWithSignFix) {
  // Same Gaussian draws as the initializer (element i: normalAt(i)).
  for (Shape shape : {Shape{12, 5}, Shape{5, 12}}) {
    Tensor t = init(param("w", shape, {{"kind", "orthogonal"}, {"gain", 2.0}}), 7, Storage::F64);
    RandomStream stream(7, "w");
    Mat g(shape[0], shape[1]);
    for (int64_t i = 0; i < t.numel(); ++i)
      g.v[size_t(i)] = stream.normalAt(uint64_t(i));
    bool wide = shape[0] < shape[1];
    Mat q = gramSchmidtColumns(wide ? transpose(g) : g);
    if (wide)
      q = transpose(q);
    for (int64_t i = 0; i < t.numel(); ++i)
      EXPECT_NEAR(t.get(i), 2.0 * q.v[size_t(i)], 1e-6) << cpu::shapeString(shape) << " " << i;
  }
}

TEST(Init, OrthogonalBankSlices) {
  Tensor bank = init(param("qo_bank", {3, 32, 48}, {{"kind", "orthogonal"}}));
  for (int64_t s = 0; s < 3; ++s)
    EXPECT_LT(orthogonalityError(toMat(bank, s * 32 * 48), true, 1.0), 1e-6) << "slice " << s;
  EXPECT_NE(bank.get(0), bank.get(32 * 48));
}

TEST(Init, RowsInitializeLeadingAxis) {
  Json init2 = {{"kind", "rows"}, {"rows", {{{"kind", "ones"}}, {{"kind", "zeros"}}}}};
  Tensor mix = init(param("resid_mix", {2, 8}, init2));
  for (int64_t j = 0; j < 8; ++j) {
    EXPECT_EQ(mix.get(j), 1.0);
    EXPECT_EQ(mix.get(8 + j), 0.0);
  }
  Json init3 = {{"kind", "rows"},
                {"rows",
                 {{{"kind", "orthogonal"}, {"gain", 1.0}},
                  {{"kind", "fill"}, {"value", 3.0}}}}};
  Tensor t = init(param("pair", {2, 4, 4}, init3));
  EXPECT_LT(orthogonalityError(toMat(t, 0), true, 1.0), 1e-6);
  for (int64_t i = 16; i < 32; ++i)
    EXPECT_EQ(t.get(i), 3.0);
}

TEST(Init, Bf16ParamsAreRounded) {
  for (Storage storage : {Storage::F32, Storage::F64}) {
    Tensor t = init(param("tok_emb", {64, 32}, {{"kind", "normal"}, {"std", 0.005}}, "embed",
                          DType::BF16),
                    1337, storage);
    EXPECT_EQ(t.dtype(), DType::BF16);
    for (int64_t i = 0; i < t.numel(); ++i)
      ASSERT_EQ(t.get(i), cpu::roundToDType(t.get(i), DType::BF16)) << i;
  }
}

TEST(Init, DeterministicAndIndependentPerName) {
  Json normal = {{"kind", "normal"}, {"std", 1.0}};
  plan::Plan small = planOf({param("a", {16, 16}, normal), param("b", {8}, normal)},
                            {{"seed", 42}});
  plan::Plan big = planOf({param("z", {4, 4}, normal), param("b", {8}, normal),
                           param("c", {3}, {{"kind", "uniform"}, {"low", 0}, {"high", 1}}),
                           param("a", {16, 16}, normal)},
                          {{"seed", 42}});
  std::string err;
  cpu::ParamStore p1, p2, p3;
  ASSERT_TRUE(initParams(small, p1, err)) << err;
  ASSERT_TRUE(initParams(big, p2, err)) << err;
  EXPECT_TRUE(sameBits(p1["a"], p2["a"]));
  EXPECT_TRUE(sameBits(p1["b"], p2["b"]));
  ASSERT_TRUE(initParams(small, p3, err)) << err;
  EXPECT_TRUE(sameBits(p1["a"], p3["a"]));
  // Another name or another seed gives other values.
  EXPECT_NE(p1["a"].get(0), p2["z"].get(0));
  cpu::ParamStore p4;
  ASSERT_TRUE(initParams(small, p4, err, {uint64_t(43), Storage::F32})) << err;
  EXPECT_FALSE(sameBits(p1["a"], p4["a"]));
  EXPECT_EQ(trainSeed(small), 42u);
  EXPECT_EQ(trainSeed(planOf({})), 1337u);
}

TEST(Init, F64StorageHoldsTheSameValues) {
  Json normal = {{"kind", "normal"}, {"std", 0.3}};
  Tensor a = init(param("w", {10, 10}, normal), 5, Storage::F32);
  Tensor b = init(param("w", {10, 10}, normal), 5, Storage::F64);
  EXPECT_EQ(b.storage(), Storage::F64);
  for (int64_t i = 0; i < a.numel(); ++i)
    EXPECT_EQ(a.get(i), b.get(i));
}

// pgolf-spec §4.4: B[a,b] = clamp(log p(b|a) - log p(b), -clip, clip) from
// smoothed bigram counts of the first `tokens` tokens.
TEST(Init, BigramPmiFromTokens) {
  std::vector<uint16_t> tokens{0, 1, 0, 1, 0, 2, 2, 2, 9, 9};
  plan::Json spec{{"kind", "bigram_pmi"}, {"alpha", 0.5}, {"clip", 1.0}, {"tokens", 8}};
  std::string err;
  auto t = initParam(param("head", {3, 3}, spec), 1, Storage::F64, err, &tokens);
  ASSERT_TRUE(t) << err;
  // Pairs of the first 8 tokens: 0>1 x2, 1>0 x2, 0>2, 2>2 x2 (total 7).
  double c[3][3] = {{0, 2, 1}, {2, 0, 0}, {0, 0, 2}};
  double rows[3] = {3, 2, 2}, cols[3] = {2, 2, 3}, total = 7, v = 3, alpha = 0.5;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      double pmi = std::log(c[a][b] + alpha) - std::log(rows[a] + alpha * v) -
                   (std::log(cols[b] + alpha) - std::log(total + alpha * v));
      // The f32 parameter holds the value rounded to float.
      EXPECT_EQ(t->get(a * 3 + b), double(float(std::clamp(pmi, -1.0, 1.0)))) << a << "," << b;
    }
  // Token 9 lies outside a 3-token table once all 10 tokens are counted.
  spec["tokens"] = 10;
  EXPECT_FALSE(initParam(param("head", {3, 3}, spec), 1, Storage::F64, err, &tokens));
  EXPECT_NE(err.find("outside the table's vocabulary of 3"), std::string::npos) << err;
  EXPECT_FALSE(initParam(param("head", {3, 4}, spec), 1, Storage::F64, err, &tokens));
  EXPECT_NE(err.find("square"), std::string::npos) << err;
}

TEST(Init, Errors) {
  std::string err;
  EXPECT_FALSE(initParam(param("bigram.head", {16, 16}, {{"kind", "bigram_pmi"}, {"alpha", 0.25}}),
                         1, Storage::F32, err));
  EXPECT_NE(err.find("bigram_pmi counts training tokens; none were given"), std::string::npos)
      << err;
  EXPECT_NE(err.find("bigram.head"), std::string::npos) << err;
  EXPECT_FALSE(initParam(param("x", {4}, {{"kind", "kaiming"}}), 1, Storage::F32, err));
  EXPECT_NE(err.find("unknown initializer kind 'kaiming'"), std::string::npos) << err;
  EXPECT_FALSE(initParam(param("x", {3, 2}, {{"kind", "rows"}, {"rows", {{{"kind", "ones"}}}}}),
                         1, Storage::F32, err));
  EXPECT_NE(err.find("rows gives 1 initializers for a leading axis of 3"), std::string::npos)
      << err;
  EXPECT_FALSE(initParam(param("x", {4}, {{"kind", "orthogonal"}}), 1, Storage::F32, err));
  EXPECT_NE(err.find("rank 2"), std::string::npos) << err;
  EXPECT_FALSE(initParam(param("x", {4}, {{"kind", "normal"}}), 1, Storage::F32, err));
  EXPECT_NE(err.find("needs 'std'"), std::string::npos) << err;
  EXPECT_FALSE(initParam(param("x", {4}, {{"kind", "fill"}, {"value", "one"}}), 1, Storage::F32, err));
  EXPECT_NE(err.find("'value' must be a number"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos);
}

} // namespace
} // namespace golf::train::test

//===- ModelOpsTest.cpp - norm, loss, matmul, rope, attention, fake_quant --===//
#include "TestUtil.h"

#include <cfloat>

namespace golf::cpu::test {
namespace {

TEST(Norm, RmsNormDefaultAndExplicitEps) {
  std::vector<double> x = randomValues(12, 4);
  auto expected = [&](double eps) {
    std::vector<double> y;
    for (int r = 0; r < 3; ++r) {
      double ss = 0;
      for (int i = 0; i < 4; ++i)
        ss += x[size_t(r * 4 + i)] * x[size_t(r * 4 + i)];
      for (int i = 0; i < 4; ++i)
        y.push_back(x[size_t(r * 4 + i)] / std::sqrt(ss / 4 + eps));
    }
    return y;
  };
  expectNear(run1("rms_norm", {f64({3, 4}, x)}, DType::F32, {3, 4}), expected(FLT_EPSILON));
  expectNear(run1("rms_norm", {f64({3, 4}, x)}, DType::F32, {3, 4}, {{"eps", 0.25}}), expected(0.25));
  // bf16 input: eps defaults to float32's 2^-23, F.rms_norm's computation
  // type (not bf16's 2^-7).
  expectNear(run1("rms_norm", {f64({3, 4}, x, DType::BF16)}, DType::BF16, {3, 4}), expected(0x1p-23));
}

TEST(Loss, CrossEntropyMatchesDirectFormula) {
  std::vector<double> z = randomValues(2 * 3 * 5, 5, 2.0);
  std::vector<int32_t> t = {0, 4, 2, 1, 3, 4};
  std::vector<double> nll;
  for (int r = 0; r < 6; ++r) {
    double s = 0;
    for (int v = 0; v < 5; ++v)
      s += std::exp(z[size_t(r * 5 + v)]);
    nll.push_back(std::log(s) - z[size_t(r * 5 + t[size_t(r)])]);
  }
  Tensor tz = f64({2, 3, 5}, z), tt = ids({2, 3}, t);
  expectNear(run1("cross_entropy", {tz, tt}, DType::F32, {2, 3}, {{"reduction", "none"}}), nll);
  double mean = 0;
  for (double v : nll)
    mean += v / 6;
  expectNear(run1("cross_entropy", {tz, tt}, DType::F32, {}, {{"reduction", "mean"}}), {mean});
}

/// Naive [m,k]x[k,n] with optional transposes, for checking gemm calls.
std::vector<double> naiveMatmul(const std::vector<double> &a, const std::vector<double> &b,
                                int batchA, int batchB, int m, int n, int k, bool ta, bool tb) {
  std::vector<double> c;
  for (int p = 0; p < batchA; ++p)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int l = 0; l < k; ++l) {
          double av = ta ? a[size_t(p * m * k + l * m + i)] : a[size_t(p * m * k + i * k + l)];
          int q = batchB == 1 ? 0 : p;
          double bv = tb ? b[size_t(q * n * k + j * k + l)] : b[size_t(q * n * k + l * n + j)];
          s += av * bv;
        }
        c.push_back(s);
      }
  return c;
}

TEST(Matmul, LinearLayerAndBatched) {
  std::vector<double> a = randomValues(2 * 3 * 4, 6), w = randomValues(5 * 4, 7);
  // linear layer h @ W^T: [2,3,4] x [5,4]^T
  expectNear(run1("matmul", {f64({2, 3, 4}, a), f64({5, 4}, w)}, DType::F32, {2, 3, 5},
                  {{"transpose_rhs", true}}),
             naiveMatmul(a, w, 6, 1, 1, 5, 4, false, true));
  // batched with both transposes: [2,4,3]^T x [2,5,4]^T -> [2,3,5]
  std::vector<double> b = randomValues(2 * 5 * 4, 8);
  expectNear(run1("matmul", {f64({2, 4, 3}, a), f64({2, 5, 4}, b)}, DType::F32, {2, 3, 5},
                  {{"transpose_lhs", true}, {"transpose_rhs", true}}),
             naiveMatmul(a, b, 2, 2, 3, 5, 4, true, true));
  // transposed lhs with a shared rhs: [2,4,3]^T x [4,5]
  expectNear(run1("matmul", {f64({2, 4, 3}, a), f64({4, 5}, w)}, DType::F32, {2, 3, 5},
                  {{"transpose_lhs", true}}),
             naiveMatmul(a, w, 2, 1, 3, 5, 4, true, false));
}

TEST(Rope, RotatesKnownVectors) {
  // [1,1,T=2,D=4], dims 4, base 10000: theta_0 = t, theta_1 = t / 100.
  Tensor x = f64({1, 1, 2, 4}, {1, 0, 0, 0, 1, 2, 3, 4});
  auto y = run1("rope", {x}, DType::F32, {1, 1, 2, 4}, {{"base", 10000.0}, {"dims", 4}});
  double c0 = std::cos(1.0), s0 = std::sin(1.0), c1 = std::cos(0.01), s1 = std::sin(0.01);
  expectNear(y, {1, 0, 0, 0, // t = 0: identity
                 1 * c0 + 3 * s0, 2 * c1 + 4 * s1, -1 * s0 + 3 * c0, -2 * s1 + 4 * c1});
  // partial: dims 2 rotates (x0, x1) only and passes x2, x3 through.
  auto p = run1("rope", {x}, DType::F32, {1, 1, 2, 4}, {{"base", 10000.0}, {"dims", 2}});
  expectNear(p, {1, 0, 0, 0, 1 * c0 + 2 * s0, -1 * s0 + 2 * c0, 3, 4});
  // inverse undoes the forward rotation.
  auto back = run1("rope", {f64({1, 1, 2, 4}, y)}, DType::F32, {1, 1, 2, 4},
                   {{"base", 10000.0}, {"dims", 4}, {"inverse", true}});
  expectNear(back, x.toDoubles(), 1e-14);
}

/// softmax(q k^T * scale) v, query head h reading KV head h / (H / Hkv).
std::vector<double> naiveAttention(const std::vector<double> &q, const std::vector<double> &k,
                                   const std::vector<double> &v, int B, int H, int Hkv, int T,
                                   int S, int D, int Dv, bool causal, double scale) {
  std::vector<double> y(static_cast<size_t>(B * H * T * Dv));
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h) {
      int g = h / (H / Hkv);
      for (int i = 0; i < T; ++i) {
        std::vector<double> w(static_cast<size_t>(S), 0.0);
        double m = -INFINITY, sum = 0;
        for (int j = 0; j < S; ++j) {
          if (causal && j > i)
            continue;
          double s = 0;
          for (int d = 0; d < D; ++d)
            s += q[size_t(((b * H + h) * T + i) * D + d)] * k[size_t(((b * Hkv + g) * S + j) * D + d)];
          w[size_t(j)] = s * scale;
          m = std::max(m, w[size_t(j)]);
        }
        for (int j = 0; j < S; ++j) {
          w[size_t(j)] = (causal && j > i) ? 0.0 : std::exp(w[size_t(j)] - m);
          sum += w[size_t(j)];
        }
        for (int d = 0; d < Dv; ++d) {
          double acc = 0;
          for (int j = 0; j < S; ++j)
            acc += w[size_t(j)] / sum * v[size_t(((b * Hkv + g) * S + j) * Dv + d)];
          y[size_t(((b * H + h) * T + i) * Dv + d)] = acc;
        }
      }
    }
  return y;
}

struct AttnCase {
  int B, H, Hkv, T, S, D, Dv;
  bool causal;
};

TEST(Attention, MatchesNaiveLoops) {
  const AttnCase cases[] = {
      {2, 4, 2, 5, 5, 3, 4, true},  // causal GQA
      {1, 3, 3, 4, 4, 2, 2, true},  // causal MHA
      {2, 4, 1, 3, 6, 4, 5, false}, // cross-length, MQA
  };
  for (const AttnCase &c : cases) {
    SCOPED_TRACE(testing::Message() << "H=" << c.H << " Hkv=" << c.Hkv << " causal=" << c.causal);
    auto q = randomValues(size_t(c.B * c.H * c.T * c.D), 11);
    auto k = randomValues(size_t(c.B * c.Hkv * c.S * c.D), 12);
    auto v = randomValues(size_t(c.B * c.Hkv * c.S * c.Dv), 13);
    double scale = 1 / std::sqrt(double(c.D));
    Json attrs = {{"scale", scale}};
    if (c.causal)
      attrs["causal"] = true;
    auto y = run1("attention",
                  {f64({c.B, c.H, c.T, c.D}, q), f64({c.B, c.Hkv, c.S, c.D}, k),
                   f64({c.B, c.Hkv, c.S, c.Dv}, v)},
                  DType::F32, {c.B, c.H, c.T, c.Dv}, attrs);
    expectNear(y, naiveAttention(q, k, v, c.B, c.H, c.Hkv, c.T, c.S, c.D, c.Dv, c.causal, scale),
               1e-13);
  }
}

TEST(Quant, FakeQuantSteValues) {
  // bits 3: levels -4..3; row max 1.2 -> s = 0.4.
  // w / s = 0.75, -3, 1.25, 0.125, 2.5 -> 1, -3, 1, 0, 2 (half to even).
  Tensor w = f64({2, 5}, {0.3, -1.2, 0.5, 0.05, 1.0, 0, 0, 0, 0, 0});
  auto y = run1("fake_quant", {w}, DType::F32, {2, 5}, {{"bits", 3}, {"mode", "ste"}});
  expectNear(y, {0.4, -1.2, 0.4, 0, 0.8, 0, 0, 0, 0, 0}, 1e-15);
}

TEST(Quant, FakeQuantSoftRoundValues) {
  const double a = 4.0;
  auto sr = [a](double y) {
    double f = std::floor(y);
    return f + 0.5 * std::tanh(a * (y - f - 0.5)) / std::tanh(a / 2) + 0.5;
  };
  Tensor w = f64({1, 4}, {0.3, -1.2, 0.5, 0.05});
  auto y = run1("fake_quant", {w}, DType::F32, {1, 4},
                {{"bits", 3}, {"mode", "soft_round"}, {"alpha", a}});
  double s = 0.4;
  expectNear(y, {sr(0.75) * s, sr(-3) * s, sr(1.25) * s, sr(0.125) * s}, 1e-15);
  EXPECT_NEAR(sr(-3), -3, 1e-15); // integers are fixed points
}

// The sharpness as an operand (what golf-insert-qat makes, so the trainer
// can anneal it) gives what the attribute gives, forward and backward.
TEST(Quant, SharpnessOperandMatchesAttribute) {
  Tensor w = f64({2, 4}, {0.3, -1.2, 0.5, 0.05, 2.0, -0.7, 0.01, 1.1});
  Tensor dy = f64({2, 4}, {1, -2, 0.5, 3, -1, 0.25, 2, -0.5});
  Tensor alpha = f64({}, {6.0});
  Json attrs = {{"bits", 4}, {"mode", "soft_round"}};
  Json withAlpha = attrs;
  withAlpha["alpha"] = 6.0;
  expectNear(run1("fake_quant", {w, alpha}, DType::F32, {2, 4}, attrs),
             run1("fake_quant", {w}, DType::F32, {2, 4}, withAlpha), 0);
  expectNear(run1("fake_quant_grad", {w, dy, alpha}, DType::F32, {2, 4}, attrs),
             run1("fake_quant_grad", {w, dy}, DType::F32, {2, 4}, withAlpha), 0);
}

} // namespace
} // namespace golf::cpu::test

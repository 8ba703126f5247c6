//===- AdamTest.cpp - Adam and AdamW against torch's formulas -------------===//
#include "runtime/train/Optimizer.h"

#include "TestUtil.h"

namespace golf::train::test {
namespace {

Json adam(const char *kind, double wd) {
  return {{"kind", kind}, {"group", "scalar"}, {"lr", 0.04},
          {"betas", {0.9, 0.95}}, {"eps", 1e-8}, {"wd", wd}};
}

/// torch.optim.Adam / AdamW's single-tensor step, element by element.
struct TorchAdam {
  bool decoupled;
  double lr, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd;
  std::vector<double> m, v;
  int t = 0;
  void step(std::vector<double> &p, std::vector<double> g, double lrNow) {
    ++t;
    m.resize(p.size());
    v.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      if (decoupled)
        p[i] *= 1 - lrNow * wd;                 // p.mul_(1 - lr * weight_decay)
      else
        g[i] += wd * p[i];                      // grad = grad.add(param, alpha=wd)
      m[i] += (g[i] - m[i]) * (1 - b1);         // exp_avg.lerp_(grad, 1 - beta1)
      v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i]; // exp_avg_sq.mul_(b2).addcmul_(g, g, 1 - b2)
      double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
      double denom = std::sqrt(v[i]) / std::sqrt(bc2) + eps;
      p[i] -= lrNow / bc1 * m[i] / denom;       // addcdiv_(exp_avg, denom, -lr / bc1)
    }
  }
};

void threeSteps(const char *kind, bool decoupled, double wd) {
  plan::Plan p = planOf({param("s", {5}, {{"kind", "ones"}}, "scalar")},
                        {{"optimizers", {adam(kind, wd)}}});
  std::string err;
  auto o = Optimizers::create(p, err);
  ASSERT_TRUE(o) << err;
  std::vector<double> w = {1.0, -0.5, 0.25, 2.0, 0.0};
  std::vector<std::vector<double>> grads = {{0.1, -0.2, 0.3, 0.0, 1e-3},
                                            {-0.05, 0.4, 0.1, 0.2, -2.0},
                                            {0.3, 0.3, -0.3, 0.1, 0.5}};
  std::vector<double> mults = {1.0, 0.5, 0.25};
  TorchAdam ref{decoupled, 0.04, 0.9, 0.95, 1e-8, wd};
  std::vector<double> expect = w;
  cpu::ParamStore params{{"s", tensorOf(w, {5})}};
  for (int s = 0; s < 3; ++s) {
    ASSERT_TRUE(o->step(params, {{"s", tensorOf(grads[size_t(s)], {5})}}, {s, mults[size_t(s)]},
                        err))
        << err;
    ref.step(expect, grads[size_t(s)], 0.04 * mults[size_t(s)]);
    for (int64_t i = 0; i < 5; ++i)
      EXPECT_NEAR(params["s"].get(i), expect[size_t(i)], 1e-14)
          << kind << " wd " << wd << " step " << s << " element " << i;
  }
  StateBlob st = o->saveState();
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(st.tensors.at(std::string("0.") + kind + ".scalar/exp_avg/s").get(i),
                ref.m[size_t(i)], 1e-15);
    EXPECT_NEAR(st.tensors.at(std::string("0.") + kind + ".scalar/exp_avg_sq/s").get(i),
                ref.v[size_t(i)], 1e-15);
  }
  EXPECT_EQ(st.meta[std::string("0.") + kind + ".scalar/"]["steps"], 3);
}

TEST(Adam, ThreeStepsLikeTorch) { threeSteps("adam", false, 0.0); }
TEST(Adam, L2WeightDecayLikeTorch) { threeSteps("adam", false, 0.1); }
TEST(AdamW, ThreeStepsLikeTorch) { threeSteps("adamw", true, 0.04); }

TEST(Adam, FirstStepIsSignedLr) {
  // Bias correction makes step 1 move every element by lr * g/|g| (up to eps).
  plan::Plan p = planOf({param("s", {3}, {{"kind", "zeros"}}, "scalar")},
                        {{"optimizers", {adam("adam", 0.0)}}});
  std::string err;
  auto o = Optimizers::create(p, err);
  ASSERT_TRUE(o) << err;
  cpu::ParamStore params{{"s", tensorOf({0, 0, 0}, {3}, Storage::F32)}};
  ASSERT_TRUE(o->step(params, {{"s", tensorOf({2.0, -0.001, 5.0}, {3}, Storage::F32)}}, {0, 1.0},
                      err));
  EXPECT_NEAR(params["s"].get(0), -0.04, 1e-7);
  EXPECT_NEAR(params["s"].get(1), 0.04, 1e-6);
  EXPECT_NEAR(params["s"].get(2), -0.04, 1e-7);
}

TEST(Adam, Bf16ParamsAndMomentsStayBf16) {
  plan::Plan p = planOf({param("tok_emb", {4, 3}, {{"kind", "zeros"}}, "embed", DType::BF16)},
                        {{"optimizers", {{{"kind", "adam"}, {"group", "embed"}, {"lr", 0.05}}}}});
  std::string err;
  auto o = Optimizers::create(p, err);
  ASSERT_TRUE(o) << err;
  cpu::ParamStore params{{"tok_emb", tensorOf(pseudoRandom(12, 4, 0.01), {4, 3}, Storage::F32,
                                              DType::BF16)}};
  for (int s = 0; s < 3; ++s)
    ASSERT_TRUE(o->step(params,
                        {{"tok_emb", tensorOf(pseudoRandom(12, 10 + uint64_t(s)), {4, 3},
                                              Storage::F32, DType::BF16)}},
                        {s, 1.0}, err))
        << err;
  StateBlob st = o->saveState();
  for (const Tensor &t : {params["tok_emb"], st.tensors.at("0.adam.embed/exp_avg/tok_emb"),
                          st.tensors.at("0.adam.embed/exp_avg_sq/tok_emb")}) {
    EXPECT_EQ(t.dtype(), DType::BF16);
    for (int64_t i = 0; i < t.numel(); ++i)
      EXPECT_EQ(t.get(i), cpu::roundToDType(t.get(i), DType::BF16));
  }
}

TEST(Adam, DefaultsFollowTheSettings) {
  // adamw's default wd is 0.01 (Settings.cpp); a param's own wd wins.
  plan::Plan p = planOf({param("a", {2}, {{"kind", "zeros"}}, "scalar"),
                         param("b", {2}, {{"kind", "zeros"}}, "scalar")},
                        {{"optimizers", {{{"kind", "adamw"}, {"group", "scalar"}, {"lr", 0.5}}}}});
  p.params[1].wd = 0.0;
  std::string err;
  auto o = Optimizers::create(p, err);
  ASSERT_TRUE(o) << err;
  cpu::ParamStore params{{"a", tensorOf({1, 2}, {2})}, {"b", tensorOf({1, 2}, {2})}};
  Tensor zero = tensorOf({0, 0}, {2});
  ASSERT_TRUE(o->step(params, {{"a", zero}, {"b", zero}}, {0, 1.0}, err)) << err;
  EXPECT_DOUBLE_EQ(params["a"].get(1), 2 * (1 - 0.5 * 0.01));
  EXPECT_DOUBLE_EQ(params["b"].get(1), 2.0);
}

} // namespace
} // namespace golf::train::test

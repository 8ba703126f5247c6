//===- MuonTest.cpp - Muon against formulas written out by hand -----------===//
#include "runtime/train/Optimizer.h"

#include "TestUtil.h"

namespace golf::train::test {
namespace {

Json muon(Json extra = Json::object()) {
  Json m = {{"kind", "muon"},     {"group", "matrix"}, {"lr", 0.1},     {"momentum", 0.9},
            {"nesterov", true},   {"ns_steps", 5},     {"wd", 0.0},     {"row_normalize", false},
            {"parallel", false}};
  for (auto &[k, v] : extra.items())
    m[k] = v;
  return m;
}

plan::Plan muonPlan(Shape shape, Json settings = muon(), DType dtype = DType::F32) {
  return planOf({param("w", shape, {{"kind", "zeros"}}, "matrix", dtype)},
                {{"optimizers", {settings}}});
}

Optimizers make(const plan::Plan &p, int threads = 2) {
  std::string err;
  auto o = Optimizers::create(p, err, threads);
  EXPECT_TRUE(o.has_value()) << err;
  return std::move(*o);
}

void step(Optimizers &o, cpu::ParamStore &params, const Tensor &grad, int64_t index,
          double mult = 1.0) {
  std::string err;
  ASSERT_TRUE(o.step(params, {{"w", grad}}, {index, mult}, err)) << err;
}

Mat scaled(const Mat &a, double s) {
  Mat r = a;
  for (double &x : r.v)
    x *= s;
  return r;
}
Mat plus(const Mat &a, const Mat &b) {
  Mat r = a;
  for (size_t i = 0; i < r.v.size(); ++i)
    r.v[i] += b.v[i];
  return r;
}

void expectNear(const Tensor &t, const Mat &m, double tol) {
  ASSERT_EQ(t.numel(), int64_t(m.v.size()));
  for (int64_t i = 0; i < t.numel(); ++i)
    EXPECT_NEAR(t.get(i), m.v[size_t(i)], tol) << "element " << i;
}

// Two steps on a 2x3 matrix (no transpose, scale 1) and on a 3x2 matrix
// (transposed inside NS, scale sqrt(3/2)), Nesterov, momentum 0.9:
//   step 1: buf1 = g1,            u1 = g1 + 0.9 buf1,  W1 = W0 - lr s NS(u1)
//   step 2: buf2 = 0.9 buf1 + g2, u2 = g2 + 0.9 buf2,  W2 = W1 - lr s NS(u2)
TEST(Muon, TwoStepsByHand) {
  for (Shape shape : {Shape{2, 3}, Shape{3, 2}}) {
    const int64_t r = shape[0], c = shape[1];
    const double lr = 0.1, mu = 0.9, s = std::sqrt(std::max(1.0, double(r) / double(c)));
    Mat w0(r, c, {0.5, -0.25, 0.125, 1.0, -1.0, 0.75});
    Mat g1(r, c, {0.3, -0.1, 0.2, 0.05, -0.4, 0.6});
    Mat g2(r, c, {-0.2, 0.5, 0.1, 0.3, 0.0, -0.7});
    Optimizers o = make(muonPlan(shape));
    cpu::ParamStore params{{"w", tensorOf(w0.v, shape)}};
    step(o, params, tensorOf(g1.v, shape), 0);
    Mat buf1 = g1;
    Mat u1 = plus(g1, scaled(buf1, mu));
    Mat w1 = plus(w0, scaled(referenceNewtonSchulz(u1, 5), -lr * s));
    expectNear(params["w"], w1, 1e-12);
    step(o, params, tensorOf(g2.v, shape), 1);
    Mat buf2 = plus(scaled(buf1, mu), g2);
    Mat u2 = plus(g2, scaled(buf2, mu));
    Mat w2 = plus(w1, scaled(referenceNewtonSchulz(u2, 5), -lr * s));
    expectNear(params["w"], w2, 1e-12);
    // The saved momentum is buf2.
    StateBlob st = o.saveState();
    expectNear(st.tensors.at("0.muon.matrix/momentum/w"), buf2, 1e-15);
  }
}

TEST(Muon, PlainMomentumWarmupAndLrMultiplier) {
  // nesterov = false: u = buf. Momentum warm-up 0.5 -> 0.9 over 2 steps:
  // step 0 uses 0.5, step 1 uses 0.7. LR multiplier 0.5 at step 1.
  Shape shape{2, 3};
  Json settings = muon({{"nesterov", false},
                        {"momentum_warmup_start", 0.5},
                        {"momentum_warmup_steps", 2}});
  Optimizers o = make(muonPlan(shape, settings));
  EXPECT_DOUBLE_EQ(o.momentumAt("matrix", 0), 0.5);
  EXPECT_DOUBLE_EQ(o.momentumAt("matrix", 1), 0.7);
  EXPECT_DOUBLE_EQ(o.momentumAt("matrix", 2), 0.9);
  EXPECT_DOUBLE_EQ(o.momentumAt("matrix", 900), 0.9);
  Mat w0(2, 3, {0.5, -0.25, 0.125, 1.0, -1.0, 0.75});
  Mat g1(2, 3, {0.3, -0.1, 0.2, 0.05, -0.4, 0.6});
  Mat g2(2, 3, {-0.2, 0.5, 0.1, 0.3, 0.0, -0.7});
  cpu::ParamStore params{{"w", tensorOf(w0.v, shape)}};
  step(o, params, tensorOf(g1.v, shape), 0);
  step(o, params, tensorOf(g2.v, shape), 1, 0.5);
  Mat buf2 = plus(scaled(g1, 0.7), g2);
  Mat w1 = plus(w0, scaled(referenceNewtonSchulz(g1, 5), -0.1));
  Mat w2 = plus(w1, scaled(referenceNewtonSchulz(buf2, 5), -0.05));
  expectNear(params["w"], w2, 1e-12);
}

TEST(Muon, DecoupledWeightDecayAndPerParamOverride) {
  // A zero gradient gives a zero update, leaving only W *= 1 - lr*wd.
  plan::Plan p = planOf({param("w", {2, 3}, {{"kind", "zeros"}}, "matrix"),
                         param("v", {2, 3}, {{"kind", "zeros"}}, "matrix")},
                        {{"optimizers", {muon({{"wd", 0.04}})}}});
  p.params[1].wd = 0.5;
  Optimizers o = make(p);
  std::vector<double> w = {1, 2, 3, 4, 5, 6};
  cpu::ParamStore params{{"w", tensorOf(w, {2, 3})}, {"v", tensorOf(w, {2, 3})}};
  Tensor zero = tensorOf(std::vector<double>(6, 0.0), {2, 3});
  std::string err;
  ASSERT_TRUE(o.step(params, {{"w", zero}, {"v", zero}}, {0, 0.5}, err)) << err;
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_DOUBLE_EQ(params["w"].get(i), w[size_t(i)] * (1 - 0.05 * 0.04));
    EXPECT_DOUBLE_EQ(params["v"].get(i), w[size_t(i)] * (1 - 0.05 * 0.5));
  }
}

TEST(Muon, WeightDecayComesBeforeTheUpdate) {
  Shape shape{3, 2};
  Optimizers o = make(muonPlan(shape, muon({{"wd", 0.2}, {"nesterov", false}})));
  Mat w0(3, 2, {0.5, -0.25, 0.125, 1.0, -1.0, 0.75});
  Mat g(3, 2, {0.3, -0.1, 0.2, 0.05, -0.4, 0.6});
  cpu::ParamStore params{{"w", tensorOf(w0.v, shape)}};
  step(o, params, tensorOf(g.v, shape), 0);
  Mat expect = plus(scaled(w0, 1 - 0.1 * 0.2),
                    scaled(referenceNewtonSchulz(g, 5), -0.1 * std::sqrt(1.5)));
  expectNear(params["w"], expect, 1e-12);
}

TEST(Muon, RowNormalizeBeforeNewtonSchulz) {
  Shape shape{2, 3};
  Optimizers o = make(muonPlan(shape, muon({{"row_normalize", true}, {"nesterov", false}})));
  Mat g(2, 3, {3.0, 0.0, 4.0, 0.01, 0.02, -0.02});
  cpu::ParamStore params{{"w", tensorOf(std::vector<double>(6, 0.0), shape)}};
  step(o, params, tensorOf(g.v, shape), 0);
  Mat u(2, 3, {0.6, 0.0, 0.8, 1.0 / 3, 2.0 / 3, -2.0 / 3});
  expectNear(params["w"], scaled(referenceNewtonSchulz(u, 5), -0.1), 1e-12);
}

TEST(Muon, BankSlicesAreSeparateMatrices) {
  // A [2, 3, 2] bank equals two [3, 2] matrices, each with scale sqrt(3/2).
  Shape shape{2, 3, 2};
  Optimizers o = make(muonPlan(shape));
  std::vector<double> g = pseudoRandom(12, 9);
  cpu::ParamStore params{{"w", tensorOf(std::vector<double>(12, 0.0), shape)}};
  step(o, params, tensorOf(g, shape), 0);
  for (int s = 0; s < 2; ++s) {
    Mat gs(3, 2, std::vector<double>(g.begin() + s * 6, g.begin() + s * 6 + 6));
    Mat expect = scaled(referenceNewtonSchulz(scaled(gs, 1.9), 5), -0.1 * std::sqrt(1.5));
    for (int64_t i = 0; i < 6; ++i)
      EXPECT_NEAR(params["w"].get(s * 6 + i), expect.v[size_t(i)], 1e-12);
  }
}

TEST(Muon, F32StorageAndBf16Params) {
  Shape shape{8, 4};
  std::vector<double> g = pseudoRandom(32, 2);
  // fp32: close to the double reference.
  {
    Optimizers o = make(muonPlan(shape));
    cpu::ParamStore params{{"w", tensorOf(std::vector<double>(32, 0.0), shape, Storage::F32)}};
    step(o, params, tensorOf(g, shape, Storage::F32), 0);
    EXPECT_EQ(params["w"].storage(), Storage::F32);
    Mat expect = scaled(referenceNewtonSchulz(Mat(8, 4, g), 5), -0.1 * std::sqrt(2.0));
    expectNear(params["w"], expect, 1e-6);
  }
  // bf16: the parameter and its momentum stay bf16-representable.
  {
    Optimizers o = make(muonPlan(shape, muon(), DType::BF16));
    cpu::ParamStore params{
        {"w", tensorOf(std::vector<double>(32, 0.5), shape, Storage::F32, DType::BF16)}};
    step(o, params, tensorOf(g, shape, Storage::F32, DType::BF16), 0);
    Tensor m = o.saveState().tensors.at("0.muon.matrix/momentum/w");
    EXPECT_EQ(params["w"].dtype(), DType::BF16);
    EXPECT_EQ(m.dtype(), DType::BF16);
    for (int64_t i = 0; i < 32; ++i) {
      EXPECT_EQ(params["w"].get(i), cpu::roundToDType(params["w"].get(i), DType::BF16));
      EXPECT_EQ(m.get(i), cpu::roundToDType(m.get(i), DType::BF16));
    }
  }
}

TEST(Muon, ThreadsDoNotChangeBits) {
  std::vector<plan::Param> ps;
  for (int i = 0; i < 5; ++i)
    ps.push_back(param("m" + std::to_string(i), {96, 160}, {{"kind", "zeros"}}, "matrix"));
  ps.push_back(param("bank", {3, 160, 64}, {{"kind", "zeros"}}, "matrix"));
  plan::Plan p = planOf(ps, {{"optimizers", {muon()}}});
  auto run = [&](int threads) {
    Optimizers o = make(p, threads);
    cpu::ParamStore params, grads;
    uint64_t seed = 1;
    for (const auto &q : ps) {
      size_t n = size_t(cpu::numelOf(q.type.shape));
      params[q.name] = tensorOf(pseudoRandom(n, seed++), q.type.shape, Storage::F32);
      grads[q.name] = tensorOf(pseudoRandom(n, seed++), q.type.shape, Storage::F32);
    }
    std::string err;
    for (int64_t s = 0; s < 2; ++s)
      EXPECT_TRUE(o.step(params, grads, {s, 1.0}, err)) << err;
    return params;
  };
  cpu::ParamStore one = run(1), two = run(2);
  for (const auto &q : ps)
    EXPECT_TRUE(sameBits(one[q.name], two[q.name])) << q.name;
}

TEST(Muon, CallerHandlesKeepOldValues) {
  Optimizers o = make(muonPlan({2, 3}));
  Tensor before = tensorOf({1, 2, 3, 4, 5, 6}, {2, 3});
  cpu::ParamStore params{{"w", before}};
  step(o, params, tensorOf({1, 0, 0, 0, 1, 0}, {2, 3}), 0);
  EXPECT_FALSE(params["w"].sharesBufferWith(before));
  EXPECT_EQ(before.get(0), 1.0);
}

TEST(Muon, Errors) {
  std::string err;
  EXPECT_FALSE(Optimizers::create(muonPlan({6}), err));
  EXPECT_NE(err.find("updates matrices; parameter 'w' has shape [6]"), std::string::npos) << err;
  plan::Plan orphan = muonPlan({2, 3});
  orphan.params.push_back(param("s", {3}, {{"kind", "ones"}}, "scalar"));
  EXPECT_FALSE(Optimizers::create(orphan, err));
  EXPECT_NE(err.find("no optimizer updates parameter group 'scalar'"), std::string::npos) << err;
  EXPECT_FALSE(Optimizers::create(planOf({param("w", {2, 2}, {{"kind", "zeros"}}, "matrix")},
                                         {{"optimizers", {muon({{"lr", "fast"}})}}}),
                                  err));
  EXPECT_NE(err.find("muon(group = matrix): 'lr' must be a number"), std::string::npos) << err;

  Optimizers o = make(muonPlan({2, 3}));
  Tensor w = tensorOf({1, 2, 3, 4, 5, 6}, {2, 3});
  cpu::ParamStore params{{"w", w}};
  EXPECT_FALSE(o.step(params, {}, {0, 1.0}, err));
  EXPECT_EQ(err, "no gradient for parameter 'w'");
  EXPECT_FALSE(o.step(params, {{"w", tensorOf({1, 2, 3}, {3})}}, {0, 1.0}, err));
  EXPECT_NE(err.find("gradient of 'w' has shape [3], expected [2,3]"), std::string::npos) << err;
  EXPECT_TRUE(params["w"].sharesBufferWith(w)); // untouched
  EXPECT_EQ(o.describe()[0].steps, 0);
}

} // namespace
} // namespace golf::train::test

//===- ModelStepTest.cpp - a hand-differentiated one-layer training step --===//
//
// A baseline-shaped block (embedding, RMSNorm, GQA attention with RoPE,
// relu^2 MLP, tied softcapped head, cross-entropy) and its backward pass
// written with the gradient ops the way autodiff emits them. The gradients
// of every parameter must match finite differences of the loss (float64):
// this checks that the gradient ops compose, not only that each is right.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

namespace golf::cpu::test {
namespace {

struct ModelDims {
  int64_t B, T, V, D, H, Hkv, Dh, F;
};

const char *kParams[] = {"emb", "wq", "wk", "wv", "wo", "wfc", "wproj"};

plan::Plan modelPlan(const ModelDims &m) {
  PlanBuilder b;
  const DType f = DType::F32;
  const int64_t B = m.B, T = m.T, D = m.D, Kv = m.Hkv * m.Dh, BT = m.B * m.T;
  int ids = b.arg(DType::I32, {B, T}), targets = b.arg(DType::I32, {B, T});
  int emb = b.param("emb", f, {m.V, D}), wq = b.param("wq", f, {D, D}),
      wk = b.param("wk", f, {Kv, D}), wv = b.param("wv", f, {Kv, D}), wo = b.param("wo", f, {D, D}),
      wfc = b.param("wfc", f, {m.F, D}), wproj = b.param("wproj", f, {D, m.F});
  Json tr = {{"transpose_rhs", true}}, tl = {{"transpose_lhs", true}};
  Json rope = {{"base", 10000.0}, {"dims", m.Dh}};
  Json inv = {{"base", 10000.0}, {"dims", m.Dh}, {"inverse", true}};
  Json attn = {{"causal", true}, {"scale", 1 / std::sqrt(double(m.Dh))}};
  auto mm = [&](int x, int w, Shape s, Json a) { return b.op("matmul", {x, w}, f, s, a); };
  auto flat = [&](int x, int64_t width) { return b.op("reshape", {x}, f, {BT, width}); };
  auto cst = [&](double v) { return b.op("constant", {}, f, {}, {{"value", v}}); };

  // Forward.
  int x0 = b.op("embedding", {emb, ids}, f, {B, T, D});
  int h = b.op("rms_norm", {x0}, f, {B, T, D});
  int q = mm(h, wq, {B, T, D}, tr), k = mm(h, wk, {B, T, Kv}, tr), v = mm(h, wv, {B, T, Kv}, tr);
  int qs = b.op("split_heads", {q}, f, {B, m.H, T, m.Dh}, {{"heads", m.H}});
  int ks = b.op("split_heads", {k}, f, {B, m.Hkv, T, m.Dh}, {{"heads", m.Hkv}});
  int vs = b.op("split_heads", {v}, f, {B, m.Hkv, T, m.Dh}, {{"heads", m.Hkv}});
  int qr = b.op("rope", {qs}, f, {B, m.H, T, m.Dh}, rope);
  int kr = b.op("rope", {ks}, f, {B, m.Hkv, T, m.Dh}, rope);
  int a = b.op("attention", {qr, kr, vs}, f, {B, m.H, T, m.Dh}, attn);
  int am = b.op("merge_heads", {a}, f, {B, T, D});
  int x1 = b.op("add", {x0, mm(am, wo, {B, T, D}, tr)}, f, {B, T, D});
  int h2 = b.op("rms_norm", {x1}, f, {B, T, D});
  int u = mm(h2, wfc, {B, T, m.F}, tr);
  int r = b.op("relu", {u}, f, {B, T, m.F});
  int s = b.op("square", {r}, f, {B, T, m.F});
  int x2 = b.op("add", {x1, mm(s, wproj, {B, T, D}, tr)}, f, {B, T, D});
  int h3 = b.op("rms_norm", {x2}, f, {B, T, D});
  int logits = mm(h3, emb, {B, T, m.V}, tr);
  int z = b.op("softcap", {logits}, f, {B, T, m.V}, {{"cap", 30.0}});
  int loss = b.op("cross_entropy", {z, targets}, f, {}, {{"reduction", "mean"}});
  b.ret(loss);

  // Backward.
  int dz = b.op("cross_entropy_grad", {z, targets, cst(1.0)}, f, {B, T, m.V}, {{"reduction", "mean"}});
  int zc = b.op("div", {z, cst(30.0)}, f, {B, T, m.V});
  int dsoft = b.op("sub", {cst(1.0), b.op("square", {zc}, f, {B, T, m.V})}, f, {B, T, m.V});
  int dlogits = b.op("mul", {dz, dsoft}, f, {B, T, m.V});
  int dh3 = mm(dlogits, emb, {B, T, D}, Json::object());
  int dembHead = mm(flat(dlogits, m.V), flat(h3, D), {m.V, D}, tl);
  int dx2 = b.op("rms_norm_grad", {x2, dh3}, f, {B, T, D});
  int ds = mm(dx2, wproj, {B, T, m.F}, Json::object());
  int dwproj = mm(flat(dx2, D), flat(s, m.F), {D, m.F}, tl);
  int dr = b.op("mul", {ds, b.op("mul", {r, cst(2.0)}, f, {B, T, m.F})}, f, {B, T, m.F});
  int pos = b.op("cmp", {u, cst(0.0)}, DType::I1, {B, T, m.F}, {{"predicate", "gt"}});
  int du = b.op("select", {pos, dr, cst(0.0)}, f, {B, T, m.F});
  int dh2 = mm(du, wfc, {B, T, D}, Json::object());
  int dwfc = mm(flat(du, m.F), flat(h2, D), {m.F, D}, tl);
  int dx1 = b.op("add", {dx2, b.op("rms_norm_grad", {x1, dh2}, f, {B, T, D})}, f, {B, T, D});
  int dam = mm(dx1, wo, {B, T, D}, Json::object());
  int dwo = mm(flat(dx1, D), flat(am, D), {D, D}, tl);
  int da = b.op("split_heads", {dam}, f, {B, m.H, T, m.Dh}, {{"heads", m.H}});
  auto g = b.ops("attention_grad", {qr, kr, vs, da},
                 {{f, {B, m.H, T, m.Dh}}, {f, {B, m.Hkv, T, m.Dh}}, {f, {B, m.Hkv, T, m.Dh}}}, attn);
  int dq = b.op("merge_heads", {b.op("rope", {g[0]}, f, {B, m.H, T, m.Dh}, inv)}, f, {B, T, D});
  int dk = b.op("merge_heads", {b.op("rope", {g[1]}, f, {B, m.Hkv, T, m.Dh}, inv)}, f, {B, T, Kv});
  int dv = b.op("merge_heads", {g[2]}, f, {B, T, Kv});
  int dwq = mm(flat(dq, D), flat(h, D), {D, D}, tl);
  int dwk = mm(flat(dk, Kv), flat(h, D), {Kv, D}, tl);
  int dwv = mm(flat(dv, Kv), flat(h, D), {Kv, D}, tl);
  int dh = b.op("add",
                {b.op("add", {mm(dq, wq, {B, T, D}, Json::object()), mm(dk, wk, {B, T, D}, Json::object())},
                      f, {B, T, D}),
                 mm(dv, wv, {B, T, D}, Json::object())},
                f, {B, T, D});
  int dx0 = b.op("add", {dx1, b.op("rms_norm_grad", {x0, dh}, f, {B, T, D})}, f, {B, T, D});
  int dembIn = b.op("embedding_grad", {ids, dx0}, f, {m.V, D}, {{"rows", m.V}});
  int demb = b.op("add", {dembHead, dembIn}, f, {m.V, D});
  for (int grad : {demb, dwq, dwk, dwv, dwo, dwfc, dwproj})
    b.ret(grad);
  return b.build();
}

ParamStore modelParams(const ModelDims &m, bool asFloat, double scale) {
  std::vector<Shape> shapes = {{m.V, m.D},  {m.D, m.D}, {m.Hkv * m.Dh, m.D}, {m.Hkv * m.Dh, m.D},
                               {m.D, m.D},  {m.F, m.D}, {m.D, m.F}};
  ParamStore p;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto v = randomValues(size_t(numelOf(shapes[i])), 100 + i, scale);
    if (asFloat)
      p[kParams[i]] = f32(shapes[i], std::vector<float>(v.begin(), v.end()));
    else
      p[kParams[i]] = f64(shapes[i], v);
  }
  return p;
}

std::vector<Tensor> modelArgs(const ModelDims &m) {
  std::vector<int32_t> in, out;
  std::mt19937 rng(7);
  for (int64_t i = 0; i < m.B * m.T; ++i) {
    in.push_back(int32_t(rng() % uint32_t(m.V)));
    out.push_back(int32_t(rng() % uint32_t(m.V)));
  }
  return {ids({m.B, m.T}, in), ids({m.B, m.T}, out)};
}

TEST(ModelStep, GradientsOfEveryParameterMatchFiniteDifferences) {
  ModelDims m{2, 6, 11, 8, 2, 1, 4, 12};
  Executor ex = makeExecutor(modelPlan(m), Precision::F64);
  ParamStore params = modelParams(m, false, 0.3);
  std::vector<Tensor> args = modelArgs(m);
  auto out = runOk(ex, args, params);
  ASSERT_EQ(out.size(), 8u);
  const double h = 1e-5;
  for (size_t i = 0; i < 7; ++i) {
    SCOPED_TRACE(kParams[i]);
    std::vector<double> w = params[kParams[i]].toDoubles(), fd(w.size());
    for (size_t j = 0; j < w.size(); ++j) {
      double loss[2];
      for (int side = 0; side < 2; ++side) {
        std::vector<double> wp = w;
        wp[j] += side ? -h : h;
        ParamStore p = params;
        p[kParams[i]] = f64(params[kParams[i]].shape(), wp);
        loss[side] = runOk(ex, args, p)[0].get(0);
      }
      fd[j] = (loss[0] - loss[1]) / (2 * h);
    }
    EXPECT_LE(relError(out[i + 1].toDoubles(), fd), 1e-6);
  }
}

TEST(ModelStep, TrainingStepMemoryAndTime) {
  // Reported, not asserted: a d_model=128 model at batch 4 x 128 tokens.
  ModelDims m{4, 128, 1024, 128, 4, 2, 32, 256};
  Executor ex = makeExecutor(modelPlan(m), Precision::F32);
  ParamStore params = modelParams(m, true, 0.02);
  std::vector<Tensor> args = modelArgs(m);
  runOk(ex, args, params);
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    auto out = runOk(ex, args, params);
    ASSERT_EQ(out.size(), 8u);
    EXPECT_NEAR(out[0].get(0), std::log(1024.0), 0.5); // near uniform at this init
    best = std::min(best, ex.lastRun().seconds);
  }
  std::printf("[ perf ] one-layer training step B=4 T=128 d=128 V=1024 f32: %.1f ms, peak %.2f MiB\n",
              best * 1e3, double(ex.lastRun().peakBytes) / (1 << 20));
}

} // namespace
} // namespace golf::cpu::test

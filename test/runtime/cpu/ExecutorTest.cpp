//===- ExecutorTest.cpp - errors, memory, precision modes, determinism ----===//
#include "TestUtil.h"

#include <chrono>
#include <cstring>

namespace golf::cpu::test {
namespace {

void expectOneLine(const std::string &err) {
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
}

std::string createError(const plan::Plan &p) {
  std::string err;
  EXPECT_FALSE(Executor::create(p, Precision::F32, err).has_value());
  expectOneLine(err);
  return err;
}

TEST(Errors, UnknownOpKind) {
  PlanBuilder b;
  b.ret(b.op("frobnicate", {b.arg(DType::F32, {2})}, DType::F32, {2}));
  std::string err = createError(b.build());
  EXPECT_NE(err.find("frobnicate"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown op kind"), std::string::npos) << err;
}

TEST(Errors, BadAttributes) {
  auto planWith = [](const std::string &kind, Json attrs) {
    PlanBuilder b;
    b.ret(b.op(kind, {b.arg(DType::F32, {1, 1, 2, 4})}, DType::F32, {1, 1, 2, 4}, attrs));
    return b.build();
  };
  std::string err = createError(planWith("rope", {{"base", 10000.0}, {"dims", "four"}}));
  EXPECT_NE(err.find("rope"), std::string::npos) << err;
  EXPECT_NE(err.find("attribute 'dims' must be an integer"), std::string::npos) << err;
  err = createError(planWith("softcap", Json::object()));
  EXPECT_NE(err.find("missing attribute 'cap'"), std::string::npos) << err;
  err = createError(planWith("fake_quant", {{"bits", 4}, {"mode", "stochastic"}}));
  EXPECT_NE(err.find("must be one of ste, soft_round"), std::string::npos) << err;
  err = createError(planWith("rope", {{"base", 10000.0}, {"dims", 4}, {"inverse", 1}}));
  EXPECT_NE(err.find("attribute 'inverse' must be true"), std::string::npos) << err;
  // Values the schema cannot see are checked when the op runs.
  Executor ex = makeExecutor(planWith("rope", {{"base", 10000.0}, {"dims", 3}}));
  err = runError(ex, {randomF64({1, 1, 2, 4}, 1)});
  expectOneLine(err);
  EXPECT_NE(err.find("(rope): dims must be even"), std::string::npos) << err;
}

TEST(Errors, OutOfRangeIds) {
  PlanBuilder b;
  int t = b.arg(DType::F32, {5, 2}), i = b.arg(DType::I32, {3});
  b.ret(b.op("embedding", {t, i}, DType::F32, {3, 2}));
  Executor ex = makeExecutor(b.build());
  for (int32_t bad : {5, -1}) {
    std::string err = runError(ex, {randomF64({5, 2}, 1), ids({3}, {0, bad, 2})});
    expectOneLine(err);
    EXPECT_NE(err.find("(embedding): id " + std::to_string(bad) + " at position 1 is out of range"),
              std::string::npos) << err;
  }
  EXPECT_EQ(runOk(ex, {randomF64({5, 2}, 1), ids({3}, {0, 4, 2})}).size(), 1u);
}

TEST(Errors, OutOfRangeTargets) {
  PlanBuilder b;
  int z = b.arg(DType::F32, {2, 4}), t = b.arg(DType::I32, {2});
  b.ret(b.op("cross_entropy", {z, t}, DType::F32, {}, {{"reduction", "mean"}}));
  Executor ex = makeExecutor(b.build());
  std::string err = runError(ex, {randomF64({2, 4}, 1), ids({2}, {0, 4})});
  expectOneLine(err);
  EXPECT_NE(err.find("target id 4 at position 1 is out of range"), std::string::npos) << err;
}

TEST(Errors, BadInputsAndPlans) {
  PlanBuilder b;
  int x = b.arg(DType::F32, {2, 3});
  int w = b.param("w", DType::F32, {3, 4});
  b.ret(b.op("matmul", {x, w}, DType::F32, {2, 4}));
  Executor ex = makeExecutor(b.build());
  ParamStore params{{"w", randomF64({3, 4}, 2)}};
  std::string err = runError(ex, {randomF64({3, 2}, 1)}, params);
  EXPECT_NE(err.find("argument 0 has shape [3,2], expected [2,3]"), std::string::npos) << err;
  err = runError(ex, {}, params);
  EXPECT_NE(err.find("takes 1 argument(s), got 0"), std::string::npos) << err;
  err = runError(ex, {randomF64({2, 3}, 1)}, {});
  EXPECT_NE(err.find("parameter 'w' is not in the parameter store"), std::string::npos) << err;
  err = runError(ex, {randomF64({2, 3}, 1)}, {{"w", randomF64({4, 3}, 2)}});
  EXPECT_NE(err.find("parameter 'w' has shape [4,3]"), std::string::npos) << err;
  std::string e2;
  EXPECT_FALSE(ex.run("nope", {}, params, e2).has_value());
  EXPECT_NE(e2.find("no function 'nope'"), std::string::npos) << e2;

  // A declared result type that does not follow from the operands.
  PlanBuilder c;
  int y = c.arg(DType::F32, {2, 3});
  c.ret(c.op("matmul", {y, y}, DType::F32, {2, 2}, {{"transpose_rhs", true}}));
  c.ret(c.op("exp", {y}, DType::F32, {3, 2}));
  Executor ex2 = makeExecutor(c.build());
  err = runError(ex2, {randomF64({2, 3}, 1)});
  expectOneLine(err);
  EXPECT_NE(err.find("op #1 (exp): result 0 is declared [3,2] but the operands give [2,3]"),
            std::string::npos) << err;

  // Use before definition.
  plan::Plan p = c.build();
  std::swap(p.functions[0].ops[0], p.functions[0].ops[1]);
  p.functions[0].ops[0].operands = {p.functions[0].ops[1].results[0]};
  err = createError(p);
  EXPECT_NE(err.find("used before it is defined"), std::string::npos) << err;
}

TEST(Errors, NonFiniteValuesNameTheOp) {
  PlanBuilder b;
  int x = b.arg(DType::F32, {3});
  b.ret(b.op("log", {b.op("neg", {x}, DType::F32, {3})}, DType::F32, {3}));
  Executor ex = makeExecutor(b.build());
  std::string err = runError(ex, {f64({3}, {-1, 1, -2})});
  expectOneLine(err);
  EXPECT_NE(err.find("op #1 (log): produced a non-finite value (nan) at element 1"),
            std::string::npos) << err;
}

TEST(Memory, IntermediatesAreFreedAfterLastUse) {
  const int64_t n = 256 * 1024; // 1 MiB in float
  PlanBuilder b;
  int v = b.arg(DType::F32, {n});
  for (int i = 0; i < 10; ++i)
    v = b.op(i % 2 ? "neg" : "tanh", {v}, DType::F32, {n});
  b.ret(v);
  Executor ex = makeExecutor(b.build(), Precision::F32);
  std::vector<float> x(static_cast<size_t>(n), 0.5f);
  auto out = runOk(ex, {f32({n}, x)});
  // The caller's float input is used in place; each op holds its input and
  // output, so the peak is two tensors, not eleven.
  EXPECT_EQ(ex.lastRun().peakBytes, 2 * n * 4);
  // In F64 mode the input is converted once (counted) and freed after use.
  Executor ex64 = makeExecutor(b.build(), Precision::F64);
  runOk(ex64, {f32({n}, x)});
  EXPECT_EQ(ex64.lastRun().peakBytes, 2 * n * 8);
}

/// x -> rms_norm -> q/k/v projections -> heads -> rope -> causal GQA
/// attention -> merge -> output projection + residual; plus attention_grad.
plan::Plan chainPlan() {
  PlanBuilder b;
  const int64_t B = 2, T = 16, D = 32, H = 4, Hkv = 2, Dh = 8;
  int x = b.arg(DType::F32, {B, T, D});
  int dy = b.arg(DType::F32, {B, H, T, Dh});
  int wq = b.param("wq", DType::F32, {D, D}), wk = b.param("wk", DType::F32, {Hkv * Dh, D}),
      wv = b.param("wv", DType::F32, {Hkv * Dh, D}), wo = b.param("wo", DType::F32, {D, D});
  int h = b.op("rms_norm", {x}, DType::F32, {B, T, D});
  Json tr = {{"transpose_rhs", true}};
  int q = b.op("matmul", {h, wq}, DType::F32, {B, T, D}, tr);
  int k = b.op("matmul", {h, wk}, DType::F32, {B, T, Hkv * Dh}, tr);
  int v = b.op("matmul", {h, wv}, DType::F32, {B, T, Hkv * Dh}, tr);
  Json rope = {{"base", 10000.0}, {"dims", Dh}};
  int qh = b.op("rope", {b.op("split_heads", {q}, DType::F32, {B, H, T, Dh}, {{"heads", H}})},
                DType::F32, {B, H, T, Dh}, rope);
  int kh = b.op("rope", {b.op("split_heads", {k}, DType::F32, {B, Hkv, T, Dh}, {{"heads", Hkv}})},
                DType::F32, {B, Hkv, T, Dh}, rope);
  int vh = b.op("split_heads", {v}, DType::F32, {B, Hkv, T, Dh}, {{"heads", Hkv}});
  Json attn = {{"causal", true}, {"scale", 1 / std::sqrt(8.0)}};
  int a = b.op("attention", {qh, kh, vh}, DType::F32, {B, H, T, Dh}, attn);
  int o = b.op("matmul", {b.op("merge_heads", {a}, DType::F32, {B, T, D}), wo}, DType::F32,
               {B, T, D}, tr);
  b.ret(b.op("add", {x, o}, DType::F32, {B, T, D}));
  auto g = b.ops("attention_grad", {qh, kh, vh, dy},
                 {{DType::F32, {B, H, T, Dh}}, {DType::F32, {B, Hkv, T, Dh}}, {DType::F32, {B, Hkv, T, Dh}}},
                 attn);
  for (int r : g)
    b.ret(r);
  return b.build();
}

std::vector<float> randomFloats(size_t n, uint64_t seed, double scale = 1.0) {
  std::vector<float> v;
  for (double d : randomValues(n, seed, scale))
    v.push_back(float(d));
  return v;
}

struct ChainInputs {
  std::vector<Tensor> args;
  ParamStore params;
};

ChainInputs chainInputs() {
  ChainInputs in;
  in.args = {f32({2, 16, 32}, randomFloats(2 * 16 * 32, 1)),
             f32({2, 4, 16, 8}, randomFloats(2 * 4 * 16 * 8, 2))};
  in.params = {{"wq", f32({32, 32}, randomFloats(32 * 32, 3, 0.2))},
               {"wk", f32({16, 32}, randomFloats(16 * 32, 4, 0.2))},
               {"wv", f32({16, 32}, randomFloats(16 * 32, 5, 0.2))},
               {"wo", f32({32, 32}, randomFloats(32 * 32, 6, 0.2))}};
  return in;
}

TEST(Precision, F32AgreesWithF64OnAnAttentionChain) {
  plan::Plan p = chainPlan();
  ChainInputs in = chainInputs();
  Executor e32 = makeExecutor(p, Precision::F32), e64 = makeExecutor(p, Precision::F64);
  auto r32 = runOk(e32, in.args, in.params), r64 = runOk(e64, in.args, in.params);
  ASSERT_EQ(r32.size(), 4u);
  ASSERT_EQ(r64.size(), 4u);
  for (size_t i = 0; i < r32.size(); ++i) {
    EXPECT_EQ(r32[i].storage(), Storage::F32);
    EXPECT_EQ(r64[i].storage(), Storage::F64);
    double err = relError(r32[i].toDoubles(), r64[i].toDoubles());
    EXPECT_LE(err, 1e-5) << "result " << i;
    EXPECT_GT(err, 0.0) << "result " << i << ": the modes should not be identical";
  }
}

TEST(Determinism, RepeatedRunsAreBitIdentical) {
  plan::Plan p = chainPlan();
  ChainInputs in = chainInputs();
  Executor a = makeExecutor(p, Precision::F32), b = makeExecutor(p, Precision::F32);
  auto first = runOk(a, in.args, in.params);
  for (int rep = 0; rep < 5; ++rep) {
    auto again = runOk(rep % 2 ? a : b, in.args, in.params);
    ASSERT_EQ(again.size(), first.size());
    for (size_t i = 0; i < first.size(); ++i)
      EXPECT_EQ(std::memcmp(first[i].raw(), again[i].raw(), first[i].bytes()), 0)
          << "result " << i << " run " << rep;
  }
  // A one-thread executor gives the same bits: no result depends on the split.
  ExecutorOptions o;
  o.threads = 1;
  std::string err;
  auto single = Executor::create(p, o, err);
  ASSERT_TRUE(single) << err;
  auto one = runOk(*single, in.args, in.params);
  for (size_t i = 0; i < first.size(); ++i)
    EXPECT_EQ(std::memcmp(first[i].raw(), one[i].raw(), first[i].bytes()), 0) << "result " << i;
}

TEST(Determinism, SplitProductsMatchOneThreadAndF64) {
  // Products large enough to be cut into slabs over the pool (rows, rows of
  // a transposed lhs, columns of a transposed rhs) and a single attention
  // head, whose products are split too.
  PlanBuilder b;
  int x = b.arg(DType::F32, {300, 256}), w = b.arg(DType::F32, {200, 256});
  int y = b.arg(DType::F32, {300, 192}), u = b.arg(DType::F32, {64, 300});
  int z = b.arg(DType::F32, {512, 300}), q = b.arg(DType::F32, {1, 1, 256, 96});
  b.ret(b.op("matmul", {x, w}, DType::F32, {300, 200}, {{"transpose_rhs", true}}));
  b.ret(b.op("matmul", {x, y}, DType::F32, {256, 192}, {{"transpose_lhs", true}}));
  b.ret(b.op("matmul", {u, z}, DType::F32, {64, 512}, {{"transpose_rhs", true}}));
  Json attrs = {{"causal", true}, {"scale", 0.1}};
  b.ret(b.op("attention", {q, q, q}, DType::F32, {1, 1, 256, 96}, attrs));
  Shape qs{1, 1, 256, 96};
  for (int r : b.ops("attention_grad", {q, q, q, q}, {{DType::F32, qs}, {DType::F32, qs}, {DType::F32, qs}},
                     attrs))
    b.ret(r);
  plan::Plan p = b.build();
  std::vector<Tensor> args = {f32({300, 256}, randomFloats(300 * 256, 1)),
                              f32({200, 256}, randomFloats(200 * 256, 2)),
                              f32({300, 192}, randomFloats(300 * 192, 3)),
                              f32({64, 300}, randomFloats(64 * 300, 4)),
                              f32({512, 300}, randomFloats(512 * 300, 5)),
                              f32(qs, randomFloats(256 * 96, 6))};
  ExecutorOptions one;
  one.threads = 1;
  std::string err;
  auto e1 = Executor::create(p, one, err);
  ASSERT_TRUE(e1) << err;
  Executor e2 = makeExecutor(p, Precision::F32), e64 = makeExecutor(p, Precision::F64);
  auto r1 = runOk(*e1, args), r2 = runOk(e2, args), r64 = runOk(e64, args);
  ASSERT_EQ(r1.size(), 7u);
  for (size_t i = 0; i < r1.size(); ++i) {
    EXPECT_EQ(std::memcmp(r1[i].raw(), r2[i].raw(), r1[i].bytes()), 0) << "result " << i;
    EXPECT_LE(relError(r2[i].toDoubles(), r64[i].toDoubles()), 1e-5) << "result " << i;
  }
}

TEST(Performance, AttentionForwardBackward) {
  // Reported, not asserted: [B=4, H=4, T=128, Dh=32] (a d_model=128 model),
  // four 128x128 heads, and the baseline's head shape at T=128.
  for (Shape s : {Shape{4, 4, 128, 32}, Shape{1, 4, 128, 128}, Shape{4, 8, 128, 64}}) {
    PlanBuilder b;
    int q = b.arg(DType::F32, s), k = b.arg(DType::F32, s), v = b.arg(DType::F32, s),
        dy = b.arg(DType::F32, s);
    Json attrs = {{"causal", true}, {"scale", 1 / std::sqrt(double(s[3]))}};
    b.ret(b.op("attention", {q, k, v}, DType::F32, s, attrs));
    for (int r : b.ops("attention_grad", {q, k, v, dy}, {{DType::F32, s}, {DType::F32, s}, {DType::F32, s}},
                       attrs))
      b.ret(r);
    Executor ex = makeExecutor(b.build(), Precision::F32);
    size_t n = size_t(numelOf(s));
    std::vector<Tensor> args = {f32(s, randomFloats(n, 1)), f32(s, randomFloats(n, 2)),
                                f32(s, randomFloats(n, 3)), f32(s, randomFloats(n, 4))};
    runOk(ex, args); // warm up
    double best = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
      runOk(ex, args);
      best = std::min(best, ex.lastRun().seconds);
    }
    std::printf("[ perf ] attention fwd+bwd %s f32: %.2f ms, peak %.1f MiB\n",
                shapeString(s).c_str(), best * 1e3, double(ex.lastRun().peakBytes) / (1 << 20));
  }
}

} // namespace
} // namespace golf::cpu::test

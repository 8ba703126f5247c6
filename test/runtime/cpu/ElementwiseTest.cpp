//===- ElementwiseTest.cpp - unary, binary, cmp, select, cast, reduce -----===//
#include "TestUtil.h"

namespace golf::cpu::test {
namespace {

const std::vector<double> kX = {-2.5, -0.5, 0.25, 0.5, 1.5, 2.5};

TEST(Elementwise, UnaryOps) {
  Tensor x = f64({2, 3}, kX);
  Tensor pos = f64({2, 3}, {0.1, 0.5, 1.0, 2.0, 4.0, 9.0});
  struct Case {
    const char *kind;
    double (*f)(double);
    bool positive;
  };
  const Case cases[] = {
      {"neg", [](double v) { return -v; }, false},
      {"exp", [](double v) { return std::exp(v); }, false},
      {"log", [](double v) { return std::log(v); }, true},
      {"tanh", [](double v) { return std::tanh(v); }, false},
      {"sigmoid", [](double v) { return 1 / (1 + std::exp(-v)); }, false},
      {"relu", [](double v) { return v > 0 ? v : 0.0; }, false},
      {"square", [](double v) { return v * v; }, false},
      {"sqrt", [](double v) { return std::sqrt(v); }, true},
      {"rsqrt", [](double v) { return 1 / std::sqrt(v); }, true},
      {"abs", [](double v) { return std::fabs(v); }, false},
      {"stop_gradient", [](double v) { return v; }, false},
  };
  for (const Case &c : cases) {
    const Tensor &in = c.positive ? pos : x;
    std::vector<double> want;
    for (double v : in.toDoubles())
      want.push_back(c.f(v));
    SCOPED_TRACE(c.kind);
    expectNear(run1(c.kind, {in}, DType::F32, {2, 3}), want, 1e-15);
  }
}

TEST(Elementwise, RoundIsHalfToEven) {
  expectNear(run1("round", {f64({6}, kX)}, DType::F32, {6}), {-2, -0.0, 0, 0, 2, 2}, 0);
  EXPECT_TRUE(std::signbit(run1("round", {f64({1}, {-0.5})}, DType::F32, {1})[0]));
}

TEST(Elementwise, LeakyReluClampSoftcap) {
  Tensor x = f64({6}, kX);
  expectNear(run1("leaky_relu", {x}, DType::F32, {6}, {{"slope", 0.5}}),
             {-1.25, -0.25, 0.25, 0.5, 1.5, 2.5});
  expectNear(run1("clamp", {x}, DType::F32, {6}, {{"min", -1.0}, {"max", 1}}),
             {-1, -0.5, 0.25, 0.5, 1, 1});
  std::vector<double> want;
  for (double v : kX)
    want.push_back(2.0 * std::tanh(v / 2.0));
  expectNear(run1("softcap", {x}, DType::F32, {6}, {{"cap", 2.0}}), want, 1e-15);
}

TEST(Elementwise, BinaryBroadcast) {
  // [2,1,3] op [4,1] -> [2,4,3]
  std::vector<double> a = randomValues(6, 1), b = randomValues(4, 2);
  Tensor ta = f64({2, 1, 3}, a), tb = f64({4, 1}, b);
  struct Case {
    const char *kind;
    double (*f)(double, double);
  };
  const Case cases[] = {
      {"add", [](double x, double y) { return x + y; }},
      {"sub", [](double x, double y) { return x - y; }},
      {"mul", [](double x, double y) { return x * y; }},
      {"div", [](double x, double y) { return x / y; }},
      {"max", [](double x, double y) { return std::max(x, y); }},
      {"min", [](double x, double y) { return std::min(x, y); }},
  };
  for (const Case &c : cases) {
    std::vector<double> want;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 4; ++j)
        for (int k = 0; k < 3; ++k)
          want.push_back(c.f(a[size_t(i * 3 + k)], b[size_t(j)]));
    SCOPED_TRACE(c.kind);
    expectNear(run1(c.kind, {ta, tb}, DType::F32, {2, 4, 3}), want, 1e-15);
  }
  // scalar on the left
  expectNear(run1("pow", {f64({}, {2.0}), f64({3}, {0, 0.5, 3})}, DType::F32, {3}),
             {1, std::sqrt(2.0), 8}, 1e-15);
}

TEST(Elementwise, CmpAndSelect) {
  Tensor x = f64({4}, {1, 2, 3, 4}), y = f64({}, {2.5});
  std::vector<std::pair<const char *, std::vector<double>>> cases = {
      {"eq", {0, 0, 0, 0}}, {"ne", {1, 1, 1, 1}}, {"lt", {1, 1, 0, 0}},
      {"le", {1, 1, 0, 0}}, {"gt", {0, 0, 1, 1}}, {"ge", {0, 0, 1, 1}}};
  for (auto &[pred, want] : cases)
    expectNear(run1("cmp", {x, y}, DType::I1, {4}, {{"predicate", pred}}), want, 0);

  PlanBuilder b;
  int a = b.arg(DType::F32, {4}), s = b.arg(DType::F32, {});
  int m = b.op("cmp", {a, s}, DType::I1, {4}, {{"predicate", "gt"}});
  int z = b.op("constant", {}, DType::F32, {}, {{"value", -1.0}});
  b.ret(b.op("select", {m, a, z}, DType::F32, {4}));
  Executor ex = makeExecutor(b.build());
  expectNear(runOk(ex, {x, y})[0].toDoubles(), {-1, -1, 3, 4}, 0);
}

TEST(Elementwise, CastRoundsToNarrowTypesInF32Mode) {
  // bf16 keeps 8 significant bits: 1 + 2^-8 is a tie and goes to even (1).
  std::vector<float> v = {1.0f + 0x1p-8f, 1.0f + 0x1p-7f + 0x1p-8f, 3.14159265f, 1e-40f, 65520.f};
  auto bf = runSingle("cast", {f32({5}, v)}, {{DType::BF16, {5}}}, {{"to", "bf16"}},
                      Precision::F32)[0]
                .toDoubles();
  expectNear(bf, {1.0, 1.0 + 0x1p-6, 3.140625, roundToDType(1e-40f, DType::BF16), 65536.0}, 0);
  // f16: 65520 overflows to infinity (checked with checkFinite off), 2^-24 is
  // the smallest subnormal, 3 * 2^-26 rounds to it.
  PlanBuilder b;
  int x = b.arg(DType::F32, {4});
  b.ret(b.op("cast", {x}, DType::F16, {4}, {{"to", "f16"}}));
  Executor ex = makeExecutor(b.build(), Precision::F32, /*checkFinite=*/false);
  auto h = runOk(ex, {f32({4}, {65520.f, 65519.f, 0x1p-24f, 3 * 0x1p-26f})})[0].toDoubles();
  EXPECT_TRUE(std::isinf(h[0]));
  expectNear({h[1], h[2], h[3]}, {65504.0, 0x1p-24, 0x1p-24}, 0);
  // F64 mode never rounds.
  auto d = runSingle("cast", {f32({1}, {1.0f + 0x1p-8f})}, {{DType::BF16, {1}}}, {{"to", "bf16"}},
                     Precision::F64)[0]
               .toDoubles();
  EXPECT_EQ(d[0], 1.0 + 0x1p-8);
}

TEST(Elementwise, Bf16ResultsOfOtherOpsAreRounded) {
  // add of two bf16 values whose exact sum is not a bf16 value.
  auto y = runSingle("add", {f32({1}, {1.0f}, DType::BF16), f32({1}, {0x1p-8f + 0x1p-10f}, DType::BF16)},
                     {{DType::BF16, {1}}}, {}, Precision::F32)[0]
               .toDoubles();
  EXPECT_EQ(y[0], 1.0 + 0x1p-7);
}

TEST(Reduce, SumMeanMaxOverAxes) {
  std::vector<double> x = randomValues(24, 3);
  Tensor t = f64({2, 3, 4}, x);
  auto at = [&](int i, int j, int k) { return x[size_t(i * 12 + j * 4 + k)]; };
  std::vector<double> sum1, mean1, max1;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k) {
      double s = 0, m = -INFINITY;
      for (int j = 0; j < 3; ++j) {
        s += at(i, j, k);
        m = std::max(m, at(i, j, k));
      }
      sum1.push_back(s);
      mean1.push_back(s / 3);
      max1.push_back(m);
    }
  expectNear(run1("reduce_sum", {t}, DType::F32, {2, 4}, {{"axis", 1}}), sum1);
  expectNear(run1("reduce_mean", {t}, DType::F32, {2, 1, 4}, {{"axis", -2}, {"keepdim", true}}),
             mean1);
  expectNear(run1("reduce_max", {t}, DType::F32, {2, 4}, {{"axis", 1}}), max1, 0);
  std::vector<double> last;
  for (int i = 0; i < 6; ++i)
    last.push_back(x[size_t(i * 4)] + x[size_t(i * 4 + 1)] + x[size_t(i * 4 + 2)] + x[size_t(i * 4 + 3)]);
  expectNear(run1("reduce_sum", {t}, DType::F32, {2, 3}, {{"axis", -1}}), last);
}

TEST(Sources, ConstantAndParamRef) {
  PlanBuilder b;
  int w = b.param("layer.0.w", DType::F32, {2, 2});
  int c = b.op("constant", {}, DType::F32, {}, {{"value", 0.5}});
  int k = b.op("constant", {}, DType::F32, {2}, {{"value", {1.0, 2.0}}});
  b.ret(b.op("add", {b.op("mul", {w, c}, DType::F32, {2, 2}), k}, DType::F32, {2, 2}));
  Executor ex = makeExecutor(b.build());
  ParamStore params{{"layer.0.w", f32({2, 2}, {2, 4, 6, 8})}};
  expectNear(runOk(ex, {}, params)[0].toDoubles(), {2, 4, 4, 6});
}

TEST(Sources, Bf16ParametersAreRoundedWithoutTouchingTheCaller) {
  PlanBuilder b;
  int w = b.param("w", DType::BF16, {2});
  b.ret(b.op("cast", {w}, DType::F32, {2}, {{"to", "f32"}}));
  Executor ex = makeExecutor(b.build(), Precision::F32);
  ParamStore params{{"w", f32({2}, {1.0f + 0x1p-8f + 0x1p-12f, 2.0f})}};
  expectNear(runOk(ex, {}, params)[0].toDoubles(), {1.0 + 0x1p-7, 2.0}, 0);
  EXPECT_EQ(params["w"].data<float>()[0], 1.0f + 0x1p-8f + 0x1p-12f);
  // A representable parameter is used in place: nothing is allocated for it.
  ParamStore exact{{"w", f32({2}, {1.5f, 2.0f})}};
  runOk(ex, {}, exact);
  EXPECT_EQ(ex.lastRun().peakBytes, 2 * 4);
}

} // namespace
} // namespace golf::cpu::test

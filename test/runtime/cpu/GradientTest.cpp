//===- GradientTest.cpp - gradient ops vs finite differences (float64) ----===//
//
// Each gradient op, fed a random cotangent c, must equal the central finite
// difference of L = sum(c * forward(x)) to 1e-6 relative, in float64 mode.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

namespace golf::cpu::test {
namespace {

constexpr double kTol = 1e-6;

/// A plan running `kind` on arguments of the given types, one result.
plan::Plan onePlan(const std::string &kind, const std::vector<Tensor> &args,
                   std::vector<plan::TensorType> outs, Json attrs) {
  PlanBuilder b;
  std::vector<int> in;
  for (const Tensor &a : args)
    in.push_back(b.arg(a.dtype(), a.shape()));
  for (int v : b.ops(kind, in, std::move(outs), std::move(attrs)))
    b.ret(v);
  return b.build();
}

/// FD of forward op `kind` w.r.t. each of `wrt`, compared with the results
/// of `grads` (one per entry of wrt, in order).
void checkAgainstFd(const std::string &kind, const std::vector<Tensor> &args, Shape outShape,
                    Json attrs, const std::vector<double> &c, const std::vector<size_t> &wrt,
                    const std::vector<Tensor> &grads,
                    std::function<bool(int64_t)> skip = nullptr) {
  Executor fwd = makeExecutor(onePlan(kind, args, {{DType::F32, std::move(outShape)}}, attrs));
  ASSERT_EQ(wrt.size(), grads.size());
  for (size_t i = 0; i < wrt.size(); ++i) {
    SCOPED_TRACE(testing::Message() << kind << " d/d operand " << wrt[i]);
    std::vector<double> fd = numericGrad(fwd, args, wrt[i], c, 1e-5, {}, skip);
    std::vector<double> g = grads[i].toDoubles();
    if (skip) // compare only the elements FD covered
      for (size_t j = 0; j < g.size(); ++j)
        if (skip(int64_t(j)))
          g[j] = fd[j] = 0;
    double err = relError(g, fd);
    EXPECT_LE(err, kTol);
  }
}

struct AttnCase {
  int B, H, Hkv, T, S, D, Dv;
  bool causal;
};

std::ostream &operator<<(std::ostream &os, const AttnCase &c) {
  return os << "B" << c.B << "_H" << c.H << "_Hkv" << c.Hkv << "_T" << c.T << "_S" << c.S
            << "_D" << c.D << "_Dv" << c.Dv << (c.causal ? "_causal" : "");
}

class AttentionGrad : public testing::TestWithParam<AttnCase> {};

TEST_P(AttentionGrad, MatchesFiniteDifferences) {
  AttnCase c = GetParam();
  Tensor q = randomF64({c.B, c.H, c.T, c.D}, 21), k = randomF64({c.B, c.Hkv, c.S, c.D}, 22),
         v = randomF64({c.B, c.Hkv, c.S, c.Dv}, 23);
  Shape yShape{c.B, c.H, c.T, c.Dv};
  std::vector<double> dy = randomValues(size_t(numelOf(yShape)), 24);
  Json attrs = {{"scale", 0.7}};
  if (c.causal)
    attrs["causal"] = true;
  auto grads = runSingle("attention_grad", {q, k, v, f64(yShape, dy)},
                         {{DType::F32, q.shape()}, {DType::F32, k.shape()}, {DType::F32, v.shape()}},
                         attrs);
  ASSERT_EQ(grads.size(), 3u);
  checkAgainstFd("attention", {q, k, v}, yShape, attrs, dy, {0, 1, 2}, grads);
}

INSTANTIATE_TEST_SUITE_P(Cases, AttentionGrad,
                         testing::Values(AttnCase{2, 4, 2, 5, 5, 3, 4, true},   // causal GQA
                                         AttnCase{1, 2, 2, 4, 4, 3, 3, true},   // causal MHA
                                         AttnCase{1, 4, 1, 3, 5, 2, 3, false},  // MQA, S != T
                                         AttnCase{2, 2, 1, 4, 4, 3, 2, false}));

TEST(Gradients, RmsNormGrad) {
  for (Json attrs : {Json::object(), Json{{"eps", 0.1}}}) {
    SCOPED_TRACE(attrs.dump());
    Tensor x = randomF64({2, 3, 5}, 31);
    std::vector<double> c = randomValues(30, 32);
    auto g = runSingle("rms_norm_grad", {x, f64({2, 3, 5}, c)}, {{DType::F32, {2, 3, 5}}}, attrs);
    checkAgainstFd("rms_norm", {x}, {2, 3, 5}, attrs, c, {0}, g);
  }
}

TEST(Gradients, CrossEntropyGradMeanAndNone) {
  Tensor z = randomF64({2, 3, 7}, 41, 2.0);
  Tensor t = ids({2, 3}, {0, 6, 3, 3, 1, 5});
  {
    std::vector<double> c = {1.7};
    Json attrs = {{"reduction", "mean"}};
    auto g = runSingle("cross_entropy_grad", {z, t, f64({}, c)}, {{DType::F32, {2, 3, 7}}}, attrs);
    checkAgainstFd("cross_entropy", {z, t}, {}, attrs, c, {0}, g);
  }
  {
    std::vector<double> c = randomValues(6, 42);
    Json attrs = {{"reduction", "none"}};
    auto g = runSingle("cross_entropy_grad", {z, t, f64({2, 3}, c)}, {{DType::F32, {2, 3, 7}}}, attrs);
    checkAgainstFd("cross_entropy", {z, t}, {2, 3}, attrs, c, {0}, g);
  }
}

TEST(Gradients, EmbeddingGradWithRepeatedIds) {
  Tensor table = randomF64({5, 3}, 51);
  Tensor i = ids({2, 4}, {1, 3, 1, 0, 3, 3, 1, 4}); // row 2 unused, 1 and 3 repeated
  std::vector<double> c = randomValues(24, 52);
  auto g = runSingle("embedding_grad", {i, f64({2, 4, 3}, c)}, {{DType::F32, {5, 3}}}, {{"rows", 5}});
  checkAgainstFd("embedding", {table, i}, {2, 4, 3}, Json::object(), c, {0}, g);
  auto rows = g[0].toDoubles();
  for (int j = 0; j < 3; ++j)
    EXPECT_EQ(rows[size_t(2 * 3 + j)], 0.0);
}

TEST(Gradients, PadIsTheGradientOfSlice) {
  Tensor x = randomF64({3, 5, 2}, 61);
  Json sliceAttrs = {{"starts", {1, 0, 0}}, {"limits", {3, 4, 2}}};
  std::vector<double> c = randomValues(2 * 4 * 2, 62);
  auto g = runSingle("pad", {f64({2, 4, 2}, c)}, {{DType::F32, {3, 5, 2}}},
                     {{"low", {1, 0, 0}}, {"high", {0, 1, 0}}});
  checkAgainstFd("slice", {x}, {2, 4, 2}, sliceAttrs, c, {0}, g);
}

TEST(Gradients, ReduceToIsTheGradientOfBroadcast) {
  for (Shape in : {Shape{4}, Shape{3, 1}, Shape{1, 3, 1}}) {
    SCOPED_TRACE(shapeString(in));
    Shape out{2, 3, 4};
    Tensor x = randomF64(in, 71);
    std::vector<double> c = randomValues(24, 72);
    auto g = runSingle("reduce_to", {f64(out, c)}, {{DType::F32, in}});
    checkAgainstFd("broadcast", {x}, out, Json::object(), c, {0}, g);
  }
}

TEST(Gradients, InverseRopeIsTheGradientOfRope) {
  for (int dims : {6, 4}) {
    Tensor x = randomF64({2, 2, 5, 6}, 81);
    std::vector<double> c = randomValues(120, 82);
    Json attrs = {{"base", 100.0}, {"dims", dims}};
    Json inv = attrs;
    inv["inverse"] = true;
    auto g = runSingle("rope", {f64({2, 2, 5, 6}, c)}, {{DType::F32, {2, 2, 5, 6}}}, inv);
    checkAgainstFd("rope", {x}, {2, 2, 5, 6}, attrs, c, {0}, g);
  }
}

TEST(Gradients, ShiftByMinusOffsetIsTheGradientOfShift) {
  for (int offset : {1, 2, -1}) {
    Tensor x = randomF64({2, 4, 3}, 91);
    std::vector<double> c = randomValues(24, 92);
    auto g = runSingle("shift", {f64({2, 4, 3}, c)}, {{DType::F32, {2, 4, 3}}},
                       {{"axis", 1}, {"offset", -offset}});
    checkAgainstFd("shift", {x}, {2, 4, 3}, {{"axis", 1}, {"offset", offset}}, c, {0}, g);
  }
}

TEST(Gradients, FakeQuantGradSoftRound) {
  // w / s kept away from integers; the row maxima (whose change moves s,
  // which the gradient treats as constant) are excluded from the check.
  const int rows = 3, n = 6;
  std::vector<double> w = randomValues(rows * n, 101);
  std::vector<bool> isMax(w.size(), false);
  for (int r = 0; r < rows; ++r) {
    int m = 0;
    for (int i = 0; i < n; ++i)
      if (std::fabs(w[size_t(r * n + i)]) > std::fabs(w[size_t(r * n + m)]))
        m = i;
    isMax[size_t(r * n + m)] = true;
  }
  Tensor x = f64({rows, n}, w);
  std::vector<double> c = randomValues(w.size(), 102);
  for (double alpha : {1.0, 4.0}) {
    Json attrs = {{"bits", 4}, {"mode", "soft_round"}, {"alpha", alpha}};
    auto g = runSingle("fake_quant_grad", {x, f64({rows, n}, c)}, {{DType::F32, {rows, n}}}, attrs);
    checkAgainstFd("fake_quant", {x}, {rows, n}, attrs, c, {0}, g,
                   [&](int64_t i) { return bool(isMax[size_t(i)]); });
  }
  // ste passes the gradient straight through.
  auto ste = run1("fake_quant_grad", {x, f64({rows, n}, c)}, DType::F32, {rows, n},
                  {{"bits", 4}, {"mode", "ste"}});
  expectNear(ste, c, 0);
}

} // namespace
} // namespace golf::cpu::test

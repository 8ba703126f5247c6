//===- TestUtil.h - tiny hand-written plans and gradient checks -*- C++ -*-===//
#ifndef GOLF_TEST_RUNTIME_CPU_TESTUTIL_H
#define GOLF_TEST_RUNTIME_CPU_TESTUTIL_H

#include "runtime/cpu/Executor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

namespace golf::cpu::test {

using plan::Json;

/// Builds a plan with one function "f" op by op.
class PlanBuilder {
public:
  int value(DType dtype, Shape shape) {
    plan_.values.push_back({dtype, std::move(shape)});
    return int(plan_.values.size()) - 1;
  }
  int arg(DType dtype, Shape shape) {
    int v = value(dtype, std::move(shape));
    fn_.args.push_back(v);
    return v;
  }
  /// Declares a parameter and reads it with param_ref.
  int param(const std::string &name, DType dtype, Shape shape) {
    plan_.params.push_back({name, {dtype, shape}, "g", "q", std::nullopt, Json{{"kind", "zeros"}}});
    return op("param_ref", {}, dtype, shape, {{"name", name}});
  }
  std::vector<int> ops(const std::string &kind, std::vector<int> operands,
                       std::vector<plan::TensorType> results, Json attrs = Json::object()) {
    plan::Op op{kind, std::move(operands), {}, std::move(attrs)};
    for (auto &t : results)
      op.results.push_back(value(t.dtype, t.shape));
    fn_.ops.push_back(op);
    return op.results;
  }
  int op(const std::string &kind, std::vector<int> operands, DType dtype, Shape shape,
         Json attrs = Json::object()) {
    return ops(kind, std::move(operands), {{dtype, std::move(shape)}}, std::move(attrs))[0];
  }
  void ret(int v) {
    fn_.results.push_back(v);
    fn_.resultNames.push_back("r" + std::to_string(fn_.results.size()));
  }
  plan::Plan build() const {
    plan::Plan p = plan_;
    p.model = "test";
    plan::Function f = fn_;
    f.name = "f";
    p.functions.push_back(f);
    return p;
  }

private:
  plan::Plan plan_;
  plan::Function fn_;
};

inline Executor makeExecutor(const plan::Plan &p, Precision precision = Precision::F64,
                             bool checkFinite = true) {
  std::string err;
  ExecutorOptions o;
  o.precision = precision;
  o.checkFinite = checkFinite;
  auto ex = Executor::create(p, o, err);
  if (!ex) {
    ADD_FAILURE() << "create failed: " << err;
    std::abort();
  }
  return std::move(*ex);
}

/// Runs "f"; fails the test (and returns an empty vector) on error.
inline std::vector<Tensor> runOk(Executor &ex, const std::vector<Tensor> &args,
                                 const ParamStore &params = {}) {
  std::string err;
  auto out = ex.run("f", args, params, err);
  if (!out) {
    ADD_FAILURE() << "run failed: " << err;
    return {};
  }
  return *out;
}

/// Runs "f" expecting an error; returns it.
inline std::string runError(Executor &ex, const std::vector<Tensor> &args,
                            const ParamStore &params = {}) {
  std::string err;
  auto out = ex.run("f", args, params, err);
  EXPECT_FALSE(out.has_value());
  return err;
}

inline std::vector<double> randomValues(size_t n, uint64_t seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(0.0, scale);
  std::vector<double> v(n);
  for (double &x : v)
    x = dist(rng);
  return v;
}

inline Tensor f64(Shape shape, const std::vector<double> &values, DType dtype = DType::F32) {
  return Tensor::fromDoubles(dtype, std::move(shape), values);
}
inline Tensor f32(Shape shape, const std::vector<float> &values, DType dtype = DType::F32) {
  return Tensor::fromFloats(dtype, std::move(shape), values);
}
inline Tensor ids(Shape shape, const std::vector<int32_t> &values) {
  return Tensor::fromInts(std::move(shape), values);
}
inline Tensor randomF64(Shape shape, uint64_t seed, double scale = 1.0) {
  return f64(shape, randomValues(size_t(numelOf(shape)), seed, scale));
}

/// Runs a plan of one op applied to `args` (all function arguments).
inline std::vector<Tensor> runSingle(const std::string &kind, const std::vector<Tensor> &args,
                                     std::vector<plan::TensorType> outs, Json attrs = Json::object(),
                                     Precision precision = Precision::F64) {
  PlanBuilder b;
  std::vector<int> in;
  for (const Tensor &a : args)
    in.push_back(b.arg(a.dtype(), a.shape()));
  for (int v : b.ops(kind, in, std::move(outs), std::move(attrs)))
    b.ret(v);
  Executor ex = makeExecutor(b.build(), precision);
  return runOk(ex, args);
}

/// The single result of one op, as doubles.
inline std::vector<double> run1(const std::string &kind, const std::vector<Tensor> &args,
                                DType dtype, Shape shape, Json attrs = Json::object(),
                                Precision precision = Precision::F64) {
  auto out = runSingle(kind, args, {{dtype, std::move(shape)}}, std::move(attrs), precision);
  return out.empty() ? std::vector<double>{} : out[0].toDoubles();
}

/// max |a - b| / max(max |b|, tiny).
inline double relError(const std::vector<double> &a, const std::vector<double> &b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0, ref = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff = std::max(diff, std::fabs(a[i] - b[i]));
    ref = std::max(ref, std::fabs(b[i]));
  }
  return diff / std::max(ref, 1e-300);
}

inline void expectNear(const std::vector<double> &got, const std::vector<double> &want,
                       double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(want[i]))) << "at element " << i;
}

/// Central finite differences (float64) of L(args) = sum(c * f(args)[0])
/// with respect to args[which], where f is the plan function run by `ex`.
/// `skip(i)` excludes elements (their entry is left at NaN).
inline std::vector<double> numericGrad(Executor &ex, std::vector<Tensor> args, size_t which,
                                       const std::vector<double> &c, double h = 1e-5,
                                       const ParamStore &params = {},
                                       std::function<bool(int64_t)> skip = nullptr) {
  std::vector<double> x = args[which].toDoubles(), g(x.size(), NAN);
  auto objective = [&](const std::vector<double> &xv) {
    args[which] = Tensor::fromDoubles(args[which].dtype(), args[which].shape(), xv);
    std::vector<double> y = runOk(ex, args, params)[0].toDoubles();
    EXPECT_EQ(y.size(), c.size());
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i)
      s += c[i] * y[i];
    return s;
  };
  for (size_t i = 0; i < x.size(); ++i) {
    if (skip && skip(int64_t(i)))
      continue;
    std::vector<double> xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    g[i] = (objective(xp) - objective(xm)) / (2 * h);
  }
  return g;
}

} // namespace golf::cpu::test

#endif // GOLF_TEST_RUNTIME_CPU_TESTUTIL_H

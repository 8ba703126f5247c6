//===- Loss.cpp - cross_entropy and cross_entropy_grad --------------------===//
//
// Softmax statistics (max, sum of exponentials, log-sum-exp) are computed in
// double per row; the mean over rows is summed afterwards in row order, so
// the loss is bit-identical whatever the thread count.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Kernel.h"

#include <cmath>

namespace golf::cpu {

namespace {

struct Rows {
  int64_t rows, vocab;
};

/// Checks logits [..., V] against targets [...] and every target id.
Rows checkTargets(const Tensor &logits, const Tensor &targets) {
  if (logits.rank() < 1)
    fail("logits need a vocabulary axis");
  Shape lead(logits.shape().begin(), logits.shape().end() - 1);
  if (targets.shape() != lead)
    fail("targets shape " + shapeString(targets.shape()) + " must be logits shape " +
         shapeString(logits.shape()) + " without its last axis");
  int64_t v = logits.shape().back(), rows = targets.numel();
  const int32_t *t = targets.data<int32_t>();
  for (int64_t r = 0; r < rows; ++r)
    if (t[r] < 0 || t[r] >= v)
      fail("target id " + std::to_string(t[r]) + " at position " + std::to_string(r) +
           " is out of range [0, " + std::to_string(v) + ")");
  return {rows, v};
}

template <class T> double logSumExp(const T *z, int64_t n) {
  double m = -INFINITY;
  for (int64_t i = 0; i < n; ++i)
    m = std::max(m, double(z[i]));
  if (std::isinf(m))
    return m;
  double s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += std::exp(double(z[i]) - m);
  return m + std::log(s);
}

int64_t rowGrain(int64_t v) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(v, 1)); }

void crossEntropy(KernelCtx &ctx) {
  const Tensor &z = ctx.floatIn(0), &targets = ctx.intIn(1);
  Rows rc = checkTargets(z, targets);
  bool mean = ctx.str("reduction") == "mean";
  ctx.expectOutShape(mean ? Shape{} : targets.shape());
  Tensor &y = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *pz = z.data<T>();
    const int32_t *pt = targets.data<int32_t>();
    std::vector<double> nll(static_cast<size_t>(rc.rows));
    ctx.pool.parallelFor(rc.rows, rowGrain(rc.vocab), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const T *row = pz + r * rc.vocab;
        nll[size_t(r)] = logSumExp(row, rc.vocab) - double(row[pt[r]]);
      }
    });
    T *out = y.data<T>();
    if (mean) {
      double sum = 0;
      for (double v : nll)
        sum += v;
      out[0] = T(sum / double(rc.rows));
    } else {
      for (int64_t r = 0; r < rc.rows; ++r)
        out[r] = T(nll[size_t(r)]);
    }
  });
}

/// dlogits = (softmax(z) - onehot(t)) * g, g = dloss / rows (mean) or dloss[r].
void crossEntropyGrad(KernelCtx &ctx) {
  const Tensor &z = ctx.floatIn(0), &targets = ctx.intIn(1), &dloss = ctx.floatIn(2);
  Rows rc = checkTargets(z, targets);
  bool mean = ctx.str("reduction") == "mean";
  if (dloss.shape() != (mean ? Shape{} : targets.shape()))
    fail("dloss shape " + shapeString(dloss.shape()) + " does not match reduction '" +
         (mean ? "mean" : "none") + "'");
  ctx.expectOutShape(z.shape());
  Tensor &dz = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *pz = z.data<T>(), *pg = dloss.data<T>();
    const int32_t *pt = targets.data<int32_t>();
    T *out = dz.data<T>();
    ctx.pool.parallelFor(rc.rows, rowGrain(rc.vocab), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const T *row = pz + r * rc.vocab;
        double g = mean ? double(pg[0]) / double(rc.rows) : double(pg[r]);
        double lse = logSumExp(row, rc.vocab);
        for (int64_t i = 0; i < rc.vocab; ++i)
          out[r * rc.vocab + i] = T((std::exp(double(row[i]) - lse) - (i == pt[r])) * g);
      }
    });
  });
}

} // namespace

void addLossKernels(std::vector<KernelDef> &defs) {
  AttrSpec reduction{"reduction", AttrType::Str, true, {"mean", "none"}};
  defs.push_back({"cross_entropy", 2, 2, 1, {reduction}, crossEntropy});
  defs.push_back({"cross_entropy_grad", 3, 3, 1, {reduction}, crossEntropyGrad});
}

} // namespace golf::cpu

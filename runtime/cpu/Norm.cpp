//===- Norm.cpp - rms_norm and rms_norm_grad ------------------------------===//
//
// Row statistics accumulate in double; rows are independent, so they are
// split across threads.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Kernel.h"

#include <cmath>

namespace golf::cpu {

namespace {

/// eps as given, or F.rms_norm's default (plan::rmsNormDefaultEps).
double epsOf(const KernelCtx &ctx, DType dtype) {
  std::optional<double> eps = ctx.optF64("eps");
  if (eps && *eps < 0)
    fail("eps must be >= 0");
  return eps ? *eps : plan::rmsNormDefaultEps(dtype);
}

int64_t rowWidth(const Tensor &x) {
  if (x.rank() < 1)
    fail("needs rank >= 1");
  return x.shape().back();
}

void rmsNorm(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0);
  ctx.expectOutShape(x.shape());
  double eps = epsOf(ctx, x.dtype());
  int64_t n = rowWidth(x), rows = n ? x.numel() / n : 0;
  Tensor &y = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *in = x.data<T>();
    T *out = y.data<T>();
    ctx.pool.parallelFor(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1)),
                         [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const T *xr = in + r * n;
        double ss = 0;
        for (int64_t i = 0; i < n; ++i)
          ss += double(xr[i]) * double(xr[i]);
        double inv = 1.0 / std::sqrt(ss / double(n) + eps);
        for (int64_t i = 0; i < n; ++i)
          out[r * n + i] = T(double(xr[i]) * inv);
      }
    });
  });
}

/// dx = r * dy - x * r^3 * mean(dy * x), r = 1 / sqrt(mean(x^2) + eps).
void rmsNormGrad(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0), &dy = ctx.floatIn(1);
  if (dy.shape() != x.shape())
    fail("dy shape " + shapeString(dy.shape()) + " differs from input " + shapeString(x.shape()));
  ctx.expectOutShape(x.shape());
  double eps = epsOf(ctx, x.dtype());
  int64_t n = rowWidth(x), rows = n ? x.numel() / n : 0;
  Tensor &dx = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *px = x.data<T>(), *pdy = dy.data<T>();
    T *out = dx.data<T>();
    ctx.pool.parallelFor(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1)),
                         [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const T *xr = px + r * n, *gr = pdy + r * n;
        double ss = 0, dot = 0;
        for (int64_t i = 0; i < n; ++i) {
          ss += double(xr[i]) * double(xr[i]);
          dot += double(gr[i]) * double(xr[i]);
        }
        double inv = 1.0 / std::sqrt(ss / double(n) + eps);
        double c = inv * inv * inv * dot / double(n);
        for (int64_t i = 0; i < n; ++i)
          out[r * n + i] = T(inv * double(gr[i]) - double(xr[i]) * c);
      }
    });
  });
}

} // namespace

void addNormKernels(std::vector<KernelDef> &defs) {
  defs.push_back({"rms_norm", 1, 1, 1, {{"eps", AttrType::F64, false}}, rmsNorm});
  defs.push_back({"rms_norm_grad", 2, 2, 1, {{"eps", AttrType::F64, false}}, rmsNormGrad});
}

} // namespace golf::cpu

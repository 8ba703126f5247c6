//===- Quant.cpp - fake_quant and fake_quant_grad -------------------------===//
//
// Per-row symmetric quantize-dequantize (rows: all axes but the last) with
// s = max|w| / (2^(bits-1) - 1):
//   ste:        clamp(round(w / s), -2^(bits-1), 2^(bits-1) - 1) * s
//   soft_round: clamp(sr(w / s), ...) * s, sr(y) = floor(y) + 1/2 +
//               tanh(a (r - 1/2)) / (2 tanh(a / 2)), r = y - floor(y)
// (pgolf-spec §4.19). The gradient treats s as a constant, as the seeds do:
// dw = dy (ste) or dy * sr'(w / s) (soft_round; 0 where the clamp binds).
// An all-zero row has s = 0; it quantizes to 0 and its gradient is taken
// at y = 0, as a clamp_min'd scale would give.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Kernel.h"

#include <cmath>

namespace golf::cpu {

namespace {

struct QuantParams {
  bool soft;
  double alpha, qmin, qmax;
};

/// `sharpness` is the index of the optional sharpness operand.
QuantParams quantParams(const KernelCtx &ctx, size_t sharpness) {
  int64_t bits = ctx.i64("bits");
  if (bits < 2 || bits > 8)
    fail("bits must be in [2, 8], got " + std::to_string(bits));
  QuantParams q{ctx.str("mode") == "soft_round", 0, -std::ldexp(1.0, int(bits - 1)),
                std::ldexp(1.0, int(bits - 1)) - 1};
  if (q.soft) {
    std::optional<double> a = ctx.optF64("alpha");
    if (ctx.in.size() > sharpness) {
      const Tensor &t = *ctx.in[sharpness];
      if (t.numel() != 1)
        fail("the sharpness operand must hold one value, got " + shapeString(t.shape()));
      a = t.get(0);
    }
    if (!a || !(*a > 0))
      fail("soft_round needs alpha > 0");
    q.alpha = *a;
  }
  return q;
}

double softRound(double y, double a) {
  double f = std::floor(y);
  return f + 0.5 * std::tanh(a * (y - f - 0.5)) / std::tanh(a / 2) + 0.5;
}

double softRoundDerivative(double y, double a) {
  double t = std::tanh(a * (y - std::floor(y) - 0.5));
  return 0.5 * a * (1 - t * t) / std::tanh(a / 2);
}

/// Calls f(row pointer offset, n, s) for every row, spread over the pool.
template <class T, class F> void forRows(KernelCtx &ctx, const Tensor &w, F f) {
  if (w.rank() < 1)
    fail("needs rank >= 1 (rows are all axes but the last)");
  int64_t n = w.shape().back(), rows = n ? w.numel() / n : 0;
  const T *pw = w.data<T>();
  ctx.pool.parallelFor(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1)),
                       [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      double amax = 0;
      for (int64_t i = 0; i < n; ++i)
        amax = std::max(amax, std::fabs(double(pw[r * n + i])));
      f(r * n, n, amax);
    }
  });
}

void fakeQuant(KernelCtx &ctx) {
  const Tensor &w = ctx.floatIn(0);
  QuantParams q = quantParams(ctx, 1);
  ctx.expectOutShape(w.shape());
  Tensor &y = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *pw = w.data<T>();
    T *out = y.data<T>();
    forRows<T>(ctx, w, [&](int64_t off, int64_t n, double amax) {
      double s = amax / q.qmax;
      for (int64_t i = off; i < off + n; ++i) {
        double v = s > 0 ? double(pw[i]) / s : 0.0;
        double r = q.soft ? softRound(v, q.alpha) : std::nearbyint(v);
        out[i] = T(std::min(std::max(r, q.qmin), q.qmax) * s);
      }
    });
  });
}

void fakeQuantGrad(KernelCtx &ctx) {
  const Tensor &w = ctx.floatIn(0), &dy = ctx.floatIn(1);
  if (dy.shape() != w.shape())
    fail("dy shape " + shapeString(dy.shape()) + " differs from input " + shapeString(w.shape()));
  QuantParams q = quantParams(ctx, 2);
  ctx.expectOutShape(w.shape());
  Tensor &dx = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *pw = w.data<T>(), *pg = dy.data<T>();
    T *out = dx.data<T>();
    if (!q.soft) {
      std::copy(pg, pg + w.numel(), out);
      return;
    }
    forRows<T>(ctx, w, [&](int64_t off, int64_t n, double amax) {
      double s = amax / q.qmax;
      for (int64_t i = off; i < off + n; ++i) {
        double v = s > 0 ? double(pw[i]) / s : 0.0;
        double r = softRound(v, q.alpha);
        bool clamped = r < q.qmin || r > q.qmax;
        out[i] = T(clamped ? 0.0 : double(pg[i]) * softRoundDerivative(v, q.alpha));
      }
    });
  });
}

} // namespace

void addQuantKernels(std::vector<KernelDef> &defs) {
  std::vector<AttrSpec> attrs = {{"bits", AttrType::I64},
                                 {"mode", AttrType::Str, true, {"ste", "soft_round"}},
                                 {"alpha", AttrType::F64, false}};
  defs.push_back({"fake_quant", 1, 2, 1, attrs, fakeQuant});
  defs.push_back({"fake_quant_grad", 2, 3, 1, attrs, fakeQuantGrad});
}

} // namespace golf::cpu

//===- Elementwise.cpp - unary, binary, compare, select, cast, softcap ----===//
//
// Every element is computed in double and stored once in the run's storage,
// so float results are correctly rounded functions of their float inputs
// (the narrow bf16/f16 rounding happens after the kernel, in the executor).
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Strided.h"

#include <cmath>

namespace golf::cpu {

namespace {

constexpr int64_t kGrain = 1 << 14;

/// out[i] = f(in[i]) over a float tensor of the declared shape.
template <class F> void mapUnary(KernelCtx &ctx, F f) {
  const Tensor &x = ctx.floatIn(0);
  ctx.expectOutShape(x.shape());
  Tensor &y = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *in = x.data<T>();
    T *out = y.data<T>();
    ctx.pool.parallelFor(x.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        out[i] = T(f(double(in[i])));
    });
  });
}

template <double (*F)(double)> void unaryKernel(KernelCtx &ctx) { mapUnary(ctx, F); }

double neg(double x) { return -x; }
double identity(double x) { return x; }
double exp_(double x) { return std::exp(x); }
double log_(double x) { return std::log(x); }
double tanh_(double x) { return std::tanh(x); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double relu(double x) { return x > 0 ? x : (std::isnan(x) ? x : 0.0); }
double square(double x) { return x * x; }
double sqrt_(double x) { return std::sqrt(x); }
double rsqrt(double x) { return 1.0 / std::sqrt(x); }
double abs_(double x) { return std::fabs(x); }
double round_(double x) { return std::nearbyint(x); } // half to even (default mode)

void leakyRelu(KernelCtx &ctx) {
  double slope = ctx.f64("slope");
  mapUnary(ctx, [slope](double x) { return x > 0 ? x : slope * x; });
}

void clamp(KernelCtx &ctx) {
  double lo = ctx.f64("min"), hi = ctx.f64("max");
  mapUnary(ctx, [lo, hi](double x) { return std::isnan(x) ? x : std::min(std::max(x, lo), hi); });
}

void softcap(KernelCtx &ctx) {
  double cap = ctx.f64("cap");
  if (!(cap > 0))
    fail("cap must be > 0");
  mapUnary(ctx, [cap](double x) { return cap * std::tanh(x / cap); });
}

void cast(KernelCtx &ctx) {
  if (ctx.outDType() != ctx.dtypeAttr("to"))
    fail("result dtype differs from 'to'");
  mapUnary(ctx, [](double x) { return x; });
}

/// out = f(a, b) with numpy broadcasting; O is the output element type.
template <class O, class F>
void mapBinary(KernelCtx &ctx, const Tensor &a, const Tensor &b, F f) {
  Shape shape = broadcastShape(a.shape(), b.shape());
  ctx.expectOutShape(shape);
  Tensor &y = std::is_same_v<O, int32_t> ? ctx.allocInt() : ctx.alloc();
  O *out = y.data<O>();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *pa = a.data<T>(), *pb = b.data<T>();
    int64_t n = y.numel();
    if (a.shape() == shape && b.shape() == shape) {
      ctx.pool.parallelFor(n, kGrain, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i)
          out[i] = O(f(double(pa[i]), double(pb[i])));
      });
      return;
    }
    auto sa = broadcastStrides(a.shape(), shape), sb = broadcastStrides(b.shape(), shape);
    ctx.pool.parallelFor(n, kGrain, [&](int64_t s, int64_t e) {
      std::array<const int64_t *, 2> st{sa.data(), sb.data()};
      forEachStrided<2>(shape, st, s, e, [&](int64_t i, const std::array<int64_t, 2> &o) {
        out[i] = O(f(double(pa[o[0]]), double(pb[o[1]])));
      });
    });
  });
}

template <double (*F)(double, double)> void binaryKernel(KernelCtx &ctx) {
  const Tensor &a = ctx.floatIn(0), &b = ctx.floatIn(1);
  withFloat(ctx, [&](auto zero) { mapBinary<decltype(zero)>(ctx, a, b, F); });
}

double add(double a, double b) { return a + b; }
double sub(double a, double b) { return a - b; }
double mul(double a, double b) { return a * b; }
double div_(double a, double b) { return a / b; }
// NaN propagates, as torch.maximum / torch.minimum do.
double max_(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); }
double min_(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b); }
double pow_(double a, double b) { return std::pow(a, b); }

void cmp(KernelCtx &ctx) {
  const Tensor &a = ctx.floatIn(0), &b = ctx.floatIn(1);
  std::string p = ctx.str("predicate");
  auto run = [&](auto pred) {
    mapBinary<int32_t>(ctx, a, b, [pred](double x, double y) { return pred(x, y) ? 1 : 0; });
  };
  if (p == "eq")
    run([](double x, double y) { return x == y; });
  else if (p == "ne")
    run([](double x, double y) { return x != y; });
  else if (p == "lt")
    run([](double x, double y) { return x < y; });
  else if (p == "le")
    run([](double x, double y) { return x <= y; });
  else if (p == "gt")
    run([](double x, double y) { return x > y; });
  else if (p == "ge")
    run([](double x, double y) { return x >= y; });
  else
    fail("unknown predicate '" + p + "'");
}

void select(KernelCtx &ctx) {
  const Tensor &c = ctx.intIn(0), &a = ctx.floatIn(1), &b = ctx.floatIn(2);
  Shape shape = broadcastShape(c.shape(), broadcastShape(a.shape(), b.shape()));
  ctx.expectOutShape(shape);
  Tensor &y = ctx.alloc();
  auto sc = broadcastStrides(c.shape(), shape), sa = broadcastStrides(a.shape(), shape),
       sb = broadcastStrides(b.shape(), shape);
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const int32_t *pc = c.data<int32_t>();
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T *out = y.data<T>();
    ctx.pool.parallelFor(y.numel(), kGrain, [&](int64_t s, int64_t e) {
      std::array<const int64_t *, 3> st{sc.data(), sa.data(), sb.data()};
      forEachStrided<3>(shape, st, s, e, [&](int64_t i, const std::array<int64_t, 3> &o) {
        out[i] = pc[o[0]] ? pa[o[1]] : pb[o[2]];
      });
    });
  });
}

} // namespace

void addElementwiseKernels(std::vector<KernelDef> &defs) {
  auto unary = [&](const char *kind, KernelFn fn) { defs.push_back({kind, 1, 1, 1, {}, fn}); };
  unary("neg", unaryKernel<neg>);
  unary("stop_gradient", unaryKernel<identity>);
  unary("exp", unaryKernel<exp_>);
  unary("log", unaryKernel<log_>);
  unary("tanh", unaryKernel<tanh_>);
  unary("sigmoid", unaryKernel<sigmoid>);
  unary("relu", unaryKernel<relu>);
  unary("square", unaryKernel<square>);
  unary("sqrt", unaryKernel<sqrt_>);
  unary("rsqrt", unaryKernel<rsqrt>);
  unary("abs", unaryKernel<abs_>);
  unary("round", unaryKernel<round_>);
  defs.push_back({"leaky_relu", 1, 1, 1, {{"slope", AttrType::F64}}, leakyRelu});
  defs.push_back({"clamp", 1, 1, 1, {{"min", AttrType::F64}, {"max", AttrType::F64}}, clamp});
  defs.push_back({"softcap", 1, 1, 1, {{"cap", AttrType::F64}}, softcap});
  defs.push_back({"cast", 1, 1, 1, {{"to", AttrType::DType}}, cast});
  auto binary = [&](const char *kind, KernelFn fn) { defs.push_back({kind, 2, 2, 1, {}, fn}); };
  binary("add", binaryKernel<add>);
  binary("sub", binaryKernel<sub>);
  binary("mul", binaryKernel<mul>);
  binary("div", binaryKernel<div_>);
  binary("max", binaryKernel<max_>);
  binary("min", binaryKernel<min_>);
  binary("pow", binaryKernel<pow_>);
  defs.push_back({"cmp", 2, 2, 1,
                  {{"predicate", AttrType::Str, true, {"eq", "ne", "lt", "le", "gt", "ge"}}},
                  cmp});
  defs.push_back({"select", 3, 3, 1, {}, select});
}

} // namespace golf::cpu

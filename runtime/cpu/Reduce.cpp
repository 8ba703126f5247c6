//===- Reduce.cpp - reduce_sum / reduce_mean / reduce_max, reduce_to ------===//
//
// Sums accumulate in double in a fixed order (along the reduced axis, one
// output element at a time), so results do not depend on threading.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Strided.h"

#include <cmath>
#include <limits>

namespace golf::cpu {

namespace {

enum class Reduction { Sum, Mean, Max };

template <Reduction R> void reduceAxis(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0);
  int64_t rank = x.rank();
  int64_t axis = normalizeAxis(ctx.i64("axis"), rank);
  Shape shape = x.shape();
  if (ctx.flag("keepdim"))
    shape[size_t(axis)] = 1;
  else
    shape.erase(shape.begin() + axis);
  ctx.expectOutShape(shape);
  Tensor &y = ctx.alloc();
  int64_t outer = 1, inner = 1, n = x.shape()[size_t(axis)];
  for (int64_t i = 0; i < axis; ++i)
    outer *= x.shape()[size_t(i)];
  for (int64_t i = axis + 1; i < rank; ++i)
    inner *= x.shape()[size_t(i)];
  // Tasks: (outer index, block of inner indices); each owns its outputs.
  constexpr int64_t kBlock = 256;
  int64_t blocks = (inner + kBlock - 1) / kBlock;
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *in = x.data<T>();
    T *out = y.data<T>();
    int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, n * kBlock));
    ctx.pool.parallelFor(outer * blocks, grain, [&](int64_t b, int64_t e) {
      std::vector<double> acc(static_cast<size_t>(std::min(inner, kBlock)));
      for (int64_t task = b; task < e; ++task) {
        int64_t o = task / blocks, i0 = (task % blocks) * kBlock;
        int64_t m = std::min(kBlock, inner - i0);
        double init = R == Reduction::Max ? -std::numeric_limits<double>::infinity() : 0.0;
        std::fill(acc.begin(), acc.begin() + m, init);
        for (int64_t j = 0; j < n; ++j) {
          const T *row = in + (o * n + j) * inner + i0;
          for (int64_t i = 0; i < m; ++i) {
            double v = double(row[i]);
            double &a = acc[size_t(i)];
            if constexpr (R == Reduction::Max) {
              if (!std::isnan(a) && (std::isnan(v) || v > a)) // NaN propagates, as in torch
                a = v;
            } else {
              a += v;
            }
          }
        }
        for (int64_t i = 0; i < m; ++i)
          out[o * inner + i0 + i] =
              T(R == Reduction::Mean ? acc[size_t(i)] / double(n) : acc[size_t(i)]);
      }
    });
  });
}

/// Sums x down to the declared result shape, which must broadcast to x.
void reduceTo(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0);
  const Shape &shape = ctx.outShape();
  std::vector<int64_t> toOut = broadcastStrides(shape, x.shape());
  Tensor &y = ctx.alloc();
  std::vector<double> acc(static_cast<size_t>(y.numel()), 0.0);
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *in = x.data<T>();
    std::array<const int64_t *, 1> st{toOut.data()};
    forEachStrided<1>(x.shape(), st, 0, x.numel(),
                      [&](int64_t i, const std::array<int64_t, 1> &o) { acc[size_t(o[0])] += double(in[i]); });
    T *out = y.data<T>();
    for (size_t i = 0; i < acc.size(); ++i)
      out[i] = T(acc[i]);
  });
}

} // namespace

void addReduceKernels(std::vector<KernelDef> &defs) {
  std::vector<AttrSpec> attrs = {{"axis", AttrType::I64}, {"keepdim", AttrType::Unit, false}};
  defs.push_back({"reduce_sum", 1, 1, 1, attrs, reduceAxis<Reduction::Sum>});
  defs.push_back({"reduce_mean", 1, 1, 1, attrs, reduceAxis<Reduction::Mean>});
  defs.push_back({"reduce_max", 1, 1, 1, attrs, reduceAxis<Reduction::Max>});
  defs.push_back({"reduce_to", 1, 1, 1, {}, reduceTo});
}

} // namespace golf::cpu

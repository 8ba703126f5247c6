//===- Shape.cpp - reshape, broadcast, transpose, heads, slice, concat,
//                 shift, pad -------------------------------------------===//
//
// All of these are one strided box copy (copyBox) with the right strides and
// offsets; reshape alone is a view of its operand's buffer.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Strided.h"

namespace golf::cpu {

namespace {

const Tensor &anyIn(const KernelCtx &ctx, int i) {
  const Tensor &t = *ctx.in[size_t(i)];
  if (!t.defined())
    fail("operand " + std::to_string(i) + " is undefined");
  return t;
}

/// Allocates the result with the operand's storage (these ops keep dtypes).
Tensor &allocLike(KernelCtx &ctx, const Tensor &x, int i = 0) {
  return ctx.allocAs(x.storage(), i);
}

/// Copies the whole of x into y, reading x through `srcStrides` (one per
/// axis of y) from offset 0.
void gather(KernelCtx &ctx, const Tensor &x, Tensor &y, const std::vector<int64_t> &srcStrides,
            int64_t srcOff = 0) {
  copyBox(y.shape(), storageBytes(x.storage()), x.raw(), srcOff, srcStrides, y.raw(), 0,
          stridesOf(y.shape()), ctx.pool);
}

void reshape(KernelCtx &ctx) {
  const Tensor &x = anyIn(ctx, 0);
  if (numelOf(ctx.outShape()) != x.numel())
    fail("element count changes from " + shapeString(x.shape()) + " to " +
         shapeString(ctx.outShape()));
  if (ctx.outDType() != x.dtype())
    fail("reshape must keep the element type");
  ctx.out[0] = x.reshaped(ctx.outShape());
}

void broadcast(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0);
  std::vector<int64_t> strides = broadcastStrides(x.shape(), ctx.outShape());
  gather(ctx, x, ctx.alloc(), strides);
}

void transpose(KernelCtx &ctx) {
  const Tensor &x = anyIn(ctx, 0);
  std::vector<int64_t> perm = ctx.i64s("perm");
  if (int64_t(perm.size()) != x.rank())
    fail("perm has " + std::to_string(perm.size()) + " entries for rank " +
         std::to_string(x.rank()));
  std::vector<bool> seen(perm.size(), false);
  Shape shape;
  std::vector<int64_t> in = stridesOf(x.shape()), src;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.rank() || seen[size_t(p)])
      fail("perm is not a permutation");
    seen[size_t(p)] = true;
    shape.push_back(x.shape()[size_t(p)]);
    src.push_back(in[size_t(p)]);
  }
  ctx.expectOutShape(shape);
  gather(ctx, x, allocLike(ctx, x), src);
}

/// [B, T, H*D] -> [B, H, T, D].
void splitHeads(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0);
  int64_t heads = ctx.i64("heads");
  if (x.rank() != 3)
    fail("needs [batch, seq, features], got " + shapeString(x.shape()));
  int64_t b = x.shape()[0], t = x.shape()[1], f = x.shape()[2];
  if (heads <= 0 || f % heads != 0)
    fail("features " + std::to_string(f) + " do not split into " + std::to_string(heads) + " heads");
  int64_t d = f / heads;
  ctx.expectOutShape({b, heads, t, d});
  gather(ctx, x, ctx.alloc(), {t * f, d, f, 1});
}

/// [B, H, T, D] -> [B, T, H*D], read as [B, T, H, D].
void mergeHeads(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0);
  if (x.rank() != 4)
    fail("needs [batch, heads, seq, head_dim], got " + shapeString(x.shape()));
  int64_t b = x.shape()[0], h = x.shape()[1], t = x.shape()[2], d = x.shape()[3];
  ctx.expectOutShape({b, t, h * d});
  Tensor &y = ctx.alloc();
  copyBox({b, t, h, d}, storageBytes(x.storage()), x.raw(), 0, {h * t * d, d, t * d, 1}, y.raw(),
          0, stridesOf({b, t, h, d}), ctx.pool);
}

void slice(KernelCtx &ctx) {
  const Tensor &x = anyIn(ctx, 0);
  std::vector<int64_t> starts = ctx.i64s("starts"), limits = ctx.i64s("limits");
  if (int64_t(starts.size()) != x.rank() || int64_t(limits.size()) != x.rank())
    fail("needs one start and one limit per axis");
  Shape shape;
  std::vector<int64_t> strides = stridesOf(x.shape());
  int64_t off = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    if (starts[i] < 0 || starts[i] > limits[i] || limits[i] > x.shape()[i])
      fail("slice [" + std::to_string(starts[i]) + ", " + std::to_string(limits[i]) +
           ") is out of bounds on axis " + std::to_string(i));
    shape.push_back(limits[i] - starts[i]);
    off += starts[i] * strides[i];
  }
  ctx.expectOutShape(shape);
  gather(ctx, x, allocLike(ctx, x), strides, off);
}

void concat(KernelCtx &ctx) {
  const Tensor &first = ctx.floatIn(0);
  int64_t axis = normalizeAxis(ctx.i64("axis"), first.rank());
  Shape shape = first.shape();
  shape[size_t(axis)] = 0;
  for (size_t i = 0; i < ctx.in.size(); ++i) {
    const Tensor &x = ctx.floatIn(int(i));
    for (int64_t a = 0; a < first.rank(); ++a)
      if (x.rank() != first.rank() || (a != axis && x.shape()[size_t(a)] != first.shape()[size_t(a)]))
        fail("inputs differ: " + shapeString(first.shape()) + " vs " + shapeString(x.shape()));
    shape[size_t(axis)] += x.shape()[size_t(axis)];
  }
  ctx.expectOutShape(shape);
  Tensor &y = ctx.alloc();
  std::vector<int64_t> dst = stridesOf(shape);
  int64_t at = 0;
  for (size_t i = 0; i < ctx.in.size(); ++i) {
    const Tensor &x = *ctx.in[i];
    copyBox(x.shape(), storageBytes(x.storage()), x.raw(), 0, stridesOf(x.shape()), y.raw(),
            at * dst[size_t(axis)], dst, ctx.pool);
    at += x.shape()[size_t(axis)];
  }
}

/// y[..., t, ...] = x[..., t - offset, ...] where that exists, else 0.
void shift(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0);
  int64_t axis = normalizeAxis(ctx.i64("axis"), x.rank()), offset = ctx.i64("offset");
  ctx.expectOutShape(x.shape());
  Tensor &y = ctx.allocZeros();
  int64_t n = x.shape()[size_t(axis)];
  if (offset >= n || -offset >= n)
    return;
  Shape box = x.shape();
  box[size_t(axis)] = n - (offset < 0 ? -offset : offset);
  std::vector<int64_t> strides = stridesOf(x.shape());
  int64_t step = strides[size_t(axis)];
  copyBox(box, storageBytes(x.storage()), x.raw(), offset < 0 ? -offset * step : 0, strides,
          y.raw(), offset > 0 ? offset * step : 0, strides, ctx.pool);
}

void pad(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0);
  std::vector<int64_t> low = ctx.i64s("low"), high = ctx.i64s("high");
  if (int64_t(low.size()) != x.rank() || int64_t(high.size()) != x.rank())
    fail("needs low and high per axis");
  Shape shape;
  for (size_t i = 0; i < low.size(); ++i) {
    if (low[i] < 0 || high[i] < 0)
      fail("padding must be >= 0");
    shape.push_back(low[i] + x.shape()[i] + high[i]);
  }
  ctx.expectOutShape(shape);
  Tensor &y = ctx.allocZeros();
  std::vector<int64_t> dst = stridesOf(shape);
  int64_t off = 0;
  for (size_t i = 0; i < low.size(); ++i)
    off += low[i] * dst[i];
  copyBox(x.shape(), storageBytes(x.storage()), x.raw(), 0, stridesOf(x.shape()), y.raw(), off,
          dst, ctx.pool);
}

} // namespace

void addShapeKernels(std::vector<KernelDef> &defs) {
  defs.push_back({"reshape", 1, 1, 1, {}, reshape, /*makesViews=*/true});
  defs.push_back({"broadcast", 1, 1, 1, {}, broadcast});
  defs.push_back({"transpose", 1, 1, 1, {{"perm", AttrType::I64Array}}, transpose});
  defs.push_back({"split_heads", 1, 1, 1, {{"heads", AttrType::I64}}, splitHeads});
  defs.push_back({"merge_heads", 1, 1, 1, {}, mergeHeads});
  defs.push_back({"slice", 1, 1, 1,
                  {{"starts", AttrType::I64Array}, {"limits", AttrType::I64Array}}, slice});
  defs.push_back({"concat", 1, -1, 1, {{"axis", AttrType::I64}}, concat});
  defs.push_back({"shift", 1, 1, 1, {{"axis", AttrType::I64}, {"offset", AttrType::I64}}, shift});
  defs.push_back({"pad", 1, 1, 1, {{"low", AttrType::I64Array}, {"high", AttrType::I64Array}}, pad});
}

} // namespace golf::cpu

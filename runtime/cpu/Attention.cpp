//===- Attention.cpp - attention, attention_grad, rope --------------------===//
//
// Attention works one (batch, head) at a time: scores and products are gemm
// calls, the softmax is computed in double per row. Heads are spread over
// the pool; with a single task its products are split instead. The backward pass works
// one (batch, KV head) at a time and walks that KV head's query heads in
// order, so dk and dv are summed over the GQA group in a fixed order and
// tasks never share outputs (deterministic under any thread timing).
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Blas.h"

#include <cmath>

namespace golf::cpu {

namespace {

struct Dims {
  int64_t b, h, t, d, hkv, s, dv, group;
};

Dims attentionDims(const Tensor &q, const Tensor &k, const Tensor &v, bool causal) {
  if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4)
    fail("needs [batch, heads, seq, head_dim] operands");
  const Shape &qs = q.shape(), &ks = k.shape(), &vs = v.shape();
  Dims d{qs[0], qs[1], qs[2], qs[3], ks[1], ks[2], vs[3], 0};
  if (ks[0] != d.b || vs[0] != d.b)
    fail("q, k and v batch sizes differ");
  if (vs[1] != d.hkv || vs[2] != d.s)
    fail("k and v differ in heads or length: " + shapeString(ks) + " vs " + shapeString(vs));
  if (d.hkv <= 0 || d.h % d.hkv != 0)
    fail(std::to_string(d.h) + " query heads are not a multiple of " + std::to_string(d.hkv) +
         " KV heads");
  if (ks[3] != d.d)
    fail("q and k head dims differ: " + shapeString(qs) + " vs " + shapeString(ks));
  if (causal && d.s != d.t)
    fail("causal attention needs equal query and key lengths");
  d.group = d.h / d.hkv;
  return d;
}

double scaleOf(const KernelCtx &ctx) {
  double scale = ctx.f64("scale");
  if (!(scale > 0))
    fail("scale must be > 0");
  return scale;
}

/// P = softmax(scale * q k^T [+ causal mask]) for one head: [t, s] in p.
template <class T>
void probabilities(ThreadPool &pool, const Dims &d, bool causal, double scale, const T *q,
                   const T *k, T *p) {
  parallelGemm<T>(pool, false, true, d.t, d.s, d.d, scale, q, d.d, k, d.d, 0.0, p, d.s);
  std::vector<double> e(static_cast<size_t>(d.s));
  for (int64_t i = 0; i < d.t; ++i) {
    T *row = p + i * d.s;
    int64_t valid = causal ? i + 1 : d.s;
    double m = -INFINITY;
    for (int64_t j = 0; j < valid; ++j)
      m = std::max(m, double(row[j]));
    double sum = 0;
    for (int64_t j = 0; j < valid; ++j)
      sum += e[size_t(j)] = std::exp(double(row[j]) - m);
    double inv = 1.0 / sum;
    for (int64_t j = 0; j < valid; ++j)
      row[j] = T(e[size_t(j)] * inv);
    for (int64_t j = valid; j < d.s; ++j)
      row[j] = T(0);
  }
}

void attention(KernelCtx &ctx) {
  const Tensor &q = ctx.floatIn(0), &k = ctx.floatIn(1), &v = ctx.floatIn(2);
  bool causal = ctx.flag("causal");
  double scale = scaleOf(ctx);
  Dims d = attentionDims(q, k, v, causal);
  ctx.expectOutShape({d.b, d.h, d.t, d.dv});
  Tensor &y = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *pq = q.data<T>(), *pk = k.data<T>(), *pv = v.data<T>();
    T *py = y.data<T>();
    ctx.pool.parallelFor(d.b * d.h, 1, [&](int64_t begin, int64_t end) {
      Tensor scratch = ctx.scratch<T>(d.t * d.s);
      T *p = scratch.data<T>();
      for (int64_t task = begin; task < end; ++task) {
        int64_t bi = task / d.h, hi = task % d.h, kv = bi * d.hkv + hi / d.group;
        probabilities(ctx.pool, d, causal, scale, pq + task * d.t * d.d, pk + kv * d.s * d.d, p);
        parallelGemm<T>(ctx.pool, false, false, d.t, d.dv, d.s, 1.0, p, d.s,
                        pv + kv * d.s * d.dv, d.dv, 0.0, py + task * d.t * d.dv, d.dv);
      }
    });
  });
}

/// dv = P^T dy, dP = dy v^T, dS = P * (dP - rowsum(dP * P)), dq = scale dS k,
/// dk = scale dS^T q; dk and dv summed over the query heads of a KV head.
void attentionGrad(KernelCtx &ctx) {
  const Tensor &q = ctx.floatIn(0), &k = ctx.floatIn(1), &v = ctx.floatIn(2),
               &dy = ctx.floatIn(3);
  bool causal = ctx.flag("causal");
  double scale = scaleOf(ctx);
  Dims d = attentionDims(q, k, v, causal);
  if (dy.shape() != Shape{d.b, d.h, d.t, d.dv})
    fail("dy shape " + shapeString(dy.shape()) + " is not the attention output shape");
  ctx.expectOutShape(q.shape(), 0);
  ctx.expectOutShape(k.shape(), 1);
  ctx.expectOutShape(v.shape(), 2);
  Tensor &dq = ctx.alloc(0), &dk = ctx.allocZeros(1), &dv = ctx.allocZeros(2);
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *pq = q.data<T>(), *pk = k.data<T>(), *pv = v.data<T>(), *pdy = dy.data<T>();
    T *pdq = dq.data<T>(), *pdk = dk.data<T>(), *pdv = dv.data<T>();
    ctx.pool.parallelFor(d.b * d.hkv, 1, [&](int64_t begin, int64_t end) {
      Tensor scratch = ctx.scratch<T>(2 * d.t * d.s);
      T *p = scratch.data<T>(), *ds = p + d.t * d.s;
      for (int64_t kv = begin; kv < end; ++kv) {
        int64_t bi = kv / d.hkv, g = kv % d.hkv;
        const T *kh = pk + kv * d.s * d.d, *vh = pv + kv * d.s * d.dv;
        T *dkh = pdk + kv * d.s * d.d, *dvh = pdv + kv * d.s * d.dv;
        for (int64_t hi = g * d.group; hi < (g + 1) * d.group; ++hi) {
          int64_t task = bi * d.h + hi;
          const T *qh = pq + task * d.t * d.d, *dyh = pdy + task * d.t * d.dv;
          probabilities(ctx.pool, d, causal, scale, qh, kh, p);
          parallelGemm<T>(ctx.pool, true, false, d.s, d.dv, d.t, 1.0, p, d.s, dyh, d.dv, 1.0, dvh, d.dv);
          parallelGemm<T>(ctx.pool, false, true, d.t, d.s, d.dv, 1.0, dyh, d.dv, vh, d.dv, 0.0, ds, d.s);
          for (int64_t i = 0; i < d.t; ++i) {
            T *pr = p + i * d.s, *dr = ds + i * d.s;
            double rs = 0;
            for (int64_t j = 0; j < d.s; ++j)
              rs += double(dr[j]) * double(pr[j]);
            for (int64_t j = 0; j < d.s; ++j)
              dr[j] = T(double(pr[j]) * (double(dr[j]) - rs));
          }
          parallelGemm<T>(ctx.pool, false, false, d.t, d.d, d.s, scale, ds, d.s, kh, d.d, 0.0,
                  pdq + task * d.t * d.d, d.d);
          parallelGemm<T>(ctx.pool, true, false, d.s, d.d, d.t, scale, ds, d.s, qh, d.d, 1.0, dkh, d.d);
        }
      }
    });
  });
}

/// Half-split rotary embedding of the first `dims` features of each row of
/// [..., seq, head_dim]: pairs (i, i + dims/2) rotate by t * base^(-2i/dims)
/// (by the negative angle with `inverse`, the forward's gradient).
void rope(KernelCtx &ctx) {
  const Tensor &x = ctx.floatIn(0);
  if (x.rank() < 2)
    fail("needs [..., seq, head_dim]");
  ctx.expectOutShape(x.shape());
  int64_t t = x.shape()[size_t(x.rank() - 2)], dim = x.shape().back(), r = ctx.i64("dims");
  double base = ctx.f64("base");
  if (r <= 0 || r % 2 || r > dim)
    fail("dims must be even and in (0, " + std::to_string(dim) + "], got " + std::to_string(r));
  if (!(base > 0))
    fail("base must be > 0");
  double sign = ctx.flag("inverse") ? -1.0 : 1.0;
  int64_t half = r / 2;
  std::vector<double> cosT(static_cast<size_t>(t * half)), sinT(static_cast<size_t>(t * half));
  for (int64_t i = 0; i < half; ++i) {
    double invFreq = std::pow(base, -2.0 * double(i) / double(r));
    for (int64_t pos = 0; pos < t; ++pos) {
      double theta = double(pos) * invFreq;
      cosT[size_t(pos * half + i)] = std::cos(theta);
      sinT[size_t(pos * half + i)] = sign * std::sin(theta);
    }
  }
  Tensor &y = ctx.alloc();
  int64_t rows = dim ? x.numel() / dim : 0;
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *in = x.data<T>();
    T *out = y.data<T>();
    ctx.pool.parallelFor(rows, 64, [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        const T *xr = in + row * dim;
        T *yr = out + row * dim;
        const double *c = &cosT[size_t((row % t) * half)], *s = &sinT[size_t((row % t) * half)];
        for (int64_t i = 0; i < half; ++i) {
          double x1 = double(xr[i]), x2 = double(xr[i + half]);
          yr[i] = T(x1 * c[i] + x2 * s[i]);
          yr[i + half] = T(-x1 * s[i] + x2 * c[i]);
        }
        for (int64_t i = r; i < dim; ++i)
          yr[i] = xr[i];
      }
    });
  });
}

} // namespace

void addAttentionKernels(std::vector<KernelDef> &defs) {
  std::vector<AttrSpec> attrs = {{"causal", AttrType::Unit, false}, {"scale", AttrType::F64}};
  defs.push_back({"attention", 3, 3, 1, attrs, attention});
  defs.push_back({"attention_grad", 4, 4, 3, attrs, attentionGrad});
  defs.push_back({"rope", 1, 1, 1,
                  {{"base", AttrType::F64}, {"dims", AttrType::I64}, {"inverse", AttrType::Unit, false}},
                  rope});
}

} // namespace golf::cpu

//===- Embedding.cpp - embedding, embedding_grad, bigram_hash -------------===//
//
// Ids are checked before any row is touched: an id outside the table is a
// one-line error naming the id and its position, never a wild read.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Kernel.h"

#include <cstring>

namespace golf::cpu {

namespace {

void checkIds(const Tensor &ids, int64_t rows) {
  const int32_t *p = ids.data<int32_t>();
  for (int64_t i = 0; i < ids.numel(); ++i)
    if (p[i] < 0 || p[i] >= rows)
      fail("id " + std::to_string(p[i]) + " at position " + std::to_string(i) +
           " is out of range [0, " + std::to_string(rows) + ")");
}

void embedding(KernelCtx &ctx) {
  const Tensor &table = ctx.floatIn(0), &ids = ctx.intIn(1);
  if (table.rank() != 2)
    fail("table must be 2-D, got " + shapeString(table.shape()));
  int64_t rows = table.shape()[0], width = table.shape()[1];
  Shape shape = ids.shape();
  shape.push_back(width);
  ctx.expectOutShape(shape);
  checkIds(ids, rows);
  Tensor &y = ctx.alloc();
  size_t rowBytes = size_t(width) * storageBytes(y.storage());
  const int32_t *pid = ids.data<int32_t>();
  const char *src = static_cast<const char *>(table.raw());
  char *dst = static_cast<char *>(y.raw());
  ctx.pool.parallelFor(ids.numel(), 256, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      std::memcpy(dst + size_t(i) * rowBytes, src + size_t(pid[i]) * rowBytes, rowBytes);
  });
}

/// dtable[r] = sum of dy[i] over positions i with ids[i] = r, summed in double
/// in increasing position order (a counting sort groups the positions).
void embeddingGrad(KernelCtx &ctx) {
  const Tensor &ids = ctx.intIn(0), &dy = ctx.floatIn(1);
  int64_t rows = ctx.i64("rows");
  if (rows < 0)
    fail("rows must be >= 0");
  if (dy.rank() != ids.rank() + 1 || Shape(dy.shape().begin(), dy.shape().end() - 1) != ids.shape())
    fail("dy " + shapeString(dy.shape()) + " must be ids' shape " + shapeString(ids.shape()) +
         " plus the row width");
  int64_t width = dy.shape().back();
  ctx.expectOutShape({rows, width});
  checkIds(ids, rows);
  const int32_t *pid = ids.data<int32_t>();
  int64_t n = ids.numel();
  std::vector<int64_t> start(static_cast<size_t>(rows) + 1, 0), order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    ++start[size_t(pid[i]) + 1];
  for (int64_t r = 0; r < rows; ++r)
    start[size_t(r) + 1] += start[size_t(r)];
  std::vector<int64_t> fill(start.begin(), start.end() - 1);
  for (int64_t i = 0; i < n; ++i)
    order[size_t(fill[size_t(pid[i])]++)] = i;
  Tensor &out = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *g = dy.data<T>();
    T *po = out.data<T>();
    ctx.pool.parallelFor(rows, 16, [&](int64_t b, int64_t e) {
      std::vector<double> acc(static_cast<size_t>(width));
      for (int64_t r = b; r < e; ++r) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t k = start[size_t(r)]; k < start[size_t(r) + 1]; ++k) {
          const T *row = g + order[size_t(k)] * width;
          for (int64_t j = 0; j < width; ++j)
            acc[size_t(j)] += double(row[j]);
        }
        for (int64_t j = 0; j < width; ++j)
          po[r * width + j] = T(acc[size_t(j)]);
      }
    });
  });
}

/// h[..., 0] = buckets - 1; h[..., i] = ((mul_cur * t_i) xor (mul_prev * t_{i-1}))
/// mod (buckets - 1), in wrapping int32 arithmetic with a non-negative
/// remainder (PyTorch's % on int32 tensors).
void bigramHash(KernelCtx &ctx) {
  const Tensor &t = ctx.intIn(0);
  int64_t buckets = ctx.i64("buckets");
  if (buckets < 2 || buckets - 1 > INT32_MAX)
    fail("buckets must be in [2, 2^31]");
  if (t.rank() < 1)
    fail("ids need a sequence axis");
  ctx.expectOutShape(t.shape());
  uint32_t mulCur = uint32_t(ctx.i64("mul_cur")), mulPrev = uint32_t(ctx.i64("mul_prev"));
  int64_t mod = buckets - 1, len = t.shape().back(), seqs = len ? t.numel() / len : 0;
  const int32_t *in = t.data<int32_t>();
  int32_t *out = ctx.allocInt().data<int32_t>();
  for (int64_t s = 0; s < seqs; ++s) {
    const int32_t *row = in + s * len;
    int32_t *h = out + s * len;
    if (len > 0)
      h[0] = int32_t(mod);
    for (int64_t i = 1; i < len; ++i) {
      int32_t cur = int32_t(mulCur * uint32_t(row[i]));
      int32_t prev = int32_t(mulPrev * uint32_t(row[i - 1]));
      int64_t r = int64_t(cur ^ prev) % mod;
      h[i] = int32_t(r < 0 ? r + mod : r);
    }
  }
}

} // namespace

void addEmbeddingKernels(std::vector<KernelDef> &defs) {
  defs.push_back({"embedding", 2, 2, 1, {}, embedding});
  defs.push_back({"embedding_grad", 2, 2, 1, {{"rows", AttrType::I64}}, embeddingGrad});
  defs.push_back({"bigram_hash", 1, 1, 1,
                  {{"buckets", AttrType::I64}, {"mul_cur", AttrType::I64}, {"mul_prev", AttrType::I64}},
                  bigramHash});
}

} // namespace golf::cpu

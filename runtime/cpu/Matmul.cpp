//===- Matmul.cpp - matmul through BLAS -----------------------------------===//
//
// A linear layer (2-D right side, untransposed left side) is one gemm over
// all leading rows, cut into slabs over the pool; a batch of products is
// spread over the pool one product per task.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Blas.h"

#include <mutex>

namespace golf::cpu {

namespace {

void matmul(KernelCtx &ctx) {
  const Tensor &a = ctx.floatIn(0), &b = ctx.floatIn(1);
  bool ta = ctx.flag("transpose_lhs"), tb = ctx.flag("transpose_rhs");
  int64_t ra = a.rank(), rb = b.rank();
  if (ra < 2 || rb < 2)
    fail("operands need rank >= 2, got " + shapeString(a.shape()) + " and " +
         shapeString(b.shape()));
  int64_t a1 = a.shape()[size_t(ra - 2)], a2 = a.shape()[size_t(ra - 1)];
  int64_t b1 = b.shape()[size_t(rb - 2)], b2 = b.shape()[size_t(rb - 1)];
  int64_t m = ta ? a2 : a1, k = ta ? a1 : a2, kb = tb ? b2 : b1, n = tb ? b1 : b2;
  if (k != kb)
    fail("contraction sizes differ: " + shapeString(a.shape()) + " and " + shapeString(b.shape()));
  Shape lead(a.shape().begin(), a.shape().end() - 2);
  if (rb > 2 && Shape(b.shape().begin(), b.shape().end() - 2) != lead)
    fail("batched matmul needs equal leading axes: " + shapeString(a.shape()) + " and " +
         shapeString(b.shape()));
  Shape shape = lead;
  shape.push_back(m);
  shape.push_back(n);
  ctx.expectOutShape(shape);
  Tensor &y = ctx.alloc();
  int64_t batch = numelOf(lead);
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T *pc = y.data<T>();
    if (rb == 2 && !ta) {
      parallelGemm<T>(ctx.pool, false, tb, batch * m, n, k, 1.0, pa, a2, pb, b2, 0.0, pc, n);
      return;
    }
    int64_t strideB = rb == 2 ? 0 : b1 * b2;
    // One product per task when there are several; a single product is
    // split by parallelGemm (which runs inline inside a task).
    ctx.pool.parallelFor(batch, 1, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i)
        parallelGemm<T>(ctx.pool, ta, tb, m, n, k, 1.0, pa + i * a1 * a2, a2, pb + i * strideB, b2,
                        0.0, pc + i * m * n, n);
    });
  });
}

} // namespace

void useSingleThreadedBlas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void addMatmulKernels(std::vector<KernelDef> &defs) {
  defs.push_back({"matmul", 2, 2, 1,
                  {{"transpose_lhs", AttrType::Unit, false}, {"transpose_rhs", AttrType::Unit, false}},
                  matmul});
}

} // namespace golf::cpu

//===- Blas.h - the one place that calls BLAS ----------------*- C++ -*-===//
//
// Row-major gemm over float or double: C = alpha op(A) op(B) + beta C, with
// op(A) [m, k] and op(B) [k, n]. Every matrix product of the executor goes
// through here (batched products are loops of calls). Degenerate sizes are
// handled here because BLAS rejects leading dimensions of 0.
//
// OpenBLAS runs single-threaded (see useSingleThreadedBlas): its own thread
// server, called from both pool threads at once, was measured 4-10x slower
// than one thread per call. Large single products are instead cut into row
// (or column) slabs by parallelGemm and spread over the pool.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CPU_BLAS_H
#define GOLF_RUNTIME_CPU_BLAS_H

#include "runtime/cpu/Kernel.h"

#include <cblas.h>
#include <climits>

namespace golf::cpu {

template <class T>
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, double alpha, const T *a,
          int64_t lda, const T *b, int64_t ldb, double beta, T *c, int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  if (k == 0) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * ldc + j] = beta == 0 ? T(0) : T(beta * double(c[i * ldc + j]));
    return;
  }
  for (int64_t d : {m, n, k, lda, ldb, ldc})
    if (d > INT_MAX)
      fail("matrix dimension " + std::to_string(d) + " exceeds the BLAS interface");
  auto ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), float(alpha), a,
                blasint(lda), b, blasint(ldb), float(beta), c, blasint(ldc));
  else
    cblas_dgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), alpha, a,
                blasint(lda), b, blasint(ldb), beta, c, blasint(ldc));
}

/// gemm cut into fixed slabs of 64 rows of C (or 64 columns when C is wide),
/// one gemm call per slab, the slabs spread over the pool. The cut depends
/// only on the sizes, never on the thread count or on nesting, because
/// OpenBLAS's per-element results depend on the shape of the call (it has
/// separate small-matrix kernels): the same slabs give the same bits.
template <class T>
void parallelGemm(ThreadPool &pool, bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                  double alpha, const T *a, int64_t lda, const T *b, int64_t ldb, double beta,
                  T *c, int64_t ldc) {
  constexpr int64_t kSlab = 64;
  bool byRows = m >= n;
  int64_t extent = byRows ? m : n, slabs = (extent + kSlab - 1) / kSlab;
  if (double(m) * double(n) * double(k) < double(1 << 20) || slabs < 2) {
    gemm<T>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  pool.parallelFor(slabs, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t slab = s0; slab < s1; ++slab) {
      int64_t s = slab * kSlab, e = std::min(extent, s + kSlab);
      if (byRows)
        gemm<T>(transA, transB, e - s, n, k, alpha, transA ? a + s : a + s * lda, lda, b, ldb,
                beta, c + s * ldc, ldc);
      else
        gemm<T>(transA, transB, m, e - s, k, alpha, a, lda, transB ? b + s * ldb : b + s, ldb,
                beta, c + s, ldc);
    }
  });
}

/// Sets OpenBLAS to one thread, once per process.
void useSingleThreadedBlas();

} // namespace golf::cpu

#endif // GOLF_RUNTIME_CPU_BLAS_H

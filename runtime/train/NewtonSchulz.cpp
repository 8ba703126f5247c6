//===- NewtonSchulz.cpp - Muon's orthogonalization ------------------------===//
#include "runtime/train/NewtonSchulz.h"

#include "runtime/cpu/Blas.h"
#include "runtime/train/Elements.h"

#include <cmath>
#include <vector>

namespace golf::train {
namespace detail {
namespace {

/// Every product goes through parallelGemm, with a pool of one (the caller)
/// when none is given: its slab cut fixes how OpenBLAS is called and so the
/// bits, which must not depend on whether threads were available.
template <class T>
void product(cpu::ThreadPool *pool, bool transB, int64_t m, int64_t n, int64_t k, double alpha,
             const T *a, const T *b, int64_t ldb, double beta, T *c) {
  // A pool of one runs every loop inline and holds no lock, so one instance
  // can serve all threads.
  static cpu::ThreadPool serial(1);
  cpu::parallelGemm<T>(pool ? *pool : serial, false, transB, m, n, k, alpha, a, k, b, ldb, beta,
                       c, n);
}

} // namespace

template <class T>
void newtonSchulzMatrix(const T *g, int64_t rows, int64_t cols, int steps, T *out,
                        cpu::ThreadPool *pool, const NsCoefficients &k) {
  const int64_t count = rows * cols;
  if (count == 0)
    return;
  // Work on the wide orientation (m <= n) so that A = X Xᵀ is the small
  // Gram matrix.
  const bool transposed = rows > cols;
  const int64_t m = transposed ? cols : rows, n = transposed ? rows : cols;
  double sq = 0;
  for (int64_t i = 0; i < count; ++i)
    sq += double(g[i]) * double(g[i]);
  const double denom = std::sqrt(sq) + 1e-7;
  const size_t vecs = static_cast<size_t>(count), gram = static_cast<size_t>(m * m);
  std::vector<T> x(vecs), next(vecs), a(gram), b(gram);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      x[size_t(transposed ? j * rows + i : i * cols + j)] = T(double(g[i * cols + j]) / denom);
  for (int s = 0; s < steps; ++s) {
    // A = X Xᵀ
    product<T>(pool, true, m, m, n, 1.0, x.data(), x.data(), n, 0.0, a.data());
    // B = b·A + c·(A A)
    for (size_t i = 0; i < a.size(); ++i)
      b[i] = T(k.b * double(a[i]));
    product<T>(pool, false, m, m, m, k.c, a.data(), a.data(), m, 1.0, b.data());
    // X = a·X + B X
    for (size_t i = 0; i < x.size(); ++i)
      next[i] = T(k.a * double(x[i]));
    product<T>(pool, false, m, n, m, 1.0, b.data(), x.data(), n, 1.0, next.data());
    x.swap(next);
  }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      out[i * cols + j] = x[size_t(transposed ? j * rows + i : i * cols + j)];
}

template void newtonSchulzMatrix<float>(const float *, int64_t, int64_t, int, float *,
                                        cpu::ThreadPool *, const NsCoefficients &);
template void newtonSchulzMatrix<double>(const double *, int64_t, int64_t, int, double *,
                                         cpu::ThreadPool *, const NsCoefficients &);

} // namespace detail

std::optional<cpu::Tensor> newtonSchulz(const cpu::Tensor &g, int steps, std::string &error,
                                        cpu::ThreadPool *pool, const NsCoefficients &k) {
  std::optional<cpu::Tensor> result;
  bool ok = guard(error, [&] {
    expectFloat(g, "Newton-Schulz input");
    if (g.rank() < 2)
      fail("Newton-Schulz needs a matrix or a batch of matrices, got shape " +
           cpu::shapeString(g.shape()));
    if (steps < 0)
      fail("Newton-Schulz steps must be >= 0");
    cpu::useSingleThreadedBlas();
    const int64_t rows = g.shape()[size_t(g.rank() - 2)], cols = g.shape().back();
    const int64_t per = rows * cols, batch = per == 0 ? 0 : g.numel() / per;
    Tensor out = Tensor::allocate(DType::F32, g.shape(), g.storage());
    auto run = [&](auto zero) {
      using T = decltype(zero);
      const T *in = g.data<T>();
      T *o = out.data<T>();
      auto one = [&](int64_t i) {
        detail::newtonSchulzMatrix<T>(in + i * per, rows, cols, steps, o + i * per, pool, k);
      };
      if (pool && batch > 1)
        pool->parallelFor(batch, 1, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i)
            one(i);
        });
      else
        for (int64_t i = 0; i < batch; ++i)
          one(i);
    };
    if (g.storage() == Storage::F32)
      run(float{});
    else
      run(double{});
    result = std::move(out);
  });
  if (!ok)
    return std::nullopt;
  return result;
}

} // namespace golf::train

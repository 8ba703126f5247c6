//===- Gptq.cpp - full-Hessian GPTQ ---------------------------------------===//
#include "runtime/export/Gptq.h"
#include "runtime/cpu/Blas.h"

#include <algorithm>
#include <cmath>
#include <numeric>

extern "C" {
// LAPACK's Fortran interface, from OpenBLAS (there is no lapacke.h here).
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
}

namespace golf::exporter {

namespace {

/// A row-major symmetric matrix is its own column-major transpose, so
/// LAPACK's column-major 'L' factor is, read row-major, the upper factor U
/// with A = U^T U. Returns false if A is not positive definite.
bool upperCholesky(std::vector<double> &a, int n) {
  int info = 0;
  dpotrf_("L", &n, a.data(), &n, &info);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < i; ++j)
      a[size_t(i) * n + j] = 0;
  return info == 0;
}

/// The upper Cholesky factor of H^-1, or nothing if H is not positive definite.
std::optional<std::vector<double>> inverseFactor(std::vector<double> h, int n) {
  int info = 0;
  dpotrf_("L", &n, h.data(), &n, &info);
  if (info != 0)
    return std::nullopt;
  dpotri_("L", &n, h.data(), &n, &info);
  if (info != 0)
    return std::nullopt;
  // dpotri fills one triangle (row-major upper); mirror it.
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < i; ++j)
      h[size_t(i) * n + j] = h[size_t(j) * n + i];
  if (!upperCholesky(h, n))
    return std::nullopt;
  return h;
}

} // namespace

std::optional<Quantized> gptqQuantize(const Matrix &w, std::vector<double> h,
                                      const std::vector<float> &scales, const QuantSpec &spec,
                                      const GptqOptions &o, std::string &error) {
  const int64_t rows = w.rows, n = w.cols;
  if (int64_t(h.size()) != n * n || int64_t(scales.size()) != rows || n > INT32_MAX) {
    error = "gptq: the Hessian or scales do not match a " + std::to_string(rows) + " x " +
            std::to_string(n) + " weight";
    return std::nullopt;
  }
  std::vector<double> W(w.values.begin(), w.values.end());
  for (int64_t j = 0; j < n; ++j)
    if (h[size_t(j * n + j)] == 0) {
      h[size_t(j * n + j)] = 1;
      for (int64_t r = 0; r < rows; ++r)
        W[size_t(r * n + j)] = 0;
    }
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  if (o.actOrder)
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      return h[size_t(a * n + a)] > h[size_t(b * n + b)];
    });
  std::vector<double> P(size_t(n * n)), Wp(W.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      P[size_t(i * n + j)] = h[size_t(perm[size_t(i)] * n + perm[size_t(j)])];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j)
      Wp[size_t(r * n + j)] = W[size_t(r * n + perm[size_t(j)])];
  double meanDiag = 0;
  for (int64_t j = 0; j < n; ++j)
    meanDiag += P[size_t(j * n + j)] / double(n);

  std::optional<std::vector<double>> U;
  for (double factor : {1.0, 10.0, 100.0}) {
    std::vector<double> damped = P;
    for (int64_t j = 0; j < n; ++j)
      damped[size_t(j * n + j)] += factor * o.damp * meanDiag;
    if ((U = inverseFactor(std::move(damped), int(n))))
      break;
  }
  if (!U) {
    error = "gptq: the Hessian is not positive definite even with 100x damping";
    return std::nullopt;
  }

  const double qmax = quantMax(spec.bits);
  std::vector<int8_t> qp(W.size());
  int64_t block = std::max<int64_t>(1, o.block);
  for (int64_t i1 = 0; i1 < n; i1 += block) {
    int64_t i2 = std::min(i1 + block, n), count = i2 - i1;
    std::vector<double> err(size_t(rows * count));
    for (int64_t i = i1; i < i2; ++i) {
      double d = (*U)[size_t(i * n + i)];
      for (int64_t r = 0; r < rows; ++r) {
        double s = scales[size_t(r)], x = Wp[size_t(r * n + i)];
        double q = std::clamp(std::nearbyint(x / s), -qmax, qmax);
        qp[size_t(r * n + i)] = int8_t(q);
        double e = (x - q * s) / d;
        err[size_t(r * count + (i - i1))] = e;
        // Spread the error over the rest of the block.
        for (int64_t j = i + 1; j < i2; ++j)
          Wp[size_t(r * n + j)] -= e * (*U)[size_t(i * n + j)];
      }
    }
    // ... and, in one product, over every later column.
    if (i2 < n)
      cpu::gemm<double>(false, false, rows, n - i2, count, -1.0, err.data(), count,
                        U->data() + i1 * n + i2, n, 1.0, Wp.data() + i2, n);
  }
  Quantized out{rows, n, spec.bits, spec.scaleF32, scales, std::vector<int8_t>(qp.size())};
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j)
      out.q[size_t(r * n + perm[size_t(j)])] = qp[size_t(r * n + j)];
  return out;
}

double hessianError(const Matrix &w, const Matrix &v, const std::vector<double> &h) {
  const int64_t n = w.cols;
  double total = 0;
  std::vector<double> d(static_cast<size_t>(n));
  for (int64_t r = 0; r < w.rows; ++r) {
    for (int64_t j = 0; j < n; ++j)
      d[size_t(j)] = double(w.values[size_t(r * n + j)]) - double(v.values[size_t(r * n + j)]);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        total += d[size_t(i)] * h[size_t(i * n + j)] * d[size_t(j)];
  }
  return total;
}

} // namespace golf::exporter

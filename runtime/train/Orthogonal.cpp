//===- Orthogonal.cpp - PyTorch's orthogonal_ via LAPACK QR ---------------===//
//
// torch.nn.init.orthogonal_: G ~ N(0, 1) of shape (rows, cols); if rows <
// cols work on Gᵀ; Q, R = qr(G); Q *= sign(diag(R)); transpose back; times
// gain. The sign fix makes the result the unique QR factor with a positive
// R diagonal, so it depends on G only, not on the QR algorithm; we use
// LAPACK (dgeqrf + dorgqr from OpenBLAS) in double where torch uses fp32.
//
//===----------------------------------------------------------------------===//
#include "runtime/train/Orthogonal.h"

#include "runtime/cpu/Blas.h"
#include "runtime/train/Error.h"

#include <climits>
#include <vector>

extern "C" {
// LAPACK's Fortran interface (OpenBLAS bundles LAPACK; there is no lapacke.h
// on these machines). Column-major; 32-bit integers as OpenBLAS is built.
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
             const double *tau, double *work, const int *lwork, int *info);
}

namespace golf::train {
namespace {

/// One (rows, cols) matrix: g in (row-major Gaussian), out the result.
void orthogonalMatrix(const double *g, int64_t rows, int64_t cols, double gain, double *out) {
  if (rows == 0 || cols == 0)
    return;
  bool wide = rows < cols; // torch transposes so that QR sees a tall matrix
  int64_t m64 = wide ? cols : rows, n64 = wide ? rows : cols;
  if (m64 > INT_MAX / 64)
    fail("orthogonal init: matrix of " + std::to_string(rows) + "x" + std::to_string(cols) +
         " is too large for LAPACK");
  int m = int(m64), n = int(n64);
  // Column-major m x n: a[i + j*m] = M[i][j] with M = G (tall) or Gᵀ (wide).
  std::vector<double> a(static_cast<size_t>(m64 * n64)), tau(static_cast<size_t>(n));
  for (int64_t i = 0; i < m64; ++i)
    for (int64_t j = 0; j < n64; ++j)
      a[size_t(i + j * m64)] = wide ? g[j * cols + i] : g[i * cols + j];
  int lwork = std::max(1, 64 * n), info = 0;
  std::vector<double> work(static_cast<size_t>(lwork));
  dgeqrf_(&m, &n, a.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0)
    fail("orthogonal init: LAPACK dgeqrf failed (info " + std::to_string(info) + ")");
  std::vector<double> sign(static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) {
    double d = a[size_t(j) * size_t(m) + size_t(j)];
    sign[size_t(j)] = d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0; // torch's sign(0) = 0
  }
  dorgqr_(&m, &n, &n, a.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0)
    fail("orthogonal init: LAPACK dorgqr failed (info " + std::to_string(info) + ")");
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      // Q[r][c] = a[r + c*m] with column c scaled by sign[c].
      int64_t r = wide ? j : i, c = wide ? i : j;
      out[i * cols + j] = gain * sign[size_t(c)] * a[size_t(r + c * m64)];
    }
}

} // namespace

void fillOrthogonal(const RandomStream &stream, const cpu::Shape &shape, double gain, double *out) {
  if (shape.size() < 2)
    fail("orthogonal init needs a parameter of rank 2 or more, got shape " +
         cpu::shapeString(shape));
  // OpenBLAS's own threads would make the QR depend on the machine's core
  // count; the runtime runs BLAS single-threaded everywhere.
  cpu::useSingleThreadedBlas();
  int64_t slices = shape.size() == 2 ? 1 : shape[0];
  int64_t rows = shape.size() == 2 ? shape[0] : shape[1];
  int64_t numel = cpu::numelOf(shape);
  int64_t per = slices == 0 ? 0 : numel / slices;
  int64_t cols = rows == 0 ? 0 : per / rows;
  std::vector<double> g(static_cast<size_t>(per));
  for (int64_t s = 0; s < slices; ++s) {
    for (int64_t i = 0; i < per; ++i)
      g[size_t(i)] = stream.normalAt(uint64_t(s * per + i));
    orthogonalMatrix(g.data(), rows, cols, gain, out + s * per);
  }
}

} // namespace golf::train

//===- TestUtil.h - small plans and reference math for train tests ----*- C++ -*-===//
#ifndef GOLF_TEST_RUNTIME_TRAIN_TESTUTIL_H
#define GOLF_TEST_RUNTIME_TRAIN_TESTUTIL_H

#include "runtime/cpu/Executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace golf::train::test {

using cpu::Shape;
using cpu::Storage;
using cpu::Tensor;
using plan::DType;
using plan::Json;

/// A row-major matrix of doubles (reference computations).
struct Mat {
  int64_t rows = 0, cols = 0;
  std::vector<double> v;
  Mat() = default;
  Mat(int64_t r, int64_t c, std::vector<double> values = {})
      : rows(r), cols(c), v(values.empty() ? std::vector<double>(size_t(r * c)) : values) {}
  double &operator()(int64_t i, int64_t j) { return v[size_t(i * cols + j)]; }
  double operator()(int64_t i, int64_t j) const { return v[size_t(i * cols + j)]; }
};

inline Mat matmul(const Mat &a, const Mat &b) {
  Mat c(a.rows, b.cols);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.cols; ++j) {
      double s = 0;
      for (int64_t k = 0; k < a.cols; ++k)
        s += a(i, k) * b(k, j);
      c(i, j) = s;
    }
  return c;
}

inline Mat transpose(const Mat &a) {
  Mat t(a.cols, a.rows);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j)
      t(j, i) = a(i, j);
  return t;
}

/// zeropower_via_newtonschulz5, written out from the PyTorch source.
inline Mat referenceNewtonSchulz(Mat g, int steps) {
  const double a = 3.4445, b = -4.7750, c = 2.0315;
  double norm = 0;
  for (double x : g.v)
    norm += x * x;
  norm = std::sqrt(norm);
  for (double &x : g.v)
    x /= norm + 1e-7;
  bool transposed = g.rows > g.cols;
  Mat x = transposed ? transpose(g) : g;
  for (int s = 0; s < steps; ++s) {
    Mat A = matmul(x, transpose(x));
    Mat AA = matmul(A, A);
    Mat B(A.rows, A.cols);
    for (size_t i = 0; i < B.v.size(); ++i)
      B.v[i] = b * A.v[i] + c * AA.v[i];
    Mat BX = matmul(B, x);
    for (size_t i = 0; i < x.v.size(); ++i)
      x.v[i] = a * x.v[i] + BX.v[i];
  }
  return transposed ? transpose(x) : x;
}

/// Eigenvalues of a symmetric matrix (cyclic Jacobi), ascending.
inline std::vector<double> symmetricEigenvalues(Mat a) {
  const int64_t n = a.rows;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j)
        off += a(i, j) * a(i, j);
    if (off < 1e-22)
      break;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        if (std::abs(a(p, q)) < 1e-300)
          continue;
        double theta = (a(q, q) - a(p, p)) / (2 * a(p, q));
        double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < n; ++k) {
          double akp = a(k, p), akq = a(k, q);
          a(k, p) = c * akp - s * akq;
          a(k, q) = s * akp + c * akq;
        }
        for (int64_t k = 0; k < n; ++k) {
          double apk = a(p, k), aqk = a(q, k);
          a(p, k) = c * apk - s * aqk;
          a(q, k) = s * apk + c * aqk;
        }
      }
  }
  std::vector<double> ev;
  for (int64_t i = 0; i < n; ++i)
    ev.push_back(a(i, i));
  std::sort(ev.begin(), ev.end());
  return ev;
}

/// Singular values of a matrix, ascending (sqrt of eig(M Mᵀ) on the short side).
inline std::vector<double> singularValues(const Mat &m) {
  Mat gram = m.rows <= m.cols ? matmul(m, transpose(m)) : matmul(transpose(m), m);
  std::vector<double> ev = symmetricEigenvalues(gram);
  for (double &e : ev)
    e = std::sqrt(std::max(e, 0.0));
  return ev;
}

inline Mat toMat(const Tensor &t, int64_t offset = 0) {
  int64_t cols = t.shape().back(), rows = t.shape()[t.shape().size() - 2];
  Mat m(rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i)
    m.v[size_t(i)] = t.get(offset + i);
  return m;
}

inline Tensor tensorOf(const std::vector<double> &values, Shape shape,
                       Storage storage = Storage::F64, DType dtype = DType::F32) {
  if (storage == Storage::F64)
    return Tensor::fromDoubles(dtype, std::move(shape), values);
  return Tensor::fromFloats(dtype, std::move(shape), std::vector<float>(values.begin(), values.end()));
}

/// A deterministic pseudo-random vector (tests only).
inline std::vector<double> pseudoRandom(size_t n, uint64_t seed, double scale = 1.0) {
  std::vector<double> out(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 12345;
  for (size_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    out[i] = scale * (double((s >> 11) & ((1ull << 40) - 1)) / double(1ull << 40) * 2 - 1);
  }
  return out;
}

inline plan::Param param(const std::string &name, Shape shape, Json init,
                         const std::string &group = "g", DType dtype = DType::F32) {
  return {name, {dtype, std::move(shape)}, group, "q", std::nullopt, std::move(init)};
}

inline plan::Plan planOf(std::vector<plan::Param> params, Json train = Json::object()) {
  plan::Plan p;
  p.model = "test";
  p.params = std::move(params);
  p.train = std::move(train);
  return p;
}

inline bool sameBits(const Tensor &a, const Tensor &b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.storage() == b.storage() &&
         std::memcmp(a.raw(), b.raw(), a.bytes()) == 0;
}

} // namespace golf::train::test

#endif // GOLF_TEST_RUNTIME_TRAIN_TESTUTIL_H

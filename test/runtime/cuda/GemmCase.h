//===- GemmCase.h - one GEMM on the GPU against a CPU reference -*- C++ -*-===//
//
// Operands are random (never zero) and rounded to their element type, so the
// float64 reference computes exactly what the GPU was given; what remains is
// fp32 accumulation and output rounding. C starts poisoned (NaN bytes) when
// beta is 0, so an element the GEMM skips cannot pass; with beta != 0 it
// starts random. Elements of C's extent outside the product (padding from
// ldc or strideC) must come back unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_TEST_RUNTIME_CUDA_GEMMCASE_H
#define GOLF_TEST_RUNTIME_CUDA_GEMMCASE_H

#include "runtime/cuda/Gemm.h"
#include "runtime/cuda/Memory.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace golf::cuda::test {

inline size_t bytesOf(ElemType t) { return t == ElemType::F32 ? 4 : 2; }

/// Host values (exactly representable in `type`) and their device copy.
struct Operand {
  ElemType type = ElemType::F32;
  std::vector<double> values;
  DeviceBuffer device;

  Operand(ElemType t, size_t n) : type(t), values(n), device(n * bytesOf(t)) {}

  void upload() {
    std::vector<unsigned char> raw(values.size() * bytesOf(type));
    for (size_t i = 0; i < values.size(); ++i) {
      unsigned char *p = raw.data() + i * bytesOf(type);
      float f = static_cast<float>(values[i]);
      if (type == ElemType::BF16) {
        __nv_bfloat16 h = __float2bfloat16_rn(f);
        std::memcpy(p, &h, 2);
      } else if (type == ElemType::F16) {
        __half h = __float2half_rn(f);
        std::memcpy(p, &h, 2);
      } else {
        std::memcpy(p, &f, 4);
      }
    }
    copyToDevice(device.data(), raw.data(), raw.size());
  }

  std::vector<double> download() const {
    std::vector<unsigned char> raw(values.size() * bytesOf(type));
    copyToHost(raw.data(), device.data(), raw.size());
    std::vector<double> out(values.size());
    for (size_t i = 0; i < out.size(); ++i) {
      const unsigned char *p = raw.data() + i * bytesOf(type);
      if (type == ElemType::BF16) {
        __nv_bfloat16 h;
        std::memcpy(&h, p, 2);
        out[i] = __bfloat162float(h);
      } else if (type == ElemType::F16) {
        __half h;
        std::memcpy(&h, p, 2);
        out[i] = __half2float(h);
      } else {
        float f;
        std::memcpy(&f, p, 4);
        out[i] = f;
      }
    }
    return out;
  }

  /// Uniform in [-1, -1/8] u [1/8, 1], rounded to the type.
  void randomize(std::mt19937 &rng) {
    std::uniform_real_distribution<double> mag(0.125, 1.0);
    std::bernoulli_distribution sign(0.5);
    for (double &v : values)
      v = (sign(rng) ? -1 : 1) * mag(rng);
    upload();
    values = download(); // the rounded values the GPU sees
  }
};

/// Elements from the first to one past the last of a row-major (rows x cols,
/// ld) operand repeated `batch` times at `stride` (stride 0: shared).
inline size_t extent(int64_t rows, int64_t cols, int64_t ld, int64_t batch, int64_t stride) {
  return static_cast<size_t>((batch - 1) * stride + (rows - 1) * (ld ? ld : cols) + cols);
}

/// Allocates random operands for `s`, runs `gemm`, and returns
/// ||C - ref|| / ||ref|| over the rows in `rows` (all rows if empty) of every
/// batch entry; NaN if any checked or padding element is wrong or not finite.
struct GemmCase {
  GemmShape s;
  Operand A, B, C;
  std::vector<double> c0; // C before the product

  GemmCase(const GemmShape &shape, unsigned seed)
      : s(shape),
        A(s.a, extent(s.transA ? s.k : s.m, s.transA ? s.m : s.k, s.lda, s.batch, s.strideA)),
        B(s.b, extent(s.transB ? s.n : s.k, s.transB ? s.k : s.n, s.ldb, s.batch, s.strideB)),
        C(s.c, extent(s.m, s.n, s.ldc, s.batch, s.strideC)) {
    std::mt19937 rng(seed);
    A.randomize(rng);
    B.randomize(rng);
    if (s.beta != 0) {
      C.randomize(rng);
    } else {
      C.device.fill(0xff); // NaN in every float type
      C.values.assign(C.values.size(), std::numeric_limits<double>::quiet_NaN());
    }
    c0 = C.values;
  }

  const GemmTuning &run(Gemm &gemm, cudaStream_t stream = nullptr) {
    return gemm.run(s, A.device.data(), B.device.data(), C.device.data(), stream);
  }

  double relativeError(std::vector<int64_t> rows = {}) const {
    if (rows.empty())
      for (int64_t i = 0; i < s.m; ++i)
        rows.push_back(i);
    const std::vector<double> got = C.download();
    const int64_t lda = s.lda ? s.lda : (s.transA ? s.m : s.k);
    const int64_t ldb = s.ldb ? s.ldb : (s.transB ? s.k : s.n);
    const int64_t ldc = s.ldc ? s.ldc : s.n;
    std::vector<bool> written(got.size(), false);
    double diff2 = 0, ref2 = 0;
    for (int64_t b = 0; b < s.batch; ++b) {
      const double *a = A.values.data() + b * s.strideA;
      const double *bm = B.values.data() + b * s.strideB;
      for (int64_t i = 0; i < s.m; ++i)
        for (int64_t j = 0; j < s.n; ++j)
          written[b * s.strideC + i * ldc + j] = true;
      for (int64_t i : rows)
        for (int64_t j = 0; j < s.n; ++j) {
          double acc = 0;
          for (int64_t p = 0; p < s.k; ++p)
            acc += (s.transA ? a[p * lda + i] : a[i * lda + p]) *
                   (s.transB ? bm[j * ldb + p] : bm[p * ldb + j]);
          const size_t at = static_cast<size_t>(b * s.strideC + i * ldc + j);
          const double ref = s.alpha * acc + (s.beta != 0 ? s.beta * c0[at] : 0.0);
          if (!std::isfinite(got[at]))
            return std::numeric_limits<double>::quiet_NaN();
          diff2 += (got[at] - ref) * (got[at] - ref);
          ref2 += ref * ref;
        }
    }
    for (size_t at = 0; at < got.size(); ++at)
      if (!written[at] && !(got[at] == c0[at] || (std::isnan(got[at]) && std::isnan(c0[at]))))
        return std::numeric_limits<double>::quiet_NaN();
    return std::sqrt(diff2 / ref2);
  }
};

/// The error bound for a shape: fp32 accumulation of exact products (f32,
/// or wider output) and the rounding of the output type.
inline double tolerance(const GemmShape &s) {
  if (s.tf32)
    return 5e-3;
  switch (s.c) {
  case ElemType::F32:
    return 1e-5;
  case ElemType::F16:
    return 2e-3;
  case ElemType::BF16:
    return 1e-2;
  }
  return 0;
}

} // namespace golf::cuda::test

#endif // GOLF_TEST_RUNTIME_CUDA_GEMMCASE_H

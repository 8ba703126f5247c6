//===- NewtonSchulz.h - Muon's orthogonalization ----------------*- C++ -*-===//
//
// zeropower_via_newtonschulz5 of the baseline (pgolf-spec §3.4), per matrix:
//   X = G / (||G||_F + 1e-7); transpose if rows > cols; `steps` times:
//   A = X Xᵀ, B = b·A + c·(A A), X = a·X + B X; transpose back.
// (a, b, c) = (3.4445, -4.7750, 2.0315). The result's singular values lie
// in a band around 1 (about 0.7 to 1.2 after 5 steps), not exactly 1: that
// is the quintic's design, traded for speed.
//
// Precision: float storage runs in fp32 (sgemm), double storage in double
// (dgemm). Torch runs the iteration in bf16 (G.bfloat16()), so its result
// differs from ours by bf16 rounding noise (~1e-2 relative); fp32 is the
// more accurate version of the same map and what a CPU reference should
// give. Checked once against PyTorch 2.11 on random inputs: within 1e-6 of
// the function run in fp32, and 1e-2 to 5e-2 (max abs, on outputs of size
// ~0.3-0.6) from the bf16 original. Every product is one OpenBLAS call (cpu/Blas.h's parallelGemm: the
// slab cut depends only on the sizes, so the bits do not depend on the
// thread count or on how matrices are batched).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_NEWTONSCHULZ_H
#define GOLF_RUNTIME_TRAIN_NEWTONSCHULZ_H

#include "runtime/cpu/Tensor.h"
#include "runtime/cpu/ThreadPool.h"

#include <optional>
#include <string>

namespace golf::train {

struct NsCoefficients {
  double a = 3.4445, b = -4.7750, c = 2.0315;
};

/// Orthogonalizes each trailing [rows, cols] matrix of `g` (rank >= 2; the
/// leading dims are a batch), without Muon's scale. The result is a new
/// F32-dtype tensor of g's shape and storage. `pool` spreads the matrices
/// (and the slabs of large products) over its threads; null runs on the
/// calling thread.
std::optional<cpu::Tensor> newtonSchulz(const cpu::Tensor &g, int steps, std::string &error,
                                        cpu::ThreadPool *pool = nullptr,
                                        const NsCoefficients &coefficients = {});

namespace detail {
/// One row-major matrix g -> out (distinct buffers). Throws on failure.
template <class T>
void newtonSchulzMatrix(const T *g, int64_t rows, int64_t cols, int steps, T *out,
                        cpu::ThreadPool *pool, const NsCoefficients &coefficients);
} // namespace detail

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_NEWTONSCHULZ_H

//===- Gemm.h - the one cuBLASLt wrapper ------------------------*- C++ -*-===//
//
// Every matrix product of the CUDA backend goes through Gemm::run, with the
// row-major semantics of golf.matmul. cuBLASLt is column-major, so a row-major
// C = op(A) @ op(B) is computed as the column-major C^T = op(B)^T @ op(A)^T:
// the same bytes, with A and B swapped (nothing is copied or transposed).
//
// The first run of a shape asks cuBLASLt's heuristic for candidates, times
// each on the caller's inputs (writing a scratch output, so C is untouched
// even when beta != 0) and keeps the fastest. Later runs of that shape do no
// allocation and no synchronization, so they can be captured in a CUDA graph.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_GEMM_H
#define GOLF_RUNTIME_CUDA_GEMM_H

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace golf::cuda {

enum class ElemType : uint8_t { F32, BF16, F16 };

/// C[b] (m x n) = alpha * op(A[b]) @ op(B[b]) + beta * C[b] for b < batch,
/// all row-major; op(X) = X^T when transX, so A is stored m x k (k x m when
/// transA) and B k x n (n x k when transB). lda/ldb/ldc are row-major leading
/// dims in elements (0 = dense: the stored row length). strideA/B/C are
/// element strides between batch entries; strideA or strideB = 0 shares that
/// operand across the batch. Operands: a == b, and c == a or F32.
/// Accumulation is always fp32; F32 products are exact fp32 unless tf32.
struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  bool transA = false, transB = false;
  ElemType a = ElemType::BF16, b = ElemType::BF16, c = ElemType::BF16;
  int64_t batch = 1, strideA = 0, strideB = 0, strideC = 0;
  float alpha = 1.0f, beta = 0.0f;
  int64_t lda = 0, ldb = 0, ldc = 0;
  bool tf32 = false; ///< F32 operands only: allow TF32 tensor cores (about 1e-3 relative error)
};

/// Throws std::invalid_argument ("Gemm(...): reason") for a shape Gemm::run
/// rejects; needs no GPU.
void validate(const GemmShape &shape);
/// "Gemm(m=.. n=.. k=.. ...)" for messages and benchmark logs.
std::string describe(const GemmShape &shape);

/// What the tuning of one shape found.
struct GemmTuning {
  double ms = 0;             ///< the chosen algorithm's mean time per call
  int candidates = 0;        ///< algorithms from the heuristic that ran
  int algoId = -1;           ///< cuBLASLt's CUBLASLT_ALGO_CONFIG_ID of the choice
  size_t workspaceBytes = 0; ///< workspace the choice needs
};

class Gemm {
public:
  /// One cuBLASLt handle and one workspace (32 MiB is what cuBLASLt's Hopper
  /// kernels want). A Gemm serves one stream at a time: concurrent runs on
  /// different streams would share the workspace.
  explicit Gemm(size_t workspaceBytes = 32u << 20);
  ~Gemm();
  Gemm(Gemm &&) noexcept;
  Gemm &operator=(Gemm &&) noexcept;

  /// Enqueues the product on `stream`. The first run of a shape (per pointer
  /// alignment class) tunes it, which allocates and synchronizes: do it before
  /// graph capture (inside a capture it throws). Returns that shape's tuning.
  /// With `addend`, beta scales that matrix (same type and layout as C, may
  /// not overlap it) instead of C's old contents: C = alpha*AB + beta*addend.
  const GemmTuning &run(const GemmShape &shape, const void *A, const void *B, void *C,
                        cudaStream_t stream, const void *addend = nullptr);

  /// Number of (shape, alignment) entries tuned so far.
  size_t tunedShapes() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_GEMM_H

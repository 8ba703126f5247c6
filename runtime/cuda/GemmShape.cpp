//===- GemmShape.cpp - checking and describing GEMM shapes ----------------===//
#include "runtime/cuda/Gemm.h"

#include <stdexcept>

namespace golf::cuda {
namespace {

const char *typeName(ElemType t) {
  switch (t) {
  case ElemType::F32:
    return "f32";
  case ElemType::BF16:
    return "bf16";
  case ElemType::F16:
    return "f16";
  }
  return "?";
}

} // namespace

std::string describe(const GemmShape &s) {
  std::string d = "Gemm(m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
                  " k=" + std::to_string(s.k) + (s.transA ? " transA" : "") +
                  (s.transB ? " transB" : "") + " " + typeName(s.a) + "x" + typeName(s.b) + "->" +
                  typeName(s.c) + (s.tf32 ? " tf32" : "");
  if (s.batch != 1)
    d += " batch=" + std::to_string(s.batch) + " strides=" + std::to_string(s.strideA) + "/" +
         std::to_string(s.strideB) + "/" + std::to_string(s.strideC);
  if (s.lda || s.ldb || s.ldc)
    d += " ld=" + std::to_string(s.lda) + "/" + std::to_string(s.ldb) + "/" + std::to_string(s.ldc);
  return d + ")";
}

void validate(const GemmShape &s) {
  auto fail = [&s](const std::string &why) { throw std::invalid_argument(describe(s) + ": " + why); };
  if (s.m < 1 || s.n < 1 || s.k < 1)
    fail("m, n and k must be at least 1");
  if (s.batch < 1)
    fail("batch must be at least 1");
  if (s.a != s.b)
    fail("A and B must have the same element type");
  if (s.c != s.a && s.c != ElemType::F32)
    fail("C must have the type of A and B, or f32");
  if (s.tf32 && s.a != ElemType::F32)
    fail("tf32 applies to f32 operands only");
  // Stored row lengths: A is m x k (k x m when transposed), B k x n (n x k).
  const int64_t rowA = s.transA ? s.m : s.k, rowB = s.transB ? s.k : s.n;
  if ((s.lda && s.lda < rowA) || (s.ldb && s.ldb < rowB) || (s.ldc && s.ldc < s.n))
    fail("a leading dim is shorter than the stored row");
  if (s.strideA < 0 || s.strideB < 0 || s.strideC < 0)
    fail("batch strides must not be negative");
  if (s.batch > 1 && s.strideC < s.m * (s.ldc ? s.ldc : s.n))
    fail("strideC must separate the batch entries of C (at least m * ldc)");
}

} // namespace golf::cuda

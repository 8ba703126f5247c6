//===- Gemm.cpp - the one cuBLASLt wrapper --------------------------------===//
#include "runtime/cuda/Gemm.h"

#include "runtime/cuda/Error.h"
#include "runtime/cuda/Handle.h"
#include "runtime/cuda/Memory.h"
#include "runtime/cuda/Stream.h"

#include <algorithm>
#include <array>
#include <map>
#include <vector>

namespace golf::cuda {
namespace {

using LtHandle = Handle<cublasLtHandle_t, cublasLtDestroy>;
using MatmulDesc = Handle<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using Layout = Handle<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using Preference = Handle<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

constexpr int kHeuristicCandidates = 16;
constexpr int kTimedReps = 3;
constexpr uint32_t kMaxAlignment = 256; // cuBLASLt's default assumption

cudaDataType_t dataType(ElemType t) {
  switch (t) {
  case ElemType::F32:
    return CUDA_R_32F;
  case ElemType::BF16:
    return CUDA_R_16BF;
  case ElemType::F16:
    return CUDA_R_16F;
  }
  return CUDA_R_32F;
}

size_t elemBytes(ElemType t) { return t == ElemType::F32 ? 4 : 2; }

// The largest power of two (up to 256) dividing the address of every batch
// entry: the pointer's own alignment, lowered by the batch stride's.
uint32_t alignment(const void *p, int64_t strideElems, int64_t batch, ElemType t) {
  uint64_t bits = reinterpret_cast<uintptr_t>(p) | kMaxAlignment;
  if (batch > 1 && strideElems)
    bits |= static_cast<uint64_t>(strideElems) * elemBytes(t);
  return static_cast<uint32_t>(bits & -bits);
}

template <class T> void setAttr(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t a, T v) {
  check(cublasLtMatmulDescSetAttribute(d, a, &v, sizeof v), "cublasLtMatmulDescSetAttribute");
}
template <class T> void setAttr(cublasLtMatrixLayout_t l, cublasLtMatrixLayoutAttribute_t a, T v) {
  check(cublasLtMatrixLayoutSetAttribute(l, a, &v, sizeof v), "cublasLtMatrixLayoutSetAttribute");
}
template <class T> void setAttr(cublasLtMatmulPreference_t p, cublasLtMatmulPreferenceAttributes_t a, T v) {
  check(cublasLtMatmulPreferenceSetAttribute(p, a, &v, sizeof v),
        "cublasLtMatmulPreferenceSetAttribute");
}

// A row-major stored (rows x cols, ld) matrix is the column-major
// (cols x rows, ld) matrix: the layout cuBLASLt gets.
Layout rowMajorLayout(ElemType t, int64_t rows, int64_t cols, int64_t ld, int64_t batch,
                      int64_t stride) {
  cublasLtMatrixLayout_t l = nullptr;
  check(cublasLtMatrixLayoutCreate(&l, dataType(t), static_cast<uint64_t>(cols),
                                   static_cast<uint64_t>(rows), ld ? ld : cols),
        "cublasLtMatrixLayoutCreate");
  Layout owned(l);
  if (batch > 1) {
    setAttr(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, static_cast<int32_t>(batch));
    setAttr(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, stride);
  }
  return owned;
}

// Everything that decides the algorithm: the shape without alpha/beta (they
// are call arguments) and the alignment of the three pointers.
using Key = std::array<int64_t, 17>;

Key keyOf(const GemmShape &s, const std::array<uint32_t, 3> &align) {
  return {s.m, s.n, s.k, s.transA, s.transB, static_cast<int64_t>(s.a), static_cast<int64_t>(s.b),
          static_cast<int64_t>(s.c), s.batch, s.strideA, s.strideB, s.strideC, s.lda, s.ldb, s.ldc,
          s.tf32, static_cast<int64_t>(align[0]) << 32 | align[1] << 16 | align[2]};
}

// The cuBLASLt form of one shape. In cuBLASLt's column-major terms the
// product is C^T = op(B)^T @ op(A)^T: its "A" is our B and its "B" our A.
struct Plan {
  MatmulDesc desc;
  Layout a, b, c; // our A, B, C
  cublasLtMatmulAlgo_t algo{};
  GemmTuning tuning;
};

Plan describeToLt(const GemmShape &s) {
  Plan p;
  cublasLtMatmulDesc_t d = nullptr;
  check(cublasLtMatmulDescCreate(&d, s.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
                                 CUDA_R_32F),
        "cublasLtMatmulDescCreate");
  p.desc.reset(d);
  setAttr(d, CUBLASLT_MATMUL_DESC_TRANSA, s.transB ? CUBLAS_OP_T : CUBLAS_OP_N);
  setAttr(d, CUBLASLT_MATMUL_DESC_TRANSB, s.transA ? CUBLAS_OP_T : CUBLAS_OP_N);
  p.a = rowMajorLayout(s.a, s.transA ? s.k : s.m, s.transA ? s.m : s.k, s.lda, s.batch, s.strideA);
  p.b = rowMajorLayout(s.b, s.transB ? s.n : s.k, s.transB ? s.k : s.n, s.ldb, s.batch, s.strideB);
  p.c = rowMajorLayout(s.c, s.m, s.n, s.ldc, s.batch, s.strideC);
  return p;
}

// Elements from the first to one past the last element of C over the batch.
size_t extentC(const GemmShape &s) {
  const int64_t ldc = s.ldc ? s.ldc : s.n;
  return static_cast<size_t>((s.batch - 1) * s.strideC + (s.m - 1) * ldc + s.n);
}

} // namespace

struct Gemm::Impl {
  LtHandle handle;
  DeviceBuffer workspace;
  std::map<Key, Plan> plans;

  cublasStatus_t matmul(const Plan &p, const cublasLtMatmulAlgo_t &algo, const GemmShape &s,
                        const void *A, const void *B, const void *C, void *D,
                        cudaStream_t stream) const {
    return cublasLtMatmul(handle.get(), p.desc.get(), &s.alpha, B, p.b.get(), A, p.a.get(), &s.beta,
                          C, p.c.get(), D, p.c.get(), &algo, workspace.data(), workspace.bytes(),
                          stream);
  }

  Plan tune(const GemmShape &s, const std::array<uint32_t, 3> &align, const void *A, const void *B,
            const void *C, cudaStream_t stream) const;
};

Plan Gemm::Impl::tune(const GemmShape &s, const std::array<uint32_t, 3> &align, const void *A,
                      const void *B, const void *C, cudaStream_t stream) const {
  Plan p = describeToLt(s);
  cublasLtMatmulPreference_t pref = nullptr;
  check(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
  Preference ownedPref(pref);
  setAttr(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, static_cast<uint64_t>(workspace.bytes()));
  // cuBLASLt's "A" is our B (see Plan).
  setAttr(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, align[1]);
  setAttr(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, align[0]);
  setAttr(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, align[2]);
  setAttr(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, align[2]);

  std::vector<cublasLtMatmulHeuristicResult_t> found(kHeuristicCandidates);
  int returned = 0;
  check(cublasLtMatmulAlgoGetHeuristic(handle.get(), p.desc.get(), p.b.get(), p.a.get(), p.c.get(),
                                       p.c.get(), pref, kHeuristicCandidates, found.data(), &returned),
        (describe(s) + ": cublasLtMatmulAlgoGetHeuristic").c_str());

  // Time on a scratch D: C stays untouched (it is read when beta != 0).
  DeviceBuffer scratch(extentC(s) * elemBytes(s.c));
  const Event start, stop;
  double best = -1;
  for (int i = 0; i < returned; ++i) {
    const cublasLtMatmulAlgo_t &algo = found[i].algo;
    // A candidate that cuBLASLt refuses at launch is skipped, not an error.
    if (found[i].state != CUBLAS_STATUS_SUCCESS ||
        matmul(p, algo, s, A, B, C, scratch.data(), stream) != CUBLAS_STATUS_SUCCESS)
      continue;
    start.record(stream);
    for (int r = 0; r < kTimedReps; ++r)
      check(matmul(p, algo, s, A, B, C, scratch.data(), stream), "cublasLtMatmul (tuning)");
    stop.record(stream);
    double ms = elapsedMs(start, stop) / kTimedReps;
    ++p.tuning.candidates;
    if (best < 0 || ms < best) {
      best = ms;
      p.algo = algo;
      p.tuning.ms = ms;
      p.tuning.workspaceBytes = found[i].workspaceSize;
    }
  }
  if (best < 0)
    throw CudaError(describe(s) + ": cuBLASLt offers no algorithm that runs (" +
                    std::to_string(returned) + " candidates)");
  int id = -1;
  check(cublasLtMatmulAlgoConfigGetAttribute(&p.algo, CUBLASLT_ALGO_CONFIG_ID, &id, sizeof id, nullptr),
        "cublasLtMatmulAlgoConfigGetAttribute");
  p.tuning.algoId = id;
  return p;
}

Gemm::Gemm(size_t workspaceBytes) : impl_(std::make_unique<Impl>()) {
  cublasLtHandle_t h = nullptr;
  check(cublasLtCreate(&h), "cublasLtCreate");
  impl_->handle.reset(h);
  impl_->workspace = DeviceBuffer(workspaceBytes);
}

Gemm::~Gemm() = default;
Gemm::Gemm(Gemm &&) noexcept = default;
Gemm &Gemm::operator=(Gemm &&) noexcept = default;

size_t Gemm::tunedShapes() const { return impl_->plans.size(); }

const GemmTuning &Gemm::run(const GemmShape &shape, const void *A, const void *B, void *C,
                            cudaStream_t stream, const void *addend) {
  const void *in = addend ? addend : C;
  const std::array<uint32_t, 3> align = {
      alignment(A, shape.strideA, shape.batch, shape.a),
      alignment(B, shape.strideB, shape.batch, shape.b),
      std::min(alignment(C, shape.strideC, shape.batch, shape.c),
               alignment(in, shape.strideC, shape.batch, shape.c))};
  const Key key = keyOf(shape, align);
  auto it = impl_->plans.find(key);
  if (it == impl_->plans.end()) {
    validate(shape);
    cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
    check(cudaStreamIsCapturing(stream, &capturing), "cudaStreamIsCapturing");
    if (capturing != cudaStreamCaptureStatusNone)
      throw CudaError(describe(shape) +
                      ": first run inside a graph capture; run each shape once before capturing");
    it = impl_->plans.emplace(key, impl_->tune(shape, align, A, B, in, stream)).first;
  }
  const Plan &p = it->second;
  // The cached path: no allocation, no synchronization (graph-capturable).
  cublasStatus_t st = impl_->matmul(p, p.algo, shape, A, B, in, C, stream);
  if (st != CUBLAS_STATUS_SUCCESS)
    check(st, (describe(shape) + ": cublasLtMatmul").c_str());
  return p.tuning;
}

} // namespace golf::cuda

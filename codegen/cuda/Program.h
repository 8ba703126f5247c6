//===- Program.h - what CUDA codegen hands the GPU runtime ------*- C++ -*-===//
//
// Codegen turns each op of a plan function (or each fused region) into an
// OpProgram: CUDA C++ sources specialized to the op's static shapes and
// dtypes, scratch buffers it needs, and the launches to run in order. It is
// plain C++ (no MLIR, no CUDA headers) so that `golfc compile --emit=cuda`
// and the runtime on the GPU machine produce the same text from a plan.
//
// Shapes, strides and scalar attributes are compile-time constants in the
// source; kernel parameters are only device pointers, named by ArgRef.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_CODEGEN_CUDA_PROGRAM_H
#define GOLF_CODEGEN_CUDA_PROGRAM_H

#include "runtime/plan/Plan.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace golf::cudagen {

/// One translation unit for NVRTC with one extern "C" __global__ entry.
struct Kernel {
  std::string name;   // the entry point; unique per distinct source
  std::string source; // complete CUDA C++ (includes cuda_bf16.h itself if needed)
};

/// A kernel pointer argument: the op's operand i, result i, or scratch i.
struct ArgRef {
  enum Kind : uint8_t { Operand, Result, Scratch } kind;
  int index;
};

struct Launch {
  std::string kernel; // a name in OpProgram::kernels
  std::array<uint32_t, 3> grid{1, 1, 1};
  std::array<uint32_t, 3> block{1, 1, 1};
  uint32_t sharedBytes = 0; // dynamic shared memory
  std::vector<ArgRef> args; // in the kernel's parameter order
};

/// The GPU implementation of one plan op.
struct OpProgram {
  std::vector<Kernel> kernels;
  std::vector<uint64_t> scratchBytes; // zero-filled before the first launch only if asked
  std::vector<bool> scratchZeroed;    // per scratch buffer: memset to 0 before the launches
  std::vector<Launch> launches;
};

/// A matrix product for the runtime's cuBLASLt wrapper, row-major as
/// golf.matmul: C[b] = op(A[b]) @ op(B[b]); strideB 0 shares B.
struct GemmCall {
  int64_t m = 0, n = 0, k = 0;
  bool transA = false, transB = false;
  int64_t batch = 1, strideA = 0, strideB = 0, strideC = 0;
};

/// An attention op's static description: sizes, mask, scale, dtypes and
/// head layouts (the flash kernels of Attention.h are specialized by it,
/// and a cuDNN step carries it to the runtime).
struct AttentionShape {
  int64_t B, H, Hkv, T, S, D, Dv;
  bool causal;
  double scale;
  plan::DType q, k, v;
  plan::DType out; // y (forward) or dq (backward)
  // Backward only, where they differ from `out`: dy (operand 3), dk, dv.
  std::optional<plan::DType> dy, dk, dv;
  /// Tensors in merge_heads' layout [B, T, H, D] (the projections' own)
  /// instead of [B, H, T, D]: `out` is y or dq.
  struct Merged {
    bool q = false, k = false, v = false, out = false, dy = false, dk = false, dv = false;
  } merged = {};
};

/// A cuDNN fused-attention call (Step::Attention, runtime/cuda/CudnnAttention):
/// forward operands (q, k, v), results (y) and, with `stats`, the softmax
/// statistics the backward reads ([B, H, T] f32, natural-log sum of exp);
/// backward operands (q, k, v, dy, stats, y), results (dq, dk, dv).
struct AttentionCall {
  AttentionShape shape;
  bool grad = false;
  bool stats = false;   // forward: writes result 1
  bool yMerged = false; // backward: operand 5 is merge_heads(y), [B, T, H*D]
};

/// One step of a function on the GPU, over materialized values (plan value
/// ids): a generated program, a library product or attention, or a view (a
/// reshape of a materialized value shares its buffer).
struct Step {
  enum Kind : uint8_t { Program, Gemm, Attention, Alias } kind = Program;
  std::string label;         // for --emit=cuda and errors: "op #12 matmul", "fused: add, mul"
  std::vector<int> operands; // ArgRef::Operand i reads value operands[i]
  std::vector<int> results;  // ArgRef::Result i writes value results[i]
  std::vector<int> ops;      // the plan ops computed here (fused producers first)
  OpProgram program;         // kind Program
  GemmCall gemm;             // kind Gemm: operands (A, B), results (C)
  AttentionCall attention;   // kind Attention
  int recomputes = -1;       // a second run of the step that made this value (Remat.cpp)
  /// Reads parameters only (a weight's bf16 cast): such steps come first,
  /// their results live to the end, and a trainer runs them once per
  /// optimizer step rather than once per micro-batch.
  bool weightsOnly = false;
};

/// A plan function lowered for the GPU: the values that live in device
/// memory and the steps that compute them, in order.
struct FunctionProgram {
  std::string function;
  std::vector<plan::TensorType> values; // the plan's, then temporaries of the lowering
  std::vector<bool> materialized;       // per value id
  std::vector<std::pair<int, std::string>> params; // value id bound to a parameter's buffer
  std::vector<Step> steps;
};

} // namespace golf::cudagen

#endif // GOLF_CODEGEN_CUDA_PROGRAM_H

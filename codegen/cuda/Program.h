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

#include <array>
#include <cstdint>
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

} // namespace golf::cudagen

#endif // GOLF_CODEGEN_CUDA_PROGRAM_H

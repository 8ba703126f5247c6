//===- BufferPlan.h - device memory of a function in one arena --*- C++ -*-===//
//
// Every materialized value of a lowered function (arguments, intermediates,
// temporaries, results; parameters live in their own buffers) gets an offset
// in one arena. A value lives from the step that writes it to the last step
// that reads it (arguments from the start, results and the results of
// weights-only steps to the end); values whose lifetimes
// do not overlap share memory (greedy first fit, largest first). Views share
// their source's offset and extend its lifetime.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_CODEGEN_CUDA_BUFFERPLAN_H
#define GOLF_CODEGEN_CUDA_BUFFERPLAN_H

#include "codegen/cuda/Program.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace golf::cudagen {

struct BufferPlan {
  static constexpr uint64_t kAlign = 256;
  /// `bytes` rounded up to kAlign: the room a buffer takes.
  static constexpr uint64_t aligned(uint64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }
  std::vector<int64_t> offset;  // per value id; -1: not in the arena (parameter, not materialized)
  std::vector<int> root;        // per value id: the value whose buffer it uses (views), else itself
  uint64_t arenaBytes = 0;
  uint64_t naiveBytes = 0;      // what one buffer per value would take
  uint64_t peakLiveBytes = 0;   // the most bytes alive at one step: the arena's lower bound
  int peakStep = -1;            // where that is (-1: the arguments, before the first step)
  std::vector<std::vector<uint64_t>> scratchOffset; // per step, per scratch buffer
};

/// Bytes of one element of `d` on the GPU.
uint64_t elementBytes(plan::DType d);

/// The plan of steps over `values` (`params` have their own buffers).
BufferPlan planBuffers(const std::vector<plan::TensorType> &values,
                       const std::vector<std::pair<int, std::string>> &params,
                       const std::vector<Step> &steps, const std::vector<int> &args,
                       const std::vector<int> &results);
/// The plan of a lowered function.
inline BufferPlan planBuffers(const FunctionProgram &p, const std::vector<int> &args,
                              const std::vector<int> &results) {
  return planBuffers(p.values, p.params, p.steps, args, results);
}

} // namespace golf::cudagen

#endif // GOLF_CODEGEN_CUDA_BUFFERPLAN_H

//===- Generate.h - text the model writes itself ----------------*- C++ -*-===//
//
// Self-generated GPTQ calibration (pgolf-spec §4.20, the 03-25 record): no
// data access at export; the model samples its own sequences. Each sequence
// starts with a token drawn uniformly from the vocabulary, then every next
// token is drawn from softmax(logits / temperature) with a seeded generator,
// so the same weights and seed give the same text. Runs the plan's @nll
// sliced to its logits: [B, T] windows, B sequences at a time; beyond T
// tokens the window slides over the last T.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_GENERATE_H
#define GOLF_RUNTIME_EXPORT_GENERATE_H

#include "runtime/cpu/Executor.h"

namespace golf::exporter {

struct SampleOptions {
  int64_t seqs = 64, length = 2048;
  double temperature = 0.8;
  uint64_t seed = 0;
};

/// `seqs` sequences of `length` token ids.
std::optional<std::vector<std::vector<int32_t>>> sampleSequences(const plan::Plan &plan,
                                                                 const cpu::ParamStore &params,
                                                                 const SampleOptions &options,
                                                                 std::string &error);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_GENERATE_H

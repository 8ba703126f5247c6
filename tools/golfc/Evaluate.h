//===- Evaluate.h - val_loss and val_bpb on the CPU executor ----*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_EVALUATE_H
#define GOLF_TOOLS_GOLFC_EVALUATE_H

#include "runtime/cpu/Executor.h"
#include "runtime/data/Tokenizer.h"

#include <optional>
#include <string>
#include <vector>

namespace golf {

struct EvalResult {
  double valLoss = 0, valBpb = 0, targets = 0, bytes = 0, seconds = 0;
  int64_t windows = 0;
};

/// Scores `tokens` with the plan's @nll function (its argument shape fixes
/// the batch and window length) over the windows the plan's eval section
/// asks for (non-overlapping or sliding), every target exactly once, sums in
/// float64 (pgolf-spec §2.6).
std::optional<EvalResult> evaluate(cpu::Executor &executor, const cpu::ParamStore &params,
                                   const std::vector<uint16_t> &tokens,
                                   const data::ByteLuts &luts, std::string &error);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_EVALUATE_H

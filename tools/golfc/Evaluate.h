//===- Evaluate.h - val_loss and val_bpb of a plan's @nll ------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_EVALUATE_H
#define GOLF_TOOLS_GOLFC_EVALUATE_H

#include "runtime/cpu/Executor.h"
#include "runtime/data/Tokenizer.h"
#include "runtime/dist/SumAcrossRanks.h"

#include <functional>
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
/// Where the data is when no flag says otherwise (scripts/make-data.sh, or
/// a parameter-golf data directory linked as data/).
inline const char *kDefaultTrainData = "data/datasets/fineweb10B_sp1024/fineweb_train_*.bin";
inline const char *kDefaultValData = "data/datasets/fineweb10B_sp1024/fineweb_val_*.bin";
inline const char *kDefaultTokenizer = "data/tokenizers/fineweb_1024_bpe.model";

/// The vocabulary size: the last axis of the logits @nll scores (0 if none).
int64_t planVocab(const plan::Plan &plan);

struct Validation {
  std::vector<uint16_t> tokens;
  data::ByteLuts luts;
};

/// The validation split matching `pattern` (ids < vocab; only the first
/// `limit` + 1 tokens when given) and the tokenizer's byte LUTs.
std::optional<Validation> loadValidation(const std::string &pattern, const std::string &tokenizer,
                                         int64_t vocab, std::optional<int64_t> limit,
                                         std::string &error);

/// Scores one batch of @nll's argument shape [batch, seq] (row-major ids
/// and targets): every position's negative log-likelihood into `nll`.
using NllScorer = std::function<bool(const std::vector<int32_t> &ids,
                                     const std::vector<int32_t> &targets, std::vector<double> &nll,
                                     std::string &error)>;

/// A data-parallel run's evaluation: rank `rank` of `world` scores its
/// contiguous share of the windows (eval::rankSlice) and `sum` adds the
/// float64 sums of all ranks, so every rank returns the same result.
struct RankShare {
  int rank = 0, world = 1;
  dist::SumAcrossRanks sum;
};

std::optional<EvalResult> evaluate(const plan::Plan &plan, const NllScorer &score,
                                   const std::vector<uint16_t> &tokens,
                                   const data::ByteLuts &luts, std::string &error,
                                   const RankShare &share = {});

/// @nll on the CPU reference executor with `params` (which must outlive it).
NllScorer cpuScorer(cpu::Executor &executor, const cpu::ParamStore &params);


} // namespace golf

#endif // GOLF_TOOLS_GOLFC_EVALUATE_H

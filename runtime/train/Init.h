//===- Init.h - parameter initialization ------------------------*- C++ -*-===//
//
// Creates every parameter of a plan from its `init` JSON, deterministically
// from (train seed, parameter name) and nothing else (Rng.h): adding,
// removing or reordering parameters never changes the others' values.
//
//   std::string err;
//   cpu::ParamStore params;
//   if (!train::initParams(plan, params, err)) ... err is one line
//
// Kinds (frontend/Settings.cpp defines them and their defaults):
//   zeros, ones, fill(value), normal(std, mean), uniform(low, high)  [low, high)
//   linear_default   PyTorch nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
//                    fan_in = last dim
//   orthogonal(gain) PyTorch orthogonal_: QR of a Gaussian matrix (rows x
//                    rest) with the signs of R's diagonal folded into Q;
//                    orthonormal columns when rows >= cols, else orthonormal
//                    rows; times gain. Rank-3+ tensors (parameter banks):
//                    each leading slice separately, as the banked records do.
//                    (Checked once against torch 2.11's orthogonal_ fed the
//                    same Gaussian: equal to 1.5e-8.)
//   rows([i0, i1, ...]) row k of the leading axis from initializer i_k (its
//                    random stream is "<name>/rows/<k>")
//   bigram_pmi(alpha, clip, tokens)  pgolf-spec §4.4: clamped PMI of the bigram
//                    counts of the first `tokens` training tokens
//                    (InitOptions::trainTokens; an error without them)
// Values are computed in double and rounded once to the parameter's dtype
// (bf16/f16 emulated), also in double storage, so F32 and F64 runs start
// from the same weights. Draws differ from torch's generator: statistics,
// not values, match PyTorch.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_INIT_H
#define GOLF_RUNTIME_TRAIN_INIT_H

#include "runtime/cpu/Executor.h"

#include <optional>
#include <string>

namespace golf::train {

struct InitOptions {
  /// Default: the plan's train["seed"] (1337, the frontend default, if absent).
  std::optional<uint64_t> seed;
  /// Storage of the created tensors: Storage::F32 or Storage::F64.
  cpu::Storage storage = cpu::Storage::F32;
  /// The first training tokens, for data-dependent initializers (bigram_pmi).
  const std::vector<uint16_t> *trainTokens = nullptr;
};

/// Fills `out` with every parameter of `plan` (existing entries of the same
/// names are replaced). False and `error` set on the first bad initializer.
bool initParams(const plan::Plan &plan, cpu::ParamStore &out, std::string &error,
                const InitOptions &options = {});

/// One parameter under `seed`.
std::optional<cpu::Tensor> initParam(const plan::Param &param, uint64_t seed,
                                     cpu::Storage storage, std::string &error,
                                     const std::vector<uint16_t> *tokens = nullptr);

/// The seed initParams uses for `plan` without an explicit one.
uint64_t trainSeed(const plan::Plan &plan);

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_INIT_H

//===- RandomInputs.h - random tokens for golfc's checking commands -*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_RANDOMINPUTS_H
#define GOLF_TOOLS_GOLFC_RANDOMINPUTS_H

#include "runtime/cpu/Executor.h"
#include "runtime/plan/Plan.h"

#include <random>
#include <vector>

namespace golf {

/// The exclusive bound for token ids valid everywhere in the plan: they
/// must index every embedding table and every row of logits.
int64_t tokenIdBound(const plan::Plan &p);

/// Every parameter of the plan drawn from normal(0, stddev), held in
/// `storage` (F64 for gradient checks, F32 otherwise).
cpu::ParamStore randomParams(const plan::Plan &p, double stddev, cpu::Storage storage,
                             std::mt19937_64 &rng);

/// Uniform random token ids for each id argument of `f`; a float argument
/// (a soft-round sharpness) gets 4.
std::vector<cpu::Tensor> randomInputs(const plan::Plan &p, const plan::Function &f,
                                      std::mt19937_64 &rng);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_RANDOMINPUTS_H

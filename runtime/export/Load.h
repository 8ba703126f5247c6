//===- Load.h - an artifact's weights for a plan ----------------*- C++ -*-===//
#ifndef GOLF_RUNTIME_EXPORT_LOAD_H
#define GOLF_RUNTIME_EXPORT_LOAD_H

#include "runtime/cpu/Executor.h"
#include "runtime/export/Artifact.h"

namespace golf::exporter {

/// Dequantizes every stored tensor into float storage, rounded to its
/// parameter's dtype (bf16 stays bf16), checking that the artifact holds
/// exactly the plan's parameters with their dtypes and shapes.
std::optional<cpu::ParamStore> loadWeights(const Artifact &a, const plan::Plan &plan,
                                           std::string &error);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_LOAD_H

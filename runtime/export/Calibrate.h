//===- Calibrate.h - GPTQ Hessians from calibration tokens ------*- C++ -*-===//
//
// Runs the collector's function (Hessian.h) over the calibration tokens at
// @loss's micro-batch shape: either the first `batches` training batches
// (tokens_per_step each, the loader the trainer uses) or sequences the
// model generates itself (Generate.h), cut into rows of min(length,
// seq_len) tokens. On the CPU reference executor, or through a GramRunner
// (the GPU: tools/golfc), which hands back x^T x instead of the inputs.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_CALIBRATE_H
#define GOLF_RUNTIME_EXPORT_CALIBRATE_H

#include "runtime/cpu/Executor.h"
#include "runtime/export/Hessian.h"
#include "runtime/export/Settings.h"

#include <functional>

#include <map>
#include <set>

namespace golf::exporter {

struct Calibration {
  std::map<std::string, std::vector<double>> hessians;
  std::vector<std::string> unmatched; // requested parameters that feed no linear
  int64_t tokens = 0;
};

/// Runs `calibration` (the collector's function: ids, targets -> the linears'
/// inputs) on one micro-batch and adds x^T x of every result over its first
/// `rows` sequences and `positions` positions to the collector (addGram).
using GramRunner = std::function<bool(const plan::Function &calibration,
                                      const std::vector<int32_t> &ids, int64_t rows,
                                      int64_t positions, HessianCollector &collector,
                                      std::string &error)>;

/// `gram` null: the CPU reference executor.
std::optional<Calibration> collectHessians(const plan::Plan &plan, const cpu::ParamStore &params,
                                           const GptqSettings &settings,
                                           const std::set<std::string> &names,
                                           const std::string &trainData, std::string &error,
                                           const GramRunner *gram = nullptr);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_CALIBRATE_H

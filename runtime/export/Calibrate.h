//===- Calibrate.h - GPTQ Hessians on the CPU executor ----------*- C++ -*-===//
//
// Runs the collector's function (Hessian.h) over the calibration tokens on
// the CPU reference executor, at @loss's micro-batch shape: either the
// first `batches` training batches (tokens_per_step each, the loader the
// trainer uses) or sequences the model generates itself (Generate.h), cut
// into rows of min(length, seq_len) tokens.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_CALIBRATE_H
#define GOLF_RUNTIME_EXPORT_CALIBRATE_H

#include "runtime/cpu/Executor.h"
#include "runtime/export/Settings.h"

#include <map>
#include <set>

namespace golf::exporter {

struct Calibration {
  std::map<std::string, std::vector<double>> hessians;
  std::vector<std::string> unmatched; // requested parameters that feed no linear
  int64_t tokens = 0;
};

std::optional<Calibration> collectHessians(const plan::Plan &plan, const cpu::ParamStore &params,
                                           const GptqSettings &settings,
                                           const std::set<std::string> &names,
                                           const std::string &trainData, std::string &error);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_CALIBRATE_H

//===- Gptq.h - full-Hessian GPTQ -------------------------------*- C++ -*-===//
//
// Frantar et al.'s GPTQ as the records run it (pgolf-spec §4.20): for
// y = x W^T with H = sum x^T x over calibration tokens, columns are
// quantized one at a time on fixed per-row scales and each column's
// rounding error is spread over the columns not yet quantized, weighted by
// the upper Cholesky factor U of H^-1, in blocks of `block` columns. Dead
// inputs (H_jj = 0) get H_jj = 1 and a zero weight column; H is damped by
// damp * mean(diag H); act-order processes columns by descending H_jj.
// Everything runs in double.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_GPTQ_H
#define GOLF_RUNTIME_EXPORT_GPTQ_H

#include "runtime/export/Quantize.h"

#include <optional>
#include <string>

namespace golf::exporter {

struct GptqOptions {
  double damp = 0.01;
  int64_t block = 128;
  bool actOrder = true;
};

/// Quantizes `w` (rows x cols) on the stored per-row `scales`; `hessian` is
/// cols x cols, row-major. Fails (one line) if H is not positive definite
/// even after 10x and 100x the damping.
std::optional<Quantized> gptqQuantize(const Matrix &w, std::vector<double> hessian,
                                      const std::vector<float> &scales, const QuantSpec &spec,
                                      const GptqOptions &options, std::string &error);

/// The output error the Hessian measures: trace((W - V) H (W - V)^T).
double hessianError(const Matrix &w, const Matrix &v, const std::vector<double> &hessian);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_GPTQ_H

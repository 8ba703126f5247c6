//===- Hessian.h - GPTQ's X^T X per quantized linear ------------*- C++ -*-===//
//
// For each linear y = x W^T of the chosen parameters in a plan function
// (usually @loss), H_W = mean over calibration tokens of x^T x (pgolf-spec
// §4.20); a parameter used by several matmuls sums their Hessians, and
// Q/K/V sharing one input share its accumulation. The collector derives
// the plan function that returns the inputs (PlanSlice.h); whichever
// executor runs it hands the results to add().
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_HESSIAN_H
#define GOLF_RUNTIME_EXPORT_HESSIAN_H

#include "runtime/cpu/Tensor.h"
#include "runtime/export/PlanSlice.h"

#include <map>
#include <set>

namespace golf::exporter {

class HessianCollector {
public:
  /// Fails if `base` is not a function of `plan`. Parameters of `params`
  /// that are not a linear's weight in it are listed by unmatched().
  static std::optional<HessianCollector> create(const plan::Plan &plan, std::string_view base,
                                                const std::set<std::string> &params,
                                                std::string &error);

  /// The function to run ("calibration_inputs", the arguments of `base`).
  const plan::Function &function() const { return fn_; }
  const std::vector<std::string> &unmatched() const { return unmatched_; }

  /// Adds one run's results. Inputs of shape [B, T, C] count only their
  /// first `rows` sequences and `positions` positions (padding excluded);
  /// others count every row.
  bool add(const std::vector<cpu::Tensor> &results, int64_t rows, int64_t positions,
           std::string &error);
  /// Adds x^T x of result `index` computed elsewhere (the GPU): `gram` is
  /// cols x cols row-major, summed over `tokens` rows of x.
  bool addGram(size_t index, const std::vector<double> &gram, int64_t tokens, std::string &error);

  /// Per parameter, cols x cols row-major: the mean of x^T x over tokens.
  std::map<std::string, std::vector<double>> hessians() const;

private:
  plan::Function fn_;
  std::vector<std::string> unmatched_;
  std::map<std::string, std::vector<size_t>> uses_; // param -> result indices
  std::vector<std::vector<double>> sums_;           // per result: x^T x
  std::vector<int64_t> cols_, tokens_;              // per result
};

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_HESSIAN_H

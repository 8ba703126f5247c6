//===- Hessian.cpp - GPTQ's X^T X per quantized linear --------------------===//
#include "runtime/export/Hessian.h"
#include "runtime/cpu/Blas.h"

#include <algorithm>

namespace golf::exporter {

std::optional<HessianCollector> HessianCollector::create(const plan::Plan &plan,
                                                         std::string_view base,
                                                         const std::set<std::string> &params,
                                                         std::string &error) {
  const plan::Function *f = plan.function(base);
  if (!f) {
    error = "the plan has no function '" + std::string(base) + "' to calibrate on";
    return std::nullopt;
  }
  HessianCollector c;
  std::vector<int> values;
  for (const LinearInput &in : linearInputs(plan, *f)) {
    if (!params.count(in.param))
      continue;
    auto at = std::find(values.begin(), values.end(), in.value);
    size_t index = size_t(at - values.begin());
    if (at == values.end()) {
      values.push_back(in.value);
      c.cols_.push_back(plan.values[size_t(in.value)].shape.back());
    }
    c.uses_[in.param].push_back(index);
  }
  for (const std::string &p : params)
    if (!c.uses_.count(p))
      c.unmatched_.push_back(p);
  c.fn_ = sliceFunction(*f, values, "calibration_inputs");
  c.sums_.resize(values.size());
  c.tokens_.assign(values.size(), 0);
  for (size_t i = 0; i < values.size(); ++i)
    c.sums_[i].assign(size_t(c.cols_[i] * c.cols_[i]), 0.0);
  return c;
}

bool HessianCollector::add(const std::vector<cpu::Tensor> &results, int64_t rows,
                           int64_t positions, std::string &error) {
  if (results.size() != sums_.size()) {
    error = "calibration run returned " + std::to_string(results.size()) + " values, expected " +
            std::to_string(sums_.size());
    return false;
  }
  for (size_t i = 0; i < results.size(); ++i) {
    const cpu::Tensor &x = results[i];
    int64_t c = cols_[i];
    if (x.rank() < 1 || x.shape().back() != c) {
      error = "calibration input " + std::to_string(i) + " has shape " + cpu::shapeString(x.shape());
      return false;
    }
    std::vector<double> all = x.toDoubles();
    // The token rows that count: [B, T, C] -> the first `rows` x `positions`.
    std::vector<double> kept;
    if (x.rank() == 3) {
      int64_t T = x.shape()[1], B = x.shape()[0];
      for (int64_t b = 0; b < std::min(rows, B); ++b)
        for (int64_t t = 0; t < std::min(positions, T); ++t) {
          auto from = all.begin() + (b * T + t) * c;
          kept.insert(kept.end(), from, from + c);
        }
    } else {
      kept = std::move(all);
    }
    int64_t n = c ? int64_t(kept.size()) / c : 0;
    cpu::gemm<double>(true, false, c, c, n, 1.0, kept.data(), c, kept.data(), c, 1.0,
                      sums_[i].data(), c);
    tokens_[i] += n;
  }
  return true;
}

bool HessianCollector::addGram(size_t index, const std::vector<double> &gram, int64_t tokens,
                               std::string &error) {
  if (index >= sums_.size() || gram.size() != sums_[index].size()) {
    error = "calibration input " + std::to_string(index) + ": Gram matrix of the wrong size";
    return false;
  }
  for (size_t k = 0; k < gram.size(); ++k)
    sums_[index][k] += gram[k];
  tokens_[index] += tokens;
  return true;
}

std::map<std::string, std::vector<double>> HessianCollector::hessians() const {
  std::map<std::string, std::vector<double>> out;
  for (const auto &[param, indices] : uses_) {
    std::vector<double> h(sums_[indices[0]].size(), 0.0);
    for (size_t i : indices)
      for (size_t k = 0; k < h.size(); ++k)
        h[k] += tokens_[i] ? sums_[i][k] / double(tokens_[i]) : 0.0;
    out[param] = std::move(h);
  }
  return out;
}

} // namespace golf::exporter

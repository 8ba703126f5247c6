//===- Generate.cpp - text the model writes itself ------------------------===//
#include "runtime/export/Generate.h"
#include "runtime/export/PlanSlice.h"

#include <cmath>
#include <random>

namespace golf::exporter {

std::optional<std::vector<std::vector<int32_t>>> sampleSequences(const plan::Plan &plan,
                                                                 const cpu::ParamStore &params,
                                                                 const SampleOptions &o,
                                                                 std::string &error) {
  const plan::Function *nll = plan.function("nll");
  std::optional<int> logits = nll ? logitsValue(*nll) : std::nullopt;
  if (!logits || nll->args.size() != 2) {
    error = "self-generated calibration needs the plan's @nll(ids, targets) and its logits";
    return std::nullopt;
  }
  const std::vector<int64_t> &shape = plan.values[size_t(nll->args[0])].shape;
  const std::vector<int64_t> &lshape = plan.values[size_t(*logits)].shape;
  if (shape.size() != 2 || lshape.size() != 3) {
    error = "self-generated calibration needs [batch, seq] ids and [batch, seq, vocab] logits";
    return std::nullopt;
  }
  const int64_t B = shape[0], T = shape[1], V = lshape[2];
  auto ex = cpu::Executor::create(planWith(plan, sliceFunction(*nll, {*logits}, "logits")),
                                  cpu::Precision::F32, error);
  if (!ex)
    return std::nullopt;
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<std::vector<int32_t>> out;
  std::vector<int32_t> ids(size_t(B * T)), zeros(ids.size(), 0);
  std::vector<double> p(static_cast<size_t>(V));
  while (int64_t(out.size()) < o.seqs) {
    int64_t count = std::min(B, o.seqs - int64_t(out.size()));
    std::vector<std::vector<int32_t>> seqs(static_cast<size_t>(count));
    for (auto &s : seqs)
      s.push_back(int32_t(std::min<int64_t>(V - 1, int64_t(uniform(rng) * double(V)))));
    for (int64_t t = 1; t < o.length; ++t) {
      // Token t is predicted at the last position of the window ending at t.
      int64_t start = std::max<int64_t>(0, t - T), at = t - 1 - start;
      std::fill(ids.begin(), ids.end(), 0);
      for (int64_t b = 0; b < count; ++b)
        for (int64_t i = start; i < t; ++i)
          ids[size_t(b * T + i - start)] = seqs[size_t(b)][size_t(i)];
      auto res = ex->run("logits", {cpu::Tensor::fromInts({B, T}, ids),
                                    cpu::Tensor::fromInts({B, T}, zeros)},
                         params, error);
      if (!res)
        return std::nullopt;
      const cpu::Tensor &l = (*res)[0];
      for (int64_t b = 0; b < count; ++b) {
        int64_t row = (b * T + at) * V;
        double mx = -INFINITY, sum = 0;
        for (int64_t v = 0; v < V; ++v)
          mx = std::max(mx, l.get(row + v) / o.temperature);
        for (int64_t v = 0; v < V; ++v)
          sum += p[size_t(v)] = std::exp(l.get(row + v) / o.temperature - mx);
        double u = uniform(rng) * sum, acc = 0;
        int32_t pick = int32_t(V - 1);
        for (int64_t v = 0; v < V; ++v)
          if ((acc += p[size_t(v)]) > u) {
            pick = int32_t(v);
            break;
          }
        seqs[size_t(b)].push_back(pick);
      }
    }
    for (auto &s : seqs)
      out.push_back(std::move(s));
  }
  return out;
}

} // namespace golf::exporter

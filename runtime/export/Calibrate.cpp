//===- Calibrate.cpp - GPTQ Hessians from calibration tokens --------------===//
#include "runtime/export/Calibrate.h"
#include "runtime/data/TokenStream.h"
#include "runtime/export/Generate.h"
#include "runtime/export/Hessian.h"

namespace golf::exporter {

std::optional<Calibration> collectHessians(const plan::Plan &plan, const cpu::ParamStore &params,
                                           const GptqSettings &g,
                                           const std::set<std::string> &names,
                                           const std::string &trainData, std::string &error,
                                           const GramRunner *gram) {
  auto collector = HessianCollector::create(plan, "loss", names, error);
  if (!collector)
    return std::nullopt;
  const plan::Function &loss = *plan.function("loss");
  std::optional<int> logits = logitsValue(loss);
  const std::vector<int64_t> &shape = plan.values[size_t(loss.args[0])].shape;
  if (loss.args.size() != 2 || shape.size() != 2 || !logits) {
    error = "calibration needs @loss(ids [batch, seq], targets) with a cross_entropy";
    return std::nullopt;
  }
  const int64_t micro = shape[0], seqLen = shape[1];
  std::optional<cpu::Executor> ex;
  if (!gram && !(ex = cpu::Executor::create(planWith(plan, collector->function()), cpu::Precision::F32, error)))
    return std::nullopt;
  Calibration out;
  out.unmatched = collector->unmatched();
  auto run = [&](const std::vector<int32_t> &ids, int64_t rows, int64_t positions) {
    if (gram) {
      out.tokens += rows * positions;
      return (*gram)(collector->function(), ids, rows, positions, *collector, error);
    }
    std::vector<int32_t> targets(ids.size(), 0);
    auto res = ex->run("calibration_inputs",
                       {cpu::Tensor::fromInts({micro, seqLen}, ids),
                        cpu::Tensor::fromInts({micro, seqLen}, targets)},
                       params, error);
    out.tokens += rows * positions;
    return res && collector->add(*res, rows, positions, error);
  };

  if (g.selfGenerated) {
    auto seqs = sampleSequences(plan, params, {g.seqs, g.length, g.temperature, g.seed}, error);
    if (!seqs)
      return std::nullopt;
    // Rows of L tokens, micro rows per run; the last run is padded.
    int64_t L = std::min(g.length, seqLen);
    std::vector<std::vector<int32_t>> rows;
    for (const auto &s : *seqs)
      for (int64_t at = 0; at + L <= int64_t(s.size()); at += L)
        rows.emplace_back(s.begin() + at, s.begin() + at + L);
    for (size_t first = 0; first < rows.size(); first += size_t(micro)) {
      std::vector<int32_t> ids(size_t(micro * seqLen), 0);
      int64_t count = std::min<int64_t>(micro, int64_t(rows.size() - first));
      for (int64_t b = 0; b < count; ++b)
        std::copy(rows[first + size_t(b)].begin(), rows[first + size_t(b)].end(),
                  ids.begin() + b * seqLen);
      if (!run(ids, count, L))
        return std::nullopt;
    }
  } else {
    int64_t vocab = plan.values[size_t(*logits)].shape.back();
    auto stream = data::TokenStream::open(trainData, error, vocab);
    if (!stream) {
      error = "calibration data: " + error;
      return std::nullopt;
    }
    data::DistributedTokenLoader loader(std::move(*stream));
    int64_t perStep = plan.train.value("tokens_per_step", micro * seqLen);
    int64_t runs = g.trainBatches * std::max<int64_t>(1, perStep / (micro * seqLen));
    data::Batch batch;
    for (int64_t i = 0; i < runs; ++i)
      if (!loader.nextBatch(micro * seqLen, 0, 1, batch, error) || !run(batch.inputs, micro, seqLen))
        return std::nullopt;
  }
  out.hessians = collector->hessians();
  return out;
}

} // namespace golf::exporter

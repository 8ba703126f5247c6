//===- Evaluate.cpp - val_loss and val_bpb of a plan's @nll --------------===//
#include "Evaluate.h"

#include "runtime/data/TokenStream.h"
#include "runtime/eval/Bpb.h"

#include <array>
#include <chrono>

namespace golf {

int64_t planVocab(const plan::Plan &plan) {
  if (const plan::Function *nll = plan.function("nll"))
    for (const plan::Op &op : nll->ops)
      if (op.kind == "cross_entropy")
        return plan.values[size_t(op.operands[0])].shape.back();
  return 0;
}

std::optional<Validation> loadValidation(const std::string &pattern, const std::string &tokenizer,
                                         int64_t vocab, std::optional<int64_t> limit,
                                         std::string &error) {
  auto tokens = data::loadValidationTokens(pattern, error, vocab);
  auto model = tokens ? data::SentencePieceModel::load(tokenizer, error) : std::nullopt;
  if (!model)
    return std::nullopt;
  if (limit && int64_t(tokens->size()) > *limit + 1)
    tokens->resize(size_t(*limit + 1));
  return Validation{std::move(*tokens), model->byteLuts(vocab)};
}

NllScorer cpuScorer(cpu::Executor &executor, const cpu::ParamStore &params) {
  return [&executor, &params](const std::vector<int32_t> &ids, const std::vector<int32_t> &targets,
                              std::vector<double> &nll, std::string &error) {
    const plan::Plan &p = executor.plan();
    const std::vector<int64_t> &shape = p.values[p.function("nll")->args[0]].shape;
    auto out = executor.run("nll", {cpu::Tensor::fromInts(shape, ids), cpu::Tensor::fromInts(shape, targets)},
                            params, error);
    if (!out)
      return false;
    nll = (*out)[0].toDoubles();
    return true;
  };
}

std::optional<EvalResult> evaluate(const plan::Plan &p, const NllScorer &score,
                                   const std::vector<uint16_t> &tokens,
                                   const data::ByteLuts &luts, std::string &error,
                                   const RankShare &share) {
  auto start = std::chrono::steady_clock::now();
  const plan::Function *nll = p.function("nll");
  if (!nll || nll->args.size() != 2) {
    error = "the plan has no @nll(ids, targets) function";
    return std::nullopt;
  }
  const std::vector<int64_t> &shape = p.values[nll->args[0]].shape;
  int64_t batch = shape[0], seqLen = shape[1];
  const plan::Json &method = p.eval.value("method", plan::Json::object());
  std::optional<std::vector<eval::Window>> windows =
      method.value("kind", "non_overlapping") == "sliding"
          ? eval::slidingWindows(int64_t(tokens.size()), seqLen, method.value("stride", int64_t(0)),
                                 error)
          : eval::nonOverlappingWindows(int64_t(tokens.size()), seqLen, error);
  if (!windows)
    return std::nullopt;

  eval::BpbAccumulator acc(&luts);
  std::vector<int32_t> ids(size_t(batch * seqLen)), targets(ids.size());
  const auto [begin, end] = eval::rankSlice(windows->size(), share.rank, share.world);
  for (size_t first = begin; first < end; first += size_t(batch)) {
    // A short last window or batch is padded with token 0; causal attention
    // keeps padding from affecting the scored positions, which come first.
    std::fill(ids.begin(), ids.end(), 0);
    std::fill(targets.begin(), targets.end(), 0);
    size_t count = std::min(size_t(batch), end - first);
    for (size_t b = 0; b < count; ++b) {
      const eval::Window &w = (*windows)[first + b];
      for (int64_t i = 0; i < w.length; ++i) {
        ids[b * seqLen + i] = tokens[w.start + i];
        targets[b * seqLen + i] = tokens[w.start + i + 1];
      }
    }
    std::vector<double> values;
    if (!score(ids, targets, values, error))
      return std::nullopt;
    for (size_t b = 0; b < count; ++b)
      acc.addWindow((*windows)[first + b], tokens.data(), values.data() + b * seqLen);
  }
  if (share.sum) {
    std::array<double, 3> sums = acc.sums();
    if (!share.sum(sums.data(), sums.size(), error))
      return std::nullopt;
    acc = eval::BpbAccumulator(&luts);
    acc.addSums(sums);
  }
  EvalResult r;
  r.valLoss = acc.valLoss();
  r.valBpb = acc.valBpb();
  r.targets = acc.targets();
  r.bytes = acc.bytes();
  r.windows = int64_t(windows->size());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

} // namespace golf

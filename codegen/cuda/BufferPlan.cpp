//===- BufferPlan.cpp - liveness-based offsets in one arena ---------------===//
#include "codegen/cuda/BufferPlan.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace golf::cudagen {

uint64_t elementBytes(plan::DType d) {
  switch (d) {
  case plan::DType::BF16:
  case plan::DType::F16:
    return 2;
  case plan::DType::F64:
    return 8;
  default:
    return 4;
  }
}

namespace {


struct Interval {
  int id;          // value id, or -(1 + scratch index)
  int first, last; // steps
  uint64_t bytes;
};

} // namespace

BufferPlan planBuffers(const std::vector<plan::TensorType> &values,
                       const std::vector<std::pair<int, std::string>> &params,
                       const std::vector<Step> &steps, const std::vector<int> &args,
                       const std::vector<int> &results) {
  size_t n = values.size();
  int end = int(steps.size());
  std::vector<int> root(n);
  for (size_t v = 0; v < n; ++v)
    root[v] = int(v);
  std::vector<bool> isParam(n, false);
  for (const auto &[v, name] : params)
    isParam[size_t(v)] = true;
  std::vector<int> first(n, -2), last(n, -2);
  auto touch = [&](int v, int step) {
    int r = root[size_t(v)];
    if (first[size_t(r)] == -2)
      first[size_t(r)] = step;
    last[size_t(r)] = std::max(last[size_t(r)], step);
  };
  for (int a : args)
    touch(a, -1);
  // Fusion decides where values are made and which kernels recompute them;
  // a step order that reads a value before any step writes it is a bug
  // there, caught here rather than as garbage on the GPU.
  std::vector<bool> written(n, false);
  for (int a : args)
    written[size_t(a)] = true;
  for (size_t v = 0; v < n; ++v)
    written[v] = written[v] || isParam[v];
  std::vector<Interval> scratch;
  for (int s = 0; s < end; ++s) {
    const Step &step = steps[size_t(s)];
    for (int v : step.operands)
      if (!written[size_t(v)])
        throw std::logic_error("step " + std::to_string(s) + " (" + step.label + ") reads %" +
                               std::to_string(v) + " before any step writes it");
    if (step.kind == Step::Alias)
      root[size_t(step.results[0])] = root[size_t(step.operands[0])];
    for (int v : step.operands)
      touch(v, s);
    for (int v : step.results) {
      touch(v, s);
      written[size_t(v)] = true;
    }
    for (size_t i = 0; i < step.program.scratchBytes.size(); ++i)
      scratch.push_back({-1 - int(scratch.size()), s, s, BufferPlan::aligned(step.program.scratchBytes[i])});
  }
  for (int r : results)
    touch(r, end);
  // What weights-only steps make outlives the micro-batch steps: a trainer
  // runs those steps once for several runs of the rest.
  for (const Step &step : steps)
    if (step.weightsOnly)
      for (int v : step.results)
        touch(v, end);
  std::vector<Interval> items;
  BufferPlan plan;
  for (size_t v = 0; v < n; ++v)
    if (root[v] == int(v) && first[v] != -2 && !isParam[v]) {
      uint64_t bytes = BufferPlan::aligned(uint64_t(values[v].numel()) * elementBytes(values[v].dtype));
      items.push_back({int(v), first[v], last[v], bytes});
    }
  items.insert(items.end(), scratch.begin(), scratch.end());
  std::stable_sort(items.begin(), items.end(),
                   [](const Interval &a, const Interval &b) { return a.bytes > b.bytes; });
  // Live bytes per step (index s + 1; -1 is the arguments' step): the
  // arena minus this is what first-fit placement loses to fragmentation.
  std::vector<uint64_t> live(size_t(end) + 2, 0);
  for (const Interval &it : items)
    for (int s = it.first; s <= it.last; ++s)
      live[size_t(s + 1)] += it.bytes;
  for (size_t s = 0; s < live.size(); ++s)
    if (live[s] > plan.peakLiveBytes) {
      plan.peakLiveBytes = live[s];
      plan.peakStep = int(s) - 1;
    }
  std::vector<Interval> placed;
  std::map<int, uint64_t> at;
  for (const Interval &it : items) {
    plan.naiveBytes += it.bytes;
    // Lowest offset that overlaps no placed interval alive at the same time.
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (const Interval &o : placed)
      if (o.first <= it.last && it.first <= o.last)
        busy.emplace_back(at[o.id], at[o.id] + o.bytes);
    std::sort(busy.begin(), busy.end());
    uint64_t off = 0;
    for (const auto &[b, e] : busy) {
      if (off + it.bytes <= b)
        break;
      off = std::max(off, e);
    }
    at[it.id] = off;
    placed.push_back(it);
    plan.arenaBytes = std::max(plan.arenaBytes, off + it.bytes);
  }
  plan.root = root;
  plan.offset.assign(n, -1);
  for (size_t v = 0; v < n; ++v)
    if (!isParam[size_t(root[v])] && at.count(root[v]))
      plan.offset[v] = int64_t(at[root[v]]);
  int k = 0;
  for (const Step &step : steps) {
    plan.scratchOffset.emplace_back();
    for (size_t i = 0; i < step.program.scratchBytes.size(); ++i)
      plan.scratchOffset.back().push_back(at[-1 - k++]);
  }
  return plan;
}

} // namespace golf::cudagen

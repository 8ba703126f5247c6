//===- Remat.cpp - recompute cheap values next to their late readers ------===//
//
// The backward pass reads some forward values hundreds of steps after they
// were made: the MLP's relu² output (the weight gradient's operand), the
// merged attention heads. Kept, they are alive at the end of the forward,
// where the arena peaks; the pointwise kernel that made them can make them
// again from operands that are alive then anyway. So a generated pointwise
// step whose value is read again only after a long gap, and whose operands
// all live until that later read, is run a second time right before it
// into a new temporary that the late readers use instead. That trades one
// extra pass over memory for the value's bytes during the gap. A pointwise
// step just after that reads the same operand runs in the same kernel.
// This runs only where the function's arena would exceed the lowering's
// memory budget (--memory-budget): without one, speed comes first.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/BufferPlan.h"
#include "codegen/cuda/Lowering.h"

#include <algorithm>
#include <map>
#include <optional>

namespace golf::cudagen {

namespace {

/// Steps between two reads of a value beyond which it is recomputed, the
/// smallest value worth a second launch, and how many steps an operand may
/// outlive its own last read for it.
constexpr size_t kGap = 64;
constexpr uint64_t kMinBytes = uint64_t(16) << 20;
constexpr size_t kSlack = 16;
/// How far after the first late reader a step that could run beside the
/// recomputation is looked for.
constexpr size_t kSideBySide = 8;

bool isArgOrResult(const plan::Function &f, int v) {
  return std::find(f.args.begin(), f.args.end(), v) != f.args.end() ||
         std::find(f.results.begin(), f.results.end(), v) != f.results.end();
}

/// Per value: the steps that read it, in order.
std::vector<std::vector<size_t>> readers(const std::vector<Step> &steps, size_t values) {
  std::vector<std::vector<size_t>> out(values);
  for (size_t s = 0; s < steps.size(); ++s)
    for (int v : steps[s].operands)
      if (out[size_t(v)].empty() || out[size_t(v)].back() != s)
        out[size_t(v)].push_back(s);
  return out;
}

/// A value's reads: by steps that read it, or through views of it
/// (`view` is the view's value, -1 for a direct read).
struct Read {
  size_t step;
  int view;        // -1: a direct read
  size_t viewStep; // the step that makes the view
};

/// Every read of `v` in step order; false when a view of v is viewed again.
bool readsOf(const std::vector<Step> &steps, const std::vector<std::vector<size_t>> &reads, int v,
             std::vector<Read> &out) {
  for (size_t r : reads[size_t(v)]) {
    if (steps[r].kind != Step::Alias) {
      out.push_back({r, -1, 0});
      continue;
    }
    int view = steps[r].results[0];
    for (size_t rr : reads[size_t(view)]) {
      if (steps[rr].kind == Step::Alias)
        return false;
      out.push_back({rr, view, r});
    }
  }
  std::sort(out.begin(), out.end(), [](const Read &a, const Read &b) { return a.step < b.step; });
  return true;
}

/// Whether step `s` is a recomputable pointwise kernel and, if so, where its
/// value's late reads start (0: nowhere).
size_t lateStart(const Lowering &l, const std::vector<std::pair<int, std::string>> &params,
                 const std::vector<Step> &steps, const std::vector<std::vector<size_t>> &reads,
                 size_t s, std::vector<Read> &uses) {
  const Step &step = steps[s];
  if (step.kind != Step::Program || step.results.size() != 1 || step.program.launches.size() != 1 ||
      !step.program.scratchBytes.empty() || step.program.launches[0].kernel.rfind("pw_", 0) != 0)
    return 0;
  int v = step.results[0];
  const plan::TensorType &t = l.type(v);
  if (isArgOrResult(l.function(), v) || uint64_t(t.numel()) * elementBytes(t.dtype) < kMinBytes ||
      !readsOf(steps, reads, v, uses))
    return 0;
  size_t previous = s, late = 0;
  for (const Read &r : uses) {
    if (!late && r.step > previous + kGap)
      late = r.step;
    previous = r.step;
  }
  if (!late)
    return 0;
  // Recomputing must not keep an operand alive much longer than it lives
  // anyway (a few steps into the backward, where memory is falling, is fine).
  for (int o : step.operands) {
    const std::vector<size_t> &r = reads[size_t(o)];
    bool param = std::any_of(params.begin(), params.end(), [&](const auto &p) { return p.first == o; });
    if (!param && (r.empty() || r.back() + kSlack < late) && !isArgOrResult(l.function(), o))
      return 0;
  }
  return late;
}

/// Whether steps[t] is a generated pointwise kernel with one result.
bool pointwiseStep(const Step &step) {
  return step.kind == Step::Program && step.results.size() == 1 && step.program.launches.size() == 1 &&
         step.program.scratchBytes.empty() && step.recomputes < 0 &&
         step.program.launches[0].kernel.rfind("pw_", 0) == 0;
}

/// The recomputation of step `s` (value v) runs at `at`, before its first
/// late reader `late`. A pointwise step shortly after that reads one of the
/// same operands can run in the same kernel (side by side: one pass over
/// the shared operand): the merged step, with the step it absorbs erased
/// from `steps`, or nothing. The MLP's relu² output, recomputed for the down
/// projection's weight gradient, and the relu²'s gradient both read the up
/// projection's output.
std::optional<Step> mergeSideBySide(Lowering &l, std::vector<Step> &steps, size_t s, size_t at, size_t late,
                                    int again) {
  const Step &self = steps[s];
  const int v = self.results[0];
  for (size_t t = late + 1; t < steps.size() && t <= late + kSideBySide; ++t) {
    const Step &other = steps[t];
    if (!pointwiseStep(other) || l.type(other.results[0]).shape != l.type(v).shape)
      continue;
    bool shares = false, ready = true;
    for (int o : other.operands) {
      shares = shares || std::find(self.operands.begin(), self.operands.end(), o) != self.operands.end();
      for (size_t w = at; w < t && ready; ++w)
        ready = std::find(steps[w].results.begin(), steps[w].results.end(), o) == steps[w].results.end();
    }
    if (!shares || !ready)
      continue;
    Step merged = emitPointwise(l, {v, other.results[0]});
    // The kernel computes both from the fusion plan: it must read what the
    // two steps read (a step whose operands were redirected is left alone).
    std::vector<int> expected(self.operands);
    for (int o : other.operands)
      if (std::find(expected.begin(), expected.end(), o) == expected.end())
        expected.push_back(o);
    std::vector<int> got(merged.operands);
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    if (got != expected)
      continue;
    merged.results[0] = again;
    merged.recomputes = v;
    merged.label += " (the first recomputed for a late reader)";
    merged.ops = self.ops;
    merged.ops.insert(merged.ops.end(), other.ops.begin(), other.ops.end());
    steps.erase(steps.begin() + std::ptrdiff_t(t));
    return merged;
  }
  return std::nullopt;
}

} // namespace

void rematerialize(Lowering &l, std::vector<Step> &steps) {
  // Only values alive across the peak (the buffer plan's step with the
  // most bytes alive: the end of the forward in a gradient function) are
  // worth recomputing: elsewhere the arena has room for them anyway.
  // Recomputation only lowers the live bytes, so the peak stays where it is.
  const plan::Function &f = l.function();
  const std::vector<std::pair<int, std::string>> params = l.params();
  const BufferPlan kept = planBuffers(l.values(), params, steps, f.args, f.results);
  const uint64_t budget = l.options().memoryBudget;
  if (budget == 0 || kept.arenaBytes <= budget)
    return;
  size_t peak = size_t(std::max(kept.peakStep, 0));
  std::vector<std::vector<size_t>> reads = readers(steps, l.values().size());
  for (size_t s = 0; s < steps.size() && s < peak; ++s) {
    std::vector<Read> uses;
    size_t late = lateStart(l, params, steps, reads, s, uses);
    if (!late || late <= peak)
      continue;
    int v = steps[s].results[0];
    int again = l.addTemporary(l.type(v));
    std::vector<Step> inserted;
    Step copy = steps[s];
    copy.results = {again};
    copy.label += " (recomputed for a late reader)";
    copy.recomputes = v;
    inserted.push_back(std::move(copy));
    // A view read only late is made late (the reshape the backward adds for
    // a weight gradient): it now views the recomputed value, which must then
    // exist before it. A view read early and late gets a twin for the late
    // reads.
    std::map<int, int> views; // a view of v -> what late reads of it read
    size_t at = late;
    for (const Read &r : uses)
      if (r.view >= 0 && !views.count(r.view)) {
        bool allLate = std::all_of(uses.begin(), uses.end(),
                                   [&](const Read &u) { return u.view != r.view || u.step >= late; });
        views[r.view] = allLate ? r.view : -1;
        if (allLate) {
          std::replace(steps[r.viewStep].operands.begin(), steps[r.viewStep].operands.end(), v, again);
          at = std::min(at, r.viewStep);
        }
      }
    for (const Read &r : uses) {
      if (r.step < late || (r.view >= 0 && views[r.view] == r.view))
        continue;
      int from = r.view < 0 ? v : r.view, to = again;
      if (r.view >= 0) {
        if (views[r.view] < 0) {
          views[r.view] = l.addTemporary(l.type(r.view));
          Step view;
          view.kind = Step::Alias;
          view.label = "view of a recomputed value";
          view.operands = {again};
          view.results = {views[r.view]};
          inserted.push_back(std::move(view));
        }
        to = views[r.view];
      }
      std::replace(steps[r.step].operands.begin(), steps[r.step].operands.end(), from, to);
    }
    if (std::optional<Step> merged = mergeSideBySide(l, steps, s, at, late, again))
      inserted[0] = std::move(*merged);
    steps.insert(steps.begin() + std::ptrdiff_t(at), inserted.begin(), inserted.end());
    reads = readers(steps, l.values().size());
  }
}

} // namespace golf::cudagen

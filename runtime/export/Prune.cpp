//===- Prune.cpp - magnitude and selective +-1 pruning --------------------===//
#include "runtime/export/Prune.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace golf::exporter {

int64_t magnitudePrune(std::vector<float> &w, double fraction) {
  auto k = int64_t(std::floor(fraction * double(w.size())));
  if (k <= 0)
    return 0;
  std::vector<size_t> order(w.size());
  std::iota(order.begin(), order.end(), 0);
  std::nth_element(order.begin(), order.begin() + (k - 1), order.end(), [&](size_t a, size_t b) {
    float x = std::fabs(w[a]), y = std::fabs(w[b]);
    return x < y || (x == y && a < b);
  });
  for (int64_t i = 0; i < k; ++i)
    w[order[size_t(i)]] = 0;
  return k;
}

std::optional<SelectiveResult>
selectivePrune(const std::vector<Quantized *> &tensors, uint64_t target,
               const std::function<std::optional<uint64_t>(std::string &)> &measure,
               std::string &error) {
  struct Entry {
    float key;
    int8_t sign;
    Quantized *t;
    size_t index;
  };
  std::vector<Entry> entries;
  for (Quantized *t : tensors)
    for (size_t i = 0; i < t->q.size(); ++i)
      if (t->q[i] == 1 || t->q[i] == -1) {
        float s = t->scales[i / size_t(t->cols)];
        entries.push_back({s * s, t->q[i], t, i});
      }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry &a, const Entry &b) { return a.key < b.key; });
  auto apply = [&](size_t k) {
    for (size_t i = 0; i < entries.size(); ++i)
      entries[i].t->q[entries[i].index] = i < k ? 0 : entries[i].sign;
  };
  SelectiveResult r;
  r.candidates = int64_t(entries.size());
  auto at = [&](size_t k) -> std::optional<uint64_t> {
    apply(k);
    return measure(error);
  };
  auto size = at(0);
  if (!size)
    return std::nullopt;
  r.bytes = *size;
  if (*size <= target) {
    r.fits = true;
    return r;
  }
  auto full = at(entries.size());
  if (!full)
    return std::nullopt;
  if (*full > target) {
    apply(0);
    return r;
  }
  // Invariant: zeroing `hi` fits, zeroing `lo` does not.
  size_t lo = 0, hi = entries.size();
  uint64_t hiBytes = *full;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    auto s = at(mid);
    if (!s)
      return std::nullopt;
    if (*s <= target) {
      hi = mid;
      hiBytes = *s;
    } else {
      lo = mid;
    }
  }
  apply(hi);
  r.zeroed = int64_t(hi);
  r.bytes = hiBytes;
  r.fits = true;
  return r;
}

} // namespace golf::exporter

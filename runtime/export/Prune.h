//===- Prune.h - magnitude and selective +-1 pruning ------------*- C++ -*-===//
//
// Magnitude pruning (before quantization): zero the smallest `fraction` of
// |w| of a tensor (the 10L record's 3 %). Selective +-1 pruning (after
// quantization, pgolf-spec §4.21): every entry with |q| = 1 is a candidate,
// ordered by its row's s^2 (the squared error of zeroing it), smallest
// first; a binary search over the number zeroed finds the fewest that make
// the artifact fit the target, measuring the real compressed size each time.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_PRUNE_H
#define GOLF_RUNTIME_EXPORT_PRUNE_H

#include "runtime/export/Quantize.h"

#include <functional>
#include <optional>
#include <string>

namespace golf::exporter {

/// Zeroes the floor(fraction * n) entries of smallest |w| (ties: the earlier
/// index first); returns how many.
int64_t magnitudePrune(std::vector<float> &w, double fraction);

struct SelectiveResult {
  int64_t candidates = 0, zeroed = 0;
  uint64_t bytes = 0; // the size measured with `zeroed` entries zeroed
  bool fits = false;
};

/// `measure` returns the artifact size for the tensors' current values.
/// If even zeroing every candidate does not fit, nothing stays zeroed and
/// fits is false.
std::optional<SelectiveResult>
selectivePrune(const std::vector<Quantized *> &tensors, uint64_t target,
               const std::function<std::optional<uint64_t>(std::string &)> &measure,
               std::string &error);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_PRUNE_H

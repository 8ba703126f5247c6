//===- Bpb.h - evaluation windows and bits-per-byte accounting --*- C++ -*-===//
//
// What the challenge scores (pgolf-spec §2.6, §4.23), independent of any model
// executor:
//  * window schedules over a token stream of N tokens (N - 1 targets):
//    each window feeds inputs tokens[start, start + length) and predicts
//    tokens[start + 1, start + length + 1); positions [firstScored, length)
//    are scored. Every target is scored exactly once.
//  * an accumulator of float64 sums: NLL (nats), scored targets, bytes, from
//    which val_loss = ΣNLL / N and val_bpb = (ΣNLL / ln 2) / Σbytes.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EVAL_BPB_H
#define GOLF_RUNTIME_EVAL_BPB_H

#include "runtime/data/Tokenizer.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace golf::eval {

using golf::data::ByteLuts;

struct Window {
  int64_t start = 0;       ///< first input token
  int64_t length = 0;      ///< inputs (= predictions) in the window, <= T
  int64_t firstScored = 0; ///< positions [firstScored, length) are scored
  int64_t scored() const { return length - firstScored; }
  bool operator==(const Window &o) const {
    return start == o.start && length == o.length && firstScored == o.firstScored;
  }
};

/// Non-overlapping windows of length `seqLen` over `numTokens` tokens,
/// scoring every one of the numTokens - 1 targets: starts 0, T, 2T, ...; the
/// last window is shorter when T does not divide N - 1. (The baseline
/// train_gpt.py drops that tail; the project scores it.)
std::optional<std::vector<Window>> nonOverlappingWindows(int64_t numTokens, int64_t seqLen,
                                                         std::string &error);

/// Sliding windows (pgolf-spec §4.23 with the 04-01 trailing-window fix):
/// starts ws = 0, S, 2S, ... kept while ws + T - S < N - 1; window [ws, ws + T)
/// truncated at the end; the first window scores all its positions, later
/// ones the positions from T - S on (their last S, fewer in a truncated
/// final window). Requires 1 <= stride <= seqLen. stride == seqLen gives
/// the non-overlapping schedule.
std::optional<std::vector<Window>> slidingWindows(int64_t numTokens, int64_t seqLen,
                                                  int64_t stride, std::string &error);

/// Σ scored() over `windows`.
int64_t scoredTargets(const std::vector<Window> &windows);

/// Checks that `windows` over `numTokens` tokens score every target exactly
/// once (in order) and stay in bounds; the error names the first problem.
bool checkSchedule(const std::vector<Window> &windows, int64_t numTokens, std::string &error);

/// The slice [begin, end) of `count` items that rank `rank` of `world` takes
/// (contiguous, as the reference splits windows across ranks).
std::pair<size_t, size_t> rankSlice(size_t count, int rank, int world);

/// float64 sums of NLL, scored targets and bytes. Mergeable across ranks:
/// sums() / addSums() carry the three numbers through an all-reduce.
class BpbAccumulator {
public:
  /// `luts` must outlive the accumulator (may be null when only add(nll,
  /// bytes) is used).
  explicit BpbAccumulator(const ByteLuts *luts = nullptr) : luts_(luts) {}

  /// One scored target `target` predicted after input `prev` with loss `nll`
  /// (nats). Ids must be < luts.size().
  void add(double nll, int target, int prev) {
    nll_ += nll;
    count_ += 1;
    bytes_ += luts_->bytesFor(target, prev);
  }
  /// One scored target with a precomputed byte count (e.g. a byte sidecar).
  void addWithBytes(double nll, double bytes) {
    nll_ += nll;
    count_ += 1;
    bytes_ += bytes;
  }
  /// Scores window `w` over `tokens`: `nll[i]` is the loss of target
  /// tokens[w.start + i + 1] for i in [0, w.length); only i >= firstScored
  /// is added.
  template <typename Token, typename Real>
  void addWindow(const Window &w, const Token *tokens, const Real *nll) {
    for (int64_t i = w.firstScored; i < w.length; ++i)
      add(double(nll[i]), int(tokens[w.start + i + 1]), int(tokens[w.start + i]));
  }

  void merge(const BpbAccumulator &o) {
    nll_ += o.nll_;
    count_ += o.count_;
    bytes_ += o.bytes_;
  }
  std::array<double, 3> sums() const { return {nll_, count_, bytes_}; }
  void addSums(const std::array<double, 3> &s) {
    nll_ += s[0];
    count_ += s[1];
    bytes_ += s[2];
  }

  double nllSum() const { return nll_; }
  double targets() const { return count_; }
  double bytes() const { return bytes_; }
  /// ΣNLL / N in nats per token (0 if nothing was scored).
  double valLoss() const;
  /// (ΣNLL / ln 2) / Σbytes (0 if no bytes).
  double valBpb() const;

private:
  const ByteLuts *luts_;
  double nll_ = 0, count_ = 0, bytes_ = 0;
};

/// Σ bytes over the targets [first + 1, end] of `tokens` (target y =
/// tokens[i], input x = tokens[i - 1]); the byte denominator of a schedule
/// that scores them all. Ids must be < luts.size().
template <typename Token>
double countBytes(const ByteLuts &luts, const Token *tokens, int64_t numTokens) {
  double total = 0;
  for (int64_t i = 1; i < numTokens; ++i)
    total += luts.bytesFor(int(tokens[i]), int(tokens[i - 1]));
  return total;
}

} // namespace golf::eval

#endif // GOLF_RUNTIME_EVAL_BPB_H

//===- Bpb.cpp - evaluation windows and bits-per-byte accounting ----------===//
#include "runtime/eval/Bpb.h"

#include <cmath>

namespace golf::eval {

namespace {

bool checkArgs(int64_t numTokens, int64_t seqLen, std::string &error) {
  if (numTokens < 0) {
    error = "negative token count " + std::to_string(numTokens);
    return false;
  }
  if (seqLen < 1) {
    error = "evaluation sequence length must be positive, not " + std::to_string(seqLen);
    return false;
  }
  return true;
}

} // namespace

std::optional<std::vector<Window>> nonOverlappingWindows(int64_t numTokens, int64_t seqLen,
                                                         std::string &error) {
  return slidingWindows(numTokens, seqLen, seqLen, error);
}

std::optional<std::vector<Window>> slidingWindows(int64_t numTokens, int64_t seqLen,
                                                  int64_t stride, std::string &error) {
  if (!checkArgs(numTokens, seqLen, error))
    return std::nullopt;
  if (stride < 1 || stride > seqLen) {
    error = "evaluation stride must be in [1, " + std::to_string(seqLen) + "], not " +
            std::to_string(stride);
    return std::nullopt;
  }
  try {
    std::vector<Window> windows;
    const int64_t total = numTokens - 1; // targets (predictions)
    const int64_t context = seqLen - stride;
    if (total <= 0)
      return windows;
    windows.reserve(size_t(total / stride + 1));
    for (int64_t ws = 0; ws < total && (ws == 0 || ws + context < total); ws += stride) {
      Window w;
      w.start = ws;
      w.length = std::min(ws + seqLen, total) - ws;
      w.firstScored = ws == 0 ? 0 : context;
      windows.push_back(w);
    }
    return windows;
  } catch (const std::exception &e) {
    error = std::string("cannot build evaluation windows: ") + e.what();
    return std::nullopt;
  }
}

int64_t scoredTargets(const std::vector<Window> &windows) {
  int64_t n = 0;
  for (const Window &w : windows)
    n += w.scored();
  return n;
}

bool checkSchedule(const std::vector<Window> &windows, int64_t numTokens, std::string &error) {
  const int64_t total = numTokens - 1;
  int64_t next = 0; // the next target (as an input position) that must be scored
  for (size_t i = 0; i < windows.size(); ++i) {
    const Window &w = windows[i];
    std::string where = "window " + std::to_string(i) + " (start " + std::to_string(w.start) +
                        ", length " + std::to_string(w.length) + ", first scored " +
                        std::to_string(w.firstScored) + ")";
    if (w.start < 0 || w.length < 1 || w.start + w.length > total) {
      error = where + " is outside the " + std::to_string(total) + " targets";
      return false;
    }
    if (w.firstScored < 0 || w.firstScored >= w.length) {
      error = where + " scores nothing or has a bad first scored position";
      return false;
    }
    if (w.start + w.firstScored != next) {
      error = where + " scores from target " + std::to_string(w.start + w.firstScored) +
              " but target " + std::to_string(next) + " is next";
      return false;
    }
    next = w.start + w.length;
  }
  if (next != std::max<int64_t>(total, 0)) {
    error = "the windows score " + std::to_string(next) + " of " + std::to_string(total) +
            " targets";
    return false;
  }
  return true;
}

std::pair<size_t, size_t> rankSlice(size_t count, int rank, int world) {
  if (world < 1 || rank < 0 || rank >= world)
    return {0, 0};
  return {count * size_t(rank) / size_t(world), count * size_t(rank + 1) / size_t(world)};
}

double BpbAccumulator::valLoss() const { return count_ > 0 ? nll_ / count_ : 0.0; }

double BpbAccumulator::valBpb() const {
  return bytes_ > 0 ? (nll_ / std::log(2.0)) / bytes_ : 0.0;
}

} // namespace golf::eval

#include "TestUtil.h"

#include "runtime/eval/Bpb.h"

#include <cmath>

using namespace golf::eval;

namespace {

/// The reference (04-01) sliding-window starts: ws in range(0, N-1, S) with
/// ws + T - S < N - 1.
std::vector<int64_t> referenceStarts(int64_t numTokens, int64_t T, int64_t S) {
  std::vector<int64_t> starts;
  int64_t total = numTokens - 1;
  for (int64_t ws = 0; ws < total; ws += S)
    if (ws + T - S < total)
      starts.push_back(ws);
  return starts;
}

/// Counts how often each target is scored.
std::vector<int> coverage(const std::vector<Window> &windows, int64_t numTokens) {
  std::vector<int> hits(size_t(std::max<int64_t>(numTokens - 1, 0)), 0);
  for (const Window &w : windows)
    for (int64_t i = w.firstScored; i < w.length; ++i)
      hits[size_t(w.start + i)]++;
  return hits;
}

} // namespace

TEST(Windows, EveryTargetScoredExactlyOnce) {
  std::string error;
  for (int64_t N : {0, 1, 2, 3, 10, 63, 64, 65, 100, 1000, 1025, 1026, 4097, 10000})
    for (int64_t T : {1, 2, 7, 16, 64, 1024})
      for (int64_t S : {1, 2, 3, 8, 16, 64, 1024}) {
        if (S > T)
          continue;
        auto w = slidingWindows(N, T, S, error);
        ASSERT_TRUE(w) << error;
        SCOPED_TRACE("N=" + std::to_string(N) + " T=" + std::to_string(T) +
                     " S=" + std::to_string(S));
        EXPECT_TRUE(checkSchedule(*w, N, error)) << error;
        EXPECT_EQ(scoredTargets(*w), std::max<int64_t>(N - 1, 0));
        for (int h : coverage(*w, N))
          ASSERT_EQ(h, 1);
        for (const Window &x : *w) {
          EXPECT_LE(x.length, T);
          EXPECT_LE(x.start + x.length, N - 1);
          // Later windows keep at least T - S tokens of context.
          if (x.start > 0) {
            EXPECT_EQ(x.firstScored, T - S);
          }
        }
        // Same starts as the reference filter whenever the reference scores anything.
        std::vector<int64_t> starts;
        for (const Window &x : *w)
          starts.push_back(x.start);
        if (N - 1 > T - S) {
          EXPECT_EQ(starts, referenceStarts(N, T, S));
        }
        auto n = nonOverlappingWindows(N, T, error);
        ASSERT_TRUE(n) << error;
        EXPECT_TRUE(checkSchedule(*n, N, error)) << error;
        EXPECT_EQ(scoredTargets(*n), std::max<int64_t>(N - 1, 0));
      }
}

TEST(Windows, StrideEqualToWindowIsNonOverlapping) {
  std::string error;
  for (int64_t N : {1, 2, 1024, 1025, 1026, 5000, 1040060})
    for (int64_t T : {1, 64, 1024, 2048}) {
      auto a = slidingWindows(N, T, T, error);
      auto b = nonOverlappingWindows(N, T, error);
      ASSERT_TRUE(a && b) << error;
      EXPECT_EQ(*a, *b);
      for (const Window &w : *b)
        EXPECT_EQ(w.firstScored, 0);
    }
}

TEST(Windows, ShapeOfTheSchedules) {
  std::string error;
  // 21 tokens = 20 targets, T = 8.
  auto n = nonOverlappingWindows(21, 8, error);
  ASSERT_TRUE(n);
  ASSERT_EQ(n->size(), 3u);
  EXPECT_EQ((*n)[2], (Window{16, 4, 0})); // the shorter final window is kept
  auto s = slidingWindows(21, 8, 4, error);
  ASSERT_TRUE(s);
  // starts 0, 4, 8, 12 (12 + 4 < 20; 16 + 4 is not)
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ((*s)[0], (Window{0, 8, 0}));
  EXPECT_EQ((*s)[1], (Window{4, 8, 4}));
  EXPECT_EQ((*s)[3], (Window{12, 8, 4}));
  // 23 targets: the last window is truncated and scores fewer than S.
  auto t = slidingWindows(24, 8, 4, error);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->size(), 5u);
  EXPECT_EQ(t->back(), (Window{16, 7, 4}));
  // Fewer targets than T - S: the first window still scores them all.
  auto u = slidingWindows(5, 8, 2, error);
  ASSERT_TRUE(u);
  ASSERT_EQ(u->size(), 1u);
  EXPECT_EQ((*u)[0], (Window{0, 4, 0}));
}

TEST(Windows, BadArguments) {
  std::string error;
  EXPECT_FALSE(slidingWindows(100, 8, 9, error));
  EXPECT_NE(error.find("stride must be in [1, 8], not 9"), std::string::npos) << error;
  EXPECT_FALSE(slidingWindows(100, 8, 0, error));
  EXPECT_FALSE(nonOverlappingWindows(100, 0, error));
  EXPECT_FALSE(nonOverlappingWindows(-1, 8, error));
  std::vector<Window> gap = {{0, 4, 0}, {5, 4, 0}};
  EXPECT_FALSE(checkSchedule(gap, 10, error));
  EXPECT_NE(error.find("scores from target 5 but target 4 is next"), std::string::npos) << error;
  std::vector<Window> tooLong = {{0, 10, 0}};
  EXPECT_FALSE(checkSchedule(tooLong, 10, error));
  std::vector<Window> shortCover = {{0, 4, 0}};
  EXPECT_FALSE(checkSchedule(shortCover, 10, error));
  EXPECT_NE(error.find("score 4 of 9 targets"), std::string::npos) << error;
}

TEST(RankSlice, CoversContiguously) {
  for (size_t count : {0, 1, 7, 100, 969088})
    for (int world : {1, 2, 3, 8}) {
      size_t next = 0;
      for (int r = 0; r < world; ++r) {
        auto [b, e] = rankSlice(count, r, world);
        EXPECT_EQ(b, next);
        EXPECT_LE(b, e);
        next = e;
      }
      EXPECT_EQ(next, count);
    }
}

TEST(BpbAccumulator, SumsAndMerge) {
  ByteLuts l;
  // id 0 boundary, 1 "▁ab" (2 + space), 2 "c" (1), 3 byte (1)
  l.isBoundary = {1, 0, 0, 0};
  l.baseBytes = {0, 2, 1, 1};
  l.hasLeadingSpace = {0, 1, 0, 0};
  BpbAccumulator a(&l), b(&l);
  a.add(1.0, 1, 0); // 2 bytes (no space after a boundary)
  a.add(2.0, 1, 2); // 3 bytes
  b.add(0.5, 0, 3); // 0 bytes: a boundary target
  b.add(0.25, 3, 1); // 1 byte
  BpbAccumulator all(&l);
  all.merge(a);
  all.merge(b);
  EXPECT_DOUBLE_EQ(all.nllSum(), 3.75);
  EXPECT_DOUBLE_EQ(all.targets(), 4);
  EXPECT_DOUBLE_EQ(all.bytes(), 6);
  EXPECT_DOUBLE_EQ(all.valLoss(), 3.75 / 4);
  EXPECT_DOUBLE_EQ(all.valBpb(), 3.75 / std::log(2.0) / 6);
  BpbAccumulator viaSums(&l);
  viaSums.addSums(a.sums());
  viaSums.addSums(b.sums());
  EXPECT_EQ(viaSums.sums(), all.sums());
  BpbAccumulator empty(&l);
  EXPECT_EQ(empty.valLoss(), 0);
  EXPECT_EQ(empty.valBpb(), 0);
  // addWindow scores only [firstScored, length).
  std::vector<uint16_t> tokens = {0, 1, 2, 1, 3};
  std::vector<float> nll = {9, 9, 1.5f, 2.5f};
  BpbAccumulator w(&l);
  w.addWindow(Window{0, 4, 2}, tokens.data(), nll.data());
  EXPECT_DOUBLE_EQ(w.targets(), 2);
  EXPECT_DOUBLE_EQ(w.nllSum(), 4.0);
  EXPECT_DOUBLE_EQ(w.bytes(), 3 + 1); // "▁ab" after "c", then a byte
}

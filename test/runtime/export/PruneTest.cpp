//===- PruneTest.cpp - magnitude and selective pruning --------------------===//
#include "runtime/export/Prune.h"

#include <gtest/gtest.h>

using namespace golf::exporter;

namespace {

TEST(MagnitudePrune, ZeroesExactlyTheSmallest) {
  std::vector<float> w = {0.5f, -0.1f, 0.3f, -0.05f, 0.2f, 0.9f, -0.01f, 0.4f, 0.7f, -0.6f};
  EXPECT_EQ(magnitudePrune(w, 0.3), 3);
  std::vector<float> want = {0.5f, 0, 0.3f, 0, 0.2f, 0.9f, 0, 0.4f, 0.7f, -0.6f};
  EXPECT_EQ(w, want);
  EXPECT_EQ(magnitudePrune(w, 0.05), 0); // floor(0.5) entries
}

/// Size model: 100 bytes plus 10 per nonzero entry.
std::optional<uint64_t> nonzeroBytes(const std::vector<Quantized *> &ts) {
  uint64_t n = 100;
  for (const Quantized *t : ts)
    for (int8_t v : t->q)
      n += v != 0 ? 10 : 0;
  return n;
}

TEST(SelectivePrune, ZeroesTheFewestSmallestScaleOnesToFit) {
  // Row 0 has the small scale: its +-1 entries go first.
  Quantized a{2, 4, 6, false, {0.5f, 0.1f}, {1, -1, 3, 0, -1, 1, 1, 5}};
  Quantized b{1, 3, 6, false, {0.2f}, {1, 2, -1}};
  std::vector<Quantized *> ts = {&a, &b};
  auto measure = [&](std::string &) { return nonzeroBytes(ts); };
  std::string error;
  // 10 nonzeros now = 200 bytes; 175 needs 3 zeroed (170).
  auto r = selectivePrune(ts, 175, measure, error);
  ASSERT_TRUE(r) << error;
  EXPECT_TRUE(r->fits);
  EXPECT_EQ(r->candidates, 7);
  EXPECT_EQ(r->zeroed, 3);
  EXPECT_EQ(r->bytes, 170u);
  // Order by s^2: a's row 1 (s = 0.1) goes first; b (0.2) and a's row 0 stay.
  EXPECT_EQ(a.q, (std::vector<int8_t>{1, -1, 3, 0, 0, 0, 0, 5}));
  EXPECT_EQ(b.q, (std::vector<int8_t>{1, 2, -1}));
  // One more byte of room per step: 185 needs 2 zeroed.
  a.q = {1, -1, 3, 0, -1, 1, 1, 5};
  r = selectivePrune(ts, 185, measure, error);
  EXPECT_TRUE(r && r->zeroed == 2 && r->bytes == 180u);
}

TEST(SelectivePrune, OutOfReachLeavesEverything) {
  Quantized a{1, 4, 6, false, {0.5f}, {1, 2, 3, -1}};
  std::vector<Quantized *> ts = {&a};
  auto measure = [&](std::string &) { return nonzeroBytes(ts); };
  std::string error;
  auto r = selectivePrune(ts, 50, measure, error);
  ASSERT_TRUE(r) << error;
  EXPECT_FALSE(r->fits);
  EXPECT_EQ(a.q, (std::vector<int8_t>{1, 2, 3, -1}));
  // Already fitting: nothing is zeroed.
  r = selectivePrune(ts, 1000, measure, error);
  EXPECT_TRUE(r && r->fits && r->zeroed == 0);
}

} // namespace

#include "TestUtil.h"

#include "runtime/data/TokenStream.h"

#include <numeric>

using namespace golf::data;
using golf::test::TempDir;

namespace {

/// Writes shards of the given sizes holding 0, 1, 2, ... consecutively
/// (written in reverse order, so the stream must sort by name).
std::vector<uint16_t> makeShards(const TempDir &dir, const std::vector<size_t> &sizes,
                                 const std::string &prefix = "fineweb_train") {
  std::vector<uint16_t> all;
  std::vector<std::vector<uint16_t>> shards;
  uint16_t next = 0;
  for (size_t n : sizes) {
    std::vector<uint16_t> s(n);
    for (auto &t : s)
      t = next++;
    all.insert(all.end(), s.begin(), s.end());
    shards.push_back(s);
  }
  for (size_t i = shards.size(); i-- > 0;) {
    std::string error;
    EXPECT_TRUE(writeShard(dir.file(shardFileName(prefix, int(i))), shards[i], error)) << error;
  }
  return all;
}

} // namespace

TEST(TokenStream, SortedAndWrapsAround) {
  TempDir dir;
  std::vector<uint16_t> all = makeShards(dir, {5, 3, 0, 4}); // 12 tokens, one empty shard
  std::string error;
  auto s = TokenStream::open(dir.file("fineweb_train_*.bin"), error);
  ASSERT_TRUE(s) << error;
  ASSERT_EQ(s->files().size(), 4u);
  EXPECT_EQ(s->files()[0], dir.file("fineweb_train_000000.bin"));
  EXPECT_EQ(s->files()[3], dir.file("fineweb_train_000003.bin"));
  EXPECT_EQ(s->totalTokens(), 12);
  std::vector<uint16_t> got;
  for (int64_t n : {2, 4, 0, 7, 11, 3}) // 27 tokens: wraps twice
    ASSERT_TRUE(s->take(n, got, error)) << error;
  ASSERT_EQ(got.size(), 27u);
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(got[i], all[i % all.size()]) << "token " << i;
  EXPECT_EQ(s->consumed(), 27);
}

TEST(TokenStream, Errors) {
  TempDir dir;
  std::string error;
  EXPECT_FALSE(TokenStream::open(dir.file("fineweb_train_*.bin"), error));
  EXPECT_NE(error.find("no shards match"), std::string::npos) << error;
  makeShards(dir, {0, 0});
  EXPECT_FALSE(TokenStream::open(dir.file("fineweb_train_*.bin"), error));
  EXPECT_NE(error.find("all 2 shards are empty"), std::string::npos) << error;
  golf::test::writeBytes(dir.file("fineweb_train_000002.bin"), "garbage");
  EXPECT_FALSE(TokenStream::open(dir.file("fineweb_train_*.bin"), error));
  EXPECT_NE(error.find("fineweb_train_000002.bin: short header"), std::string::npos) << error;
}

TEST(TokenStream, VocabCheckedWhenMapped) {
  TempDir dir;
  makeShards(dir, {10, 10}); // ids 0..19
  std::string error;
  auto s = TokenStream::open(dir.file("fineweb_train_*.bin"), error, 15);
  ASSERT_TRUE(s) << error;
  std::vector<uint16_t> got;
  EXPECT_TRUE(s->take(10, got, error)) << error;
  EXPECT_FALSE(s->take(1, got, error));
  EXPECT_NE(error.find("token id 15 at position 5 is >= the vocabulary size 15"),
            std::string::npos)
      << error;
}

TEST(DistributedTokenLoader, RankSpans) {
  TempDir dir;
  std::vector<uint16_t> all = makeShards(dir, {7, 9, 6});
  std::string error;
  const int64_t local = 4, world = 3, span = local + 1;
  std::vector<DistributedTokenLoader> loaders;
  for (int r = 0; r < world; ++r) {
    auto s = TokenStream::open(dir.file("fineweb_train_*.bin"), error);
    ASSERT_TRUE(s) << error;
    loaders.emplace_back(std::move(*s));
  }
  for (int step = 0; step < 5; ++step) {
    for (int r = 0; r < world; ++r) {
      Batch b;
      ASSERT_TRUE(loaders[size_t(r)].nextBatch(local, r, int(world), b, error)) << error;
      ASSERT_EQ(b.inputs.size(), size_t(local));
      ASSERT_EQ(b.targets.size(), size_t(local));
      int64_t base = step * world * span + r * span;
      for (int64_t i = 0; i < local; ++i) {
        EXPECT_EQ(b.inputs[size_t(i)], all[size_t((base + i) % 22)]);
        EXPECT_EQ(b.targets[size_t(i)], all[size_t((base + i + 1) % 22)]);
      }
    }
  }
  Batch b;
  EXPECT_FALSE(loaders[0].nextBatch(local, 3, 3, b, error));
  EXPECT_FALSE(loaders[0].nextBatch(0, 0, 1, b, error));
}

TEST(DistributedTokenLoader, TwoRanksEqualOneRankWithAccumulation) {
  TempDir dir;
  makeShards(dir, {1000, 37, 501});
  std::string error;
  const int64_t local = 64;
  auto open = [&]() {
    auto s = TokenStream::open(dir.file("fineweb_train_*.bin"), error);
    EXPECT_TRUE(s) << error;
    return DistributedTokenLoader(std::move(*s));
  };
  DistributedTokenLoader rank0 = open(), rank1 = open(), single = open();
  for (int step = 0; step < 40; ++step) { // wraps around several times
    Batch a, b, s0, s1;
    ASSERT_TRUE(rank0.nextBatch(local, 0, 2, a, error)) << error;
    ASSERT_TRUE(rank1.nextBatch(local, 1, 2, b, error)) << error;
    ASSERT_TRUE(single.nextBatch(local, 0, 1, s0, error)) << error;
    ASSERT_TRUE(single.nextBatch(local, 0, 1, s1, error)) << error;
    EXPECT_EQ(a.inputs, s0.inputs);
    EXPECT_EQ(a.targets, s0.targets);
    EXPECT_EQ(b.inputs, s1.inputs);
    EXPECT_EQ(b.targets, s1.targets);
  }
  EXPECT_EQ(rank0.stream().consumed(), single.stream().consumed());
}

TEST(LoadValidationTokens, ConcatenatesInNameOrder) {
  TempDir dir;
  std::vector<uint16_t> all = makeShards(dir, {3, 0, 8}, "fineweb_val");
  makeShards(dir, {4}, "fineweb_train");
  std::string error;
  auto v = loadValidationTokens(dir.file("fineweb_val_*.bin"), error);
  ASSERT_TRUE(v) << error;
  EXPECT_EQ(*v, all);
  EXPECT_FALSE(loadValidationTokens(dir.file("fineweb_val_*.bin"), error, 5));
  EXPECT_NE(error.find(">= the vocabulary size 5"), std::string::npos) << error;
  EXPECT_FALSE(loadValidationTokens(dir.file("nothing_*.bin"), error));
}

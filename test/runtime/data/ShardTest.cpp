#include "TestUtil.h"

#include "runtime/data/Shard.h"
#include "runtime/support/Files.h"
#include "runtime/support/Sha256.h"

#include <cstring>

using namespace golf;
using namespace golf::data;
using golf::test::TempDir;
using golf::test::writeBytes;

namespace {

std::string header(int32_t magic, int32_t version, int32_t n) {
  std::string h(1024, '\0');
  std::memcpy(&h[0], &magic, 4);
  std::memcpy(&h[4], &version, 4);
  std::memcpy(&h[8], &n, 4);
  return h;
}

std::string payload(const std::vector<uint16_t> &ids) {
  return std::string(reinterpret_cast<const char *>(ids.data()), ids.size() * 2);
}

} // namespace

TEST(Shard, RoundTrip) {
  TempDir dir;
  std::vector<uint16_t> ids = {1, 500, 65535, 0, 7, 1023};
  std::string path = dir.file("fineweb_train_000000.bin");
  std::string error;
  ASSERT_TRUE(writeShard(path, ids, error)) << error;
  auto bytes = readFile(path, error);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 1024u + 2 * ids.size());
  EXPECT_EQ(*bytes, header(20240520, 1, 6) + payload(ids));
  auto back = readShard(path, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, ids);
  auto n = inspectShard(path, error);
  ASSERT_TRUE(n) << error;
  EXPECT_EQ(*n, 6);
  auto mapped = MappedShard::open(path, error);
  ASSERT_TRUE(mapped) << error;
  ASSERT_EQ(mapped->size(), 6);
  EXPECT_EQ(mapped->tokens()[2], 65535);
  // No temporary file is left behind.
  EXPECT_EQ(std::system(("test $(ls '" + dir.path() + "' | wc -l) -eq 1").c_str()), 0);
}

TEST(Shard, EmptyShardIsValid) {
  TempDir dir;
  std::string path = dir.file("empty.bin");
  std::string error;
  ASSERT_TRUE(writeShard(path, std::vector<uint16_t>{}, error)) << error;
  auto back = readShard(path, error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(back->empty());
}

TEST(Shard, FileName) {
  EXPECT_EQ(shardFileName("fineweb_train", 0), "fineweb_train_000000.bin");
  EXPECT_EQ(shardFileName("fineweb_val", 12), "fineweb_val_000012.bin");
}

TEST(Shard, MissingFile) {
  std::string error;
  EXPECT_FALSE(readShard("/nonexistent/dir/x.bin", error));
  EXPECT_NE(error.find("cannot open shard /nonexistent/dir/x.bin"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(Shard, ShortHeader) {
  TempDir dir;
  std::string path = dir.file("short.bin");
  writeBytes(path, header(20240520, 1, 0).substr(0, 100));
  std::string error;
  EXPECT_FALSE(readShard(path, error));
  EXPECT_NE(error.find("short header: 100 bytes"), std::string::npos) << error;
  error.clear();
  writeBytes(path, "");
  EXPECT_FALSE(inspectShard(path, error));
  EXPECT_NE(error.find("short header: 0 bytes"), std::string::npos) << error;
}

TEST(Shard, WrongMagic) {
  TempDir dir;
  std::string path = dir.file("magic.bin");
  writeBytes(path, header(20240521, 1, 1) + payload({5}));
  std::string error;
  EXPECT_FALSE(readShard(path, error));
  EXPECT_NE(error.find("wrong magic 20240521 (expected 20240520)"), std::string::npos) << error;
}

TEST(Shard, WrongVersion) {
  TempDir dir;
  std::string path = dir.file("version.bin");
  writeBytes(path, header(20240520, 2, 1) + payload({5}));
  std::string error;
  EXPECT_FALSE(readShard(path, error));
  EXPECT_NE(error.find("wrong version 2 (expected 1)"), std::string::npos) << error;
}

TEST(Shard, SizeMismatch) {
  TempDir dir;
  std::string path = dir.file("size.bin");
  writeBytes(path, header(20240520, 1, 3) + payload({5, 6}));
  std::string error;
  EXPECT_FALSE(readShard(path, error));
  EXPECT_NE(error.find("size mismatch"), std::string::npos) << error;
  EXPECT_NE(error.find("1030 bytes expected, but the file has 1028 bytes"), std::string::npos)
      << error;
  // A trailing odd byte is a mismatch too.
  writeBytes(path, header(20240520, 1, 2) + payload({5, 6}) + "x");
  EXPECT_FALSE(inspectShard(path, error));
  EXPECT_NE(error.find("1028 bytes expected, but the file has 1029 bytes"), std::string::npos)
      << error;
  writeBytes(path, header(20240520, 1, -1));
  EXPECT_FALSE(inspectShard(path, error));
  EXPECT_NE(error.find("negative token count"), std::string::npos) << error;
}

TEST(Shard, TokenOutOfVocab) {
  TempDir dir;
  std::string path = dir.file("vocab.bin");
  std::string error;
  ASSERT_TRUE(writeShard(path, std::vector<uint16_t>{1, 2, 1023, 1024, 5}, error));
  EXPECT_TRUE(readShard(path, error, 1025)) << error;
  EXPECT_TRUE(readShard(path, error, 0)); // no check
  EXPECT_FALSE(readShard(path, error, 1024));
  EXPECT_NE(error.find("token id 1024 at position 3 is >= the vocabulary size 1024"),
            std::string::npos)
      << error;
}

TEST(Shard, NotARegularFile) {
  TempDir dir;
  std::string error;
  EXPECT_FALSE(readShard(dir.path(), error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex(std::string("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(std::string("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1000000, 'a');
  EXPECT_EQ(sha256Hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Incremental updates of odd sizes agree with one update.
  Sha256 h;
  for (size_t i = 0, step = 1; i < million.size(); i += step, step = step % 97 + 1)
    h.update(million.data() + i, std::min(step, million.size() - i));
  EXPECT_EQ(h.finishHex(), sha256Hex(million));
}

TEST(Sha256, File) {
  TempDir dir;
  writeBytes(dir.file("abc"), "abc");
  std::string error;
  auto h = sha256File(dir.file("abc"), error);
  ASSERT_TRUE(h) << error;
  EXPECT_EQ(*h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(sha256File(dir.file("missing"), error));
}

TEST(Shard, MakeDirectories) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(makeDirectories(dir.file("a/b/c"), error)) << error;
  EXPECT_TRUE(golf::test::exists(dir.file("a/b/c")));
  EXPECT_TRUE(makeDirectories(dir.file("a/b/c/"), error)) << error;
  writeBytes(dir.file("f"), "x");
  EXPECT_FALSE(makeDirectories(dir.file("f/g"), error));
  EXPECT_NE(error.find("exists and is not a directory"), std::string::npos) << error;
}

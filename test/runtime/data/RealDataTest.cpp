// Tests on the real FineWeb val head and the sp1024 tokenizer in
// ${GOLF_SHARED_DIR}/data; they skip when those files are absent.
#include "TestUtil.h"

#include "runtime/data/Shard.h"
#include "runtime/data/TokenStream.h"
#include "runtime/data/Tokenizer.h"
#include "runtime/data/ValHead.h"
#include "runtime/eval/Bpb.h"
#include "runtime/support/Sha256.h"

#include <chrono>
#include <cstdio>
#include <cmath>

using namespace golf;
using namespace golf::data;
using namespace golf::eval;
using golf::test::TempDir;

namespace {

constexpr const char *kHead = "fineweb_val_head_sp1024.u16.xz";
constexpr const char *kModel = "fineweb_1024_bpe.model";

/// The val shard built once for all tests here.
class ValHead : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    if (!golf::test::exists(golf::test::sharedData(kHead)))
      return;
    dir_ = new TempDir();
    std::string error;
    auto r = buildValShard(golf::test::sharedData(kHead), dir_->path(), error);
    if (!r) {
      buildError_ = error;
      return;
    }
    result_ = new ValShardResult(*r);
    auto tokens = loadValidationTokens(dir_->file("fineweb_val_*.bin"), error, 1024);
    if (tokens)
      tokens_ = new std::vector<uint16_t>(std::move(*tokens));
    else
      buildError_ = error;
  }
  static void TearDownTestSuite() {
    delete tokens_;
    delete result_;
    delete dir_;
  }
  void SetUp() override {
    GOLF_REQUIRE_SHARED(kHead);
    ASSERT_TRUE(result_ && tokens_) << buildError_;
  }

  static TempDir *dir_;
  static ValShardResult *result_;
  static std::vector<uint16_t> *tokens_;
  static std::string buildError_;
};
TempDir *ValHead::dir_ = nullptr;
ValShardResult *ValHead::result_ = nullptr;
std::vector<uint16_t> *ValHead::tokens_ = nullptr;
std::string ValHead::buildError_;

/// Document boundaries (BOS positions) plus the end.
std::vector<size_t> documentStarts(const std::vector<uint16_t> &t) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i] == kBosId)
      starts.push_back(i);
  starts.push_back(t.size());
  return starts;
}

} // namespace

TEST_F(ValHead, ShardMatchesReference) {
  EXPECT_EQ(result_->sha256, kValHeadShardSha256);
  EXPECT_EQ(result_->tokens, 1040060);
  EXPECT_EQ(result_->documents, 901);
  EXPECT_EQ(result_->path, dir_->file("fineweb_val_000000.bin"));
  std::string error;
  auto onDisk = sha256File(result_->path, error);
  ASSERT_TRUE(onDisk) << error;
  EXPECT_EQ(*onDisk, kValHeadShardSha256);
  auto n = inspectShard(result_->path, error);
  ASSERT_TRUE(n) << error;
  EXPECT_EQ(*n, 1040060);
  ASSERT_EQ(tokens_->size(), 1040060u);
  EXPECT_EQ(tokens_->front(), kBosId);
  EXPECT_EQ(documentStarts(*tokens_).size(), 902u);
}

TEST_F(ValHead, RawHeadAndWrongShaFails) {
  std::string error;
  auto raw = readXzU16(golf::test::sharedData(kHead), error);
  ASSERT_TRUE(raw) << error;
  EXPECT_EQ(raw->size(), 1040297u);
  TempDir other;
  EXPECT_FALSE(buildValShard(golf::test::sharedData(kHead), other.path(), error,
                             std::string(64, '0')));
  EXPECT_NE(error.find("does not match the expected"), std::string::npos) << error;
  EXPECT_FALSE(golf::test::exists(other.file("fineweb_val_000000.bin")));
  EXPECT_FALSE(readXz(golf::test::sharedData(kModel), error));
  EXPECT_NE(error.find("not an xz file"), std::string::npos) << error;
}

TEST_F(ValHead, UniformModelBitsPerByte) {
  GOLF_REQUIRE_SHARED(kModel);
  std::string error;
  auto model = SentencePieceModel::load(golf::test::sharedData(kModel), error);
  ASSERT_TRUE(model) << error;
  ByteLuts luts = model->byteLuts(1024);
  const int64_t N = int64_t(tokens_->size());
  const double uniform = std::log(1024.0);
  std::vector<double> nll(2048, uniform);

  struct Schedule {
    const char *name;
    std::optional<std::vector<Window>> windows;
  };
  std::vector<Schedule> schedules;
  schedules.push_back({"non-overlapping T=1024", nonOverlappingWindows(N, 1024, error)});
  schedules.push_back({"sliding T=1024 S=64", slidingWindows(N, 1024, 64, error)});
  schedules.push_back({"sliding T=2048 S=64", slidingWindows(N, 2048, 64, error)});
  for (const Schedule &s : schedules) {
    SCOPED_TRACE(s.name);
    ASSERT_TRUE(s.windows) << error;
    EXPECT_TRUE(checkSchedule(*s.windows, N, error)) << error;
    BpbAccumulator acc(&luts);
    for (const Window &w : *s.windows)
      acc.addWindow(w, tokens_->data(), nll.data());
    EXPECT_EQ(acc.targets(), 1040059);
    EXPECT_EQ(acc.bytes(), 2504310);
    EXPECT_NEAR(acc.valLoss(), uniform, 1e-9); // 1M float64 additions
    EXPECT_EQ(std::round(acc.valBpb() * 1e6) / 1e6, 4.153076) << acc.valBpb();
    std::printf("[ measured ] uniform model, %s: %zu windows, %.0f targets, %.0f bytes, "
                "val_loss %.9f, val_bpb %.9f\n",
                s.name, s.windows->size(), acc.targets(), acc.bytes(), acc.valLoss(),
                acc.valBpb());
  }
  // The byte denominator in closed form.
  EXPECT_EQ(countBytes(luts, tokens_->data(), N), 2504310);
  // Split across 8 "ranks" and merged: the same sums.
  auto windows = slidingWindows(N, 1024, 64, error);
  ASSERT_TRUE(windows);
  BpbAccumulator merged(&luts);
  for (int r = 0; r < 8; ++r) {
    BpbAccumulator part(&luts);
    auto [b, e] = rankSlice(windows->size(), r, 8);
    for (size_t i = b; i < e; ++i)
      part.addWindow((*windows)[i], tokens_->data(), nll.data());
    merged.addSums(part.sums());
  }
  EXPECT_EQ(merged.targets(), 1040059);
  EXPECT_EQ(merged.bytes(), 2504310);
  EXPECT_EQ(std::round(merged.valBpb() * 1e6) / 1e6, 4.153076);
}

TEST_F(ValHead, DecodedDocumentsAre2504310Bytes) {
  GOLF_REQUIRE_SHARED(kModel);
  std::string error;
  auto tok = Tokenizer::load(golf::test::sharedData(kModel), error);
  ASSERT_TRUE(tok) << error;
  std::vector<size_t> starts = documentStarts(*tokens_);
  int64_t bytes = 0;
  std::vector<int> ids;
  std::string text;
  for (size_t d = 0; d + 1 < starts.size(); ++d) {
    ids.assign(tokens_->begin() + long(starts[d]) + 1, tokens_->begin() + long(starts[d + 1]));
    ASSERT_TRUE(tok->decode(ids, text, error)) << error;
    bytes += int64_t(text.size());
  }
  EXPECT_EQ(bytes, 2504310);
  std::printf("[ measured ] decoded %zu documents: %lld UTF-8 bytes\n", starts.size() - 1,
              (long long)bytes);
}

TEST_F(ValHead, ReencodingReproducesTheIds) {
  GOLF_REQUIRE_SHARED(kModel);
  std::string error;
  auto tok = Tokenizer::load(golf::test::sharedData(kModel), error);
  ASSERT_TRUE(tok) << error;
  std::vector<size_t> starts = documentStarts(*tokens_);
  // All 901 documents take about a second; the budget below keeps slow
  // machines to a prefix (at least 50 documents).
  auto t0 = std::chrono::steady_clock::now();
  size_t checked = 0;
  std::vector<int> ids, again;
  std::string text;
  for (size_t d = 0; d + 1 < starts.size(); ++d) {
    ids.assign(tokens_->begin() + long(starts[d]) + 1, tokens_->begin() + long(starts[d + 1]));
    ASSERT_TRUE(tok->decode(ids, text, error)) << error;
    again.clear();
    ASSERT_TRUE(tok->encodeDocument(text, again, error)) << error;
    ASSERT_EQ(again.size(), ids.size() + 1) << "document " << d;
    EXPECT_EQ(again[0], kBosId);
    ASSERT_TRUE(std::equal(ids.begin(), ids.end(), again.begin() + 1)) << "document " << d;
    ++checked;
    if (checked >= 50 && std::chrono::steady_clock::now() - t0 > std::chrono::seconds(20))
      break;
  }
  std::printf("[ measured ] re-encoded %zu of %zu documents identically\n", checked,
              starts.size() - 1);
  EXPECT_GE(checked, 50u);
}

#include "TestUtil.h"

#include "runtime/data/Tokenizer.h"

#include <cstring>
#include <fstream>

using namespace golf::data;
using golf::test::TempDir;

namespace {

// A tiny protobuf writer for hand-made ModelProto files.
std::string varint(uint64_t v) {
  std::string s;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    s.push_back(char(b | (v ? 0x80 : 0)));
  } while (v);
  return s;
}
std::string field(uint32_t number, uint32_t wireType) { return varint(number << 3 | wireType); }
std::string lengthDelimited(uint32_t number, const std::string &bytes) {
  return field(number, 2) + varint(bytes.size()) + bytes;
}
std::string piece(const std::string &text, float score, int type) {
  uint32_t bits;
  std::memcpy(&bits, &score, 4);
  std::string s = lengthDelimited(1, text) + field(2, 5) + std::string(reinterpret_cast<char *>(&bits), 4);
  if (type != 1)
    s += field(3, 0) + varint(uint64_t(type));
  return s;
}

const std::string kSpace = "\xe2\x96\x81";

std::string tinyModel() {
  std::string m;
  m += lengthDelimited(1, piece("<pad>", 0, 3));
  m += lengthDelimited(1, piece("<s>", 0, 3));
  m += lengthDelimited(1, piece("</s>", 0, 3));
  m += lengthDelimited(1, piece("<unk>", 0, 2));
  m += lengthDelimited(1, piece("<0x41>", 0, 6));
  m += lengthDelimited(1, piece(kSpace + "the", -1, 1));
  m += lengthDelimited(1, piece("ing", -2, 1));
  m += lengthDelimited(1, piece(kSpace, -3, 1));
  m += lengthDelimited(1, piece("\xc3\xa9t\xc3\xa9", -4, 1)); // "été": 5 bytes
  m += lengthDelimited(1, piece("<user>", 0, 4));
  m += lengthDelimited(1, piece("<gone>", 0, 5));
  m += lengthDelimited(1, piece(kSpace + kSpace + "x", -5, 1));
  // TrainerSpec: model_type BPE (3:2), unk 3 (40), bos 1 (41), eos 2 (42), pad 0 (43),
  // plus an unrelated string field (1) to skip.
  std::string trainer = lengthDelimited(1, "input.txt") + field(3, 0) + varint(2) + field(40, 0) +
                        varint(3) + field(41, 0) + varint(1) + field(42, 0) + varint(2) +
                        field(43, 0) + varint(0);
  m += lengthDelimited(2, trainer);
  m += lengthDelimited(3, lengthDelimited(1, "nmt_nfkc") + field(3, 0) + varint(0));
  return m;
}

} // namespace

TEST(SentencePieceModel, ParsesPiecesAndSpecials) {
  std::string error;
  auto m = SentencePieceModel::parse(tinyModel(), "tiny", error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->vocabSize(), 12);
  EXPECT_EQ(m->piece(1).text, "<s>");
  EXPECT_EQ(m->piece(1).type, PieceType::Control);
  EXPECT_EQ(m->piece(3).type, PieceType::Unknown);
  EXPECT_EQ(m->piece(4).type, PieceType::Byte);
  EXPECT_EQ(m->piece(5).type, PieceType::Normal);
  EXPECT_FLOAT_EQ(m->piece(6).score, -2.0f);
  EXPECT_EQ(m->bosId(), 1);
  EXPECT_EQ(m->eosId(), 2);
  EXPECT_EQ(m->unkId(), 3);
  EXPECT_EQ(m->padId(), 0);
  EXPECT_EQ(m->modelType(), "BPE");
  EXPECT_EQ(m->normalizerName(), "nmt_nfkc");
}

TEST(SentencePieceModel, LutRules) {
  std::string error;
  auto m = SentencePieceModel::parse(tinyModel(), "tiny", error);
  ASSERT_TRUE(m) << error;
  ByteLuts l = m->byteLuts();
  ASSERT_EQ(l.size(), 12u);
  std::vector<int> boundary = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0};
  std::vector<int> base = {0, 0, 0, 0, 1, 3, 3, 0, 5, 6, 0, 4};
  std::vector<int> space = {0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1};
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(l.isBoundary[i], boundary[i]) << "id " << i;
    EXPECT_EQ(l.baseBytes[i], base[i]) << "id " << i;
    EXPECT_EQ(l.hasLeadingSpace[i], space[i]) << "id " << i;
  }
  // The leading-space byte is charged unless the previous token is a boundary.
  EXPECT_EQ(l.bytesFor(5, 1), 3); // "▁the" after BOS: no space
  EXPECT_EQ(l.bytesFor(5, 6), 4); // "▁the" after "ing"
  EXPECT_EQ(l.bytesFor(5, 3), 3); // after <unk> (a boundary)
  EXPECT_EQ(l.bytesFor(7, 4), 1); // "▁" alone after a byte piece
  EXPECT_EQ(l.bytesFor(1, 6), 0); // BOS as a target costs nothing
  // Larger model vocab: the extra ids are boundaries with no bytes.
  ByteLuts big = m->byteLuts(16);
  ASSERT_EQ(big.size(), 16u);
  for (size_t i = 12; i < 16; ++i) {
    EXPECT_EQ(big.isBoundary[i], 1);
    EXPECT_EQ(big.baseBytes[i], 0);
    EXPECT_EQ(big.hasLeadingSpace[i], 0);
  }
  EXPECT_EQ(m->byteLuts(4).size(), 12u); // never smaller than the piece list
}

TEST(SentencePieceModel, Errors) {
  std::string error;
  EXPECT_FALSE(SentencePieceModel::load("/nonexistent/model.model", error));
  EXPECT_NE(error.find("cannot read tokenizer model: cannot open /nonexistent/model.model"),
            std::string::npos)
      << error;
  EXPECT_FALSE(SentencePieceModel::parse("", "empty", error));
  EXPECT_NE(error.find("empty: not a SentencePiece model (no pieces)"), std::string::npos) << error;
  EXPECT_FALSE(SentencePieceModel::parse("hello, world\n", "text", error));
  EXPECT_NE(error.find("text: not a SentencePiece model"), std::string::npos) << error;
  std::string truncated = tinyModel();
  truncated.resize(truncated.size() - 7);
  EXPECT_FALSE(SentencePieceModel::parse(truncated, "truncated", error));
  EXPECT_NE(error.find("not a SentencePiece model"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(Tokenizer, LoadErrors) {
  TempDir dir;
  std::string error;
  EXPECT_FALSE(Tokenizer::load(dir.file("missing.model"), error));
  EXPECT_NE(error.find("cannot read tokenizer model"), std::string::npos) << error;
  golf::test::writeBytes(dir.file("bad.model"), "not a model at all");
  EXPECT_FALSE(Tokenizer::load(dir.file("bad.model"), error));
  EXPECT_NE(error.find("not a SentencePiece model"), std::string::npos) << error;
}

TEST(Tokenizer, PluginFound) {
  std::string where;
  EXPECT_TRUE(sentencePieceAvailable(where)) << where;
}

TEST(RealTokenizer, Sp1024Luts) {
  GOLF_REQUIRE_SHARED("fineweb_1024_bpe.model");
  std::string error;
  auto m = SentencePieceModel::load(golf::test::sharedData("fineweb_1024_bpe.model"), error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(m->vocabSize(), 1024);
  EXPECT_EQ(m->bosId(), 1);
  EXPECT_EQ(m->eosId(), 2);
  EXPECT_EQ(m->unkId(), 3);
  EXPECT_EQ(m->padId(), 0);
  EXPECT_EQ(m->modelType(), "BPE");
  EXPECT_EQ(m->normalizerName(), "nmt_nfkc");
  ByteLuts l = m->byteLuts(1024);
  ASSERT_EQ(l.size(), 1024u);
  // 3 control + 1 unknown, then 256 byte pieces <0x00>..<0xFF> at ids 4..259.
  for (int id = 0; id < 4; ++id) {
    EXPECT_EQ(l.isBoundary[size_t(id)], 1) << id;
    EXPECT_EQ(l.baseBytes[size_t(id)], 0) << id;
  }
  EXPECT_EQ(m->piece(3).type, PieceType::Unknown);
  for (int id = 4; id < 260; ++id) {
    char expect[8];
    std::snprintf(expect, sizeof expect, "<0x%02X>", id - 4);
    EXPECT_EQ(m->piece(id).text, expect);
    EXPECT_EQ(m->piece(id).type, PieceType::Byte);
    EXPECT_EQ(l.isBoundary[size_t(id)], 0);
    EXPECT_EQ(l.baseBytes[size_t(id)], 1);
    EXPECT_EQ(l.hasLeadingSpace[size_t(id)], 0);
  }
  // 764 normal pieces; recompute their LUT entries from the .vocab text file.
  std::ifstream vocab(golf::test::sharedData("fineweb_1024_bpe.vocab"));
  std::string line;
  int id = 0, normal = 0, leading = 0;
  while (std::getline(vocab, line)) {
    std::string text = line.substr(0, line.find('\t'));
    ASSERT_LT(id, 1024);
    EXPECT_EQ(text, m->piece(id).text) << "id " << id;
    if (id >= 260) {
      EXPECT_EQ(m->piece(id).type, PieceType::Normal) << "id " << id;
      ++normal;
      bool space = text.rfind(kSpace, 0) == 0;
      leading += space;
      EXPECT_EQ(l.hasLeadingSpace[size_t(id)], space) << "id " << id;
      EXPECT_EQ(l.baseBytes[size_t(id)], int(text.size()) - (space ? 3 : 0)) << "id " << id;
      EXPECT_EQ(l.isBoundary[size_t(id)], 0);
    }
    ++id;
  }
  EXPECT_EQ(id, 1024);
  EXPECT_EQ(normal, 764);
  EXPECT_GT(leading, 0);
  // A model vocab larger than the tokenizer's pads with boundary ids.
  EXPECT_EQ(m->byteLuts(1100).size(), 1100u);
  EXPECT_EQ(m->byteLuts(1100).isBoundary[1099], 1);
}

TEST(RealTokenizer, Sp8192Inventory) {
  GOLF_REQUIRE_SHARED("fineweb_8192_bpe.model");
  std::string error;
  auto m = SentencePieceModel::load(golf::test::sharedData("fineweb_8192_bpe.model"), error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(m->vocabSize(), 8192);
  int control = 0, unknown = 0, bytes = 0, normal = 0, leading = 0;
  for (const Piece &p : m->pieces()) {
    control += p.type == PieceType::Control;
    unknown += p.type == PieceType::Unknown;
    bytes += p.type == PieceType::Byte;
    normal += p.type == PieceType::Normal;
    leading += p.type == PieceType::Normal && p.text.rfind(kSpace, 0) == 0;
  }
  EXPECT_EQ(control, 3);
  EXPECT_EQ(unknown, 1);
  EXPECT_EQ(bytes, 256);
  EXPECT_EQ(normal, 7932);
  RecordProperty("leading_space_pieces", leading);
}

TEST(RealTokenizer, EncodeDecode) {
  GOLF_REQUIRE_SHARED("fineweb_1024_bpe.model");
  std::string error;
  auto tok = Tokenizer::load(golf::test::sharedData("fineweb_1024_bpe.model"), error);
  ASSERT_TRUE(tok) << error;
  EXPECT_EQ(tok->vocabSize(), 1024);
  EXPECT_EQ(tok->bosId(), 1);
  std::string text = "Hello world! The parameter golf challenge: 16,000,000 bytes. \xc3\xa9t\xc3\xa9 \xe2\x98\x83";
  std::vector<int> ids;
  ASSERT_TRUE(tok->encode(text, ids, error)) << error;
  ASSERT_FALSE(ids.empty());
  std::string back;
  ASSERT_TRUE(tok->decode(ids, back, error)) << error;
  EXPECT_EQ(back, text);
  std::vector<int> doc = {99};
  ASSERT_TRUE(tok->encodeDocument(text, doc, error)) << error;
  ASSERT_EQ(doc.size(), ids.size() + 2);
  EXPECT_EQ(doc[0], 99);
  EXPECT_EQ(doc[1], 1); // BOS, no EOS
  EXPECT_EQ(std::vector<int>(doc.begin() + 2, doc.end()), ids);
  // Decoding skips BOS; out-of-range ids are an error, not a crash.
  ASSERT_TRUE(tok->decode(std::vector<int>(doc.begin() + 1, doc.end()), back, error)) << error;
  EXPECT_EQ(back, text);
  EXPECT_FALSE(tok->decode(std::vector<int>{5, 1024}, back, error));
  EXPECT_NE(error.find("id 1024 at position 1 is outside the vocabulary of 1024"),
            std::string::npos)
      << error;
  // Empty text: no ids.
  ASSERT_TRUE(tok->encode("", ids, error));
  EXPECT_TRUE(ids.empty());
  // Moves keep the processor.
  Tokenizer moved = std::move(*tok);
  ASSERT_TRUE(moved.encode("abc", ids, error)) << error;
  EXPECT_FALSE(ids.empty());
}

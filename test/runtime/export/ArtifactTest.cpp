//===- ArtifactTest.cpp - the container, its codecs and refusals ----------===//
#include "runtime/export/Artifact.h"
#include "runtime/support/Files.h"

#include <gtest/gtest.h>

using namespace golf::exporter;
using golf::plan::DType;

namespace {

Artifact sample(CodecOptions codec) {
  Artifact a;
  a.model = "m";
  a.source = "model m\n";
  a.overrides = {{"dim", "64"}};
  a.codec = codec;
  Quantized q{2, 3, 4, false, {0.5f, 0.25f}, {1, -7, 0, 7, 2, -3}};
  a.tensors.push_back(packQuantized("w", DType::BF16, {2, 3}, q, true));
  a.tensors.push_back(packFloat("g", DType::F32, {3}, {1.0f, 2.0f, -0.5f}, true));
  return a;
}

TEST(Artifact, RoundTripsWithEveryCodec) {
  for (CodecOptions c : {CodecOptions{Codec::Zstd, 22, false}, CodecOptions{Codec::Xz, 9, true},
                         CodecOptions{Codec::Xz, 6, false}, CodecOptions{Codec::Zlib, 9, false}}) {
    Artifact a = sample(c);
    std::string error;
    auto bytes = writeArtifact(a, error);
    ASSERT_TRUE(bytes) << error;
    auto back = readArtifact(*bytes, error);
    ASSERT_TRUE(back) << codecName(c.codec) << ": " << error;
    EXPECT_EQ(back->model, "m");
    EXPECT_EQ(back->source, a.source);
    EXPECT_EQ(back->overrides, a.overrides);
    EXPECT_EQ(back->codec.codec, c.codec);
    EXPECT_EQ(back->codec.level, c.level);
    EXPECT_EQ(back->codec.extreme, c.extreme);
    ASSERT_EQ(back->tensors.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(back->tensors[i].name, a.tensors[i].name);
      EXPECT_EQ(back->tensors[i].data, a.tensors[i].data);
      EXPECT_EQ(back->tensors[i].shape, a.tensors[i].shape);
      EXPECT_EQ(back->tensors[i].format(), a.tensors[i].format());
    }
    EXPECT_EQ(back->tensors[0].dtype, DType::BF16);
  }
}

TEST(Artifact, CodecLevelsAreChecked) {
  std::string error;
  EXPECT_FALSE(compress({Codec::Zstd, 23, false}, "x", error));
  EXPECT_FALSE(compress({Codec::Zlib, 9, true}, "x", error));
  EXPECT_NE(error.find("extreme"), std::string::npos);
}

std::string errorOf(const std::string &bytes) {
  std::string error;
  EXPECT_FALSE(readArtifact(bytes, error));
  return error;
}

/// Replaces the checksum so that only the damage under test is reported.
std::string resealed(std::string bytes) {
  bytes.resize(bytes.size() - 8);
  uint64_t h = golf::fnv1a64(bytes.data(), bytes.size());
  for (int i = 0; i < 8; ++i)
    bytes.push_back(char((h >> (8 * i)) & 0xff));
  return bytes;
}

TEST(Artifact, DamageIsOneLineErrorNeverACrash) {
  std::string error;
  std::string good = *writeArtifact(sample({Codec::Zstd, 3, false}), error);
  EXPECT_NE(errorOf("").find("bad magic"), std::string::npos);
  EXPECT_NE(errorOf("GOLF-AR").find("bad magic"), std::string::npos);
  for (size_t n = 8; n < good.size(); n += 7)
    EXPECT_NE(errorOf(good.substr(0, n)).find("truncated"), std::string::npos) << n;
  EXPECT_NE(errorOf(good + "x").find("extra bytes"), std::string::npos);
  for (size_t at = 24; at < good.size(); at += 5) {
    std::string flipped = good;
    flipped[at] = char(flipped[at] ^ 0x20);
    EXPECT_NE(errorOf(flipped).find("checksum"), std::string::npos) << at;
  }
  std::string v2 = good;
  v2[8] = 2;
  EXPECT_NE(errorOf(v2).find("version 2"), std::string::npos);
  std::string codec = good;
  codec[9] = 9;
  EXPECT_NE(errorOf(resealed(codec)).find("unknown codec"), std::string::npos);
  std::string wrongSize = good;
  wrongSize[16] = char(wrongSize[16] + 1); // the payload's stated size
  EXPECT_NE(errorOf(resealed(wrongSize)).find("zstd"), std::string::npos);
  // Every single-byte change inside the compressed payload, resealed, is
  // refused by the codec or the payload checks (or is harmless).
  size_t payloadAt = 24 + 8;
  for (size_t at = payloadAt; at + 8 < good.size(); ++at) {
    std::string damaged = good;
    damaged[at] = char(damaged[at] ^ 0x55);
    if (!readArtifact(resealed(damaged), error)) {
      EXPECT_EQ(error.find('\n'), std::string::npos);
    }
  }
}

TEST(Artifact, PayloadChecks) {
  Artifact a = sample({Codec::Zlib, 9, false});
  std::string payload = serializePayload(a), error;
  Artifact back;
  EXPECT_TRUE(parsePayload(payload, back, error)) << error;
  EXPECT_FALSE(parsePayload(payload + "z", back, error));
  EXPECT_NE(error.find("unexplained"), std::string::npos);
  EXPECT_FALSE(parsePayload(payload.substr(0, payload.size() - 1), back, error));
  EXPECT_NE(error.find("past the end"), std::string::npos);
  EXPECT_FALSE(parsePayload(payload.substr(0, 10), back, error));
  std::string badJson = payload;
  badJson[5] = '#';
  EXPECT_FALSE(parsePayload(badJson, back, error));
  EXPECT_NE(error.find("malformed"), std::string::npos);
}

} // namespace

//===- ValHead.h - the FineWeb validation shard from the val head -*- C++ -*-===//
//
// ../shared/data/fineweb_val_head_sp1024.u16.xz holds raw uint16 ids: val
// tokens 1..1,040,297 of the official sp1024 fineweb_val_000000.bin (without
// its leading BOS). Prepending BOS and cutting after the last BOS leaves 901
// complete documents (1,040,060 tokens), written as a standard shard whose
// sha256 is known.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DATA_VALHEAD_H
#define GOLF_RUNTIME_DATA_VALHEAD_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace golf::data {

constexpr const char *kValHeadShardSha256 =
    "970927992edcd36d7566c4d875933e7e02b3b9e3e86faf2847447457aa688819";
constexpr int64_t kValHeadShardTokens = 1040060;
constexpr int64_t kValHeadDocuments = 901;
constexpr int kBosId = 1;

/// Decompresses an .xz file (liblzma) into memory.
std::optional<std::string> readXz(const std::string &path, std::string &error);

/// The raw little-endian uint16 ids of an .xz file.
std::optional<std::vector<uint16_t>> readXzU16(const std::string &path, std::string &error);

/// BOS + ids, cut after the last BOS (so only complete documents remain).
std::vector<uint16_t> completeDocuments(const std::vector<uint16_t> &ids, uint16_t bos = kBosId);

struct ValShardResult {
  std::string path;
  int64_t tokens = 0;
  int64_t documents = 0;
  std::string sha256;
};

/// Builds `outDir`/fineweb_val_000000.bin from the val head `headXz` and
/// checks its sha256 against kValHeadShardSha256 (unless `expectedSha256` is
/// given; "" skips the check). On a mismatch nothing is written.
std::optional<ValShardResult> buildValShard(const std::string &headXz, const std::string &outDir,
                                            std::string &error,
                                            const std::string &expectedSha256 =
                                                kValHeadShardSha256);

} // namespace golf::data

#endif // GOLF_RUNTIME_DATA_VALHEAD_H

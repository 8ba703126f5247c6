//===- Shard.h - the challenge's token shard format -------------*- C++ -*-===//
//
// A shard is 256 little-endian int32 (1,024 bytes) of header
// [20240520, 1, n, 0, ...] followed by n little-endian uint16 token ids; the
// file is exactly 1024 + 2n bytes (pgolf-spec §2.1). Readers check all of it
// and report one-line errors; writers write atomically.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DATA_SHARD_H
#define GOLF_RUNTIME_DATA_SHARD_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golf::data {

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardVersion = 1;
constexpr size_t kShardHeaderInts = 256;
constexpr size_t kShardHeaderBytes = kShardHeaderInts * 4;
/// Token ids are uint16, so a vocabulary has at most 65,536 entries.
constexpr int64_t kMaxShardVocab = 65536;

/// Checks a shard's header against the total file size; returns its token
/// count or sets `error` (naming `what`, usually the path) to one line:
/// short header, wrong magic, wrong version, size mismatch (expected vs
/// actual).
std::optional<int64_t> checkShardHeader(const void *header, size_t headerBytes, uint64_t fileBytes,
                                        const std::string &what, std::string &error);

/// Checks every id < `vocabSize` (0: no check); the error names the first bad
/// id and its position.
bool checkTokenRange(const uint16_t *tokens, size_t n, int64_t vocabSize, const std::string &what,
                     std::string &error);

/// Header + size of a shard on disk, without reading its tokens.
std::optional<int64_t> inspectShard(const std::string &path, std::string &error);

/// A shard mapped read-only into memory (shards can be 200 MB). Movable.
class MappedShard {
public:
  /// Maps and validates `path`; with `vocabSize` > 0 also checks every id.
  static std::unique_ptr<MappedShard> open(const std::string &path, std::string &error,
                                           int64_t vocabSize = 0);
  ~MappedShard();
  MappedShard(const MappedShard &) = delete;
  MappedShard &operator=(const MappedShard &) = delete;

  const std::string &path() const { return path_; }
  const uint16_t *tokens() const { return tokens_; }
  int64_t size() const { return numTokens_; }

private:
  MappedShard() = default;
  static std::unique_ptr<MappedShard> openImpl(const std::string &path, std::string &error,
                                               int64_t vocabSize);
  std::string path_;
  void *base_ = nullptr;
  size_t mappedBytes_ = 0;
  const uint16_t *tokens_ = nullptr;
  int64_t numTokens_ = 0;
};

/// Reads a whole shard into memory (validated as in MappedShard::open).
std::optional<std::vector<uint16_t>> readShard(const std::string &path, std::string &error,
                                               int64_t vocabSize = 0);

/// The bytes of a shard holding `tokens` (header + payload).
std::string encodeShard(const uint16_t *tokens, size_t n);

/// Writes a shard atomically (temporary file + rename).
bool writeShard(const std::string &path, const uint16_t *tokens, size_t n, std::string &error);
inline bool writeShard(const std::string &path, const std::vector<uint16_t> &tokens,
                       std::string &error) {
  return writeShard(path, tokens.data(), tokens.size(), error);
}

/// Creates `dir` and its missing parents (mkdir -p); an error if a path
/// component exists and is not a directory.
bool makeDirectories(const std::string &dir, std::string &error);

/// Shard file name: `prefix` + "_" + six-digit index + ".bin"
/// (fineweb_train_000000.bin).
std::string shardFileName(const std::string &prefix, int index);

} // namespace golf::data

#endif // GOLF_RUNTIME_DATA_SHARD_H

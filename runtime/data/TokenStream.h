//===- TokenStream.h - the baseline token loaders ---------------*- C++ -*-===//
//
// The semantics of the baseline `TokenStream` + `DistributedTokenLoader`
// (pgolf-spec §2.4): the shards matching a pattern, sorted by name, are read
// sequentially and wrap around forever. Every rank reads the same stream;
// per micro-step each takes the same contiguous chunk of
// world * (local + 1) tokens and keeps span [r*(local+1), (r+1)*(local+1)):
// inputs = span[:-1], targets = span[1:]. So one rank with accumulation and
// several ranks consume exactly the same tokens.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DATA_TOKENSTREAM_H
#define GOLF_RUNTIME_DATA_TOKENSTREAM_H

#include "runtime/data/Shard.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace golf::data {

/// Files matching a glob pattern (`dir/fineweb_train_*.bin`), sorted by name
/// (bytewise, like Python's sorted(glob.glob(...))). An empty list and
/// `error` set when nothing matches.
std::vector<std::string> matchShards(const std::string &pattern, std::string &error);

/// An endless stream over the shards of one split.
class TokenStream {
public:
  /// Matches `pattern` and checks every shard's header and size up front;
  /// token ids are checked against `vocabSize` (> 0) as each shard is mapped.
  static std::optional<TokenStream> open(const std::string &pattern, std::string &error,
                                         int64_t vocabSize = 0);
  /// The same over an explicit, already ordered file list.
  static std::optional<TokenStream> openFiles(std::vector<std::string> files, std::string &error,
                                              int64_t vocabSize = 0);

  /// Appends the next `n` tokens to `out`, crossing shard boundaries and
  /// wrapping from the last shard to the first.
  bool take(int64_t n, std::vector<uint16_t> &out, std::string &error);

  const std::vector<std::string> &files() const { return files_; }
  /// Tokens in all shards (one epoch).
  int64_t totalTokens() const { return totalTokens_; }
  /// Tokens handed out so far, over all epochs.
  int64_t consumed() const { return consumed_; }
  /// The current shard index and position inside it.
  size_t fileIndex() const { return fileIndex_; }
  int64_t position() const { return pos_; }

private:
  bool load(size_t index, std::string &error);

  std::vector<std::string> files_;
  std::vector<int64_t> sizes_;
  int64_t vocabSize_ = 0;
  int64_t totalTokens_ = 0;
  int64_t consumed_ = 0;
  size_t fileIndex_ = 0;
  int64_t pos_ = 0;
  std::shared_ptr<MappedShard> shard_; // shared_ptr keeps the class movable and copyable
};

/// One rank's micro-batch: `inputs` and `targets` of length local tokens
/// (reshape to (local / T, T)).
struct Batch {
  std::vector<int32_t> inputs;
  std::vector<int32_t> targets;
};

/// The baseline DistributedTokenLoader.
class DistributedTokenLoader {
public:
  explicit DistributedTokenLoader(TokenStream stream) : stream_(std::move(stream)) {}

  /// Takes the next world * (localTokens + 1) tokens and returns rank
  /// `rank`'s span as inputs/targets.
  bool nextBatch(int64_t localTokens, int rank, int world, Batch &batch, std::string &error);

  TokenStream &stream() { return stream_; }

private:
  TokenStream stream_;
  std::vector<uint16_t> chunk_;
};

/// A whole validation split: all shards matching `pattern` concatenated in
/// name order (each shard checked, ids < vocabSize when > 0).
std::optional<std::vector<uint16_t>> loadValidationTokens(const std::string &pattern,
                                                          std::string &error,
                                                          int64_t vocabSize = 0);

} // namespace golf::data

#endif // GOLF_RUNTIME_DATA_TOKENSTREAM_H

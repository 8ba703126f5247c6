//===- Corpus.h - documents in, token shards out ----------------*- C++ -*-===//
//
// Reads documents from text files (one document per blank-line-separated
// block) and JSONL files (one document per line, its "text" field), encodes
// each as [BOS] + ids like the challenge's exporter, and writes the
// concatenated stream as shards of at most N tokens (documents cross shard
// boundaries). Optionally the last fraction of the documents becomes a
// validation split.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DATA_CORPUS_H
#define GOLF_RUNTIME_DATA_CORPUS_H

#include "runtime/data/Tokenizer.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace golf::data {

/// Appends the documents of `path` to `docs`: .jsonl files one per line
/// (each a JSON object with a string "text"; blank lines are skipped; a bad
/// line is an error naming path:line), anything else as plain text split at
/// blank lines (lines holding only whitespace), each block's lines joined
/// with "\n".
bool readDocuments(const std::string &path, std::vector<std::string> &docs, std::string &error);

/// Splits plain text into blank-line-separated documents.
std::vector<std::string> splitTextDocuments(const std::string &text);

struct TokenizeOptions {
  std::vector<std::string> inputs;
  std::string outDir;
  std::string prefix = "fineweb_train";
  std::string valPrefix = "fineweb_val";
  int64_t shardTokens = 100000000;
  /// The last fraction of the documents (at least one when > 0) goes to
  /// valPrefix shards.
  double valFraction = 0;
  /// Replace existing PREFIX_*.bin shards in outDir (otherwise an error).
  bool overwrite = false;
  /// Encoding threads (0: all cores).
  int threads = 0;
};

struct TokenizeResult {
  int64_t documents = 0, trainDocuments = 0, valDocuments = 0;
  int64_t textBytes = 0, trainTokens = 0, valTokens = 0;
  std::vector<std::string> trainShards, valShards;
};

/// Reads, encodes and writes; `progress` (may be empty) gets one-line
/// status messages.
std::optional<TokenizeResult> tokenizeToShards(const Tokenizer &tokenizer,
                                               const TokenizeOptions &options, std::string &error,
                                               const std::function<void(const std::string &)>
                                                   &progress = {});

/// scripts/build_corpus.py: $GOLF_CORPUS_SCRIPT, else relative to the
/// running executable (bin/../scripts, bin/../../scripts), else in the source
/// tree golfc was built from. Empty if none exists.
std::string findCorpusScript();

/// Runs `argv` (argv[0] looked up on PATH) and waits; returns its exit
/// status, 128 + signal if killed, or -1 with `error` set if it could not
/// start.
int runProcess(const std::vector<std::string> &argv, std::string &error);

} // namespace golf::data

#endif // GOLF_RUNTIME_DATA_CORPUS_H

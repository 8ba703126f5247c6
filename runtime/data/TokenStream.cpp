//===- TokenStream.cpp - the baseline token loaders -----------------------===//
#include "runtime/data/TokenStream.h"

#include <algorithm>
#include <glob.h>

namespace golf::data {

std::vector<std::string> matchShards(const std::string &pattern, std::string &error) {
  std::vector<std::string> files;
  try {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
    if (rc == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i)
        files.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    if (rc == GLOB_NOSPACE || rc == GLOB_ABORTED) {
      error = "cannot list shards matching " + pattern;
      return {};
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
      error = "no shards match " + pattern;
  } catch (const std::exception &e) {
    error = "cannot list shards matching " + pattern + ": " + e.what();
    files.clear();
  }
  return files;
}

std::optional<TokenStream> TokenStream::open(const std::string &pattern, std::string &error,
                                             int64_t vocabSize) {
  std::vector<std::string> files = matchShards(pattern, error);
  if (files.empty())
    return std::nullopt;
  return openFiles(std::move(files), error, vocabSize);
}

std::optional<TokenStream> TokenStream::openFiles(std::vector<std::string> files,
                                                  std::string &error, int64_t vocabSize) {
  try {
    if (files.empty()) {
      error = "no shards given";
      return std::nullopt;
    }
    TokenStream s;
    s.vocabSize_ = vocabSize;
    for (const std::string &f : files) {
      auto n = inspectShard(f, error);
      if (!n)
        return std::nullopt;
      s.sizes_.push_back(*n);
      s.totalTokens_ += *n;
    }
    if (s.totalTokens_ == 0) {
      error = "all " + std::to_string(files.size()) + " shards are empty (first: " + files[0] + ")";
      return std::nullopt;
    }
    s.files_ = std::move(files);
    if (!s.load(0, error))
      return std::nullopt;
    return s;
  } catch (const std::exception &e) {
    error = std::string("cannot open token stream: ") + e.what();
    return std::nullopt;
  }
}

bool TokenStream::load(size_t index, std::string &error) {
  shard_.reset();
  std::unique_ptr<MappedShard> m = MappedShard::open(files_[index], error, vocabSize_);
  if (!m)
    return false;
  if (m->size() != sizes_[index]) {
    error = files_[index] + ": changed while training (" + std::to_string(sizes_[index]) +
            " tokens when opened, " + std::to_string(m->size()) + " now)";
    return false;
  }
  shard_ = std::move(m);
  fileIndex_ = index;
  pos_ = 0;
  return true;
}

bool TokenStream::take(int64_t n, std::vector<uint16_t> &out, std::string &error) {
  try {
    if (n < 0) {
      error = "cannot take a negative number of tokens (" + std::to_string(n) + ")";
      return false;
    }
    out.reserve(out.size() + size_t(n));
    int64_t remaining = n;
    while (remaining > 0) {
      int64_t avail = shard_ ? shard_->size() - pos_ : 0;
      if (avail <= 0) {
        if (!load((fileIndex_ + 1) % files_.size(), error))
          return false;
        continue;
      }
      int64_t k = std::min(remaining, avail);
      const uint16_t *p = shard_->tokens() + pos_;
      out.insert(out.end(), p, p + k);
      pos_ += k;
      remaining -= k;
      consumed_ += k;
    }
    return true;
  } catch (const std::exception &e) {
    error = std::string("cannot take tokens: ") + e.what();
    return false;
  }
}

bool DistributedTokenLoader::nextBatch(int64_t localTokens, int rank, int world, Batch &batch,
                                       std::string &error) {
  if (world < 1 || rank < 0 || rank >= world) {
    error = "bad rank " + std::to_string(rank) + " of world " + std::to_string(world);
    return false;
  }
  if (localTokens < 1) {
    error = "local batch must hold at least one token, not " + std::to_string(localTokens);
    return false;
  }
  try {
    const int64_t span = localTokens + 1;
    chunk_.clear();
    if (!stream_.take(span * world, chunk_, error))
      return false;
    const uint16_t *p = chunk_.data() + span * rank;
    batch.inputs.assign(p, p + localTokens);
    batch.targets.assign(p + 1, p + span);
    return true;
  } catch (const std::exception &e) {
    error = std::string("cannot build a batch: ") + e.what();
    return false;
  }
}

std::optional<std::vector<uint16_t>> loadValidationTokens(const std::string &pattern,
                                                          std::string &error,
                                                          int64_t vocabSize) {
  try {
    std::vector<std::string> files = matchShards(pattern, error);
    if (files.empty())
      return std::nullopt;
    std::vector<uint16_t> tokens;
    for (const std::string &f : files) {
      auto shard = MappedShard::open(f, error, vocabSize);
      if (!shard)
        return std::nullopt;
      tokens.insert(tokens.end(), shard->tokens(), shard->tokens() + shard->size());
    }
    return tokens;
  } catch (const std::exception &e) {
    error = "cannot load validation tokens " + pattern + ": " + e.what();
    return std::nullopt;
  }
}

} // namespace golf::data

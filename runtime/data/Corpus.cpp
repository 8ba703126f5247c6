//===- Corpus.cpp - documents in, token shards out ------------------------===//
#include "runtime/data/Corpus.h"

#include "runtime/data/Shard.h"
#include "runtime/data/TokenStream.h"
#include "runtime/support/Files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace golf::data {

namespace {

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isBlank(const std::string &line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; });
}

/// Keeps nlohmann's message but drops its "[json.exception...] " tag.
std::string jsonMessage(const char *what) {
  std::string m = what;
  size_t close = m.find("] ");
  if (!m.empty() && m[0] == '[' && close != std::string::npos)
    m = m.substr(close + 2);
  return m;
}

/// Removes (with `overwrite`) or refuses existing PREFIX_*.bin shards.
bool clearOldShards(const std::string &dir, const std::string &prefix, bool overwrite,
                    std::string &error) {
  std::string ignored;
  std::vector<std::string> old = matchShards(dir + "/" + prefix + "_*.bin", ignored);
  if (old.empty())
    return true;
  if (!overwrite) {
    error = dir + " already holds " + std::to_string(old.size()) + " " + prefix +
            "_*.bin shard(s); pass --overwrite to replace them";
    return false;
  }
  for (const std::string &f : old)
    if (std::remove(f.c_str()) != 0) {
      error = "cannot remove " + f + ": " + std::strerror(errno);
      return false;
    }
  return true;
}

/// Writes docs' tokens as consecutive shards of at most shardTokens tokens.
bool writeSplit(const std::vector<std::vector<uint16_t>> &encoded, size_t begin, size_t end,
                const std::string &dir, const std::string &prefix, int64_t shardTokens,
                std::vector<std::string> &written, int64_t &total, std::string &error) {
  std::vector<uint16_t> buf;
  buf.reserve(size_t(std::min<int64_t>(shardTokens, 1 << 26)));
  auto flush = [&]() {
    std::string path = dir + "/" + shardFileName(prefix, int(written.size()));
    if (!writeShard(path, buf, error))
      return false;
    written.push_back(path);
    total += int64_t(buf.size());
    buf.clear();
    return true;
  };
  for (size_t d = begin; d < end; ++d) {
    const std::vector<uint16_t> &ids = encoded[d];
    size_t i = 0;
    while (i < ids.size()) {
      size_t room = size_t(shardTokens) - buf.size();
      size_t k = std::min(room, ids.size() - i);
      buf.insert(buf.end(), ids.begin() + long(i), ids.begin() + long(i + k));
      i += k;
      if (int64_t(buf.size()) == shardTokens && !flush())
        return false;
    }
  }
  if (!buf.empty() && !flush())
    return false;
  return true;
}

} // namespace

std::vector<std::string> splitTextDocuments(const std::string &text) {
  std::vector<std::string> docs;
  std::string current;
  bool any = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos)
      nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (isBlank(line)) {
      if (any)
        docs.push_back(std::move(current));
      current.clear();
      any = false;
      continue;
    }
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (any)
      current.push_back('\n');
    current += line;
    any = true;
  }
  if (any)
    docs.push_back(std::move(current));
  return docs;
}

bool readDocuments(const std::string &path, std::vector<std::string> &docs, std::string &error) {
  try {
    std::string readError;
    auto text = readFile(path, readError);
    if (!text) {
      error = readError;
      return false;
    }
    if (!endsWith(path, ".jsonl")) {
      std::vector<std::string> more = splitTextDocuments(*text);
      docs.insert(docs.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
      return true;
    }
    size_t pos = 0;
    int64_t lineNo = 0;
    while (pos < text->size()) {
      size_t nl = text->find('\n', pos);
      if (nl == std::string::npos)
        nl = text->size();
      std::string_view line(text->data() + pos, nl - pos);
      pos = nl + 1;
      ++lineNo;
      if (std::all_of(line.begin(), line.end(), [](char c) { return std::isspace((unsigned char)c); }))
        continue;
      std::string where = path + ":" + std::to_string(lineNo);
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception &e) {
        error = where + ": bad JSON: " + jsonMessage(e.what());
        return false;
      }
      if (!j.is_object()) {
        error = where + ": expected a JSON object with a \"text\" field";
        return false;
      }
      auto it = j.find("text");
      if (it == j.end() || !it->is_string()) {
        error = where + ": no string \"text\" field";
        return false;
      }
      docs.push_back(it->get<std::string>());
    }
    return true;
  } catch (const std::exception &e) {
    error = "cannot read documents from " + path + ": " + e.what();
    return false;
  }
}

std::optional<TokenizeResult> tokenizeToShards(const Tokenizer &tokenizer,
                                               const TokenizeOptions &o, std::string &error,
                                               const std::function<void(const std::string &)>
                                                   &progress) {
  try {
    auto say = [&](const std::string &m) {
      if (progress)
        progress(m);
    };
    if (tokenizer.vocabSize() > kMaxShardVocab) {
      error = "the tokenizer's vocabulary (" + std::to_string(tokenizer.vocabSize()) +
              ") does not fit uint16 shards";
      return std::nullopt;
    }
    if (o.shardTokens < 1 || o.shardTokens > INT32_MAX) {
      error = "shard size must be in [1, 2^31-1] tokens, not " + std::to_string(o.shardTokens);
      return std::nullopt;
    }
    if (!(o.valFraction >= 0 && o.valFraction < 1)) {
      error = "validation fraction must be in [0, 1)";
      return std::nullopt;
    }
    if (o.inputs.empty()) {
      error = "no input files";
      return std::nullopt;
    }
    if (o.prefix.empty() || o.valPrefix.empty() || o.prefix == o.valPrefix) {
      error = "the train and validation prefixes must be distinct and non-empty";
      return std::nullopt;
    }

    TokenizeResult r;
    std::vector<std::string> docs;
    for (const std::string &in : o.inputs) {
      size_t before = docs.size();
      if (!readDocuments(in, docs, error))
        return std::nullopt;
      say("read " + std::to_string(docs.size() - before) + " documents from " + in);
    }
    if (docs.empty()) {
      error = "the inputs hold no documents";
      return std::nullopt;
    }
    r.documents = int64_t(docs.size());
    if (o.valFraction > 0) {
      r.valDocuments = std::max<int64_t>(1, int64_t(std::floor(o.valFraction * double(r.documents))));
      if (r.valDocuments >= r.documents) {
        error = "--val-fraction leaves no training documents (" + std::to_string(r.documents) +
                " documents in all)";
        return std::nullopt;
      }
    }
    r.trainDocuments = r.documents - r.valDocuments;
    for (const std::string &d : docs)
      r.textBytes += int64_t(d.size());

    // Encode in parallel; each worker takes documents in small chunks.
    std::vector<std::vector<uint16_t>> encoded(docs.size());
    unsigned threads = o.threads > 0 ? unsigned(o.threads)
                                     : std::max(1u, std::thread::hardware_concurrency());
    threads = std::min<unsigned>(threads, unsigned(docs.size()));
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex errorMu;
    std::string firstError;
    auto worker = [&]() {
      try {
        std::vector<int> ids;
        std::string err;
        for (;;) {
          size_t begin = next.fetch_add(64);
          if (begin >= docs.size() || failed)
            return;
          size_t end = std::min(begin + 64, docs.size());
          for (size_t d = begin; d < end; ++d) {
            ids.clear();
            if (!tokenizer.encodeDocument(docs[d], ids, err)) {
              std::lock_guard<std::mutex> lock(errorMu);
              if (!failed.exchange(true))
                firstError = "document " + std::to_string(d) + ": " + err;
              return;
            }
            encoded[d].assign(ids.begin(), ids.end());
            std::string().swap(docs[d]);
          }
        }
      } catch (const std::exception &e) {
        std::lock_guard<std::mutex> lock(errorMu);
        if (!failed.exchange(true))
          firstError = std::string("encoding failed: ") + e.what();
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t)
      pool.emplace_back(worker);
    worker();
    for (std::thread &t : pool)
      t.join();
    if (failed) {
      error = firstError;
      return std::nullopt;
    }

    if (!makeDirectories(o.outDir, error) || !clearOldShards(o.outDir, o.prefix, o.overwrite, error))
      return std::nullopt;
    if (r.valDocuments > 0 && !clearOldShards(o.outDir, o.valPrefix, o.overwrite, error))
      return std::nullopt;
    size_t split = size_t(r.trainDocuments);
    if (!writeSplit(encoded, 0, split, o.outDir, o.prefix, o.shardTokens, r.trainShards,
                    r.trainTokens, error))
      return std::nullopt;
    if (r.valDocuments > 0 &&
        !writeSplit(encoded, split, encoded.size(), o.outDir, o.valPrefix, o.shardTokens,
                    r.valShards, r.valTokens, error))
      return std::nullopt;
    return r;
  } catch (const std::exception &e) {
    error = std::string("cannot tokenize: ") + e.what();
    return std::nullopt;
  }
}

#ifndef GOLF_SOURCE_DIR
#define GOLF_SOURCE_DIR ""
#endif

std::string findCorpusScript() {
  try {
    std::vector<std::string> candidates;
    if (const char *env = std::getenv("GOLF_CORPUS_SCRIPT"); env && *env)
      return env;
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
      std::string exe(buf, size_t(n));
      std::string dir = exe.substr(0, exe.rfind('/'));
      candidates.push_back(dir + "/../scripts/build_corpus.py");
      candidates.push_back(dir + "/../../scripts/build_corpus.py");
    }
    if (*GOLF_SOURCE_DIR)
      candidates.push_back(std::string(GOLF_SOURCE_DIR) + "/scripts/build_corpus.py");
    for (const std::string &c : candidates)
      if (::access(c.c_str(), R_OK) == 0)
        return c;
  } catch (const std::exception &) {
  }
  return "";
}

int runProcess(const std::vector<std::string> &argv, std::string &error) {
  try {
    if (argv.empty()) {
      error = "no command to run";
      return -1;
    }
    std::vector<char *> args;
    for (const std::string &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid;
    int rc = ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
    if (rc != 0) {
      error = "cannot run " + argv[0] + ": " + std::strerror(rc);
      return -1;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        error = "cannot wait for " + argv[0] + ": " + std::strerror(errno);
        return -1;
      }
    }
    if (WIFEXITED(status))
      return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
      return 128 + WTERMSIG(status);
    return 1;
  } catch (const std::exception &e) {
    error = "cannot run " + (argv.empty() ? std::string() : argv[0]) + ": " + e.what();
    return -1;
  }
}

} // namespace golf::data

//===- DataCommand.cpp - `golfc data ...` ---------------------------------===//
//
//   golfc data val-shard --head FILE.u16.xz --out DIR
//   golfc data tokenize --model M.model --in FILE... --out DIR [--prefix P] ...
//   golfc data corpus --out DIR [--max-mb N] [--sources LIST]
//   golfc data info FILE.bin...
//
// Links GolfData only (no MLIR, no libsentencepiece: see Tokenizer.h).
//
//===----------------------------------------------------------------------===//
#include "DataCommand.h"

#include "runtime/data/Corpus.h"
#include "runtime/data/Shard.h"
#include "runtime/data/Tokenizer.h"
#include "runtime/data/ValHead.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace golf {

namespace {

const char *kDataUsage = R"(usage: golfc data <subcommand> [options]

subcommands:
  val-shard   build fineweb_val_000000.bin from the FineWeb val head (.u16.xz) and check its sha256
  tokenize    encode text/JSONL documents with a SentencePiece model into token shards
  corpus      build a small English training corpus (corpus.jsonl) from Debian packages
  info        print the token count and validity of shard files

'golfc data <subcommand> --help' describes each. Exit status: 0 success,
1 bad data or a failed step, 2 bad command line.
)";

const char *kValShardUsage = R"(usage: golfc data val-shard --head FILE --out DIR

Decompresses the FineWeb val head (raw little-endian uint16 ids in xz, e.g.
../shared/data/fineweb_val_head_sp1024.u16.xz), prepends BOS (1), cuts after
the last BOS so that only complete documents remain (901 documents,
1,040,060 tokens) and writes DIR/fineweb_val_000000.bin. Fails unless the
shard's sha256 is
  970927992edcd36d7566c4d875933e7e02b3b9e3e86faf2847447457aa688819
(with --no-check the sha256 is printed but not required).

options:
  --head FILE   the .u16.xz val head
  --out DIR     output directory (created if missing)
  --no-check    do not require the reference sha256
)";

const char *kTokenizeUsage = R"(usage: golfc data tokenize --model M.model --in FILE [--in FILE...] --out DIR
                           [--prefix P] [--shard-tokens N] [--val-fraction F] ...

Encodes documents with a SentencePiece model as the challenge does
([BOS] + ids per document, no EOS) and writes the concatenated tokens as
shards DIR/P_000000.bin, DIR/P_000001.bin, ... of at most N tokens each
(documents continue across shard boundaries).

Input formats (by file name):
  *.jsonl     one document per line: a JSON object with a string "text"
              field (blank lines are skipped; a bad line is an error naming
              FILE:LINE)
  otherwise   plain text: one document per block of lines separated by
              blank lines (lines of only whitespace); a block's lines are
              joined with "\n"

options:
  --model M         SentencePiece .model (e.g. fineweb_1024_bpe.model)
  --in FILE         input file (repeatable; read in the order given)
  --out DIR         output directory (created if missing)
  --prefix P        train shard prefix (default fineweb_train)
  --shard-tokens N  tokens per shard (default 100000000)
  --val-fraction F  write the last fraction F of the documents (at least
                    one) as validation shards (default 0: none)
  --val-prefix P    validation shard prefix (default fineweb_val)
  --threads N       encoding threads (default: all cores)
  --overwrite       replace existing P_*.bin shards in DIR (otherwise an error)
)";

const char *kCorpusUsage = R"(usage: golfc data corpus --out DIR [--max-mb N] [--sources LIST] [--seed N]

Builds DIR/corpus.jsonl, an English training corpus extracted from Debian
packages (see docs/data.md), by running scripts/build_corpus.py with
python3. Missing packages are installed with apt-get (needs root). The
documents are shuffled with a fixed seed. Never commit the text.

options:
  --out DIR        output directory (created if missing)
  --max-mb N       stop once the corpus holds N MB of text (default: no limit)
  --sources LIST   comma-separated sources, or 'ci' (default: fortunes,
                   jargon, foldoc; a few MB, under a minute) or 'all';
                   'python3 scripts/build_corpus.py --help' lists them
  --seed N         shuffle seed (default 1234)
  --script PATH    the build_corpus.py to run (default: found beside the
                   golfc installation or in its source tree; or set
                   GOLF_CORPUS_SCRIPT)
)";

const char *kInfoUsage = R"(usage: golfc data info [--vocab V] FILE.bin...

Checks each token shard (header magic and version, file size = 1024 + 2n)
and prints its token count and the number of BOS (id 1) tokens. With
--vocab V every id must be < V. Exits 1 if any shard is invalid.
)";

int usageError(const std::string &sub, const std::string &msg) {
  std::fprintf(stderr, "golfc data%s%s: %s\n(run 'golfc data%s%s --help' for usage)\n",
               sub.empty() ? "" : " ", sub.c_str(), msg.c_str(), sub.empty() ? "" : " ",
               sub.c_str());
  return 2;
}

int dataError(const std::string &sub, const std::string &msg) {
  std::fprintf(stderr, "golfc data %s: error: %s\n", sub.c_str(), msg.c_str());
  return 1;
}

/// Parses "--flag VALUE" and "--flag=VALUE"; flags without values listed in
/// `switches`.
struct Args {
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<std::string> positional;
  bool help = false;
};

std::optional<Args> parseArgs(int argc, char **argv, const std::vector<std::string> &valued,
                              const std::vector<std::string> &switches, const std::string &sub,
                              int &exitCode) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      a.help = true;
      continue;
    }
    if (arg.size() > 2 && arg[0] == '-' && arg[1] == '-') {
      std::string name = arg, value;
      bool hasValue = false;
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        hasValue = true;
      }
      bool isValued = std::find(valued.begin(), valued.end(), name) != valued.end();
      bool isSwitch = std::find(switches.begin(), switches.end(), name) != switches.end();
      if (isSwitch && !hasValue) {
        a.options.emplace_back(name, "");
        continue;
      }
      if (!isValued) {
        exitCode = usageError(sub, "unknown option '" + name + "'");
        return std::nullopt;
      }
      if (!hasValue) {
        if (i + 1 >= argc) {
          exitCode = usageError(sub, name + " needs a value");
          return std::nullopt;
        }
        value = argv[++i];
      }
      a.options.emplace_back(name, value);
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      exitCode = usageError(sub, "unknown option '" + arg + "'");
      return std::nullopt;
    }
    a.positional.push_back(arg);
  }
  return a;
}

std::optional<std::string> option(const Args &a, const std::string &name) {
  std::optional<std::string> v;
  for (const auto &[n, value] : a.options)
    if (n == name)
      v = value;
  return v;
}

std::vector<std::string> options(const Args &a, const std::string &name) {
  std::vector<std::string> v;
  for (const auto &[n, value] : a.options)
    if (n == name)
      v.push_back(value);
  return v;
}

bool has(const Args &a, const std::string &name) { return option(a, name).has_value(); }

std::optional<int64_t> parseInt(const std::string &s, int64_t lo, int64_t hi) {
  if (s.empty())
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || *end || v < lo || v > hi)
    return std::nullopt;
  return int64_t(v);
}

std::optional<double> parseDouble(const std::string &s) {
  if (s.empty())
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno || *end)
    return std::nullopt;
  return v;
}

std::string withCommas(int64_t v) {
  std::string s = std::to_string(v < 0 ? -v : v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3)
    s.insert(size_t(i), ",");
  return v < 0 ? "-" + s : s;
}

//===----------------------------------------------------------------------===//

int runValShard(int argc, char **argv) {
  const std::string sub = "val-shard";
  int rc = 0;
  auto a = parseArgs(argc, argv, {"--head", "--out"}, {"--no-check"}, sub, rc);
  if (!a)
    return rc;
  if (a->help) {
    std::fputs(kValShardUsage, stdout);
    return 0;
  }
  if (!a->positional.empty())
    return usageError(sub, "unexpected argument '" + a->positional[0] + "'");
  auto head = option(*a, "--head"), out = option(*a, "--out");
  if (!head || head->empty())
    return usageError(sub, "--head FILE is required");
  if (!out || out->empty())
    return usageError(sub, "--out DIR is required");
  std::string error;
  auto r = data::buildValShard(*head, *out, error,
                               has(*a, "--no-check") ? "" : data::kValHeadShardSha256);
  if (!r)
    return dataError(sub, error);
  std::printf("wrote %s: %s tokens, %s documents, sha256 %s%s\n", r->path.c_str(),
              withCommas(r->tokens).c_str(), withCommas(r->documents).c_str(), r->sha256.c_str(),
              has(*a, "--no-check")
                  ? (r->sha256 == data::kValHeadShardSha256 ? " (matches the reference)"
                                                            : " (NOT the reference sha256)")
                  : " (matches the reference)");
  return 0;
}

int runTokenize(int argc, char **argv) {
  const std::string sub = "tokenize";
  int rc = 0;
  auto a = parseArgs(argc, argv,
                     {"--model", "--in", "--out", "--prefix", "--shard-tokens", "--val-fraction",
                      "--val-prefix", "--threads"},
                     {"--overwrite"}, sub, rc);
  if (!a)
    return rc;
  if (a->help) {
    std::fputs(kTokenizeUsage, stdout);
    return 0;
  }
  if (!a->positional.empty())
    return usageError(sub, "unexpected argument '" + a->positional[0] +
                               "' (inputs are given with --in)");
  data::TokenizeOptions o;
  auto model = option(*a, "--model"), out = option(*a, "--out");
  if (!model || model->empty())
    return usageError(sub, "--model M.model is required");
  if (!out || out->empty())
    return usageError(sub, "--out DIR is required");
  o.outDir = *out;
  o.inputs = options(*a, "--in");
  if (o.inputs.empty())
    return usageError(sub, "at least one --in FILE is required");
  if (auto p = option(*a, "--prefix")) {
    if (p->empty() || p->find('/') != std::string::npos)
      return usageError(sub, "--prefix must be a non-empty file name prefix");
    o.prefix = *p;
  }
  if (auto p = option(*a, "--val-prefix")) {
    if (p->empty() || p->find('/') != std::string::npos)
      return usageError(sub, "--val-prefix must be a non-empty file name prefix");
    o.valPrefix = *p;
  }
  if (o.prefix == o.valPrefix)
    return usageError(sub, "--prefix and --val-prefix must differ");
  if (auto v = option(*a, "--shard-tokens")) {
    auto n = parseInt(*v, 1, INT32_MAX);
    if (!n)
      return usageError(sub, "--shard-tokens must be an integer in [1, 2147483647], not '" + *v +
                                 "'");
    o.shardTokens = *n;
  }
  if (auto v = option(*a, "--val-fraction")) {
    auto f = parseDouble(*v);
    if (!f || !(*f >= 0 && *f < 1))
      return usageError(sub, "--val-fraction must be a number in [0, 1), not '" + *v + "'");
    o.valFraction = *f;
  }
  if (auto v = option(*a, "--threads")) {
    auto n = parseInt(*v, 1, 1024);
    if (!n)
      return usageError(sub, "--threads must be an integer in [1, 1024], not '" + *v + "'");
    o.threads = int(*n);
  }
  o.overwrite = has(*a, "--overwrite");

  std::string error;
  auto tok = data::Tokenizer::load(*model, error);
  if (!tok)
    return dataError(sub, error);
  auto r = data::tokenizeToShards(*tok, o, error, [](const std::string &m) {
    std::fprintf(stderr, "golfc data tokenize: %s\n", m.c_str());
  });
  if (!r)
    return dataError(sub, error);
  std::printf("%s documents (%s bytes of text): train %s documents, %s tokens in %zu shard(s) "
              "%s_*.bin",
              withCommas(r->documents).c_str(), withCommas(r->textBytes).c_str(),
              withCommas(r->trainDocuments).c_str(), withCommas(r->trainTokens).c_str(),
              r->trainShards.size(), o.prefix.c_str());
  if (r->valDocuments > 0)
    std::printf("; val %s documents, %s tokens in %zu shard(s) %s_*.bin",
                withCommas(r->valDocuments).c_str(), withCommas(r->valTokens).c_str(),
                r->valShards.size(), o.valPrefix.c_str());
  double tokens = double(r->trainTokens + r->valTokens - r->documents); // without BOS
  if (tokens > 0)
    std::printf("; %.3f bytes/token", double(r->textBytes) / tokens);
  std::printf(" -> %s\n", o.outDir.c_str());
  return 0;
}

int runCorpus(int argc, char **argv) {
  const std::string sub = "corpus";
  int rc = 0;
  auto a = parseArgs(argc, argv, {"--out", "--max-mb", "--sources", "--seed", "--script"}, {},
                     sub, rc);
  if (!a)
    return rc;
  if (a->help) {
    std::fputs(kCorpusUsage, stdout);
    return 0;
  }
  if (!a->positional.empty())
    return usageError(sub, "unexpected argument '" + a->positional[0] + "'");
  auto out = option(*a, "--out");
  if (!out || out->empty())
    return usageError(sub, "--out DIR is required");
  std::string script = option(*a, "--script").value_or(data::findCorpusScript());
  if (script.empty())
    return usageError(sub, "cannot find scripts/build_corpus.py; pass --script PATH or set "
                           "GOLF_CORPUS_SCRIPT");
  std::vector<std::string> cmd = {"python3", script, "--out", *out};
  if (auto v = option(*a, "--max-mb")) {
    if (!parseDouble(*v) || *parseDouble(*v) <= 0)
      return usageError(sub, "--max-mb must be a positive number, not '" + *v + "'");
    cmd.insert(cmd.end(), {"--max-mb", *v});
  }
  if (auto v = option(*a, "--sources"))
    cmd.insert(cmd.end(), {"--sources", *v});
  if (auto v = option(*a, "--seed")) {
    if (!parseInt(*v, 0, INT64_MAX))
      return usageError(sub, "--seed must be a non-negative integer, not '" + *v + "'");
    cmd.insert(cmd.end(), {"--seed", *v});
  }
  std::fflush(stdout);
  std::string error;
  int status = data::runProcess(cmd, error);
  if (status < 0)
    return dataError(sub, error);
  if (status == 2)
    return 2; // the script already explained the usage error
  return status == 0 ? 0 : 1;
}

int runInfo(int argc, char **argv) {
  const std::string sub = "info";
  int rc = 0;
  auto a = parseArgs(argc, argv, {"--vocab"}, {}, sub, rc);
  if (!a)
    return rc;
  if (a->help) {
    std::fputs(kInfoUsage, stdout);
    return 0;
  }
  int64_t vocab = 0;
  if (auto v = option(*a, "--vocab")) {
    auto n = parseInt(*v, 1, data::kMaxShardVocab);
    if (!n)
      return usageError(sub, "--vocab must be an integer in [1, 65536], not '" + *v + "'");
    vocab = *n;
  }
  if (a->positional.empty())
    return usageError(sub, "no shard files given");
  int bad = 0;
  int64_t total = 0;
  for (const std::string &path : a->positional) {
    std::string error;
    auto shard = data::MappedShard::open(path, error, vocab);
    if (!shard) {
      std::printf("%s: INVALID: %s\n", path.c_str(), error.c_str());
      ++bad;
      continue;
    }
    int64_t bos = 0;
    uint16_t maxId = 0;
    for (int64_t i = 0; i < shard->size(); ++i) {
      bos += shard->tokens()[i] == data::kBosId;
      maxId = std::max(maxId, shard->tokens()[i]);
    }
    total += shard->size();
    std::printf("%s: ok, %s tokens, %s BOS, max id %u\n", path.c_str(),
                withCommas(shard->size()).c_str(), withCommas(bos).c_str(), unsigned(maxId));
  }
  if (a->positional.size() > 1)
    std::printf("total: %s tokens in %zu valid shard(s), %d invalid\n", withCommas(total).c_str(),
                a->positional.size() - size_t(bad), bad);
  return bad ? 1 : 0;
}

} // namespace

int runDataCommand(int argc, char **argv) {
  if (argc < 2) {
    std::fputs(kDataUsage, stderr);
    return 2;
  }
  std::string sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kDataUsage, stdout);
    return 0;
  }
  if (sub == "val-shard")
    return runValShard(argc, argv);
  if (sub == "tokenize")
    return runTokenize(argc, argv);
  if (sub == "corpus")
    return runCorpus(argc, argv);
  if (sub == "info")
    return runInfo(argc, argv);
  return usageError("", "unknown subcommand '" + sub + "'");
}

} // namespace golf

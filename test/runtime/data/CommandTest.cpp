// Corpus tokenizing and the `golfc data` command line (through the
// golf-data-cli driver, which runs tools/golfc/DataCommand.cpp).
#include "TestUtil.h"

#include "runtime/data/Corpus.h"
#include "runtime/data/Shard.h"
#include "runtime/data/TokenStream.h"
#include "runtime/data/ValHead.h"
#include "runtime/support/Files.h"

#include <sys/wait.h>

using namespace golf::data;
using golf::test::TempDir;
using golf::test::writeBytes;

namespace {

struct CliRun {
  int status = -1;
  std::string out;
};

/// Runs the data CLI with `args` (shell words), capturing stdout+stderr.
CliRun cli(const std::string &args) {
  CliRun r;
  std::string cmd = std::string("'") + GOLF_DATA_CLI + "' " + args + " 2>&1";
  FILE *p = ::popen(cmd.c_str(), "r");
  if (!p)
    return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

} // namespace

TEST(Documents, PlainTextBlocks) {
  auto docs = splitTextDocuments("\n\nfirst line\nsecond line\n\n  \t\nthird\r\nfourth\n\n\nlast");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0], "first line\nsecond line");
  EXPECT_EQ(docs[1], "third\nfourth");
  EXPECT_EQ(docs[2], "last");
  EXPECT_TRUE(splitTextDocuments("").empty());
  EXPECT_TRUE(splitTextDocuments("\n \n").empty());
}

TEST(Documents, Jsonl) {
  TempDir dir;
  writeBytes(dir.file("a.jsonl"),
             "{\"text\": \"one\\ntwo\", \"id\": 3}\n\n{\"text\": \"\\u00e9t\\u00e9\"}\n");
  std::vector<std::string> docs;
  std::string error;
  ASSERT_TRUE(readDocuments(dir.file("a.jsonl"), docs, error)) << error;
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], "one\ntwo");
  EXPECT_EQ(docs[1], "\xc3\xa9t\xc3\xa9");
  writeBytes(dir.file("bad.jsonl"), "{\"text\": \"ok\"}\n{\"text\": 5}\n");
  EXPECT_FALSE(readDocuments(dir.file("bad.jsonl"), docs, error));
  EXPECT_EQ(error, dir.file("bad.jsonl") + ":2: no string \"text\" field");
  writeBytes(dir.file("bad2.jsonl"), "{\"text\": \"ok\"}\n\n{\"text\": \"unterminated}\n");
  EXPECT_FALSE(readDocuments(dir.file("bad2.jsonl"), docs, error));
  EXPECT_EQ(error.rfind(dir.file("bad2.jsonl") + ":3: bad JSON: ", 0), 0u) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  writeBytes(dir.file("bad3.jsonl"), "[1, 2]\n");
  EXPECT_FALSE(readDocuments(dir.file("bad3.jsonl"), docs, error));
  EXPECT_NE(error.find(":1: expected a JSON object"), std::string::npos) << error;
  EXPECT_FALSE(readDocuments(dir.file("missing.txt"), docs, error));
}

TEST(Tokenize, ShardsHoldBosPlusIdsPerDocument) {
  GOLF_REQUIRE_SHARED("fineweb_1024_bpe.model");
  TempDir dir;
  std::string error;
  auto tok = Tokenizer::load(golf::test::sharedData("fineweb_1024_bpe.model"), error);
  ASSERT_TRUE(tok) << error;
  std::vector<std::string> texts;
  std::string plain, jsonl;
  for (int i = 0; i < 40; ++i) {
    std::string t = "Document number " + std::to_string(i) + " talks about golf.\nIt has " +
                    std::to_string(i * 7) + " strokes.";
    texts.push_back(t);
    if (i < 25)
      plain += t + "\n\n";
    else
      jsonl += "{\"text\": \"" + t.substr(0, t.find('\n')) + "\\n" + t.substr(t.find('\n') + 1) +
               "\"}\n";
  }
  writeBytes(dir.file("a.txt"), plain);
  writeBytes(dir.file("b.jsonl"), jsonl);
  TokenizeOptions o;
  o.inputs = {dir.file("a.txt"), dir.file("b.jsonl")};
  o.outDir = dir.file("out");
  o.shardTokens = 100;
  o.valFraction = 0.1;
  o.threads = 3;
  auto r = tokenizeToShards(*tok, o, error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->documents, 40);
  EXPECT_EQ(r->valDocuments, 4);
  EXPECT_EQ(r->trainDocuments, 36);
  std::vector<uint16_t> expectTrain, expectVal;
  for (int i = 0; i < 40; ++i) {
    std::vector<int> ids;
    ASSERT_TRUE(tok->encodeDocument(texts[size_t(i)], ids, error)) << error;
    (i < 36 ? expectTrain : expectVal).insert((i < 36 ? expectTrain : expectVal).end(),
                                              ids.begin(), ids.end());
  }
  auto train = loadValidationTokens(o.outDir + "/fineweb_train_*.bin", error, 1024);
  auto val = loadValidationTokens(o.outDir + "/fineweb_val_*.bin", error, 1024);
  ASSERT_TRUE(train && val) << error;
  EXPECT_EQ(*train, expectTrain);
  EXPECT_EQ(*val, expectVal);
  EXPECT_EQ(r->trainTokens, int64_t(expectTrain.size()));
  EXPECT_EQ(r->trainShards.size(), (expectTrain.size() + 99) / 100);
  for (size_t i = 0; i + 1 < r->trainShards.size(); ++i) {
    auto n = inspectShard(r->trainShards[i], error);
    ASSERT_TRUE(n) << error;
    EXPECT_EQ(*n, 100);
  }
  // A second run refuses to mix with the old shards unless told to overwrite.
  EXPECT_FALSE(tokenizeToShards(*tok, o, error));
  EXPECT_NE(error.find("pass --overwrite"), std::string::npos) << error;
  o.overwrite = true;
  o.shardTokens = 1000000;
  o.valFraction = 0;
  r = tokenizeToShards(*tok, o, error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->trainShards.size(), 1u);
  std::string ignored;
  EXPECT_EQ(matchShards(o.outDir + "/fineweb_train_*.bin", ignored).size(), 1u);
}

TEST(DataCli, Usage) {
  CliRun r = cli("");
  EXPECT_EQ(r.status, 2) << r.out;
  r = cli("--help");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("val-shard"), std::string::npos);
  r = cli("bogus");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("unknown subcommand 'bogus'"), std::string::npos) << r.out;
  for (const char *sub : {"val-shard", "tokenize", "corpus", "info"}) {
    r = cli(std::string(sub) + " --help");
    EXPECT_EQ(r.status, 0) << sub << ": " << r.out;
    EXPECT_NE(r.out.find(std::string("usage: golfc data ") + sub), std::string::npos) << r.out;
  }
  r = cli("tokenize --in x.txt --out /tmp/x");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--model M.model is required"), std::string::npos) << r.out;
  r = cli("tokenize --model m --in x.txt --out /tmp/x --shard-tokens 0");
  EXPECT_EQ(r.status, 2) << r.out;
  r = cli("tokenize --model m --in x.txt --out /tmp/x --val-fraction 1.5");
  EXPECT_EQ(r.status, 2) << r.out;
  r = cli("val-shard --out /tmp/x");
  EXPECT_EQ(r.status, 2) << r.out;
  r = cli("info --frobnicate a.bin");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("unknown option '--frobnicate'"), std::string::npos) << r.out;
  r = cli("info");
  EXPECT_EQ(r.status, 2) << r.out;
  r = cli("corpus");
  EXPECT_EQ(r.status, 2) << r.out;
}

TEST(DataCli, Info) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(writeShard(dir.file("good.bin"), std::vector<uint16_t>{1, 5, 6, 1, 7}, error));
  writeBytes(dir.file("bad.bin"), "short");
  CliRun r = cli("info '" + dir.file("good.bin") + "'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("good.bin: ok, 5 tokens, 2 BOS, max id 7"), std::string::npos) << r.out;
  r = cli("info '" + dir.file("good.bin") + "' '" + dir.file("bad.bin") + "'");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("bad.bin: INVALID: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total: 5 tokens in 1 valid shard(s), 1 invalid"), std::string::npos)
      << r.out;
  r = cli("info --vocab 7 '" + dir.file("good.bin") + "'");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("token id 7 at position 4"), std::string::npos) << r.out;
}

TEST(DataCli, ValShardAndTokenize) {
  GOLF_REQUIRE_SHARED("fineweb_val_head_sp1024.u16.xz");
  GOLF_REQUIRE_SHARED("fineweb_1024_bpe.model");
  TempDir dir;
  CliRun r = cli("val-shard --head '" + golf::test::sharedData("fineweb_val_head_sp1024.u16.xz") +
              "' --out '" + dir.file("val") + "'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("1,040,060 tokens, 901 documents, sha256 " +
                       std::string(kValHeadShardSha256) + " (matches the reference)"),
            std::string::npos)
      << r.out;
  r = cli("val-shard --head '" + golf::test::sharedData("fineweb_1024_bpe.model") + "' --out '" +
          dir.file("val2") + "'");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("not an xz file"), std::string::npos) << r.out;

  writeBytes(dir.file("docs.jsonl"), "{\"text\": \"Hello there.\"}\n{\"text\": \"General Kenobi!\"}\n");
  r = cli("tokenize --model '" + golf::test::sharedData("fineweb_1024_bpe.model") + "' --in '" +
          dir.file("docs.jsonl") + "' --out '" + dir.file("tok") + "' --val-fraction 0.5");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("2 documents"), std::string::npos) << r.out;
  EXPECT_TRUE(golf::test::exists(dir.file("tok/fineweb_train_000000.bin")));
  EXPECT_TRUE(golf::test::exists(dir.file("tok/fineweb_val_000000.bin")));
  writeBytes(dir.file("broken.jsonl"), "{\"text\": \"fine\"}\nnot json\n");
  r = cli("tokenize --model '" + golf::test::sharedData("fineweb_1024_bpe.model") + "' --in '" +
          dir.file("broken.jsonl") + "' --out '" + dir.file("tok2") + "'");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("broken.jsonl:2: bad JSON"), std::string::npos) << r.out;
  r = cli("tokenize --model '" + dir.file("nope.model") + "' --in '" + dir.file("docs.jsonl") +
          "' --out '" + dir.file("tok3") + "'");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("cannot read tokenizer model"), std::string::npos) << r.out;
}

TEST(CorpusScript, SelfTest) {
  std::string script = std::string(GOLF_SOURCE_DIR) + "/scripts/build_corpus.py";
  ASSERT_TRUE(golf::test::exists(script));
  EXPECT_EQ(std::system(("python3 '" + script + "' --self-test >/dev/null 2>&1").c_str()), 0)
      << "python3 " << script << " --self-test failed";
}

//===- CheckpointTest.cpp - save/load round trip and damaged files --------===//
#include "runtime/train/Averaging.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/Init.h"
#include "runtime/train/Optimizer.h"

#include "runtime/support/Files.h"

#include "TestUtil.h"

#include <cstdio>
#include <unistd.h>

namespace golf::train::test {
namespace {

plan::Plan smallModel() {
  Json train = {
      {"seed", 7},
      {"optimizers",
       {{{"kind", "muon"}, {"group", "matrix"}, {"lr", 0.04}, {"momentum", 0.95},
         {"momentum_warmup_start", 0.85}, {"momentum_warmup_steps", 10}, {"nesterov", true},
         {"ns_steps", 5}, {"wd", 0.04}},
        {{"kind", "adam"}, {"group", "embed"}, {"lr", 0.05}, {"betas", {0.9, 0.95}}},
        {{"kind", "adamw"}, {"group", "scalar"}, {"lr", 0.04}, {"wd", 0.02}}}},
      {"averaging",
       {{{"kind", "ema"}, {"decay", 0.997}},
        {{"kind", "swa"}, {"every", 1}, {"below_lr_scale", 2.0}, {"apply", false}}}}};
  return planOf({param("tok_emb", {16, 8}, {{"kind", "normal"}, {"std", 0.005}}, "embed",
                       DType::BF16),
                 param("wq", {8, 8}, {{"kind", "orthogonal"}}, "matrix"),
                 param("bank", {2, 12, 8}, {{"kind", "orthogonal"}}, "matrix"),
                 param("gain", {8}, {{"kind", "fill"}, {"value", 1.5}}, "scalar")},
                train);
}

cpu::ParamStore gradsFor(const cpu::ParamStore &params, uint64_t seed) {
  cpu::ParamStore g;
  for (const auto &[name, p] : params)
    g[name] = tensorOf(pseudoRandom(size_t(p.numel()), seed++, 0.1), p.shape(), p.storage(),
                       p.dtype());
  return g;
}

struct TrainRun {
  plan::Plan plan = smallModel();
  cpu::ParamStore params;
  std::optional<Optimizers> opt;
  std::optional<Averaging> avg;
  int64_t step = 0;

  TrainRun() {
    std::string err;
    EXPECT_TRUE(initParams(plan, params, err)) << err;
    opt = Optimizers::create(plan, err);
    avg = Averaging::create(plan.train, err);
    EXPECT_TRUE(opt && avg) << err;
    EXPECT_TRUE(avg->start(params, err)) << err;
  }
  void advance(int n) {
    std::string err;
    for (int i = 0; i < n; ++i, ++step) {
      double mult = 1.0 - 0.1 * double(step);
      ASSERT_TRUE(opt->step(params, gradsFor(params, uint64_t(step) * 100), {step, mult}, err))
          << err;
      ASSERT_TRUE(avg->afterStep(params, step + 1, mult, err)) << err;
    }
  }
  Checkpoint checkpoint() const {
    Checkpoint c;
    c.model = "small";
    c.fingerprint = "plan:0123abcd";
    c.step = step;
    c.elapsedSeconds = 1.0 / 3.0 + 123.0;
    c.stream = {{"shard", 3}, {"position", 123456789012LL}, {"rng", "opaque"}};
    c.params = params;
    c.optimizer = opt->saveState();
    c.averaging = avg->saveState();
    return c;
  }
};

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "golf-train-" + std::to_string(getpid()) + "-" + name;
}

TEST(Checkpoint, RoundTripIsBitExact) {
  TrainRun run;
  run.advance(3);
  Checkpoint saved = run.checkpoint();
  saved.params["f64"] = tensorOf({1.0 / 3, 2.0 / 7}, {2}, Storage::F64);
  saved.params["ids"] = Tensor::fromInts({3}, {1, -2, 3});
  std::string path = tempPath("roundtrip.ckpt"), err;
  ASSERT_TRUE(saveCheckpoint(saved, path, err)) << err;
  auto loaded = loadCheckpoint(path, "small", "plan:0123abcd", err);
  ASSERT_TRUE(loaded) << err;
  EXPECT_EQ(loaded->model, "small");
  EXPECT_EQ(loaded->step, 3);
  uint64_t a, b;
  std::memcpy(&a, &saved.elapsedSeconds, 8);
  std::memcpy(&b, &loaded->elapsedSeconds, 8);
  EXPECT_EQ(a, b);
  EXPECT_EQ(loaded->stream, saved.stream);
  EXPECT_EQ(loaded->optimizer.meta, saved.optimizer.meta);
  EXPECT_EQ(loaded->averaging.meta, saved.averaging.meta);
  auto same = [](const std::map<std::string, Tensor, std::less<>> &x,
                 const std::map<std::string, Tensor, std::less<>> &y) {
    EXPECT_EQ(x.size(), y.size());
    for (const auto &[name, t] : x) {
      auto it = y.find(name);
      ASSERT_NE(it, y.end()) << name;
      EXPECT_TRUE(sameBits(t, it->second)) << name;
    }
  };
  same(saved.params, loaded->params);
  same({saved.optimizer.tensors.begin(), saved.optimizer.tensors.end()},
       {loaded->optimizer.tensors.begin(), loaded->optimizer.tensors.end()});
  same({saved.averaging.tensors.begin(), saved.averaging.tensors.end()},
       {loaded->averaging.tensors.begin(), loaded->averaging.tensors.end()});
  // Writing the loaded checkpoint gives the same bytes.
  auto first = serializeCheckpoint(saved, err), second = serializeCheckpoint(*loaded, err);
  ASSERT_TRUE(first && second) << err;
  EXPECT_EQ(*first, *second);
  std::remove(path.c_str());
}

TEST(Checkpoint, ResumedTrainingMatchesUninterrupted) {
  TrainRun straight;
  straight.advance(5);
  TrainRun first;
  first.advance(2);
  std::string path = tempPath("resume.ckpt"), err;
  ASSERT_TRUE(saveCheckpoint(first.checkpoint(), path, err)) << err;
  first.advance(1); // training goes on after the save; the file must not care
  auto ck = loadCheckpoint(path, "small", "plan:0123abcd", err);
  ASSERT_TRUE(ck) << err;
  TrainRun resumed;
  resumed.params = ck->params;
  resumed.step = ck->step;
  ASSERT_TRUE(resumed.opt->loadState(ck->optimizer, err)) << err;
  ASSERT_TRUE(resumed.avg->loadState(ck->averaging, err)) << err;
  resumed.advance(3);
  for (const auto &[name, t] : straight.params)
    EXPECT_TRUE(sameBits(t, resumed.params[name])) << name;
  for (const auto &[name, t] : straight.avg->emaShadow())
    EXPECT_TRUE(sameBits(t, resumed.avg->emaShadow().at(name))) << name;
  EXPECT_EQ(straight.avg->swaCount(), resumed.avg->swaCount());
  EXPECT_EQ(resumed.opt->describe()[1].steps, 5);
  std::remove(path.c_str());
}

TEST(Checkpoint, WrongFingerprint) {
  TrainRun run;
  std::string path = tempPath("fp.ckpt"), err;
  ASSERT_TRUE(saveCheckpoint(run.checkpoint(), path, err)) << err;
  EXPECT_FALSE(loadCheckpoint(path, "other", "plan:ffff", err));
  EXPECT_EQ(err, "checkpoint " + path +
                     " is for model small (fingerprint plan:0123abcd), this run is other "
                     "(fingerprint plan:ffff)");
  std::remove(path.c_str());
}

TEST(Checkpoint, CorruptionAndTruncation) {
  TrainRun run;
  run.advance(1);
  std::string err;
  auto bytes = serializeCheckpoint(run.checkpoint(), err);
  ASSERT_TRUE(bytes) << err;
  auto fails = [&](const std::string &b, const std::string &expect) {
    std::string e;
    EXPECT_FALSE(parseCheckpoint(b, "x.ckpt", e));
    EXPECT_NE(e.find(expect), std::string::npos) << e;
    EXPECT_EQ(e.rfind("checkpoint x.ckpt ", 0), 0u) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  };
  // One flipped bit anywhere in the payload or header.
  for (size_t at : {size_t(40), bytes->size() / 2, bytes->size() - 9}) {
    std::string bad = *bytes;
    bad[at] = char(bad[at] ^ 0x10);
    fails(bad, "is corrupt (checksum mismatch)");
  }
  fails(bytes->substr(0, bytes->size() - 1), "is truncated: ");
  fails(bytes->substr(0, bytes->size() / 3), "is truncated: ");
  fails(bytes->substr(0, 20), "is truncated (20 bytes)");
  fails(bytes->substr(0, 4), "is truncated (4 bytes)");
  fails("", "is truncated (0 bytes)");
  fails(*bytes + "x", "is corrupt: ");
  std::string magic = *bytes;
  magic[0] = 'X';
  fails(magic, "is not a golfc checkpoint (bad magic)");
  std::string version = *bytes;
  version[8] = 9;
  fails(version, "has checkpoint format version 9; this golfc reads 1");
  // A missing file.
  EXPECT_FALSE(loadCheckpoint(tempPath("missing.ckpt"), "m", "f", err));
  EXPECT_NE(err.find("cannot open"), std::string::npos) << err;
}

TEST(Checkpoint, StateFromAnotherModelIsRefused) {
  TrainRun run;
  run.advance(1);
  StateBlob st = run.opt->saveState();
  plan::Plan other = smallModel();
  other.params.pop_back(); // no scalar group: adamw(group = scalar) is gone
  other.train["optimizers"].erase(2);
  std::string err;
  auto opt = Optimizers::create(other, err);
  ASSERT_TRUE(opt) << err;
  EXPECT_FALSE(opt->loadState(st, err));
  EXPECT_NE(err.find("optimizer this run lacks (2.adamw.scalar/)"), std::string::npos) << err;
  // Wrong shape.
  StateBlob bad = st;
  bad.tensors["1.adam.embed/exp_avg/tok_emb"] = tensorOf({1, 2}, {2});
  auto same = Optimizers::create(run.plan, err);
  ASSERT_TRUE(same) << err;
  EXPECT_FALSE(same->loadState(bad, err));
  EXPECT_NE(err.find("has shape [2], expected [16,8]"), std::string::npos) << err;
  EXPECT_EQ(same->describe()[0].steps, 0); // nothing was installed
}

} // namespace
} // namespace golf::train::test

//===- TrainCommand.cpp - golfc train -------------------------------------===//
//
// The training loop: the train section's schedules, gradient accumulation,
// the baseline's data loader, val_bpb on the validation split, atomic
// checkpoints that resume bit for bit (on the CPU), a progress line, a JSON
// log and a summary. The step itself (gradients, clipping, optimizers,
// weight averaging) runs on a Trainer: the CPU reference executor or the
// GPU (Trainer.h). Data-parallel runs (--gpus N, or torchrun's variables)
// run this loop on every rank (Distributed.h).
//
//===----------------------------------------------------------------------===//
#include "TrainCommand.h"
#include "Args.h"
#include "Compile.h"
#include "Distributed.h"
#include "Evaluate.h"
#include "Gpu.h"
#include "Flops.h"
#include "Trainer.h"

#include "runtime/data/TokenStream.h"
#include "runtime/dist/World.h"
#include "runtime/support/Files.h"
#include "runtime/support/Npy.h"
#include "runtime/train/Averaging.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/Gradients.h"
#include "runtime/train/Init.h"
#include "runtime/train/Optimizer.h"
#include "runtime/train/Schedule.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <random>
#include <cmath>

namespace golf {
namespace {

const char *kUsage = R"(usage: golfc train FILE [options]

FILE is a .golf source or a plan from 'golfc compile --emit=plan'. Trains it
on the GPU when there is one (the whole step as a CUDA graph), else on the
CPU reference executor (exact, slow: for small models, tests and machines
without a GPU); evaluates val_loss / val_bpb on the validation split and
writes RUN_DIR/{log.jsonl, summary.txt, checkpoint.ckpt, plan.json}.

options:
  --device=auto|gpu|cpu where to train (default auto: the GPU if golfc was
                        built with CUDA and one is usable, else the CPU)
  --gpus=N              data-parallel on N GPUs of this host: starts N ranks of
                        golfc, one per GPU, and supervises them (a rank that
                        fails stops the others). The step keeps the train
                        section's tokens_per_step: each rank accumulates
                        1/N of it. Under torchrun (RANK, WORLD_SIZE,
                        LOCAL_RANK, MASTER_ADDR, MASTER_PORT set) golfc is a
                        rank already, on any number of hosts.
  --ranks=N             the same with --device as given: --device=cpu --ranks=2
                        runs two CPU ranks (the data-parallel logic without a GPU)
  --set NAME=VALUE      override a top-level hyperparameter (repeatable)
  --batch=N             sequences per micro-batch (default: the train section's)
  --eval-batch=N        sequences per evaluation batch (default: the eval section's)
  --autocast=off|bf16   bf16 matrix products and attention (default: the train
                        section's autocast)
  --attention=flash|cudnn|general
                        GPU attention kernels where they apply (bf16, head dim
                        64): golfc's own (default) or cuDNN's fused SDPA
                        (needs libcudnn.so.9); general: products and softmax
  --memory-budget=GIB   recompute cheap late-read values on the GPU when the
                        activations' arena would exceed GIB, as far as they go
                        (default: keep them; faster, more memory)
  --iterations=N        step cap (overrides the train section)
  --wallclock=S         training time cap in seconds (overrides; 0: none)
  --max-steps=N         stop this invocation after N more steps (checkpoint and
                        continue later with --resume; the schedule is unchanged)
  --train-data=GLOB     training shards (default
                        data/datasets/fineweb10B_sp1024/fineweb_train_*.bin)
  --val-data=GLOB       validation shards (default .../fineweb_val_*.bin)
  --tokenizer=MODEL     SentencePiece model for the byte counts of val_bpb
                        (default data/tokenizers/fineweb_1024_bpe.model)
  --val-tokens=N        evaluate on the first N validation tokens only
  --run-dir=DIR         outputs (default runs/<model>)
  --log-every=N         steps between progress lines (default: train log_every)
  --checkpoint-every=N  also checkpoint every N steps (always at the end)
  --resume=CKPT         continue from a checkpoint of the same compiled model
  --dump-step=DIR       take one step on one micro-batch and write DIR/{plan.json,
                        config.json, inputs.npy, targets.npy, loss.npy,
                        params/, grads/, after_step/} (float32 .npy) for the
                        PyTorch parity check (test/reference/), then stop
  --perturb=STD         with --dump-step: add N(0, STD^2) noise (fixed seed) to every
                        weight first, so zero-initialized layers get gradients
  --save-init=DIR       write the initial weights to DIR/<param>.npy (float32)
                        before the first step, so another trainer can start
                        from the same point (bench/baseline_h100)
)";

struct Options {
  CompileRequest compile;
  std::optional<int64_t> iterations, maxSteps, logEvery, checkpointEvery, valTokens;
  std::optional<double> wallclock;
  double perturb = 0;
  std::string trainData = kDefaultTrainData, valData = kDefaultValData,
              tokenizer = kDefaultTokenizer;
  std::string runDir, resume, dumpStep, saveInit;
  std::string device = "auto";
  int ranks = 0; // --gpus / --ranks
};

int usage(const llvm::Twine &msg) {
  llvm::errs() << "golfc train: " << msg << "\n(run 'golfc train --help' for usage)\n";
  return 2;
}

std::optional<int> parse(int argc, char **argv, Options &o) {
  Args args(argc, argv, 1);
  while (args.next()) {
    llvm::StringRef a = args.current();
    auto count = [&](std::optional<int64_t> &slot, llvm::StringRef v, const char *flag) {
      slot = positiveInt(v);
      return slot.has_value() ? std::optional<int>() : std::optional<int>(
          usage(llvm::Twine(flag) + " expects a positive integer"));
    };
    if (a == "--help" || a == "-h") {
      llvm::outs() << kUsage;
      return 0;
    }
    std::string flagError;
    if (parseLowerFlag(args, o.compile.lower, flagError) ||
        parseGpuFlag(args, o.compile.gpu, flagError)) {
      if (!flagError.empty())
        return usage(flagError);
    } else if (auto v = args.value("--iterations")) {
      if (auto e = count(o.iterations, *v, "--iterations")) return e;
    } else if (auto v = args.value("--max-steps")) {
      if (auto e = count(o.maxSteps, *v, "--max-steps")) return e;
    } else if (auto v = args.value("--log-every")) {
      if (auto e = count(o.logEvery, *v, "--log-every")) return e;
    } else if (auto v = args.value("--checkpoint-every")) {
      if (auto e = count(o.checkpointEvery, *v, "--checkpoint-every")) return e;
    } else if (auto v = args.value("--gpus")) {
      std::optional<int64_t> n = positiveInt(*v);
      if (!n || *n > 1024)
        return usage("--gpus expects a number of GPUs");
      o.ranks = int(*n);
      o.device = "gpu";
    } else if (auto v = args.value("--ranks")) {
      std::optional<int64_t> n = positiveInt(*v);
      if (!n || *n > 1024)
        return usage("--ranks expects a number of processes");
      o.ranks = int(*n);
    } else if (auto v = args.value("--val-tokens")) {
      if (auto e = count(o.valTokens, *v, "--val-tokens")) return e;
    } else if (auto v = args.value("--wallclock")) {
      double s;
      if (v->getAsDouble(s) || s < 0)
        return usage("--wallclock expects seconds >= 0");
      o.wallclock = s;
    } else if (auto v = args.value("--train-data")) {
      o.trainData = v->str();
    } else if (auto v = args.value("--val-data")) {
      o.valData = v->str();
    } else if (auto v = args.value("--tokenizer")) {
      o.tokenizer = v->str();
    } else if (auto v = args.value("--run-dir")) {
      o.runDir = v->str();
    } else if (auto v = args.value("--perturb")) {
      if (v->getAsDouble(o.perturb) || o.perturb < 0)
        return usage("--perturb expects a standard deviation >= 0");
    } else if (auto v = args.value("--dump-step")) {
      o.dumpStep = v->str();
    } else if (auto v = args.value("--save-init")) {
      o.saveInit = v->str();
    } else if (std::string e; parseDeviceFlag(args, o.device, e)) {
      if (!e.empty())
        return usage(e);
    } else if (auto v = args.value("--resume")) {
      o.resume = v->str();
    } else if (std::string bad = takeInput(a, o.compile.input); !bad.empty()) {
      return usage(bad);
    }
  }
  if (o.compile.input.empty())
    return usage("train needs a .golf file");
  return std::nullopt;
}

std::string duration(double seconds) {
  int64_t s = int64_t(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    snprintf(buf, sizeof buf, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
  else
    snprintf(buf, sizeof buf, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
  return buf;
}

/// The run's JSON log: one object per line, flushed as written (by rank 0;
/// a log never opened writes nothing).
class JsonLog {
public:
  bool open(const std::string &path, bool append, std::string &error) {
    std::error_code ec;
    os_ = std::make_unique<llvm::raw_fd_ostream>(
        path, ec, append ? llvm::sys::fs::OF_Append : llvm::sys::fs::OF_None);
    if (ec)
      error = "cannot write " + path + ": " + ec.message();
    return !ec;
  }
  void write(const plan::Json &j) {
    if (!os_)
      return;
    *os_ << j.dump() << "\n";
    os_->flush();
  }

private:
  std::unique_ptr<llvm::raw_fd_ostream> os_;
};

/// Entropy (nats/token) of the unigram distribution of the first 4M tokens
/// of `head`: the loss a model with no context would reach, the bar a
/// trained model must fall well below.
double unigramEntropy(const std::vector<uint16_t> &head) {
  size_t count = std::min<size_t>(head.size(), 4 << 20);
  std::vector<double> counts(65536, 0.0);
  for (size_t i = 0; i < count; ++i)
    counts[head[i]] += 1;
  double h = 0, n = double(count);
  for (double c : counts)
    if (c > 0)
      h -= c / n * std::log(c / n);
  return h;
}

bool writeTensor(const std::string &path, const cpu::Tensor &t, std::string &error) {
  std::vector<double> d = t.toDoubles();
  return writeFileAtomic(path, npyFloat32(t.shape(), std::vector<float>(d.begin(), d.end())),
                         error);
}

/// One optimizer step on one micro-batch, with everything a second
/// implementation needs to redo it (test/reference/compare.py).
bool dumpStep(const std::string &dir, const plan::Plan &p, cpu::Executor &ex,
              cpu::ParamStore &params, train::Optimizers &optimizers, int64_t step,
              double lrMult, const data::Batch &batch, int64_t micro, int64_t seqLen,
              std::string &error) {
  for (const char *sub : {"params", "grads", "after_step"})
    if (std::error_code ec = llvm::sys::fs::create_directories(dir + "/" + sub)) {
      error = "cannot create " + dir + "/" + sub + ": " + ec.message();
      return false;
    }
  cpu::ParamStore grads;
  auto loss = lossAndGrads(ex, "loss_grad", batch, params, grads, error);
  if (!loss)
    return false;
  plan::Json groups = plan::Json::object();
  for (const plan::Param &param : p.params) {
    const std::string &name = param.name;
    groups[name] = param.group;
    if (!writeTensor(dir + "/params/" + name + ".npy", params[name], error) ||
        !writeTensor(dir + "/grads/" + name + ".npy", grads[name], error))
      return false;
  }
  if (!writeFileAtomic(dir + "/inputs.npy", npyInt32({micro, seqLen}, batch.inputs), error) ||
      !writeFileAtomic(dir + "/targets.npy", npyInt32({micro, seqLen}, batch.targets), error) ||
      !writeFileAtomic(dir + "/loss.npy", npyFloat32({}, {float(*loss)}), error) ||
      !optimizers.step(params, grads, {step, lrMult}, error))
    return false;
  for (const plan::Param &param : p.params)
    if (!writeTensor(dir + "/after_step/" + param.name + ".npy", params[param.name], error))
      return false;
  plan::Json config{{"optimizers", p.train.value("optimizers", plan::Json::array())},
                    {"groups", groups},
                    {"lr_multiplier", lrMult},
                    {"step", step}};
  return writeFileAtomic(dir + "/config.json", config.dump(1) + "\n", error) &&
         writeFileAtomic(dir + "/plan.json", plan::serializePlan(p), error);
}

int fail(const std::string &error) {
  llvm::errs() << "golfc train: " << error << "\n";
  return 1;
}

} // namespace

int runTrainCommand(int argc, char **argv) {
  Options o;
  if (auto code = parse(argc, argv, o))
    return *code;
  std::string error;
  std::optional<dist::World> world = dist::worldFromEnvironment(error);
  if (!world)
    return fail(error);
  if (o.ranks > 1 && !world->distributed()) {
    // One line here rather than one per rank from the children.
    if (std::string why; o.device == "gpu")
      if (int gpus = gpuCount(why); gpus < o.ranks)
        return fail(std::to_string(o.ranks) + " ranks need as many GPUs, but this machine has " +
                    std::to_string(gpus) + (why.empty() ? "" : " (" + why + ")"));
    return launchRanks(o.ranks, argc, argv);
  }
  if (o.ranks > 0 && world->distributed() && o.ranks != world->size)
    return fail("--gpus/--ranks " + std::to_string(o.ranks) + " but WORLD_SIZE is " +
                std::to_string(world->size));
  std::unique_ptr<dist::HostGroup> group;
  if (world->distributed()) {
    if (!o.dumpStep.empty())
      return fail("--dump-step runs in one process, not as a rank of several");
    // Ranks must agree on where they train: auto would let one rank fall
    // back to the CPU while the others wait for it in NCCL.
    if (o.device == "auto")
      o.device = "gpu";
    if (!(group = joinRanks(*world, error)))
      return fail(error);
  }
  const Ranks ranks{*world, group.get()};
  const bool leader = world->leader();
  o.compile.differentiate = o.compile.buildPlan = true;
  CompileResult compiled;
  if (int code = compileOrReadPlan(o.compile, compiled, "train"))
    return code;
  plan::Plan &p = *compiled.plan;
  // The fingerprint names the compiled model (before run-length overrides),
  // so a checkpoint resumes under another --iterations but not another model.
  std::string compiledText = plan::serializePlan(p);
  char fingerprint[17];
  snprintf(fingerprint, sizeof fingerprint, "%016llx",
           (unsigned long long)fnv1a64(compiledText.data(), compiledText.size()));
  if (o.iterations)
    p.train["iterations"] = *o.iterations;
  if (o.wallclock)
    p.train["wallclock"] = *o.wallclock;
  if (o.runDir.empty())
    o.runDir = "runs/" + p.model;
  if (leader) {
    if (std::error_code ec = llvm::sys::fs::create_directories(o.runDir))
      return fail("cannot create " + o.runDir + ": " + ec.message());
    if (!writeFileAtomic(o.runDir + "/plan.json", plan::serializePlan(p), error))
      return fail(error);
  }

  auto schedule = train::Schedule::create(p.train, error);
  if (!schedule)
    return fail(error);
  // Late QAT: golf-insert-qat built @loss_qat_grad; steps whose LR
  // multiplier is below the qat threshold run it instead of @loss_grad.
  bool haveQat = p.function("loss_qat_grad") != nullptr;
  // CROWN-Q: golf-insert-crown-q built @loss_crownq_grad (and
  // @loss_qat_crownq_grad); steps where the crown_q directive is on run it.
  bool haveCrownQ = p.function("loss_crownq_grad") != nullptr;

  // Shapes: the micro-batch is @loss_grad's argument; a step accumulates
  // tokens_per_step / (ranks x micro-batch tokens) of them on each rank.
  const plan::Function *grad = p.function("loss_grad");
  const std::vector<int64_t> &idShape = p.values[grad->args[0]].shape;
  int64_t micro = idShape[0], seqLen = idShape[1];
  int64_t tokensPerStep = p.train.value("tokens_per_step", int64_t(0));
  const int64_t rankTokens = micro * seqLen * world->size;
  if (world->distributed() && tokensPerStep % rankTokens != 0)
    return fail("tokens_per_step " + std::to_string(tokensPerStep) + " is not a multiple of " +
                std::to_string(world->size) + " ranks x " + std::to_string(micro * seqLen) +
                " micro-batch tokens (change --batch or the number of ranks)");
  int64_t accumulation = std::max<int64_t>(1, tokensPerStep / rankTokens);
  const int rank = world->rank, worldSize = world->size;
  int64_t vocab = planVocab(p);

  auto stream = data::TokenStream::open(o.trainData, error, vocab);
  if (!stream)
    return fail("training data: " + error + " (make it with 'golfc data', see README)");
  // The head of the training stream (a copy: the loader's position is not
  // moved) gives the unigram-entropy bar and feeds data-dependent
  // initializers (bigram_pmi).
  std::vector<uint16_t> head;
  if (!data::TokenStream(*stream).take(std::min<int64_t>(stream->totalTokens(), 16 << 20), head,
                                       error))
    return fail("training data: " + error);
  double entropy = unigramEntropy(head);
  data::DistributedTokenLoader loader(std::move(*stream));

  TrainState init;
  int64_t step = 0;
  double elapsed = 0;
  bool resumed = !o.resume.empty();
  if (resumed) {
    auto ckpt = train::loadCheckpoint(o.resume, p.model, fingerprint, error);
    if (!ckpt)
      return fail(error);
    init = {std::move(ckpt->params), std::move(ckpt->optimizer), std::move(ckpt->averaging)};
    step = ckpt->step;
    elapsed = ckpt->elapsedSeconds;
    // The loader is deterministic: replaying its batches restores its place.
    data::Batch skipped;
    for (int64_t i = 0; i < step * accumulation; ++i)
      if (!loader.nextBatch(micro * seqLen, rank, worldSize, skipped, error))
        return fail(error);
  } else {
    train::InitOptions initOptions;
    initOptions.trainTokens = &head;
    if (!train::initParams(p, init.params, error, initOptions))
      return fail(error);
    if (!o.saveInit.empty() && leader) {
      if (std::error_code ec = llvm::sys::fs::create_directories(o.saveInit))
        return fail("cannot create " + o.saveInit + ": " + ec.message());
      for (const auto &[name, t] : init.params)
        if (!writeTensor(o.saveInit + "/" + name + ".npy", t, error))
          return fail(error);
    }
  }

  if (!o.dumpStep.empty()) {
    auto ex = cpu::Executor::create(p, cpu::Precision::F32, error);
    auto optimizers = ex ? train::Optimizers::create(p, error) : std::nullopt;
    if (!optimizers || (resumed && !optimizers->loadState(init.optimizer, error)))
      return fail(error);
    std::mt19937_64 rng(12345);
    std::normal_distribution<double> noise(0.0, o.perturb);
    for (auto &[name, t] : init.params) {
      std::vector<double> w = t.toDoubles();
      for (double &x : w)
        x += o.perturb > 0 ? noise(rng) : 0.0;
      t = cpu::Tensor::fromDoubles(t.dtype(), t.shape(), w).convertedTo(t.storage());
    }
    data::Batch first;
    if (!loader.nextBatch(micro * seqLen, 0, 1, first, error) ||
        !dumpStep(o.dumpStep, p, *ex, init.params, *optimizers, step,
                  schedule->lrMultiplier(step, elapsed), first, micro, seqLen, error))
      return fail(error);
    llvm::outs() << "wrote one step of " << p.model << " to " << o.dumpStep << "\n";
    return 0;
  }

  std::unique_ptr<Trainer> trainer;
  if (o.device != "cpu") {
    trainer = makeGpuTrainer(p, ranks, accumulation, o.compile.gpu, error);
    if (!trainer && world->distributed())
      return fail("rank " + std::to_string(world->rank) + " trains on GPU " +
                  std::to_string(world->localRank) + " (--device=cpu for CPU ranks): " + error);
    if (!trainer && o.device == "gpu")
      return fail("--device=gpu: " + error);
    if (!trainer)
      llvm::errs() << "golfc train: training on the CPU reference executor: " << error << "\n";
  }
  const bool onCpu = !trainer;
  if (onCpu && !(trainer = makeCpuTrainer(p, ranks, error)))
    return fail(error);
  if (!trainer->start(init, resumed, error))
    return fail(error);
  init = {};

  JsonLog log;
  if (leader && !log.open(o.runDir + "/log.jsonl", resumed, error))
    return fail(error);
  // Progress and summaries come from rank 0; the others speak only to fail.
  llvm::raw_ostream &say = leader ? llvm::errs() : llvm::nulls();
  int64_t logEvery = o.logEvery.value_or(p.train.value("log_every", int64_t(50)));
  int64_t valEvery = p.train.value("val_every", int64_t(0));
  int64_t total = p.train.value("iterations", int64_t(0));
  const double flopsPerToken = trainFlopsPerToken(p);
  log.write({{"event", "start"}, {"model", p.model}, {"fingerprint", fingerprint},
             {"step", step}, {"micro_batch", micro}, {"seq_len", seqLen},
             {"accumulation", accumulation}, {"ranks", worldSize},
             {"executor", trainer->describe()},
             {"flops_per_token", flopsPerToken}, {"unigram_entropy", entropy}});
  say << "golfc train: " << p.model << ", " << p.params.size() << " parameter tensors, "
      << (worldSize > 1 ? std::to_string(worldSize) + " ranks x " : std::string()) << accumulation
      << " x " << micro << " x " << seqLen << " tokens per step, " << total << " steps max, "
      << trainer->describe() << "\n";

  // Validation data is optional for a training run: without it the run
  // says so and reports no val_bpb.
  std::optional<Validation> val;
  {
    std::string valError;
    val = loadValidation(o.valData, o.tokenizer, vocab, o.valTokens, valError);
    if (!val)
      say << "golfc train: warning: no validation (" << valError << ")\n";
  }
  auto validate = [&](const cpu::ParamStore *weights, const char *what) -> std::optional<EvalResult> {
    if (!val)
      return std::nullopt;
    auto r = trainer->evaluate(weights, *val, error);
    if (!r)
      return std::nullopt;
    say << llvm::format("golfc train: %s val_loss %.4f val_bpb %.4f (%.0f targets, %.1f s)\n", what,
                        r->valLoss, r->valBpb, r->targets, r->seconds);
    log.write({{"event", "eval"}, {"weights", what}, {"step", step}, {"val_loss", r->valLoss},
               {"val_bpb", r->valBpb}, {"targets", r->targets}, {"bytes", r->bytes},
               {"seconds", r->seconds}});
    return r;
  };
  auto checkpoint = [&]() -> bool {
    if (!leader)
      return true; // every rank holds the same weights
    auto s = trainer->state(error);
    if (!s)
      return false;
    train::Checkpoint c;
    c.model = p.model;
    c.fingerprint = fingerprint;
    c.step = step;
    c.elapsedSeconds = elapsed;
    c.params = std::move(s->params);
    c.optimizer = std::move(s->optimizer);
    c.averaging = std::move(s->averaging);
    return train::saveCheckpoint(c, o.runDir + "/checkpoint.ckpt", error);
  };

  // Steps whose loss the host has not read yet: the GPU reports losses
  // only when asked, at log steps (and at least every 1024 steps).
  struct Pending {
    double lrMult;
    bool qat, crownQ;
    double alpha; // soft-round sharpness, 0 when no soft-round QAT ran
    double seconds; // the host's time in step(): GPU steps overlap, two in flight
  };
  std::vector<Pending> pending;
  int64_t firstPending = step;
  double lastLoss = NAN, firstLoss = NAN, lastNorm = NAN;
  const int64_t stepTokens = accumulation * micro * seqLen * worldSize;
  int64_t windowSteps = 0;
  double windowSeconds = 0;
  auto drain = [&]() -> bool {
    auto stats = trainer->stats(firstPending, firstPending + int64_t(pending.size()), error);
    if (!stats)
      return false;
    for (size_t i = 0; i < stats->size(); ++i) {
      const StepStats &s = (*stats)[i];
      int64_t at = firstPending + int64_t(i);
      if (!std::isfinite(s.loss) || !std::isfinite(s.gradNorm)) {
        error = "step " + std::to_string(at) + ": the loss or gradient is not finite (loss " +
                std::to_string(s.loss) + "); lower the learning rate";
        return false;
      }
      if (std::isnan(firstLoss))
        firstLoss = s.loss;
      lastLoss = s.loss;
      lastNorm = s.gradNorm;
      log.write({{"event", "step"}, {"step", at + 1}, {"loss", s.loss}, {"lr_mult", pending[i].lrMult},
                 {"grad_norm", s.gradNorm}, {"qat", pending[i].qat},
                 {"crown_q", pending[i].crownQ}, {"soft_round_alpha", pending[i].alpha},
                 {"step_ms", 1e3 * pending[i].seconds}});
    }
    firstPending += int64_t(pending.size());
    pending.clear();
    return true;
  };

  std::vector<data::Batch> batches(static_cast<size_t>(accumulation));
  // Priming (the train section's warmup_steps): steps before the clock on
  // the first batches, then undone (weights, optimizer and averaging state,
  // the loader's place), as the baseline's compile warm-up. On the GPU the
  // first step tunes every GEMM and the second captures the graph; the CPU
  // has nothing to warm up and skips them.
  if (int64_t priming = p.train.value("warmup_steps", int64_t(0)); priming > 0 && !resumed && !onCpu) {
    auto t0 = std::chrono::steady_clock::now();
    auto saved = trainer->state(error);
    if (!saved)
      return fail(error);
    data::DistributedTokenLoader primer = loader;
    for (int64_t i = 0; i < priming; ++i) {
      for (data::Batch &batch : batches)
        if (!primer.nextBatch(micro * seqLen, rank, worldSize, batch, error))
          return fail(error);
      if (!trainer->step("loss_grad", batches, i, schedule->lrMultiplier(i, 0), 0, error))
        return fail("priming step " + std::to_string(i) + ": " + error);
    }
    if (!trainer->stats(priming - 1, priming, error) || !trainer->start(*saved, true, error))
      return fail(error);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    say << llvm::format("golfc train: priming: %lld steps in %.1f s (compile warm-up; "
                        "weights, optimizer state and data restored)\n",
                        (long long)priming, seconds);
    log.write({{"event", "priming"}, {"steps", priming}, {"seconds", seconds}});
  }
  int64_t stopAt = o.maxSteps ? step + *o.maxSteps : INT64_MAX;
  while (!schedule->shouldStop(step, elapsed) && step < stopAt) {
    auto t0 = std::chrono::steady_clock::now();
    double lrMult = schedule->lrMultiplier(step, elapsed);
    bool qatNow = haveQat && schedule->qatActive(lrMult);
    bool crownQNow = haveCrownQ && schedule->crownQActive(lrMult);
    const std::string function = std::string("loss") + (qatNow ? "_qat" : "") +
                                 (crownQNow ? "_crownq" : "") + "_grad";
    for (data::Batch &batch : batches)
      if (!loader.nextBatch(micro * seqLen, rank, worldSize, batch, error))
        return fail(error);
    const bool softRound = qatNow && p.function(function)->args.size() > 2;
    const double alpha = softRound ? schedule->softRoundAlpha(lrMult) : 0.0;
    if (!trainer->step(function, batches, step, lrMult, alpha, error))
      return fail("step " + std::to_string(step) + ": " + error);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    pending.push_back({lrMult, qatNow, crownQNow, alpha, seconds});
    elapsed += seconds;
    if (!ranks.agreeOnClock(elapsed, error))
      return fail("step " + std::to_string(step) + ": " + error);
    windowSeconds += seconds;
    ++windowSteps;
    ++step;
    bool last = schedule->shouldStop(step, elapsed) || step == stopAt;
    bool logNow = step % logEvery == 0 || step == 1 || last;
    if ((logNow || onCpu || pending.size() >= 1024) && !drain())
      return fail(error);
    if (logNow) {
      double rate = double(windowSteps * stepTokens) / std::max(windowSeconds, 1e-9);
      double perStep = elapsed / double(step);
      double left = double(total - step) * perStep;
      double wall = schedule->wallclock();
      if (wall > 0)
        left = std::min(left, std::max(0.0, wall - elapsed));
      double mfu = rate * flopsPerToken / (kH100Bf16Peak * worldSize);
      std::string phase = qatNow ? "  qat" : "";
      if (crownQNow)
        phase += qatNow ? " crown_q" : "  crown_q";
      say << llvm::format("step %lld/%lld  loss %.4f  lr x%.3f  grad %.3f  %.0f tok/s  eta %s%s\n",
                          (long long)step, (long long)total, lastLoss, lrMult, lastNorm, rate,
                          duration(left).c_str(), phase.c_str());
      log.write({{"event", "progress"}, {"step", step}, {"loss", lastLoss},
                 {"tokens_per_s", rate}, {"step_ms", 1e3 * windowSeconds / double(windowSteps)},
                 {"mfu_h100", mfu}, {"elapsed", elapsed}});
      windowSteps = 0;
      windowSeconds = 0;
    }
    if (valEvery > 0 && step % valEvery == 0 && !last && val && !validate(nullptr, "live"))
      return fail(error);
    if (o.checkpointEvery && step % *o.checkpointEvery == 0 && !checkpoint())
      return fail(error);
  }
  if (!pending.empty() && !drain())
    return fail(error);
  if (!checkpoint())
    return fail(error);

  train::WeightsSource exportSource = train::WeightsSource::Live;
  auto exported = trainer->exportWeights(exportSource, error);
  if (!exported)
    return fail(error);
  const char *source = train::weightsSourceName(exportSource);
  std::optional<EvalResult> result;
  if (val && !(result = validate(&*exported, source)))
    return fail(error);
  if (!leader) {
    group->close();
    return 0;
  }

  std::string summary;
  llvm::raw_string_ostream os(summary);
  const double tokens = double(step * stepTokens);
  const double rate = tokens / std::max(elapsed, 1e-9);
  os << "model            " << p.model << "\n"
     << "executor         " << trainer->describe() << "\n"
     << "steps            " << step << " (" << int64_t(tokens) << " tokens)\n"
     << llvm::format("train time       %.1f s (%.0f tokens/s, %.1f ms/step)\n", elapsed, rate,
                     1e3 * elapsed / std::max<double>(1.0, double(step)));
  if (!onCpu)
    os << llvm::format("MFU              %.1f%% of an H100's dense bf16 peak (%.3g FLOPs/token)\n",
                       100.0 * rate * flopsPerToken / (kH100Bf16Peak * worldSize), flopsPerToken);
  os << llvm::format("train loss       %.4f -> %.4f (unigram entropy of the data %.4f)\n",
                     firstLoss, lastLoss, entropy)
     << "exported weights " << source << "\n";
  if (double gib = trainer->deviceGiB(); gib > 0)
    os << llvm::format("GPU memory       %.2f GiB allocated (weights, activations arena, "
                       "gradients, optimizer state, staging)\n", gib);
  if (result)
    os << llvm::format("val_loss         %.4f\nval_bpb          %.4f  (%.0f targets, %.0f bytes)\n",
                       result->valLoss, result->valBpb, result->targets, result->bytes);
  else
    os << "val_bpb          not measured (no validation data)\n";
  os << "checkpoint       " << o.runDir << "/checkpoint.ckpt\n";
  llvm::outs() << os.str();
  if (!writeFileAtomic(o.runDir + "/summary.txt", os.str(), error))
    return fail(error);
  plan::Json end{{"event", "summary"}, {"steps", step}, {"elapsed", elapsed},
                 {"tokens_per_s", rate}, {"first_loss", firstLoss}, {"last_loss", lastLoss},
                 {"weights", source}, {"unigram_entropy", entropy},
                 {"executor", trainer->describe()}, {"device_gib", trainer->deviceGiB()},
                 {"flops_per_token", flopsPerToken}};
  if (result) {
    end["val_loss"] = result->valLoss;
    end["val_bpb"] = result->valBpb;
  }
  log.write(end);
  if (group)
    group->close();
  return 0;
}

} // namespace golf

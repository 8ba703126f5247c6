//===- EvalCommand.cpp - golfc eval ---------------------------------------===//
#include "EvalCommand.h"
#include "Args.h"
#include "Compile.h"
#include "Evaluate.h"
#include "Gpu.h"

#include "runtime/export/Load.h"
#include "runtime/support/Files.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace golf {
namespace {

const char *kUsage = R"(usage: golfc eval --artifact FILE [options]

Evaluates an artifact from 'golfc export' without the training checkpoint:
verifies it (size, checksum, codec stream, every tensor), recompiles the
source it carries (with the --set overrides recorded in it), dequantizes the
weights and reports val_loss / val_bpb over the windows of the eval section
(non-overlapping or sliding), on the GPU when there is one, else on the CPU
reference executor.

options:
  --artifact=FILE       the artifact (required)
  --device=auto|gpu|cpu where to evaluate (default auto: the GPU if usable)
  --eval-batch=N        sequences per evaluation batch (default: the eval section's)
  --val-data=GLOB       validation shards (default data/datasets/fineweb10B_sp1024/fineweb_val_*.bin)
  --tokenizer=MODEL     SentencePiece model for the byte counts
                        (default data/tokenizers/fineweb_1024_bpe.model)
  --val-tokens=N        evaluate on the first N validation tokens only
)";

struct Options {
  std::string artifact, valData = kDefaultValData, tokenizer = kDefaultTokenizer;
  std::optional<int64_t> evalBatch, valTokens;
  std::string device = "auto";
};

int usage(const llvm::Twine &msg) {
  llvm::errs() << "golfc eval: " << msg << "\n(run 'golfc eval --help' for usage)\n";
  return 2;
}

int fail(const std::string &error) {
  llvm::errs() << "golfc eval: " << error << "\n";
  return 1;
}

std::optional<int> parse(int argc, char **argv, Options &o) {
  Args args(argc, argv, 1);
  while (args.next()) {
    llvm::StringRef a = args.current();
    if (a == "--help" || a == "-h") {
      llvm::outs() << kUsage;
      return 0;
    }
    if (auto v = args.value("--artifact")) {
      o.artifact = v->str();
    } else if (std::string e; parseDeviceFlag(args, o.device, e)) {
      if (!e.empty())
        return usage(e);
    } else if (auto v = args.value("--val-data")) {
      o.valData = v->str();
    } else if (auto v = args.value("--tokenizer")) {
      o.tokenizer = v->str();
    } else if (auto v = args.value("--eval-batch")) {
      if (!(o.evalBatch = positiveInt(*v)))
        return usage("--eval-batch expects a positive integer");
    } else if (auto v = args.value("--val-tokens")) {
      if (!(o.valTokens = positiveInt(*v)))
        return usage("--val-tokens expects a positive integer");
    } else {
      return usage("unexpected argument '" + a + "'");
    }
  }
  if (o.artifact.empty())
    return usage("eval needs --artifact FILE");
  return std::nullopt;
}

} // namespace

int runEvalCommand(int argc, char **argv) {
  Options o;
  if (auto code = parse(argc, argv, o))
    return *code;
  std::string error;
  auto bytes = readFile(o.artifact, error);
  if (!bytes)
    return fail(error);
  auto artifact = exporter::readArtifact(*bytes, error);
  if (!artifact)
    return fail(o.artifact + ": " + error);

  CompileResult compiled;
  if (artifact->sourceIsPlan) {
    if (o.evalBatch)
      return usage("--eval-batch needs an artifact with a .golf source, this one carries a plan");
    compiled.plan = plan::parsePlan(artifact->source, o.artifact, error);
    if (!compiled.plan)
      return fail(error);
  } else {
    CompileRequest request;
    request.input = o.artifact + ":source";
    request.text = artifact->source;
    request.lower.overrides = artifact->overrides;
    request.lower.evalBatch = o.evalBatch;
    request.buildPlan = true;
    if (int code = compileModel(request, compiled))
      return code;
  }
  const plan::Plan &p = *compiled.plan;
  auto weights = exporter::loadWeights(*artifact, p, error);
  if (!weights)
    return fail(o.artifact + ": " + error);
  auto val = loadValidation(o.valData, o.tokenizer, planVocab(p), o.valTokens, error);
  if (!val)
    return fail(error);
  std::optional<NllScorer> score;
  std::optional<cpu::Executor> ex;
  const char *where = "GPU";
  if (o.device != "cpu" && !(score = gpuScorer(p, *weights, error))) {
    if (o.device == "gpu")
      return fail("--device=gpu: " + error);
    llvm::errs() << "golfc eval: evaluating on the CPU reference executor: " << error << "\n";
  }
  if (!score) {
    where = "CPU reference executor";
    if (!(ex = cpu::Executor::create(p, cpu::Precision::F32, error)))
      return fail(error);
    score = cpuScorer(*ex, *weights);
  }
  auto r = evaluate(p, *score, val->tokens, val->luts, error);
  if (!r)
    return fail(error);
  llvm::outs() << "model            " << p.model << " (artifact " << bytes->size() << " bytes, "
               << exporter::codecName(artifact->codec.codec) << ")\n"
               << llvm::format("val_loss         %.4f\nval_bpb          %.4f  (%.0f targets, "
                               "%.0f bytes, %lld windows, %.1f s on the %s)\n",
                               r->valLoss, r->valBpb, r->targets, r->bytes,
                               (long long)r->windows, r->seconds, where);
  return 0;
}

} // namespace golf

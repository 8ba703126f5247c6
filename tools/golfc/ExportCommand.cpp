//===- ExportCommand.cpp - golfc export -----------------------------------===//
//
// Reads a training checkpoint, takes the weights training exported (the
// EMA/SWA average when the train section has one), collects GPTQ Hessians
// on the CPU executor when a class asks for GPTQ, and writes the artifact
// (runtime/export) atomically. The .golf source is stored in the artifact:
// its bytes count toward the limit and `golfc eval --artifact` recompiles it.
//
//===----------------------------------------------------------------------===//
#include "ExportCommand.h"
#include "Gpu.h"
#include "Args.h"
#include "Compile.h"
#include "Evaluate.h"

#include "runtime/export/Calibrate.h"
#include "runtime/export/Exporter.h"
#include "runtime/support/Files.h"
#include "runtime/train/Averaging.h"
#include "runtime/train/Checkpoint.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <set>

namespace golf {
namespace {

const char *kUsage = R"(usage: golfc export FILE --checkpoint CKPT [options]

FILE is the model's .golf source (stored in the artifact; its bytes count
toward the limit) or a plan from 'golfc compile --emit=plan'. Exports the
checkpoint's weights (the EMA/SWA average if the train section has one) as
the export section says: float or per-row intN per quant class, GPTQ,
pruning, compression. Prints each tensor's format and bytes and the total
against the limit; over the limit it refuses or warns (export over_limit).

options:
  --checkpoint=PATH   a checkpoint from 'golfc train', or its run directory
  --set NAME=VALUE    override a hyperparameter, as in training (recorded)
  -o FILE             the artifact (default: <checkpoint dir>/<model>.golfa)
  --train-data=GLOB   GPTQ calibration batches (gptq calibration = train)
                      (default data/datasets/fineweb10B_sp1024/fineweb_train_*.bin)
  --device=auto|gpu|cpu  where GPTQ's Hessians are collected (default auto:
                      the GPU if usable)
)";

struct Options {
  CompileRequest compile;
  std::string checkpoint, output, trainData = kDefaultTrainData;
  std::string device = "auto";
};

int usage(const llvm::Twine &msg) {
  llvm::errs() << "golfc export: " << msg << "\n(run 'golfc export --help' for usage)\n";
  return 2;
}

int fail(const std::string &error) {
  llvm::errs() << "golfc export: " << error << "\n";
  return 1;
}

std::optional<int> parse(int argc, char **argv, Options &o) {
  Args args(argc, argv, 1);
  while (args.next()) {
    llvm::StringRef a = args.current();
    std::string flagError;
    if (a == "--help" || a == "-h") {
      llvm::outs() << kUsage;
      return 0;
    }
    if (parseLowerFlag(args, o.compile.lower, flagError)) {
      if (!flagError.empty())
        return usage(flagError);
    } else if (auto v = args.value("--checkpoint")) {
      o.checkpoint = v->str();
    } else if (auto v = args.value("--train-data")) {
      o.trainData = v->str();
    } else if (std::string e; parseDeviceFlag(args, o.device, e)) {
      if (!e.empty())
        return usage(e);
    } else if (auto v = args.value("-o")) {
      o.output = v->str();
    } else if (std::string bad = takeInput(a, o.compile.input); !bad.empty()) {
      return usage(bad);
    }
  }
  if (o.compile.input.empty() || o.checkpoint.empty())
    return usage("export needs a .golf file and --checkpoint");
  return std::nullopt;
}

/// The weights training exported, from a checkpoint of this model.
std::optional<cpu::ParamStore> exportedWeights(const plan::Plan &p, const std::string &path,
                                               std::string &error) {
  auto bytes = readFile(path, error);
  auto ckpt = bytes ? train::parseCheckpoint(*bytes, path, error) : std::nullopt;
  if (!ckpt)
    return std::nullopt;
  if (ckpt->model != p.model) {
    error = "checkpoint " + path + " is for model " + ckpt->model + ", not " + p.model;
    return std::nullopt;
  }
  auto averaging = train::Averaging::create(p.train, error);
  if (!averaging || !averaging->loadState(ckpt->averaging, error))
    return std::nullopt;
  return averaging->exportWeights(ckpt->params, error);
}

std::string withCommas(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3)
    s.insert(size_t(i), ",");
  return s;
}

/// printf into a string (llvm::format takes no string literals).
template <class... T> std::string line(const char *fmt, T... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

void printReport(const exporter::ExportReport &r, const exporter::ExportSettings &s,
                 const std::string &sourceName, llvm::raw_ostream &os) {
  const char *row = "%-28s %10s %-12s %-6s %8s %12s %12s\n";
  os << line(row, "tensor", "numel", "format", "method", "pruned", "raw", "compressed");
  for (const exporter::TensorRow &t : r.rows)
    os << line(row, t.name.c_str(), std::to_string(t.numel).c_str(), t.format.c_str(),
               t.method.c_str(), std::to_string(t.pruned).c_str(),
               std::to_string(t.rawBytes).c_str(), std::to_string(t.compressedBytes).c_str());
  if (s.selectiveTarget)
    os << "selective +-1 pruning: " << r.selectiveZeroed << " of " << r.selectiveCandidates
       << " entries zeroed" << (r.selectiveFits ? "" : " (the target is out of reach)") << "\n";
  std::string codec = std::string(exporter::codecName(s.codec.codec)) + " " +
                      std::to_string(s.codec.level) + (s.codec.extreme ? " extreme" : "");
  const char *total = "%-50s %12s%s\n";
  os << line(total, "payload (uncompressed)", withCommas(r.payloadBytes).c_str(), "")
     << line(total, ("model (" + codec + ", with container)").c_str(),
             withCommas(r.modelBytes).c_str(), "")
     << line(total, ("source " + sourceName).c_str(), withCommas(r.sourceBytes).c_str(),
             s.countSource ? "" : " (not counted)")
     << line(total, "total", withCommas(r.countedBytes).c_str(), "");
  int64_t margin = s.limitBytes - int64_t(r.countedBytes);
  os << "limit " << withCommas(uint64_t(s.limitBytes)) << ": "
     << (margin >= 0 ? "margin " + withCommas(uint64_t(margin))
                     : "OVER by " + withCommas(uint64_t(-margin)))
     << " bytes\n";
}

} // namespace

int runExportCommand(int argc, char **argv) {
  Options o;
  if (auto code = parse(argc, argv, o))
    return *code;
  auto start = std::chrono::steady_clock::now();
  o.compile.buildPlan = true;
  CompileResult compiled;
  if (int code = compileOrReadPlan(o.compile, compiled, "export"))
    return code;
  std::string error;
  auto settings = exporter::parseExportSettings(compiled.plan->exportSettings, error);
  if (!settings)
    return fail(error);
  // Self-generated calibration samples `batch` sequences per run of @nll,
  // so a .golf source is compiled again at that evaluation batch.
  bool sourceIsPlan = llvm::StringRef(o.compile.input).ends_with(".json");
  if (settings->gptq && settings->gptq->selfGenerated && !sourceIsPlan) {
    o.compile.lower.evalBatch = settings->gptq->batch;
    o.compile.text = compiled.sourceText; // standard input cannot be read twice
    if (int code = compileModel(o.compile, compiled))
      return code;
  }
  const plan::Plan &p = *compiled.plan;
  if (llvm::sys::fs::is_directory(o.checkpoint))
    o.checkpoint += "/checkpoint.ckpt";
  auto weights = exportedWeights(p, o.checkpoint, error);
  if (!weights)
    return fail(error);

  exporter::ExportInput in;
  in.plan = &p;
  in.weights = &*weights;
  in.settings = *settings;
  in.source = compiled.sourceText;
  in.sourceIsPlan = sourceIsPlan;
  in.overrides = o.compile.lower.overrides;
  std::set<std::string> gptqParams;
  for (const plan::Param &param : p.params) {
    exporter::TensorPlan tp = exporter::planTensor(*settings, param);
    if (tp.quantized && tp.quant->gptq)
      gptqParams.insert(param.name);
  }
  if (!gptqParams.empty()) {
    std::optional<exporter::GramRunner> gram;
    if (o.device != "cpu" && !(gram = gpuGramRunner(p, *weights, error))) {
      if (o.device == "gpu")
        return fail("--device=gpu: " + error);
      llvm::errs() << "golfc export: GPTQ Hessians on the CPU reference executor: " << error << "\n";
    }
    auto cal = exporter::collectHessians(p, *weights, *settings->gptq, gptqParams, o.trainData,
                                         error, gram ? &*gram : nullptr);
    if (!cal)
      return fail("gptq calibration: " + error);
    llvm::errs() << "golfc export: gptq Hessians of " << cal->hessians.size() << " linears from "
                 << cal->tokens << (settings->gptq->selfGenerated ? " self-generated" : " training")
                 << " tokens" << (gram ? " on the GPU" : "") << "\n";
    in.hessians = std::move(cal->hessians);
  }
  auto out = exporter::buildArtifact(in, error);
  if (!out)
    return fail(error);
  for (const std::string &note : out->report.notes)
    llvm::errs() << "golfc export: note: " << note << "\n";
  printReport(out->report, *settings, llvm::sys::path::filename(o.compile.input).str(),
              llvm::outs());
  llvm::outs().flush(); // the table before any verdict on stderr
  bool over = int64_t(out->report.countedBytes) > settings->limitBytes;
  if (over && settings->refuseOverLimit)
    return fail("the artifact is over the limit (" + withCommas(out->report.countedBytes) + " > " +
                withCommas(uint64_t(settings->limitBytes)) +
                " bytes); nothing written (export over_limit = warn writes it anyway)");
  if (over)
    llvm::errs() << "golfc export: warning: the artifact is over the limit\n";
  if (o.output.empty()) {
    llvm::SmallString<256> path(llvm::sys::path::parent_path(o.checkpoint));
    llvm::sys::path::append(path, p.model + ".golfa");
    o.output = path.str().str();
  }
  if (!writeFileAtomic(o.output, out->bytes, error))
    return fail(error);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  llvm::outs() << line("wrote %s (%s bytes) in %.1f s\n", o.output.c_str(),
                       withCommas(out->bytes.size()).c_str(), seconds);
  return 0;
}

} // namespace golf

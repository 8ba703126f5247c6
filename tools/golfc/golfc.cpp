//===- golfc.cpp - the golfc driver ---------------------------------------===//
//
//   golfc compile FILE [--emit=ast|ir|grad|plan|fused|cuda|summary] [--dump-phases-to=DIR]
//                      [--set NAME=VALUE]... [--batch=N] [--eval-batch=N] [-o OUT]
//
// Exit status: 0 success, 1 errors in the input, 2 bad command line or I/O.
//
//===----------------------------------------------------------------------===//
#include "CheckArgs.h"
#ifdef GOLF_HAVE_CUDA
#include "CheckCommand.h"
#include "ProfileCommand.h"
#endif
#include "CheckGradCommand.h"
#include "Compile.h"
#include "DataCommand.h"
#include "EvalCommand.h"
#include "ExportCommand.h"
#include "TrainCommand.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace golf;

namespace {

const char *kUsage = R"(usage: golfc <command> [options]

commands:
  compile FILE     compile a .golf model and print a phase
      --emit=ast|ir|grad|plan|fused|cuda|summary   what to print (default summary)
      --attention=flash|cudnn|general   attention of the GPU lowering (default flash where it applies)
      --memory-budget=GIB     recompute cheap late-read values where the arena would exceed GIB
                              ast: the parsed program as canonical .golf source
                              ir: the golf dialect module (static shapes, verified)
                              grad: ir plus @loss_grad (loss and every parameter's gradient)
                              plan: the runtime plan (JSON: params, op lists, settings)
                              summary: the parameter table and totals
      --dump-phases-to=DIR    also write every phase to DIR
      --set NAME=VALUE        override a top-level hyperparameter (repeatable)
      --batch=N               sequences per training micro-batch
      --eval-batch=N          sequences per evaluation batch
      --autocast=off|bf16     replace the train section's autocast (bf16 products)
      -o FILE                 write the output to FILE instead of stdout
  check FILE       every function on the GPU vs the CPU reference, tensor by tensor
                   (golfc check --help)
  profile FILE     GPU time per function, kernel family and step
                   (golfc profile --help)
  check-grad FILE  gradients of @loss_grad vs finite differences, float64 on the CPU
                   (golfc check-grad --help)
  train FILE       train on the CPU reference executor, then evaluate val_bpb
                   (golfc train --help)
  export FILE      quantize, prune and compress a trained model into an artifact
                   (golfc export --help)
  eval --artifact FILE   val_bpb of an artifact, without the checkpoint
                   (golfc eval --help)
  data ...         token shards: val-shard, tokenize, corpus, info
                   (golfc data --help)
  help             print this message

FILE may be '-' for standard input.
)";

struct Options {
  std::string input;
  std::string emit = "summary";
  std::string dumpDir;
  std::string output = "-";
  LowerOptions lower;
  cudagen::LowerOptions gpu;
};

int usageError(const llvm::Twine &msg) {
  llvm::errs() << "golfc: " << msg << "\n(run 'golfc help' for usage)\n";
  return 2;
}

/// Parses `compile` arguments; returns an exit code on error.
std::optional<int> parseCompileArgs(int argc, char **argv, Options &o) {
  Args args(argc, argv, 2);
  std::string error;
  while (args.next()) {
    llvm::StringRef a = args.current();
    if (parseLowerFlag(args, o.lower, error) || parseGpuFlag(args, o.gpu, error)) {
      if (!error.empty())
        return usageError(error);
    } else if (auto v = args.value("--emit")) {
      if (*v != "ast" && *v != "ir" && *v != "grad" && *v != "plan" && *v != "fused" &&
          *v != "cuda" && *v != "summary")
        return usageError("--emit must be ast, ir, grad, plan, fused, cuda or summary, not '" + *v +
                          "'");
      o.emit = v->str();
    } else if (auto v = args.value("--dump-phases-to")) {
      o.dumpDir = v->str();
    } else if (auto v = args.value("-o")) {
      o.output = v->str();
    } else if (std::string bad = takeInput(a, o.input); !bad.empty()) {
      return usageError(bad);
    }
  }
  if (o.input.empty())
    return usageError("compile needs a .golf file");
  return std::nullopt;
}

int compile(const Options &o) {
  bool gpu = o.emit == "fused" || o.emit == "cuda";
  bool plan = o.emit == "plan" || gpu;
  CompileRequest request{o.input, o.lower, o.dumpDir, o.emit == "grad" || plan, plan, gpu, o.gpu};
  CompileResult result;
  if (int code = compileModel(request, result))
    return code;
  std::string out = o.emit == "ast"     ? result.astText
                    : o.emit == "ir"    ? result.irText
                    : o.emit == "grad"  ? result.gradText
                    : o.emit == "plan"  ? plan::serializePlan(*result.plan)
                    : o.emit == "fused" ? result.fusedText
                    : o.emit == "cuda"  ? result.cudaText
                                        : result.summary;
  std::error_code ec;
  llvm::ToolOutputFile output(o.output, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << "golfc: cannot write " << o.output << ": " << ec.message() << "\n";
    return 2;
  }
  output.os() << out;
  output.keep();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return usageError("no command given");
  llvm::StringRef command = argv[1];
  if (command == "help" || command == "--help" || command == "-h") {
    llvm::outs() << kUsage;
    return 0;
  }
  if (command == "check" || command == "profile") {
#ifdef GOLF_HAVE_CUDA
    return (command == "check" ? golf::runCheckCommand : golf::runProfileCommand)(argc - 1, argv + 1);
#else
    llvm::errs() << "golfc " << command << ": this golfc was built without the CUDA toolkit\n";
    return 2;
#endif
  }
  if (command == "check-grad")
    return golf::runCheckGradCommand(argc - 1, argv + 1);
  if (command == "train")
    return golf::runTrainCommand(argc - 1, argv + 1);
  if (command == "export")
    return golf::runExportCommand(argc - 1, argv + 1);
  if (command == "eval")
    return golf::runEvalCommand(argc - 1, argv + 1);
  if (command == "data")
    return golf::runDataCommand(argc - 1, argv + 1);
  if (command == "compile") {
    Options o;
    if (auto code = parseCompileArgs(argc, argv, o))
      return *code;
    return compile(o);
  }
  return usageError("unknown command '" + command + "'");
}

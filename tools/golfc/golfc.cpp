//===- golfc.cpp - the golfc driver ---------------------------------------===//
//
//   golfc compile FILE [--emit=ast|ir|grad|summary] [--dump-phases-to=DIR]
//                      [--set NAME=VALUE]... [--batch=N] [--eval-batch=N] [-o OUT]
//
// Exit status: 0 success, 1 errors in the input, 2 bad command line or I/O.
//
//===----------------------------------------------------------------------===//
#include "Summary.h"
#include "frontend/Lower.h"
#include "frontend/Parser.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace golf;

namespace {

constexpr size_t kMaxSourceBytes = 16 << 20;

const char *kUsage = R"(usage: golfc <command> [options]

commands:
  compile FILE     compile a .golf model and print a phase
      --emit=ast|ir|grad|summary   what to print (default summary)
                              ast: the parsed program as canonical .golf source
                              ir: the golf dialect module (static shapes, verified)
                              grad: ir plus @loss_grad (loss and every parameter's gradient)
                              summary: the parameter table and totals
      --dump-phases-to=DIR    also write every phase to DIR
      --set NAME=VALUE        override a top-level hyperparameter (repeatable)
      --batch=N               sequences per training micro-batch
      --eval-batch=N          sequences per evaluation batch
      -o FILE                 write the output to FILE instead of stdout
  help             print this message

FILE may be '-' for standard input.
)";

struct Options {
  std::string input;
  std::string emit = "summary";
  std::string dumpDir;
  std::string output = "-";
  LowerOptions lower;
};

int usageError(const llvm::Twine &msg) {
  llvm::errs() << "golfc: " << msg << "\n(run 'golfc help' for usage)\n";
  return 2;
}

std::optional<int64_t> parsePositive(llvm::StringRef text) {
  int64_t v;
  if (text.getAsInteger(10, v) || v <= 0)
    return std::nullopt;
  return v;
}

/// Parses `compile` arguments; returns an exit code on error.
std::optional<int> parseCompileArgs(int argc, char **argv, Options &o) {
  for (int i = 2; i < argc; ++i) {
    llvm::StringRef a = argv[i];
    auto value = [&](llvm::StringRef flag) -> std::optional<llvm::StringRef> {
      if (a.consume_front(flag)) {
        if (a.consume_front("="))
          return a;
        if (a.empty() && i + 1 < argc)
          return llvm::StringRef(argv[++i]);
      }
      return std::nullopt;
    };
    if (auto v = value("--emit")) {
      if (*v != "ast" && *v != "ir" && *v != "grad" && *v != "summary")
        return usageError("--emit must be ast, ir, grad or summary, not '" + *v + "'");
      o.emit = v->str();
    } else if (auto v = value("--dump-phases-to")) {
      o.dumpDir = v->str();
    } else if (auto v = value("--set")) {
      auto [name, text] = v->split('=');
      if (name.empty() || text.empty() || !v->contains('='))
        return usageError("--set expects NAME=VALUE");
      o.lower.overrides[name.str()] = text.str();
    } else if (auto v = value("--batch")) {
      if (!(o.lower.trainBatch = parsePositive(*v)))
        return usageError("--batch expects a positive integer");
    } else if (auto v = value("--eval-batch")) {
      if (!(o.lower.evalBatch = parsePositive(*v)))
        return usageError("--eval-batch expects a positive integer");
    } else if (auto v = value("-o")) {
      o.output = v->str();
    } else if (a.starts_with("-") && a != "-") {
      return usageError("unknown option '" + a + "'");
    } else if (o.input.empty()) {
      o.input = a.str();
    } else {
      return usageError("more than one input file");
    }
  }
  if (o.input.empty())
    return usageError("compile needs a .golf file");
  return std::nullopt;
}

/// Writes `text` to DIR/NAME; reports and returns false on failure.
bool dumpPhase(const std::string &dir, llvm::StringRef name, llvm::StringRef text) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    llvm::errs() << "golfc: cannot write " << path << ": " << ec.message() << "\n";
    return false;
  }
  os << text;
  return true;
}

template <typename F> std::string capture(F &&print) {
  std::string s;
  llvm::raw_string_ostream os(s);
  print(os);
  return os.str();
}

int compile(const Options &o) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(o.input, /*IsText=*/true);
  if (!buffer) {
    llvm::errs() << "golfc: cannot read " << o.input << ": " << buffer.getError().message()
                 << "\n";
    return 2;
  }
  if ((*buffer)->getBufferSize() > kMaxSourceBytes) {
    llvm::errs() << "golfc: " << o.input << " is larger than 16 MiB; not a .golf source\n";
    return 2;
  }
  SourceFile file(o.input == "-" ? "<stdin>" : o.input, (*buffer)->getBuffer().str());
  Diagnostics diags(file, llvm::errs());
  if (!o.dumpDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(o.dumpDir)) {
      llvm::errs() << "golfc: cannot create " << o.dumpDir << ": " << ec.message() << "\n";
      return 2;
    }
  }
  auto fail = [&] {
    llvm::errs() << diags.errorCount() << " error" << (diags.errorCount() == 1 ? "" : "s")
                 << " in " << file.name() << "\n";
    return 1;
  };

  std::unique_ptr<Module> ast = parse(file, diags);
  if (!ast)
    return fail();
  std::string astText = capture([&](llvm::raw_ostream &os) { printModule(*ast, os); });
  if (!o.dumpDir.empty() && !dumpPhase(o.dumpDir, "00-ast.golf", astText))
    return 2;

  std::string out;
  if (o.emit == "ast") {
    out = astText;
  } else {
    mlir::MLIRContext ctx;
    ctx.printOpOnDiagnostic(false);
    auto module = lowerToGolf(*ast, o.lower, ctx, diags);
    if (!module)
      return fail();
    auto print = [&](llvm::raw_ostream &os) { module->print(os); };
    if (!o.dumpDir.empty() && !dumpPhase(o.dumpDir, "01-lowered.mlir", capture(print)))
      return 2;
    mlir::PassManager pm(&ctx);
    pm.addPass(mlir::createCanonicalizerPass());
    pm.addPass(mlir::createCSEPass());
    pm.addPass(mlir::golf::createGolfVerifyContract());
    if (mlir::failed(pm.run(*module))) {
      llvm::errs() << "golfc: internal error: the lowered module breaks the backend contract\n";
      return 1;
    }
    std::string irText = capture(print);
    std::string summary =
        capture([&](llvm::raw_ostream &os) { printSummary(*module, os); });
    if (!o.dumpDir.empty() && (!dumpPhase(o.dumpDir, "02-ir.mlir", irText) ||
                               !dumpPhase(o.dumpDir, "summary.txt", summary)))
      return 2;
    out = o.emit == "ir" ? irText : summary;
    if (o.emit == "grad" || !o.dumpDir.empty()) {
      mlir::PassManager grad(&ctx);
      grad.addPass(mlir::golf::createGolfAutodiff());
      grad.addPass(mlir::createCanonicalizerPass());
      grad.addPass(mlir::createCSEPass());
      grad.addPass(mlir::golf::createGolfVerifyContract());
      if (mlir::failed(grad.run(*module))) {
        llvm::errs() << "golfc: internal error: differentiation failed\n";
        return 1;
      }
      std::string gradText = capture(print);
      if (!o.dumpDir.empty() && !dumpPhase(o.dumpDir, "03-grad.mlir", gradText))
        return 2;
      if (o.emit == "grad")
        out = gradText;
    }
  }
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
  if (command == "compile") {
    Options o;
    if (auto code = parseCompileArgs(argc, argv, o))
      return *code;
    return compile(o);
  }
  return usageError("unknown command '" + command + "'");
}

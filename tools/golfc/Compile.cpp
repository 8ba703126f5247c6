//===- Compile.cpp - the compile pipeline shared by golfc's commands -----===//
#include "Compile.h"
#include "Summary.h"

#include "codegen/PlanBuilder.h"
#include "codegen/cuda/Print.h"
#include "frontend/Parser.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "runtime/support/Files.h"

namespace golf {

namespace {

constexpr size_t kMaxSourceBytes = 16 << 20;

template <typename F> std::string capture(F &&print) {
  std::string s;
  llvm::raw_string_ostream os(s);
  print(os);
  return os.str();
}

/// Writes `text` to DIR/NAME when dumping; false (reported) on failure.
bool dumpPhase(const std::string &dir, llvm::StringRef name, llvm::StringRef text) {
  if (dir.empty())
    return true;
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

} // namespace

int compileModel(const CompileRequest &request, CompileResult &result) {
  if (request.text) {
    result.sourceText = *request.text;
  } else {
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(request.input, /*IsText=*/true);
    if (!buffer) {
      llvm::errs() << "golfc: cannot read " << request.input << ": "
                   << buffer.getError().message() << "\n";
      return 2;
    }
    result.sourceText = (*buffer)->getBuffer().str();
  }
  if (result.sourceText.size() > kMaxSourceBytes) {
    llvm::errs() << "golfc: " << request.input << " is larger than 16 MiB; not a .golf source\n";
    return 2;
  }
  SourceFile file(request.input == "-" ? "<stdin>" : request.input, result.sourceText);
  Diagnostics diags(file, llvm::errs());
  const std::string &dir = request.dumpDir;
  if (!dir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
      llvm::errs() << "golfc: cannot create " << dir << ": " << ec.message() << "\n";
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
  result.astText = capture([&](llvm::raw_ostream &os) { printModule(*ast, os); });
  if (!dumpPhase(dir, "00-ast.golf", result.astText))
    return 2;

  mlir::MLIRContext ctx;
  ctx.printOpOnDiagnostic(false);
  auto module = lowerToGolf(*ast, request.lower, ctx, diags);
  if (!module)
    return fail();
  auto print = [&](llvm::raw_ostream &os) { module->print(os); };
  if (!dumpPhase(dir, "01-lowered.mlir", capture(print)))
    return 2;

  // Past lowering every failure is ours, not the user's: the frontend has
  // already checked everything a pass relies on.
  auto run = [&](llvm::function_ref<void(mlir::PassManager &)> passes, const char *what) {
    mlir::PassManager pm(&ctx);
    passes(pm);
    if (mlir::succeeded(pm.run(*module)))
      return true;
    llvm::errs() << "golfc: internal error in " << what << "; please report it with the input\n";
    return false;
  };
  if (!run([](mlir::PassManager &pm) {
        pm.addPass(mlir::createCanonicalizerPass());
        pm.addPass(mlir::createCSEPass());
        pm.addPass(mlir::golf::createGolfVerifyContract());
      }, "canonicalization"))
    return 1;
  result.irText = capture(print);
  result.summary = capture([&](llvm::raw_ostream &os) { printSummary(*module, os); });
  if (!dumpPhase(dir, "02-ir.mlir", result.irText) || !dumpPhase(dir, "summary.txt", result.summary))
    return 2;

  if (!request.differentiate && !request.buildPlan && dir.empty())
    return 0;
  bool qat = false, crownQ = false;
  if (auto train = (*module)->getAttrOfType<mlir::DictionaryAttr>("golf.train")) {
    qat = bool(train.get("qat"));
    crownQ = bool(train.get("crown_q"));
  }
  if (!run([&](mlir::PassManager &pm) {
        pm.addPass(mlir::golf::createGolfInsertQat());
        pm.addPass(mlir::golf::createGolfInsertCrownQ());
        std::vector<std::string> functions{"loss"};
        if (qat)
          functions.push_back("loss_qat");
        if (crownQ)
          functions.push_back("loss_crownq");
        if (qat && crownQ)
          functions.push_back("loss_qat_crownq");
        mlir::golf::GolfAutodiffOptions options;
        options.functions = functions;
        pm.addPass(mlir::golf::createGolfAutodiff(options));
        pm.addPass(mlir::golf::createGolfAutocast());
        pm.addPass(mlir::createCanonicalizerPass());
        pm.addPass(mlir::createCSEPass());
        pm.addPass(mlir::golf::createGolfVerifyContract());
      }, "differentiation"))
    return 1;
  result.gradText = capture(print);
  if (!dumpPhase(dir, "03-grad.mlir", result.gradText))
    return 2;

  if (!request.buildPlan && dir.empty())
    return 0;
  auto plan = buildPlan(*module);
  if (mlir::failed(plan)) {
    llvm::errs() << "golfc: internal error while building the plan\n";
    return 1;
  }
  if (!dumpPhase(dir, "04-plan.json", plan::serializePlan(*plan)))
    return 2;
  result.plan = std::move(*plan);

  if (!request.lowerGpu && dir.empty())
    return 0;
  try {
    std::vector<cudagen::FunctionProgram> programs = cudagen::lowerPlan(*result.plan, request.gpu);
    result.fusedText = cudagen::printFused(*result.plan, programs);
    result.cudaText = cudagen::printCuda(programs);
  } catch (const std::exception &e) {
    llvm::errs() << "golfc: cannot lower to CUDA: " << e.what() << "\n";
    return 1;
  }
  if (!dumpPhase(dir, "05-fused.txt", result.fusedText) ||
      !dumpPhase(dir, "06-kernels.cu", result.cudaText))
    return 2;
  return 0;
}

int compileOrReadPlan(const CompileRequest &request, CompileResult &result, const char *command) {
  if (!llvm::StringRef(request.input).ends_with(".json"))
    return compileModel(request, result);
  const LowerOptions &lower = request.lower;
  if (!lower.overrides.empty() || lower.trainBatch || lower.evalBatch) {
    llvm::errs() << "golfc " << command
                 << ": --set, --batch and --eval-batch apply to .golf sources, not to a compiled plan\n";
    return 2;
  }
  std::string error;
  auto text = readFile(request.input, error);
  if (text)
    result.plan = plan::parsePlan(*text, request.input, error);
  if (!result.plan) {
    llvm::errs() << "golfc " << command << ": " << error << "\n";
    return 1;
  }
  result.sourceText = std::move(*text);
  return 0;
}

} // namespace golf

//===- parser_fuzzer.cpp - libFuzzer target for the .golf frontend --------===//
//
// Feeds arbitrary bytes through the whole frontend: lex, parse, print the
// tree, parse the printed text again (it must parse, and print identically),
// then elaborate to golf IR. Any crash, hang, leak or round-trip mismatch is
// a bug; errors in the input are expected and fine.
//
//===----------------------------------------------------------------------===//
#include "frontend/Lower.h"
#include "frontend/Parser.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdio>
#include <cstdlib>

namespace {

std::string print(const golf::Module &m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  golf::printModule(m, os);
  return os.str();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (64 << 10))
    return 0; // large inputs only slow the search
  golf::SourceFile file("fuzz.golf", std::string(reinterpret_cast<const char *>(data), size));
  llvm::raw_null_ostream sink;
  golf::Diagnostics diags(file, sink);
  std::unique_ptr<golf::Module> ast = golf::parse(file, diags);
  if (!ast)
    return 0;

  std::string once = print(*ast);
  golf::SourceFile again("printed.golf", once);
  golf::Diagnostics againDiags(again, llvm::errs());
  std::unique_ptr<golf::Module> reparsed = golf::parse(again, againDiags);
  if (!reparsed || print(*reparsed) != once) {
    fprintf(stderr, "round trip failed; printed source:\n%s\n", once.c_str());
    abort();
  }

  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  ctx.printOpOnDiagnostic(false);
  golf::LowerOptions options;
  golf::lowerToGolf(*ast, options, ctx, diags);
  return 0;
}

//===- Compile.h - the compile pipeline shared by golfc's commands -*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_COMPILE_H
#define GOLF_TOOLS_GOLFC_COMPILE_H

#include "codegen/cuda/Lowering.h"
#include "frontend/Lower.h"
#include "runtime/plan/Plan.h"

#include <optional>
#include <string>

namespace golf {

/// How far to compile, and what to keep.
struct CompileRequest {
  std::string input;      // a .golf path, or "-" for standard input
  LowerOptions lower;
  std::string dumpDir;    // write every phase here if not empty
  bool differentiate = false; // run golf-autodiff (@loss_grad)
  bool buildPlan = false;     // also produce the runtime plan
  bool lowerGpu = false;      // and its GPU lowering (fused steps, CUDA kernels)
  cudagen::LowerOptions gpu;  // how to lower for the GPU
  std::optional<std::string> text; // compile this source, named `input` in messages
};

struct CompileResult {
  std::string sourceText; // the .golf source (its bytes count toward the artifact)
  std::string astText;    // canonical source
  std::string irText;     // golf IR after canonicalization and the contract check
  std::string gradText;   // with @loss_grad, if differentiated
  std::string summary;    // the parameter table
  std::optional<plan::Plan> plan;
  std::string fusedText;  // the GPU steps with the ops fused into each
  std::string cudaText;   // every distinct generated kernel
};

/// Runs parse -> lower -> canonicalize/CSE -> contract [-> autodiff] [-> plan]
/// [-> GPU lowering],
/// reporting errors on stderr. Returns 0, or golfc's exit status for the
/// failure (1 bad input, 2 I/O).
int compileModel(const CompileRequest &request, CompileResult &result);

/// compileModel for a .golf source; a path ending in .json is read as a
/// plan from `golfc compile --emit=plan` instead (sourceText: its text), for
/// which --set and batch flags are refused. Errors go to stderr prefixed
/// "golfc <command>: "; returns 0 or golfc's exit status.
int compileOrReadPlan(const CompileRequest &request, CompileResult &result, const char *command);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_COMPILE_H

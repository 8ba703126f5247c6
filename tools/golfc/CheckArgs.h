//===- CheckArgs.h - the arguments golfc's checking commands share -*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_CHECKARGS_H
#define GOLF_TOOLS_GOLFC_CHECKARGS_H

#include "Args.h"
#include "Compile.h"

#include "codegen/cuda/Lowering.h"

#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <optional>

namespace golf {

/// check, check-grad and profile: FILE, the lowering flags, --seed=N, and
/// --tolerance=T for the commands that compare (those that set a default).
struct CheckArgs {
  CompileRequest request;
  std::optional<double> tolerance;
  uint64_t seed = 1;
};

/// Parses `golfc <command> ...` into `out` (whose fields hold the defaults)
/// and compiles the file to a plan in `compiled`; `extra` takes the
/// command's own flags (returns false if the current argument is not one,
/// sets `error` if it is malformed). Returns an exit code to stop with (0
/// after --help), or nullopt to go on.
inline std::optional<int> parseAndCompile(int argc, char **argv, const char *command,
                                          const char *usage, CheckArgs &out,
                                          const std::function<bool(Args &, std::string &)> &extra,
                                          CompileResult &compiled) {
  out.request.differentiate = out.request.buildPlan = true;
  Args args(argc, argv, 1);
  auto fail = [&](const std::string &why) {
    llvm::errs() << "golfc " << command << ": " << why << "\n";
    return 2;
  };
  while (args.next()) {
    llvm::StringRef a = args.current();
    std::string error;
    if (a == "--help" || a == "-h") {
      llvm::outs() << usage;
      return 0;
    }
    if (parseLowerFlag(args, out.request.lower, error) || extra(args, error)) {
      if (!error.empty())
        return fail(error);
    } else if (auto v = out.tolerance ? args.value("--tolerance") : std::nullopt) {
      double t;
      if (v->getAsDouble(t) || !(t > 0))
        return fail("--tolerance expects a positive number");
      out.tolerance = t;
    } else if (auto v = args.value("--seed")) {
      if (v->getAsInteger(10, out.seed))
        return fail("--seed expects an integer");
    } else if (a.starts_with("-") && a != "-") {
      return fail("unknown option '" + a.str() + "'\n" + usage);
    } else if (out.request.input.empty()) {
      out.request.input = a.str();
    } else {
      return fail("more than one input file");
    }
  }
  if (out.request.input.empty()) {
    llvm::errs() << usage;
    return 2;
  }
  if (int code = compileModel(out.request, compiled))
    return code;
  return std::nullopt;
}

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_CHECKARGS_H

//===- Args.h - command-line flags of golfc's commands ----------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_ARGS_H
#define GOLF_TOOLS_GOLFC_ARGS_H

#include "codegen/cuda/Lowering.h"
#include "frontend/Lower.h"
#include "llvm/ADT/StringRef.h"
#include <optional>
#include <string>

namespace golf {

/// Walks argv; `--flag=V` and `--flag V` both give V.
class Args {
public:
  Args(int argc, char **argv, int first) : argc_(argc), argv_(argv), i_(first - 1) {}
  /// Advances to the next argument; false at the end.
  bool next() { return ++i_ < argc_; }
  llvm::StringRef current() const { return argv_[i_]; }
  /// The value of `flag` if the current argument is it.
  std::optional<llvm::StringRef> value(llvm::StringRef flag) {
    llvm::StringRef a = current();
    if (!a.consume_front(flag))
      return std::nullopt;
    if (a.consume_front("="))
      return a;
    if (a.empty() && i_ + 1 < argc_)
      return llvm::StringRef(argv_[++i_]);
    return std::nullopt;
  }
  bool is(llvm::StringRef flag) const { return current() == flag; }

private:
  int argc_;
  char **argv_;
  int i_;
};

/// The last case of a command's flag loop: `a` is the input file (given
/// once). Returns "" or the usage error: an unknown option, a second input.
inline std::string takeInput(llvm::StringRef a, std::string &input) {
  if (a.starts_with("-") && a != "-")
    return ("unknown option '" + a + "'").str();
  if (!input.empty())
    return "more than one input file";
  input = a.str();
  return "";
}

/// A positive integer, or nothing.
inline std::optional<int64_t> positiveInt(llvm::StringRef text) {
  int64_t v;
  if (text.getAsInteger(10, v) || v <= 0)
    return std::nullopt;
  return v;
}

/// The flags of every command that compiles a .golf file: --set NAME=VALUE,
/// --batch=N, --eval-batch=N. Returns true if the current argument is one of
/// them; a malformed one sets `error`.
inline bool parseLowerFlag(Args &args, LowerOptions &lower, std::string &error) {
  if (auto v = args.value("--set")) {
    auto [name, text] = v->split('=');
    if (name.empty() || text.empty() || !v->contains('='))
      error = "--set expects NAME=VALUE";
    else
      lower.overrides[name.str()] = text.str();
    return true;
  }
  if (auto v = args.value("--autocast")) {
    if (*v != "off" && *v != "bf16")
      error = "--autocast expects off or bf16";
    else
      lower.autocast = v->str();
    return true;
  }
  for (auto [flag, slot] : {std::pair<const char *, std::optional<int64_t> *>{"--batch", &lower.trainBatch},
                            {"--eval-batch", &lower.evalBatch}}) {
    if (auto v = args.value(flag)) {
      if (!(*slot = positiveInt(*v)))
        error = std::string(flag) + " expects a positive integer";
      return true;
    }
  }
  return false;
}

/// --device=auto|gpu|cpu (train, eval, export): where the work runs; auto
/// takes the GPU when golfc has CUDA and one is usable. Returns true if the
/// current argument is the flag; a bad value sets `error`.
inline bool parseDeviceFlag(Args &args, std::string &device, std::string &error) {
  auto v = args.value("--device");
  if (!v)
    return false;
  if (*v != "auto" && *v != "gpu" && *v != "cpu")
    error = "--device must be auto, gpu or cpu";
  device = v->str();
  return true;
}

/// The GPU lowering's flags: --attention=flash|cudnn|general (which
/// attention kernels) and --memory-budget=GIB (the arena above which cheap
/// values are recomputed rather than kept).
inline bool parseGpuFlag(Args &args, cudagen::LowerOptions &options, std::string &error) {
  if (auto v = args.value("--memory-budget")) {
    double gib;
    if (v->getAsDouble(gib) || !(gib > 0))
      error = "--memory-budget expects a positive number of GiB";
    else
      options.memoryBudget = uint64_t(gib * double(uint64_t(1) << 30));
    return true;
  }
  auto v = args.value("--attention");
  if (!v)
    return false;
  using A = cudagen::LowerOptions::Attention;
  for (A a : {A::Flash, A::Cudnn, A::General})
    if (*v == cudagen::attentionName(a)) {
      options.attention = a;
      return true;
    }
  error = "--attention must be flash, cudnn or general, not '" + v->str() + "'";
  return true;
}

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_ARGS_H

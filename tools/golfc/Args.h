//===- Args.h - command-line flags of golfc's commands ----------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_ARGS_H
#define GOLF_TOOLS_GOLFC_ARGS_H

#include "llvm/ADT/StringRef.h"
#include <optional>

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

/// A positive integer, or nothing.
inline std::optional<int64_t> positiveInt(llvm::StringRef text) {
  int64_t v;
  if (text.getAsInteger(10, v) || v <= 0)
    return std::nullopt;
  return v;
}

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_ARGS_H

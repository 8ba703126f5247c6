//===- Diagnostics.h - source files and error reporting ---------*- C++ -*-===//
//
// Every frontend error names file:line:col, shows the source line and puts a
// caret under the column. MLIR diagnostics that carry a FileLineColLoc into a
// registered source file are rendered the same way.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_FRONTEND_DIAGNOSTICS_H
#define GOLF_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace golf {

/// A position in a source file (1-based line and column).
struct SourceLoc {
  int line = 0;
  int col = 0;
};

/// The text of one .golf file with its line starts.
class SourceFile {
public:
  SourceFile(std::string name, std::string text);
  llvm::StringRef name() const { return name_; }
  llvm::StringRef text() const { return text_; }
  /// The text of line `line` (1-based) without its newline.
  llvm::StringRef lineText(int line) const;

private:
  std::string name_;
  std::string text_;
  std::vector<size_t> lineStarts_;
};

/// Collects and prints diagnostics; counts errors.
class Diagnostics {
public:
  Diagnostics(const SourceFile &file, llvm::raw_ostream &os) : file_(file), os_(os) {}
  void error(SourceLoc loc, const llvm::Twine &message);
  void warning(SourceLoc loc, const llvm::Twine &message);
  void note(SourceLoc loc, const llvm::Twine &message);
  int errorCount() const { return errors_; }
  /// Whether an error was already reported on `line` (later errors on the
  /// same line are usually consequences of the first).
  bool hasErrorOnLine(int line) const { return errorLines_.count(line) > 0; }
  const SourceFile &file() const { return file_; }

  /// Errors past this many stop the compile (bad input must not flood or hang).
  static constexpr int kMaxErrors = 20;
  bool tooMany() const { return errors_ >= kMaxErrors; }

private:
  void report(SourceLoc loc, llvm::StringRef kind, const llvm::Twine &message);
  const SourceFile &file_;
  llvm::raw_ostream &os_;
  int errors_ = 0;
  std::set<int> errorLines_;
  int notesSinceError_ = 0;
  static constexpr int kMaxNotes = 4;
};

} // namespace golf

#endif // GOLF_FRONTEND_DIAGNOSTICS_H

//===- Diagnostics.cpp - source files and error reporting -----------------===//
#include "frontend/Diagnostics.h"

#include <algorithm>

namespace golf {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n')
      lineStarts_.push_back(i + 1);
}

llvm::StringRef SourceFile::lineText(int line) const {
  if (line < 1 || size_t(line) > lineStarts_.size())
    return "";
  size_t begin = lineStarts_[line - 1];
  size_t end = text_.find('\n', begin);
  if (end == std::string::npos)
    end = text_.size();
  llvm::StringRef s(text_.data() + begin, end - begin);
  return s.rtrim("\r");
}

void Diagnostics::report(SourceLoc loc, llvm::StringRef kind,
                         const llvm::Twine &message) {
  if (loc.line <= 0) {
    // Not tied to a place in the source (a command-line override, a limit).
    os_ << file_.name() << ": " << kind << ": " << message << "\n";
    return;
  }
  os_ << file_.name() << ":" << loc.line << ":" << loc.col << ": " << kind
      << ": " << message << "\n";
  llvm::StringRef line = file_.lineText(loc.line);
  if (line.empty())
    return;
  std::string shown;
  // Tabs and control bytes would misplace the caret; show them as spaces.
  for (char c : line)
    shown.push_back((unsigned char)c < 0x20 ? ' ' : c);
  os_ << "  " << shown << "\n  ";
  int col = std::max(1, loc.col);
  for (int i = 1; i < col && size_t(i) <= shown.size(); ++i)
    os_ << ' ';
  os_ << "^\n";
}

void Diagnostics::error(SourceLoc loc, const llvm::Twine &message) {
  ++errors_;
  errorLines_.insert(loc.line);
  notesSinceError_ = 0;
  report(loc, "error", message);
}

void Diagnostics::warning(SourceLoc loc, const llvm::Twine &message) {
  report(loc, "warning", message);
}

void Diagnostics::note(SourceLoc loc, const llvm::Twine &message) {
  // A deep call chain would repeat one note per level; the first few say where.
  if (++notesSinceError_ <= kMaxNotes)
    report(loc, "note", message);
  else if (notesSinceError_ == kMaxNotes + 1)
    os_ << "note: (further notes of this error omitted)\n";
}

} // namespace golf

//===- Settings.h - the train, export and eval sections ---------*- C++ -*-===//
//
// Each section is a list of `key = value` settings and directive calls such
// as `muon(group = matrix, lr = 0.04)`. A schema table says which keys and
// directives exist, their types and defaults; the checked section becomes a
// dictionary attribute on the module (golf.train, golf.export, golf.eval)
// with every default filled in, so the IR shows the complete recipe.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_FRONTEND_SETTINGS_H
#define GOLF_FRONTEND_SETTINGS_H

#include "frontend/Value.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace golf {

/// One evaluated line of a section.
struct SettingEntry {
  std::string name;    // key, or directive name
  bool isDirective;    // `name(...)` rather than `name = value`
  Value value;         // the value, or the directive's Record
  SourceLoc loc;
};

/// Checks a section against its schema; nullptr after reporting errors.
mlir::DictionaryAttr buildSection(llvm::StringRef section,
                                  const std::vector<SettingEntry> &entries, SourceLoc sectionLoc,
                                  mlir::MLIRContext *ctx, Diagnostics &diags);

/// Checks a parameter initializer (`normal(std = 0.02)`, `zeros`, `rows(ones,
/// zeros)`, ...) and returns its dictionary with a `kind`.
mlir::DictionaryAttr buildInitializer(const Value &init, SourceLoc loc,
                                      int64_t rank, mlir::MLIRContext *ctx,
                                      Diagnostics &diags);

/// Whether `name` is a known directive or record kind of any section, so the
/// elaborator treats a call to it there as data.
bool isSettingsRecordName(llvm::StringRef name);

/// Markdown reference of every section key, directive and record (the
/// schema is the documentation's source; docs/language.md embeds it).
void printSettingsReference(llvm::raw_ostream &os);

} // namespace golf

#endif // GOLF_FRONTEND_SETTINGS_H

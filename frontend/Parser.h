//===- Parser.h - .golf parser ----------------------------------*- C++ -*-===//
#ifndef GOLF_FRONTEND_PARSER_H
#define GOLF_FRONTEND_PARSER_H

#include "frontend/AST.h"

namespace golf {

/// Parses a whole file. Reports every syntax error it can recover from to
/// `diags` (up to Diagnostics::kMaxErrors); returns the module if there was
/// none.
std::unique_ptr<Module> parse(const SourceFile &file, Diagnostics &diags);

} // namespace golf

#endif // GOLF_FRONTEND_PARSER_H

//===- Lexer.h - tokens of the .golf language -------------------*- C++ -*-===//
//
// Python-style layout: indentation opens and closes suites (INDENT/DEDENT),
// a line break ends a statement except inside brackets, `#` starts a comment.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_FRONTEND_LEXER_H
#define GOLF_FRONTEND_LEXER_H

#include "frontend/Diagnostics.h"
#include <cstdint>
#include <string>
#include <vector>

namespace golf {

enum class Tok {
  Eof, Newline, Indent, Dedent, Ident, Int, Float, String,
  // keywords
  KwModel, KwParam, KwBlock, KwFn, KwFor, KwIn, KwIf, KwElif, KwElse,
  KwReturn, KwAnd, KwOr, KwNot, KwTrue, KwFalse, KwNone, KwAssert,
  // punctuation
  LParen, RParen, LBracket, RBracket, Comma, Colon, Semicolon, Dot, DotDot,
  Assign, Eq, Ne, Lt, Le, Gt, Ge, Plus, Minus, Star, Slash, SlashSlash,
  Percent, StarStar, At, Arrow,
};

/// How a token is spelled in messages ("'('", "identifier", "end of line").
const char *tokName(Tok t);

struct Token {
  Tok kind = Tok::Eof;
  SourceLoc loc;
  std::string text; // identifier name or string contents
  int64_t intValue = 0;
  double floatValue = 0;
};

/// Splits a whole file into tokens; errors go to `diags`, and lexing goes on
/// past them so the parser can report more.
std::vector<Token> lex(const SourceFile &file, Diagnostics &diags);

} // namespace golf

#endif // GOLF_FRONTEND_LEXER_H

//===- Lexer.cpp - tokens of the .golf language ---------------------------===//
#include "frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace golf {

const char *tokName(Tok t) {
  switch (t) {
  case Tok::Eof: return "end of file";
  case Tok::Newline: return "end of line";
  case Tok::Indent: return "indentation";
  case Tok::Dedent: return "end of indented block";
  case Tok::Ident: return "identifier";
  case Tok::Int: return "integer";
  case Tok::Float: return "number";
  case Tok::String: return "string";
  case Tok::KwModel: return "'model'";
  case Tok::KwParam: return "'param'";
  case Tok::KwBlock: return "'block'";
  case Tok::KwFn: return "'fn'";
  case Tok::KwFor: return "'for'";
  case Tok::KwIn: return "'in'";
  case Tok::KwIf: return "'if'";
  case Tok::KwElif: return "'elif'";
  case Tok::KwElse: return "'else'";
  case Tok::KwReturn: return "'return'";
  case Tok::KwAnd: return "'and'";
  case Tok::KwOr: return "'or'";
  case Tok::KwNot: return "'not'";
  case Tok::KwTrue: return "'true'";
  case Tok::KwFalse: return "'false'";
  case Tok::KwNone: return "'none'";
  case Tok::KwAssert: return "'assert'";
  case Tok::LParen: return "'('";
  case Tok::RParen: return "')'";
  case Tok::LBracket: return "'['";
  case Tok::RBracket: return "']'";
  case Tok::Comma: return "','";
  case Tok::Colon: return "':'";
  case Tok::Semicolon: return "';'";
  case Tok::Dot: return "'.'";
  case Tok::DotDot: return "'..'";
  case Tok::Assign: return "'='";
  case Tok::Eq: return "'=='";
  case Tok::Ne: return "'!='";
  case Tok::Lt: return "'<'";
  case Tok::Le: return "'<='";
  case Tok::Gt: return "'>'";
  case Tok::Ge: return "'>='";
  case Tok::Plus: return "'+'";
  case Tok::Minus: return "'-'";
  case Tok::Star: return "'*'";
  case Tok::Slash: return "'/'";
  case Tok::SlashSlash: return "'//'";
  case Tok::Percent: return "'%'";
  case Tok::StarStar: return "'**'";
  case Tok::At: return "'@'";
  case Tok::Arrow: return "'->'";
  }
  return "token";
}

namespace {

class Lexer {
public:
  Lexer(const SourceFile &file, Diagnostics &diags)
      : src_(file.text()), diags_(diags) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      if (atLineStart_ && brackets_.empty()) {
        if (!lineStart())
          continue; // blank or comment-only line
      }
      lexOne();
    }
    if (!brackets_.empty()) {
      // Inside brackets line breaks are ignored, so an unclosed bracket would
      // otherwise surface as a confusing error at the end of the file.
      diags_.error(brackets_.back(), "this bracket is never closed");
      brackets_.clear();
    } else if (!atLineStart_)
      push(Tok::Newline, here());
    while (indents_.size() > 1) {
      indents_.pop_back();
      push(Tok::Dedent, here());
    }
    push(Tok::Eof, here());
    return std::move(out_);
  }

private:
  SourceLoc here() const { return {line_, int(pos_ - lineBegin_) + 1}; }

  void push(Tok kind, SourceLoc loc, std::string text = "") {
    Token t;
    t.kind = kind;
    t.loc = loc;
    t.text = std::move(text);
    out_.push_back(std::move(t));
  }

  void newline() {
    ++pos_;
    ++line_;
    lineBegin_ = pos_;
  }

  /// Measures indentation at the start of a logical line and emits
  /// INDENT/DEDENT. Returns false if the line is blank (consumed).
  bool lineStart() {
    int width = 0;
    size_t p = pos_;
    while (p < src_.size() && (src_[p] == ' ' || src_[p] == '\t')) {
      if (src_[p] == '\t') {
        pos_ = p;
        diags_.error(here(), "tab in indentation; indent with spaces");
      }
      ++width;
      ++p;
    }
    pos_ = p;
    if (pos_ >= src_.size())
      return false;
    char c = src_[pos_];
    if (c == '#') {
      while (pos_ < src_.size() && src_[pos_] != '\n')
        ++pos_;
      return false;
    }
    if (c == '\n' || c == '\r') {
      if (c == '\r')
        ++pos_;
      if (pos_ < src_.size() && src_[pos_] == '\n')
        newline();
      return false;
    }
    atLineStart_ = false;
    if (width > indents_.back()) {
      indents_.push_back(width);
      push(Tok::Indent, here());
    } else {
      while (width < indents_.back()) {
        indents_.pop_back();
        push(Tok::Dedent, here());
      }
      if (width != indents_.back())
        diags_.error(here(), "indentation does not match any outer level");
    }
    return true;
  }

  void lexOne() {
    char c = src_[pos_];
    SourceLoc loc = here();
    if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
      return;
    }
    if (c == '#') {
      while (pos_ < src_.size() && src_[pos_] != '\n')
        ++pos_;
      return;
    }
    if (c == '\\' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '\n') {
      ++pos_;
      newline(); // explicit line continuation
      return;
    }
    if (c == '\n') {
      if (brackets_.empty()) {
        push(Tok::Newline, loc);
        atLineStart_ = true;
      }
      newline();
      return;
    }
    if (isalpha((unsigned char)c) || c == '_')
      return identifier(loc);
    if (isdigit((unsigned char)c) ||
        (c == '.' && pos_ + 1 < src_.size() && isdigit((unsigned char)src_[pos_ + 1])))
      return number(loc);
    if (c == '"' || c == '\'')
      return string(loc, c);
    punctuation(loc);
  }

  void identifier(SourceLoc loc) {
    size_t b = pos_;
    while (pos_ < src_.size() &&
           (isalnum((unsigned char)src_[pos_]) || src_[pos_] == '_'))
      ++pos_;
    std::string word(src_.substr(b, pos_ - b));
    Tok kind = llvm::StringSwitch<Tok>(word)
                   .Case("model", Tok::KwModel)
                   .Case("param", Tok::KwParam)
                   .Case("block", Tok::KwBlock)
                   .Case("fn", Tok::KwFn)
                   .Case("for", Tok::KwFor)
                   .Case("in", Tok::KwIn)
                   .Case("if", Tok::KwIf)
                   .Case("elif", Tok::KwElif)
                   .Case("else", Tok::KwElse)
                   .Case("return", Tok::KwReturn)
                   .Case("and", Tok::KwAnd)
                   .Case("or", Tok::KwOr)
                   .Case("not", Tok::KwNot)
                   .Case("true", Tok::KwTrue)
                   .Case("false", Tok::KwFalse)
                   .Case("none", Tok::KwNone)
                   .Case("assert", Tok::KwAssert)
                   .Default(Tok::Ident);
    push(kind, loc, kind == Tok::Ident ? word : "");
  }

  void number(SourceLoc loc) {
    std::string digits;
    bool isFloat = false;
    auto take = [&] {
      while (pos_ < src_.size() &&
             (isdigit((unsigned char)src_[pos_]) || src_[pos_] == '_')) {
        if (src_[pos_] != '_')
          digits.push_back(src_[pos_]);
        ++pos_;
      }
    };
    take();
    // "0..4" is a range: a '.' followed by '.' ends the number.
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' && src_[pos_ + 1] != '.') {
      isFloat = true;
      digits.push_back('.');
      ++pos_;
      take();
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-'))
        ++p;
      if (p < src_.size() && isdigit((unsigned char)src_[p])) {
        isFloat = true;
        digits.append(src_.substr(pos_, p - pos_));
        pos_ = p;
        take();
      }
    }
    if (pos_ < src_.size() && (isalpha((unsigned char)src_[pos_]) || src_[pos_] == '_')) {
      diags_.error(here(), "unexpected letter after number");
      while (pos_ < src_.size() && (isalnum((unsigned char)src_[pos_]) || src_[pos_] == '_'))
        ++pos_;
    }
    Token t;
    t.loc = loc;
    errno = 0;
    if (isFloat) {
      t.kind = Tok::Float;
      t.floatValue = std::strtod(digits.c_str(), nullptr);
      if (!std::isfinite(t.floatValue))
        diags_.error(loc, "number literal is out of range");
    } else {
      t.kind = Tok::Int;
      t.intValue = std::strtoll(digits.c_str(), nullptr, 10);
      if (errno == ERANGE)
        diags_.error(loc, "integer literal does not fit in 64 bits");
    }
    out_.push_back(std::move(t));
  }

  void string(SourceLoc loc, char quote) {
    ++pos_;
    std::string text;
    while (pos_ < src_.size() && src_[pos_] != quote && src_[pos_] != '\n') {
      if (src_[pos_] == '\\' && pos_ + 1 < src_.size() && src_[pos_ + 1] != '\n') {
        char e = src_[pos_ + 1];
        text.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
        pos_ += 2;
        continue;
      }
      text.push_back(src_[pos_++]);
    }
    if (pos_ >= src_.size() || src_[pos_] != quote) {
      diags_.error(loc, "string is not closed on this line");
    } else {
      ++pos_;
    }
    push(Tok::String, loc, std::move(text));
  }

  void punctuation(SourceLoc loc) {
    auto two = [&](char a, char b) {
      return src_[pos_] == a && pos_ + 1 < src_.size() && src_[pos_ + 1] == b;
    };
    struct Pair { char a, b; Tok t; };
    static const Pair pairs[] = {
        {'.', '.', Tok::DotDot}, {'=', '=', Tok::Eq},     {'!', '=', Tok::Ne},
        {'<', '=', Tok::Le},     {'>', '=', Tok::Ge},     {'/', '/', Tok::SlashSlash},
        {'*', '*', Tok::StarStar}, {'-', '>', Tok::Arrow}};
    for (const Pair &p : pairs) {
      if (two(p.a, p.b)) {
        pos_ += 2;
        push(p.t, loc);
        return;
      }
    }
    Tok t;
    switch (src_[pos_]) {
    case '(': t = Tok::LParen; brackets_.push_back(loc); break;
    case ')': t = Tok::RParen; if (!brackets_.empty()) brackets_.pop_back(); break;
    case '[': t = Tok::LBracket; brackets_.push_back(loc); break;
    case ']': t = Tok::RBracket; if (!brackets_.empty()) brackets_.pop_back(); break;
    case ',': t = Tok::Comma; break;
    case ':': t = Tok::Colon; break;
    case ';': t = Tok::Semicolon; break;
    case '.': t = Tok::Dot; break;
    case '=': t = Tok::Assign; break;
    case '<': t = Tok::Lt; break;
    case '>': t = Tok::Gt; break;
    case '+': t = Tok::Plus; break;
    case '-': t = Tok::Minus; break;
    case '*': t = Tok::Star; break;
    case '/': t = Tok::Slash; break;
    case '%': t = Tok::Percent; break;
    case '@': t = Tok::At; break;
    default: {
      unsigned char ch = src_[pos_];
      if (ch >= 0x20 && ch < 0x7f)
        diags_.error(loc, "unexpected character '" + std::string(1, char(ch)) + "'");
      else
        diags_.error(loc, "unexpected byte 0x" + llvm::utohexstr(ch) +
                              " (only ASCII outside strings and comments)");
      ++pos_;
      return;
    }
    }
    ++pos_;
    push(t, loc);
  }

  llvm::StringRef src_;
  Diagnostics &diags_;
  std::vector<Token> out_;
  std::vector<int> indents_{0};
  size_t pos_ = 0;
  size_t lineBegin_ = 0;
  int line_ = 1;
  std::vector<SourceLoc> brackets_; // open brackets, innermost last
  bool atLineStart_ = true;
};

} // namespace

std::vector<Token> lex(const SourceFile &file, Diagnostics &diags) {
  return Lexer(file, diags).run();
}

} // namespace golf

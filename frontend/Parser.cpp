//===- Parser.cpp - .golf parser ------------------------------------------===//
//
// Recursive descent over the token stream. On an error the parser skips to
// the end of the statement (and any block indented under it) and goes on, so
// one run reports several mistakes. Nesting depth is bounded so that no
// input can exhaust the stack.
//
//===----------------------------------------------------------------------===//
#include "frontend/Parser.h"
#include "frontend/Lexer.h"

namespace golf {
namespace {

constexpr int kMaxDepth = 200;

class Parser {
public:
  Parser(std::vector<Token> tokens, Diagnostics &diags)
      : toks_(std::move(tokens)), diags_(diags) {}

  std::unique_ptr<Module> parseFile() {
    auto module = std::make_unique<Module>();
    skipNewlines();
    module->loc = peek().loc;
    if (!accept(Tok::KwModel)) {
      error(peek().loc, "a .golf file starts with 'model NAME'");
      return nullptr;
    }
    if (peek().kind != Tok::Ident) {
      error(peek().loc, "expected the model name after 'model'");
      return nullptr;
    }
    module->name = next().text;
    expectEndOfLine();
    while (!at(Tok::Eof) && !diags_.tooMany()) {
      if (accept(Tok::Newline))
        continue;
      if (at(Tok::Indent) || at(Tok::Dedent)) {
        error(peek().loc, "unexpected indentation");
        synchronize();
        continue;
      }
      parseStatement(module->body, /*topLevel=*/true);
    }
    if (diags_.errorCount() > 0)
      return nullptr;
    return module;
  }

private:
  //===--- token helpers ---------------------------------------------------===//
  const Token &peek(int ahead = 0) const {
    size_t i = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  bool at(Tok k) const { return peek().kind == k; }
  const Token &next() {
    const Token &t = toks_[pos_];
    if (pos_ + 1 < toks_.size())
      ++pos_;
    return t;
  }
  bool accept(Tok k) {
    if (!at(k))
      return false;
    next();
    return true;
  }
  bool expect(Tok k, const char *context) {
    if (accept(k))
      return true;
    error(peek().loc, llvm::Twine("expected ") + tokName(k) + " " + context +
                          ", found " + tokName(peek().kind));
    return false;
  }
  void skipNewlines() {
    while (accept(Tok::Newline)) {
    }
  }
  void error(SourceLoc loc, const llvm::Twine &msg) {
    // A lexical error already explains this line (or, at the end of the
    // file, an unclosed bracket explains running out of tokens).
    bool explained = diags_.hasErrorOnLine(loc.line) ||
                     (at(Tok::Eof) && diags_.errorCount() > 0);
    if (!failed_ && !explained)
      diags_.error(loc, msg);
    failed_ = true;
  }
  bool expectEndOfLine() {
    if (accept(Tok::Newline) || at(Tok::Eof) || at(Tok::Dedent))
      return true;
    error(peek().loc, llvm::Twine("expected end of line, found ") + tokName(peek().kind));
    return false;
  }

  /// Skips the rest of a broken statement, including a block indented under it.
  void synchronize() {
    int depth = 0;
    while (!at(Tok::Eof)) {
      Tok k = peek().kind;
      if (k == Tok::Indent) {
        ++depth;
      } else if (k == Tok::Dedent) {
        if (depth == 0)
          break;
        --depth;
        if (depth == 0) {
          next();
          break;
        }
      } else if (k == Tok::Newline && depth == 0) {
        next();
        // A block indented under the broken header belongs to it.
        if (at(Tok::Indent))
          continue;
        break;
      }
      next();
    }
    failed_ = false;
  }

  struct DepthGuard {
    Parser &p;
    bool ok;
    DepthGuard(Parser &p, SourceLoc loc) : p(p), ok(++p.depth_ <= kMaxDepth) {
      if (!ok)
        p.error(loc, "nesting is too deep (limit 200)");
    }
    ~DepthGuard() { --p.depth_; }
  };

  //===--- statements ------------------------------------------------------===//
  void parseStatement(Suite &out, bool topLevel) {
    failed_ = false;
    size_t before = pos_;
    switch (peek().kind) {
    case Tok::KwFor: addOrSync(out, parseFor()); return;
    case Tok::KwIf: addOrSync(out, parseIf()); return;
    case Tok::KwFn:
    case Tok::KwBlock: addOrSync(out, parseFn(topLevel)); return;
    case Tok::Ident:
      if (peek(1).kind == Tok::Colon &&
          (peek().text == "train" || peek().text == "export" || peek().text == "eval")) {
        addOrSync(out, parseSection(topLevel));
        return;
      }
      break;
    default:
      break;
    }
    // One or more simple statements separated by ';'.
    while (true) {
      StmtPtr s = parseSimple();
      if (!s || failed_) {
        synchronize();
        return;
      }
      out.push_back(std::move(s));
      if (accept(Tok::Semicolon) && !at(Tok::Newline) && !at(Tok::Eof))
        continue;
      break;
    }
    if (!expectEndOfLine())
      synchronize();
    if (pos_ == before)
      next(); // never loop on a token nobody consumes
  }

  void addOrSync(Suite &out, StmtPtr s) {
    if (s && !failed_)
      out.push_back(std::move(s));
    else
      synchronize();
  }

  StmtPtr parseSimple() {
    SourceLoc loc = peek().loc;
    if (at(Tok::KwParam))
      return parseParam();
    if (accept(Tok::KwReturn)) {
      std::vector<ExprPtr> values;
      if (!at(Tok::Newline) && !at(Tok::Semicolon) && !at(Tok::Eof) && !at(Tok::Dedent)) {
        do {
          ExprPtr e = parseExpr();
          if (!e)
            return nullptr;
          values.push_back(std::move(e));
        } while (accept(Tok::Comma));
      }
      return std::make_unique<ReturnStmt>(loc, std::move(values));
    }
    if (accept(Tok::KwAssert)) {
      ExprPtr cond = parseExpr();
      if (!cond)
        return nullptr;
      std::string message;
      if (accept(Tok::Comma)) {
        if (!at(Tok::String)) {
          error(peek().loc, "expected a message string after 'assert COND,'");
          return nullptr;
        }
        message = next().text;
      }
      return std::make_unique<AssertStmt>(loc, std::move(cond), std::move(message));
    }
    std::vector<ExprPtr> exprs;
    do {
      ExprPtr e = parseExpr();
      if (!e)
        return nullptr;
      exprs.push_back(std::move(e));
    } while (accept(Tok::Comma));
    if (accept(Tok::Assign)) {
      std::vector<std::string> targets;
      for (auto &e : exprs) {
        auto *name = llvm::dyn_cast<NameExpr>(e.get());
        if (!name) {
          error(e->loc, "only names can be assigned to");
          return nullptr;
        }
        targets.push_back(name->name);
      }
      std::vector<ExprPtr> values;
      SourceLoc vloc = peek().loc;
      do {
        ExprPtr e = parseExpr();
        if (!e)
          return nullptr;
        values.push_back(std::move(e));
      } while (accept(Tok::Comma));
      ExprPtr value = values.size() == 1
                          ? std::move(values[0])
                          : std::make_unique<TupleExpr>(vloc, std::move(values));
      return std::make_unique<AssignStmt>(loc, std::move(targets), std::move(value));
    }
    if (exprs.size() != 1) {
      error(loc, "a list of expressions is not a statement (missing '='?)");
      return nullptr;
    }
    return std::make_unique<ExprStmt>(loc, std::move(exprs[0]));
  }

  StmtPtr parseParam() {
    auto p = std::make_unique<ParamStmt>(next().loc);
    if (!at(Tok::Ident)) {
      error(peek().loc, "expected the parameter name after 'param'");
      return nullptr;
    }
    p->name = next().text;
    if (!expect(Tok::Colon, "after the parameter name"))
      return nullptr;
    p->dtypeLoc = peek().loc;
    if (at(Tok::Ident))
      p->dtype = next().text;
    if (!expect(Tok::LBracket, "to open the parameter shape"))
      return nullptr;
    if (!at(Tok::RBracket)) {
      do {
        ExprPtr d = parseExpr();
        if (!d)
          return nullptr;
        p->shape.push_back(std::move(d));
      } while (accept(Tok::Comma));
    }
    if (!expect(Tok::RBracket, "to close the parameter shape"))
      return nullptr;
    while (at(Tok::Ident)) {
      const Token &key = next();
      auto once = [&](bool seen) {
        if (seen)
          error(key.loc, "'" + key.text + "' is given twice");
        return !seen;
      };
      if (key.text == "init") {
        if (!once(p->init != nullptr) || !(p->init = parsePostfix()))
          return nullptr;
      } else if (key.text == "group" || key.text == "quant") {
        std::string &field = key.text == "group" ? p->group : p->quant;
        if (!once(!field.empty()))
          return nullptr;
        if (!at(Tok::Ident)) {
          error(peek().loc, "expected a name after '" + key.text + "'");
          return nullptr;
        }
        (key.text == "group" ? p->groupLoc : p->quantLoc) = peek().loc;
        field = next().text;
      } else if (key.text == "wd") {
        if (!once(p->wd != nullptr) || !(p->wd = parseUnary()))
          return nullptr;
      } else {
        error(key.loc, "unknown parameter attribute '" + key.text +
                           "' (expected init, group, quant or wd)");
        return nullptr;
      }
    }
    if (!p->init) {
      error(p->loc, "parameter '" + p->name + "' needs 'init'");
      return nullptr;
    }
    if (p->group.empty()) {
      error(p->loc, "parameter '" + p->name + "' needs 'group' (its optimizer group)");
      return nullptr;
    }
    return p;
  }

  /// ':' followed by an indented block, or by simple statements on the same line.
  bool parseSuite(Suite &body, const char *what) {
    DepthGuard guard(*this, peek().loc);
    if (!guard.ok)
      return false;
    if (!expect(Tok::Colon, what))
      return false;
    if (!accept(Tok::Newline)) {
      parseStatement(body, false); // reports and recovers on its own
      return true;
    }
    if (!accept(Tok::Indent)) {
      error(peek().loc, llvm::Twine("expected an indented block ") + what);
      return false;
    }
    while (!at(Tok::Dedent) && !at(Tok::Eof) && !diags_.tooMany()) {
      if (accept(Tok::Newline))
        continue;
      if (at(Tok::Indent)) {
        error(peek().loc, "unexpected indentation");
        synchronize();
        continue;
      }
      parseStatement(body, false);
    }
    accept(Tok::Dedent);
    return true;
  }

  StmtPtr parseFor() {
    auto f = std::make_unique<ForStmt>(next().loc);
    do {
      if (!at(Tok::Ident)) {
        error(peek().loc, "expected a loop variable name");
        return nullptr;
      }
      f->vars.push_back(next().text);
    } while (accept(Tok::Comma));
    if (f->vars.size() > 2) {
      error(f->loc, "a loop binds one variable, or two with enumerate()");
      return nullptr;
    }
    if (!expect(Tok::KwIn, "after the loop variable"))
      return nullptr;
    if (!(f->iterable = parseExpr()))
      return nullptr;
    if (!parseSuite(f->body, "after the for header"))
      return nullptr;
    return f;
  }

  StmtPtr parseIf() {
    auto s = std::make_unique<IfStmt>(next().loc);
    while (true) {
      IfStmt::Branch b;
      if (!(b.cond = parseExpr()) || !parseSuite(b.body, "after the condition"))
        return nullptr;
      s->branches.push_back(std::move(b));
      if (!accept(Tok::KwElif))
        break;
    }
    if (accept(Tok::KwElse)) {
      s->hasElse = true;
      if (!parseSuite(s->elseBody, "after 'else'"))
        return nullptr;
    }
    return s;
  }

  StmtPtr parseFn(bool topLevel) {
    auto f = std::make_unique<FnStmt>(peek().loc);
    f->isBlock = next().kind == Tok::KwBlock;
    const char *what = f->isBlock ? "block" : "fn";
    if (!topLevel) {
      error(f->loc, llvm::Twine(what) + " definitions belong at the top level");
      return nullptr;
    }
    if (!at(Tok::Ident)) {
      error(peek().loc, llvm::Twine("expected a name after '") + what + "'");
      return nullptr;
    }
    f->name = next().text;
    if (f->isBlock && accept(Tok::LBracket)) {
      if (!at(Tok::Ident)) {
        error(peek().loc, "expected the block's index variable, as in 'block layer[i](x)'");
        return nullptr;
      }
      f->indexVar = next().text;
      if (!expect(Tok::RBracket, "after the index variable"))
        return nullptr;
    }
    if (!expect(Tok::LParen, "to open the argument list"))
      return nullptr;
    if (!at(Tok::RParen)) {
      do {
        if (!at(Tok::Ident)) {
          error(peek().loc, "expected an argument name");
          return nullptr;
        }
        f->params.push_back(next().text);
      } while (accept(Tok::Comma));
    }
    if (!expect(Tok::RParen, "to close the argument list") ||
        !parseSuite(f->body, "after the signature"))
      return nullptr;
    return f;
  }

  StmtPtr parseSection(bool topLevel) {
    auto s = std::make_unique<SectionStmt>(peek().loc);
    s->name = next().text;
    if (!topLevel) {
      error(s->loc, "the " + s->name + " section belongs at the top level");
      return nullptr;
    }
    if (!parseSuite(s->body, "after the section name"))
      return nullptr;
    return s;
  }

  //===--- expressions -----------------------------------------------------===//
  ExprPtr parseExpr() {
    DepthGuard guard(*this, peek().loc);
    if (!guard.ok)
      return nullptr;
    return parseOr();
  }

  /// One left-associative level: operand (op operand)*, where `opFor`
  /// names the operators of the level.
  using Level = ExprPtr (Parser::*)();
  ExprPtr parseLeftAssoc(Level operand, std::optional<BinaryOp> (*opFor)(Tok)) {
    ExprPtr lhs = (this->*operand)();
    while (lhs) {
      std::optional<BinaryOp> op = opFor(peek().kind);
      if (!op)
        return lhs;
      SourceLoc loc = next().loc;
      ExprPtr rhs = (this->*operand)();
      if (!rhs)
        return nullptr;
      lhs = std::make_unique<BinaryExpr>(loc, *op, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  ExprPtr parseOr() {
    return parseLeftAssoc(&Parser::parseAnd, [](Tok t) -> std::optional<BinaryOp> {
      return t == Tok::KwOr ? std::optional(BinaryOp::Or) : std::nullopt;
    });
  }

  ExprPtr parseAnd() {
    return parseLeftAssoc(&Parser::parseNot, [](Tok t) -> std::optional<BinaryOp> {
      return t == Tok::KwAnd ? std::optional(BinaryOp::And) : std::nullopt;
    });
  }

  ExprPtr parseNot() {
    if (at(Tok::KwNot)) {
      DepthGuard guard(*this, peek().loc);
      if (!guard.ok)
        return nullptr;
      SourceLoc loc = next().loc;
      ExprPtr e = parseNot();
      return e ? std::make_unique<UnaryExpr>(loc, UnaryOp::Not, std::move(e)) : nullptr;
    }
    return parseComparison();
  }

  std::optional<BinaryOp> comparisonOp() {
    switch (peek().kind) {
    case Tok::Eq: return BinaryOp::Eq;
    case Tok::Ne: return BinaryOp::Ne;
    case Tok::Lt: return BinaryOp::Lt;
    case Tok::Le: return BinaryOp::Le;
    case Tok::Gt: return BinaryOp::Gt;
    case Tok::Ge: return BinaryOp::Ge;
    case Tok::KwIn: return BinaryOp::In;
    case Tok::KwNot:
      if (peek(1).kind == Tok::KwIn)
        return BinaryOp::NotIn;
      return std::nullopt;
    default: return std::nullopt;
    }
  }

  ExprPtr parseComparison() {
    ExprPtr lhs = parseRange();
    if (!lhs)
      return nullptr;
    auto op = comparisonOp();
    if (!op)
      return lhs;
    SourceLoc loc = next().loc;
    if (*op == BinaryOp::NotIn)
      next();
    ExprPtr rhs = parseRange();
    if (!rhs)
      return nullptr;
    if (comparisonOp()) {
      error(peek().loc, "comparisons do not chain; combine them with 'and'");
      return nullptr;
    }
    return std::make_unique<BinaryExpr>(loc, *op, std::move(lhs), std::move(rhs));
  }

  ExprPtr parseRange() {
    ExprPtr lo = parseAdditive();
    if (!lo || !at(Tok::DotDot))
      return lo;
    SourceLoc loc = next().loc;
    ExprPtr hi = parseAdditive();
    if (!hi)
      return nullptr;
    return std::make_unique<RangeExpr>(loc, std::move(lo), std::move(hi));
  }

  ExprPtr parseAdditive() {
    return parseLeftAssoc(&Parser::parseMultiplicative, [](Tok t) -> std::optional<BinaryOp> {
      switch (t) {
      case Tok::Plus: return BinaryOp::Add;
      case Tok::Minus: return BinaryOp::Sub;
      default: return std::nullopt;
      }
    });
  }

  ExprPtr parseMultiplicative() {
    return parseLeftAssoc(&Parser::parseUnary, [](Tok t) -> std::optional<BinaryOp> {
      switch (t) {
      case Tok::Star: return BinaryOp::Mul;
      case Tok::Slash: return BinaryOp::Div;
      case Tok::SlashSlash: return BinaryOp::FloorDiv;
      case Tok::Percent: return BinaryOp::Mod;
      case Tok::At: return BinaryOp::MatMul;
      default: return std::nullopt;
      }
    });
  }

  ExprPtr parseUnary() {
    if (at(Tok::Minus) || at(Tok::Plus)) {
      DepthGuard guard(*this, peek().loc);
      if (!guard.ok)
        return nullptr;
      UnaryOp op = peek().kind == Tok::Minus ? UnaryOp::Neg : UnaryOp::Plus;
      SourceLoc loc = next().loc;
      ExprPtr e = parseUnary();
      return e ? std::make_unique<UnaryExpr>(loc, op, std::move(e)) : nullptr;
    }
    return parsePower();
  }

  ExprPtr parsePower() {
    ExprPtr base = parsePostfix();
    if (!base || !at(Tok::StarStar))
      return base;
    SourceLoc loc = next().loc;
    ExprPtr exp = parseUnary();
    if (!exp)
      return nullptr;
    return std::make_unique<BinaryExpr>(loc, BinaryOp::Pow, std::move(base), std::move(exp));
  }

  ExprPtr parsePostfix() {
    ExprPtr e = parsePrimary();
    while (e) {
      SourceLoc loc = peek().loc;
      if (accept(Tok::LParen)) {
        std::vector<Arg> args;
        if (!parseArgs(args))
          return nullptr;
        e = std::make_unique<CallExpr>(loc, std::move(e), std::move(args));
      } else if (accept(Tok::LBracket)) {
        std::vector<Subscript> subs;
        if (!parseSubscripts(subs))
          return nullptr;
        e = std::make_unique<IndexExpr>(loc, std::move(e), std::move(subs));
      } else if (accept(Tok::Dot)) {
        if (!at(Tok::Ident)) {
          error(peek().loc, "expected a name after '.'");
          return nullptr;
        }
        e = std::make_unique<AttributeExpr>(loc, std::move(e), next().text);
      } else {
        break;
      }
    }
    return e;
  }

  bool parseArgs(std::vector<Arg> &args) {
    bool keyword = false;
    while (!at(Tok::RParen)) {
      Arg a;
      a.loc = peek().loc;
      if (at(Tok::Ident) && peek(1).kind == Tok::Assign) {
        a.name = next().text;
        next();
        keyword = true;
      } else if (keyword) {
        error(a.loc, "positional argument after a keyword argument");
        return false;
      }
      if (!(a.value = parseExpr()))
        return false;
      args.push_back(std::move(a));
      if (!accept(Tok::Comma))
        break;
    }
    return expect(Tok::RParen, "to close the call");
  }

  bool parseSubscripts(std::vector<Subscript> &subs) {
    do {
      Subscript s;
      s.loc = peek().loc;
      if (!at(Tok::Colon) && !(s.index = parseExpr()))
        return false;
      if (accept(Tok::Colon)) {
        s.isSlice = true;
        s.lo = std::move(s.index);
        if (!at(Tok::Comma) && !at(Tok::RBracket) && !(s.hi = parseExpr()))
          return false;
      }
      subs.push_back(std::move(s));
    } while (accept(Tok::Comma));
    return expect(Tok::RBracket, "to close the subscript");
  }

  ExprPtr parsePrimary() {
    const Token &t = peek();
    SourceLoc loc = t.loc;
    switch (t.kind) {
    case Tok::Int: return std::make_unique<IntExpr>(loc, next().intValue);
    case Tok::Float: return std::make_unique<FloatExpr>(loc, next().floatValue);
    case Tok::String: return std::make_unique<StringExpr>(loc, next().text);
    case Tok::KwTrue: next(); return std::make_unique<BoolExpr>(loc, true);
    case Tok::KwFalse: next(); return std::make_unique<BoolExpr>(loc, false);
    case Tok::KwNone: next(); return std::make_unique<NoneExpr>(loc);
    case Tok::Ident: return std::make_unique<NameExpr>(loc, next().text);
    case Tok::LParen: {
      next();
      std::vector<ExprPtr> elems;
      bool trailingComma = false;
      while (!at(Tok::RParen)) {
        ExprPtr e = parseExpr();
        if (!e)
          return nullptr;
        elems.push_back(std::move(e));
        trailingComma = accept(Tok::Comma);
        if (!trailingComma)
          break;
      }
      if (!expect(Tok::RParen, "to close the parenthesis"))
        return nullptr;
      if (elems.size() == 1 && !trailingComma)
        return std::move(elems[0]);
      return std::make_unique<TupleExpr>(loc, std::move(elems));
    }
    case Tok::LBracket: {
      next();
      std::vector<ExprPtr> elems;
      while (!at(Tok::RBracket)) {
        ExprPtr e = parseExpr();
        if (!e)
          return nullptr;
        elems.push_back(std::move(e));
        if (!accept(Tok::Comma))
          break;
      }
      if (!expect(Tok::RBracket, "to close the list"))
        return nullptr;
      return std::make_unique<ListExpr>(loc, std::move(elems));
    }
    default:
      error(loc, llvm::Twine("expected an expression, found ") + tokName(t.kind));
      return nullptr;
    }
  }

  std::vector<Token> toks_;
  Diagnostics &diags_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool failed_ = false;
};

} // namespace

std::unique_ptr<Module> parse(const SourceFile &file, Diagnostics &diags) {
  // Lexical errors leave a well-formed token stream; parse on to report more.
  std::vector<Token> tokens = lex(file, diags);
  auto module = Parser(std::move(tokens), diags).parseFile();
  return diags.errorCount() > 0 ? nullptr : std::move(module);
}

} // namespace golf

//===- ASTPrinter.cpp - canonical .golf source from the tree --------------===//
//
// Prints a module as normalized source: four-space indentation, one
// statement per line, parentheses only where precedence needs them.
// `golfc compile --emit=ast` uses it; re-parsing its output reproduces it.
//
//===----------------------------------------------------------------------===//
#include "frontend/AST.h"

#include "llvm/Support/Format.h"
#include <cmath>

namespace golf {

const char *spelling(UnaryOp op) {
  switch (op) {
  case UnaryOp::Neg: return "-";
  case UnaryOp::Plus: return "+";
  case UnaryOp::Not: return "not ";
  }
  return "?";
}

const char *spelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add: return "+";
  case BinaryOp::Sub: return "-";
  case BinaryOp::Mul: return "*";
  case BinaryOp::Div: return "/";
  case BinaryOp::FloorDiv: return "//";
  case BinaryOp::Mod: return "%";
  case BinaryOp::Pow: return "**";
  case BinaryOp::MatMul: return "@";
  case BinaryOp::Eq: return "==";
  case BinaryOp::Ne: return "!=";
  case BinaryOp::Lt: return "<";
  case BinaryOp::Le: return "<=";
  case BinaryOp::Gt: return ">";
  case BinaryOp::Ge: return ">=";
  case BinaryOp::And: return "and";
  case BinaryOp::Or: return "or";
  case BinaryOp::In: return "in";
  case BinaryOp::NotIn: return "not in";
  }
  return "?";
}

namespace {

// Binding strength, loosest first; mirrors the parser's descent.
enum Prec { kOr = 1, kAnd, kNot, kCompare, kRange, kAdd, kMul, kUnary, kPow, kPostfix };

int precedence(const Expr &e) {
  if (auto *b = llvm::dyn_cast<BinaryExpr>(&e)) {
    switch (b->op) {
    case BinaryOp::Or: return kOr;
    case BinaryOp::And: return kAnd;
    case BinaryOp::Add: case BinaryOp::Sub: return kAdd;
    case BinaryOp::Mul: case BinaryOp::Div: case BinaryOp::FloorDiv:
    case BinaryOp::Mod: case BinaryOp::MatMul: return kMul;
    case BinaryOp::Pow: return kPow;
    default: return kCompare;
    }
  }
  if (auto *u = llvm::dyn_cast<UnaryExpr>(&e))
    return u->op == UnaryOp::Not ? kNot : kUnary;
  if (llvm::isa<RangeExpr>(e))
    return kRange;
  return kPostfix;
}

class Printer {
public:
  explicit Printer(llvm::raw_ostream &os) : os_(os) {}

  void module(const Module &m) {
    os_ << "model " << m.name << "\n";
    for (const StmtPtr &s : m.body) {
      if (llvm::isa<FnStmt, SectionStmt>(*s))
        os_ << "\n";
      stmt(*s, 0);
    }
  }

private:
  void indent(int level) { os_.indent(level * 4); }

  void suite(const Suite &body, int level) {
    os_ << ":\n";
    for (const StmtPtr &s : body)
      stmt(*s, level + 1);
  }

  void stmt(const Stmt &s, int level) {
    indent(level);
    switch (s.kind) {
    case Stmt::Kind::Assign: {
      auto &a = llvm::cast<AssignStmt>(s);
      llvm::interleave(a.targets, os_, ", ");
      os_ << " = ";
      topExpr(*a.value);
      os_ << "\n";
      return;
    }
    case Stmt::Kind::Expr:
      expr(*llvm::cast<ExprStmt>(s).expr, 0);
      os_ << "\n";
      return;
    case Stmt::Kind::Param: {
      auto &p = llvm::cast<ParamStmt>(s);
      os_ << "param " << p.name << " : " << p.dtype << "[";
      for (size_t i = 0; i < p.shape.size(); ++i) {
        if (i)
          os_ << ", ";
        expr(*p.shape[i], 0);
      }
      os_ << "] init ";
      expr(*p.init, kPostfix);
      os_ << " group " << p.group;
      if (!p.quant.empty())
        os_ << " quant " << p.quant;
      if (p.wd) {
        os_ << " wd ";
        expr(*p.wd, kUnary);
      }
      os_ << "\n";
      return;
    }
    case Stmt::Kind::For: {
      auto &f = llvm::cast<ForStmt>(s);
      os_ << "for ";
      llvm::interleave(f.vars, os_, ", ");
      os_ << " in ";
      expr(*f.iterable, 0);
      suite(f.body, level);
      return;
    }
    case Stmt::Kind::If: {
      auto &f = llvm::cast<IfStmt>(s);
      for (size_t i = 0; i < f.branches.size(); ++i) {
        if (i)
          indent(level);
        os_ << (i ? "elif " : "if ");
        expr(*f.branches[i].cond, 0);
        suite(f.branches[i].body, level);
      }
      if (f.hasElse) {
        indent(level);
        os_ << "else";
        suite(f.elseBody, level);
      }
      return;
    }
    case Stmt::Kind::Return: {
      auto &r = llvm::cast<ReturnStmt>(s);
      os_ << "return";
      for (size_t i = 0; i < r.values.size(); ++i) {
        os_ << (i ? ", " : " ");
        expr(*r.values[i], 0);
      }
      os_ << "\n";
      return;
    }
    case Stmt::Kind::Assert: {
      auto &a = llvm::cast<AssertStmt>(s);
      os_ << "assert ";
      expr(*a.cond, 0);
      if (!a.message.empty()) {
        os_ << ", ";
        string(a.message);
      }
      os_ << "\n";
      return;
    }
    case Stmt::Kind::Fn: {
      auto &f = llvm::cast<FnStmt>(s);
      os_ << (f.isBlock ? "block " : "fn ") << f.name;
      if (!f.indexVar.empty())
        os_ << "[" << f.indexVar << "]";
      os_ << "(";
      llvm::interleave(f.params, os_, ", ");
      os_ << ")";
      suite(f.body, level);
      return;
    }
    case Stmt::Kind::Section: {
      auto &sec = llvm::cast<SectionStmt>(s);
      os_ << sec.name;
      suite(sec.body, level);
      return;
    }
    }
  }

  /// A tuple on the right of '=' prints without parentheses.
  void topExpr(const Expr &e) {
    if (auto *t = llvm::dyn_cast<TupleExpr>(&e); t && t->elements.size() > 1) {
      exprList(t->elements);
      return;
    }
    expr(e, 0);
  }

  void exprList(const std::vector<ExprPtr> &elems) {
    for (size_t i = 0; i < elems.size(); ++i) {
      if (i)
        os_ << ", ";
      expr(*elems[i], 0);
    }
  }

  void string(const std::string &s) {
    os_ << '"';
    for (char c : s) {
      if (c == '"' || c == '\\')
        os_ << '\\' << c;
      else if (c == '\n')
        os_ << "\\n";
      else if (c == '\t')
        os_ << "\\t";
      else
        os_ << c;
    }
    os_ << '"';
  }

  /// Prints `e`, parenthesized if it binds looser than `minPrec`.
  void expr(const Expr &e, int minPrec) {
    bool parens = precedence(e) < minPrec;
    if (parens)
      os_ << "(";
    exprBody(e);
    if (parens)
      os_ << ")";
  }

  void exprBody(const Expr &e) {
    switch (e.kind) {
    case Expr::Kind::Int:
      os_ << llvm::cast<IntExpr>(e).value;
      return;
    case Expr::Kind::Float: {
      // Shortest form that reads back to the same double, always with a '.' or 'e'.
      double v = llvm::cast<FloatExpr>(e).value;
      char buf[64];
      for (int digits = 1; digits <= 17; ++digits) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (std::strtod(buf, nullptr) == v)
          break;
      }
      std::string s(buf);
      if (s.find_first_of(".eEn") == std::string::npos)
        s += ".0";
      os_ << s;
      return;
    }
    case Expr::Kind::String:
      string(llvm::cast<StringExpr>(e).value);
      return;
    case Expr::Kind::Bool:
      os_ << (llvm::cast<BoolExpr>(e).value ? "true" : "false");
      return;
    case Expr::Kind::None:
      os_ << "none";
      return;
    case Expr::Kind::Name:
      os_ << llvm::cast<NameExpr>(e).name;
      return;
    case Expr::Kind::Unary: {
      auto &u = llvm::cast<UnaryExpr>(e);
      os_ << spelling(u.op);
      expr(*u.operand, u.op == UnaryOp::Not ? kNot : kUnary);
      return;
    }
    case Expr::Kind::Binary: {
      auto &b = llvm::cast<BinaryExpr>(e);
      int p = precedence(e);
      bool rightAssoc = b.op == BinaryOp::Pow;
      bool nonAssoc = p == kCompare;
      // Operands of '**' print at unary strength on the right (2 ** -1).
      expr(*b.lhs, rightAssoc || nonAssoc ? p + 1 : p);
      os_ << " " << spelling(b.op) << " ";
      expr(*b.rhs, rightAssoc ? kUnary : p + 1);
      return;
    }
    case Expr::Kind::Call: {
      auto &c = llvm::cast<CallExpr>(e);
      expr(*c.callee, kPostfix);
      os_ << "(";
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i)
          os_ << ", ";
        if (!c.args[i].name.empty())
          os_ << c.args[i].name << " = ";
        expr(*c.args[i].value, 0);
      }
      os_ << ")";
      return;
    }
    case Expr::Kind::Index: {
      auto &x = llvm::cast<IndexExpr>(e);
      expr(*x.base, kPostfix);
      os_ << "[";
      for (size_t i = 0; i < x.subscripts.size(); ++i) {
        const Subscript &s = x.subscripts[i];
        if (i)
          os_ << ", ";
        if (!s.isSlice) {
          expr(*s.index, 0);
          continue;
        }
        if (s.lo)
          expr(*s.lo, 0);
        os_ << ":";
        if (s.hi)
          expr(*s.hi, 0);
      }
      os_ << "]";
      return;
    }
    case Expr::Kind::Attribute: {
      auto &a = llvm::cast<AttributeExpr>(e);
      // `(0).n`: without parentheses `0.n` would lex as a number.
      expr(*a.base, llvm::isa<IntExpr, FloatExpr>(*a.base) ? kPostfix + 1 : kPostfix);
      os_ << "." << a.name;
      return;
    }
    case Expr::Kind::Tuple: {
      auto &t = llvm::cast<TupleExpr>(e);
      os_ << "(";
      exprList(t.elements);
      if (t.elements.size() == 1)
        os_ << ",";
      os_ << ")";
      return;
    }
    case Expr::Kind::List:
      os_ << "[";
      exprList(llvm::cast<ListExpr>(e).elements);
      os_ << "]";
      return;
    case Expr::Kind::Range: {
      auto &r = llvm::cast<RangeExpr>(e);
      expr(*r.lo, kRange + 1);
      os_ << " .. ";
      expr(*r.hi, kRange + 1);
      return;
    }
    }
  }

  llvm::raw_ostream &os_;
};

} // namespace

void printModule(const Module &module, llvm::raw_ostream &os) {
  Printer(os).module(module);
}

} // namespace golf

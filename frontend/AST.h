//===- AST.h - syntax tree of the .golf language ----------------*- C++ -*-===//
//
// A .golf file is a model name followed by statements. Statements at the top
// level define hyperparameters, parameters, functions, blocks and the train,
// export and eval sections; the same statement forms make up function
// bodies. Every node keeps its source position for diagnostics.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_FRONTEND_AST_H
#define GOLF_FRONTEND_AST_H

#include "frontend/Diagnostics.h"
#include "llvm/Support/Casting.h"
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace golf {

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

struct Expr {
  enum class Kind { Int, Float, String, Bool, None, Name, Unary, Binary, Call,
                    Index, Attribute, Tuple, List, Range };
  Expr(Kind kind, SourceLoc loc) : kind(kind), loc(loc) {}
  virtual ~Expr() = default;
  const Kind kind;
  SourceLoc loc;
};
using ExprPtr = std::unique_ptr<Expr>;

struct IntExpr : Expr {
  IntExpr(SourceLoc loc, int64_t v) : Expr(Kind::Int, loc), value(v) {}
  int64_t value;
  static bool classof(const Expr *e) { return e->kind == Kind::Int; }
};

struct FloatExpr : Expr {
  FloatExpr(SourceLoc loc, double v) : Expr(Kind::Float, loc), value(v) {}
  double value;
  static bool classof(const Expr *e) { return e->kind == Kind::Float; }
};

struct StringExpr : Expr {
  StringExpr(SourceLoc loc, std::string v) : Expr(Kind::String, loc), value(std::move(v)) {}
  std::string value;
  static bool classof(const Expr *e) { return e->kind == Kind::String; }
};

struct BoolExpr : Expr {
  BoolExpr(SourceLoc loc, bool v) : Expr(Kind::Bool, loc), value(v) {}
  bool value;
  static bool classof(const Expr *e) { return e->kind == Kind::Bool; }
};

struct NoneExpr : Expr {
  explicit NoneExpr(SourceLoc loc) : Expr(Kind::None, loc) {}
  static bool classof(const Expr *e) { return e->kind == Kind::None; }
};

struct NameExpr : Expr {
  NameExpr(SourceLoc loc, std::string n) : Expr(Kind::Name, loc), name(std::move(n)) {}
  std::string name;
  static bool classof(const Expr *e) { return e->kind == Kind::Name; }
};

enum class UnaryOp { Neg, Plus, Not };
enum class BinaryOp { Add, Sub, Mul, Div, FloorDiv, Mod, Pow, MatMul,
                      Eq, Ne, Lt, Le, Gt, Ge, And, Or, In, NotIn };
const char *spelling(UnaryOp op);
const char *spelling(BinaryOp op);

struct UnaryExpr : Expr {
  UnaryExpr(SourceLoc loc, UnaryOp op, ExprPtr e)
      : Expr(Kind::Unary, loc), op(op), operand(std::move(e)) {}
  UnaryOp op;
  ExprPtr operand;
  static bool classof(const Expr *e) { return e->kind == Kind::Unary; }
};

struct BinaryExpr : Expr {
  BinaryExpr(SourceLoc loc, BinaryOp op, ExprPtr l, ExprPtr r)
      : Expr(Kind::Binary, loc), op(op), lhs(std::move(l)), rhs(std::move(r)) {}
  BinaryOp op;
  ExprPtr lhs, rhs;
  static bool classof(const Expr *e) { return e->kind == Kind::Binary; }
};

/// A call argument: positional (empty name) or keyword.
struct Arg {
  std::string name;
  SourceLoc loc;
  ExprPtr value;
};

struct CallExpr : Expr {
  CallExpr(SourceLoc loc, ExprPtr callee, std::vector<Arg> args)
      : Expr(Kind::Call, loc), callee(std::move(callee)), args(std::move(args)) {}
  ExprPtr callee;
  std::vector<Arg> args;
  static bool classof(const Expr *e) { return e->kind == Kind::Call; }
};

/// One subscript: an index expression, or a slice `lo:hi` with either side
/// optional.
struct Subscript {
  SourceLoc loc;
  bool isSlice = false;
  ExprPtr index; // when !isSlice
  ExprPtr lo, hi;
};

struct IndexExpr : Expr {
  IndexExpr(SourceLoc loc, ExprPtr base, std::vector<Subscript> subs)
      : Expr(Kind::Index, loc), base(std::move(base)), subscripts(std::move(subs)) {}
  ExprPtr base;
  std::vector<Subscript> subscripts;
  static bool classof(const Expr *e) { return e->kind == Kind::Index; }
};

struct AttributeExpr : Expr {
  AttributeExpr(SourceLoc loc, ExprPtr base, std::string name)
      : Expr(Kind::Attribute, loc), base(std::move(base)), name(std::move(name)) {}
  ExprPtr base;
  std::string name;
  static bool classof(const Expr *e) { return e->kind == Kind::Attribute; }
};

struct TupleExpr : Expr {
  TupleExpr(SourceLoc loc, std::vector<ExprPtr> elems)
      : Expr(Kind::Tuple, loc), elements(std::move(elems)) {}
  std::vector<ExprPtr> elements;
  static bool classof(const Expr *e) { return e->kind == Kind::Tuple; }
};

struct ListExpr : Expr {
  ListExpr(SourceLoc loc, std::vector<ExprPtr> elems)
      : Expr(Kind::List, loc), elements(std::move(elems)) {}
  std::vector<ExprPtr> elements;
  static bool classof(const Expr *e) { return e->kind == Kind::List; }
};

/// `lo .. hi`: the integers lo, lo+1, ..., hi-1.
struct RangeExpr : Expr {
  RangeExpr(SourceLoc loc, ExprPtr lo, ExprPtr hi)
      : Expr(Kind::Range, loc), lo(std::move(lo)), hi(std::move(hi)) {}
  ExprPtr lo, hi;
  static bool classof(const Expr *e) { return e->kind == Kind::Range; }
};

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Suite = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind { Assign, Expr, Param, For, If, Return, Assert, Fn, Section };
  Stmt(Kind kind, SourceLoc loc) : kind(kind), loc(loc) {}
  virtual ~Stmt() = default;
  const Kind kind;
  SourceLoc loc;
};

/// `a = e` or `a, b = e` (unpacking a tuple).
struct AssignStmt : Stmt {
  AssignStmt(SourceLoc loc, std::vector<std::string> targets, ExprPtr value)
      : Stmt(Kind::Assign, loc), targets(std::move(targets)), value(std::move(value)) {}
  std::vector<std::string> targets;
  ExprPtr value;
  static bool classof(const Stmt *s) { return s->kind == Kind::Assign; }
};

struct ExprStmt : Stmt {
  ExprStmt(SourceLoc loc, ExprPtr e) : Stmt(Kind::Expr, loc), expr(std::move(e)) {}
  ExprPtr expr;
  static bool classof(const Stmt *s) { return s->kind == Kind::Expr; }
};

/// `param NAME : DTYPE[dims] init I group G quant Q wd W`.
struct ParamStmt : Stmt {
  ParamStmt(SourceLoc loc) : Stmt(Kind::Param, loc) {}
  std::string name;
  std::string dtype; // empty: f32
  SourceLoc dtypeLoc;
  std::vector<ExprPtr> shape;
  ExprPtr init;      // a name or a call; required
  std::string group; // required
  std::string quant; // empty: "none"
  SourceLoc groupLoc, quantLoc;
  ExprPtr wd;        // optional weight-decay override
  static bool classof(const Stmt *s) { return s->kind == Kind::Param; }
};

struct ForStmt : Stmt {
  ForStmt(SourceLoc loc) : Stmt(Kind::For, loc) {}
  std::vector<std::string> vars; // one, or two for `for j, i in enumerate(...)`
  ExprPtr iterable;
  Suite body;
  static bool classof(const Stmt *s) { return s->kind == Kind::For; }
};

struct IfStmt : Stmt {
  IfStmt(SourceLoc loc) : Stmt(Kind::If, loc) {}
  struct Branch {
    ExprPtr cond;
    Suite body;
  };
  std::vector<Branch> branches; // if, elif...
  Suite elseBody;
  bool hasElse = false;
  static bool classof(const Stmt *s) { return s->kind == Kind::If; }
};

struct ReturnStmt : Stmt {
  ReturnStmt(SourceLoc loc, std::vector<ExprPtr> values)
      : Stmt(Kind::Return, loc), values(std::move(values)) {}
  std::vector<ExprPtr> values;
  static bool classof(const Stmt *s) { return s->kind == Kind::Return; }
};

struct AssertStmt : Stmt {
  AssertStmt(SourceLoc loc, ExprPtr cond, std::string message)
      : Stmt(Kind::Assert, loc), cond(std::move(cond)), message(std::move(message)) {}
  ExprPtr cond;
  std::string message;
  static bool classof(const Stmt *s) { return s->kind == Kind::Assert; }
};

/// `fn name(a, b):` or `block name(a):` or `block name[i](a):`. Blocks own
/// parameters (declared in their body) named `name.i.param`; functions may
/// not declare parameters.
struct FnStmt : Stmt {
  FnStmt(SourceLoc loc) : Stmt(Kind::Fn, loc) {}
  bool isBlock = false;
  std::string name;
  std::string indexVar; // blocks only; empty if the block has one instance
  std::vector<std::string> params;
  Suite body;
  static bool classof(const Stmt *s) { return s->kind == Kind::Fn; }
};

/// `train:`, `export:` or `eval:` followed by settings.
struct SectionStmt : Stmt {
  SectionStmt(SourceLoc loc) : Stmt(Kind::Section, loc) {}
  std::string name;
  Suite body;
  static bool classof(const Stmt *s) { return s->kind == Kind::Section; }
};

struct Module {
  std::string name;
  SourceLoc loc;
  Suite body;
};

/// Prints the module as canonical .golf source; parsing the output again
/// gives the same tree (the round-trip property the tests check).
void printModule(const Module &module, llvm::raw_ostream &os);

} // namespace golf

#endif // GOLF_FRONTEND_AST_H

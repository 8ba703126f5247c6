//===- Elaborator.h - compile-time evaluation of .golf ---------*- C++ -*-===//
//
// The elaborator walks the syntax tree like an interpreter: numbers, lists,
// loops and conditionals are evaluated on the spot; tensor expressions emit
// golf ops at the current insertion point. Functions and blocks are inlined
// at every call, so the IR is straight-line with static shapes. Every error
// is reported at its source position and evaluation stops; budgets on steps,
// call depth and op count make every input terminate.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_FRONTEND_ELABORATOR_H
#define GOLF_FRONTEND_ELABORATOR_H

#include "frontend/Settings.h"
#include "frontend/Value.h"
#include "ir/GolfOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

namespace golf {

using namespace mlir::golf;

using MaybeValue = std::optional<Value>;
using MaybeTensor = std::optional<mlir::Value>;

struct Scope {
  std::map<std::string, Value> vars;
  Scope *parent = nullptr;
  Value *lookup(const std::string &name) {
    for (Scope *s = this; s; s = s->parent)
      if (auto it = s->vars.find(name); it != s->vars.end())
        return &it->second;
    return nullptr;
  }
};

/// An evaluated call argument.
struct CallArg {
  std::string name; // empty for positional
  Value value;
  SourceLoc loc;
};

class Elaborator {
public:
  Elaborator(mlir::MLIRContext &ctx, mlir::ModuleOp module, Diagnostics &diags,
             const std::map<std::string, const Expr *> &overrides);

  /// Runs the top-level statements: hyperparameters, parameters, function
  /// and block definitions, sections.
  bool runTopLevel(const Suite &body);

  /// Calls a top-level function by name inside a fresh func.func.
  Scope &globals() { return globals_; }
  MaybeValue callFunction(const Value &callee, std::vector<CallArg> args, SourceLoc loc);
  MaybeTensor asTensor(const Value &v, SourceLoc loc);
  mlir::OpBuilder &builder() { return b_; }
  mlir::Location loc(SourceLoc l);
  Diagnostics &diags() { return diags_; }
  void beginFunction() { paramRefs_.clear(); inFunction_ = true; }
  void endFunction() { inFunction_ = false; }
  const std::vector<std::pair<std::string, mlir::DictionaryAttr>> &sections() const {
    return sectionAttrs_;
  }
  const std::map<std::string, const Expr *> &unusedOverrides() const { return overrides_; }
  SourceLoc sectionLoc(const std::string &name) const {
    auto it = sectionLocs_.find(name);
    return it == sectionLocs_.end() ? SourceLoc{} : it->second;
  }

  /// Creates op OpTy with inferred result type; reports and returns nothing if
  /// the operands or attributes do not fit.
  template <typename OpTy>
  MaybeTensor make(SourceLoc at, mlir::ValueRange operands,
                   llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    mlir::OperationState state(loc(at), OpTy::getOperationName());
    state.addOperands(operands);
    state.addAttributes(attrs);
    llvm::SmallVector<mlir::Type> types;
    if (mlir::failed(OpTy::inferReturnTypes(
            b_.getContext(), state.location, state.operands,
            state.attributes.getDictionary(b_.getContext()), state.getRawProperties(),
            state.regions, types)))
      return std::nullopt;
    state.addTypes(types);
    return finish(b_.create(state));
  }
  /// Creates an op whose result type is given (reshape, broadcast).
  MaybeTensor makeTyped(llvm::StringRef name, SourceLoc at, mlir::Value input,
                        mlir::Type result);

  mlir::NamedAttribute attr(llvm::StringRef name, mlir::Attribute a) {
    return b_.getNamedAttr(name, a);
  }

private:
  friend class Builtins;
  enum class Flow { Normal, Return, Error };

  // statements
  Flow exec(const Suite &body, Scope &scope);
  Flow execStmt(const Stmt &s, Scope &scope);
  Flow execParam(const ParamStmt &p, Scope &scope);
  Flow execSection(const SectionStmt &s, Scope &scope);
  MaybeValue evalInitializer(const Expr &e, Scope &scope);
  bool assign(const std::vector<std::string> &targets, Value v, SourceLoc loc, Scope &scope);

  // expressions
  MaybeValue eval(const Expr &e, Scope &scope);
  MaybeValue evalName(const NameExpr &e, Scope &scope);
  MaybeValue evalUnary(const UnaryExpr &e, Scope &scope);
  MaybeValue evalBinary(const BinaryExpr &e, Scope &scope);
  MaybeValue evalCall(const CallExpr &e, Scope &scope);
  MaybeValue evalIndex(const IndexExpr &e, Scope &scope);
  MaybeValue evalAttribute(const AttributeExpr &e, Scope &scope);
  MaybeValue evalMatmul(const BinaryExpr &e, Scope &scope);
  MaybeValue arithmetic(BinaryOp op, const Value &l, const Value &r, SourceLoc loc);
  MaybeValue tensorArithmetic(BinaryOp op, const Value &l, const Value &r, SourceLoc loc);
  MaybeValue indexTensor(mlir::Value t, const IndexExpr &e, Scope &scope);
  std::optional<bool> truth(const Value &v, SourceLoc loc);
  std::optional<int64_t> toInt(const Value &v, SourceLoc loc, const char *what);
  std::optional<ValueList> iterate(const Value &v, SourceLoc loc);

  // calls
  MaybeValue callUser(const FnStmt &fn, std::optional<int64_t> index,
                      std::vector<CallArg> args, SourceLoc loc);
  MaybeValue callBuiltin(const std::string &name, std::vector<CallArg> args,
                         SourceLoc loc);

  // tensors
  MaybeTensor constant(double v, mlir::Type element, SourceLoc loc);
  std::optional<std::pair<mlir::Value, mlir::Value>> unify(const Value &l, const Value &r,
                                                           SourceLoc loc);
  MaybeTensor castTo(mlir::Value v, mlir::Type element, SourceLoc loc);
  /// Common float type of two: f64 > f32 > {bf16, f16}; bf16 with f16 is f32.
  mlir::Type promoteFloat(mlir::Type a, mlir::Type b);
  MaybeTensor finish(mlir::Operation *op);

  bool tick(SourceLoc loc);
  bool error(SourceLoc loc, const llvm::Twine &msg) {
    diags_.error(loc, msg);
    return false;
  }

  mlir::MLIRContext &ctx_;
  mlir::ModuleOp module_;
  Diagnostics &diags_;
  mlir::OpBuilder b_;
  mlir::OpBuilder paramBuilder_;
  Scope globals_;
  std::map<std::string, const Expr *> overrides_;
  llvm::StringMap<ParamOp> params_;
  std::map<std::string, mlir::Value> paramRefs_;
  std::vector<std::string> prefix_;
  std::vector<std::pair<std::string, mlir::DictionaryAttr>> sectionAttrs_;
  std::map<std::string, SourceLoc> sectionLocs_;
  bool inFunction_ = false;
  bool inSection_ = false;
  bool inBlock_ = false;
  int callDepth_ = 0;
  int64_t steps_ = 0;
  int64_t ops_ = 0;
  Value returnValue_;
};

} // namespace golf

#endif // GOLF_FRONTEND_ELABORATOR_H

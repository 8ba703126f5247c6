//===- Value.h - compile-time values of the elaborator ----------*- C++ -*-===//
//
// Lowering runs the .golf program at compile time: hyperparameters, loops
// and conditionals are evaluated, and only tensor operations become IR.
// A Value is anything a name can hold while that happens.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_FRONTEND_VALUE_H
#define GOLF_FRONTEND_VALUE_H

#include "frontend/AST.h"
#include "mlir/IR/Value.h"
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace golf {

struct Value;
using ValueList = std::vector<Value>;

/// A call that is data rather than computation: `sdclip(k = 12)` in an
/// export section, `normal(std = 0.02)` as an initializer.
struct Record {
  std::string name;
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

struct Value {
  enum class Kind { None, Int, Float, Bool, Str, Symbol, List, Tuple, Tensor,
                    Param, Fn, BlockInstance, Builtin, Record };
  Kind kind = Kind::None;
  int64_t i = 0;      // Int; BlockInstance index
  double f = 0;       // Float
  bool b = false;     // Bool; BlockInstance: has an index
  std::string s;      // Str, Symbol, Param (full name), Builtin (name)
  std::shared_ptr<ValueList> items; // List (shared, mutable), Tuple
  mlir::Value tensor;               // Tensor
  const FnStmt *fn = nullptr;       // Fn, BlockInstance
  std::shared_ptr<Record> record;   // Record
  /// In sections: the bare name this value was written as (`by = wallclock`),
  /// so a setting that expects a name gets the name even when a
  /// hyperparameter of the same name exists.
  std::string spelled;

  static Value none() { return Value(); }
  static Value integer(int64_t v) { Value x; x.kind = Kind::Int; x.i = v; return x; }
  static Value number(double v) { Value x; x.kind = Kind::Float; x.f = v; return x; }
  static Value boolean(bool v) { Value x; x.kind = Kind::Bool; x.b = v; return x; }
  static Value str(std::string v) { Value x; x.kind = Kind::Str; x.s = std::move(v); return x; }
  static Value symbol(std::string v) { Value x; x.kind = Kind::Symbol; x.s = std::move(v); return x; }
  static Value list(ValueList v) {
    Value x; x.kind = Kind::List; x.items = std::make_shared<ValueList>(std::move(v)); return x;
  }
  static Value tuple(ValueList v) {
    Value x; x.kind = Kind::Tuple; x.items = std::make_shared<ValueList>(std::move(v)); return x;
  }
  static Value ofTensor(mlir::Value t) { Value x; x.kind = Kind::Tensor; x.tensor = t; return x; }
  static Value param(std::string name) { Value x; x.kind = Kind::Param; x.s = std::move(name); return x; }
  static Value function(const FnStmt *f) { Value x; x.kind = Kind::Fn; x.fn = f; return x; }
  static Value blockInstance(const FnStmt *f, bool indexed, int64_t index) {
    Value x; x.kind = Kind::BlockInstance; x.fn = f; x.b = indexed; x.i = index; return x;
  }
  static Value builtin(std::string name) { Value x; x.kind = Kind::Builtin; x.s = std::move(name); return x; }
  static Value ofRecord(Record r) {
    Value x; x.kind = Kind::Record; x.record = std::make_shared<Record>(std::move(r)); return x;
  }

  bool isNumber() const { return kind == Kind::Int || kind == Kind::Float; }
  double asDouble() const { return kind == Kind::Int ? double(i) : f; }
  bool isTensorLike() const { return kind == Kind::Tensor || kind == Kind::Param; }
};

/// "an integer", "a tensor", ... for messages.
const char *describe(Value::Kind kind);

/// Source-like rendering of a compile-time value, for messages and settings.
std::string render(const Value &v);

} // namespace golf

#endif // GOLF_FRONTEND_VALUE_H

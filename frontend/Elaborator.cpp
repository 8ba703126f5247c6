//===- Elaborator.cpp - compile-time evaluation of .golf -----------------===//
#include "frontend/Elaborator.h"

#include "llvm/ADT/StringExtras.h"
#include <cmath>

namespace golf {

namespace {
constexpr int64_t kMaxSteps = 2'000'000;
constexpr int64_t kMaxOps = 1'000'000;
constexpr int kMaxCallDepth = 64;
constexpr int64_t kMaxListSize = 1 << 20;

/// Python's floor division and modulo on int64, with overflow reported.
std::optional<int64_t> floorDiv(int64_t a, int64_t b) {
  if (b == 0 || (a == INT64_MIN && b == -1))
    return std::nullopt;
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}
} // namespace

const char *describe(Value::Kind kind) {
  switch (kind) {
  case Value::Kind::None: return "none";
  case Value::Kind::Int: return "an integer";
  case Value::Kind::Float: return "a number";
  case Value::Kind::Bool: return "a boolean";
  case Value::Kind::Str: return "a string";
  case Value::Kind::Symbol: return "a name";
  case Value::Kind::List: return "a list";
  case Value::Kind::Tuple: return "a tuple";
  case Value::Kind::Tensor: return "a tensor";
  case Value::Kind::Param: return "a parameter";
  case Value::Kind::Fn: return "a function";
  case Value::Kind::BlockInstance: return "a block";
  case Value::Kind::Builtin: return "a built-in function";
  case Value::Kind::Record: return "a settings record";
  }
  return "a value";
}

std::string render(const Value &v) {
  switch (v.kind) {
  case Value::Kind::None: return "none";
  case Value::Kind::Int: return std::to_string(v.i);
  case Value::Kind::Float: {
    char buf[32];
    snprintf(buf, sizeof buf, "%g", v.f);
    return buf;
  }
  case Value::Kind::Bool: return v.b ? "true" : "false";
  case Value::Kind::Str: return "\"" + v.s + "\"";
  case Value::Kind::Symbol: return v.s;
  case Value::Kind::List:
  case Value::Kind::Tuple: {
    std::vector<std::string> parts;
    for (const Value &e : *v.items)
      parts.push_back(render(e));
    bool list = v.kind == Value::Kind::List;
    return (list ? "[" : "(") + llvm::join(parts, ", ") + (list ? "]" : ")");
  }
  case Value::Kind::Record: {
    std::vector<std::string> parts;
    for (const Value &e : v.record->positional)
      parts.push_back(render(e));
    for (const auto &[k, e] : v.record->keywords)
      parts.push_back(k + " = " + render(e));
    return v.record->name + "(" + llvm::join(parts, ", ") + ")";
  }
  case Value::Kind::Param: return "parameter " + v.s;
  case Value::Kind::Fn: return "function " + v.fn->name;
  case Value::Kind::BlockInstance:
    return "block " + v.fn->name + (v.b ? "[" + std::to_string(v.i) + "]" : "");
  case Value::Kind::Builtin: return "built-in " + v.s;
  case Value::Kind::Tensor: {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "tensor " << v.tensor.getType();
    return os.str();
  }
  }
  return "?";
}

Elaborator::Elaborator(mlir::MLIRContext &ctx, mlir::ModuleOp module, Diagnostics &diags,
                       const std::map<std::string, const Expr *> &overrides)
    : ctx_(ctx), module_(module), diags_(diags), b_(&ctx), paramBuilder_(&ctx),
      overrides_(overrides) {
  for (const char *name :
       {"rms_norm", "rope", "attention", "softcap", "cross_entropy", "relu", "square",
        "sqrt", "rsqrt", "exp", "log", "tanh", "sigmoid", "abs", "round", "stop_gradient", "leaky_relu",
        "clamp", "split_heads", "merge_heads", "reshape", "transpose", "concat", "shift",
        "bigram_hash", "sum", "mean", "max", "min", "maximum", "minimum", "select",
        "fake_quant", "broadcast", "cast", "float", "int", "len", "enumerate", "range"})
    globals_.vars[name] = Value::builtin(name);
  for (const char *dtype : {"f32", "bf16", "f16", "f64"})
    globals_.vars[dtype] = Value::symbol(dtype);
}

mlir::Location Elaborator::loc(SourceLoc l) {
  return mlir::FileLineColLoc::get(&ctx_, diags_.file().name(), l.line, l.col);
}

bool Elaborator::tick(SourceLoc loc) {
  if (++steps_ <= kMaxSteps)
    return true;
  return error(loc, "compile-time evaluation takes more than 2,000,000 steps; is a loop too long?");
}

MaybeTensor Elaborator::finish(mlir::Operation *op) {
  if (++ops_ > kMaxOps) {
    op->erase();
    diags_.error({}, "the model needs more than 1,000,000 ops");
    return std::nullopt;
  }
  // The op verifier checks attribute ranges that type inference does not.
  if (mlir::failed(mlir::verify(op, /*verifyRecursively=*/false))) {
    op->erase();
    return std::nullopt;
  }
  return op->getResult(0);
}

MaybeTensor Elaborator::makeTyped(llvm::StringRef name, SourceLoc at, mlir::Value input,
                                  mlir::Type result) {
  mlir::OperationState state(loc(at), name);
  state.addOperands(input);
  state.addTypes(result);
  return finish(b_.create(state));
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool Elaborator::runTopLevel(const Suite &body) {
  return exec(body, globals_) != Flow::Error;
}

Elaborator::Flow Elaborator::exec(const Suite &body, Scope &scope) {
  for (const StmtPtr &s : body) {
    Flow f = execStmt(*s, scope);
    if (f != Flow::Normal)
      return f;
  }
  return Flow::Normal;
}

bool Elaborator::assign(const std::vector<std::string> &targets, Value v, SourceLoc loc,
                        Scope &scope) {
  if (targets.size() == 1) {
    scope.vars[targets[0]] = std::move(v);
    return true;
  }
  if ((v.kind != Value::Kind::Tuple && v.kind != Value::Kind::List) ||
      v.items->size() != targets.size())
    return error(loc, "cannot unpack " + render(v) + " into " +
                          std::to_string(targets.size()) + " names");
  for (size_t i = 0; i < targets.size(); ++i)
    scope.vars[targets[i]] = (*v.items)[i];
  return true;
}

Elaborator::Flow Elaborator::execStmt(const Stmt &s, Scope &scope) {
  if (!tick(s.loc))
    return Flow::Error;
  switch (s.kind) {
  case Stmt::Kind::Assign: {
    auto &a = llvm::cast<AssignStmt>(s);
    const Expr *valueExpr = a.value.get();
    if (&scope == &globals_ && a.targets.size() == 1) {
      if (auto it = overrides_.find(a.targets[0]); it != overrides_.end()) {
        valueExpr = it->second;
        overrides_.erase(it); // only the first assignment is overridden
      }
    }
    MaybeValue v = eval(*valueExpr, scope);
    if (!v || !assign(a.targets, *v, a.loc, scope))
      return Flow::Error;
    return Flow::Normal;
  }
  case Stmt::Kind::Expr: {
    if (inSection_)
      return Flow::Normal; // directives are collected by execSection
    return eval(*llvm::cast<ExprStmt>(s).expr, scope) ? Flow::Normal : Flow::Error;
  }
  case Stmt::Kind::Param:
    return execParam(llvm::cast<ParamStmt>(s), scope);
  case Stmt::Kind::For: {
    auto &f = llvm::cast<ForStmt>(s);
    MaybeValue iterable = eval(*f.iterable, scope);
    if (!iterable)
      return Flow::Error;
    auto items = iterate(*iterable, f.iterable->loc);
    if (!items)
      return Flow::Error;
    for (const Value &item : *items) {
      if (!assign(f.vars, item, f.loc, scope))
        return Flow::Error;
      Flow flow = exec(f.body, scope);
      if (flow != Flow::Normal)
        return flow;
    }
    return Flow::Normal;
  }
  case Stmt::Kind::If: {
    auto &f = llvm::cast<IfStmt>(s);
    for (const IfStmt::Branch &br : f.branches) {
      MaybeValue c = eval(*br.cond, scope);
      if (!c)
        return Flow::Error;
      std::optional<bool> t = truth(*c, br.cond->loc);
      if (!t)
        return Flow::Error;
      if (*t)
        return exec(br.body, scope);
    }
    return f.hasElse ? exec(f.elseBody, scope) : Flow::Normal;
  }
  case Stmt::Kind::Return: {
    auto &r = llvm::cast<ReturnStmt>(s);
    if (callDepth_ == 0) {
      error(r.loc, "'return' outside a function");
      return Flow::Error;
    }
    ValueList values;
    for (const ExprPtr &e : r.values) {
      MaybeValue v = eval(*e, scope);
      if (!v)
        return Flow::Error;
      values.push_back(*v);
    }
    returnValue_ = values.empty()      ? Value::none()
                   : values.size() == 1 ? values[0]
                                        : Value::tuple(std::move(values));
    return Flow::Return;
  }
  case Stmt::Kind::Assert: {
    auto &a = llvm::cast<AssertStmt>(s);
    MaybeValue c = eval(*a.cond, scope);
    if (!c)
      return Flow::Error;
    std::optional<bool> t = truth(*c, a.cond->loc);
    if (!t)
      return Flow::Error;
    if (!*t) {
      error(a.loc, a.message.empty() ? "assertion failed" : llvm::Twine(a.message));
      return Flow::Error;
    }
    return Flow::Normal;
  }
  case Stmt::Kind::Fn: {
    auto &f = llvm::cast<FnStmt>(s);
    if (globals_.vars.count(f.name) && globals_.vars[f.name].kind == Value::Kind::Builtin) {
      error(f.loc, "'" + f.name + "' is a built-in function; choose another name");
      return Flow::Error;
    }
    globals_.vars[f.name] = Value::function(&f);
    return Flow::Normal;
  }
  case Stmt::Kind::Section:
    return execSection(llvm::cast<SectionStmt>(s), scope);
  }
  return Flow::Error;
}

Elaborator::Flow Elaborator::execParam(const ParamStmt &p, Scope &scope) {
  if (inFunction_ && !inBlock_) {
    error(p.loc, "parameters are declared at the top level or in a block, not in a fn");
    return Flow::Error;
  }
  if (inSection_) {
    error(p.loc, "parameters cannot be declared in a section");
    return Flow::Error;
  }
  std::string name = llvm::join(prefix_, "") + p.name;
  llvm::SmallVector<int64_t> shape;
  for (const ExprPtr &d : p.shape) {
    MaybeValue v = eval(*d, scope);
    if (!v)
      return Flow::Error;
    auto n = toInt(*v, d->loc, "a parameter dimension");
    if (!n)
      return Flow::Error;
    if (*n <= 0) {
      error(d->loc, "parameter dimensions must be positive, got " + std::to_string(*n));
      return Flow::Error;
    }
    shape.push_back(*n);
  }
  auto count = mlir::golf::elementCount(shape);
  if (!count || *count > (int64_t(1) << 34)) {
    error(p.loc, "parameter '" + name + "' is too large");
    return Flow::Error;
  }
  mlir::Type element;
  std::string dtype = p.dtype.empty() ? "f32" : p.dtype;
  // A dtype may be a hyperparameter (`embed_dtype = bf16`), so `--set` can change it.
  if (Value *named = scope.lookup(dtype); named && named->kind == Value::Kind::Symbol)
    dtype = named->s;
  if (dtype == "f32") element = b_.getF32Type();
  else if (dtype == "bf16") element = b_.getBF16Type();
  else if (dtype == "f16") element = b_.getF16Type();
  else {
    error(p.dtypeLoc, "unknown parameter dtype '" + dtype + "' (f32, bf16, f16)");
    return Flow::Error;
  }
  auto type = mlir::RankedTensorType::get(shape, element);

  MaybeValue init = evalInitializer(*p.init, scope);
  if (!init)
    return Flow::Error;
  mlir::DictionaryAttr initAttr =
      buildInitializer(*init, p.init->loc, type.getRank(), &ctx_, diags_);
  if (!initAttr)
    return Flow::Error;
  std::optional<double> wd;
  if (p.wd) {
    MaybeValue v = eval(*p.wd, scope);
    if (!v)
      return Flow::Error;
    if (!v->isNumber()) {
      error(p.wd->loc, "wd expects a number, got " + render(*v));
      return Flow::Error;
    }
    wd = v->asDouble();
  }
  std::string quant = p.quant.empty() ? "default" : p.quant;

  if (auto it = params_.find(name); it != params_.end()) {
    // A block instance called again shares its parameters (weight sharing);
    // the declaration must be the same.
    ParamOp old = it->second;
    if (old.getType() != type || old.getInit() != initAttr || old.getGroup() != p.group ||
        old.getQuant() != quant || old.getWd().has_value() != wd.has_value()) {
      error(p.loc, "parameter '" + name + "' is declared again differently");
      return Flow::Error;
    }
  } else {
    // Parameters precede the functions, in declaration order.
    auto funcs = module_.getOps<mlir::func::FuncOp>();
    if (funcs.empty())
      paramBuilder_.setInsertionPointToEnd(module_.getBody());
    else
      paramBuilder_.setInsertionPoint(*funcs.begin());
    auto op = paramBuilder_.create<ParamOp>(
        loc(p.loc), paramBuilder_.getStringAttr(name), mlir::TypeAttr::get(type), initAttr,
        paramBuilder_.getStringAttr(p.group), paramBuilder_.getStringAttr(quant),
        wd ? paramBuilder_.getF64FloatAttr(*wd) : mlir::FloatAttr());
    params_[name] = op;
  }
  scope.vars[p.name] = Value::param(name);
  return Flow::Normal;
}

MaybeValue Elaborator::evalInitializer(const Expr &e, Scope &scope) {
  // Initializer names (normal, zeros, rows, ...) are data, not variables;
  // their arguments are ordinary expressions (gain = 1 / sqrt(2 * layers)).
  if (auto *n = llvm::dyn_cast<NameExpr>(&e); n && !scope.lookup(n->name))
    return Value::symbol(n->name);
  auto *c = llvm::dyn_cast<CallExpr>(&e);
  auto *callee = c ? llvm::dyn_cast<NameExpr>(c->callee.get()) : nullptr;
  if (!callee || scope.lookup(callee->name))
    return eval(e, scope);
  Record r;
  r.name = callee->name;
  for (const Arg &a : c->args) {
    MaybeValue v = evalInitializer(*a.value, scope);
    if (!v)
      return std::nullopt;
    if (a.name.empty())
      r.positional.push_back(*v);
    else
      r.keywords.push_back({a.name, *v});
  }
  return Value::ofRecord(std::move(r));
}

Elaborator::Flow Elaborator::execSection(const SectionStmt &s, Scope &scope) {
  for (const auto &[name, attr] : sectionAttrs_) {
    if (name == s.name) {
      error(s.loc, "the " + s.name + " section appears twice");
      return Flow::Error;
    }
  }
  // Keys are local to the section: `seq_len = 2048` here does not change the
  // model's hyperparameter of the same name.
  Scope local;
  local.parent = &scope;
  std::vector<SettingEntry> entries;
  inSection_ = true;
  bool ok = true;
  for (const StmtPtr &st : s.body) {
    if (auto *a = llvm::dyn_cast<AssignStmt>(st.get())) {
      if (a->targets.size() != 1) {
        ok = error(a->loc, "a setting assigns one name");
        continue;
      }
      MaybeValue v = eval(*a->value, local);
      if (!v) {
        ok = false;
        continue;
      }
      entries.push_back({a->targets[0], false, *v, a->loc});
      local.vars[a->targets[0]] = *v; // later settings may use it: 2 * seq_len
    } else if (auto *e = llvm::dyn_cast<ExprStmt>(st.get())) {
      auto *call = llvm::dyn_cast<CallExpr>(e->expr.get());
      auto *callee = call ? llvm::dyn_cast<NameExpr>(call->callee.get()) : nullptr;
      if (!callee) {
        ok = error(e->loc, "a section holds `key = value` settings and directive calls like muon(...)");
        continue;
      }
      MaybeValue v = eval(*call, local);
      if (!v) {
        ok = false;
        continue;
      }
      if (v->kind != Value::Kind::Record) {
        ok = error(e->loc, "'" + callee->name + "' is not a directive of the " + s.name + " section");
        continue;
      }
      entries.push_back({callee->name, true, *v, e->loc});
    } else {
      ok = error(st->loc, "a section holds only settings and directives");
    }
  }
  inSection_ = false;
  if (!ok)
    return Flow::Error;
  mlir::DictionaryAttr attr = buildSection(s.name, entries, s.loc, &ctx_, diags_);
  if (!attr)
    return Flow::Error;
  sectionAttrs_.push_back({s.name, attr});
  sectionLocs_[s.name] = s.loc;
  return Flow::Normal;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

std::optional<bool> Elaborator::truth(const Value &v, SourceLoc loc) {
  if (v.kind == Value::Kind::Bool)
    return v.b;
  error(loc, "a condition must be true or false at compile time, got " +
                 std::string(describe(v.kind)) +
                 (v.isTensorLike() ? "; use select(cond, a, b) for tensors" : ""));
  return std::nullopt;
}

std::optional<int64_t> Elaborator::toInt(const Value &v, SourceLoc loc, const char *what) {
  if (v.kind == Value::Kind::Int)
    return v.i;
  if (v.kind == Value::Kind::Float)
    error(loc, llvm::Twine(what) + " must be an integer, got " + render(v) +
                   " (use // for integer division)");
  else
    error(loc, llvm::Twine(what) + " must be an integer, got " + describe(v.kind));
  return std::nullopt;
}

std::optional<ValueList> Elaborator::iterate(const Value &v, SourceLoc loc) {
  if (v.kind == Value::Kind::List || v.kind == Value::Kind::Tuple)
    return *v.items;
  error(loc, "cannot loop over " + std::string(describe(v.kind)) + "; use a range a .. b or a list");
  return std::nullopt;
}

MaybeValue Elaborator::eval(const Expr &e, Scope &scope) {
  if (!tick(e.loc))
    return std::nullopt;
  switch (e.kind) {
  case Expr::Kind::Int: return Value::integer(llvm::cast<IntExpr>(e).value);
  case Expr::Kind::Float: return Value::number(llvm::cast<FloatExpr>(e).value);
  case Expr::Kind::String: return Value::str(llvm::cast<StringExpr>(e).value);
  case Expr::Kind::Bool: return Value::boolean(llvm::cast<BoolExpr>(e).value);
  case Expr::Kind::None: return Value::none();
  case Expr::Kind::Name: return evalName(llvm::cast<NameExpr>(e), scope);
  case Expr::Kind::Unary: return evalUnary(llvm::cast<UnaryExpr>(e), scope);
  case Expr::Kind::Binary: return evalBinary(llvm::cast<BinaryExpr>(e), scope);
  case Expr::Kind::Call: return evalCall(llvm::cast<CallExpr>(e), scope);
  case Expr::Kind::Index: return evalIndex(llvm::cast<IndexExpr>(e), scope);
  case Expr::Kind::Attribute: return evalAttribute(llvm::cast<AttributeExpr>(e), scope);
  case Expr::Kind::Tuple:
  case Expr::Kind::List: {
    const auto &elems = e.kind == Expr::Kind::Tuple ? llvm::cast<TupleExpr>(e).elements
                                                    : llvm::cast<ListExpr>(e).elements;
    ValueList items;
    for (const ExprPtr &x : elems) {
      MaybeValue v = eval(*x, scope);
      if (!v)
        return std::nullopt;
      items.push_back(*v);
    }
    return e.kind == Expr::Kind::Tuple ? Value::tuple(std::move(items))
                                       : Value::list(std::move(items));
  }
  case Expr::Kind::Range: {
    auto &r = llvm::cast<RangeExpr>(e);
    MaybeValue lo = eval(*r.lo, scope), hi;
    if (!lo || !(hi = eval(*r.hi, scope)))
      return std::nullopt;
    auto a = toInt(*lo, r.lo->loc, "a range bound"), b = a ? toInt(*hi, r.hi->loc, "a range bound") : std::nullopt;
    if (!a || !b)
      return std::nullopt;
    if (*b > *a && (*b - *a > kMaxListSize || *b - *a < 0)) {
      error(r.loc, "range is too long (limit 1,048,576 items)");
      return std::nullopt;
    }
    ValueList items;
    for (int64_t i = *a; i < *b; ++i)
      items.push_back(Value::integer(i));
    return Value::list(std::move(items));
  }
  }
  return std::nullopt;
}

MaybeValue Elaborator::evalName(const NameExpr &e, Scope &scope) {
  if (Value *v = scope.lookup(e.name)) {
    if (!inSection_)
      return *v;
    if (v->kind == Value::Kind::Builtin)
      return Value::symbol(e.name); // `clip = max` names a record, not the builtin
    Value named = *v;
    named.spelled = e.name;
    return named;
  }
  if (inSection_)
    return Value::symbol(e.name); // bare names in settings: groups, codecs, ...
  error(e.loc, "unknown name '" + e.name + "'");
  return std::nullopt;
}

MaybeValue Elaborator::evalUnary(const UnaryExpr &e, Scope &scope) {
  MaybeValue v = eval(*e.operand, scope);
  if (!v)
    return std::nullopt;
  switch (e.op) {
  case UnaryOp::Not: {
    auto t = truth(*v, e.operand->loc);
    return t ? MaybeValue(Value::boolean(!*t)) : std::nullopt;
  }
  case UnaryOp::Plus:
    if (v->isNumber() || v->isTensorLike())
      return v;
    break;
  case UnaryOp::Neg:
    if (v->kind == Value::Kind::Int) {
      if (v->i == INT64_MIN) {
        error(e.loc, "integer overflow");
        return std::nullopt;
      }
      return Value::integer(-v->i);
    }
    if (v->kind == Value::Kind::Float)
      return Value::number(-v->f);
    if (v->isTensorLike()) {
      MaybeTensor t = asTensor(*v, e.loc);
      if (!t)
        return std::nullopt;
      MaybeTensor r = make<NegOp>(e.loc, {*t});
      return r ? MaybeValue(Value::ofTensor(*r)) : std::nullopt;
    }
    break;
  }
  error(e.loc, llvm::Twine("'") + spelling(e.op) + "' does not apply to " + describe(v->kind));
  return std::nullopt;
}

MaybeValue Elaborator::evalBinary(const BinaryExpr &e, Scope &scope) {
  if (e.op == BinaryOp::MatMul)
    return evalMatmul(e, scope);
  MaybeValue l = eval(*e.lhs, scope);
  if (!l)
    return std::nullopt;
  if (e.op == BinaryOp::And || e.op == BinaryOp::Or) {
    auto lt = truth(*l, e.lhs->loc);
    if (!lt)
      return std::nullopt;
    if ((e.op == BinaryOp::And) != *lt)
      return Value::boolean(*lt); // short circuit
    MaybeValue r = eval(*e.rhs, scope);
    if (!r)
      return std::nullopt;
    auto rt = truth(*r, e.rhs->loc);
    return rt ? MaybeValue(Value::boolean(*rt)) : std::nullopt;
  }
  MaybeValue r = eval(*e.rhs, scope);
  if (!r)
    return std::nullopt;
  return arithmetic(e.op, *l, *r, e.loc);
}

MaybeValue Elaborator::arithmetic(BinaryOp op, const Value &l, const Value &r, SourceLoc loc) {
  if (l.isTensorLike() || r.isTensorLike())
    return tensorArithmetic(op, l, r, loc);
  if (op == BinaryOp::In || op == BinaryOp::NotIn) {
    if (r.kind != Value::Kind::List && r.kind != Value::Kind::Tuple) {
      error(loc, "'in' needs a list or range on the right");
      return std::nullopt;
    }
    bool found = false;
    for (const Value &x : *r.items)
      if (x.isNumber() && l.isNumber() ? x.asDouble() == l.asDouble()
                                       : (x.kind == l.kind && render(x) == render(l)))
        found = true;
    return Value::boolean(found == (op == BinaryOp::In));
  }
  if (op == BinaryOp::Eq || op == BinaryOp::Ne) {
    bool eq = l.isNumber() && r.isNumber() ? l.asDouble() == r.asDouble()
                                           : (l.kind == r.kind && render(l) == render(r));
    return Value::boolean(eq == (op == BinaryOp::Eq));
  }
  if (op == BinaryOp::Add && l.kind == Value::Kind::List && r.kind == Value::Kind::List) {
    ValueList items = *l.items;
    items.insert(items.end(), r.items->begin(), r.items->end());
    return Value::list(std::move(items));
  }
  if (!l.isNumber() || !r.isNumber()) {
    error(loc, llvm::Twine("'") + spelling(op) + "' does not apply to " + describe(l.kind) +
                   " and " + describe(r.kind));
    return std::nullopt;
  }
  bool ints = l.kind == Value::Kind::Int && r.kind == Value::Kind::Int;
  double a = l.asDouble(), b = r.asDouble();
  auto overflow = [&]() -> MaybeValue {
    error(loc, "integer overflow");
    return std::nullopt;
  };
  switch (op) {
  case BinaryOp::Lt: return Value::boolean(a < b);
  case BinaryOp::Le: return Value::boolean(a <= b);
  case BinaryOp::Gt: return Value::boolean(a > b);
  case BinaryOp::Ge: return Value::boolean(a >= b);
  case BinaryOp::Add:
  case BinaryOp::Sub:
  case BinaryOp::Mul: {
    if (!ints)
      return Value::number(op == BinaryOp::Add ? a + b : op == BinaryOp::Sub ? a - b : a * b);
    int64_t out;
    bool bad = op == BinaryOp::Add   ? __builtin_add_overflow(l.i, r.i, &out)
               : op == BinaryOp::Sub ? __builtin_sub_overflow(l.i, r.i, &out)
                                     : __builtin_mul_overflow(l.i, r.i, &out);
    return bad ? overflow() : MaybeValue(Value::integer(out));
  }
  case BinaryOp::Div:
    if (b == 0) {
      error(loc, "division by zero");
      return std::nullopt;
    }
    return Value::number(a / b);
  case BinaryOp::FloorDiv:
  case BinaryOp::Mod: {
    if (b == 0) {
      error(loc, "division by zero");
      return std::nullopt;
    }
    if (!ints) {
      double q = std::floor(a / b);
      return Value::number(op == BinaryOp::FloorDiv ? q : a - q * b);
    }
    auto q = floorDiv(l.i, r.i);
    if (!q)
      return overflow();
    return Value::integer(op == BinaryOp::FloorDiv ? *q : l.i - *q * r.i);
  }
  case BinaryOp::Pow: {
    if (ints && r.i >= 0) {
      int64_t out = 1;
      for (int64_t k = 0; k < r.i; ++k) {
        if (__builtin_mul_overflow(out, l.i, &out))
          return overflow();
        if (out == 0 || out == 1 || (out == -1 && k > 64))
          break; // stays put; avoids long loops
      }
      if ((l.i == -1) && (r.i % 2 == 0))
        out = 1;
      return Value::integer(out);
    }
    double p = std::pow(a, b);
    if (!std::isfinite(p)) {
      error(loc, "result of '**' is not a finite number");
      return std::nullopt;
    }
    return Value::number(p);
  }
  default:
    break;
  }
  error(loc, llvm::Twine("'") + spelling(op) + "' does not apply here");
  return std::nullopt;
}

MaybeValue Elaborator::evalAttribute(const AttributeExpr &e, Scope &scope) {
  MaybeValue base = eval(*e.base, scope);
  if (!base)
    return std::nullopt;
  if (base->isTensorLike()) {
    MaybeTensor t = asTensor(*base, e.loc);
    if (!t)
      return std::nullopt;
    auto type = llvm::cast<mlir::RankedTensorType>(t->getType());
    if (e.name == "shape") {
      ValueList dims;
      for (int64_t d : type.getShape())
        dims.push_back(Value::integer(d));
      return Value::tuple(std::move(dims));
    }
    if (e.name == "T") {
      if (type.getRank() < 2) {
        error(e.loc, ".T needs a tensor of rank 2 or more");
        return std::nullopt;
      }
      llvm::SmallVector<int64_t> perm;
      for (int64_t i = 0; i < type.getRank(); ++i)
        perm.push_back(i);
      std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
      MaybeTensor r = make<TransposeOp>(e.loc, {*t}, {attr("perm", b_.getDenseI64ArrayAttr(perm))});
      return r ? MaybeValue(Value::ofTensor(*r)) : std::nullopt;
    }
    error(e.loc, "tensors have .shape and .T, not ." + e.name);
    return std::nullopt;
  }
  if (base->kind == Value::Kind::List && (e.name == "push" || e.name == "pop")) {
    Value method = Value::builtin("list." + e.name);
    method.items = base->items; // the list the method acts on
    return method;
  }
  error(e.loc, std::string(describe(base->kind)) + " has no attribute '" + e.name + "'");
  return std::nullopt;
}

MaybeValue Elaborator::evalCall(const CallExpr &e, Scope &scope) {
  MaybeValue callee;
  auto *name = llvm::dyn_cast<NameExpr>(e.callee.get());
  if (inSection_ && name && !scope.lookup(name->name))
    callee = Value::symbol(name->name);
  else
    callee = eval(*e.callee, scope);
  if (!callee)
    return std::nullopt;
  std::vector<CallArg> args;
  for (const Arg &a : e.args) {
    MaybeValue v = eval(*a.value, scope);
    if (!v)
      return std::nullopt;
    args.push_back({a.name, *v, a.loc});
  }
  if (callee->kind == Value::Kind::Symbol) {
    // In sections and initializers, an unknown call is data: a record.
    if (!inSection_) {
      error(e.loc, "'" + callee->s + "' is not a function");
      return std::nullopt;
    }
    Record r;
    r.name = callee->s;
    for (CallArg &a : args) {
      if (a.name.empty())
        r.positional.push_back(std::move(a.value));
      else
        r.keywords.push_back({a.name, std::move(a.value)});
    }
    return Value::ofRecord(std::move(r));
  }
  if (callee->kind == Value::Kind::Builtin && callee->items) {
    // list.push(x) / list.pop()
    ValueList &list = *callee->items;
    if (callee->s == "list.push") {
      if (args.size() != 1) {
        error(e.loc, "push takes one value");
        return std::nullopt;
      }
      if (list.size() >= size_t(kMaxListSize)) {
        error(e.loc, "list is too long");
        return std::nullopt;
      }
      list.push_back(args[0].value);
      return Value::none();
    }
    if (!args.empty() || list.empty()) {
      error(e.loc, list.empty() ? "pop from an empty list" : "pop takes no arguments");
      return std::nullopt;
    }
    Value v = list.back();
    list.pop_back();
    return v;
  }
  return callFunction(*callee, std::move(args), e.loc);
}

MaybeValue Elaborator::callFunction(const Value &callee, std::vector<CallArg> args,
                                    SourceLoc loc) {
  switch (callee.kind) {
  case Value::Kind::Builtin:
    return callBuiltin(callee.s, std::move(args), loc);
  case Value::Kind::Fn:
    if (callee.fn->isBlock && !callee.fn->indexVar.empty()) {
      error(loc, "block '" + callee.fn->name + "' needs an index: " + callee.fn->name +
                     "[i](...)");
      return std::nullopt;
    }
    return callUser(*callee.fn, std::nullopt, std::move(args), loc);
  case Value::Kind::BlockInstance:
    return callUser(*callee.fn, callee.b ? std::optional<int64_t>(callee.i) : std::nullopt,
                    std::move(args), loc);
  default:
    error(loc, std::string(describe(callee.kind)) + " cannot be called");
    return std::nullopt;
  }
}

MaybeValue Elaborator::callUser(const FnStmt &fn, std::optional<int64_t> index,
                                std::vector<CallArg> args, SourceLoc loc) {
  if (!inFunction_) {
    error(loc, "functions and blocks run only inside the model's functions");
    return std::nullopt;
  }
  if (callDepth_ >= kMaxCallDepth) {
    error(loc, "calls nest deeper than 64 (recursion?)");
    return std::nullopt;
  }
  Scope local;
  local.parent = &globals_;
  std::vector<bool> bound(fn.params.size(), false);
  size_t positional = 0;
  for (CallArg &a : args) {
    size_t slot;
    if (a.name.empty()) {
      slot = positional++;
      if (slot >= fn.params.size()) {
        error(a.loc, fn.name + " takes " + std::to_string(fn.params.size()) +
                         (fn.params.size() == 1 ? " argument" : " arguments"));
        return std::nullopt;
      }
    } else {
      auto it = std::find(fn.params.begin(), fn.params.end(), a.name);
      if (it == fn.params.end()) {
        error(a.loc, fn.name + " has no argument '" + a.name + "'");
        return std::nullopt;
      }
      slot = it - fn.params.begin();
      if (bound[slot]) {
        error(a.loc, "argument '" + a.name + "' is given twice");
        return std::nullopt;
      }
    }
    bound[slot] = true;
    local.vars[fn.params[slot]] = std::move(a.value);
  }
  for (size_t i = 0; i < fn.params.size(); ++i) {
    if (!bound[i]) {
      error(loc, fn.name + " needs argument '" + fn.params[i] + "'");
      return std::nullopt;
    }
  }
  bool wasBlock = inBlock_;
  size_t prefixDepth = prefix_.size();
  if (fn.isBlock) {
    if (index)
      local.vars[fn.indexVar] = Value::integer(*index);
    prefix_.push_back(fn.name + "." + (index ? std::to_string(*index) + "." : ""));
  }
  inBlock_ = fn.isBlock;
  ++callDepth_;
  returnValue_ = Value::none();
  Flow flow = exec(fn.body, local);
  --callDepth_;
  inBlock_ = wasBlock;
  prefix_.resize(prefixDepth);
  if (flow == Flow::Error) {
    diags_.note(loc, "in the call of " + fn.name + (index ? "[" + std::to_string(*index) + "]" : ""));
    return std::nullopt;
  }
  Value result = flow == Flow::Return ? returnValue_ : Value::none();
  returnValue_ = Value::none();
  return result;
}

} // namespace golf

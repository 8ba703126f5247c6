//===- Builtins.cpp - built-in functions of .golf -------------------------===//
//
// Compile-time helpers (len, enumerate, int, float, min, max, ...) and the
// tensor primitives, each documented in docs/language.md. A tensor builtin
// binds its arguments by position or keyword, checks their kinds and
// creates its golf op; shape errors come from the op's type inference.
//
//===----------------------------------------------------------------------===//
#include "frontend/Elaborator.h"

#include <cmath>

namespace golf {

namespace {

/// An argument slot of a builtin: "x" required, "eps?" optional.
struct Slots {
  std::vector<std::string> names;
  std::vector<bool> optional;
  Slots(std::initializer_list<const char *> spec) {
    for (llvm::StringRef s : spec) {
      optional.push_back(s.consume_back("?"));
      names.push_back(s.str());
    }
  }
};

} // namespace

MaybeValue Elaborator::callBuiltin(const std::string &name, std::vector<CallArg> args,
                                   SourceLoc at) {
  // Binds args to slots; reports unknown, missing and repeated arguments.
  std::vector<std::optional<Value>> bound;
  std::vector<SourceLoc> argLoc;
  std::vector<std::string> slotNames;
  auto bind = [&](const Slots &slots) -> bool {
    slotNames = slots.names;
    bound.assign(slots.names.size(), std::nullopt);
    argLoc.assign(slots.names.size(), at);
    size_t positional = 0;
    for (CallArg &a : args) {
      size_t k;
      if (a.name.empty()) {
        k = positional++;
        if (k >= slots.names.size())
          return error(a.loc, name + " takes at most " + std::to_string(slots.names.size()) +
                                  (slots.names.size() == 1 ? " argument" : " arguments"));
      } else {
        auto it = std::find(slots.names.begin(), slots.names.end(), a.name);
        if (it == slots.names.end())
          return error(a.loc, name + " has no argument '" + a.name + "' (arguments: " +
                                  llvm::join(slots.names, ", ") + ")");
        k = it - slots.names.begin();
      }
      if (bound[k])
        return error(a.loc, "argument '" + slots.names[k] + "' is given twice");
      bound[k] = a.value;
      argLoc[k] = a.loc;
    }
    for (size_t k = 0; k < slots.names.size(); ++k)
      if (!bound[k] && !slots.optional[k])
        return error(at, name + " needs argument '" + slots.names[k] + "'");
    return true;
  };
  auto tensorArg = [&](size_t k) -> MaybeTensor { return asTensor(*bound[k], argLoc[k]); };
  auto intArg = [&](size_t k, int64_t dflt) -> std::optional<int64_t> {
    if (!bound[k])
      return dflt;
    return toInt(*bound[k], argLoc[k], ("argument '" + slotNames[k] + "' of " + name).c_str());
  };
  auto numberArg = [&](size_t k) -> std::optional<double> {
    if (bound[k]->isNumber())
      return bound[k]->asDouble();
    error(argLoc[k], name + " expects a number here, got " + describe(bound[k]->kind));
    return std::nullopt;
  };
  auto boolArg = [&](size_t k, bool dflt) -> std::optional<bool> {
    if (!bound[k])
      return dflt;
    return truth(*bound[k], argLoc[k]);
  };
  auto stringArg = [&](size_t k, const char *dflt) -> std::optional<std::string> {
    if (!bound[k])
      return std::string(dflt);
    if (bound[k]->kind == Value::Kind::Str || bound[k]->kind == Value::Kind::Symbol)
      return bound[k]->s;
    error(argLoc[k], name + " expects a string here");
    return std::nullopt;
  };
  auto intList = [&](size_t k) -> std::optional<llvm::SmallVector<int64_t>> {
    const Value &v = *bound[k];
    if (v.kind != Value::Kind::List && v.kind != Value::Kind::Tuple) {
      error(argLoc[k], name + " expects a list of integers");
      return std::nullopt;
    }
    llvm::SmallVector<int64_t> out;
    for (const Value &x : *v.items) {
      auto i = toInt(x, argLoc[k], "a list entry");
      if (!i)
        return std::nullopt;
      out.push_back(*i);
    }
    return out;
  };
  auto wrap = [](MaybeTensor t) { return t ? MaybeValue(Value::ofTensor(*t)) : std::nullopt; };
  auto f64 = [&](double v) { return b_.getF64FloatAttr(v); };
  auto i64 = [&](int64_t v) { return b_.getI64IntegerAttr(v); };
  bool anyTensor = llvm::any_of(args, [](const CallArg &a) { return a.value.isTensorLike(); });

  //===--- compile-time helpers -------------------------------------------===//
  if (name == "len") {
    if (!bind({"x"}))
      return std::nullopt;
    const Value &v = *bound[0];
    if (v.kind == Value::Kind::List || v.kind == Value::Kind::Tuple)
      return Value::integer(v.items->size());
    if (v.kind == Value::Kind::Str)
      return Value::integer(v.s.size());
    error(at, "len needs a list, tuple or string");
    return std::nullopt;
  }
  if (name == "enumerate") {
    if (!bind({"items"}))
      return std::nullopt;
    auto items = iterate(*bound[0], argLoc[0]);
    if (!items)
      return std::nullopt;
    ValueList pairs;
    for (size_t i = 0; i < items->size(); ++i)
      pairs.push_back(Value::tuple({Value::integer(i), (*items)[i]}));
    return Value::list(std::move(pairs));
  }
  if (name == "range") {
    error(at, "write ranges as lo .. hi");
    return std::nullopt;
  }
  if (name == "int" || name == "float") {
    if (!bind({"x"}))
      return std::nullopt;
    auto x = numberArg(0);
    if (!x)
      return std::nullopt;
    if (name == "float")
      return Value::number(*x);
    if (!(std::fabs(*x) < 9.2e18)) {
      error(at, "int() of a number out of range");
      return std::nullopt;
    }
    return Value::integer(int64_t(*x));
  }
  if ((name == "min" || name == "max") && !anyTensor) {
    if (args.size() < 2 || llvm::any_of(args, [](const CallArg &a) {
          return !a.name.empty() || !a.value.isNumber();
        })) {
      error(at, name + " of numbers takes two or more numbers");
      return std::nullopt;
    }
    Value best = args[0].value;
    for (const CallArg &a : args)
      if (name == "min" ? a.value.asDouble() < best.asDouble()
                        : a.value.asDouble() > best.asDouble())
        best = a.value;
    return best;
  }
  if ((name == "abs" || name == "sqrt") && !anyTensor) {
    if (!bind({"x"}))
      return std::nullopt;
    auto x = numberArg(0);
    if (!x)
      return std::nullopt;
    if (name == "abs")
      return bound[0]->kind == Value::Kind::Int && bound[0]->i != INT64_MIN
                 ? Value::integer(std::llabs(bound[0]->i))
                 : Value::number(std::fabs(*x));
    if (*x < 0) {
      error(at, "sqrt of a negative number");
      return std::nullopt;
    }
    return Value::number(std::sqrt(*x));
  }

  //===--- tensor primitives ----------------------------------------------===//
  if (!inFunction_) {
    error(at, "'" + name + "' is a tensor operation; it runs only inside the model's functions");
    return std::nullopt;
  }
  // One-operand elementwise math.
  static const std::pair<const char *, const char *> kUnary[] = {
      {"relu", "golf.relu"}, {"square", "golf.square"}, {"sqrt", "golf.sqrt"},
      {"rsqrt", "golf.rsqrt"}, {"exp", "golf.exp"}, {"log", "golf.log"},
      {"tanh", "golf.tanh"}, {"sigmoid", "golf.sigmoid"}, {"abs", "golf.abs"},
      {"round", "golf.round"}, {"stop_gradient", "golf.stop_gradient"}};
  for (auto [fn, op] : kUnary) {
    if (name != fn)
      continue;
    if (!bind({"x"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    if (!x)
      return std::nullopt;
    return wrap(makeTyped(op, at, *x, x->getType()));
  }
  if (name == "leaky_relu") {
    if (!bind({"x", "slope?"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto slope = bound[1] ? numberArg(1) : std::optional<double>(0.01);
    if (!x || !slope)
      return std::nullopt;
    return wrap(make<LeakyReluOp>(at, {*x}, {attr("slope", f64(*slope))}));
  }
  if (name == "clamp") {
    if (!bind({"x", "min", "max"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto lo = numberArg(1), hi = numberArg(2);
    if (!x || !lo || !hi)
      return std::nullopt;
    return wrap(make<ClampOp>(at, {*x}, {attr("min", f64(*lo)), attr("max", f64(*hi))}));
  }
  if (name == "rms_norm") {
    if (!bind({"x", "eps?"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    if (!x)
      return std::nullopt;
    llvm::SmallVector<mlir::NamedAttribute> attrs;
    if (bound[1]) {
      auto eps = numberArg(1);
      if (!eps)
        return std::nullopt;
      attrs.push_back(attr("eps", f64(*eps)));
    }
    return wrap(make<RmsNormOp>(at, {*x}, attrs));
  }
  if (name == "softcap") {
    if (!bind({"x", "cap"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto cap = numberArg(1);
    if (!x || !cap)
      return std::nullopt;
    return wrap(make<SoftcapOp>(at, {*x}, {attr("cap", f64(*cap))}));
  }
  if (name == "rope") {
    if (!bind({"x", "base?", "dims?"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    if (!x)
      return std::nullopt;
    auto type = llvm::cast<mlir::RankedTensorType>(x->getType());
    auto base = bound[1] ? numberArg(1) : std::optional<double>(10000.0);
    auto dims = intArg(2, type.getRank() ? type.getShape().back() : 0);
    if (!base || !dims)
      return std::nullopt;
    return wrap(make<RopeOp>(at, {*x}, {attr("base", f64(*base)), attr("dims", i64(*dims))}));
  }
  if (name == "attention") {
    if (!bind({"q", "k", "v", "causal?", "scale?"}))
      return std::nullopt;
    MaybeTensor q = tensorArg(0), k = q ? tensorArg(1) : std::nullopt,
                v = k ? tensorArg(2) : std::nullopt;
    auto causal = boolArg(3, true);
    if (!q || !k || !v || !causal)
      return std::nullopt;
    auto qt = llvm::cast<mlir::RankedTensorType>(q->getType());
    double dflt = qt.getRank() ? 1.0 / std::sqrt(double(std::max<int64_t>(1, qt.getShape().back())))
                               : 1.0;
    auto scale = bound[4] ? numberArg(4) : std::optional<double>(dflt);
    if (!scale)
      return std::nullopt;
    llvm::SmallVector<mlir::NamedAttribute> attrs{attr("scale", f64(*scale))};
    if (*causal)
      attrs.push_back(attr("causal", b_.getUnitAttr()));
    return wrap(make<AttentionOp>(at, {*q, *k, *v}, attrs));
  }
  if (name == "cross_entropy") {
    if (!bind({"logits", "targets", "reduction?"}))
      return std::nullopt;
    MaybeTensor l = tensorArg(0), t = l ? tensorArg(1) : std::nullopt;
    auto reduction = stringArg(2, "mean");
    if (!l || !t || !reduction)
      return std::nullopt;
    return wrap(make<CrossEntropyOp>(at, {*l, *t},
                                     {attr("reduction", b_.getStringAttr(*reduction))}));
  }
  if (name == "split_heads") {
    if (!bind({"x", "heads"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto heads = intArg(1, 0);
    if (!x || !heads)
      return std::nullopt;
    return wrap(make<SplitHeadsOp>(at, {*x}, {attr("heads", i64(*heads))}));
  }
  if (name == "merge_heads") {
    if (!bind({"x"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    return x ? wrap(make<MergeHeadsOp>(at, {*x})) : std::nullopt;
  }
  if (name == "reshape" || name == "broadcast") {
    if (!bind({"x", "shape"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto shape = x ? intList(1) : std::nullopt;
    if (!x || !shape)
      return std::nullopt;
    auto type = llvm::cast<mlir::RankedTensorType>(x->getType());
    if (name == "reshape") {
      // One -1 takes whatever size keeps the element count.
      int64_t known = 1, holes = 0;
      for (int64_t d : *shape) {
        if (d == -1)
          ++holes;
        else if (d <= 0 || __builtin_mul_overflow(known, d, &known)) {
          error(argLoc[1], "reshape sizes must be positive (or one -1)");
          return std::nullopt;
        }
      }
      int64_t total = *mlir::golf::elementCount(type.getShape());
      if (holes > 1 || (holes == 1 && (known == 0 || total % known != 0))) {
        error(argLoc[1], "cannot infer the -1 in reshape to " + render(*bound[1]));
        return std::nullopt;
      }
      for (int64_t &d : *shape)
        if (d == -1)
          d = total / known;
    }
    return wrap(makeTyped(name == "reshape" ? ReshapeOp::getOperationName()
                                            : BroadcastOp::getOperationName(),
                          at, *x, mlir::RankedTensorType::get(*shape, type.getElementType())));
  }
  if (name == "transpose") {
    if (!bind({"x", "perm"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto perm = x ? intList(1) : std::nullopt;
    if (!x || !perm)
      return std::nullopt;
    return wrap(make<TransposeOp>(at, {*x}, {attr("perm", b_.getDenseI64ArrayAttr(*perm))}));
  }
  if (name == "concat") {
    if (!bind({"items", "axis?"}))
      return std::nullopt;
    auto items = iterate(*bound[0], argLoc[0]);
    auto axis = intArg(1, -1);
    if (!items || !axis)
      return std::nullopt;
    llvm::SmallVector<mlir::Value> inputs;
    mlir::Type element;
    for (const Value &v : *items) {
      MaybeTensor t = asTensor(v, argLoc[0]);
      if (!t)
        return std::nullopt;
      mlir::Type e = llvm::cast<mlir::RankedTensorType>(t->getType()).getElementType();
      element = element ? promoteFloat(element, e) : e;
      inputs.push_back(*t);
    }
    for (mlir::Value &t : inputs)
      if (!(t = castTo(t, element, at).value_or(mlir::Value())))
        return std::nullopt;
    return wrap(make<ConcatOp>(at, inputs, {attr("axis", i64(*axis))}));
  }
  if (name == "shift") {
    if (!bind({"x", "axis?", "offset?"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto axis = intArg(1, 1), offset = intArg(2, 1);
    if (!x || !axis || !offset)
      return std::nullopt;
    return wrap(make<ShiftOp>(at, {*x}, {attr("axis", i64(*axis)), attr("offset", i64(*offset))}));
  }
  if (name == "bigram_hash") {
    if (!bind({"ids", "buckets", "mul_cur?", "mul_prev?"}))
      return std::nullopt;
    MaybeTensor ids = tensorArg(0);
    auto buckets = intArg(1, 0), cur = intArg(2, 36313), prev = intArg(3, 27191);
    if (!ids || !buckets || !cur || !prev)
      return std::nullopt;
    return wrap(make<BigramHashOp>(at, {*ids},
                                   {attr("buckets", i64(*buckets)), attr("mul_cur", i64(*cur)),
                                    attr("mul_prev", i64(*prev))}));
  }
  if (name == "sum" || name == "mean" || name == "max" || name == "min") {
    if (name == "min") {
      error(at, "min of a tensor is not supported; use -max(-x, axis)");
      return std::nullopt;
    }
    if (!bind({"x", "axis?", "keepdim?"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto axis = intArg(1, -1);
    auto keepdim = boolArg(2, false);
    if (!x || !axis || !keepdim)
      return std::nullopt;
    llvm::SmallVector<mlir::NamedAttribute> attrs{attr("axis", i64(*axis))};
    if (*keepdim)
      attrs.push_back(attr("keepdim", b_.getUnitAttr()));
    if (name == "sum")
      return wrap(make<ReduceSumOp>(at, {*x}, attrs));
    if (name == "mean")
      return wrap(make<ReduceMeanOp>(at, {*x}, attrs));
    return wrap(make<ReduceMaxOp>(at, {*x}, attrs));
  }
  if (name == "maximum" || name == "minimum") {
    if (!bind({"a", "b"}))
      return std::nullopt;
    auto ab = unify(*bound[0], *bound[1], at);
    if (!ab)
      return std::nullopt;
    return wrap(name == "maximum" ? make<MaxOp>(at, {ab->first, ab->second})
                                  : make<MinOp>(at, {ab->first, ab->second}));
  }
  if (name == "select") {
    if (!bind({"cond", "a", "b"}))
      return std::nullopt;
    MaybeTensor cond = tensorArg(0);
    if (cond && bound[1]->isNumber() && bound[2]->isNumber()) {
      // select(mask, 1.0, 0.0): both branches are numbers; compute in f32.
      MaybeTensor a = constant(bound[1]->asDouble(), b_.getF32Type(), at);
      MaybeTensor c = a ? constant(bound[2]->asDouble(), b_.getF32Type(), at) : std::nullopt;
      return c ? wrap(make<SelectOp>(at, {*cond, *a, *c})) : std::nullopt;
    }
    auto ab = cond ? unify(*bound[1], *bound[2], at) : std::nullopt;
    if (!ab)
      return std::nullopt;
    return wrap(make<SelectOp>(at, {*cond, ab->first, ab->second}));
  }
  if (name == "fake_quant") {
    if (!bind({"x", "bits", "mode?", "alpha?"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto bits = intArg(1, 0);
    auto mode = stringArg(2, "ste");
    if (!x || !bits || !mode)
      return std::nullopt;
    llvm::SmallVector<mlir::NamedAttribute> attrs{attr("bits", i64(*bits)),
                                                  attr("mode", b_.getStringAttr(*mode))};
    if (bound[3]) {
      auto alpha = numberArg(3);
      if (!alpha)
        return std::nullopt;
      attrs.push_back(attr("alpha", f64(*alpha)));
    }
    return wrap(make<FakeQuantOp>(at, {*x}, attrs));
  }
  if (name == "cast") {
    if (!bind({"x", "dtype"}))
      return std::nullopt;
    MaybeTensor x = tensorArg(0);
    auto dtype = stringArg(1, "");
    if (!x || !dtype)
      return std::nullopt;
    mlir::Type to = *dtype == "f32"    ? b_.getF32Type()
                    : *dtype == "bf16" ? b_.getBF16Type()
                    : *dtype == "f16"  ? b_.getF16Type()
                    : *dtype == "f64"  ? mlir::Type(b_.getF64Type())
                                       : mlir::Type();
    if (!to) {
      error(argLoc[1], "cast to f32, bf16, f16 or f64");
      return std::nullopt;
    }
    return wrap(castTo(*x, to, at));
  }
  error(at, "'" + name + "' cannot be called with these arguments");
  return std::nullopt;
}

} // namespace golf

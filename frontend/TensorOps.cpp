//===- TensorOps.cpp - tensor expressions of the elaborator --------------===//
//
// Operators on tensors (arithmetic with numpy broadcasting and dtype
// promotion, `@` with transposes folded into the matmul, indexing) and the
// built-in functions, each mapped to one golf op or a short sequence.
//
//===----------------------------------------------------------------------===//
#include "frontend/Elaborator.h"

#include <cmath>

namespace golf {

mlir::Type Elaborator::promoteFloat(mlir::Type a, mlir::Type b) {
  if (a == b)
    return a;
  if (a.isF64() || b.isF64())
    return b_.getF64Type();
  return b_.getF32Type();
}

namespace {

mlir::RankedTensorType tensorType(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}

} // namespace

MaybeTensor Elaborator::asTensor(const Value &v, SourceLoc at) {
  if (v.kind == Value::Kind::Tensor)
    return v.tensor;
  if (v.kind == Value::Kind::Param) {
    if (!inFunction_) {
      error(at, "parameter '" + v.s + "' can be used only inside the model's functions");
      return std::nullopt;
    }
    if (auto it = paramRefs_.find(v.s); it != paramRefs_.end())
      return it->second;
    ParamOp p = params_.lookup(v.s);
    mlir::Value ref = b_.create<ParamRefOp>(loc(at), p.getType(),
                                            mlir::FlatSymbolRefAttr::get(p.getSymNameAttr()));
    paramRefs_[v.s] = ref;
    return ref;
  }
  error(at, "expected a tensor, got " + std::string(describe(v.kind)));
  return std::nullopt;
}

MaybeTensor Elaborator::constant(double v, mlir::Type element, SourceLoc at) {
  if (!inFunction_) {
    error(at, "tensor operations run only inside the model's functions");
    return std::nullopt;
  }
  auto type = mlir::RankedTensorType::get({}, element);
  mlir::Attribute value;
  if (llvm::isa<mlir::FloatType>(element))
    value = mlir::DenseElementsAttr::get(type, b_.getFloatAttr(element, v));
  else
    value = mlir::DenseElementsAttr::get(type, b_.getIntegerAttr(element, int64_t(v)));
  return finish(b_.create<ConstantOp>(loc(at), llvm::cast<mlir::ElementsAttr>(value)));
}

MaybeTensor Elaborator::castTo(mlir::Value v, mlir::Type element, SourceLoc at) {
  if (tensorType(v).getElementType() == element)
    return v;
  return make<CastOp>(at, {v}, {attr("to", mlir::TypeAttr::get(element))});
}

std::optional<std::pair<mlir::Value, mlir::Value>>
Elaborator::unify(const Value &l, const Value &r, SourceLoc at) {
  MaybeTensor a, b;
  if (l.isTensorLike() && !(a = asTensor(l, at)))
    return std::nullopt;
  if (r.isTensorLike() && !(b = asTensor(r, at)))
    return std::nullopt;
  auto floatElement = [&](mlir::Value t) -> bool {
    if (llvm::isa<mlir::FloatType>(tensorType(t).getElementType()))
      return true;
    error(at, "arithmetic needs float tensors; token ids (i32) and masks (i1) only index, "
              "hash and select");
    return false;
  };
  if (a && !floatElement(*a))
    return std::nullopt;
  if (b && !floatElement(*b))
    return std::nullopt;
  if (!a && !b) {
    error(at, "needs at least one tensor operand; for numbers use min/max or plain arithmetic");
    return std::nullopt;
  }
  if (!a || !b) {
    const Value &number = a ? r : l;
    if (!number.isNumber()) {
      error(at, "cannot combine a tensor with " + std::string(describe(number.kind)));
      return std::nullopt;
    }
    mlir::Type element = tensorType(a ? *a : *b).getElementType();
    MaybeTensor c = constant(number.asDouble(), element, at);
    if (!c)
      return std::nullopt;
    (a ? b : a) = c;
  }
  mlir::Type element =
      promoteFloat(tensorType(*a).getElementType(), tensorType(*b).getElementType());
  a = castTo(*a, element, at);
  b = a ? castTo(*b, element, at) : std::nullopt;
  if (!a || !b)
    return std::nullopt;
  return std::make_pair(*a, *b);
}

MaybeValue Elaborator::tensorArithmetic(BinaryOp op, const Value &l, const Value &r,
                                        SourceLoc at) {
  auto wrap = [](MaybeTensor t) { return t ? MaybeValue(Value::ofTensor(*t)) : std::nullopt; };
  if (op == BinaryOp::Pow && r.isNumber()) {
    MaybeTensor x = asTensor(l, at);
    if (!x)
      return std::nullopt;
    if (r.asDouble() == 2)
      return wrap(make<SquareOp>(at, {*x}));
    if (r.asDouble() == 0.5)
      return wrap(make<SqrtOp>(at, {*x}));
  }
  auto operands = unify(l, r, at);
  if (!operands)
    return std::nullopt;
  mlir::Value a = operands->first, b = operands->second;
  auto compare = [&](const char *predicate) {
    return wrap(make<CmpOp>(at, {a, b}, {attr("predicate", b_.getStringAttr(predicate))}));
  };
  switch (op) {
  case BinaryOp::Add: return wrap(make<AddOp>(at, {a, b}));
  case BinaryOp::Sub: return wrap(make<SubOp>(at, {a, b}));
  case BinaryOp::Mul: return wrap(make<MulOp>(at, {a, b}));
  case BinaryOp::Div: return wrap(make<DivOp>(at, {a, b}));
  case BinaryOp::Pow: return wrap(make<PowOp>(at, {a, b}));
  case BinaryOp::Eq: return compare("eq");
  case BinaryOp::Ne: return compare("ne");
  case BinaryOp::Lt: return compare("lt");
  case BinaryOp::Le: return compare("le");
  case BinaryOp::Gt: return compare("gt");
  case BinaryOp::Ge: return compare("ge");
  default:
    error(at, llvm::Twine("'") + spelling(op) + "' does not apply to tensors");
    return std::nullopt;
  }
}

MaybeValue Elaborator::evalMatmul(const BinaryExpr &e, Scope &scope) {
  // `x @ w.T` becomes one matmul with transpose_rhs, not a transpose + matmul.
  auto side = [&](const Expr &x, bool &transposed) -> MaybeTensor {
    const Expr *inner = &x;
    if (auto *a = llvm::dyn_cast<AttributeExpr>(&x); a && a->name == "T") {
      inner = a->base.get();
      transposed = true;
    }
    MaybeValue v = eval(*inner, scope);
    if (!v)
      return std::nullopt;
    if (!v->isTensorLike()) {
      error(inner->loc, "'@' needs tensors, got " + std::string(describe(v->kind)));
      return std::nullopt;
    }
    MaybeTensor t = asTensor(*v, inner->loc);
    if (t && transposed && tensorType(*t).getRank() < 2) {
      error(x.loc, ".T needs a tensor of rank 2 or more");
      return std::nullopt;
    }
    return t;
  };
  bool ta = false, tb = false;
  MaybeTensor a = side(*e.lhs, ta);
  MaybeTensor b = a ? side(*e.rhs, tb) : std::nullopt;
  if (!a || !b)
    return std::nullopt;
  auto operands = unify(Value::ofTensor(*a), Value::ofTensor(*b), e.loc);
  if (!operands)
    return std::nullopt;
  llvm::SmallVector<mlir::NamedAttribute> attrs;
  if (ta)
    attrs.push_back(attr("transpose_lhs", b_.getUnitAttr()));
  if (tb)
    attrs.push_back(attr("transpose_rhs", b_.getUnitAttr()));
  MaybeTensor r = make<MatmulOp>(e.loc, {operands->first, operands->second}, attrs);
  return r ? MaybeValue(Value::ofTensor(*r)) : std::nullopt;
}

MaybeValue Elaborator::evalIndex(const IndexExpr &e, Scope &scope) {
  MaybeValue base = eval(*e.base, scope);
  if (!base)
    return std::nullopt;
  if (base->isTensorLike()) {
    MaybeTensor t = asTensor(*base, e.loc);
    return t ? indexTensor(*t, e, scope) : std::nullopt;
  }
  if (e.subscripts.size() != 1 || e.subscripts[0].isSlice) {
    error(e.loc, "only tensors take several subscripts or slices");
    return std::nullopt;
  }
  MaybeValue idx = eval(*e.subscripts[0].index, scope);
  if (!idx)
    return std::nullopt;
  if (base->kind == Value::Kind::Fn && base->fn->isBlock && !base->fn->indexVar.empty()) {
    auto i = toInt(*idx, e.subscripts[0].loc, "a block index");
    if (i && *i < 0) {
      error(e.subscripts[0].loc, "a block index must be >= 0, got " + std::to_string(*i));
      return std::nullopt;
    }
    return i ? MaybeValue(Value::blockInstance(base->fn, true, *i)) : std::nullopt;
  }
  if (base->kind == Value::Kind::List || base->kind == Value::Kind::Tuple) {
    auto i = toInt(*idx, e.subscripts[0].loc, "an index");
    if (!i)
      return std::nullopt;
    int64_t n = base->items->size();
    int64_t k = *i < 0 ? *i + n : *i;
    if (k < 0 || k >= n) {
      error(e.subscripts[0].loc, "index " + std::to_string(*i) + " is out of range for " +
                                     std::to_string(n) + " items");
      return std::nullopt;
    }
    return (*base->items)[k];
  }
  error(e.loc, std::string(describe(base->kind)) + " cannot be indexed");
  return std::nullopt;
}

MaybeValue Elaborator::indexTensor(mlir::Value t, const IndexExpr &e, Scope &scope) {
  auto type = tensorType(t);
  // table[ids] with an i32 tensor is an embedding lookup.
  if (e.subscripts.size() == 1 && !e.subscripts[0].isSlice) {
    MaybeValue idx = eval(*e.subscripts[0].index, scope);
    if (!idx)
      return std::nullopt;
    if (idx->isTensorLike()) {
      MaybeTensor ids = asTensor(*idx, e.subscripts[0].loc);
      if (!ids)
        return std::nullopt;
      if (!tensorType(*ids).getElementType().isInteger(32)) {
        error(e.subscripts[0].loc, "a tensor index must hold i32 ids");
        return std::nullopt;
      }
      MaybeTensor r = make<EmbeddingOp>(e.loc, {t, *ids});
      return r ? MaybeValue(Value::ofTensor(*r)) : std::nullopt;
    }
  }
  if (int64_t(e.subscripts.size()) > type.getRank()) {
    error(e.loc, "too many subscripts for a tensor of rank " + std::to_string(type.getRank()));
    return std::nullopt;
  }
  llvm::SmallVector<int64_t> starts, limits, kept;
  for (int64_t axis = 0; axis < type.getRank(); ++axis) {
    int64_t size = type.getDimSize(axis);
    if (axis >= int64_t(e.subscripts.size())) {
      starts.push_back(0);
      limits.push_back(size);
      kept.push_back(size);
      continue;
    }
    const Subscript &s = e.subscripts[axis];
    auto bound = [&](const ExprPtr &x, int64_t dflt) -> std::optional<int64_t> {
      if (!x)
        return dflt;
      MaybeValue v = eval(*x, scope);
      if (!v)
        return std::nullopt;
      auto i = toInt(*v, x->loc, "a tensor index");
      if (!i)
        return std::nullopt;
      int64_t k = *i < 0 ? *i + size : *i;
      if (k < 0 || k > size) {
        error(x->loc, "index " + std::to_string(*i) + " is out of range for axis " +
                          std::to_string(axis) + " of size " + std::to_string(size));
        return std::nullopt;
      }
      return k;
    };
    if (s.isSlice) {
      auto lo = bound(s.lo, 0), hi = lo ? bound(s.hi, size) : std::nullopt;
      if (!lo || !hi)
        return std::nullopt;
      if (*hi <= *lo) {
        error(s.loc, *hi < *lo ? "slice start " + std::to_string(*lo) + " is after its end " +
                                     std::to_string(*hi)
                               : std::string("empty slice (tensors may not have size-0 axes)"));
        return std::nullopt;
      }
      starts.push_back(*lo);
      limits.push_back(*hi);
      kept.push_back(*hi - *lo);
    } else {
      auto i = bound(s.index, 0);
      if (!i)
        return std::nullopt;
      if (*i == size) {
        error(s.loc, "index is out of range for axis " + std::to_string(axis));
        return std::nullopt;
      }
      starts.push_back(*i);
      limits.push_back(*i + 1);
    }
  }
  MaybeTensor r = make<SliceOp>(e.loc, {t},
                                {attr("starts", b_.getDenseI64ArrayAttr(starts)),
                                 attr("limits", b_.getDenseI64ArrayAttr(limits))});
  if (r && int64_t(kept.size()) != type.getRank())
    r = makeTyped(ReshapeOp::getOperationName(), e.loc, *r,
                  mlir::RankedTensorType::get(kept, type.getElementType()));
  return r ? MaybeValue(Value::ofTensor(*r)) : std::nullopt;
}

} // namespace golf

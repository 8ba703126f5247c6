//===- Autodiff.cpp - reverse-mode differentiation of @loss ---------------===//
//
// The forward ops of @loss are cloned into @loss_grad; then the ops are
// visited in reverse and each one's rule turns the gradient of its result
// into gradients of its operands. Rules emit ordinary golf ops (plus the
// dedicated *_grad ops where recomputation inside one kernel is cheaper than
// a graph), so every later phase and both executors handle the backward
// pass like any other code.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::golf {
#define GEN_PASS_DEF_GOLFAUTODIFF
#include "passes/Passes.h.inc"

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

class GradientBuilder {
public:
  GradientBuilder(OpBuilder &b) : loc_(UnknownLoc::get(b.getContext())), b_(b) {}

  /// Adds `g` to the gradient of `v`.
  void accumulate(Value v, Value g) {
    auto [it, inserted] = grads_.try_emplace(v, g);
    if (!inserted)
      it->second = b_.create<AddOp>(g.getLoc(), it->second, g);
  }
  Value gradOf(Value v) const { return grads_.lookup(v); }

  /// Applies the rule of `op`; fails with a diagnostic if it has none.
  LogicalResult backprop(Operation *op);

private:
  Location loc_;

  Value constant(double v, Type element) {
    auto type = RankedTensorType::get({}, element);
    return b_.create<ConstantOp>(loc_, cast<ElementsAttr>(DenseElementsAttr::get(
                                           type, b_.getFloatAttr(element, v))));
  }
  Value zerosLike(Value v) { return constant(0.0, typeOf(v).getElementType()); }
  /// Sums a gradient down to the (broadcast) shape of the operand it belongs to.
  Value sumTo(Value g, Value operand) {
    if (g.getType() == operand.getType())
      return g;
    return b_.create<ReduceToOp>(loc_, operand.getType(), g);
  }
  Value mul(Value a, Value b) { return b_.create<MulOp>(loc_, a, b); }
  /// a * c. Where c is not exact in a's 16-bit float type (0.9 in bf16 is
  /// 0.898438), the product is taken in f32 and rounded once, as PyTorch's
  /// kernels multiply by a scalar; a rounded c would make the rule disagree
  /// with the op it differentiates.
  Value mul(Value a, double c) {
    Type e = typeOf(a).getElementType();
    if (e.getIntOrFloatBitWidth() > 16 || exactIn(c, e))
      return mul(a, constant(c, e));
    Type f32 = b_.getF32Type();
    Value wide = b_.create<CastOp>(loc_, a, TypeAttr::get(f32));
    return b_.create<CastOp>(loc_, mul(wide, constant(c, f32)), TypeAttr::get(e));
  }
  static bool exactIn(double c, Type element) {
    APFloat v(c);
    bool loses = false;
    v.convert(cast<FloatType>(element).getFloatSemantics(), APFloat::rmNearestTiesToEven, &loses);
    return !loses;
  }
  Value sub(Value a, Value b) { return b_.create<SubOp>(loc_, a, b); }
  Value div(Value a, Value b) { return b_.create<DivOp>(loc_, a, b); }
  Value neg(Value a) { return b_.create<NegOp>(loc_, a); }
  Value cmp(Value a, Value b, StringRef pred) {
    return b_.create<CmpOp>(loc_, a, b, b_.getStringAttr(pred));
  }
  Value select(Value c, Value a, Value b) { return b_.create<SelectOp>(loc_, c, a, b); }
  /// dy where `mask`, else 0 (shape of the broadcast of both).
  Value where(Value mask, Value dy) { return select(mask, dy, zerosLike(dy)); }
  Value transposeLast2(Value v) {
    SmallVector<int64_t> perm;
    for (int64_t i = 0; i < typeOf(v).getRank(); ++i)
      perm.push_back(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    return b_.create<TransposeOp>(loc_, v, b_.getDenseI64ArrayAttr(perm));
  }
  Value matmul(Value a, Value b, bool ta, bool tb) {
    auto op = b_.create<MatmulOp>(loc_, a, b, ta ? b_.getUnitAttr() : UnitAttr(),
                                  tb ? b_.getUnitAttr() : UnitAttr());
    return op;
  }
  Value reshape(Value v, ArrayRef<int64_t> shape) {
    return b_.create<ReshapeOp>(loc_, typeOf(v).clone(shape), v);
  }
  /// Broadcasts the gradient of a reduction back over the reduced axis.
  Value unreduce(Value dy, RankedTensorType input, int64_t axis) {
    SmallVector<int64_t> kept(input.getShape());
    kept[axis] = 1;
    return b_.create<BroadcastOp>(loc_, input.clone(typeOf(dy).getElementType()),
                                  reshape(dy, kept));
  }

  LogicalResult matmulRule(MatmulOp op, Value dy);

  OpBuilder &b_;
  llvm::DenseMap<Value, Value> grads_;
};

LogicalResult GradientBuilder::matmulRule(MatmulOp op, Value dy) {
  Value a = op.getLhs(), bm = op.getRhs();
  bool ta = op.getTransposeLhs(), tb = op.getTransposeRhs();
  // y = A' B' with A' = op(A), B' = op(B): dA' = dy B'^T, dB' = A'^T dy.
  Value dA = matmul(dy, bm, false, !tb);
  accumulate(a, ta ? transposeLast2(dA) : dA);
  auto at = typeOf(a), bt = typeOf(bm);
  if (bt.getRank() == 2 && at.getRank() > 2) {
    // A linear layer: B is shared by every batch entry; fold the batch axes
    // into the rows so one product sums over them.
    Value aRows = ta ? transposeLast2(a) : a; // A' [..., M, K]
    int64_t k = typeOf(aRows).getShape().back(), n = typeOf(dy).getShape().back();
    int64_t rows = typeOf(aRows).getNumElements() / k;
    Value af = reshape(aRows, {rows, k}), dyf = reshape(dy, {rows, n});
    accumulate(bm, tb ? matmul(dyf, af, true, false) : matmul(af, dyf, true, false));
    return success();
  }
  accumulate(bm, tb ? matmul(dy, a, true, ta) : matmul(a, dy, !ta, false));
  return success();
}

LogicalResult GradientBuilder::backprop(Operation *op) {
  loc_ = op->getLoc();
  if (op->getNumResults() == 0)
    return success();
  Value dy = op->getNumResults() == 1 ? gradOf(op->getResult(0)) : Value();
  if (!dy)
    return success(); // nothing downstream depends on it
  Value y = op->getResult(0);
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<ParamRefOp, ConstantOp, CmpOp, BigramHashOp>([](auto) { return success(); })
      .Case([&](AddOp o) {
        accumulate(o.getLhs(), sumTo(dy, o.getLhs()));
        accumulate(o.getRhs(), sumTo(dy, o.getRhs()));
        return success();
      })
      .Case([&](SubOp o) {
        accumulate(o.getLhs(), sumTo(dy, o.getLhs()));
        accumulate(o.getRhs(), sumTo(neg(dy), o.getRhs()));
        return success();
      })
      .Case([&](MulOp o) {
        accumulate(o.getLhs(), sumTo(mul(dy, o.getRhs()), o.getLhs()));
        accumulate(o.getRhs(), sumTo(mul(dy, o.getLhs()), o.getRhs()));
        return success();
      })
      .Case([&](DivOp o) {
        accumulate(o.getLhs(), sumTo(div(dy, o.getRhs()), o.getLhs()));
        accumulate(o.getRhs(), sumTo(neg(div(mul(dy, y), o.getRhs())), o.getRhs()));
        return success();
      })
      .Case<MaxOp, MinOp>([&](auto o) {
        // Ties send the gradient to the left operand, as torch.maximum does not
        // split it either way deterministically; we pick one side.
        Value left = cmp(o.getLhs(), o.getRhs(), isa<MaxOp>(op) ? "ge" : "le");
        accumulate(o.getLhs(), sumTo(where(left, dy), o.getLhs()));
        accumulate(o.getRhs(), sumTo(select(left, zerosLike(dy), dy), o.getRhs()));
        return success();
      })
      .Case([&](PowOp o) {
        Value a = o.getLhs(), p = o.getRhs();
        Value pm1 = sub(p, constant(1.0, typeOf(p).getElementType()));
        accumulate(a, sumTo(mul(dy, mul(p, b_.create<PowOp>(loc_, a, pm1))), a));
        accumulate(p, sumTo(mul(dy, mul(y, b_.create<LogOp>(loc_, a))), p));
        return success();
      })
      .Case([&](NegOp o) { accumulate(o.getInput(), neg(dy)); return success(); })
      .Case([&](StopGradientOp) { return success(); })
      .Case([&](ExpOp o) { accumulate(o.getInput(), mul(dy, y)); return success(); })
      .Case([&](LogOp o) { accumulate(o.getInput(), div(dy, o.getInput())); return success(); })
      .Case([&](TanhOp o) {
        Value one = constant(1.0, typeOf(y).getElementType());
        accumulate(o.getInput(), mul(dy, sub(one, mul(y, y))));
        return success();
      })
      .Case([&](SigmoidOp o) {
        Value one = constant(1.0, typeOf(y).getElementType());
        accumulate(o.getInput(), mul(dy, mul(y, sub(one, y))));
        return success();
      })
      .Case([&](ReluOp o) {
        accumulate(o.getInput(), where(cmp(o.getInput(), zerosLike(dy), "gt"), dy));
        return success();
      })
      .Case([&](LeakyReluOp o) {
        Value pos = cmp(o.getInput(), zerosLike(dy), "gt");
        accumulate(o.getInput(), select(pos, dy, mul(dy, o.getSlope().convertToDouble())));
        return success();
      })
      .Case([&](SquareOp o) {
        accumulate(o.getInput(), mul(mul(dy, o.getInput()), 2.0));
        return success();
      })
      .Case([&](SqrtOp o) { accumulate(o.getInput(), div(mul(dy, 0.5), y)); return success(); })
      .Case([&](RsqrtOp o) {
        accumulate(o.getInput(), mul(mul(dy, mul(y, mul(y, y))), -0.5));
        return success();
      })
      .Case([&](AbsOp o) {
        Value x = o.getInput(), zero = zerosLike(dy);
        accumulate(x, select(cmp(x, zero, "gt"), dy, select(cmp(x, zero, "lt"), neg(dy), zero)));
        return success();
      })
      .Case([&](RoundOp o) { accumulate(o.getInput(), dy); return success(); })
      .Case([&](ClampOp o) {
        Value x = o.getInput();
        Type e = typeOf(x).getElementType();
        Value inside = cmp(x, constant(o.getMin().convertToDouble(), e), "ge");
        Value below = cmp(x, constant(o.getMax().convertToDouble(), e), "le");
        accumulate(x, where(inside, where(below, dy)));
        return success();
      })
      .Case([&](CastOp o) {
        accumulate(o.getInput(), b_.create<CastOp>(loc_, dy, TypeAttr::get(typeOf(o.getInput()).getElementType())));
        return success();
      })
      .Case([&](SelectOp o) {
        accumulate(o.getLhs(), sumTo(where(o.getCond(), dy), o.getLhs()));
        accumulate(o.getRhs(), sumTo(select(o.getCond(), zerosLike(dy), dy), o.getRhs()));
        return success();
      })
      .Case([&](ReduceSumOp o) {
        auto in = typeOf(o.getInput());
        int64_t axis = *normalizeAxis(int64_t(o.getAxis()), in.getRank());
        accumulate(o.getInput(), unreduce(dy, in, axis));
        return success();
      })
      .Case([&](ReduceMeanOp o) {
        auto in = typeOf(o.getInput());
        int64_t axis = *normalizeAxis(int64_t(o.getAxis()), in.getRank());
        accumulate(o.getInput(), mul(unreduce(dy, in, axis), 1.0 / double(in.getDimSize(axis))));
        return success();
      })
      .Case([&](ReduceMaxOp o) {
        auto in = typeOf(o.getInput());
        int64_t axis = *normalizeAxis(int64_t(o.getAxis()), in.getRank());
        Value atMax = cmp(o.getInput(), unreduce(y, in, axis), "eq");
        accumulate(o.getInput(), where(atMax, unreduce(dy, in, axis)));
        return success();
      })
      .Case([&](RmsNormOp o) {
        accumulate(o.getInput(), b_.create<RmsNormGradOp>(loc_, o.getType(), o.getInput(), dy,
                                                          o.getEpsAttr()));
        return success();
      })
      .Case([&](SoftcapOp o) {
        // d(cap * tanh(x / cap)) = 1 - tanh^2, with tanh = y / cap.
        Type e = typeOf(y).getElementType();
        Value t = mul(y, 1.0 / o.getCap().convertToDouble());
        accumulate(o.getInput(), mul(dy, sub(constant(1.0, e), mul(t, t))));
        return success();
      })
      .Case([&](CrossEntropyOp o) {
        accumulate(o.getLogits(),
                   b_.create<CrossEntropyGradOp>(loc_, o.getLogits().getType(), o.getLogits(),
                                                 o.getTargets(), dy, o.getReductionAttr()));
        return success();
      })
      .Case([&](MatmulOp o) { return matmulRule(o, dy); })
      .Case([&](EmbeddingOp o) {
        auto table = typeOf(o.getTable());
        accumulate(o.getTable(),
                   b_.create<EmbeddingGradOp>(loc_, table, o.getIds(), dy,
                                              b_.getI64IntegerAttr(table.getDimSize(0))));
        return success();
      })
      .Case([&](ReshapeOp o) {
        accumulate(o.getInput(), reshape(dy, typeOf(o.getInput()).getShape()));
        return success();
      })
      .Case([&](BroadcastOp o) { accumulate(o.getInput(), sumTo(dy, o.getInput())); return success(); })
      .Case([&](TransposeOp o) {
        ArrayRef<int64_t> perm = o.getPerm();
        SmallVector<int64_t> inverse(perm.size());
        for (auto [i, p] : llvm::enumerate(perm))
          inverse[p] = i;
        accumulate(o.getInput(), b_.create<TransposeOp>(loc_, dy, b_.getDenseI64ArrayAttr(inverse)));
        return success();
      })
      .Case([&](SplitHeadsOp o) {
        accumulate(o.getInput(), b_.create<MergeHeadsOp>(loc_, dy));
        return success();
      })
      .Case([&](MergeHeadsOp o) {
        accumulate(o.getInput(), b_.create<SplitHeadsOp>(
                                     loc_, dy, b_.getI64IntegerAttr(typeOf(o.getInput()).getDimSize(1))));
        return success();
      })
      .Case([&](SliceOp o) {
        auto in = typeOf(o.getInput());
        SmallVector<int64_t> high;
        for (auto [d, l] : llvm::zip(in.getShape(), o.getLimits()))
          high.push_back(d - l);
        accumulate(o.getInput(), b_.create<PadOp>(loc_, dy, o.getStartsAttr(),
                                                  b_.getDenseI64ArrayAttr(high)));
        return success();
      })
      .Case([&](ConcatOp o) {
        int64_t axis = *normalizeAxis(int64_t(o.getAxis()), typeOf(y).getRank());
        int64_t offset = 0;
        for (Value in : o.getInputs()) {
          auto t = typeOf(in);
          SmallVector<int64_t> starts(t.getRank(), 0), limits(t.getShape());
          starts[axis] = offset;
          limits[axis] = offset + t.getDimSize(axis);
          offset = limits[axis];
          accumulate(in, b_.create<SliceOp>(loc_, dy, b_.getDenseI64ArrayAttr(starts),
                                            b_.getDenseI64ArrayAttr(limits)));
        }
        return success();
      })
      .Case([&](ShiftOp o) {
        accumulate(o.getInput(), b_.create<ShiftOp>(loc_, dy, o.getAxisAttr(),
                                                    b_.getI64IntegerAttr(-int64_t(o.getOffset()))));
        return success();
      })
      .Case([&](RopeOp o) {
        accumulate(o.getInput(), b_.create<RopeOp>(loc_, dy, o.getBaseAttr(), o.getDimsAttr(),
                                                   o.getInverse() ? UnitAttr() : b_.getUnitAttr()));
        return success();
      })
      .Case([&](AttentionOp o) {
        auto g = b_.create<AttentionGradOp>(
            loc_, TypeRange{o.getQ().getType(), o.getK().getType(), o.getV().getType()},
            o.getQ(), o.getK(), o.getV(), dy, o.getCausalAttr(), o.getScaleAttr());
        accumulate(o.getQ(), g.getDq());
        accumulate(o.getK(), g.getDk());
        accumulate(o.getV(), g.getDv());
        return success();
      })
      .Case([&](FakeQuantOp o) {
        if (o.getMode() == "ste") {
          accumulate(o.getInput(), dy);
          return success();
        }
        accumulate(o.getInput(), b_.create<FakeQuantGradOp>(loc_, o.getType(), o.getInput(), dy,
                                                            o.getSharpness(), o.getBitsAttr(),
                                                            o.getModeAttr(), o.getAlphaAttr()));
        return success();
      })
      .Default([&](Operation *other) {
        return other->emitError("golf-autodiff has no rule for ") << other->getName();
      });
}

struct Autodiff : impl::GolfAutodiffBase<Autodiff> {
  using GolfAutodiffBase::GolfAutodiffBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::string> names(functions.begin(), functions.end());
    if (names.empty())
      names.push_back("loss");
    for (const std::string &name : names)
      if (failed(differentiate(module, name)))
        return signalPassFailure();
  }

  LogicalResult differentiate(ModuleOp module, StringRef name) {
    auto loss = module.lookupSymbol<func::FuncOp>(name);
    if (!loss)
      return module.emitError("golf-autodiff needs a @") << name << " function";
    std::string gradName = (name + "_grad").str();
    if (module.lookupSymbol(gradName))
      return module.emitError("the module already has @") << gradName;
    OpBuilder b(module.getContext());
    b.setInsertionPointAfter(loss);
    auto params = llvm::to_vector(module.getOps<ParamOp>());
    SmallVector<Type> resultTypes{loss.getResultTypes()[0]};
    SmallVector<Attribute> names{b.getStringAttr("loss")};
    for (ParamOp p : params) {
      resultTypes.push_back(p.getType());
      names.push_back(b.getStringAttr("grad:" + p.getSymName()));
    }
    auto grad = b.create<func::FuncOp>(loss.getLoc(), gradName,
                                       b.getFunctionType(loss.getArgumentTypes(), resultTypes));
    grad->setAttr("golf.result_names", b.getArrayAttr(names));
    Block *entry = grad.addEntryBlock();
    b.setInsertionPointToStart(entry);

    // Forward: a copy of @loss.
    IRMapping map;
    for (auto [from, to] : llvm::zip(loss.getArguments(), entry->getArguments()))
      map.map(from, to);
    SmallVector<Operation *> forward;
    Value lossValue;
    for (Operation &op : loss.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        lossValue = map.lookup(ret.getOperand(0));
        continue;
      }
      forward.push_back(b.clone(op, map));
    }

    // Backward: seed d(loss) = 1 and walk the copy in reverse.
    GradientBuilder g(b);
    auto lossType = cast<RankedTensorType>(lossValue.getType());
    g.accumulate(lossValue, b.create<ConstantOp>(
                                lossValue.getLoc(),
                                cast<ElementsAttr>(DenseElementsAttr::get(
                                    lossType, b.getFloatAttr(lossType.getElementType(), 1.0)))));
    for (Operation *op : llvm::reverse(forward))
      if (failed(g.backprop(op)))
        return failure();

    // Gradients of parameters: one param_ref per parameter per function.
    llvm::StringMap<Value> paramGrads;
    for (Operation *op : forward)
      if (auto ref = dyn_cast<ParamRefOp>(op))
        if (Value d = g.gradOf(ref.getResult())) {
          Value &slot = paramGrads[ref.getName()];
          slot = slot ? b.create<AddOp>(ref.getLoc(), slot, d).getResult() : d;
        }
    SmallVector<Value> results{lossValue};
    for (ParamOp p : params) {
      Value d = paramGrads.lookup(p.getSymName());
      if (!d) {
        auto type = p.getTensorType();
        d = b.create<ConstantOp>(p.getLoc(), cast<ElementsAttr>(DenseElementsAttr::get(
                                                 type, b.getFloatAttr(type.getElementType(), 0.0))));
      }
      results.push_back(d);
    }
    b.create<func::ReturnOp>(loss.getLoc(), results);
    return success();
  }
};

} // namespace
} // namespace mlir::golf

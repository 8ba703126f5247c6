//===- Autocast.cpp - bf16 products with fp32 accumulation ----------------===//
//
// The records train under torch.autocast(bfloat16): matrix products and
// attention read bf16 copies of their operands and return bf16, everything
// else stays fp32. Doing the same as explicit casts in the IR (rather than
// as a GPU-only choice) keeps the CPU executor an exact oracle of the GPU
// program: both see the same roundings, and only the order of fp32
// accumulation differs.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

namespace mlir::golf {
#define GEN_PASS_DEF_GOLFAUTOCAST
#include "passes/Passes.h.inc"

namespace {

/// Whether `t` is a float tensor that autocast narrows to `low`.
bool narrows(Type t, Type low) {
  auto tensor = dyn_cast<RankedTensorType>(t);
  return tensor && isa<FloatType>(tensor.getElementType()) && tensor.getElementType() != low;
}

struct Autocast : impl::GolfAutocastBase<Autocast> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto train = module->getAttrOfType<DictionaryAttr>("golf.train");
    auto mode = train ? train.getAs<StringAttr>("autocast") : StringAttr();
    if (!mode || mode.getValue() == "off")
      return;
    if (mode.getValue() != "bf16") {
      module.emitError("golf-autocast: unknown autocast mode '") << mode.getValue() << "'";
      return signalPassFailure();
    }
    Type low = BFloat16Type::get(module.getContext());
    module.walk([&](Operation *op) {
      if (!isa<MatmulOp, AttentionOp, AttentionGradOp>(op))
        return;
      OpBuilder b(op);
      for (OpOperand &use : op->getOpOperands())
        if (Type t = use.get().getType(); narrows(t, low))
          use.set(b.create<CastOp>(op->getLoc(), cast<RankedTensorType>(t).clone(low), use.get(),
                                   TypeAttr::get(low)));
      b.setInsertionPointAfter(op);
      for (OpResult r : op->getResults()) {
        Type wide = r.getType();
        if (!narrows(wide, low))
          continue;
        r.setType(cast<RankedTensorType>(wide).clone(low));
        auto back = b.create<CastOp>(op->getLoc(), wide, r,
                                     TypeAttr::get(cast<RankedTensorType>(wide).getElementType()));
        r.replaceAllUsesExcept(back, back);
      }
    });
  }
};

} // namespace
} // namespace mlir::golf

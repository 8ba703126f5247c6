//===- InsertCrownQ.cpp - the loss functions with CROWN-Q's penalty -------===//
//
// CROWN-Q (pgolf-spec §4.19) adds to the loss a proxy of the noise that
// quantizing each weight will add: per row, the mean squared weight times
// the variance d^2 / 12 of rounding to a step d = max|row| / 15 that is
// held constant. Like late QAT it is on only for part of training (the
// warmdown), so it becomes separate functions the trainer switches to.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

namespace mlir::golf {
#define GEN_PASS_DEF_GOLFINSERTCROWNQ
#include "passes/Passes.h.inc"

namespace {

/// The penalty of one matrix: mean_r( mean_j(w^2) * stop_gradient(max_j |w|)^2 ), in f32.
Value matrixPenalty(OpBuilder &b, Location loc, Value w) {
  auto type = cast<RankedTensorType>(w.getType());
  if (!type.getElementType().isF32())
    w = b.create<CastOp>(loc, type.clone(b.getF32Type()), w, TypeAttr::get(b.getF32Type()));
  IntegerAttr lastAxis = b.getI64IntegerAttr(type.getRank() - 1);
  Value meanSquare = b.create<ReduceMeanOp>(loc, b.create<SquareOp>(loc, w), lastAxis, UnitAttr());
  Value rowMax = b.create<ReduceMaxOp>(loc, b.create<AbsOp>(loc, w), lastAxis, UnitAttr());
  Value step = b.create<StopGradientOp>(loc, rowMax);
  Value perRow = b.create<MulOp>(loc, meanSquare, b.create<SquareOp>(loc, step));
  // Mean over every remaining axis (rows; banks of matrices too).
  while (cast<RankedTensorType>(perRow.getType()).getRank() > 0)
    perRow = b.create<ReduceMeanOp>(loc, perRow, b.getI64IntegerAttr(0), UnitAttr());
  return perRow;
}

/// Clones `from` as `name` with `weight` times the mean penalty of the
/// quantized matrices `params` added to its loss.
void addPenalized(ModuleOp module, func::FuncOp from, StringRef name, ArrayRef<ParamOp> params,
                  double weight) {
  OpBuilder b(module.getContext());
  b.setInsertionPointAfter(from);
  auto fn = cast<func::FuncOp>(b.clone(*from));
  fn.setSymName(name);
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  Location loc = ret.getLoc();
  b.setInsertionPoint(ret);
  Value total;
  for (ParamOp p : params) {
    Value w = b.create<ParamRefOp>(loc, p.getType(), FlatSymbolRefAttr::get(p.getSymNameAttr()));
    Value term = matrixPenalty(b, loc, w);
    total = total ? b.create<AddOp>(loc, total, term).getResult() : term;
  }
  Value loss = ret.getOperand(0);
  auto lossType = cast<RankedTensorType>(loss.getType());
  // weight / count / (15^2 * 12): the mean over matrices and the step's scale.
  double scale = weight / double(params.size()) / (15.0 * 15.0 * 12.0);
  auto scaleType = RankedTensorType::get({}, b.getF32Type());
  Value c = b.create<ConstantOp>(
      loc, cast<ElementsAttr>(DenseElementsAttr::get(scaleType, b.getF32FloatAttr(float(scale)))));
  Value penalty = b.create<MulOp>(loc, total, c);
  if (lossType.getElementType() != b.getF32Type())
    penalty = b.create<CastOp>(loc, lossType, penalty, TypeAttr::get(lossType.getElementType()));
  ret.setOperand(0, b.create<AddOp>(loc, loss, penalty));
}

struct InsertCrownQ : impl::GolfInsertCrownQBase<InsertCrownQ> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<LateTraining> late = lateTraining(module, "crown_q", "golf-insert-crown-q");
    if (failed(late))
      return signalPassFailure();
    DictionaryAttr crown = late->directive, exp = late->exportSection;
    if (!crown)
      return;
    SmallVector<ParamOp> quantized;
    for (ParamOp p : module.getOps<ParamOp>())
      if (exportBits(p, exp))
        quantized.push_back(p);
    if (quantized.empty()) {
      module.emitError("crown_q: the export quantizes no matrix, so there is nothing to penalize");
      return signalPassFailure();
    }
    double weight = 0.01;
    if (auto w = crown.getAs<FloatAttr>("weight"))
      weight = w.getValueAsDouble();
    addPenalized(module, late->loss, "loss_crownq", quantized, weight);
    if (auto qat = module.lookupSymbol<func::FuncOp>("loss_qat"))
      addPenalized(module, qat, "loss_qat_crownq", quantized, weight);
  }
};

} // namespace
} // namespace mlir::golf

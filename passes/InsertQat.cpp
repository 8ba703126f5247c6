//===- InsertQat.cpp - @loss on fake-quantized weights --------------------===//
//
// Late QAT switches fake quantization on partway through training. Rather
// than a runtime flag inside one graph, the module gets a second loss
// function with the fake_quant ops in place; both are differentiated and
// the trainer picks one per step. Which weights are fake-quantized, and at
// what width, follows the export section, so training sees the rounding the
// artifact will have.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::golf {
#define GEN_PASS_DEF_GOLFINSERTQAT
#include "passes/Passes.h.inc"

std::optional<int64_t> exportBits(ParamOp param, DictionaryAttr exp) {
  auto type = param.getTensorType();
  int64_t passthrough = 65536;
  if (auto n = exp.getAs<IntegerAttr>("passthrough_numel"))
    passthrough = n.getInt();
  if (type.getRank() < 2 || type.getNumElements() <= passthrough)
    return std::nullopt;
  if (auto keeps = exp.getAs<ArrayAttr>("keep"))
    for (auto k : keeps.getAsRange<DictionaryAttr>())
      if (auto cls = k.getAs<StringAttr>("class"); cls && cls.getValue() == param.getQuant())
        return std::nullopt;
  std::optional<int64_t> fallback;
  if (auto rules = exp.getAs<ArrayAttr>("quant"))
    for (auto r : rules.getAsRange<DictionaryAttr>()) {
      StringRef cls = r.getAs<StringAttr>("class").getValue();
      int64_t bits = r.getAs<IntegerAttr>("bits").getInt();
      if (cls == param.getQuant())
        return bits;
      if (cls == "default")
        fallback = bits;
    }
  return fallback;
}

FailureOr<LateTraining> lateTraining(ModuleOp module, StringRef name, StringRef pass) {
  LateTraining t;
  auto train = module->getAttrOfType<DictionaryAttr>("golf.train");
  t.directive = train ? train.getAs<DictionaryAttr>(name) : DictionaryAttr();
  if (!t.directive)
    return t;
  t.loss = module.lookupSymbol<func::FuncOp>("loss");
  if (!t.loss)
    return module.emitError(pass + " needs a @loss function");
  t.exportSection = module->getAttrOfType<DictionaryAttr>("golf.export");
  if (!t.exportSection)
    t.exportSection = DictionaryAttr::get(module.getContext());
  return t;
}

namespace {

struct InsertQat : impl::GolfInsertQatBase<InsertQat> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<LateTraining> late = lateTraining(module, "qat", "golf-insert-qat");
    if (failed(late))
      return signalPassFailure();
    DictionaryAttr qat = late->directive, exp = late->exportSection;
    func::FuncOp loss = late->loss;
    if (!qat)
      return;
    std::optional<int64_t> forcedBits;
    if (auto b = qat.getAs<IntegerAttr>("bits"))
      forcedBits = b.getInt();
    StringRef mode = qat.getAs<StringAttr>("mode").getValue();

    OpBuilder b(module.getContext());
    b.setInsertionPointAfter(loss);
    auto qatLoss = cast<func::FuncOp>(b.clone(*loss));
    qatLoss.setSymName("loss_qat");
    // Soft-round's sharpness is annealed as training goes (alpha_start to
    // alpha_end): @loss_qat takes it as a last argument, which the trainer
    // fills every step (train::Schedule::softRoundAlpha).
    Value sharpness;
    if (mode == "soft_round") {
      unsigned at = qatLoss.getNumArguments();
      (void)qatLoss.insertArgument(at, RankedTensorType::get({}, b.getF32Type()), {},
                                   qatLoss.getLoc());
      sharpness = qatLoss.getArgument(at);
    }
    qatLoss.walk([&](ParamRefOp ref) {
      auto param = module.lookupSymbol<ParamOp>(ref.getNameAttr());
      std::optional<int64_t> bits = exportBits(param, exp);
      if (!bits)
        return;
      b.setInsertionPointAfter(ref);
      auto fq = b.create<FakeQuantOp>(ref.getLoc(), ref.getType(), ref.getResult(), sharpness,
                                      b.getI64IntegerAttr(forcedBits.value_or(*bits)),
                                      b.getStringAttr(mode), FloatAttr());
      ref.getResult().replaceAllUsesExcept(fq.getResult(), fq);
    });
  }
};

} // namespace
} // namespace mlir::golf

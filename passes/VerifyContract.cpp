//===- VerifyContract.cpp - the backend contract --------------------------===//
//
// Later passes (autodiff, fusion, buffer planning) and both executors assume
// static shapes and a closed op set; this pass is the one place that checks.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::golf {
#define GEN_PASS_DEF_GOLFVERIFYCONTRACT
#include "passes/Passes.h.inc"

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 40;

LogicalResult checkType(Operation *op, Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t)
    return op->emitError("value of type ")
           << type << " is not a ranked tensor: the backend contract needs tensors";
  if (!t.hasStaticShape())
    return op->emitError("dynamic shape ")
           << type << ": the backend contract needs static shapes";
  Type e = t.getElementType();
  if (!(e.isF32() || e.isBF16() || e.isF16() || e.isF64() || e.isInteger(32) ||
        e.isInteger(1)))
    return op->emitError("element type ") << e << " is not supported by the backends";
  auto n = elementCount(t.getShape());
  if (!n || *n > kMaxElements)
    return op->emitError("tensor ") << type << " has more than 2^40 elements";
  return success();
}

struct VerifyContract : impl::GolfVerifyContractBase<VerifyContract> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringSet<> used;
    bool ok = true;
    auto fail = [&](LogicalResult r) { ok &= succeeded(r); };

    module.walk([&](ParamRefOp ref) { used.insert(ref.getName()); });
    for (Operation &op : module.getBody()->getOperations()) {
      if (auto param = dyn_cast<ParamOp>(op)) {
        fail(checkType(param, param.getType()));
        if (!used.contains(param.getSymName()))
          fail(param.emitError("parameter '")
               << param.getSymName() << "' is never used by a function");
        continue;
      }
      auto func = dyn_cast<func::FuncOp>(op);
      if (!func) {
        fail(op.emitError("unexpected op at module level: ") << op.getName());
        continue;
      }
      if (func.isExternal() || !func.getBody().hasOneBlock()) {
        fail(func.emitError("function '")
             << func.getSymName() << "' must have exactly one block");
        continue;
      }
      for (Type t : func.getArgumentTypes())
        fail(checkType(func, t));
      for (Operation &inner : func.getBody().front()) {
        if (!isa<GolfDialect>(inner.getDialect()) && !isa<func::ReturnOp>(inner)) {
          fail(inner.emitError("op ")
               << inner.getName() << " is outside the golf dialect");
          continue;
        }
        for (Type t : inner.getResultTypes())
          fail(checkType(&inner, t));
      }
      if (func.getSymName() == "loss") {
        auto results = func.getResultTypes();
        auto scalar = results.size() == 1
                          ? dyn_cast<RankedTensorType>(results[0])
                          : RankedTensorType();
        if (!scalar || scalar.getRank() != 0)
          fail(func.emitError("@loss must return one scalar tensor"));
      }
    }
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::golf

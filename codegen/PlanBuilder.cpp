//===- PlanBuilder.cpp - golf IR to the runtime's plan --------------------===//
//
// Attributes become JSON generically, by kind (integers, floats, strings,
// unit attributes as true, dense i64 arrays, types as dtype names, symbol
// references as names, splat constants as numbers), so a new op needs no
// change here: its ODS attribute names are the plan's.
//
//===----------------------------------------------------------------------===//
#include "codegen/PlanBuilder.h"

#include "ir/GolfOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace golf {
namespace {

using plan::Json;

std::optional<plan::DType> dtypeOf(mlir::Type t) {
  if (t.isF32()) return plan::DType::F32;
  if (t.isBF16()) return plan::DType::BF16;
  if (t.isF16()) return plan::DType::F16;
  if (t.isF64()) return plan::DType::F64;
  if (t.isInteger(32)) return plan::DType::I32;
  if (t.isInteger(1)) return plan::DType::I1;
  return std::nullopt;
}

std::optional<plan::TensorType> tensorTypeOf(mlir::Type t) {
  auto ranked = llvm::dyn_cast<mlir::RankedTensorType>(t);
  if (!ranked || !ranked.hasStaticShape())
    return std::nullopt;
  auto dtype = dtypeOf(ranked.getElementType());
  if (!dtype)
    return std::nullopt;
  return plan::TensorType{*dtype, std::vector<int64_t>(ranked.getShape().begin(),
                                                       ranked.getShape().end())};
}

std::optional<Json> attrToJson(mlir::Attribute a) {
  if (llvm::isa<mlir::UnitAttr>(a))
    return Json(true);
  if (auto b = llvm::dyn_cast<mlir::BoolAttr>(a))
    return Json(b.getValue());
  if (auto i = llvm::dyn_cast<mlir::IntegerAttr>(a))
    return Json(i.getValue().getSExtValue());
  if (auto f = llvm::dyn_cast<mlir::FloatAttr>(a))
    return Json(f.getValueAsDouble());
  if (auto s = llvm::dyn_cast<mlir::StringAttr>(a))
    return Json(s.str());
  if (auto r = llvm::dyn_cast<mlir::FlatSymbolRefAttr>(a))
    return Json(r.getValue().str());
  if (auto arr = llvm::dyn_cast<mlir::DenseI64ArrayAttr>(a))
    return Json(std::vector<int64_t>(arr.asArrayRef().begin(), arr.asArrayRef().end()));
  if (auto t = llvm::dyn_cast<mlir::TypeAttr>(a)) {
    auto d = dtypeOf(t.getValue());
    return d ? std::optional<Json>(Json(plan::dtypeName(*d))) : std::nullopt;
  }
  if (auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(a)) {
    if (!dense.isSplat())
      return std::nullopt;
    if (llvm::isa<mlir::FloatType>(dense.getElementType()))
      return Json(dense.getSplatValue<llvm::APFloat>().convertToDouble());
    return Json(dense.getSplatValue<llvm::APInt>().getSExtValue());
  }
  if (auto arr = llvm::dyn_cast<mlir::ArrayAttr>(a)) {
    Json out = Json::array();
    for (mlir::Attribute e : arr) {
      auto j = attrToJson(e);
      if (!j)
        return std::nullopt;
      out.push_back(std::move(*j));
    }
    return out;
  }
  if (auto dict = llvm::dyn_cast<mlir::DictionaryAttr>(a)) {
    Json out = Json::object();
    for (mlir::NamedAttribute n : dict) {
      auto j = attrToJson(n.getValue());
      if (!j)
        return std::nullopt;
      out[n.getName().str()] = std::move(*j);
    }
    return out;
  }
  return std::nullopt;
}

class Builder {
public:
  mlir::LogicalResult function(mlir::func::FuncOp f, plan::Plan &out) {
    plan::Function fn;
    fn.name = f.getSymName().str();
    for (mlir::BlockArgument a : f.getArguments()) {
      auto id = number(a, f);
      if (!id)
        return mlir::failure();
      fn.args.push_back(*id);
    }
    for (mlir::Operation &op : f.getBody().front()) {
      if (auto ret = llvm::dyn_cast<mlir::func::ReturnOp>(op)) {
        for (mlir::Value v : ret.getOperands())
          fn.results.push_back(ids_.lookup(v));
        continue;
      }
      plan::Op p;
      p.kind = op.getName().stripDialect().str();
      for (mlir::Value v : op.getOperands())
        p.operands.push_back(ids_.lookup(v));
      for (mlir::Value r : op.getResults()) {
        auto id = number(r, &op);
        if (!id)
          return mlir::failure();
        p.results.push_back(*id);
      }
      for (mlir::NamedAttribute a : op.getAttrs()) {
        auto j = attrToJson(a.getValue());
        if (!j)
          return op.emitError("the plan cannot hold attribute '") << a.getName().str() << "'";
        p.attrs[a.getName().str()] = std::move(*j);
      }
      fn.ops.push_back(std::move(p));
    }
    if (auto names = f->getAttrOfType<mlir::ArrayAttr>("golf.result_names")) {
      for (auto n : names.getAsValueRange<mlir::StringAttr>())
        fn.resultNames.push_back(n.str());
    } else {
      for (size_t i = 0; i < fn.results.size(); ++i)
        fn.resultNames.push_back(fn.results.size() == 1 ? fn.name : fn.name + std::to_string(i));
    }
    out.functions.push_back(std::move(fn));
    return mlir::success();
  }

  std::vector<plan::TensorType> values_;

private:
  template <typename Where> std::optional<int> number(mlir::Value v, Where where) {
    auto t = tensorTypeOf(v.getType());
    if (!t) {
      where->emitError("the plan needs static tensors of supported types, got ") << v.getType();
      return std::nullopt;
    }
    int id = int(values_.size());
    values_.push_back(*t);
    ids_[v] = id;
    return id;
  }

  llvm::DenseMap<mlir::Value, int> ids_;
};

} // namespace

mlir::FailureOr<plan::Plan> buildPlan(mlir::ModuleOp module) {
  plan::Plan out;
  out.model = module.getName().value_or("model").str();
  for (auto p : module.getOps<mlir::golf::ParamOp>()) {
    auto type = tensorTypeOf(p.getType());
    auto init = attrToJson(p.getInit());
    if (!type || !init)
      return p.emitError("the plan cannot hold this parameter"), mlir::failure();
    plan::Param param{p.getSymName().str(), *type, p.getGroup().str(), p.getQuant().str(),
                      std::nullopt, *init};
    if (auto wd = p.getWd())
      param.wd = wd->convertToDouble();
    out.params.push_back(std::move(param));
  }
  Builder builder;
  for (auto f : module.getOps<mlir::func::FuncOp>())
    if (mlir::failed(builder.function(f, out)))
      return mlir::failure();
  out.values = std::move(builder.values_);
  for (auto [key, slot] : {std::pair<const char *, Json *>{"golf.train", &out.train},
                           {"golf.export", &out.exportSettings},
                           {"golf.eval", &out.eval}}) {
    if (auto a = module->getAttr(key)) {
      auto j = attrToJson(a);
      if (!j)
        return module.emitError("cannot convert ") << key, mlir::failure();
      *slot = std::move(*j);
    }
  }
  return out;
}

} // namespace golf

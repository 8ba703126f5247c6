//===- Lower.cpp - .golf syntax tree to golf IR ---------------------------===//
//
// Runs the top level, then builds the module's entry functions at the shapes
// the sections ask for:
//   @loss(ids, targets) -> tensor<f32>        training micro-batch shapes
//   @nll(ids, targets)  -> tensor<BxTxf32>    evaluation shapes, per token
//
//===----------------------------------------------------------------------===//
#include "frontend/Lower.h"
#include "frontend/Elaborator.h"
#include "frontend/Parser.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

namespace golf {

namespace {

int64_t intSetting(mlir::DictionaryAttr section, llvm::StringRef key, int64_t dflt) {
  if (section)
    if (auto a = section.getAs<mlir::IntegerAttr>(key))
      return a.getInt();
  return dflt;
}

/// Reports MLIR diagnostics (from op type inference and verifiers) at their
/// source position, in the frontend's format.
class DiagnosticBridge {
public:
  DiagnosticBridge(mlir::MLIRContext &ctx, Diagnostics &diags)
      : handler_(&ctx, [&diags](mlir::Diagnostic &d) {
          SourceLoc at;
          if (auto fl = llvm::dyn_cast<mlir::FileLineColLoc>(d.getLocation()))
            at = {int(fl.getLine()), int(fl.getColumn())};
          std::string msg = d.str();
          if (d.getSeverity() == mlir::DiagnosticSeverity::Error)
            diags.error(at, msg);
          else if (d.getSeverity() == mlir::DiagnosticSeverity::Warning)
            diags.warning(at, msg);
          else
            diags.note(at, msg);
          return mlir::success();
        }) {}

private:
  mlir::ScopedDiagnosticHandler handler_;
};

/// Builds one entry function: `body` fills it and returns the result.
bool buildEntry(Elaborator &elab, mlir::ModuleOp module, llvm::StringRef name,
                llvm::ArrayRef<mlir::Type> argTypes, SourceLoc at,
                llvm::function_ref<MaybeTensor(llvm::ArrayRef<Value>)> body) {
  mlir::OpBuilder &b = elab.builder();
  b.setInsertionPointToEnd(module.getBody());
  auto func = b.create<mlir::func::FuncOp>(elab.loc(at), name,
                                           b.getFunctionType(argTypes, {}));
  mlir::Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  std::vector<Value> args;
  for (mlir::BlockArgument a : entry->getArguments())
    args.push_back(Value::ofTensor(a));
  elab.beginFunction();
  MaybeTensor result = body(args);
  elab.endFunction();
  if (!result) {
    std::string shapes;
    llvm::raw_string_ostream os(shapes);
    llvm::interleaveComma(argTypes, os);
    elab.diags().note(at, "while building @" + name + " for arguments " + os.str());
    func.erase();
    return false;
  }
  b.create<mlir::func::ReturnOp>(elab.loc(at), *result);
  func.setType(b.getFunctionType(argTypes, {result->getType()}));
  return true;
}

SourceLoc sourceLoc(mlir::Location loc) {
  if (auto fl = llvm::dyn_cast<mlir::FileLineColLoc>(loc))
    return {int(fl.getLine()), int(fl.getColumn())};
  return {};
}

/// Every parameter is used, belongs to a group exactly one optimizer
/// updates, and every group and quant class the sections name exists: a
/// misspelled name would otherwise silently leave parameters untrained or
/// unquantized.
bool checkGroupsAndClasses(mlir::ModuleOp module, Elaborator &elab, mlir::DictionaryAttr train,
                           Diagnostics &diags) {
  llvm::StringSet<> used, groups, classes;
  module.walk([&](mlir::golf::ParamRefOp r) { used.insert(r.getName()); });
  bool ok = true;
  for (auto p : module.getOps<mlir::golf::ParamOp>()) {
    groups.insert(p.getGroup());
    classes.insert(p.getQuant());
    if (!used.contains(p.getSymName())) {
      diags.error(sourceLoc(p.getLoc()), "parameter '" + p.getSymName().str() +
                                             "' is never used by forward or loss");
      ok = false;
    }
  }
  auto list = [](const llvm::StringSet<> &s) {
    std::vector<std::string> names;
    for (const auto &e : s)
      names.push_back(e.getKey().str());
    std::sort(names.begin(), names.end());
    return llvm::join(names, ", ");
  };
  llvm::StringMap<std::string> optimizerOf;
  if (auto opts = train.getAs<mlir::ArrayAttr>("optimizers")) {
    for (auto o : opts.getAsRange<mlir::DictionaryAttr>()) {
      std::string group = o.getAs<mlir::StringAttr>("group").str();
      std::string kind = o.getAs<mlir::StringAttr>("kind").str();
      if (!groups.contains(group)) {
        diags.error(elab.sectionLoc("train"), kind + "(group = " + group +
                                                  "): no parameter is in that group (groups: " +
                                                  list(groups) + ")");
        ok = false;
      } else if (!optimizerOf.try_emplace(group, kind).second) {
        diags.error(elab.sectionLoc("train"), "group '" + group + "' has two optimizers (" +
                                                  optimizerOf[group] + " and " + kind + ")");
        ok = false;
      }
    }
  }
  for (const auto &g : groups) {
    if (!optimizerOf.count(g.getKey())) {
      diags.error(elab.sectionLoc("train"), "no optimizer updates parameter group '" +
                                                g.getKey().str() + "'");
      ok = false;
    }
  }
  if (auto exp = module->getAttrOfType<mlir::DictionaryAttr>("golf.export")) {
    for (llvm::StringRef key : {"quant", "keep"}) {
      auto rules = exp.getAs<mlir::ArrayAttr>(key);
      if (!rules)
        continue;
      for (auto r : rules.getAsRange<mlir::DictionaryAttr>()) {
        auto cls = r.getAs<mlir::StringAttr>("class");
        if (cls && cls.getValue() != "default" && !classes.contains(cls.getValue())) {
          diags.error(elab.sectionLoc("export"),
                      key + "(class = " + cls.getValue() +
                          "): no parameter has that quant class (classes: " + list(classes) + ")");
          ok = false;
        }
      }
    }
  }
  return ok;
}

} // namespace

mlir::OwningOpRef<mlir::ModuleOp> lowerToGolf(const Module &module,
                                              const LowerOptions &options,
                                              mlir::MLIRContext &ctx, Diagnostics &diags) {
  ctx.loadDialect<mlir::golf::GolfDialect, mlir::func::FuncDialect>();
  DiagnosticBridge bridge(ctx, diags);

  // --set NAME=VALUE: parse each value as a .golf expression.
  std::vector<std::unique_ptr<SourceFile>> overrideFiles;
  std::vector<std::unique_ptr<Module>> overrideModules;
  std::map<std::string, const Expr *> overrides;
  for (const auto &[name, text] : options.overrides) {
    overrideFiles.push_back(std::make_unique<SourceFile>(
        "--set " + name, "model set\n" + name + " = " + text + "\n"));
    Diagnostics local(*overrideFiles.back(), llvm::errs());
    auto parsed = parse(*overrideFiles.back(), local);
    auto *assign = parsed && parsed->body.size() == 1
                       ? llvm::dyn_cast<AssignStmt>(parsed->body[0].get())
                       : nullptr;
    if (!assign || assign->targets.size() != 1) {
      diags.error({}, "--set " + name + "=" + text + ": the value must be one expression");
      return nullptr;
    }
    overrides[name] = assign->value.get();
    overrideModules.push_back(std::move(parsed));
  }

  mlir::OpBuilder b(&ctx);
  mlir::Location fileLoc = mlir::FileLineColLoc::get(&ctx, diags.file().name(),
                                                     module.loc.line, module.loc.col);
  mlir::OwningOpRef<mlir::ModuleOp> out = mlir::ModuleOp::create(fileLoc, module.name);
  Elaborator elab(ctx, *out, diags, overrides);
  if (!elab.runTopLevel(module.body))
    return nullptr;
  for (const auto &[name, expr] : elab.unusedOverrides()) {
    diags.error({}, "--set " + name + ": the file has no top-level hyperparameter '" + name + "'");
    return nullptr;
  }

  mlir::DictionaryAttr train, eval;
  for (auto [name, attr] : elab.sections()) {
    if (name == "train" && options.autocast) {
      mlir::NamedAttrList entries(attr);
      entries.set("autocast", b.getStringAttr(*options.autocast));
      attr = entries.getDictionary(&ctx);
    }
    (*out)->setAttr("golf." + name, attr);
    if (name == "train")
      train = attr;
    if (name == "eval")
      eval = attr;
  }
  if (!train) {
    diags.error(module.loc, "the model needs a train: section (its seq_len and batch fix the shapes)");
    return nullptr;
  }
  Value *forward = elab.globals().lookup("forward");
  if (!forward || forward->kind != Value::Kind::Fn || forward->fn->isBlock ||
      forward->fn->params.size() != 1) {
    diags.error(module.loc, "the model needs 'fn forward(ids)' returning logits [batch, seq, vocab]");
    return nullptr;
  }
  SourceLoc fwdLoc = forward->fn->loc;

  int64_t tokens = intSetting(train, "tokens_per_step", 0);
  int64_t seqLen = intSetting(train, "seq_len", 0);
  if (seqLen <= 0 || tokens <= 0 || tokens % seqLen != 0) {
    diags.error(module.loc, "train: tokens_per_step must be a positive multiple of seq_len");
    return nullptr;
  }
  int64_t micro = options.trainBatch.value_or(
      intSetting(train, "micro_batch", std::max<int64_t>(1, tokens / seqLen / 8)));
  int64_t evalSeq = intSetting(eval, "seq_len", seqLen);
  int64_t evalBatch = options.evalBatch.value_or(intSetting(eval, "batch_seqs", 8));
  if (micro <= 0 || (tokens / seqLen) % micro != 0) {
    diags.error(elab.sectionLoc("train"),
                "the micro-batch (" + std::to_string(micro) + " sequences) must divide the " +
                    std::to_string(tokens / seqLen) + " sequences of a step");
    return nullptr;
  }
  if (evalSeq <= 0 || evalBatch <= 0) {
    diags.error(elab.sectionLoc("eval"), "eval seq_len and batch_seqs must be positive");
    return nullptr;
  }
  auto ids = [&](int64_t batch, int64_t seq) {
    return mlir::RankedTensorType::get({batch, seq}, b.getI32Type());
  };
  Value *userLoss = elab.globals().lookup("loss");
  auto callForward = [&](const Value &idsValue) -> MaybeTensor {
    MaybeValue logits = elab.callFunction(*forward, {{"", idsValue, fwdLoc}}, fwdLoc);
    if (!logits)
      return std::nullopt;
    if (logits->kind != Value::Kind::Tensor) {
      diags.error(fwdLoc, "forward must return the logits tensor, got " + render(*logits));
      return std::nullopt;
    }
    return logits->tensor;
  };
  auto crossEntropy = [&](mlir::Value logits, mlir::Value targets, const char *reduction) {
    return elab.make<mlir::golf::CrossEntropyOp>(
        fwdLoc, {logits, targets},
        {elab.attr("reduction", b.getStringAttr(reduction))});
  };

  bool ok = buildEntry(
      elab, *out, "loss", {ids(micro, seqLen), ids(micro, seqLen)}, fwdLoc,
      [&](llvm::ArrayRef<Value> args) -> MaybeTensor {
        if (!userLoss || userLoss->kind != Value::Kind::Fn) {
          MaybeTensor logits = callForward(args[0]);
          return logits ? crossEntropy(*logits, args[1].tensor, "mean") : std::nullopt;
        }
        SourceLoc at = userLoss->fn->loc;
        MaybeValue l = elab.callFunction(*userLoss, {{"", args[0], at}, {"", args[1], at}}, at);
        if (!l)
          return std::nullopt;
        auto t = l->kind == Value::Kind::Tensor
                     ? llvm::dyn_cast<mlir::RankedTensorType>(l->tensor.getType())
                     : mlir::RankedTensorType();
        if (!t || t.getRank() != 0) {
          diags.error(at, "loss must return a scalar tensor, got " + render(*l));
          return std::nullopt;
        }
        return l->tensor;
      });
  ok = ok && buildEntry(elab, *out, "nll", {ids(evalBatch, evalSeq), ids(evalBatch, evalSeq)},
                        fwdLoc, [&](llvm::ArrayRef<Value> args) -> MaybeTensor {
                          MaybeTensor logits = callForward(args[0]);
                          return logits ? crossEntropy(*logits, args[1].tensor, "none")
                                        : std::nullopt;
                        });
  if (!ok || diags.errorCount() > 0 || !checkGroupsAndClasses(*out, elab, train, diags))
    return nullptr;
  if (mlir::failed(mlir::verify(*out)))
    return nullptr;
  return out;
}

} // namespace golf

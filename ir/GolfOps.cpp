//===- GolfOps.cpp - golf dialect operations ------------------------------===//
//
// Result-type inference, verifiers and folders of the golf ops. Inference
// doubles as shape checking: the generated verifier compares the inferred
// type with the written one.
//
//===----------------------------------------------------------------------===//
#include "ir/GolfOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::golf;

namespace {

RankedTensorType tensorOf(Type t) { return cast<RankedTensorType>(t); }

/// True if `v` is a constant splat equal to `x`.
bool isSplatOf(Attribute a, double x) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(a);
  if (!dense || !dense.isSplat())
    return false;
  if (isa<FloatType>(dense.getElementType()))
    return dense.getSplatValue<APFloat>().convertToDouble() == x;
  return false;
}

/// Folds `op(x, c)` to `x` when c is the identity splat and the result type is x's.
OpFoldResult foldRightIdentity(Operation *op, Attribute rhs, double identity) {
  Value lhs = op->getOperand(0);
  if (isSplatOf(rhs, identity) && lhs.getType() == op->getResult(0).getType())
    return lhs;
  return {};
}

} // namespace

//===----------------------------------------------------------------------===//
// ParamOp / ParamRefOp / ConstantOp / CastOp
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  auto kind = getInit().getAs<StringAttr>("kind");
  if (!kind)
    return emitOpError("init needs a string 'kind'");
  if (getGroup().empty())
    return emitOpError("group must not be empty");
  if (getQuant().empty())
    return emitOpError("quant must not be empty");
  if (!getTensorType().hasStaticShape())
    return emitOpError("parameter shape must be static");
  return success();
}

LogicalResult
ParamRefOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto param = symbolTable.lookupNearestSymbolFrom<ParamOp>(*this, getNameAttr());
  if (!param)
    return emitOpError("'") << getName() << "' is not a golf.param";
  if (param.getType() != getType())
    return emitOpError("type ")
           << getType() << " does not match parameter type " << param.getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  Type to = adaptor.getTo();
  if (!isa<FloatType>(to))
    return emitOptionalError(loc, "cast target must be a float type, got ", to);
  types.push_back(tensorOf(adaptor.getInput().getType()).clone(to));
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // Widening and narrowing back is the identity: bf16 and f16 are subsets of
  // f32, f32 of f64 (autocast's bf16 -> f32 -> bf16 between two products).
  if (auto inner = getInput().getDefiningOp<CastOp>()) {
    auto via = tensorOf(getInput().getType()).getElementType();
    if (inner.getInput().getType() == getType() && (via.isF32() || via.isF64()) &&
        via.getIntOrFloatBitWidth() > tensorOf(getType()).getElementType().getIntOrFloatBitWidth())
      return inner.getInput();
  }
  return {};
}

namespace {

/// cast(layout(x)) -> layout(cast(x)) for the layout ops that move or repeat
/// elements without choosing among them. Rounding commutes with moving, so
/// the values are the same; what changes is that the casts of one value
/// meet at that value, where CSE merges them. Autodiff and autocast cast a
/// value once per consumer, often through different views (a product's
/// operand and its weight gradient's operand are one tensor reshaped), and
/// on the GPU each distinct cast is a pass over memory. A broadcast's cast
/// also shrinks to the broadcast's operand. A slice keeps its cast below:
/// hoisting it would convert elements nobody reads.
struct HoistCastAboveLayout : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op, PatternRewriter &rewriter) const override {
    Operation *layout = op.getInput().getDefiningOp();
    if (!layout || !isa<ReshapeOp, BroadcastOp, TransposeOp, SplitHeadsOp, MergeHeadsOp>(layout))
      return failure();
    Value source = layout->getOperand(0);
    auto narrowed = rewriter.create<CastOp>(op.getLoc(), tensorOf(source.getType()).clone(op.getTo()),
                                            source, op.getToAttr());
    Operation *moved = rewriter.clone(*layout);
    moved->setOperand(0, narrowed);
    moved->getResult(0).setType(op.getType());
    rewriter.replaceOp(op, moved->getResults());
    return success();
  }
};

} // namespace

void CastOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *context) {
  results.add<HoistCastAboveLayout>(context);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return {};
}

LogicalResult ClampOp::verify() {
  if (getMin().convertToDouble() > getMax().convertToDouble())
    return emitOpError("min must not exceed max");
  return success();
}

OpFoldResult AddOp::fold(FoldAdaptor a) {
  return foldRightIdentity(*this, a.getRhs(), 0.0);
}
OpFoldResult SubOp::fold(FoldAdaptor a) {
  return foldRightIdentity(*this, a.getRhs(), 0.0);
}
OpFoldResult MulOp::fold(FoldAdaptor a) {
  return foldRightIdentity(*this, a.getRhs(), 1.0);
}
OpFoldResult DivOp::fold(FoldAdaptor a) {
  return foldRightIdentity(*this, a.getRhs(), 1.0);
}

LogicalResult CmpOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  return inferBroadcast(loc, adaptor.getLhs().getType(),
                        adaptor.getRhs().getType(), IntegerType::get(ctx, 1),
                        types);
}

LogicalResult CmpOp::verify() {
  static constexpr llvm::StringLiteral kPredicates[] = {"eq", "ne", "lt",
                                                        "le", "gt", "ge"};
  if (!llvm::is_contained(kPredicates, getPredicate()))
    return emitOpError("predicate must be one of eq, ne, lt, le, gt, ge; got '")
           << getPredicate() << "'";
  return success();
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  SmallVector<Type> values;
  if (failed(inferBroadcast(loc, adaptor.getLhs().getType(),
                            adaptor.getRhs().getType(), nullptr, values)))
    return failure();
  auto v = tensorOf(values[0]);
  auto shape = broadcastShapes(
      tensorOf(adaptor.getCond().getType()).getShape(), v.getShape());
  if (!shape)
    return emitOptionalError(loc, "condition shape does not broadcast with the values");
  types.push_back(RankedTensorType::get(*shape, v.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization, softcap, loss
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::verify() {
  if (getType().getRank() < 1)
    return emitOpError("needs rank >= 1");
  if (auto eps = getEps(); eps && eps->convertToDouble() < 0)
    return emitOpError("eps must be >= 0");
  return success();
}

LogicalResult SoftcapOp::verify() {
  if (!(getCap().convertToDouble() > 0))
    return emitOpError("cap must be > 0");
  return success();
}

LogicalResult CrossEntropyOp::inferReturnTypes(MLIRContext *ctx,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  auto logits = tensorOf(adaptor.getLogits().getType());
  auto targets = tensorOf(adaptor.getTargets().getType());
  if (logits.getRank() < 1)
    return emitOptionalError(loc, "logits need a vocabulary axis");
  if (logits.getShape().drop_back() != targets.getShape())
    return emitOptionalError(loc, "targets shape ", shapeString(targets.getShape()),
                             " must equal logits shape without its last axis (",
                             shapeString(logits.getShape().drop_back()), ")");
  Type f = logits.getElementType().isF64() ? Type(Float64Type::get(ctx))
                                           : Type(Float32Type::get(ctx));
  StringRef reduction = adaptor.getReduction();
  if (reduction == "mean")
    types.push_back(RankedTensorType::get({}, f));
  else if (reduction == "none")
    types.push_back(RankedTensorType::get(targets.getShape(), f));
  else
    return emitOptionalError(loc, "reduction must be 'mean' or 'none', got '",
                             reduction, "'");
  return success();
}

//===----------------------------------------------------------------------===//
// Matmul, embedding, bigram hash
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto a = tensorOf(adaptor.getLhs().getType());
  auto b = tensorOf(adaptor.getRhs().getType());
  if (a.getElementType() != b.getElementType())
    return emitOptionalError(loc, "element types differ: ", a.getElementType(),
                             " and ", b.getElementType());
  if (a.getRank() < 2 || b.getRank() < 2)
    return emitOptionalError(loc, "matmul operands need rank >= 2, got ",
                             a.getRank(), " and ", b.getRank());
  int64_t ra = a.getRank(), rb = b.getRank();
  int64_t m = a.getDimSize(ra - 2), ka = a.getDimSize(ra - 1);
  if (adaptor.getTransposeLhs())
    std::swap(m, ka);
  int64_t kb = b.getDimSize(rb - 2), n = b.getDimSize(rb - 1);
  if (adaptor.getTransposeRhs())
    std::swap(kb, n);
  if (ka != kb)
    return emitOptionalError(loc, "contraction sizes differ: ", ka, " vs ", kb,
                             " (shapes ", shapeString(a.getShape()), " and ",
                             shapeString(b.getShape()), ")");
  if (rb > 2 && a.getShape().drop_back(2) != b.getShape().drop_back(2))
    return emitOptionalError(loc, "batched matmul needs equal leading axes, got ",
                             shapeString(a.getShape()), " and ",
                             shapeString(b.getShape()));
  SmallVector<int64_t> shape(a.getShape().drop_back(2));
  shape.push_back(m);
  shape.push_back(n);
  types.push_back(RankedTensorType::get(shape, a.getElementType()));
  return success();
}

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto table = tensorOf(adaptor.getTable().getType());
  auto ids = tensorOf(adaptor.getIds().getType());
  if (table.getRank() != 2)
    return emitOptionalError(loc, "embedding table must be 2-D, got shape ",
                             shapeString(table.getShape()));
  SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(table.getDimSize(1));
  types.push_back(RankedTensorType::get(shape, table.getElementType()));
  return success();
}

LogicalResult BigramHashOp::verify() {
  if (getBuckets() < 2)
    return emitOpError("buckets must be >= 2");
  if (getType().getRank() < 1)
    return emitOpError("ids need a sequence axis");
  return success();
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = tensorOf(getInput().getType());
  if (in.getElementType() != getType().getElementType())
    return emitOpError("reshape must keep the element type");
  if (elementCount(in.getShape()) != elementCount(getType().getShape()))
    return emitOpError("element count changes from ")
           << shapeString(in.getShape()) << " to " << shapeString(getType().getShape());
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

LogicalResult BroadcastOp::verify() {
  auto in = tensorOf(getInput().getType());
  if (in.getElementType() != getType().getElementType())
    return emitOpError("broadcast must keep the element type");
  auto shape = broadcastShapes(in.getShape(), getType().getShape());
  if (!shape || ArrayRef<int64_t>(*shape) != getType().getShape())
    return emitOpError("cannot broadcast ")
           << shapeString(in.getShape()) << " to " << shapeString(getType().getShape());
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = tensorOf(adaptor.getInput().getType());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  if (int64_t(perm.size()) != in.getRank())
    return emitOptionalError(loc, "perm has ", perm.size(), " entries for rank ",
                             in.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOptionalError(loc, "perm is not a permutation");
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  types.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPerm();
  auto isIdentity = [](ArrayRef<int64_t> p) {
    for (auto [i, v] : llvm::enumerate(p))
      if (int64_t(i) != v)
        return false;
    return true;
  };
  if (isIdentity(perm))
    return getInput();
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(inner.getPerm()[p]);
    if (isIdentity(composed))
      return inner.getInput();
  }
  return {};
}

LogicalResult SplitHeadsOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto in = tensorOf(adaptor.getInput().getType());
  int64_t heads = adaptor.getHeads();
  if (in.getRank() != 3)
    return emitOptionalError(loc, "split_heads needs [batch, seq, features], got ",
                             shapeString(in.getShape()));
  if (heads <= 0 || in.getDimSize(2) % heads != 0)
    return emitOptionalError(loc, "features ", in.getDimSize(2),
                             " do not split into ", heads, " heads");
  types.push_back(RankedTensorType::get(
      {in.getDimSize(0), heads, in.getDimSize(1), in.getDimSize(2) / heads},
      in.getElementType()));
  return success();
}

LogicalResult MergeHeadsOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto in = tensorOf(adaptor.getInput().getType());
  if (in.getRank() != 4)
    return emitOptionalError(loc, "merge_heads needs [batch, heads, seq, head_dim], got ",
                             shapeString(in.getShape()));
  types.push_back(RankedTensorType::get(
      {in.getDimSize(0), in.getDimSize(2), in.getDimSize(1) * in.getDimSize(3)},
      in.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = tensorOf(adaptor.getInput().getType());
  ArrayRef<int64_t> starts = adaptor.getStarts(), limits = adaptor.getLimits();
  if (int64_t(starts.size()) != in.getRank() || int64_t(limits.size()) != in.getRank())
    return emitOptionalError(loc, "slice needs one start and one limit per axis");
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    if (starts[i] < 0 || starts[i] > limits[i] || limits[i] > in.getDimSize(i))
      return emitOptionalError(loc, "slice [", starts[i], ", ", limits[i],
                               ") is out of bounds on axis ", i, " of size ",
                               in.getDimSize(i));
    shape.push_back(limits[i] - starts[i]);
  }
  types.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "concat needs at least one input");
  auto first = tensorOf(inputs[0].getType());
  auto axis = normalizeAxis(adaptor.getAxis(), first.getRank());
  if (!axis)
    return emitOptionalError(loc, "axis ", adaptor.getAxis(),
                             " is out of range for rank ", first.getRank());
  SmallVector<int64_t> shape(first.getShape());
  for (Value v : inputs.drop_front()) {
    auto t = tensorOf(v.getType());
    if (t.getElementType() != first.getElementType() || t.getRank() != first.getRank())
      return emitOptionalError(loc, "concat inputs differ in element type or rank");
    for (int64_t i = 0; i < t.getRank(); ++i)
      if (i != *axis && t.getDimSize(i) != first.getDimSize(i))
        return emitOptionalError(loc, "concat inputs differ on axis ", i, ": ",
                                 shapeString(first.getShape()), " vs ",
                                 shapeString(t.getShape()));
    shape[*axis] += t.getDimSize(*axis);
  }
  types.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult ShiftOp::verify() {
  if (!normalizeAxis(getAxis(), getType().getRank()))
    return emitOpError("axis ") << getAxis() << " is out of range";
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  auto t = getType();
  if (t.getRank() < 2)
    return emitOpError("needs [..., seq, head_dim]");
  int64_t d = t.getDimSize(t.getRank() - 1), r = getDims();
  if (r <= 0 || r % 2 != 0 || r > d)
    return emitOpError("dims must be even and in (0, ") << d << "], got " << r;
  if (!(getBase().convertToDouble() > 0))
    return emitOpError("base must be > 0");
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto q = tensorOf(adaptor.getQ().getType());
  auto k = tensorOf(adaptor.getK().getType());
  auto v = tensorOf(adaptor.getV().getType());
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return emitOptionalError(loc, "attention needs [batch, heads, seq, head_dim] operands");
  if (q.getElementType() != k.getElementType() || q.getElementType() != v.getElementType())
    return emitOptionalError(loc, "q, k and v must share an element type");
  int64_t b = q.getDimSize(0), h = q.getDimSize(1), t = q.getDimSize(2);
  int64_t hkv = k.getDimSize(1), s = k.getDimSize(2);
  if (k.getDimSize(0) != b || v.getDimSize(0) != b)
    return emitOptionalError(loc, "q, k and v batch sizes differ");
  if (v.getDimSize(1) != hkv || v.getDimSize(2) != s)
    return emitOptionalError(loc, "k and v differ in heads or length: ",
                             shapeString(k.getShape()), " vs ", shapeString(v.getShape()));
  if (hkv <= 0 || h % hkv != 0)
    return emitOptionalError(loc, h, " query heads are not a multiple of ", hkv,
                             " KV heads");
  if (k.getDimSize(3) != q.getDimSize(3))
    return emitOptionalError(loc, "q and k head dims differ: ", q.getDimSize(3),
                             " vs ", k.getDimSize(3));
  if (adaptor.getCausal() && s != t)
    return emitOptionalError(loc, "causal attention needs equal query and key lengths");
  types.push_back(RankedTensorType::get({b, h, t, v.getDimSize(3)}, q.getElementType()));
  return success();
}

LogicalResult AttentionOp::verify() {
  if (!(getScale().convertToDouble() > 0))
    return emitOpError("scale must be > 0");
  return success();
}

//===----------------------------------------------------------------------===//
// QAT
//===----------------------------------------------------------------------===//

LogicalResult FakeQuantOp::verify() {
  if (getBits() < 2 || getBits() > 8)
    return emitOpError("bits must be in [2, 8], got ") << getBits();
  if (getMode() != "ste" && getMode() != "soft_round")
    return emitOpError("mode must be 'ste' or 'soft_round', got '") << getMode() << "'";
  const bool soft = getMode() == "soft_round";
  if (getSharpness() && getAlpha())
    return emitOpError("takes its sharpness from the alpha attribute or the operand, not both");
  if (soft != (getAlpha().has_value() || bool(getSharpness())))
    return emitOpError("alpha is required for soft_round and only for it");
  if (auto s = getSharpness())
    if (auto t = cast<RankedTensorType>(s.getType()); t.getRank() != 0 || !t.getElementType().isF32())
      return emitOpError("sharpness must be a tensor<f32>, got ") << t;
  if (getType().getRank() < 1)
    return emitOpError("needs rank >= 1 (rows are all axes but the last)");
  return success();
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

LogicalResult AttentionGradOp::verify() {
  if (getDq().getType() != getQ().getType() || getDk().getType() != getK().getType() ||
      getDv().getType() != getV().getType())
    return emitOpError("gradients must have the types of q, k and v");
  SmallVector<Type> forward;
  SmallVector<Value> operands{getQ(), getK(), getV()}; // the adaptor keeps a view
  AttentionOp::Adaptor adaptor(operands, (*this)->getAttrDictionary());
  if (failed(AttentionOp::inferReturnTypes(getContext(), getLoc(), adaptor, forward)))
    return failure();
  if (forward[0] != getDy().getType())
    return emitOpError("dy must have the type of the attention output ") << forward[0];
  return success();
}

LogicalResult CrossEntropyGradOp::verify() {
  SmallVector<Type> forward;
  SmallVector<Value> operands{getLogits(), getTargets()}; // the adaptor keeps a view
  CrossEntropyOp::Adaptor adaptor(operands, (*this)->getAttrDictionary());
  if (failed(CrossEntropyOp::inferReturnTypes(getContext(), getLoc(), adaptor, forward)))
    return failure();
  if (forward[0] != getDloss().getType())
    return emitOpError("dloss must have the type of the loss ") << forward[0];
  return success();
}

LogicalResult EmbeddingGradOp::verify() {
  auto dy = tensorOf(getDy().getType());
  auto ids = tensorOf(getIds().getType());
  if (dy.getShape().drop_back() != ids.getShape())
    return emitOpError("dy must be ids' shape plus the row width");
  if (getType().getShape() != ArrayRef<int64_t>{int64_t(getRows()), dy.getShape().back()} ||
      getType().getElementType() != dy.getElementType())
    return emitOpError("result must be [rows, width] of dy's element type");
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor, SmallVectorImpl<Type> &types) {
  auto in = tensorOf(adaptor.getInput().getType());
  ArrayRef<int64_t> low = adaptor.getLow(), high = adaptor.getHigh();
  if (int64_t(low.size()) != in.getRank() || int64_t(high.size()) != in.getRank())
    return emitOptionalError(loc, "pad needs low and high per axis");
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    if (low[i] < 0 || high[i] < 0)
      return emitOptionalError(loc, "padding must be >= 0");
    shape.push_back(low[i] + in.getDimSize(i) + high[i]);
  }
  types.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult ReduceToOp::verify() {
  auto in = tensorOf(getInput().getType());
  auto shape = broadcastShapes(getType().getShape(), in.getShape());
  if (in.getElementType() != getType().getElementType() || !shape ||
      ArrayRef<int64_t>(*shape) != in.getShape())
    return emitOpError("result ") << shapeString(getType().getShape())
                                  << " does not broadcast to " << shapeString(in.getShape());
  return success();
}

OpFoldResult ReduceToOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

#define GET_OP_CLASSES
#include "ir/GolfOps.cpp.inc"

//===- ShapeRules.cpp - shape rules shared by several golf ops ------------===//
#include "ir/ShapeRules.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::golf {

std::string shapeString(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return os.str();
}

std::optional<int64_t> elementCount(ArrayRef<int64_t> shape) {
  constexpr int64_t kLimit = int64_t(1) << 62;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && n > kLimit / d)
      return std::nullopt;
    n *= d;
  }
  return n;
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                     ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

LogicalResult inferBroadcast(std::optional<Location> loc, Type lhs, Type rhs,
                             Type resultElement,
                             SmallVectorImpl<Type> &inferred) {
  auto l = dyn_cast<RankedTensorType>(lhs);
  auto r = dyn_cast<RankedTensorType>(rhs);
  if (!l || !r)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (l.getElementType() != r.getElementType())
    return emitOptionalError(loc, "element types differ: ", l.getElementType(),
                             " and ", r.getElementType());
  auto shape = broadcastShapes(l.getShape(), r.getShape());
  if (!shape)
    return emitOptionalError(loc, "shapes ", shapeString(l.getShape()), " and ",
                             shapeString(r.getShape()), " do not broadcast");
  inferred.push_back(RankedTensorType::get(
      *shape, resultElement ? resultElement : l.getElementType()));
  return success();
}

LogicalResult inferReduce(std::optional<Location> loc, Type input, int64_t axis,
                          bool keepdim, SmallVectorImpl<Type> &inferred) {
  auto t = cast<RankedTensorType>(input);
  auto a = normalizeAxis(axis, t.getRank());
  if (!a)
    return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                             t.getRank());
  SmallVector<int64_t> shape(t.getShape());
  if (keepdim)
    shape[*a] = 1;
  else
    shape.erase(shape.begin() + *a);
  inferred.push_back(RankedTensorType::get(shape, t.getElementType()));
  return success();
}

} // namespace mlir::golf

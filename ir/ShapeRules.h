//===- ShapeRules.h - shape rules shared by several golf ops -----*- C++ -*-===//
//
// Result-type rules used by more than one op's inferReturnTypes. Each emits
// its reason at `loc` (when given) and fails, so the frontend reports it at
// the source position and the verifier at the op.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_IR_SHAPERULES_H
#define GOLF_IR_SHAPERULES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace mlir::golf {

/// Numpy broadcast of two ranked tensors with equal element types. The
/// result element type is `resultElement` if given, else the operands'.
LogicalResult inferBroadcast(std::optional<Location> loc, Type lhs, Type rhs,
                             Type resultElement,
                             SmallVectorImpl<Type> &inferred);

/// Broadcast shape of two static shapes, or nothing if they do not broadcast.
std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                     ArrayRef<int64_t> b);

/// Reduction of `axis` (negative counts from the end).
LogicalResult inferReduce(std::optional<Location> loc, Type input, int64_t axis,
                          bool keepdim, SmallVectorImpl<Type> &inferred);

/// `axis` made non-negative for a tensor of rank `rank`, or nothing if out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Element count of a static shape; nothing on overflow past 2^62.
std::optional<int64_t> elementCount(ArrayRef<int64_t> shape);

/// "8x1024x512" for diagnostics.
std::string shapeString(ArrayRef<int64_t> shape);

} // namespace mlir::golf

#endif // GOLF_IR_SHAPERULES_H

//===- GolfOps.h - golf dialect operations -----------------------*- C++ -*-===//
#ifndef GOLF_IR_GOLFOPS_H
#define GOLF_IR_GOLFOPS_H

#include "ir/GolfDialect.h"
#include "ir/ShapeRules.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "ir/GolfOps.h.inc"

#endif // GOLF_IR_GOLFOPS_H

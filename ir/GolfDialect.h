//===- GolfDialect.h - the golf dialect --------------------------*- C++ -*-===//
#ifndef GOLF_IR_GOLFDIALECT_H
#define GOLF_IR_GOLFDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "ir/GolfOpsDialect.h.inc"

#endif // GOLF_IR_GOLFDIALECT_H

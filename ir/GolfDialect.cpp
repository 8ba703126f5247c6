//===- GolfDialect.cpp - the golf dialect ---------------------------------===//
#include "ir/GolfDialect.h"
#include "ir/GolfOps.h"

using namespace mlir;
using namespace mlir::golf;

#include "ir/GolfOpsDialect.cpp.inc"

void GolfDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/GolfOps.cpp.inc"
      >();
}

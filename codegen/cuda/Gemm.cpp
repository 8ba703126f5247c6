//===- Gemm.cpp - golf.matmul as one cuBLASLt call --------------------------===//
//
// A linear layer (a 2-D right side, the left side not transposed) folds all
// leading axes into M: one large product instead of a batch of small ones.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Lowering.h"

#include <stdexcept>

namespace golf::cudagen {

Step emitGemm(const Lowering &l, const plan::Op &op) {
  const std::vector<int64_t> &a = l.type(op.operands[0]).shape, &b = l.type(op.operands[1]).shape;
  if (a.size() < 2 || b.size() < 2)
    throw std::invalid_argument("matmul operands need rank >= 2");
  bool ta = op.attrs.value("transpose_lhs", false), tb = op.attrs.value("transpose_rhs", false);
  int64_t a1 = a[a.size() - 2], a2 = a.back(), b1 = b[b.size() - 2], b2 = b.back();
  GemmCall g;
  g.transA = ta;
  g.transB = tb;
  g.m = ta ? a2 : a1;
  g.k = ta ? a1 : a2;
  g.n = tb ? b1 : b2;
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < a.size(); ++i)
    batch *= a[i];
  if (b.size() == 2 && !ta) {
    g.m *= batch;
  } else {
    g.batch = batch;
    g.strideA = a1 * a2;
    g.strideB = b.size() == 2 ? 0 : b1 * b2;
    g.strideC = g.m * g.n;
  }
  Step s;
  s.kind = Step::Gemm;
  s.label = opLabel(l.function(), op);
  s.operands = {op.operands[0], op.operands[1]};
  s.results = {op.results[0]};
  s.gemm = g;
  return s;
}

} // namespace golf::cudagen

//===- Flops.cpp - model FLOPs of a training step -------------------------===//
#include "Flops.h"

namespace golf {

double trainFlopsPerToken(const plan::Plan &plan) {
  const plan::Function *loss = plan.function("loss");
  if (!loss || loss->args.empty())
    return 0;
  auto shape = [&](int v) -> const std::vector<int64_t> & { return plan.values[size_t(v)].shape; };
  double forward = 0;
  for (const plan::Op &op : loss->ops) {
    if (op.kind == "matmul" && op.operands.size() == 2 && !op.results.empty()) {
      const std::vector<int64_t> &lhs = shape(op.operands[0]);
      if (lhs.size() < 2)
        continue;
      bool transposed = op.attrs.value("transpose_lhs", false);
      double k = double(transposed ? lhs[lhs.size() - 2] : lhs.back());
      forward += 2.0 * double(plan.values[size_t(op.results[0])].numel()) * k;
    } else if (op.kind == "attention" && op.operands.size() >= 2) {
      const std::vector<int64_t> &q = shape(op.operands[0]), &k = shape(op.operands[1]);
      if (q.size() != 4 || k.size() != 4)
        continue;
      double f = 4.0 * double(q[0]) * double(q[1]) * double(q[2]) * double(k[2]) * double(q[3]);
      forward += op.attrs.value("causal", false) ? f / 2 : f;
    }
  }
  return 3.0 * forward / double(plan.values[size_t(loss->args[0])].numel());
}

} // namespace golf

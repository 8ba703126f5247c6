//===- RandomInputs.cpp - random tokens for golfc's checking commands -----===//
#include "RandomInputs.h"

#include <algorithm>
#include <climits>

namespace golf {

int64_t tokenIdBound(const plan::Plan &p) {
  int64_t bound = INT64_MAX;
  for (const plan::Function &f : p.functions)
    for (const plan::Op &op : f.ops) {
      if (op.kind == "embedding" || op.kind == "embedding_grad")
        bound = std::min(bound, op.kind == "embedding" ? p.values[size_t(op.operands[0])].shape[0]
                                                       : int64_t(op.attrs.value("rows", 1)));
      if (op.kind == "cross_entropy")
        bound = std::min(bound, p.values[size_t(op.operands[0])].shape.back());
    }
  return bound == INT64_MAX ? 2 : bound;
}

cpu::ParamStore randomParams(const plan::Plan &p, double stddev, cpu::Storage storage,
                             std::mt19937_64 &rng) {
  std::normal_distribution<double> normal(0.0, stddev);
  cpu::ParamStore params;
  for (const plan::Param &param : p.params) {
    std::vector<double> w(size_t(param.type.numel()));
    for (double &x : w)
      x = normal(rng);
    cpu::Tensor t = cpu::Tensor::fromDoubles(param.type.dtype, param.type.shape, w);
    params[param.name] = t.storage() == storage ? t : t.convertedTo(storage);
  }
  return params;
}

std::vector<cpu::Tensor> randomInputs(const plan::Plan &p, const plan::Function &f,
                                      std::mt19937_64 &rng) {
  std::uniform_int_distribution<int32_t> token(0, int32_t(tokenIdBound(p) - 1));
  std::vector<cpu::Tensor> inputs;
  for (int id : f.args) {
    const plan::TensorType &t = p.values[size_t(id)];
    if (t.dtype != plan::DType::I32) {
      // A float argument is a soft-round sharpness (golf-insert-qat): a
      // value halfway through the usual annealing from 1 to 16.
      inputs.push_back(cpu::Tensor::fromDoubles(t.dtype, t.shape,
                                                std::vector<double>(size_t(t.numel()), 4.0)));
      continue;
    }
    std::vector<int32_t> ids(size_t(t.numel()));
    for (int32_t &x : ids)
      x = token(rng);
    inputs.push_back(cpu::Tensor::fromInts(t.shape, ids));
  }
  return inputs;
}

} // namespace golf

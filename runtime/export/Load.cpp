//===- Load.cpp - an artifact's weights for a plan ------------------------===//
#include "runtime/export/Load.h"

namespace golf::exporter {

std::optional<cpu::ParamStore> loadWeights(const Artifact &a, const plan::Plan &plan,
                                           std::string &error) {
  if (a.tensors.size() != plan.params.size()) {
    error = "the artifact holds " + std::to_string(a.tensors.size()) + " tensors, the model has " +
            std::to_string(plan.params.size()) + " parameters";
    return std::nullopt;
  }
  cpu::ParamStore out;
  for (const StoredTensor &t : a.tensors) {
    const plan::Param *p = plan.param(t.name);
    if (!p || p->type.dtype != t.dtype || p->type.shape != t.shape) {
      error = "stored tensor '" + t.name + "' " + plan::dtypeName(t.dtype) +
              cpu::shapeString(t.shape) + " is not a parameter of model " + plan.model;
      return std::nullopt;
    }
    if (out.count(t.name)) {
      error = "tensor '" + t.name + "' is stored twice";
      return std::nullopt;
    }
    auto values = unpackValues(t, error);
    if (!values)
      return std::nullopt;
    std::vector<double> rounded(values->size());
    for (size_t i = 0; i < rounded.size(); ++i)
      rounded[i] = cpu::roundToDType((*values)[i], t.dtype);
    out[t.name] = cpu::Tensor::fromDoubles(t.dtype, t.shape, rounded).convertedTo(cpu::Storage::F32);
  }
  return out;
}

} // namespace golf::exporter

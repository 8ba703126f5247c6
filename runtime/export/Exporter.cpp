//===- Exporter.cpp - weights to artifact, as the export section says -----===//
#include "runtime/export/Exporter.h"
#include "runtime/export/Gptq.h"
#include "runtime/export/Prune.h"

namespace golf::exporter {

namespace {

/// A parameter on its way into the artifact.
struct Pending {
  const plan::Param *param;
  TensorRow row;
  std::optional<StoredTensor> stored; // float tensors are final at once
  std::optional<Quantized> quantized; // packed after selective pruning
  bool nibble = false;
};

StoredTensor stored(const Pending &p) {
  if (p.stored)
    return *p.stored;
  return packQuantized(p.param->name, p.param->type.dtype, p.param->type.shape, *p.quantized,
                       p.nibble);
}

Artifact assemble(const ExportInput &in, const std::vector<Pending> &pending) {
  Artifact a;
  a.model = in.plan->model;
  a.sourceIsPlan = in.sourceIsPlan;
  a.source = in.source;
  a.overrides = in.overrides;
  a.codec = in.settings.codec;
  for (const Pending &p : pending)
    a.tensors.push_back(stored(p));
  return a;
}

std::optional<Pending> prepare(const ExportInput &in, const plan::Param &param,
                               std::vector<std::string> &notes, std::string &error) {
  auto it = in.weights->find(param.name);
  if (it == in.weights->end() || it->second.shape() != param.type.shape) {
    error = "the model's '" + param.name + "' is " + cpu::shapeString(param.type.shape) +
            ", the weights' " +
            (it == in.weights->end() ? "is missing" : cpu::shapeString(it->second.shape()));
    return std::nullopt;
  }
  std::vector<double> d = it->second.toDoubles();
  std::vector<float> values(d.begin(), d.end());
  Pending p{&param, {param.name, "", "float", param.type.numel(), 0, 0, 0}, {}, {}, false};
  const ExportSettings &s = in.settings;
  if (s.pruneFraction && param.type.numel() > s.pruneMinNumel && param.type.shape.size() >= 2)
    p.row.pruned = magnitudePrune(values, *s.pruneFraction);
  TensorPlan tp = planTensor(s, param);
  if (!tp.quantized) {
    p.stored = packFloat(param.name, param.type.dtype, param.type.shape, values, tp.f32);
    return p;
  }
  StoredTensor shape{param.name, param.type.dtype, param.type.shape};
  Matrix m{shape.rows(), shape.cols(), std::move(values)};
  const QuantClass &qc = *tp.quant;
  std::vector<float> scales = rowScales(m, qc.spec);
  p.nibble = qc.nibble;
  p.row.method = "rtn";
  auto h = in.hessians.find(param.name);
  if (qc.gptq && h != in.hessians.end()) {
    const GptqSettings &g = *s.gptq;
    p.quantized = gptqQuantize(m, h->second, scales, qc.spec, {g.damp, g.block, g.actOrder}, error);
    if (!p.quantized) {
      error = param.name + ": " + error;
      return std::nullopt;
    }
    p.row.method = "gptq";
  } else {
    if (qc.gptq)
      notes.push_back(param.name + ": not the weight of a linear in @loss, rounded to nearest");
    p.quantized = quantizeWithScales(m, scales, qc.spec);
  }
  return p;
}

} // namespace

std::optional<ExportOutput> buildArtifact(const ExportInput &in, std::string &error) {
  ExportOutput out;
  ExportReport &r = out.report;
  std::vector<Pending> pending;
  for (const plan::Param &param : in.plan->params) {
    auto p = prepare(in, param, r.notes, error);
    if (!p)
      return std::nullopt;
    pending.push_back(std::move(*p));
  }
  const ExportSettings &s = in.settings;
  r.sourceBytes = in.source.size();
  uint64_t uncounted = s.countSource ? 0 : r.sourceBytes;
  auto measure = [&](std::string &err) -> std::optional<uint64_t> {
    auto bytes = writeArtifact(assemble(in, pending), err);
    if (!bytes)
      return std::nullopt;
    return uint64_t(bytes->size()) - uncounted;
  };
  if (s.selectiveTarget) {
    std::vector<Quantized *> targets;
    for (Pending &p : pending)
      if (p.quantized)
        targets.push_back(&*p.quantized);
    auto sel = selectivePrune(targets, uint64_t(*s.selectiveTarget), measure, error);
    if (!sel)
      return std::nullopt;
    r.selectiveCandidates = sel->candidates;
    r.selectiveZeroed = sel->zeroed;
    r.selectiveFits = sel->fits;
  }
  Artifact a = assemble(in, pending);
  for (size_t i = 0; i < pending.size(); ++i) {
    TensorRow row = pending[i].row;
    const StoredTensor &t = a.tensors[i];
    row.format = t.format();
    row.rawBytes = int64_t(t.data.size());
    auto packed = compress(s.codec, t.data, error);
    if (!packed)
      return std::nullopt;
    row.compressedBytes = int64_t(packed->size());
    r.rows.push_back(row);
  }
  auto bytes = writeArtifact(a, error);
  if (!bytes)
    return std::nullopt;
  out.bytes = std::move(*bytes);
  r.payloadBytes = serializePayload(a).size();
  r.modelBytes = out.bytes.size() - r.sourceBytes;
  r.countedBytes = out.bytes.size() - uncounted;
  return out;
}

} // namespace golf::exporter

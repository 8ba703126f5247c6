//===- Exporter.h - weights to artifact, as the export section says -*- C++ -*-===//
//
// The export pipeline over one model's weights: per parameter (plan order)
// decide float or quantized (Settings.h), magnitude-prune large tensors,
// quantize (round to nearest, or GPTQ on the given Hessians), then
// selective +-1 pruning against the byte target, pack, compress and seal.
// Reports each tensor's format, raw and separately compressed bytes, and
// the totals the challenge counts: compressed model (payload + container)
// plus the source bytes (when count_source).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_EXPORTER_H
#define GOLF_RUNTIME_EXPORT_EXPORTER_H

#include "runtime/cpu/Executor.h"
#include "runtime/export/Artifact.h"
#include "runtime/export/Settings.h"

#include <map>

namespace golf::exporter {

struct ExportInput {
  const plan::Plan *plan = nullptr;
  const cpu::ParamStore *weights = nullptr;
  ExportSettings settings;
  std::string source;
  bool sourceIsPlan = false;
  std::map<std::string, std::string> overrides;
  /// Per parameter of a method = gptq class; parameters without one are
  /// rounded to nearest (and noted).
  std::map<std::string, std::vector<double>> hessians;
};

struct TensorRow {
  std::string name, format, method; // method: rtn, gptq, float
  int64_t numel = 0, rawBytes = 0, compressedBytes = 0, pruned = 0;
};

struct ExportReport {
  std::vector<TensorRow> rows;
  uint64_t payloadBytes = 0;   // uncompressed payload
  uint64_t modelBytes = 0;     // compressed payload + container header and checksum
  uint64_t sourceBytes = 0;
  uint64_t countedBytes = 0;   // modelBytes (+ sourceBytes if count_source)
  int64_t selectiveCandidates = 0, selectiveZeroed = 0;
  bool selectiveFits = true;
  std::vector<std::string> notes;
};

struct ExportOutput {
  std::string bytes; // the artifact file
  ExportReport report;
};

std::optional<ExportOutput> buildArtifact(const ExportInput &in, std::string &error);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_EXPORTER_H

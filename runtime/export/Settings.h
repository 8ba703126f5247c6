//===- Settings.h - the export section, typed -------------------*- C++ -*-===//
//
// The plan's `export` settings (frontend/Settings.cpp fills every default;
// docs/language.md §12.2) read into plain structs, and the per-parameter
// decision they imply: kept in float (which storage) or quantized (how).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_SETTINGS_H
#define GOLF_RUNTIME_EXPORT_SETTINGS_H

#include "runtime/export/Compress.h"
#include "runtime/export/Quantize.h"
#include "runtime/plan/Plan.h"

#include <optional>
#include <string>
#include <vector>

namespace golf::exporter {

struct QuantClass {
  std::string cls;
  QuantSpec spec;
  bool gptq = false;
  bool nibble = false;
};

struct KeepRule {
  std::optional<std::string> cls;
  std::vector<std::string> patterns; // name substrings
  bool f32 = false;
};

struct GptqSettings {
  bool selfGenerated = false;
  int64_t trainBatches = 16;
  int64_t seqs = 64, length = 2048, batch = 8;
  double temperature = 0.8;
  uint64_t seed = 0;
  double damp = 0.01;
  int64_t block = 128;
  bool actOrder = true;
};

struct ExportSettings {
  int64_t limitBytes = 16000000;
  bool refuseOverLimit = true;
  int64_t passthroughNumel = 65536;
  bool passthroughF32 = false;
  bool countSource = true;
  std::vector<QuantClass> quant;
  std::vector<KeepRule> keep;
  std::optional<GptqSettings> gptq;
  std::optional<double> pruneFraction;
  int64_t pruneMinNumel = 65536;
  std::optional<int64_t> selectiveTarget; // set when selective_prune(...) is given
  CodecOptions codec;                     // zstd 22 without compress(...)
};

std::optional<ExportSettings> parseExportSettings(const plan::Json &j, std::string &error);

/// How one parameter is stored.
struct TensorPlan {
  bool quantized = false;
  bool f32 = false;         // float storage (when not quantized)
  const QuantClass *quant = nullptr;
};

/// keep rules first, then small tensors pass through, then the parameter's
/// quant class or `default`; a class with neither stays float (passthrough
/// storage).
TensorPlan planTensor(const ExportSettings &s, const plan::Param &p);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_SETTINGS_H

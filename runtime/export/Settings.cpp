//===- Settings.cpp - the export section, typed ---------------------------===//
#include "runtime/export/Settings.h"

namespace golf::exporter {

namespace {

std::optional<ClipRule> parseClip(const plan::Json &j, std::string &error) {
  std::string kind = j.value("kind", "max");
  if (kind == "max")
    return ClipRule{ClipKind::Max, 0};
  if (kind == "gptq_lite")
    return ClipRule{ClipKind::GptqLite, 0};
  if (kind == "percentile") {
    double q = j.value("q", 0.0);
    if (!(q > 0 && q <= 100)) {
      error = "percentile(q) needs 0 < q <= 100, got " + std::to_string(q);
      return std::nullopt;
    }
    return ClipRule{ClipKind::Percentile, q};
  }
  if (kind == "sdclip") {
    double k = j.value("k", 0.0);
    if (!(k > 0)) {
      error = "sdclip(k) needs k > 0";
      return std::nullopt;
    }
    return ClipRule{ClipKind::SdClip, k};
  }
  error = "unknown clip rule '" + kind + "'";
  return std::nullopt;
}

bool parseQuant(const plan::Json &j, QuantClass &q, std::string &error) {
  q.cls = j.value("class", "default");
  q.spec.bits = j.value("bits", 8);
  std::string where = "quant(class = " + q.cls + "): ";
  if (q.spec.bits < 2 || q.spec.bits > 8) {
    error = where + "bits must be 2 to 8, got " + std::to_string(q.spec.bits);
    return false;
  }
  auto clip = parseClip(j.value("clip", plan::Json::object()), error);
  if (!clip) {
    error = where + error;
    return false;
  }
  q.spec.clip = *clip;
  q.spec.scaleF32 = j.value("scale_dtype", "f16") == "f32";
  q.spec.minScale = j.value("min_scale", 0.0);
  q.gptq = j.value("method", "rtn") == "gptq";
  q.nibble = j.value("pack", "none") == "nibble";
  if (q.nibble && q.spec.bits > 4) {
    error = where + "nibble packing needs bits <= 4";
    return false;
  }
  if (!(q.spec.minScale >= 0)) {
    error = where + "min_scale must be >= 0";
    return false;
  }
  return true;
}

bool parseGptq(const plan::Json &j, GptqSettings &g, std::string &error) {
  const plan::Json &cal = j.value("calibration", plan::Json::object());
  g.selfGenerated = cal.value("kind", "train") == "self_generated";
  g.trainBatches = cal.value("batches", int64_t(16));
  g.seqs = cal.value("seqs", int64_t(64));
  g.length = cal.value("length", int64_t(2048));
  g.batch = cal.value("batch", int64_t(8));
  g.temperature = cal.value("temperature", 0.8);
  g.seed = cal.value("seed", uint64_t(0));
  g.damp = j.value("damp", 0.01);
  g.block = j.value("block", int64_t(128));
  g.actOrder = j.value("act_order", true);
  if (g.trainBatches < 1 || g.seqs < 1 || g.length < 2 || g.batch < 1 || g.block < 1 ||
      !(g.temperature > 0) || !(g.damp >= 0)) {
    error = "gptq(...): batches, seqs, batch and block must be >= 1, length >= 2, "
            "temperature > 0 and damp >= 0";
    return false;
  }
  return true;
}

} // namespace

std::optional<ExportSettings> parseExportSettings(const plan::Json &j, std::string &error) {
  ExportSettings s;
  try {
    s.limitBytes = j.value("limit_bytes", s.limitBytes);
    s.refuseOverLimit = j.value("over_limit", "refuse") == "refuse";
    s.passthroughNumel = j.value("passthrough_numel", s.passthroughNumel);
    s.passthroughF32 = j.value("passthrough_dtype", "f16") == "f32";
    s.countSource = j.value("count_source", true);
    for (const plan::Json &q : j.value("quant", plan::Json::array())) {
      QuantClass c;
      if (!parseQuant(q, c, error))
        return std::nullopt;
      s.quant.push_back(c);
    }
    for (const plan::Json &k : j.value("keep", plan::Json::array())) {
      KeepRule r;
      if (k.contains("class"))
        r.cls = k.at("class").get<std::string>();
      r.patterns = k.value("patterns", std::vector<std::string>());
      r.f32 = k.value("dtype", "f16") == "f32";
      s.keep.push_back(r);
    }
    if (j.contains("gptq")) {
      s.gptq.emplace();
      if (!parseGptq(j.at("gptq"), *s.gptq, error))
        return std::nullopt;
    }
    for (const plan::Json &p : j.value("prune", plan::Json::array())) {
      if (p.value("kind", "") == "magnitude_prune") {
        s.pruneFraction = p.value("fraction", 0.0);
        s.pruneMinNumel = p.value("min_numel", s.pruneMinNumel);
        if (!(*s.pruneFraction >= 0 && *s.pruneFraction < 1)) {
          error = "magnitude_prune(fraction) must be in [0, 1)";
          return std::nullopt;
        }
      } else {
        s.selectiveTarget = p.value("target_bytes", s.limitBytes);
      }
    }
    if (j.contains("compress")) {
      const plan::Json &c = j.at("compress");
      auto codec = parseCodec(c.value("codec", ""));
      if (!codec) {
        error = "unknown codec '" + c.value("codec", "") + "'";
        return std::nullopt;
      }
      s.codec = {*codec, c.value("level", 0), c.value("extreme", false)};
    }
  } catch (const std::exception &e) {
    error = std::string("malformed export settings: ") + e.what();
    return std::nullopt;
  }
  if (std::string why = checkCodecOptions(s.codec); !why.empty()) {
    error = "compress(...): " + why;
    return std::nullopt;
  }
  bool wantsGptq = false;
  for (const QuantClass &q : s.quant)
    wantsGptq |= q.gptq;
  if (wantsGptq && !s.gptq) {
    error = "a quant class uses method = gptq but the export section has no gptq(calibration = ...)";
    return std::nullopt;
  }
  return s;
}

TensorPlan planTensor(const ExportSettings &s, const plan::Param &p) {
  for (const KeepRule &k : s.keep) {
    bool match = k.cls && *k.cls == p.quant;
    for (const std::string &pat : k.patterns)
      match |= p.name.find(pat) != std::string::npos;
    if (match)
      return {false, k.f32, nullptr};
  }
  TensorPlan passthrough{false, s.passthroughF32, nullptr};
  if (!plan::isFloat(p.type.dtype) || p.type.numel() <= s.passthroughNumel)
    return passthrough;
  const QuantClass *fallback = nullptr;
  for (const QuantClass &q : s.quant) {
    if (q.cls == p.quant)
      return {true, false, &q};
    if (q.cls == "default")
      fallback = &q;
  }
  return fallback ? TensorPlan{true, false, fallback} : passthrough;
}

} // namespace golf::exporter

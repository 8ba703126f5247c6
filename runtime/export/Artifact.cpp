//===- Artifact.cpp - the compressed model container ----------------------===//
#include "runtime/export/Artifact.h"
#include "runtime/support/Files.h"

#include <cstring>

namespace golf::exporter {

namespace {

constexpr char kMagic[8] = {'G', 'O', 'L', 'F', '-', 'A', 'R', 'T'};
constexpr uint8_t kFlagExtreme = 1, kFlagPlan = 2;

void putU32(std::string &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(char((v >> (8 * i)) & 0xff));
}
void putU64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(char((v >> (8 * i)) & 0xff));
}
uint64_t getLE(std::string_view b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t(uint8_t(b[at + size_t(i)])) << (8 * i);
  return v;
}

plan::Json tableOf(const Artifact &a) {
  plan::Json tensors = plan::Json::array();
  for (const StoredTensor &t : a.tensors) {
    plan::Json j{{"name", t.name}, {"dtype", plan::dtypeName(t.dtype)}, {"shape", t.shape}};
    if (t.quantized) {
      j["bits"] = t.bits;
      j["scale"] = t.f32 ? "f32" : "f16";
      j["nibble"] = t.nibble;
    } else {
      j["store"] = t.f32 ? "f32" : "f16";
    }
    tensors.push_back(std::move(j));
  }
  return {{"model", a.model}, {"overrides", a.overrides}, {"tensors", std::move(tensors)}};
}

/// One table entry; throws nlohmann errors on wrong types (caught by the caller).
bool parseEntry(const plan::Json &j, StoredTensor &t, std::string &error) {
  t.name = j.at("name").get<std::string>();
  auto dtype = plan::parseDType(j.at("dtype").get<std::string>());
  if (!dtype || !plan::isFloat(*dtype)) {
    error = "tensor '" + t.name + "' has no float dtype";
    return false;
  }
  t.dtype = *dtype;
  t.shape = j.at("shape").get<std::vector<int64_t>>();
  t.quantized = j.contains("bits");
  std::string store = t.quantized ? j.at("scale").get<std::string>() : j.at("store").get<std::string>();
  if (store != "f16" && store != "f32") {
    error = "tensor '" + t.name + "': storage must be f16 or f32, not '" + store + "'";
    return false;
  }
  t.f32 = store == "f32";
  if (t.quantized) {
    t.bits = j.at("bits").get<int>();
    t.nibble = j.at("nibble").get<bool>();
  }
  if (expectedBytes(t) < 0) {
    error = "tensor '" + t.name + "' has an invalid shape or format";
    return false;
  }
  return true;
}

} // namespace

std::string serializePayload(const Artifact &a) {
  std::string table = tableOf(a).dump();
  std::string out;
  putU32(out, uint32_t(table.size()));
  out += table;
  for (const StoredTensor &t : a.tensors)
    out += t.data;
  return out;
}

bool parsePayload(std::string_view payload, Artifact &a, std::string &error) {
  if (payload.size() < 4 || getLE(payload, 0, 4) > payload.size() - 4) {
    error = "the payload's table is truncated";
    return false;
  }
  size_t tableBytes = size_t(getLE(payload, 0, 4)), at = 4 + tableBytes;
  try {
    plan::Json table = plan::Json::parse(payload.substr(4, tableBytes));
    a.model = table.at("model").get<std::string>();
    a.overrides = table.at("overrides").get<std::map<std::string, std::string>>();
    a.tensors.clear();
    for (const plan::Json &j : table.at("tensors")) {
      StoredTensor t;
      if (!parseEntry(j, t, error))
        return false;
      auto bytes = uint64_t(expectedBytes(t));
      if (bytes > payload.size() - at) {
        error = "tensor '" + t.name + "' runs past the end of the payload";
        return false;
      }
      t.data = std::string(payload.substr(at, size_t(bytes)));
      at += size_t(bytes);
      a.tensors.push_back(std::move(t));
    }
  } catch (const std::exception &e) {
    error = std::string("the payload's table is malformed: ") + e.what();
    return false;
  }
  if (at != payload.size()) {
    error = std::to_string(payload.size() - at) + " unexplained bytes after the last tensor";
    return false;
  }
  return true;
}

std::string sealArtifact(const Artifact &a, std::string_view compressed, uint64_t rawBytes) {
  std::string out(kMagic, sizeof kMagic);
  out.push_back(char(Artifact::kVersion));
  out.push_back(char(a.codec.codec));
  out.push_back(char(a.codec.level));
  out.push_back(char((a.codec.extreme ? kFlagExtreme : 0) | (a.sourceIsPlan ? kFlagPlan : 0)));
  putU32(out, uint32_t(a.source.size()));
  putU32(out, uint32_t(rawBytes));
  putU32(out, uint32_t(compressed.size()));
  out += a.source;
  out += compressed;
  putU64(out, fnv1a64(out.data(), out.size()));
  return out;
}

std::optional<std::string> writeArtifact(const Artifact &a, std::string &error) {
  std::string payload = serializePayload(a);
  if (payload.size() > Artifact::kMaxPayloadBytes || a.source.size() > UINT32_MAX) {
    error = "the model is too large for an artifact (payload " + std::to_string(payload.size()) +
            " bytes)";
    return std::nullopt;
  }
  auto compressed = compress(a.codec, payload, error);
  if (!compressed)
    return std::nullopt;
  return sealArtifact(a, *compressed, payload.size());
}

std::optional<Container> openContainer(std::string_view b, std::string &error) {
  constexpr size_t kFixed = Artifact::kHeaderBytes + Artifact::kChecksumBytes;
  if (b.size() < kFixed || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0) {
    error = b.size() < sizeof kMagic || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0
                ? "not a golfc artifact (bad magic)"
                : "truncated (" + std::to_string(b.size()) + " bytes)";
    return std::nullopt;
  }
  if (uint8_t(b[8]) != Artifact::kVersion) {
    error = "artifact format version " + std::to_string(uint8_t(b[8])) + " is not supported (" +
            std::to_string(Artifact::kVersion) + " is)";
    return std::nullopt;
  }
  uint64_t sourceBytes = getLE(b, 12, 4), rawBytes = getLE(b, 16, 4), packed = getLE(b, 20, 4);
  uint64_t total = kFixed + sourceBytes + packed;
  if (b.size() != total) {
    error = b.size() < total ? "truncated (" + std::to_string(b.size()) + " of " +
                                   std::to_string(total) + " bytes)"
                             : std::to_string(b.size() - total) + " extra bytes at the end";
    return std::nullopt;
  }
  if (getLE(b, total - 8, 8) != fnv1a64(b.data(), total - 8)) {
    error = "checksum mismatch (the file is corrupt)";
    return std::nullopt;
  }
  Container c;
  Artifact &a = c.header;
  uint8_t codec = uint8_t(b[9]), flags = uint8_t(b[11]);
  if (codec < 1 || codec > 3 || (flags & ~(kFlagExtreme | kFlagPlan))) {
    error = "unknown codec " + std::to_string(codec) + " or flags " + std::to_string(flags);
    return std::nullopt;
  }
  a.codec = {Codec(codec), int(uint8_t(b[10])), bool(flags & kFlagExtreme)};
  a.sourceIsPlan = flags & kFlagPlan;
  if (rawBytes > Artifact::kMaxPayloadBytes) {
    error = "payload of " + std::to_string(rawBytes) + " bytes is larger than any artifact";
    return std::nullopt;
  }
  a.source = std::string(b.substr(Artifact::kHeaderBytes, size_t(sourceBytes)));
  c.payload = b.substr(Artifact::kHeaderBytes + sourceBytes, packed);
  c.rawBytes = rawBytes;
  return c;
}

std::optional<Artifact> readArtifact(std::string_view b, std::string &error) {
  auto c = openContainer(b, error);
  auto payload = c ? decompress(c->header.codec.codec, c->payload, c->rawBytes, error) : std::nullopt;
  if (!payload || !parsePayload(*payload, c->header, error))
    return std::nullopt;
  return std::move(c->header);
}

} // namespace golf::exporter

//===- Checkpoint.cpp - resumable training state in one file --------------===//
#include "runtime/train/Checkpoint.h"

#include "runtime/support/Files.h"
#include "runtime/train/Error.h"

#include <cstring>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "checkpoints store tensors as in memory, little-endian");

namespace golf::train {
namespace {

using cpu::Storage;
using cpu::Tensor;

constexpr char kMagic[8] = {'G', 'O', 'L', 'F', 'C', 'K', 'P', 'T'};
constexpr size_t kFixed = 32, kTrailer = 8;

const char *storageName(Storage s) {
  return s == Storage::F32 ? "f32" : s == Storage::F64 ? "f64" : "i32";
}

std::optional<Storage> parseStorage(const std::string &s) {
  if (s == "f32")
    return Storage::F32;
  if (s == "f64")
    return Storage::F64;
  if (s == "i32")
    return Storage::I32;
  return std::nullopt;
}

void putU32(std::string &out, uint32_t v) { out.append(reinterpret_cast<const char *>(&v), 4); }
void putU64(std::string &out, uint64_t v) { out.append(reinterpret_cast<const char *>(&v), 8); }
uint64_t getU64(const std::string &in, size_t at) {
  uint64_t v;
  std::memcpy(&v, in.data() + at, 8);
  return v;
}
uint32_t getU32(const std::string &in, size_t at) {
  uint32_t v;
  std::memcpy(&v, in.data() + at, 4);
  return v;
}

std::string hex64(uint64_t v) {
  static const char *digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4)
    s[size_t(i)] = digits[v & 15];
  return s;
}

/// Appends the tensors of one section to the table and the payload.
void addSection(const char *section, const std::map<std::string, Tensor, std::less<>> &tensors,
                plan::Json &table, std::string &payload) {
  for (const auto &[name, t] : tensors) {
    if (!t.defined())
      fail(std::string("cannot save undefined tensor '") + name + "' (" + section + ")");
    table.push_back({{"section", section},
                     {"name", name},
                     {"dtype", plan::dtypeName(t.dtype())},
                     {"storage", storageName(t.storage())},
                     {"shape", t.shape()},
                     {"offset", payload.size()},
                     {"bytes", t.bytes()}});
    payload.append(static_cast<const char *>(t.raw()), t.bytes());
  }
}

} // namespace

std::optional<std::string> serializeCheckpoint(const Checkpoint &ckpt, std::string &error) {
  std::optional<std::string> out;
  bool ok = guard(error, [&] {
    plan::Json table = plan::Json::array();
    std::string payload;
    addSection("params", ckpt.params, table, payload);
    std::map<std::string, Tensor, std::less<>> opt(ckpt.optimizer.tensors.begin(),
                                                   ckpt.optimizer.tensors.end());
    std::map<std::string, Tensor, std::less<>> avg(ckpt.averaging.tensors.begin(),
                                                   ckpt.averaging.tensors.end());
    addSection("optimizer", opt, table, payload);
    addSection("averaging", avg, table, payload);
    uint64_t bits;
    std::memcpy(&bits, &ckpt.elapsedSeconds, 8);
    plan::Json header = {{"model", ckpt.model},
                         {"fingerprint", ckpt.fingerprint},
                         {"step", ckpt.step},
                         {"elapsed_seconds", ckpt.elapsedSeconds},
                         {"elapsed_bits", hex64(bits)},
                         {"stream", ckpt.stream},
                         {"optimizer_meta", ckpt.optimizer.meta},
                         {"averaging_meta", ckpt.averaging.meta},
                         {"tensors", table}};
    // The JSON printer refuses invalid UTF-8 by throwing; guard reports it.
    std::string text = header.dump();
    std::string bytes;
    bytes.reserve(kFixed + text.size() + payload.size() + kTrailer);
    bytes.append(kMagic, 8);
    putU32(bytes, Checkpoint::kVersion);
    putU32(bytes, 0);
    putU64(bytes, kFixed + text.size() + payload.size() + kTrailer);
    putU64(bytes, text.size());
    bytes += text;
    bytes += payload;
    putU64(bytes, fnv1a64(bytes.data(), bytes.size()));
    out = std::move(bytes);
  });
  if (!ok) {
    error = "cannot save checkpoint: " + error;
    return std::nullopt;
  }
  return out;
}

std::optional<Checkpoint> parseCheckpoint(const std::string &bytes, const std::string &source,
                                          std::string &error) {
  Checkpoint ck;
  bool ok = guard(error, [&] {
    const size_t size = bytes.size();
    if (size < 8 || std::memcmp(bytes.data(), kMagic, size < 8 ? size : 8) != 0)
      fail(size < 8 && std::memcmp(bytes.data(), kMagic, size) == 0
               ? "is truncated (" + std::to_string(size) + " bytes)"
               : std::string("is not a golfc checkpoint (bad magic)"));
    if (size < kFixed + kTrailer)
      fail("is truncated (" + std::to_string(size) + " bytes)");
    uint32_t version = getU32(bytes, 8);
    if (version != Checkpoint::kVersion)
      fail("has checkpoint format version " + std::to_string(version) + "; this golfc reads " +
           std::to_string(Checkpoint::kVersion));
    uint64_t total = getU64(bytes, 16);
    if (size < total)
      fail("is truncated: " + std::to_string(size) + " of " + std::to_string(total) + " bytes");
    if (size > total)
      fail("is corrupt: " + std::to_string(size) + " bytes, its header says " +
           std::to_string(total));
    uint64_t stored = getU64(bytes, size - kTrailer);
    if (fnv1a64(bytes.data(), size - kTrailer) != stored)
      fail("is corrupt (checksum mismatch)");
    uint64_t headerSize = getU64(bytes, 24);
    if (headerSize > size - kFixed - kTrailer)
      fail("is corrupt: header size " + std::to_string(headerSize) + " exceeds the file");
    plan::Json header = plan::Json::parse(bytes.begin() + kFixed,
                                          bytes.begin() + long(kFixed + headerSize), nullptr,
                                          /*allow_exceptions=*/false);
    if (header.is_discarded() || !header.is_object())
      fail("is corrupt: the header is not a JSON object");
    const std::string what = "is corrupt: header";
    ck.model = jsonString(header, "model", what);
    ck.fingerprint = jsonString(header, "fingerprint", what);
    ck.step = jsonInt(header, "step", what);
    std::string bitsText = jsonString(header, "elapsed_bits", what);
    if (bitsText.size() != 16 || bitsText.find_first_not_of("0123456789abcdef") != std::string::npos)
      fail("is corrupt: bad elapsed_bits");
    uint64_t bits = std::stoull(bitsText, nullptr, 16);
    std::memcpy(&ck.elapsedSeconds, &bits, 8);
    ck.stream = header.contains("stream") ? header["stream"] : plan::Json();
    ck.optimizer.meta = header.value("optimizer_meta", plan::Json::object());
    ck.averaging.meta = header.value("averaging_meta", plan::Json::object());
    const char *payload = bytes.data() + kFixed + headerSize;
    const uint64_t payloadSize = size - kFixed - kTrailer - headerSize;
    if (!header.contains("tensors") || !header["tensors"].is_array())
      fail("is corrupt: no tensor table");
    for (const plan::Json &e : header["tensors"]) {
      std::string section = jsonString(e, "section", "is corrupt: tensor entry");
      std::string name = jsonString(e, "name", "is corrupt: tensor entry");
      std::string where = "tensor '" + name + "' (" + section + ")";
      std::string entry = "is corrupt: " + where;
      auto dtype = plan::parseDType(jsonString(e, "dtype", entry));
      auto storage = parseStorage(jsonString(e, "storage", entry));
      if (!dtype || !storage || plan::isFloat(*dtype) == (*storage == Storage::I32))
        fail("is corrupt: " + where + " has a bad dtype or storage");
      if (!e.contains("shape") || !e["shape"].is_array())
        fail("is corrupt: " + where + " has no shape");
      cpu::Shape shape;
      uint64_t numel = 1;
      for (const plan::Json &d : e["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (int64_t(1) << 40))
          fail("is corrupt: " + where + " has a bad shape");
        shape.push_back(d.get<int64_t>());
        numel *= uint64_t(shape.back());
        if (numel > (uint64_t(1) << 40))
          fail("is corrupt: " + where + " is too large");
      }
      int64_t offset = jsonInt(e, "offset", entry), count = jsonInt(e, "bytes", entry);
      if (offset < 0 || count < 0 || uint64_t(count) != numel * cpu::storageBytes(*storage) ||
          uint64_t(offset) > payloadSize || uint64_t(count) > payloadSize - uint64_t(offset))
        fail("is corrupt: " + where + " lies outside the file or has the wrong size");
      Tensor t = Tensor::allocate(*dtype, shape, *storage);
      std::memcpy(t.raw(), payload + offset, size_t(count));
      if (section == "params")
        ck.params[name] = t;
      else if (section == "optimizer")
        ck.optimizer.tensors[name] = t;
      else if (section == "averaging")
        ck.averaging.tensors[name] = t;
      else
        fail("is corrupt: " + where + " is in an unknown section");
    }
  });
  if (!ok) {
    error = "checkpoint " + source + " " + error;
    return std::nullopt;
  }
  return ck;
}

bool saveCheckpoint(const Checkpoint &ckpt, const std::string &path, std::string &error) {
  auto bytes = serializeCheckpoint(ckpt, error);
  return bytes && writeFileAtomic(path, *bytes, error);
}

std::optional<Checkpoint> loadCheckpoint(const std::string &path, const std::string &model,
                                         const std::string &fingerprint, std::string &error) {
  auto bytes = readFile(path, error);
  if (!bytes)
    return std::nullopt;
  auto ck = parseCheckpoint(*bytes, path, error);
  if (!ck)
    return std::nullopt;
  if (ck->fingerprint != fingerprint) {
    error = "checkpoint " + path + " is for model " + ck->model + " (fingerprint " +
            ck->fingerprint + "), this run is " + model + " (fingerprint " + fingerprint + ")";
    return std::nullopt;
  }
  return ck;
}

} // namespace golf::train

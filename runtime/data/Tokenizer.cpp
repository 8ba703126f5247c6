//===- Tokenizer.cpp - SentencePiece models, tokenizing, byte LUTs --------===//
#include "runtime/data/Tokenizer.h"

#include "runtime/data/SpmPluginApi.h"
#include "runtime/support/Files.h"

#include <climits>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <unistd.h>

namespace golf::data {

const char *pieceTypeName(PieceType t) {
  switch (t) {
  case PieceType::Normal:
    return "normal";
  case PieceType::Unknown:
    return "unknown";
  case PieceType::Control:
    return "control";
  case PieceType::UserDefined:
    return "user-defined";
  case PieceType::Unused:
    return "unused";
  case PieceType::Byte:
    return "byte";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// A minimal protobuf reader for sentencepiece_model.proto
//===----------------------------------------------------------------------===//

namespace {

/// Reads protobuf wire format from a byte range.
class WireReader {
public:
  WireReader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  bool atEnd() const { return p_ >= end_; }
  bool varint(uint64_t &v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_)
        return false;
      uint8_t b = uint8_t(*p_++);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80))
        return true;
    }
    return false;
  }
  bool key(uint32_t &field, uint32_t &wireType) {
    uint64_t k;
    if (!varint(k) || (k >> 3) == 0 || (k >> 3) > UINT32_MAX)
      return false;
    field = uint32_t(k >> 3);
    wireType = uint32_t(k & 7);
    return true;
  }
  bool bytes(std::string_view &out) {
    uint64_t n;
    if (!varint(n) || n > uint64_t(end_ - p_))
      return false;
    out = std::string_view(p_, size_t(n));
    p_ += n;
    return true;
  }
  bool fixed32(uint32_t &v) {
    if (end_ - p_ < 4)
      return false;
    std::memcpy(&v, p_, 4);
    p_ += 4;
    return true;
  }
  /// Skips a field of `wireType`; groups (3, 4) are not supported.
  bool skip(uint32_t wireType) {
    uint64_t v;
    std::string_view s;
    uint32_t f;
    switch (wireType) {
    case 0:
      return varint(v);
    case 1:
      if (end_ - p_ < 8)
        return false;
      p_ += 8;
      return true;
    case 2:
      return bytes(s);
    case 5:
      return fixed32(f);
    default:
      return false;
    }
  }

private:
  const char *p_;
  const char *end_;
};

bool parsePiece(std::string_view bytes, Piece &piece) {
  WireReader r(bytes);
  while (!r.atEnd()) {
    uint32_t field, wt;
    if (!r.key(field, wt))
      return false;
    if (field == 1 && wt == 2) {
      std::string_view s;
      if (!r.bytes(s))
        return false;
      piece.text.assign(s);
    } else if (field == 2 && wt == 5) {
      uint32_t bits;
      if (!r.fixed32(bits))
        return false;
      std::memcpy(&piece.score, &bits, 4);
    } else if (field == 3 && wt == 0) {
      uint64_t v;
      if (!r.varint(v) || v < 1 || v > 6)
        return false;
      piece.type = PieceType(v);
    } else if (!r.skip(wt)) {
      return false;
    }
  }
  return true;
}

const char *modelTypeName(uint64_t v) {
  switch (v) {
  case 1:
    return "UNIGRAM";
  case 2:
    return "BPE";
  case 3:
    return "WORD";
  case 4:
    return "CHAR";
  }
  return "?";
}

} // namespace

std::optional<SentencePieceModel> SentencePieceModel::parse(std::string_view bytes,
                                                            const std::string &what,
                                                            std::string &error) {
  try {
    SentencePieceModel m;
    WireReader r(bytes);
    auto bad = [&](const std::string &why) {
      error = what + ": not a SentencePiece model (" + why + ")";
      return std::nullopt;
    };
    while (!r.atEnd()) {
      uint32_t field, wt;
      if (!r.key(field, wt))
        return bad("malformed protobuf");
      if (field == 1 && wt == 2) { // repeated SentencePiece pieces
        std::string_view s;
        Piece piece;
        if (!r.bytes(s) || !parsePiece(s, piece))
          return bad("malformed piece " + std::to_string(m.pieces_.size()));
        m.pieces_.push_back(std::move(piece));
      } else if (field == 2 && wt == 2) { // TrainerSpec
        std::string_view s;
        if (!r.bytes(s))
          return bad("malformed trainer spec");
        WireReader t(s);
        while (!t.atEnd()) {
          uint32_t f, w;
          if (!t.key(f, w))
            return bad("malformed trainer spec");
          if (w == 0 && (f == 3 || (f >= 40 && f <= 43))) {
            uint64_t v;
            if (!t.varint(v))
              return bad("malformed trainer spec");
            int id = int(int32_t(uint32_t(v))); // negative int32 are sign-extended varints
            if (f == 3)
              m.modelType_ = modelTypeName(v);
            else if (f == 40)
              m.unkId_ = id;
            else if (f == 41)
              m.bosId_ = id;
            else if (f == 42)
              m.eosId_ = id;
            else
              m.padId_ = id;
          } else if (!t.skip(w)) {
            return bad("malformed trainer spec");
          }
        }
      } else if (field == 3 && wt == 2) { // NormalizerSpec
        std::string_view s;
        if (!r.bytes(s))
          return bad("malformed normalizer spec");
        WireReader n(s);
        while (!n.atEnd()) {
          uint32_t f, w;
          if (!n.key(f, w))
            return bad("malformed normalizer spec");
          if (f == 1 && w == 2) {
            std::string_view name;
            if (!n.bytes(name))
              return bad("malformed normalizer spec");
            m.normalizerName_.assign(name);
          } else if (!n.skip(w)) {
            return bad("malformed normalizer spec");
          }
        }
      } else if (!r.skip(wt)) {
        return bad("malformed protobuf");
      }
    }
    if (m.pieces_.empty())
      return bad("no pieces");
    if (m.pieces_.size() > size_t(INT_MAX / 2))
      return bad("too many pieces");
    int v = m.vocabSize();
    for (int id : {m.unkId_, m.bosId_, m.eosId_, m.padId_})
      if (id >= v)
        return bad("special id " + std::to_string(id) + " >= vocabulary size " +
                   std::to_string(v));
    return m;
  } catch (const std::exception &e) {
    error = what + ": cannot parse SentencePiece model: " + e.what();
    return std::nullopt;
  }
}

std::optional<SentencePieceModel> SentencePieceModel::load(const std::string &path,
                                                           std::string &error) {
  std::string readError;
  auto bytes = readFile(path, readError);
  if (!bytes) {
    error = "cannot read tokenizer model: " + readError;
    return std::nullopt;
  }
  return parse(*bytes, path, error);
}

ByteLuts buildByteLuts(const std::vector<Piece> &pieces, int64_t modelVocab) {
  static const std::string kSpace = "\xe2\x96\x81"; // U+2581
  size_t size = std::max<size_t>(pieces.size(), modelVocab > 0 ? size_t(modelVocab) : 0);
  ByteLuts luts;
  luts.isBoundary.assign(size, 1);
  luts.baseBytes.assign(size, 0);
  luts.hasLeadingSpace.assign(size, 0);
  for (size_t id = 0; id < pieces.size(); ++id) {
    const Piece &p = pieces[id];
    if (p.type == PieceType::Control || p.type == PieceType::Unknown ||
        p.type == PieceType::Unused)
      continue;
    luts.isBoundary[id] = 0;
    if (p.type == PieceType::Byte) {
      luts.baseBytes[id] = 1;
      continue;
    }
    size_t len = p.text.size();
    if (p.text.compare(0, kSpace.size(), kSpace) == 0) {
      luts.hasLeadingSpace[id] = 1;
      len -= kSpace.size();
    }
    luts.baseBytes[id] = int16_t(std::min<size_t>(len, INT16_MAX));
  }
  return luts;
}

ByteLuts SentencePieceModel::byteLuts(int64_t modelVocab) const {
  return buildByteLuts(pieces_, modelVocab);
}

//===----------------------------------------------------------------------===//
// The plugin
//===----------------------------------------------------------------------===//

namespace {

struct SpmApi {
  golf_spm_load_fn load = nullptr;
  golf_spm_free_fn free = nullptr;
  golf_spm_encode_fn encode = nullptr;
  golf_spm_decode_fn decode = nullptr;
  std::string path;
};

#ifndef GOLF_SPM_PLUGIN_DEFAULT
#define GOLF_SPM_PLUGIN_DEFAULT ""
#endif

constexpr const char *kPluginName = "libgolf_spm.so";

std::string executableDir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return "";
  std::string p(buf, size_t(n));
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? "" : p.substr(0, slash);
}

bool bindPlugin(void *h, const std::string &path, SpmApi &a) {
  auto version = reinterpret_cast<golf_spm_abi_version_fn>(::dlsym(h, "golf_spm_abi_version"));
  a.load = reinterpret_cast<golf_spm_load_fn>(::dlsym(h, "golf_spm_load"));
  a.free = reinterpret_cast<golf_spm_free_fn>(::dlsym(h, "golf_spm_free"));
  a.encode = reinterpret_cast<golf_spm_encode_fn>(::dlsym(h, "golf_spm_encode"));
  a.decode = reinterpret_cast<golf_spm_decode_fn>(::dlsym(h, "golf_spm_decode"));
  a.path = path;
  return version && version() == GOLF_SPM_ABI_VERSION && a.load && a.free && a.encode && a.decode;
}

/// Loads the plugin once per process; never unloaded.
const SpmApi *spmApi(std::string &error) {
  static std::mutex mu;
  static std::optional<SpmApi> api;
  static std::string failure;
  std::lock_guard<std::mutex> lock(mu);
  if (api)
    return &*api;
  if (!failure.empty()) {
    error = failure;
    return nullptr;
  }
  std::vector<std::string> candidates;
  if (const char *env = std::getenv("GOLF_SPM_PLUGIN"); env && *env)
    candidates.push_back(env);
  std::string dir = executableDir();
  if (!dir.empty()) {
    candidates.push_back(dir + "/" + kPluginName);
    candidates.push_back(dir + "/../lib/" + kPluginName);
  }
  if (*GOLF_SPM_PLUGIN_DEFAULT)
    candidates.push_back(GOLF_SPM_PLUGIN_DEFAULT);
  std::string firstError;
  for (const std::string &c : candidates) {
    if (::access(c.c_str(), F_OK) != 0)
      continue;
    void *h = ::dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      if (firstError.empty())
        firstError = ::dlerror();
      continue;
    }
    SpmApi a;
    if (!bindPlugin(h, c, a)) {
      if (firstError.empty())
        firstError = c + " is not a compatible golfc SentencePiece plugin";
      ::dlclose(h);
      continue;
    }
    api = a;
    return &*api;
  }
  if (firstError.empty()) {
    // Last resort: the dynamic loader's search path (LD_LIBRARY_PATH, ...).
    if (void *h = ::dlopen(kPluginName, RTLD_NOW | RTLD_LOCAL)) {
      SpmApi a;
      if (bindPlugin(h, kPluginName, a)) {
        api = a;
        return &*api;
      }
      ::dlclose(h);
    }
    failure = std::string("cannot find the SentencePiece plugin ") + kPluginName +
              " (looked beside the executable, in ../lib, in the build tree and on the library "
              "path; set GOLF_SPM_PLUGIN=/path/to/" + kPluginName + ")";
  } else {
    failure = std::string("cannot load the SentencePiece plugin: ") + firstError +
              " (tokenizing needs libsentencepiece0: apt-get install libsentencepiece0)";
  }
  error = failure;
  return nullptr;
}

} // namespace

bool sentencePieceAvailable(std::string &whereOrWhy) {
  try {
    const SpmApi *api = spmApi(whereOrWhy);
    if (!api)
      return false;
    whereOrWhy = api->path;
    return true;
  } catch (const std::exception &e) {
    whereOrWhy = e.what();
    return false;
  }
}

std::optional<Tokenizer> Tokenizer::load(const std::string &modelPath, std::string &error) {
  try {
    auto model = SentencePieceModel::load(modelPath, error);
    if (!model)
      return std::nullopt;
    const SpmApi *api = spmApi(error);
    if (!api)
      return std::nullopt;
    char err[1024] = {0};
    void *h = api->load(modelPath.c_str(), err, sizeof err);
    if (!h) {
      error = err[0] ? err : "sentencepiece cannot load " + modelPath;
      return std::nullopt;
    }
    Tokenizer t;
    t.model_ = std::move(*model);
    t.handle_ = h;
    t.api_ = api;
    return std::optional<Tokenizer>(std::move(t));
  } catch (const std::exception &e) {
    error = "cannot load tokenizer " + modelPath + ": " + e.what();
    return std::nullopt;
  }
}

Tokenizer::Tokenizer(Tokenizer &&other) noexcept
    : model_(std::move(other.model_)), handle_(other.handle_), api_(other.api_) {
  other.handle_ = nullptr;
}

Tokenizer &Tokenizer::operator=(Tokenizer &&other) noexcept {
  if (this != &other) {
    std::swap(model_, other.model_);
    std::swap(handle_, other.handle_);
    std::swap(api_, other.api_);
  }
  return *this;
}

Tokenizer::~Tokenizer() {
  if (handle_ && api_)
    static_cast<const SpmApi *>(api_)->free(handle_);
}

bool Tokenizer::encode(std::string_view text, std::vector<int> &ids, std::string &error) const {
  try {
    const auto *api = static_cast<const SpmApi *>(api_);
    if (!api || !handle_) {
      error = "the tokenizer was moved from";
      return false;
    }
    char err[1024] = {0};
    ids.resize(text.size() + 16);
    long n = api->encode(handle_, text.data(), text.size(), ids.data(), ids.size(), err, sizeof err);
    if (n > long(ids.size())) { // normalization can expand the text: retry with room
      ids.resize(size_t(n));
      n = api->encode(handle_, text.data(), text.size(), ids.data(), ids.size(), err, sizeof err);
    }
    if (n < 0 || n > long(ids.size())) {
      error = err[0] ? err : "sentencepiece cannot encode";
      ids.clear();
      return false;
    }
    ids.resize(size_t(n));
    return true;
  } catch (const std::exception &e) {
    error = std::string("cannot encode: ") + e.what();
    return false;
  }
}

bool Tokenizer::encodeDocument(std::string_view text, std::vector<int> &out,
                               std::string &error) const {
  if (bosId() < 0) {
    error = "the tokenizer has no BOS id; documents need one";
    return false;
  }
  std::vector<int> ids;
  if (!encode(text, ids, error))
    return false;
  try {
    out.push_back(bosId());
    out.insert(out.end(), ids.begin(), ids.end());
    return true;
  } catch (const std::exception &e) {
    error = std::string("cannot encode: ") + e.what();
    return false;
  }
}

bool Tokenizer::decode(const int *ids, size_t n, std::string &text, std::string &error) const {
  try {
    int v = vocabSize();
    for (size_t i = 0; i < n; ++i)
      if (ids[i] < 0 || ids[i] >= v) {
        error = "cannot decode: id " + std::to_string(ids[i]) + " at position " +
                std::to_string(i) + " is outside the vocabulary of " + std::to_string(v);
        return false;
      }
    const auto *api = static_cast<const SpmApi *>(api_);
    if (!api || !handle_) {
      error = "the tokenizer was moved from";
      return false;
    }
    char err[1024] = {0};
    text.resize(n * 8 + 64);
    long got = api->decode(handle_, ids, n, text.data(), text.size(), err, sizeof err);
    if (got > long(text.size())) {
      text.resize(size_t(got));
      got = api->decode(handle_, ids, n, text.data(), text.size(), err, sizeof err);
    }
    if (got < 0 || got > long(text.size())) {
      error = err[0] ? err : "sentencepiece cannot decode";
      text.clear();
      return false;
    }
    text.resize(size_t(got));
    return true;
  } catch (const std::exception &e) {
    error = std::string("cannot decode: ") + e.what();
    return false;
  }
}

} // namespace golf::data

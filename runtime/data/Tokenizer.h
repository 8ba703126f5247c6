//===- Tokenizer.h - SentencePiece models, tokenizing, byte LUTs -*- C++ -*-===//
//
// Two layers:
//  * SentencePieceModel parses a .model file (a ModelProto protobuf) itself:
//    the pieces, their types and the special ids. The bits-per-byte lookup
//    tables (pgolf-spec §2.6) are built from it, so evaluation needs no
//    SentencePiece library.
//  * Tokenizer encodes and decodes through libsentencepiece, which it reaches
//    through a small plugin (libgolf_spm.so, built next to golfc) loaded at
//    run time: golfc itself starts on machines without libsentencepiece (the
//    GPU machines), and only tokenizing needs it there.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DATA_TOKENIZER_H
#define GOLF_RUNTIME_DATA_TOKENIZER_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golf::data {

/// sentencepiece::ModelProto::SentencePiece::Type.
enum class PieceType : uint8_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};
const char *pieceTypeName(PieceType t);

struct Piece {
  std::string text; // UTF-8, with U+2581 ("▁") for spaces
  float score = 0;
  PieceType type = PieceType::Normal;
};

/// The three tables of pgolf-spec §2.6, of size max(sp_vocab, V):
///   isBoundary[id]: control, unknown, unused ids and ids >= sp_vocab;
///   baseBytes[id]: 1 for byte-fallback pieces <0xNN>; for normal and
///     user-defined pieces the UTF-8 length after stripping one leading "▁";
///     0 for boundary ids;
///   hasLeadingSpace[id]: the (non-byte, non-boundary) piece starts with "▁".
/// A scored target y after input x costs
///   baseBytes[y] + (hasLeadingSpace[y] && !isBoundary[x]) bytes.
struct ByteLuts {
  std::vector<uint8_t> isBoundary;
  std::vector<int16_t> baseBytes;
  std::vector<uint8_t> hasLeadingSpace;

  size_t size() const { return baseBytes.size(); }
  /// Bytes charged for target `y` whose input token is `x` (ids must be < size()).
  int bytesFor(int y, int x) const {
    return baseBytes[size_t(y)] + ((hasLeadingSpace[size_t(y)] && !isBoundary[size_t(x)]) ? 1 : 0);
  }
};

/// A SentencePiece model read from its protobuf, without libsentencepiece.
class SentencePieceModel {
public:
  /// Reads and parses `path`; a clear one-line error if it is missing or is
  /// not a SentencePiece model.
  static std::optional<SentencePieceModel> load(const std::string &path, std::string &error);
  /// Parses serialized ModelProto bytes (`what` names them in errors).
  static std::optional<SentencePieceModel> parse(std::string_view bytes, const std::string &what,
                                                 std::string &error);

  int vocabSize() const { return int(pieces_.size()); }
  const Piece &piece(int id) const { return pieces_[size_t(id)]; }
  const std::vector<Piece> &pieces() const { return pieces_; }
  int unkId() const { return unkId_; }
  int bosId() const { return bosId_; }
  int eosId() const { return eosId_; }
  int padId() const { return padId_; }
  /// "BPE", "UNIGRAM", "WORD", "CHAR" (from the trainer spec; "" if absent).
  const std::string &modelType() const { return modelType_; }
  /// The normalizer rule name ("nmt_nfkc"; "" if absent).
  const std::string &normalizerName() const { return normalizerName_; }

  /// The byte LUTs of size max(vocabSize(), modelVocab).
  ByteLuts byteLuts(int64_t modelVocab = 0) const;

private:
  std::vector<Piece> pieces_;
  int unkId_ = 0, bosId_ = 1, eosId_ = 2, padId_ = -1;
  std::string modelType_, normalizerName_;
};

/// Builds the LUTs from any piece list (see ByteLuts).
ByteLuts buildByteLuts(const std::vector<Piece> &pieces, int64_t modelVocab = 0);

/// Encoding and decoding through libsentencepiece (via the libgolf_spm.so
/// plugin). Thread-safe: encode/decode may run concurrently on one object.
class Tokenizer {
public:
  /// Loads `modelPath`: first parsed by SentencePieceModel (clear errors for
  /// a missing or invalid file), then by libsentencepiece.
  static std::optional<Tokenizer> load(const std::string &modelPath, std::string &error);

  Tokenizer(Tokenizer &&other) noexcept;
  Tokenizer &operator=(Tokenizer &&other) noexcept;
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;
  ~Tokenizer();

  const SentencePieceModel &model() const { return model_; }
  int vocabSize() const { return model_.vocabSize(); }
  int bosId() const { return model_.bosId(); }

  /// The ids of `text` (sp.encode(text)), replacing `ids`.
  bool encode(std::string_view text, std::vector<int> &ids, std::string &error) const;
  /// Appends a document as the challenge does: [BOS] + sp.encode(text), no EOS.
  bool encodeDocument(std::string_view text, std::vector<int> &out, std::string &error) const;
  /// sp.decode(ids) (control ids decode to nothing), replacing `text`.
  bool decode(const int *ids, size_t n, std::string &text, std::string &error) const;
  bool decode(const std::vector<int> &ids, std::string &text, std::string &error) const {
    return decode(ids.data(), ids.size(), text, error);
  }

  ByteLuts byteLuts(int64_t modelVocab = 0) const { return model_.byteLuts(modelVocab); }

private:
  Tokenizer() = default;
  SentencePieceModel model_;
  void *handle_ = nullptr;     // the plugin's processor
  const void *api_ = nullptr;  // the plugin's function table (process-lifetime)
};

/// Where the SentencePiece plugin was found, or why not (for diagnostics):
/// GOLF_SPM_PLUGIN, then libgolf_spm.so beside the executable and in
/// ../lib, then the build tree, then the dynamic loader's search path.
bool sentencePieceAvailable(std::string &whereOrWhy);

} // namespace golf::data

#endif // GOLF_RUNTIME_DATA_TOKENIZER_H

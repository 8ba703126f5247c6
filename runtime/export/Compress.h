//===- Compress.h - the artifact's compressors ------------------*- C++ -*-===//
//
// One wrapper per codec library (Zstd.cpp, Xz.cpp, Zlib.cpp), one-shot over
// whole buffers: the artifact is at most tens of megabytes. Decompression is
// told the exact size to expect (the container stores it) and fails on any
// other, so a corrupt stream cannot make the reader allocate without bound.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_COMPRESS_H
#define GOLF_RUNTIME_EXPORT_COMPRESS_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace golf::exporter {

/// The numbers are the container's codec byte (docs/artifact.md).
enum class Codec : uint8_t { Zstd = 1, Xz = 2, Zlib = 3 };

struct CodecOptions {
  Codec codec = Codec::Zstd;
  int level = 22;       // zstd 1-22, xz 0-9, zlib 0-9
  bool extreme = false; // xz only: LZMA_PRESET_EXTREME
};

const char *codecName(Codec codec);
std::optional<Codec> parseCodec(std::string_view name);
/// "" if the level (and extreme) suit the codec, else the reason.
std::string checkCodecOptions(const CodecOptions &options);

std::optional<std::string> compress(const CodecOptions &options, std::string_view data,
                                    std::string &error);
/// Fails unless `data` is one complete stream of exactly `size` bytes.
std::optional<std::string> decompress(Codec codec, std::string_view data, uint64_t size,
                                      std::string &error);

// The per-library wrappers behind compress/decompress.
std::optional<std::string> zstdCompress(std::string_view data, int level, std::string &error);
std::optional<std::string> zstdDecompress(std::string_view data, uint64_t size, std::string &error);
std::optional<std::string> xzCompress(std::string_view data, int level, bool extreme,
                                      std::string &error);
std::optional<std::string> xzDecompress(std::string_view data, uint64_t size, std::string &error);
std::optional<std::string> zlibCompress(std::string_view data, int level, std::string &error);
std::optional<std::string> zlibDecompress(std::string_view data, uint64_t size, std::string &error);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_COMPRESS_H

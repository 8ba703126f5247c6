//===- Compress.cpp - codec names, levels and dispatch --------------------===//
#include "runtime/export/Compress.h"

namespace golf::exporter {

const char *codecName(Codec codec) {
  switch (codec) {
  case Codec::Zstd:
    return "zstd";
  case Codec::Xz:
    return "xz";
  case Codec::Zlib:
    return "zlib";
  }
  return "?";
}

std::optional<Codec> parseCodec(std::string_view name) {
  for (Codec c : {Codec::Zstd, Codec::Xz, Codec::Zlib})
    if (name == codecName(c))
      return c;
  return std::nullopt;
}

std::string checkCodecOptions(const CodecOptions &o) {
  int low = o.codec == Codec::Zstd ? 1 : 0, high = o.codec == Codec::Zstd ? 22 : 9;
  if (o.level < low || o.level > high)
    return std::string(codecName(o.codec)) + " level must be " + std::to_string(low) + " to " +
           std::to_string(high) + ", got " + std::to_string(o.level);
  if (o.extreme && o.codec != Codec::Xz)
    return "extreme applies to xz only";
  return "";
}

std::optional<std::string> compress(const CodecOptions &o, std::string_view data,
                                    std::string &error) {
  if (std::string why = checkCodecOptions(o); !why.empty()) {
    error = why;
    return std::nullopt;
  }
  switch (o.codec) {
  case Codec::Zstd:
    return zstdCompress(data, o.level, error);
  case Codec::Xz:
    return xzCompress(data, o.level, o.extreme, error);
  case Codec::Zlib:
    return zlibCompress(data, o.level, error);
  }
  error = "unknown codec";
  return std::nullopt;
}

std::optional<std::string> decompress(Codec codec, std::string_view data, uint64_t size,
                                      std::string &error) {
  switch (codec) {
  case Codec::Zstd:
    return zstdDecompress(data, size, error);
  case Codec::Xz:
    return xzDecompress(data, size, error);
  case Codec::Zlib:
    return zlibDecompress(data, size, error);
  }
  error = "unknown codec";
  return std::nullopt;
}

} // namespace golf::exporter

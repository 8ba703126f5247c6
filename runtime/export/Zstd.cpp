//===- Zstd.cpp - zstd one-shot compression -------------------------------===//
#include "runtime/export/Compress.h"

#include <zstd.h>

namespace golf::exporter {

std::optional<std::string> zstdCompress(std::string_view data, int level, std::string &error) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) {
    error = std::string("zstd: ") + ZSTD_getErrorName(n);
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

std::optional<std::string> zstdDecompress(std::string_view data, uint64_t size,
                                          std::string &error) {
  // The frame's own content size must agree with the container's, so a
  // damaged frame header is caught before any allocation.
  unsigned long long framed = ZSTD_getFrameContentSize(data.data(), data.size());
  if (framed != size || ZSTD_findFrameCompressedSize(data.data(), data.size()) != data.size()) {
    error = "zstd: the stream is damaged or not the expected size";
    return std::nullopt;
  }
  std::string out(size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n) || n != size) {
    error = std::string("zstd: ") + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch");
    return std::nullopt;
  }
  return out;
}

} // namespace golf::exporter

//===- Zlib.cpp - zlib one-shot compression (the baseline's codec) --------===//
#include "runtime/export/Compress.h"

#include <climits>
#include <zlib.h>

namespace golf::exporter {

std::optional<std::string> zlibCompress(std::string_view data, int level, std::string &error) {
  if (data.size() > ULONG_MAX / 2) {
    error = "zlib: input too large";
    return std::nullopt;
  }
  uLongf n = compressBound(uLong(data.size()));
  std::string out(n, '\0');
  int r = compress2(reinterpret_cast<Bytef *>(out.data()), &n,
                    reinterpret_cast<const Bytef *>(data.data()), uLong(data.size()), level);
  if (r != Z_OK) {
    error = "zlib: compression failed (code " + std::to_string(r) + ")";
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

std::optional<std::string> zlibDecompress(std::string_view data, uint64_t size,
                                          std::string &error) {
  // Deflate expands at most 1032:1, so a larger stated size is damage, not
  // a reason to allocate it.
  if (size > uint64_t(data.size()) * 1032 + 64) {
    error = "zlib: " + std::to_string(data.size()) + " bytes cannot hold " +
            std::to_string(size) + " (the stream is damaged)";
    return std::nullopt;
  }
  std::string out(size + 1, '\0');
  uLongf n = uLongf(out.size());
  uLong in = uLong(data.size());
  int r = uncompress2(reinterpret_cast<Bytef *>(out.data()), &n,
                      reinterpret_cast<const Bytef *>(data.data()), &in);
  if (r != Z_OK || in != data.size() || n != size) {
    error = "zlib: the stream is damaged or not the expected size";
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

} // namespace golf::exporter

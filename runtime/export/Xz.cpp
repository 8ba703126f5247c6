//===- Xz.cpp - xz (LZMA2) one-shot compression ---------------------------===//
#include "runtime/export/Compress.h"

#include <lzma.h>

namespace golf::exporter {

std::optional<std::string> xzCompress(std::string_view data, int level, bool extreme,
                                      std::string &error) {
  std::string out(lzma_stream_buffer_bound(data.size()), '\0');
  size_t pos = 0;
  uint32_t preset = uint32_t(level) | (extreme ? LZMA_PRESET_EXTREME : 0);
  lzma_ret r = lzma_easy_buffer_encode(preset, LZMA_CHECK_CRC32, nullptr,
                                       reinterpret_cast<const uint8_t *>(data.data()),
                                       data.size(), reinterpret_cast<uint8_t *>(out.data()),
                                       &pos, out.size());
  if (r != LZMA_OK) {
    error = "xz: compression failed (code " + std::to_string(int(r)) + ")";
    return std::nullopt;
  }
  out.resize(pos);
  return out;
}

std::optional<std::string> xzDecompress(std::string_view data, uint64_t size,
                                        std::string &error) {
  // One extra byte of room tells "exactly size" from "longer than size".
  std::string out(size + 1, '\0');
  uint64_t memlimit = UINT64_MAX;
  size_t in = 0, pos = 0;
  lzma_ret r = lzma_stream_buffer_decode(&memlimit, 0, nullptr,
                                         reinterpret_cast<const uint8_t *>(data.data()), &in,
                                         data.size(), reinterpret_cast<uint8_t *>(out.data()),
                                         &pos, out.size());
  if (r != LZMA_OK || in != data.size() || pos != size) {
    error = "xz: the stream is damaged or not the expected size";
    return std::nullopt;
  }
  out.resize(pos);
  return out;
}

} // namespace golf::exporter

//===- ValHead.cpp - the FineWeb validation shard from the val head -------===//
#include "runtime/data/ValHead.h"

#include "runtime/data/Shard.h"
#include "runtime/support/Sha256.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <lzma.h>

namespace golf::data {

std::optional<std::string> readXz(const std::string &path, std::string &error) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
    std::fclose(f);
    error = "cannot initialize the xz decoder";
    return std::nullopt;
  }
  try {
    std::vector<uint8_t> in(1 << 16), buf(1 << 20);
    lzma_action action = LZMA_RUN;
    strm.next_out = buf.data();
    strm.avail_out = buf.size();
    for (;;) {
      if (strm.avail_in == 0 && action == LZMA_RUN) {
        strm.next_in = in.data();
        strm.avail_in = std::fread(in.data(), 1, in.size(), f);
        if (std::ferror(f)) {
          error = "cannot read " + path;
          break;
        }
        if (std::feof(f))
          action = LZMA_FINISH;
      }
      lzma_ret ret = lzma_code(&strm, action);
      if (strm.avail_out == 0 || ret == LZMA_STREAM_END) {
        out.append(reinterpret_cast<char *>(buf.data()), buf.size() - strm.avail_out);
        strm.next_out = buf.data();
        strm.avail_out = buf.size();
      }
      if (ret == LZMA_STREAM_END) {
        lzma_end(&strm);
        std::fclose(f);
        return out;
      }
      if (ret != LZMA_OK) {
        const char *why = ret == LZMA_FORMAT_ERROR   ? "not an xz file"
                          : ret == LZMA_DATA_ERROR   ? "corrupt data"
                          : ret == LZMA_BUF_ERROR    ? "truncated file"
                          : ret == LZMA_MEM_ERROR    ? "out of memory"
                          : ret == LZMA_OPTIONS_ERROR ? "unsupported options"
                                                      : "decoder error";
        error = "cannot decompress " + path + ": " + why;
        break;
      }
    }
  } catch (const std::exception &e) {
    error = "cannot decompress " + path + ": " + e.what();
  }
  lzma_end(&strm);
  std::fclose(f);
  return std::nullopt;
}

std::optional<std::vector<uint16_t>> readXzU16(const std::string &path, std::string &error) {
  auto bytes = readXz(path, error);
  if (!bytes)
    return std::nullopt;
  if (bytes->size() % 2 != 0) {
    error = path + ": odd decompressed size " + std::to_string(bytes->size()) +
            " for uint16 token ids";
    return std::nullopt;
  }
  try {
    std::vector<uint16_t> ids(bytes->size() / 2);
    if (!ids.empty())
      std::memcpy(ids.data(), bytes->data(), bytes->size());
    return ids;
  } catch (const std::exception &e) {
    error = path + ": " + e.what();
    return std::nullopt;
  }
}

std::vector<uint16_t> completeDocuments(const std::vector<uint16_t> &ids, uint16_t bos) {
  std::vector<uint16_t> out;
  out.reserve(ids.size() + 1);
  out.push_back(bos);
  out.insert(out.end(), ids.begin(), ids.end());
  auto last = std::find(out.rbegin(), out.rend(), bos);
  // The last BOS starts an incomplete document: keep everything before it.
  out.resize(size_t(out.rend() - last) - 1);
  return out;
}

std::optional<ValShardResult> buildValShard(const std::string &headXz, const std::string &outDir,
                                            std::string &error,
                                            const std::string &expectedSha256) {
  try {
    auto ids = readXzU16(headXz, error);
    if (!ids)
      return std::nullopt;
    std::vector<uint16_t> tokens = completeDocuments(*ids);
    if (tokens.empty()) {
      error = headXz + ": no complete document (no BOS after the first)";
      return std::nullopt;
    }
    if (!makeDirectories(outDir, error))
      return std::nullopt;
    ValShardResult r;
    r.path = outDir + "/" + shardFileName("fineweb_val", 0);
    r.tokens = int64_t(tokens.size());
    r.documents = std::count(tokens.begin(), tokens.end(), uint16_t(kBosId));
    std::string bytes = encodeShard(tokens.data(), tokens.size());
    r.sha256 = sha256Hex(bytes);
    if (!expectedSha256.empty() && r.sha256 != expectedSha256) {
      error = r.path + ": sha256 " + r.sha256 + " does not match the expected " + expectedSha256 +
              " (" + std::to_string(r.tokens) + " tokens, " + std::to_string(r.documents) +
              " documents): the val head is not the reference one";
      return std::nullopt;
    }
    if (!writeShard(r.path, tokens, error))
      return std::nullopt;
    return r;
  } catch (const std::exception &e) {
    error = "cannot build the validation shard: " + std::string(e.what());
    return std::nullopt;
  }
}

} // namespace golf::data

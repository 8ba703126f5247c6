//===- KernelCache.cpp - the on-disk CUBIN cache --------------------------===//
#include "runtime/cuda/KernelCache.h"

#include "runtime/support/Files.h"
#include "runtime/support/Sha256.h"

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace golf::cuda {
namespace {

// Bump when the file layout or the key's contents change.
constexpr const char *kMagic = "golfc-cubin-v1";

std::string checksumLine(const std::string &cubin) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, fnv1a64(cubin.data(), cubin.size()));
  return buf;
}

std::string header(const std::string &key, const std::string &cubin) {
  return std::string(kMagic) + " " + key + "\n" + checksumLine(cubin) + "\n";
}

} // namespace

std::string KernelCache::key(const std::string &source, const std::string &nvrtcVersion,
                             const std::vector<std::string> &options) {
  // Every field is NUL-terminated so that no two different tuples hash the
  // same bytes (source text and options never contain NUL).
  Sha256 h;
  auto add = [&h](const std::string &s) { h.update(s.c_str(), s.size() + 1); };
  add(kMagic);
  add(nvrtcVersion);
  add(std::to_string(options.size()));
  for (const std::string &o : options)
    add(o);
  add(source);
  return h.finishHex();
}

std::optional<std::string> KernelCache::load(const std::string &key) const {
  if (!enabled())
    return std::nullopt;
  std::string error;
  std::optional<std::string> file = readFile(path(key), error);
  if (!file)
    return std::nullopt;
  // Header: "<magic> <key>\n<checksum>\n"; its length is fixed by the key.
  const size_t first = std::string(kMagic).size() + 1 + key.size() + 1;
  const size_t headerBytes = first + 16 + 1;
  if (file->size() <= headerBytes)
    return std::nullopt;
  std::string cubin = file->substr(headerBytes);
  if (file->compare(0, headerBytes, header(key, cubin)) != 0)
    return std::nullopt;
  return cubin;
}

void KernelCache::store(const std::string &key, const std::string &cubin) const {
  if (!enabled())
    return;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    throw std::runtime_error("kernel cache: cannot create " + dir_ + ": " + ec.message());
  std::string error;
  // Another writer of the same key (another thread or process) may win the
  // rename; its entry is as good as ours.
  if (!writeFileAtomic(path(key), header(key, cubin) + cubin, error) && !load(key))
    throw std::runtime_error("kernel cache: " + error);
}

} // namespace golf::cuda

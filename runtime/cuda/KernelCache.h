//===- KernelCache.h - the on-disk CUBIN cache ------------------*- C++ -*-===//
//
// One file per compiled source, <dir>/<key>.cubin, where the key is the
// SHA-256 of everything that decides the CUBIN (source, NVRTC version, all
// options). A file holds a header line with the key and a checksum line
// before the CUBIN, so a truncated or damaged file, or one copied under the
// wrong name, is detected and recompiled instead of crashing the loader.
// Files are written through a temporary file and a rename, so concurrent
// processes never read a partial entry.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_KERNELCACHE_H
#define GOLF_RUNTIME_CUDA_KERNELCACHE_H

#include <optional>
#include <string>
#include <vector>

namespace golf::cuda {

class KernelCache {
public:
  /// dir "" disables the cache: load finds nothing, store does nothing.
  explicit KernelCache(std::string dir) : dir_(std::move(dir)) {}

  /// 64 hex digits identifying (source, nvrtcVersion, options).
  static std::string key(const std::string &source, const std::string &nvrtcVersion,
                         const std::vector<std::string> &options);

  /// The cached CUBIN, or nothing if absent or damaged.
  std::optional<std::string> load(const std::string &key) const;
  /// Writes the entry atomically; throws std::runtime_error if it cannot.
  void store(const std::string &key, const std::string &cubin) const;
  std::string path(const std::string &key) const { return dir_ + "/" + key + ".cubin"; }
  bool enabled() const { return !dir_.empty(); }

private:
  std::string dir_;
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_KERNELCACHE_H

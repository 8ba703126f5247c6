//===- Sha256.h - SHA-256 (FIPS 180-4) --------------------------*- C++ -*-===//
//
// A small, dependency-free SHA-256 for checking reference files (the val
// shard built from the FineWeb val head, SHA256SUMS) and for content hashes.
// Part of GolfRuntimeSupport (runtime/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_SUPPORT_SHA256_H
#define GOLF_RUNTIME_SUPPORT_SHA256_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace golf {

class Sha256 {
public:
  Sha256();
  void update(const void *data, size_t size);
  /// The 32-byte digest; the object must not be updated afterwards.
  std::array<uint8_t, 32> finish();
  /// finish() as 64 lowercase hex digits.
  std::string finishHex();

private:
  void block(const uint8_t *p);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t totalBytes_ = 0;
};

/// SHA-256 of `data` as 64 lowercase hex digits.
std::string sha256Hex(const void *data, size_t size);
inline std::string sha256Hex(const std::string &data) { return sha256Hex(data.data(), data.size()); }

/// SHA-256 of a file's contents (read in chunks); nothing and `error` set if
/// the file cannot be read.
std::optional<std::string> sha256File(const std::string &path, std::string &error);

} // namespace golf

#endif // GOLF_RUNTIME_SUPPORT_SHA256_H

//===- Files.h - atomic, checksummed files ----------------------*- C++ -*-===//
#ifndef GOLF_RUNTIME_SUPPORT_FILES_H
#define GOLF_RUNTIME_SUPPORT_FILES_H

#include <cstdint>
#include <optional>
#include <string>

namespace golf {

/// 64-bit FNV-1a of `data`; detects corruption of plans and checkpoints (not
/// an adversary).
uint64_t fnv1a64(const void *data, size_t size, uint64_t seed = 1469598103934665603ull);

/// Writes `data` to `path` through a temporary file in the same directory
/// and a rename, so readers never see a partial file.
bool writeFileAtomic(const std::string &path, const std::string &data, std::string &error);

/// Reads a whole file; nothing (and `error` set) if it cannot.
std::optional<std::string> readFile(const std::string &path, std::string &error);

} // namespace golf

#endif // GOLF_RUNTIME_SUPPORT_FILES_H

//===- Artifact.h - the compressed model container --------------*- C++ -*-===//
//
// The artifact is what a submission ships: the model's source (the .golf
// file, or a plan) and its stored tensors, compressed. Byte layout in
// docs/artifact.md:
//
//   0   "GOLF-ART"           magic
//   8   u8  version (1)
//   9   u8  codec (1 zstd, 2 xz, 3 zlib)
//   10  u8  level
//   11  u8  flags (bit 0: xz extreme; bit 1: the source is a plan)
//   12  u32 source bytes S
//   16  u32 payload bytes before compression R
//   20  u32 compressed payload bytes C
//   24  the source, S bytes, as is
//   24+S the compressed payload, C bytes
//   24+S+C u64 FNV-1a 64 of every byte before it
//
// The payload: u32 table length T, the table (JSON: model, overrides,
// tensors with name, dtype, shape and format), then each tensor's bytes
// (Pack.h) in table order. Reading checks every size, the checksum, the
// codec's own stream and every tensor against its format; any damage is a
// one-line error, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_ARTIFACT_H
#define GOLF_RUNTIME_EXPORT_ARTIFACT_H

#include "runtime/export/Compress.h"
#include "runtime/export/Pack.h"

#include <map>

namespace golf::exporter {

struct Artifact {
  static constexpr uint8_t kVersion = 1;
  static constexpr size_t kHeaderBytes = 24, kChecksumBytes = 8;
  /// The largest payload a reader accepts before decompressing (1 GiB).
  static constexpr uint64_t kMaxPayloadBytes = uint64_t(1) << 30;

  std::string model;
  bool sourceIsPlan = false;
  std::string source;                          // .golf text, or a plan's JSON
  std::map<std::string, std::string> overrides; // --set NAME=VALUE of the compile
  CodecOptions codec;
  std::vector<StoredTensor> tensors;
};

/// The uncompressed payload (table + tensor bytes).
std::string serializePayload(const Artifact &a);
/// Parses a payload into `a`'s model, overrides and tensors.
bool parsePayload(std::string_view payload, Artifact &a, std::string &error);

/// The container around an already compressed payload.
std::string sealArtifact(const Artifact &a, std::string_view compressed, uint64_t rawBytes);
/// Compresses the payload and seals it: the artifact file's bytes.
std::optional<std::string> writeArtifact(const Artifact &a, std::string &error);
/// The container around the still compressed payload: `header` has the
/// codec, flags and source (no model or tensors yet).
struct Container {
  Artifact header;
  std::string_view payload;
  uint64_t rawBytes = 0;
};
/// Checks magic, version, sizes, checksum, codec and flags.
std::optional<Container> openContainer(std::string_view bytes, std::string &error);
/// openContainer, then decompresses and parses the payload.
std::optional<Artifact> readArtifact(std::string_view bytes, std::string &error);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_ARTIFACT_H

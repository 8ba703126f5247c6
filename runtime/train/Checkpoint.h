//===- Checkpoint.h - resumable training state in one file ------*- C++ -*-===//
//
// A checkpoint holds everything a run needs to continue bit-exactly: the
// parameters, the optimizer state (Optimizers::saveState), the averaging
// state (Averaging::saveState), the completed step count, the elapsed
// training time, the data stream's position (an opaque JSON blob of the
// caller's) and the model's fingerprint (a string of the caller's, e.g. a
// hash of the plan) that loading checks.
//
// File layout (little-endian; the runtime targets are all little-endian):
//   0   "GOLFCKPT"                       8 bytes magic
//   8   u32 format version (1), u32 0
//   16  u64 total file size              truncation is reported as such
//   24  u64 header size H
//   32  header: JSON {model, fingerprint, step, elapsed_seconds,
//       elapsed_bits (the double's bits: exact whatever the JSON printer),
//       stream, optimizer_meta, averaging_meta,
//       tensors: [{section, name, dtype, storage, shape, offset, bytes}]}
//   32+H  tensor bytes, as stored in memory (float/double/int32), at
//         `offset` from here
//   end-8 u64 FNV-1a 64 of every byte before it
// Written through writeFileAtomic (temporary file + rename), so a crash
// never leaves a partial checkpoint under the final name.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_CHECKPOINT_H
#define GOLF_RUNTIME_TRAIN_CHECKPOINT_H

#include "runtime/cpu/Executor.h"
#include "runtime/train/State.h"

#include <optional>
#include <string>

namespace golf::train {

struct Checkpoint {
  static constexpr uint32_t kVersion = 1;
  std::string model;       // the model's name, for messages
  std::string fingerprint; // identifies the compiled model (caller's choice)
  int64_t step = 0;        // steps completed
  double elapsedSeconds = 0;
  plan::Json stream = nullptr; // data-stream / RNG position, opaque
  cpu::ParamStore params;
  StateBlob optimizer;
  StateBlob averaging;
};

/// The file's bytes (tests and callers that write elsewhere).
std::optional<std::string> serializeCheckpoint(const Checkpoint &ckpt, std::string &error);
/// Parses and verifies magic, version, size, checksum and structure.
/// `source` names the bytes in messages (a path).
std::optional<Checkpoint> parseCheckpoint(const std::string &bytes, const std::string &source,
                                          std::string &error);

bool saveCheckpoint(const Checkpoint &ckpt, const std::string &path, std::string &error);
/// Reads and verifies the file, then its fingerprint against this run's:
/// "checkpoint is for model X (fingerprint ...), this run is Y (fingerprint ...)".
std::optional<Checkpoint> loadCheckpoint(const std::string &path, const std::string &model,
                                         const std::string &fingerprint, std::string &error);

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_CHECKPOINT_H

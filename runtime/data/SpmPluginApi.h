//===- SpmPluginApi.h - C interface of libgolf_spm.so -----------*- C++ -*-===//
//
// The SentencePiece plugin exports these C functions; Tokenizer.cpp loads it
// with dlopen, so that golfc does not need libsentencepiece to start.
// Errors are written as one NUL-terminated line into `err` (capacity errCap).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DATA_SPMPLUGINAPI_H
#define GOLF_RUNTIME_DATA_SPMPLUGINAPI_H

#include <stddef.h>

#define GOLF_SPM_ABI_VERSION 1

extern "C" {
/// GOLF_SPM_ABI_VERSION.
typedef int (*golf_spm_abi_version_fn)(void);
/// A processor for the model at `path`, or NULL.
typedef void *(*golf_spm_load_fn)(const char *path, char *err, size_t errCap);
typedef void (*golf_spm_free_fn)(void *processor);
/// Encodes text[0, len): returns the number of ids (writing at most `cap` of
/// them to `out`; call again with a larger buffer if the result exceeds
/// `cap`), or -1 on error.
typedef long (*golf_spm_encode_fn)(void *processor, const char *text, size_t len, int *out,
                                   size_t cap, char *err, size_t errCap);
/// Decodes ids[0, n): returns the number of bytes (writing at most `cap`),
/// or -1 on error.
typedef long (*golf_spm_decode_fn)(void *processor, const int *ids, size_t n, char *out,
                                   size_t cap, char *err, size_t errCap);
}

#endif // GOLF_RUNTIME_DATA_SPMPLUGINAPI_H

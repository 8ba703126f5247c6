//===- SpmPlugin.cpp - libgolf_spm.so: libsentencepiece behind a C API ----===//
//
// The only code that links libsentencepiece. See SpmPluginApi.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/data/SpmPluginApi.h"

#include <sentencepiece_processor.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#define GOLF_SPM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

void setError(char *err, size_t errCap, const std::string &msg) {
  if (!err || errCap == 0)
    return;
  std::string line = msg;
  for (char &c : line)
    if (c == '\n' || c == '\r')
      c = ' ';
  std::snprintf(err, errCap, "%s", line.c_str());
}

} // namespace

GOLF_SPM_EXPORT int golf_spm_abi_version(void) { return GOLF_SPM_ABI_VERSION; }

GOLF_SPM_EXPORT void *golf_spm_load(const char *path, char *err, size_t errCap) {
  try {
    auto *sp = new sentencepiece::SentencePieceProcessor();
    auto status = sp->Load(path);
    if (!status.ok()) {
      setError(err, errCap, std::string("sentencepiece cannot load ") + path + ": " +
                                status.ToString());
      delete sp;
      return nullptr;
    }
    return sp;
  } catch (const std::exception &e) {
    setError(err, errCap, std::string("sentencepiece cannot load ") + path + ": " + e.what());
    return nullptr;
  }
}

GOLF_SPM_EXPORT void golf_spm_free(void *processor) {
  delete static_cast<sentencepiece::SentencePieceProcessor *>(processor);
}

GOLF_SPM_EXPORT long golf_spm_encode(void *processor, const char *text, size_t len, int *out,
                                     size_t cap, char *err, size_t errCap) {
  try {
    auto *sp = static_cast<sentencepiece::SentencePieceProcessor *>(processor);
    std::vector<int> ids;
    auto status = sp->Encode(std::string_view(text, len), &ids);
    if (!status.ok()) {
      setError(err, errCap, "sentencepiece cannot encode: " + status.ToString());
      return -1;
    }
    if (ids.size() <= cap && !ids.empty())
      std::memcpy(out, ids.data(), ids.size() * sizeof(int));
    return long(ids.size());
  } catch (const std::exception &e) {
    setError(err, errCap, std::string("sentencepiece cannot encode: ") + e.what());
    return -1;
  }
}

GOLF_SPM_EXPORT long golf_spm_decode(void *processor, const int *ids, size_t n, char *out,
                                     size_t cap, char *err, size_t errCap) {
  try {
    auto *sp = static_cast<sentencepiece::SentencePieceProcessor *>(processor);
    std::vector<int> v(ids, ids + n);
    std::string text;
    auto status = sp->Decode(v, &text);
    if (!status.ok()) {
      setError(err, errCap, "sentencepiece cannot decode: " + status.ToString());
      return -1;
    }
    if (text.size() <= cap && !text.empty())
      std::memcpy(out, text.data(), text.size());
    return long(text.size());
  } catch (const std::exception &e) {
    setError(err, errCap, std::string("sentencepiece cannot decode: ") + e.what());
    return -1;
  }
}

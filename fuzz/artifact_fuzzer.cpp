//===- artifact_fuzzer.cpp - libFuzzer target of the artifact reader ------===//
//
// Input: an artifact file's bytes. The reader must refuse any damage with a
// one-line error, never crash, leak or hang; what it accepts must unpack
// and write back to an artifact it reads again identically.
//
// Random bytes die at the checksum and mutated compressed bytes in the
// codec, so the custom mutator mostly mutates the decompressed payload (or
// the source) and reseals it (zlib 1, fresh checksum): the table parser and
// the tensor checks then see the damage.
//
//===----------------------------------------------------------------------===//
#include "runtime/export/Artifact.h"

#include <cstdlib>
#include <cstring>

using namespace golf::exporter;

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t maxSize,
                                          unsigned int seed) {
  std::string error;
  auto c = openContainer({reinterpret_cast<const char *>(data), size}, error);
  auto raw = c ? decompress(c->header.codec.codec, c->payload, c->rawBytes, error) : std::nullopt;
  if (!raw || seed % 4 == 0)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::string &part = seed % 4 == 3 ? c->header.source : *raw;
  size_t n = part.size();
  part.resize(n + 64);
  part.resize(LLVMFuzzerMutate(reinterpret_cast<uint8_t *>(part.data()), n, part.size()));
  c->header.codec = {Codec::Zlib, 1, false};
  auto packed = compress(c->header.codec, *raw, error);
  if (!packed)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::string out = sealArtifact(c->header, *packed, raw->size());
  if (out.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  auto a = readArtifact({reinterpret_cast<const char *>(data), size}, error);
  if (!a) {
    if (error.empty() || error.find('\n') != std::string::npos)
      std::abort(); // every refusal is one line
    return 0;
  }
  for (const StoredTensor &t : a->tensors)
    if (!unpackValues(t, error) && (error.empty() || error.find('\n') != std::string::npos))
      std::abort();
  auto again = writeArtifact(*a, error);
  if (!again)
    std::abort();
  auto back = readArtifact(*again, error);
  if (!back || back->tensors.size() != a->tensors.size() || back->source != a->source)
    std::abort();
  for (size_t i = 0; i < a->tensors.size(); ++i)
    if (back->tensors[i].data != a->tensors[i].data || back->tensors[i].name != a->tensors[i].name)
      std::abort();
  return 0;
}

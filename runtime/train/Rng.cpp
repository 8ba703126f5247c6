//===- Rng.cpp - counter-based random numbers -----------------------------===//
#include "runtime/train/Rng.h"

#include "runtime/support/Files.h"

#include <cmath>

namespace golf::train {

namespace {
constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
constexpr double kTwoPi = 6.283185307179586476925286766559;
} // namespace

uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The seed is mixed before the name's hash so that seeds 1 and 2 give
// unrelated streams for the same name (not merely shifted ones).
RandomStream::RandomStream(uint64_t seed, std::string_view path)
    : key_(mix64(mix64(seed + kGolden) ^ fnv1a64(path.data(), path.size()))) {}

uint64_t RandomStream::bits(uint64_t k) const { return mix64(key_ + (k + 1) * kGolden); }

double RandomStream::uniform(uint64_t k) const {
  return double(bits(k) >> 11) * 0x1.0p-53;
}

double RandomStream::normalAt(uint64_t i) const {
  // u1 in (0, 1] so that log(u1) is finite.
  double u1 = double((bits(2 * i) >> 11) + 1) * 0x1.0p-53;
  double u2 = uniform(2 * i + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

} // namespace golf::train

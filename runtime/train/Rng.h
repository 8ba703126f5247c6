//===- Rng.h - counter-based random numbers for initialization --*- C++ -*-===//
//
// Initialization must not depend on the order in which parameters are
// created, on threads, or on which other parameters exist: adding a
// parameter to a model must leave every other parameter's initial values
// unchanged. So there is no generator state. A stream is a 64-bit key
// (derived from the train seed and a path such as the parameter's name) and
// draw k of the stream is a pure function of (key, k): splitmix64's k-th
// output from state `key`. Element i of a tensor uses draws 2i and 2i+1, so
// any element can be computed alone.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_RNG_H
#define GOLF_RUNTIME_TRAIN_RNG_H

#include <cstdint>
#include <string_view>

namespace golf::train {

class RandomStream {
public:
  /// The stream of `path` (a parameter name, "name/rows/3", ...) under `seed`.
  RandomStream(uint64_t seed, std::string_view path);
  explicit RandomStream(uint64_t key) : key_(key) {}

  uint64_t key() const { return key_; }
  /// Draw k: 64 random bits.
  uint64_t bits(uint64_t k) const;
  /// Uniform on [0, 1) with 53 random bits, from draw k.
  double uniform(uint64_t k) const;
  /// Element i's uniform on [0, 1) (draw 2i).
  double uniformAt(uint64_t i) const { return uniform(2 * i); }
  /// Element i's standard normal: Box-Muller on draws 2i and 2i+1 (the
  /// cosine branch only, so that an element needs no neighbour).
  double normalAt(uint64_t i) const;

private:
  uint64_t key_;
};

/// splitmix64's output function (a bijective 64-bit mixer).
uint64_t mix64(uint64_t x);

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_RNG_H

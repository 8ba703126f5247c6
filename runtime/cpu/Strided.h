//===- Strided.h - strided iteration for broadcasting and copies -*- C++ -*-===//
//
// Broadcasting, transposes, slices and pads are all "walk the output in
// row-major order while each operand follows its own strides" (a stride of 0
// repeats an element). One walker serves them all.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CPU_STRIDED_H
#define GOLF_RUNTIME_CPU_STRIDED_H

#include "runtime/cpu/Kernel.h"

#include <array>

namespace golf::cpu {

/// numpy broadcast of two shapes; throws if they do not broadcast.
Shape broadcastShape(const Shape &a, const Shape &b);
/// Strides that read `in` as if broadcast to `out` (0 on stretched axes);
/// throws if `in` does not broadcast to `out`.
std::vector<int64_t> broadcastStrides(const Shape &in, const Shape &out);

/// Visits the elements [begin, end) of `shape` in row-major order and calls
/// f(i, off) where off[k] is the offset of element i under strides[k].
template <size_t K, class F>
void forEachStrided(const Shape &shape, const std::array<const int64_t *, K> &strides,
                    int64_t begin, int64_t end, F &&f) {
  std::array<int64_t, K> off{};
  size_t rank = shape.size();
  if (rank == 0) {
    if (begin < end)
      f(int64_t(0), off);
    return;
  }
  std::vector<int64_t> idx(rank);
  auto seek = [&] { // offsets from the multi-index
    for (size_t k = 0; k < K; ++k) {
      off[k] = 0;
      for (size_t r = 0; r < rank; ++r)
        off[k] += idx[r] * strides[k][r];
    }
  };
  int64_t rem = begin;
  for (size_t r = rank; r-- > 0;) {
    idx[r] = shape[r] ? rem % shape[r] : 0;
    rem = shape[r] ? rem / shape[r] : 0;
  }
  seek();
  int64_t last = shape[rank - 1];
  std::array<int64_t, K> inner{};
  for (size_t k = 0; k < K; ++k)
    inner[k] = strides[k][rank - 1];
  for (int64_t i = begin; i < end;) {
    int64_t n = std::min(last - idx[rank - 1], end - i);
    for (int64_t j = 0; j < n; ++j, ++i) {
      f(i, off);
      for (size_t k = 0; k < K; ++k)
        off[k] += inner[k];
    }
    idx[rank - 1] += n;
    if (idx[rank - 1] == last && i < end) {
      for (size_t r = rank - 1; r > 0 && idx[r] == shape[r]; --r) {
        idx[r] = 0;
        ++idx[r - 1];
      }
      seek();
    }
  }
}

/// Copies the box `shape` from src (offset srcOff, strides srcStrides) into
/// dst (offset dstOff, strides dstStrides); elements of `bytes` 4 or 8.
void copyBox(const Shape &shape, size_t bytes, const void *src, int64_t srcOff,
             const std::vector<int64_t> &srcStrides, void *dst, int64_t dstOff,
             const std::vector<int64_t> &dstStrides, ThreadPool &pool);

} // namespace golf::cpu

#endif // GOLF_RUNTIME_CPU_STRIDED_H

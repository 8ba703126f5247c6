//===- Strided.cpp - strided iteration for broadcasting and copies --------===//
#include "runtime/cpu/Strided.h"

namespace golf::cpu {

Shape broadcastShape(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      fail("shapes " + shapeString(a) + " and " + shapeString(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcastStrides(const Shape &in, const Shape &out) {
  if (in.size() > out.size())
    fail("cannot broadcast " + shapeString(in) + " to " + shapeString(out));
  std::vector<int64_t> inStrides = stridesOf(in), s(out.size(), 0);
  size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == out[lead + i])
      s[lead + i] = inStrides[i];
    else if (in[i] != 1)
      fail("cannot broadcast " + shapeString(in) + " to " + shapeString(out));
  }
  return s;
}

namespace {
template <class E>
void copyBoxAs(const Shape &shape, const E *src, const std::vector<int64_t> &srcStrides, E *dst,
               const std::vector<int64_t> &dstStrides, ThreadPool &pool) {
  pool.parallelFor(numelOf(shape), 1 << 16, [&](int64_t b, int64_t e) {
    std::array<const int64_t *, 2> st{srcStrides.data(), dstStrides.data()};
    forEachStrided<2>(shape, st, b, e,
                      [&](int64_t, const std::array<int64_t, 2> &o) { dst[o[1]] = src[o[0]]; });
  });
}
} // namespace

void copyBox(const Shape &shape, size_t bytes, const void *src, int64_t srcOff,
             const std::vector<int64_t> &srcStrides, void *dst, int64_t dstOff,
             const std::vector<int64_t> &dstStrides, ThreadPool &pool) {
  if (bytes == 8)
    copyBoxAs(shape, static_cast<const uint64_t *>(src) + srcOff, srcStrides,
              static_cast<uint64_t *>(dst) + dstOff, dstStrides, pool);
  else
    copyBoxAs(shape, static_cast<const uint32_t *>(src) + srcOff, srcStrides,
              static_cast<uint32_t *>(dst) + dstOff, dstStrides, pool);
}

} // namespace golf::cpu

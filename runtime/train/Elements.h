//===- Elements.h - storage-generic element access (internal) ---*- C++ -*-===//
//
// Parameters, gradients and optimizer state are cpu::Tensors in float or
// double storage (cpu/Tensor.h). Element-wise training math reads them as
// double, computes in double and rounds once when storing: to the dtype in
// float storage (bf16/f16 emulation, as the executor does), not at all in
// double storage (Precision F64 never rounds to narrower types). So an
// update is one rounding away from exact, where torch's fp32 kernels round
// after every operation; the difference is far below what a training run
// can see and it keeps F32 and F64 runs the same code.
//
// Tensors share buffers (cpu/Tensor.h): the library never writes into a
// tensor it did not allocate itself. Updated parameters are new tensors put
// into the caller's ParamStore; optimizer and averaging state is owned.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_ELEMENTS_H
#define GOLF_RUNTIME_TRAIN_ELEMENTS_H

#include "runtime/cpu/Tensor.h"
#include "runtime/cpu/ThreadPool.h"
#include "runtime/train/Error.h"

#include <algorithm>
#include <cstring>

namespace golf::train {

using cpu::Shape;
using cpu::Storage;
using cpu::Tensor;
using plan::DType;

/// Reads elements of a float tensor of either storage as double.
struct Reader {
  const float *f = nullptr;
  const double *d = nullptr;
  double operator[](int64_t i) const { return f ? double(f[i]) : d[i]; }
};

/// Writes doubles into a float tensor, rounding as the header describes.
struct Writer {
  float *f = nullptr;
  double *d = nullptr;
  bool narrow = false; // bf16/f16 in float storage
  DType dtype = DType::F32;
  void set(int64_t i, double x) const {
    if (d)
      d[i] = x;
    else
      f[i] = float(narrow ? cpu::roundToDType(x, dtype) : x);
  }
};

inline void expectFloat(const Tensor &t, const std::string &what) {
  if (!t.defined())
    fail(what + " is missing (undefined tensor)");
  if (t.storage() == Storage::I32 || !plan::isFloat(t.dtype()))
    fail(what + " must be a float tensor, got " + plan::dtypeName(t.dtype()));
}

inline void expectShape(const Tensor &t, const Shape &shape, const std::string &what) {
  expectFloat(t, what);
  if (t.shape() != shape)
    fail(what + " has shape " + cpu::shapeString(t.shape()) + ", expected " +
         cpu::shapeString(shape));
}

inline Reader reader(const Tensor &t) {
  Reader r;
  if (t.storage() == Storage::F32)
    r.f = t.data<float>();
  else
    r.d = t.data<double>();
  return r;
}

/// `t` must have been allocated by the caller of writer() (see header).
inline Writer writer(Tensor &t) {
  Writer w;
  w.dtype = t.dtype();
  if (t.storage() == Storage::F32) {
    w.f = t.data<float>();
    w.narrow = t.dtype() == DType::BF16 || t.dtype() == DType::F16;
  } else {
    w.d = t.data<double>();
  }
  return w;
}

/// The value x becomes when stored in a tensor of `dtype` and `storage`.
inline double storedValue(double x, DType dtype, Storage storage) {
  if (storage == Storage::F64)
    return x;
  return double(float(dtype == DType::BF16 || dtype == DType::F16 ? cpu::roundToDType(x, dtype)
                                                                   : x));
}

/// A new, uninitialized tensor with t's dtype, shape and storage.
inline Tensor freshLike(const Tensor &t) {
  return Tensor::allocate(t.dtype(), t.shape(), t.storage());
}

/// A deep copy (state handed out must not change when training goes on).
inline Tensor copyOf(const Tensor &t) {
  Tensor c = freshLike(t);
  std::memcpy(c.raw(), t.raw(), c.bytes());
  return c;
}

/// fn(begin, end) over [0, n), spread over `pool` when given and n is large.
/// Only for loops whose elements are independent: any cut gives the same
/// bits, so this is deterministic.
template <class F> void forElements(cpu::ThreadPool *pool, int64_t n, F &&fn) {
  constexpr int64_t kGrain = 1 << 15;
  if (!pool || n < 2 * kGrain) {
    fn(int64_t(0), n);
    return;
  }
  pool->parallelFor(n, kGrain, [&](int64_t b, int64_t e) { fn(b, e); });
}

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_ELEMENTS_H

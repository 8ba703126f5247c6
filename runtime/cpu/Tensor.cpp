//===- Tensor.cpp - tensors of the CPU reference executor -----------------===//
//
// The public constructors report misuse (a value count that does not match
// the shape) by returning an undefined tensor rather than throwing, because
// no exception may leave the library; the executor rejects undefined inputs
// with a one-line error.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Tensor.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <new>

namespace golf::cpu {

// 64-byte alignment keeps BLAS and vectorized loops on their fast paths.
struct Tensor::Buffer {
  static constexpr std::align_val_t kAlign{64};
  void *ptr = nullptr;
  int64_t bytes = 0;
  std::shared_ptr<MemoryMeter> meter;

  Buffer(int64_t n, std::shared_ptr<MemoryMeter> m) : bytes(n), meter(std::move(m)) {
    ptr = ::operator new(size_t(n > 0 ? n : 1), kAlign);
    if (meter)
      meter->add(bytes);
  }
  ~Buffer() {
    ::operator delete(ptr, kAlign);
    if (meter)
      meter->sub(bytes);
  }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
};

Storage storageFor(DType dtype, Precision precision) {
  if (!plan::isFloat(dtype))
    return Storage::I32;
  return precision == Precision::F32 ? Storage::F32 : Storage::F64;
}

size_t storageBytes(Storage s) { return s == Storage::F64 ? 8 : 4; }

int64_t numelOf(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeString(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

void MemoryMeter::add(int64_t bytes) {
  int64_t now = live_.fetch_add(bytes) + bytes;
  int64_t peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
}

void MemoryMeter::sub(int64_t bytes) { live_.fetch_sub(bytes); }

Tensor Tensor::allocate(DType dtype, Shape shape, Storage storage,
                        std::shared_ptr<MemoryMeter> meter) {
  Tensor t;
  t.dtype_ = dtype;
  t.storage_ = storage;
  t.shape_ = std::move(shape);
  t.buffer_ = std::make_shared<Buffer>(int64_t(t.bytes()), std::move(meter));
  return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape, Storage storage,
                     std::shared_ptr<MemoryMeter> meter) {
  Tensor t = allocate(dtype, std::move(shape), storage, std::move(meter));
  std::memset(t.raw(), 0, t.bytes());
  return t;
}

Tensor Tensor::fromFloats(DType dtype, Shape shape, const std::vector<float> &values) {
  if (!plan::isFloat(dtype) || int64_t(values.size()) != numelOf(shape))
    return {};
  Tensor t = allocate(dtype, std::move(shape), Storage::F32);
  std::memcpy(t.raw(), values.data(), t.bytes());
  return t;
}

Tensor Tensor::fromDoubles(DType dtype, Shape shape, const std::vector<double> &values) {
  if (!plan::isFloat(dtype) || int64_t(values.size()) != numelOf(shape))
    return {};
  Tensor t = allocate(dtype, std::move(shape), Storage::F64);
  std::memcpy(t.raw(), values.data(), t.bytes());
  return t;
}

Tensor Tensor::fromInts(Shape shape, const std::vector<int32_t> &values, DType dtype) {
  if (plan::isFloat(dtype) || int64_t(values.size()) != numelOf(shape))
    return {};
  Tensor t = allocate(dtype, std::move(shape), Storage::I32);
  std::memcpy(t.raw(), values.data(), t.bytes());
  return t;
}

void *Tensor::ptr() const { return buffer_ ? buffer_->ptr : nullptr; }

double Tensor::get(int64_t i) const {
  switch (storage_) {
  case Storage::F32:
    return data<float>()[i];
  case Storage::F64:
    return data<double>()[i];
  case Storage::I32:
    return data<int32_t>()[i];
  }
  return 0;
}

std::vector<double> Tensor::toDoubles() const {
  std::vector<double> out(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i)
    out[size_t(i)] = get(i);
  return out;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (numelOf(shape) != numel())
    return {};
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::retyped(DType dtype) const {
  if (plan::isFloat(dtype) != plan::isFloat(dtype_))
    return {};
  Tensor t = *this;
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::convertedTo(Storage storage, std::shared_ptr<MemoryMeter> meter) const {
  if (!defined() || (storage == Storage::I32) != (storage_ == Storage::I32))
    return {};
  Tensor t = allocate(dtype_, shape_, storage, std::move(meter));
  int64_t n = numel();
  if (storage == storage_) {
    std::memcpy(t.raw(), raw(), bytes());
  } else if (storage == Storage::F64) {
    const float *s = data<float>();
    double *d = t.data<double>();
    for (int64_t i = 0; i < n; ++i)
      d[i] = s[i];
  } else {
    const double *s = data<double>();
    float *d = t.data<float>();
    for (int64_t i = 0; i < n; ++i)
      d[i] = float(s[i]);
  }
  return t;
}

namespace {
/// Rounds x to `bits` significant bits with exponent floor `emin` (the
/// smallest normal exponent, below which the quantum stays fixed: gradual
/// underflow). Scaling by a power of two is exact, and nearbyint rounds half
/// to even in the default rounding mode.
double roundToFormat(double x, int bits, int emin, double maxFinite) {
  if (!std::isfinite(x) || x == 0)
    return x;
  int e;
  std::frexp(x, &e); // x = f * 2^e with f in [0.5, 1), i.e. 1.m * 2^(e-1)
  int exp = std::max(e - 1, emin);
  int shift = bits - 1 - exp; // x * 2^shift has `bits` integer bits
  double r = std::ldexp(std::nearbyint(std::ldexp(x, shift)), -shift);
  if (std::fabs(r) > maxFinite)
    return std::copysign(INFINITY, x);
  return r;
}
} // namespace

double roundToDType(double x, DType dtype) {
  switch (dtype) {
  case DType::BF16:
    return roundToFormat(x, 8, -126, 0x1.fep127);
  case DType::F16:
    return roundToFormat(x, 11, -14, 65504.0);
  case DType::F32:
    return double(float(x));
  default:
    return x;
  }
}

} // namespace golf::cpu

//===- Tensor.h - tensors of the CPU reference executor ---------*- C++ -*-===//
//
// A Tensor is a cheap handle: dtype, shape and a shared, reference-counted
// buffer. Copies share the buffer (the executor relies on this to make
// reshape and param_ref free and to release an intermediate as soon as its
// last handle goes), so never write into a tensor you did not just create.
//
// Storage is separate from dtype: float dtypes are held as float (Precision
// F32) or double (Precision F64) whatever the declared dtype; bf16 and f16
// values are emulated by rounding in float storage. i32 and i1 are int32.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CPU_TENSOR_H
#define GOLF_RUNTIME_CPU_TENSOR_H

#include "runtime/plan/Plan.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace golf::cpu {

using Shape = std::vector<int64_t>;
using plan::DType;

/// Float arithmetic of a run: F32 stores floats as float and multiplies with
/// sgemm (reductions still accumulate in double); F64 does everything in
/// double and never rounds to narrower types (for exact gradient checks).
enum class Precision : uint8_t { F32, F64 };

/// How elements are held in memory.
enum class Storage : uint8_t { F32, F64, I32 };

/// The storage a value of `dtype` gets under `precision`.
Storage storageFor(DType dtype, Precision precision);
size_t storageBytes(Storage s);
int64_t numelOf(const Shape &shape);
std::string shapeString(const Shape &shape);

/// Counts the bytes of live buffers charged to it and their peak; shared by
/// the buffers of one run, so it is thread safe.
class MemoryMeter {
public:
  void add(int64_t bytes);
  void sub(int64_t bytes);
  int64_t live() const { return live_.load(); }
  int64_t peak() const { return peak_.load(); }

private:
  std::atomic<int64_t> live_{0}, peak_{0};
};

class Tensor {
public:
  Tensor() = default;

  /// Uninitialized storage for `dtype` and `shape`; charged to `meter` if given.
  static Tensor allocate(DType dtype, Shape shape, Storage storage,
                         std::shared_ptr<MemoryMeter> meter = nullptr);
  static Tensor zeros(DType dtype, Shape shape, Storage storage,
                      std::shared_ptr<MemoryMeter> meter = nullptr);
  /// Convenience constructors (tests, loaders). Sizes must match the shape.
  static Tensor fromFloats(DType dtype, Shape shape, const std::vector<float> &values);
  static Tensor fromDoubles(DType dtype, Shape shape, const std::vector<double> &values);
  static Tensor fromInts(Shape shape, const std::vector<int32_t> &values,
                         DType dtype = DType::I32);

  bool defined() const { return buffer_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape &shape() const { return shape_; }
  int64_t rank() const { return int64_t(shape_.size()); }
  int64_t numel() const { return numelOf(shape_); }
  Storage storage() const { return storage_; }
  size_t bytes() const { return size_t(numel()) * storageBytes(storage_); }

  /// Typed element access; T must match the storage (float, double, int32_t).
  template <class T> T *data() { return static_cast<T *>(ptr()); }
  template <class T> const T *data() const { return static_cast<const T *>(ptr()); }
  void *raw() { return ptr(); }
  const void *raw() const { return ptr(); }

  /// Element i read as double, whatever the storage (tests, reporting).
  double get(int64_t i) const;
  std::vector<double> toDoubles() const;

  /// The same buffer seen with another shape of equal element count.
  Tensor reshaped(Shape shape) const;
  /// The same buffer seen with another dtype of the same storage (cast to a
  /// dtype whose values are already representable).
  Tensor retyped(DType dtype) const;
  /// A copy converted to `storage` (float <-> double, or a plain copy).
  Tensor convertedTo(Storage storage, std::shared_ptr<MemoryMeter> meter = nullptr) const;
  bool sharesBufferWith(const Tensor &o) const { return buffer_ && buffer_ == o.buffer_; }

private:
  struct Buffer;
  void *ptr() const;

  DType dtype_ = DType::F32;
  Storage storage_ = Storage::F32;
  Shape shape_;
  std::shared_ptr<Buffer> buffer_;
};

/// Rounds to the nearest value of a narrow float dtype (round half to even,
/// subnormals kept, overflow to infinity). F32 rounds to float; F64 and the
/// integer dtypes return x unchanged.
double roundToDType(double x, DType dtype);

} // namespace golf::cpu

#endif // GOLF_RUNTIME_CPU_TENSOR_H

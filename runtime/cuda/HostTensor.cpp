//===- HostTensor.cpp - host tensors to and from device bytes -------------===//
#include "runtime/cuda/HostTensor.h"
#include "codegen/cuda/BufferPlan.h"
#include "runtime/support/NarrowFloat.h"

#include <cstring>

namespace golf::cuda {

std::vector<char> deviceBytes(const cpu::Tensor &t, plan::DType dtype) {
  int64_t n = t.numel();
  std::vector<char> out(size_t(n) * cudagen::elementBytes(dtype));
  if (!plan::isFloat(dtype)) {
    std::memcpy(out.data(), t.raw(), out.size());
    return out;
  }
  cpu::Tensor f = t.storage() == cpu::Storage::F32 ? t : t.convertedTo(cpu::Storage::F32);
  const float *p = f.data<float>();
  switch (dtype) {
  case plan::DType::F32:
    std::memcpy(out.data(), p, out.size());
    break;
  case plan::DType::BF16:
    for (int64_t i = 0; i < n; ++i) {
      uint16_t b = bf16Bits(p[i]);
      std::memcpy(out.data() + 2 * i, &b, 2);
    }
    break;
  case plan::DType::F16:
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h = halfBits(p[i]);
      std::memcpy(out.data() + 2 * i, &h, 2);
    }
    break;
  default:
    for (int64_t i = 0; i < n; ++i) {
      double d = p[i];
      std::memcpy(out.data() + 8 * i, &d, 8);
    }
  }
  return out;
}

cpu::Tensor hostTensor(const void *bytes, const plan::TensorType &type) {
  int64_t n = type.numel();
  if (!plan::isFloat(type.dtype)) {
    cpu::Tensor t = cpu::Tensor::allocate(type.dtype, type.shape, cpu::Storage::I32);
    std::memcpy(t.raw(), bytes, size_t(n) * 4);
    return t;
  }
  cpu::Tensor t = cpu::Tensor::allocate(type.dtype, type.shape, cpu::Storage::F32);
  float *p = t.data<float>();
  const char *b = static_cast<const char *>(bytes);
  for (int64_t i = 0; i < n; ++i) {
    switch (type.dtype) {
    case plan::DType::F32:
      std::memcpy(&p[i], b + 4 * i, 4);
      break;
    case plan::DType::BF16: {
      uint16_t h;
      std::memcpy(&h, b + 2 * i, 2);
      p[i] = bf16Value(h);
      break;
    }
    case plan::DType::F16: {
      uint16_t h;
      std::memcpy(&h, b + 2 * i, 2);
      p[i] = halfValue(h);
      break;
    }
    default: {
      double d;
      std::memcpy(&d, b + 8 * i, 8);
      p[i] = float(d);
    }
    }
  }
  return t;
}

} // namespace golf::cuda

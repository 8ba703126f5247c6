//===- Pack.cpp - the bytes of one stored tensor --------------------------===//
#include "runtime/export/Pack.h"

#include <cmath>
#include <cstring>

namespace golf::exporter {

int64_t StoredTensor::cols() const { return shape.empty() ? 1 : shape.back(); }
int64_t StoredTensor::rows() const {
  int64_t c = cols();
  return c == 0 ? 0 : numel() / c;
}
int64_t StoredTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string StoredTensor::format() const {
  if (!quantized)
    return f32 ? "f32" : "f16";
  return "int" + std::to_string(bits) + (nibble ? "/nibble" : "");
}

int64_t expectedBytes(const StoredTensor &t) {
  // Extents are bounded so that products cannot overflow: 2^40 elements is
  // far beyond any artifact.
  int64_t n = 1;
  for (int64_t d : t.shape) {
    if (d < 0 || d > (int64_t(1) << 40) || (d > 0 && n > (int64_t(1) << 40) / d))
      return -1;
    n *= d;
  }
  if (t.shape.size() > 8)
    return -1;
  if (!t.quantized)
    return n * (t.f32 ? 4 : 2);
  if (t.bits < 2 || t.bits > 8 || (t.nibble && t.bits > 4))
    return -1;
  int64_t values = t.nibble ? (n + 1) / 2 : n;
  return t.rows() * (t.f32 ? 4 : 2) + values;
}

namespace {

void appendScalar(std::string &out, float v, bool f32) {
  if (f32) {
    char b[4];
    std::memcpy(b, &v, 4);
    out.append(b, 4);
  } else {
    uint16_t h = halfBits(v);
    out.push_back(char(h & 0xff));
    out.push_back(char(h >> 8));
  }
}

float readScalar(const char *p, bool f32) {
  if (f32) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  return halfValue(uint16_t(uint8_t(p[0]) | uint16_t(uint8_t(p[1])) << 8));
}

} // namespace

StoredTensor packFloat(std::string name, plan::DType dtype, std::vector<int64_t> shape,
                       const std::vector<float> &values, bool f32) {
  StoredTensor t{std::move(name), dtype, std::move(shape), false, f32, 0, false, {}};
  t.data.reserve(values.size() * (f32 ? 4 : 2));
  for (float v : values)
    appendScalar(t.data, v, f32);
  return t;
}

StoredTensor packQuantized(std::string name, plan::DType dtype, std::vector<int64_t> shape,
                           const Quantized &q, bool nibble) {
  StoredTensor t{std::move(name), dtype, std::move(shape), true, q.scaleF32, q.bits, nibble, {}};
  for (float s : q.scales)
    appendScalar(t.data, s, q.scaleF32);
  if (!nibble) {
    t.data.append(reinterpret_cast<const char *>(q.q.data()), q.q.size());
    return t;
  }
  for (size_t i = 0; i < q.q.size(); i += 2) {
    uint8_t lo = uint8_t(q.q[i]) & 0xf, hi = i + 1 < q.q.size() ? uint8_t(q.q[i + 1]) & 0xf : 0;
    t.data.push_back(char(lo | hi << 4));
  }
  return t;
}

std::optional<Quantized> unpackQuantized(const StoredTensor &t, std::string &error) {
  int64_t expected = expectedBytes(t);
  if (!t.quantized || expected < 0 || int64_t(t.data.size()) != expected) {
    error = "tensor '" + t.name + "': " + t.format() + " data of " +
            std::to_string(t.data.size()) + " bytes does not match its shape";
    return std::nullopt;
  }
  Quantized q{t.rows(), t.cols(), t.bits, t.f32, std::vector<float>(size_t(t.rows())), {}};
  size_t width = t.f32 ? 4 : 2;
  for (size_t r = 0; r < q.scales.size(); ++r) {
    q.scales[r] = readScalar(t.data.data() + r * width, t.f32);
    if (!std::isfinite(q.scales[r])) {
      error = "tensor '" + t.name + "': scale of row " + std::to_string(r) + " is not finite";
      return std::nullopt;
    }
  }
  const auto *v = reinterpret_cast<const uint8_t *>(t.data.data() + q.scales.size() * width);
  size_t n = size_t(t.numel());
  q.q.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (t.nibble) {
      int nib = (v[i / 2] >> (i % 2 ? 4 : 0)) & 0xf;
      q.q[i] = int8_t(nib >= 8 ? nib - 16 : nib);
    } else {
      q.q[i] = int8_t(v[i]);
    }
    if (std::abs(int(q.q[i])) > quantMax(t.bits)) {
      error = "tensor '" + t.name + "': value " + std::to_string(q.q[i]) + " is outside int" +
              std::to_string(t.bits);
      return std::nullopt;
    }
  }
  return q;
}

std::optional<std::vector<float>> unpackValues(const StoredTensor &t, std::string &error) {
  if (t.quantized) {
    auto q = unpackQuantized(t, error);
    if (!q)
      return std::nullopt;
    return dequantize(*q).values;
  }
  int64_t expected = expectedBytes(t);
  if (expected < 0 || int64_t(t.data.size()) != expected) {
    error = "tensor '" + t.name + "': " + t.format() + " data of " +
            std::to_string(t.data.size()) + " bytes does not match its shape";
    return std::nullopt;
  }
  std::vector<float> out(size_t(t.numel()));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = readScalar(t.data.data() + i * (t.f32 ? 4 : 2), t.f32);
  return out;
}

} // namespace golf::exporter

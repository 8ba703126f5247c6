//===- Pointwise.cpp - a fused expression, elementwise over its result -----===//
//
// One thread per element, or per 4 adjacent elements of the last axis when
// it is a multiple of 4: then the lanes share the index math, load operands
// that run along the same axis 4 at a time, and store 4 at a time (16 bytes
// of f32, 8 of bf16) - fewer instructions per byte on kernels that only
// move memory. Several values of one shape may share a kernel (side by side):
// each is computed at the same index, loads shared, and stored.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Lowering.h"

#include <stdexcept>

namespace golf::cudagen {

Step emitPointwise(const Lowering &l, const std::vector<int> &values) {
  KernelBuilder b = l.builder();
  const plan::TensorType &t = l.type(values[0]);
  for (int v : values)
    if (l.type(v).shape != t.shape)
      throw std::logic_error("a pointwise kernel's values differ in shape");
  int64_t n = t.numel();
  constexpr int64_t kThreads = 256, kLanes = 4;
  bool vector = !t.shape.empty() && t.shape.back() % kLanes == 0;
  for (int v : values)
    vector = vector && l.type(v).dtype != plan::DType::F64;
  const int64_t threads = vector ? n / kLanes : n;
  std::string type = indexType(n);
  b.line("const " + type + " e = (" + type + ")blockIdx.x * " + std::to_string(kThreads) + " + threadIdx.x;");
  b.line("if (e >= " + std::to_string(threads) + (threads > kMaxInt ? "LL" : "") + ") return;");
  // Values side by side share the index math and every load (KernelBuilder
  // memo): one pass over what they both read.
  if (vector) {
    std::vector<int64_t> quads(t.shape);
    quads.back() /= kLanes;
    Index first = b.unravel("e", quads);
    std::string c = b.fresh("c");
    b.line("const int " + c + " = " + (t.shape.back() == kLanes ? "0" : first.back() + " * 4") + ";");
    first.back() = c;
    std::vector<std::vector<std::string>> lanes(values.size());
    for (int u = 0; u < kLanes; ++u) {
      Index idx(first);
      idx.back() = KernelBuilder::laneIndex(c, u);
      b.setLane(c, u);
      for (size_t i = 0; i < values.size(); ++i)
        lanes[i].push_back(b.compute(values[i], idx));
    }
    for (size_t i = 0; i < values.size(); ++i)
      b.storeLanes(values[i], first, lanes[i]);
  } else {
    Index idx = b.unravel("e", t.shape);
    for (int v : values)
      b.store(v, idx, b.compute(v, idx));
  }
  const plan::Function &f = l.function();
  std::string label = "fused into ";
  for (size_t i = 0; i < values.size(); ++i) {
    int p = l.fusion().producer[size_t(values[i])];
    label += (i ? ", " : "") + (p >= 0 ? opLabel(f, f.ops[size_t(p)]) : "value %" + std::to_string(values[i]));
  }
  return b.finish("pw", label, {uint32_t((threads + kThreads - 1) / kThreads), 1, 1}, {uint32_t(kThreads), 1, 1});
}

} // namespace golf::cudagen

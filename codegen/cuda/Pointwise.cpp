//===- Pointwise.cpp - a fused expression, elementwise over its result -----===//
//
// One thread per element, or per 4 adjacent elements of the last axis when
// it is a multiple of 4: then the lanes share the index math, load operands
// that run along the same axis 4 at a time, and store 4 at a time (16 bytes
// of f32, 8 of bf16) - fewer instructions per byte on kernels that only
// move memory.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Lowering.h"

namespace golf::cudagen {

Step emitPointwise(const Lowering &l, int value) {
  KernelBuilder b = l.builder();
  const plan::TensorType &t = l.type(value);
  int64_t n = t.numel();
  constexpr int64_t kThreads = 256, kLanes = 4;
  const bool vector = !t.shape.empty() && t.shape.back() % kLanes == 0 && t.dtype != plan::DType::F64;
  const int64_t threads = vector ? n / kLanes : n;
  std::string type = indexType(n);
  b.line("const " + type + " e = (" + type + ")blockIdx.x * " + std::to_string(kThreads) + " + threadIdx.x;");
  b.line("if (e >= " + std::to_string(threads) + (threads > kMaxInt ? "LL" : "") + ") return;");
  if (vector) {
    std::vector<int64_t> quads(t.shape);
    quads.back() /= kLanes;
    Index first = b.unravel("e", quads);
    std::string c = b.fresh("c");
    b.line("const int " + c + " = " + (t.shape.back() == kLanes ? "0" : first.back() + " * 4") + ";");
    first.back() = c;
    std::vector<std::string> lanes;
    for (int u = 0; u < kLanes; ++u) {
      Index idx(first);
      idx.back() = KernelBuilder::laneIndex(c, u);
      b.setLane(c, u);
      lanes.push_back(b.compute(value, idx));
    }
    b.storeLanes(value, first, lanes);
  } else {
    Index idx = b.unravel("e", t.shape);
    b.store(value, idx, b.compute(value, idx));
  }
  int p = l.fusion().producer[size_t(value)];
  const plan::Function &f = l.function();
  std::string label = p >= 0 ? opLabel(f, f.ops[size_t(p)]) : "value %" + std::to_string(value);
  return b.finish("pw", "fused into " + label, {uint32_t((threads + kThreads - 1) / kThreads), 1, 1},
                  {uint32_t(kThreads), 1, 1});
}

} // namespace golf::cudagen

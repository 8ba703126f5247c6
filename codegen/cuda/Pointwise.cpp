//===- Pointwise.cpp - one thread per element of a fused expression -------===//
#include "codegen/cuda/Lowering.h"

namespace golf::cudagen {

Step emitPointwise(const Lowering &l, int value) {
  KernelBuilder b = l.builder();
  const plan::TensorType &t = l.type(value);
  int64_t n = t.numel();
  constexpr int64_t kThreads = 256;
  b.line("const long long e = (long long)blockIdx.x * " + std::to_string(kThreads) + " + threadIdx.x;");
  b.line("if (e >= " + std::to_string(n) + "LL) return;");
  Index idx = b.unravel("e", t.shape);
  b.store(value, idx, b.compute(value, idx));
  int p = l.fusion().producer[size_t(value)];
  const plan::Function &f = l.function();
  std::string label = p >= 0 ? opLabel(f, f.ops[size_t(p)]) : "value %" + std::to_string(value);
  return b.finish("pw", "fused into " + label, {uint32_t((n + kThreads - 1) / kThreads), 1, 1},
                  {uint32_t(kThreads), 1, 1});
}

} // namespace golf::cudagen

//===- Embedding.cpp - embedding_grad: rows of the table gather their ids --===//
//
// Deterministic scatter-add without atomics: a block owns one table row and
// walks every position in order, adding dy's row where the id matches (the
// CPU executor's order, so sums agree to rounding). Each thread keeps the
// columns it owns in registers.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Lowering.h"

namespace golf::cudagen {

std::vector<Step> emitEmbeddingGrad(Lowering &l, const plan::Op &op) {
  int ids = op.operands[0], dy = op.operands[1], out = op.results[0];
  int64_t rows = l.type(out).shape[0], width = l.type(out).shape[1];
  int64_t positions = l.type(ids).numel();
  constexpr int kThreads = 256;
  int64_t perThread = (width + kThreads - 1) / kThreads;
  std::string w = std::to_string(width), k = std::to_string(perThread);
  KernelBuilder b = l.builder();
  b.line("const int r = blockIdx.x;");
  b.line("float acc[" + k + "];");
  b.line("#pragma unroll");
  b.line("for (int j = 0; j < " + k + "; ++j) acc[j] = 0.0f;");
  b.open("for (long long p = 0; p < " + std::to_string(positions) + "LL; ++p)");
  Index pos = b.unravel("p", l.type(ids).shape);
  b.line("if (" + b.value(ids, pos) + " != r) continue;");
  b.line("#pragma unroll");
  b.open("for (int j = 0; j < " + k + "; ++j)");
  b.line("const int c = threadIdx.x + j * " + std::to_string(kThreads) + ";");
  Index at(pos);
  at.push_back("c");
  b.open("if (c < " + w + ")");
  b.line("acc[j] += " + b.value(dy, at) + ";");
  b.close();
  b.close();
  b.close();
  b.line("#pragma unroll");
  b.open("for (int j = 0; j < " + k + "; ++j)");
  b.line("const int c = threadIdx.x + j * " + std::to_string(kThreads) + ";");
  b.open("if (c < " + w + ")");
  b.store(out, {"r", "c"}, "acc[j]");
  b.close();
  b.close();
  return {b.finish("embed_grad", opLabel(l.function(), op), {uint32_t(rows), 1, 1}, {kThreads, 1, 1})};
}

} // namespace golf::cudagen

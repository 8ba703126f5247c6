//===- GraphTest.cpp - GEMMs and kernels captured into CUDA graphs --------===//
#include "GemmCase.h"
#include "GpuTest.h"

#include "runtime/cuda/Error.h"
#include "runtime/cuda/Graph.h"
#include "runtime/cuda/Module.h"
#include "runtime/cuda/Stream.h"

#include <random>

namespace golf::cuda::test {
namespace {

GemmShape shape() {
  GemmShape s;
  s.m = 96;
  s.n = 80;
  s.k = 72;
  s.transB = true;
  return s;
}

TEST(GraphTest, CapturedGemmReplaysOnNewInputs) {
  GOLF_REQUIRE_GPU();
  Gemm gemm;
  Stream stream;
  GemmCase c(shape(), 71);
  c.run(gemm, stream.get()); // tunes: allocation and sync happen here, not in the capture
  Graph graph = Graph::capture(stream.get(), [&] { c.run(gemm, stream.get()); });
  EXPECT_GE(graph.nodes(), 1u);

  // Each replay reads the buffers' current contents.
  std::mt19937 rng(72);
  for (int replay = 0; replay < 2; ++replay) {
    c.A.randomize(rng);
    c.C.device.fill(0xff);
    graph.launch(stream.get());
    stream.synchronize();
    EXPECT_LT(c.relativeError(), tolerance(c.s)) << "replay " << replay;
  }
}

TEST(GraphTest, FirstRunInsideACaptureIsRefusedCleanly) {
  GOLF_REQUIRE_GPU();
  Gemm gemm;
  Stream stream;
  GemmCase c(shape(), 73);
  try {
    Graph::capture(stream.get(), [&] { c.run(gemm, stream.get()); });
    ADD_FAILURE() << "an untuned shape was captured";
  } catch (const CudaError &e) {
    EXPECT_NE(std::string(e.what()).find("first run inside a graph capture"), std::string::npos)
        << e.what();
  }
  // The capture was ended: the stream works normally.
  c.run(gemm, stream.get());
  stream.synchronize();
  EXPECT_LT(c.relativeError(), tolerance(c.s));
}

TEST(GraphTest, KernelAndGemmInOneGraph) {
  GOLF_REQUIRE_GPU();
  // C = A @ B^T, then C *= 2 by a generated kernel, both in one graph.
  std::vector<KernelSource> sources = {{"twice", R"(#include <cuda_bf16.h>
extern "C" __global__ void twice(__nv_bfloat16 *y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __float2bfloat16_rn(2.0f * __bfloat162float(y[i]));
})"}};
  NvrtcOptions o;
  o.arch = gpu()->arch();
  KernelLibrary lib = KernelLibrary::load(sources, compileCubins(sources, o));
  Gemm gemm;
  Stream stream;
  GemmCase c(shape(), 74);
  c.run(gemm, stream.get());
  void *y = c.C.device.data();
  int n = static_cast<int>(c.s.m * c.s.n);
  void *args[] = {&y, &n};
  Graph graph = Graph::capture(stream.get(), [&] {
    c.run(gemm, stream.get());
    lib.launch(lib.get("twice"), dim3((n + 255) / 256), dim3(256), 0, stream.get(), args);
  });
  EXPECT_GE(graph.nodes(), 2u);
  c.C.device.fill(0xff);
  graph.launch(stream.get());
  stream.synchronize();
  c.s.alpha = 2.0f; // what the reference should now compute (exact: doubling)
  EXPECT_LT(c.relativeError(), tolerance(c.s));
}

} // namespace
} // namespace golf::cuda::test

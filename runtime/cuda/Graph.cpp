//===- Graph.cpp - capturing a stream into a replayable CUDA graph --------===//
#include "runtime/cuda/Graph.h"

#include "runtime/cuda/Error.h"

namespace golf::cuda {

Graph Graph::capture(cudaStream_t stream, const std::function<void()> &body) {
  check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
  Graph g;
  try {
    body();
  } catch (...) {
    // Leave the stream usable: end the capture and drop the partial graph.
    cudaGraph_t partial = nullptr;
    if (cudaStreamEndCapture(stream, &partial) == cudaSuccess && partial)
      cudaGraphDestroy(partial);
    throw;
  }
  cudaGraph_t graph = nullptr;
  // Fails with cudaErrorStreamCaptureInvalidated if body made a call that
  // cannot be captured (an allocation or synchronization).
  check(cudaStreamEndCapture(stream, &graph), "graph capture: cudaStreamEndCapture");
  g.graph_.reset(graph);
  cudaGraphExec_t exec = nullptr;
  check(cudaGraphInstantiate(&exec, graph, 0), "cudaGraphInstantiate");
  g.exec_.reset(exec);
  return g;
}

void Graph::launch(cudaStream_t stream) const {
  check(cudaGraphLaunch(exec_.get(), stream), "cudaGraphLaunch");
}

size_t Graph::nodes() const {
  size_t n = 0;
  check(cudaGraphGetNodes(graph_.get(), nullptr, &n), "cudaGraphGetNodes");
  return n;
}

} // namespace golf::cuda

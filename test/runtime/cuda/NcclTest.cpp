//===- NcclTest.cpp - the NCCL wrapper as the only rank -------------------===//
//
// One GPU is all the test machine has: a communicator of one rank runs
// every call the trainer makes (all-reduce of fp32 and fp64, the in-place
// all-gather), eagerly and captured into a graph, and must leave the data
// as it was. Several ranks run in bench/multi_gpu.
//
//===----------------------------------------------------------------------===//
#include "GpuTest.h"

#include "runtime/cuda/Error.h"
#include "runtime/cuda/Graph.h"
#include "runtime/cuda/Memory.h"
#include "runtime/cuda/Nccl.h"
#include "runtime/cuda/Stream.h"

#include <vector>

namespace golf::cuda::test {
namespace {

TEST(Nccl, OneRankCollectivesKeepTheData) {
  GOLF_REQUIRE_GPU();
  NcclComm comm(NcclComm::newId(), 0, 1);
  EXPECT_EQ(comm.size(), 1);
  Stream stream;
  std::vector<float> f = {1.5f, -2.0f, 3.25f, 0.0f};
  std::vector<double> d = {0.1, 1e300};
  DeviceBuffer df(f.size() * 4), dd(d.size() * 8);
  copyToDevice(df.data(), f.data(), df.bytes());
  copyToDevice(dd.data(), d.data(), dd.bytes());
  auto enqueue = [&] {
    comm.allReduceSum(df.data(), f.size(), NcclType::F32, stream.get());
    comm.allReduceSum(dd.data(), d.size(), NcclType::F64, stream.get());
    comm.allGather(df.data(), df.bytes(), stream.get());
  };
  enqueue();
  stream.synchronize();
  Graph graph = Graph::capture(stream.get(), enqueue);
  graph.launch(stream.get());
  graph.launch(stream.get());
  stream.synchronize();
  std::vector<float> gotF(f.size());
  std::vector<double> gotD(d.size());
  copyToHost(gotF.data(), df.data(), df.bytes());
  copyToHost(gotD.data(), dd.data(), dd.bytes());
  EXPECT_EQ(gotF, f);
  EXPECT_EQ(gotD, d);
}

TEST(Nccl, VersionIsKnown) {
  GOLF_REQUIRE_GPU();
  EXPECT_EQ(NcclComm::version().rfind("2.", 0), 0u) << NcclComm::version();
}

} // namespace
} // namespace golf::cuda::test

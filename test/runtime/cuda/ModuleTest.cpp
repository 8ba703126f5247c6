//===- ModuleTest.cpp - NVRTC kernels loaded and run; device memory -------===//
#include "GpuTest.h"

#include "runtime/cuda/Error.h"
#include "runtime/cuda/Memory.h"
#include "runtime/cuda/Module.h"
#include "runtime/cuda/Stream.h"

#include <cuda_bf16.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace golf::cuda::test {
namespace {

const KernelSource kAxpb{"axpb", R"(#include <cuda_bf16.h>
extern "C" __global__ void axpb(const __nv_bfloat16 *x, __nv_bfloat16 *y, float a, float b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __float2bfloat16_rn(__fmaf_rn(a, __bfloat162float(x[i]), b));
})"};

// Reverses x through dynamic shared memory: needs more than the default 48 KiB
// limit when n floats do not fit in it.
const KernelSource kReverse{"reverse_smem", R"(
extern "C" __global__ void reverse_smem(const float *x, float *y, int n) {
  extern __shared__ float buf[];
  for (int i = threadIdx.x; i < n; i += blockDim.x) buf[i] = x[i];
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x) y[i] = buf[n - 1 - i];
})"};

NvrtcOptions forThisGpu() {
  NvrtcOptions o;
  o.arch = gpu()->arch();
  return o;
}

TEST(KernelLibraryTest, GeneratedBf16KernelRunsCorrectly) {
  GOLF_REQUIRE_GPU();
  const int n = 1000; // not a multiple of the block size
  std::vector<__nv_bfloat16> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = __float2bfloat16_rn(0.37f * static_cast<float>(i % 97) - 11.0f);
  std::vector<KernelSource> sources = {kAxpb};
  KernelLibrary lib = KernelLibrary::load(sources, compileCubins(sources, forThisGpu()));

  Stream stream;
  DeviceBuffer dx(n * 2), dy(n * 2);
  dy.fill(0xff); // NaN in bf16: a skipped element cannot pass
  copyToDevice(dx.data(), x.data(), n * 2);
  void *px = dx.data(), *py = dy.data();
  float a = 1.5f, b = -0.25f;
  int count = n;
  void *args[] = {&px, &py, &a, &b, &count};
  lib.launch(lib.get("axpb"), dim3((n + 127) / 128), dim3(128), 0, stream.get(), args);
  std::vector<__nv_bfloat16> y(n);
  copyToHost(y.data(), dy.data(), n * 2, stream.get());
  stream.synchronize();
  for (int i = 0; i < n; ++i) {
    float want = __bfloat162float(__float2bfloat16_rn(std::fmaf(a, __bfloat162float(x[i]), b)));
    ASSERT_EQ(__bfloat162float(y[i]), want) << "element " << i; // NaN never equals
  }
}

TEST(KernelLibraryTest, LaunchRaisesTheSharedMemoryLimit) {
  GOLF_REQUIRE_GPU();
  const int n = 24 * 1024; // 96 KiB of floats
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = static_cast<float>(i) * 0.5f + 1.0f;
  std::vector<KernelSource> sources = {kReverse};
  KernelLibrary lib = KernelLibrary::load(sources, compileCubins(sources, forThisGpu()));
  DeviceBuffer dx(n * 4), dy(n * 4);
  dy.fill(0xff);
  copyToDevice(dx.data(), x.data(), n * 4);
  void *px = dx.data(), *py = dy.data();
  int count = n;
  void *args[] = {&px, &py, &count};
  lib.launch(lib.get("reverse_smem"), dim3(1), dim3(256), n * 4, nullptr, args);
  std::vector<float> y(n);
  copyToHost(y.data(), dy.data(), n * 4);
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(y[i], x[n - 1 - i]) << "element " << i;
}

TEST(KernelLibraryTest, ErrorsNameTheKernel) {
  GOLF_REQUIRE_GPU();
  std::vector<KernelSource> sources = {kAxpb};
  KernelLibrary lib = KernelLibrary::load(sources, compileCubins(sources, forThisGpu()));
  try {
    lib.get("nope");
    ADD_FAILURE() << "unknown kernel accepted";
  } catch (const CudaError &e) {
    EXPECT_STREQ(e.what(), "KernelLibrary: no kernel named 'nope'");
  }
  // 2048 threads per block is over every GPU's limit.
  int n = 0;
  void *p = nullptr;
  float f = 0;
  void *args[] = {&p, &p, &f, &f, &n};
  try {
    lib.launch(lib.get("axpb"), dim3(1), dim3(2048), 0, nullptr, args);
    ADD_FAILURE() << "oversized block accepted";
  } catch (const CudaError &e) {
    EXPECT_EQ(std::string(e.what()).rfind("cudaLaunchKernel('axpb'): ", 0), 0u) << e.what();
  }
  EXPECT_THROW(KernelLibrary::load(sources, {"not a cubin"}), CudaError);
}

TEST(MemoryTest, BuffersMoveAndCopiesRoundTrip) {
  GOLF_REQUIRE_GPU();
  const size_t bytes = 1 << 20;
  PinnedBuffer host(bytes), back(bytes);
  for (size_t i = 0; i < bytes; ++i)
    host.as<unsigned char>()[i] = static_cast<unsigned char>(i * 7 + 3);
  DeviceBuffer a(bytes);
  DeviceBuffer b = std::move(a);
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(a.bytes(), 0u);
  EXPECT_EQ(b.bytes(), bytes);
  Stream s;
  copyToDevice(b.data(), host.data(), bytes, s.get());
  copyToHost(back.data(), b.data(), bytes, s.get());
  s.synchronize();
  EXPECT_EQ(std::memcmp(host.data(), back.data(), bytes), 0);
  b.fill(0x5a, s.get());
  copyToHost(back.data(), b.data(), bytes, s.get());
  s.synchronize();
  EXPECT_EQ(back.as<unsigned char>()[bytes - 1], 0x5a);
  EXPECT_EQ(DeviceBuffer(0).data(), nullptr);
}

} // namespace
} // namespace golf::cuda::test

//===- NvrtcTest.cpp - NVRTC compiles and the CUBIN cache -----------------===//
//
// NVRTC needs no GPU, so all of this runs on the CPU-only machines too.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/KernelCache.h"
#include "runtime/cuda/Nvrtc.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

namespace golf::cuda::test {
namespace {

namespace fs = std::filesystem;

// y = bf16(a * x + b), via cuda_bf16.h (NVRTC 13 only finds it through the
// include path compileCubins adds).
KernelSource bf16Kernel(const std::string &name, float b = 1.0f) {
  return {name, R"(#include <cuda_bf16.h>
extern "C" __global__ void )" + name +
                    R"((const __nv_bfloat16 *x, __nv_bfloat16 *y, float a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __float2bfloat16(a * __bfloat162float(x[i]) + )" + std::to_string(b) +
                    "f);\n}\n"};
}

bool isElf(const std::string &cubin) { return cubin.size() > 64 && cubin.compare(0, 4, "\x7f" "ELF") == 0; }

// A fresh directory under the system temp dir, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "golf-nvrtc-XXXXXX").string();
    path = mkdtemp(templ.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    for (const auto &e : fs::directory_iterator(path))
      out.push_back(e.path());
    return out;
  }
};

std::string compileError(const std::vector<KernelSource> &sources, const NvrtcOptions &o) {
  try {
    compileCubins(sources, o);
  } catch (const CompileError &e) {
    return e.what();
  }
  return "(no CompileError)";
}

TEST(Nvrtc, VersionAndIncludeDirs) {
  EXPECT_TRUE(std::regex_match(nvrtcVersion(), std::regex("[0-9]+\\.[0-9]+"))) << nvrtcVersion();
  const std::vector<std::string> &dirs = cudaIncludeDirs();
  ASSERT_EQ(dirs.size(), 2u) << "expected the CUDA include dir and its cccl/";
  EXPECT_TRUE(fs::exists(dirs[0] + "/cuda_bf16.h"));
  EXPECT_EQ(dirs[1], dirs[0] + "/cccl");
}

TEST(Nvrtc, Bf16KernelCompilesForSm90AndSm90a) {
  for (const char *arch : {"sm_90", "sm_90a"}) {
    NvrtcOptions o;
    o.arch = arch;
    NvrtcStats stats;
    std::vector<std::string> cubins = compileCubins({bf16Kernel("axpb")}, o, &stats);
    ASSERT_EQ(cubins.size(), 1u);
    EXPECT_TRUE(isElf(cubins[0])) << arch;
    EXPECT_EQ(stats.compiled, 1);
    EXPECT_EQ(stats.cached, 0);
    EXPECT_GT(stats.seconds, 0);
  }
}

TEST(Nvrtc, Sm90aEnablesTheArchSpecificFeatures) {
  // wgmma and TMA code is guarded by this macro; only sm_90a defines it.
  KernelSource k{"needs_sm90a", R"(#ifndef __CUDA_ARCH_FEAT_SM90_ALL
#error "sm_90a features are off"
#endif
extern "C" __global__ void needs_sm90a(float *y) { asm volatile("wgmma.fence.sync.aligned;"); y[0] = 1.0f; })"};
  NvrtcOptions o;
  o.arch = "sm_90a";
  EXPECT_TRUE(isElf(compileCubins({k}, o)[0]));
  o.arch = "sm_90";
  EXPECT_NE(compileError({k}, o).find("sm_90a features are off"), std::string::npos);
}

TEST(Nvrtc, SyntaxErrorNamesTheKernelAndShowsTheLog) {
  KernelSource bad{"broken_kernel", "extern \"C\" __global__ void broken_kernel(float *y) {\n"
                                    "  y[0] = undeclared_name;\n}\n"};
  std::string msg = compileError({bf16Kernel("fine"), bad}, NvrtcOptions{});
  EXPECT_EQ(msg.rfind("kernel 'broken_kernel' (sm_90): NVRTC_ERROR_COMPILATION\n", 0), 0u) << msg;
  EXPECT_NE(msg.find("broken_kernel.cu(2): error: identifier \"undeclared_name\" is undefined"),
            std::string::npos)
      << msg;
}

TEST(Nvrtc, MissingEntryPointAndVirtualArchAreCompileErrors) {
  // Without extern "C" the symbol is mangled and cudaLibraryGetKernel would not find it.
  KernelSource mangled{"scale", "__global__ void scale(float *y) { y[0] *= 2.0f; }\n"};
  EXPECT_NE(compileError({mangled}, NvrtcOptions{}).find("no entry point 'scale'"), std::string::npos);
  NvrtcOptions o;
  o.arch = "compute_90";
  EXPECT_NE(compileError({bf16Kernel("k")}, o).find("not a real GPU architecture"), std::string::npos);
}

TEST(Nvrtc, FlagsReachTheCompiler) {
  KernelSource k{"flagged", "#if FOO != 3\n#error FOO\n#endif\n"
                            "extern \"C\" __global__ void flagged(float *y) { y[0] = FOO; }\n"};
  NvrtcOptions o;
  o.flags = {"-DFOO=3"};
  EXPECT_TRUE(isElf(compileCubins({k}, o)[0]));
  o.flags = {"-DFOO=4"};
  EXPECT_NE(compileError({k}, o).find("#error directive: FOO"), std::string::npos);
}

TEST(Nvrtc, IdenticalSourcesCompileOnce) {
  NvrtcStats stats;
  std::vector<std::string> c =
      compileCubins({bf16Kernel("k1"), bf16Kernel("k2"), bf16Kernel("k1")}, NvrtcOptions{}, &stats);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(stats.compiled, 2);
  EXPECT_EQ(c[0], c[2]);
  EXPECT_NE(c[0], c[1]);
}

TEST(Nvrtc, ParallelGivesTheSameBytesAsSerial) {
  std::vector<KernelSource> sources;
  for (int i = 0; i < 8; ++i)
    sources.push_back(bf16Kernel("k" + std::to_string(i), static_cast<float>(i)));
  NvrtcOptions serial, parallel;
  serial.threads = 1;
  parallel.threads = 4;
  NvrtcStats stats;
  std::vector<std::string> a = compileCubins(sources, serial);
  std::vector<std::string> b = compileCubins(sources, parallel, &stats);
  EXPECT_EQ(stats.compiled, 8);
  EXPECT_EQ(a, b);
}

TEST(Nvrtc, SpillsAreNamed) {
  // 64 live floats under a 32-register cap (1024 threads, 2 blocks per SM).
  KernelSource spilling{"spilling", R"(
extern "C" __global__ void __launch_bounds__(1024, 2) spilling(const float *in, float *out) {
  float v[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) v[i] = in[threadIdx.x * 64 + i];
  float s = 0.0f;
#pragma unroll
  for (int i = 0; i < 64; ++i) s += v[i] * v[63 - i] * v[(i * 7) & 63];
#pragma unroll
  for (int i = 0; i < 64; ++i) out[threadIdx.x * 64 + i] = v[i] * s;
}
)"};
  NvrtcStats stats;
  compileCubins({bf16Kernel("clean"), spilling}, NvrtcOptions{}, &stats);
  ASSERT_EQ(stats.spills.size(), 1u);
  EXPECT_TRUE(std::regex_match(stats.spills[0], std::regex("spilling: [1-9][0-9]* bytes spill stores")))
      << stats.spills[0];
}

TEST(KernelCacheTest, SecondCompileHitsTheCache) {
  TempDir dir;
  NvrtcOptions o;
  o.cacheDir = (dir.path / "nested" / "kernels").string(); // created on first store
  NvrtcStats first, second;
  std::vector<std::string> a = compileCubins({bf16Kernel("k")}, o, &first);
  std::vector<std::string> b = compileCubins({bf16Kernel("k")}, o, &second);
  EXPECT_EQ(first.compiled, 1);
  EXPECT_EQ(first.cached, 0);
  EXPECT_EQ(second.compiled, 0);
  EXPECT_EQ(second.cached, 1);
  EXPECT_EQ(a, b);
  // The entry point is checked on cached CUBINs too.
  EXPECT_THROW(compileCubins({{"other_name", bf16Kernel("k").source}}, o), CompileError);
}

TEST(KernelCacheTest, DamagedEntriesAreRecompiled) {
  TempDir dir;
  NvrtcOptions o;
  o.cacheDir = dir.path.string();
  const std::vector<std::string> good = compileCubins({bf16Kernel("k")}, o);
  ASSERT_EQ(dir.files().size(), 1u);
  const fs::path file = dir.files()[0];
  const auto size = fs::file_size(file);

  auto damage = [&](auto edit) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    edit(f);
  };
  auto recompiles = [&] {
    NvrtcStats stats;
    std::vector<std::string> again = compileCubins({bf16Kernel("k")}, o, &stats);
    return stats.compiled == 1 && stats.cached == 0 && again == good;
  };

  damage([&](std::fstream &f) { // one flipped byte deep in the CUBIN
    f.seekg(static_cast<std::streamoff>(size - 100));
    char c = static_cast<char>(f.get());
    f.seekp(static_cast<std::streamoff>(size - 100));
    f.put(static_cast<char>(c ^ 0x20));
  });
  EXPECT_TRUE(recompiles()) << "flipped byte";
  fs::resize_file(file, size / 2);
  EXPECT_TRUE(recompiles()) << "truncated";
  fs::resize_file(file, 0);
  EXPECT_TRUE(recompiles()) << "empty";
  // An entry under the wrong key's name is refused too.
  KernelCache cache(o.cacheDir);
  std::string other = KernelCache::key("other source", nvrtcVersion(), {});
  fs::copy_file(file, cache.path(other));
  EXPECT_FALSE(cache.load(other));
  EXPECT_EQ(fs::file_size(file), size); // the rewritten entry is whole again
}

TEST(KernelCacheTest, KeyCoversSourceVersionAndEveryOption) {
  const std::vector<std::string> base = {"--gpu-architecture=sm_90", "-std=c++17"};
  const std::string k = KernelCache::key("src", "13.0", base);
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k, KernelCache::key("src", "13.0", base));
  EXPECT_NE(k, KernelCache::key("src2", "13.0", base));
  EXPECT_NE(k, KernelCache::key("src", "13.1", base));
  EXPECT_NE(k, KernelCache::key("src", "13.0", {"--gpu-architecture=sm_90a", "-std=c++17"}));
  EXPECT_NE(k, KernelCache::key("src", "13.0", {"--gpu-architecture=sm_90", "-std=c++17", "-DX"}));
  // Field boundaries count: moving text between options changes the key.
  EXPECT_NE(KernelCache::key("s", "1", {"ab", "c"}), KernelCache::key("s", "1", {"a", "bc"}));

  // Through compileCubins: another arch or flag is another entry.
  TempDir dir;
  NvrtcOptions o;
  o.cacheDir = dir.path.string();
  compileCubins({bf16Kernel("k")}, o);
  o.arch = "sm_90a";
  compileCubins({bf16Kernel("k")}, o);
  o.flags = {"-DUNUSED=1"};
  NvrtcStats stats;
  compileCubins({bf16Kernel("k")}, o, &stats);
  EXPECT_EQ(stats.compiled, 1);
  EXPECT_EQ(dir.files().size(), 3u);
}

// Sets an environment variable for one scope, restoring the old value.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(const char *n, const char *value) : name(n) {
    if (const char *v = std::getenv(n))
      old = v;
    value ? setenv(n, value, 1) : unsetenv(n);
  }
  ~ScopedEnv() { old ? setenv(name.c_str(), old->c_str(), 1) : unsetenv(name.c_str()); }
};

TEST(KernelCacheTest, DefaultCacheDirFollowsTheEnvironment) {
  ScopedEnv golf("GOLF_CACHE_DIR", nullptr), xdg("XDG_CACHE_HOME", nullptr), home("HOME", "/h");
  EXPECT_EQ(defaultCacheDir(), "/h/.cache/golfc/kernels");
  {
    ScopedEnv x("XDG_CACHE_HOME", "/x");
    EXPECT_EQ(defaultCacheDir(), "/x/golfc/kernels");
    ScopedEnv g("GOLF_CACHE_DIR", "/g");
    EXPECT_EQ(defaultCacheDir(), "/g");
  }
  ScopedEnv noHome("HOME", nullptr);
  EXPECT_EQ(defaultCacheDir(), "");
}

} // namespace
} // namespace golf::cuda::test

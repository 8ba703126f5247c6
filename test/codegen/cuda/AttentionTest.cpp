//===- AttentionTest.cpp - attention CUDA programs, compiled by NVRTC -----===//
//
// Every supported configuration class (causal or not, GQA 1/2/4, sequence
// lengths that are and are not tile multiples, fp32 and bf16) emits a
// program whose launches are well formed and whose kernels NVRTC compiles
// for sm_90 without register spills. Unsupported shapes give one-line
// errors. No GPU is needed; the kernels are run by bench/attention.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Attention.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifdef GOLF_HAVE_NVRTC
#include <nvrtc.h>
#endif

namespace golf::cudagen {
namespace {

using plan::DType;

AttentionShape shape(int64_t t, int64_t group, bool causal, DType dtype, int64_t b = 2,
                     int64_t h = 8) {
  return {b, h, h / group, t, t, 64, 64, causal, 0.125, dtype, dtype, dtype, dtype};
}

/// Launches name existing kernels, args existing scratch, and fit sm_90.
void expectWellFormed(const OpProgram &p, int operands, int results) {
  ASSERT_EQ(p.scratchBytes.size(), p.scratchZeroed.size());
  std::set<std::string> names;
  for (const Kernel &k : p.kernels) {
    EXPECT_TRUE(names.insert(k.name).second) << "duplicate kernel " << k.name;
    EXPECT_NE(k.source.find("extern \"C\" __global__"), std::string::npos);
    EXPECT_NE(k.source.find("#define GOLF_KERNEL_NAME " + k.name + "\n"), std::string::npos);
    EXPECT_EQ(k.source.find("#include <"), std::string::npos) << k.name << " needs no headers";
  }
  std::vector<bool> resultWritten(size_t(results), false);
  for (const Launch &l : p.launches) {
    EXPECT_TRUE(names.count(l.kernel)) << l.kernel;
    EXPECT_LE(uint64_t(l.block[0]) * l.block[1] * l.block[2], 1024u);
    EXPECT_LE(l.sharedBytes, 227u * 1024);
    EXPECT_GE(l.grid[0], 1u);
    EXPECT_LE(l.grid[1], 65535u);
    EXPECT_LE(l.grid[2], 65535u);
    for (const ArgRef &a : l.args) {
      int limit = a.kind == ArgRef::Operand ? operands
                  : a.kind == ArgRef::Result ? results
                                             : int(p.scratchBytes.size());
      EXPECT_GE(a.index, 0);
      EXPECT_LT(a.index, limit) << l.kernel;
      if (a.kind == ArgRef::Result)
        resultWritten[size_t(a.index)] = true;
    }
  }
  for (int r = 0; r < results; ++r)
    EXPECT_TRUE(resultWritten[size_t(r)]) << "result " << r << " is never written";
}

TEST(AttentionEmit, ForwardProgram) {
  OpProgram p = emitAttention(shape(1024, 2, true, DType::BF16, 64));
  expectWellFormed(p, 3, 1);
  ASSERT_EQ(p.launches.size(), 1u); // bf16 operands need no conversion
  const Launch &l = p.launches[0];
  EXPECT_EQ(l.grid[0], 64u * 8);
  EXPECT_EQ(l.grid[1], 1024u / 128);
  EXPECT_EQ(l.block[0], 256u);
  EXPECT_EQ(l.kernel.rfind("attn_fwd_c1_g2_d64_b64_h8_t1024_s1024_bf16_", 0), 0u) << l.kernel;
}

TEST(AttentionEmit, BackwardProgram) {
  OpProgram p = emitAttentionGrad(shape(100, 4, true, DType::F32));
  expectWellFormed(p, 4, 3);
  // 2 conversions (q and dy share a kernel; k and v too), stats, main, dq.
  EXPECT_EQ(p.launches.size(), 4u + 3u);
  EXPECT_EQ(p.kernels.size(), 2u + 3u);
  for (bool z : p.scratchZeroed)
    EXPECT_FALSE(z) << "the stats pass zeros the dq accumulator itself";
}

TEST(AttentionEmit, SavedStatisticsReplaceTheStatsPass) {
  AttentionShape s = shape(100, 2, true, DType::BF16);
  OpProgram fwd = emitAttention(s, /*saveLse=*/true);
  expectWellFormed(fwd, 3, 2);
  EXPECT_EQ(attentionLseCount(s), 2 * 8 * 128); // rows padded to the 128-row query tile
  OpProgram bwd = emitAttentionGrad(s, SavedAttention{DType::BF16, /*merged=*/true});
  expectWellFormed(bwd, 6, 3);
  // delta (reading dy and y), main, dq; no stats pass, no lse scratch.
  ASSERT_EQ(bwd.launches.size(), 3u);
  EXPECT_EQ(bwd.launches[0].kernel.rfind("attn_delta_n16_t100_ybf16_merged_", 0), 0u)
      << bwd.launches[0].kernel;
  EXPECT_EQ(bwd.scratchBytes.size(), 2u); // delta and the dq accumulator
  bool readsLse = false, readsY = false;
  for (const Launch &l : bwd.launches)
    for (const ArgRef &a : l.args) {
      readsLse = readsLse || (a.kind == ArgRef::Operand && a.index == 4);
      readsY = readsY || (a.kind == ArgRef::Operand && a.index == 5);
    }
  EXPECT_TRUE(readsLse && readsY);
  std::string error;
  try {
    emitAttentionGrad(s, SavedAttention{DType::F16, false});
  } catch (const std::invalid_argument &e) {
    error = e.what();
  }
  EXPECT_NE(error.find("saved y has dtype f16; supported: f32, bf16"), std::string::npos) << error;
}

TEST(AttentionEmit, MergedLayoutsAreSpecializations) {
  AttentionShape s = shape(256, 2, true, DType::BF16);
  AttentionShape m = s;
  m.merged.v = m.merged.out = true;
  OpProgram plain = emitAttention(s), merged = emitAttention(m);
  EXPECT_EQ(merged.launches.size(), plain.launches.size());
  EXPECT_NE(merged.kernels[0].name.find("_s256_mvo_bf16_"), std::string::npos) << merged.kernels[0].name;
  EXPECT_NE(merged.kernels[0].source.find("constexpr bool kVMerged = true;"), std::string::npos);
  EXPECT_NE(merged.kernels[0].source.find("constexpr bool kOutMerged = true;"), std::string::npos);
  EXPECT_NE(plain.kernels[0].source.find("constexpr bool kVMerged = false;"), std::string::npos);
  m.merged = {};
  m.merged.dy = m.merged.dv = m.merged.out = true;
  OpProgram grad = emitAttentionGrad(m, SavedAttention{DType::BF16, true});
  expectWellFormed(grad, 6, 3);
  EXPECT_EQ(grad.launches[0].kernel.rfind("attn_delta_n16_t256_ybf16_merged_dymerged_", 0), 0u);
  EXPECT_NE(grad.launches[1].kernel.find("_moyV_"), std::string::npos) << grad.launches[1].kernel;
  EXPECT_EQ(grad.launches[2].kernel.rfind("attn_dq_n16_t256_bf16_merged_", 0), 0u);
}

TEST(AttentionEmit, NamesFollowSources) {
  AttentionShape a = shape(256, 2, true, DType::BF16), b = a;
  EXPECT_EQ(emitAttention(a).kernels[0].name, emitAttention(b).kernels[0].name);
  b.scale = 0.1;
  EXPECT_NE(emitAttention(a).kernels[0].name, emitAttention(b).kernels[0].name);
  EXPECT_NE(emitAttention(a).kernels[0].source, emitAttention(b).kernels[0].source);
}

TEST(AttentionEmit, UnsupportedShapesSayWhy) {
  struct Case {
    const char *expected; // part of the message
    bool grad;
    void (*edit)(AttentionShape &);
  };
  const Case cases[] = {
      {"are not supported (supported: D = Dv = 64)", false, [](AttentionShape &s) { s.D = s.Dv = 128; }},
      {"Dv=32", true, [](AttentionShape &s) { s.Dv = 32; }},
      {"not a multiple", false, [](AttentionShape &s) { s.Hkv = 3; }},
      {"equal query and key lengths", true, [](AttentionShape &s) { s.S = 64; }},
      {"q has dtype f16; supported: f32, bf16", false, [](AttentionShape &s) { s.q = DType::F16; }},
      {"dk has dtype i32", true, [](AttentionShape &s) { s.dk = DType::I32; }},
      {"scale must be finite and > 0", false, [](AttentionShape &s) { s.scale = 0; }},
      {"dimensions must be positive", false, [](AttentionShape &s) { s.B = 0; }},
      // Non-causal attention may have T != S.
      {"", true, [](AttentionShape &s) { s.causal = false, s.S = 64; }},
  };
  for (const Case &c : cases) {
    AttentionShape s = shape(128, 1, true, DType::BF16);
    c.edit(s);
    std::string error;
    try {
      c.grad ? emitAttentionGrad(s) : emitAttention(s);
    } catch (const std::invalid_argument &e) {
      error = e.what();
    }
    if (*c.expected)
      EXPECT_NE(error.find(std::string("attention (CUDA): ")), std::string::npos) << error;
    EXPECT_NE(error.find(c.expected), std::string::npos) << "expected '" << c.expected << "', got '" << error << "'";
    EXPECT_EQ(error.empty(), !*c.expected) << error;
  }
}

#ifdef GOLF_HAVE_NVRTC

struct Compiled {
  std::string log;
  bool ok = false;
  bool entryFound = false;
};

Compiled compileSm90(const Kernel &k) {
  Compiled c;
  nvrtcProgram prog;
  if (nvrtcCreateProgram(&prog, k.source.c_str(), (k.name + ".cu").c_str(), 0, nullptr,
                         nullptr) != NVRTC_SUCCESS) {
    c.log = "nvrtcCreateProgram failed";
    return c;
  }
  std::string inc = std::string("--include-path=") + GOLF_CUDA_INCLUDE_DIR;
  std::string cccl = inc + "/cccl";
  const char *opts[] = {"--gpu-architecture=sm_90", "--std=c++17", "--ptxas-options=-v",
                        inc.c_str(), cccl.c_str()};
  c.ok = nvrtcCompileProgram(prog, 5, opts) == NVRTC_SUCCESS;
  size_t logSize = 0;
  nvrtcGetProgramLogSize(prog, &logSize);
  c.log.resize(logSize);
  if (logSize)
    nvrtcGetProgramLog(prog, c.log.data());
  if (c.ok) {
    size_t size = 0;
    nvrtcGetCUBINSize(prog, &size);
    std::string cubin(size, '\0');
    nvrtcGetCUBIN(prog, cubin.data());
    c.entryFound = cubin.find(k.name + '\0') != std::string::npos;
  }
  nvrtcDestroyProgram(&prog);
  return c;
}

/// Every configuration class of the brief, forward and backward; distinct
/// kernels are compiled once, in parallel.
TEST(AttentionNvrtc, AllConfigurationsCompileForSm90) {
  std::map<std::string, Kernel> kernels;
  int programs = 0;
  for (bool causal : {false, true})
    for (int64_t group : {1, 2, 4})
      for (int64_t t : {16, 100, 1024, 2048})
        for (DType dtype : {DType::F32, DType::BF16}) {
          AttentionShape s = shape(t, group, causal, dtype);
          // Every tensor in merge_heads' layout in odd configurations.
          if ((t + group + causal) % 2)
            s.merged = {true, true, true, true, true, true, true};
          for (const OpProgram &p :
               {emitAttention(s), emitAttentionGrad(s), emitAttention(s, true),
                emitAttentionGrad(s, SavedAttention{dtype, t == 100}),
                emitAttentionGrad(s, SavedAttention{dtype == DType::F32 ? DType::BF16 : DType::F32,
                                                    t != 100})}) {
            ++programs;
            for (const Kernel &k : p.kernels)
              kernels.emplace(k.name, k);
          }
        }
  // Mixed dtypes and a non-causal T != S.
  AttentionShape mixed = shape(100, 2, false, DType::BF16);
  mixed.S = 300;
  mixed.q = DType::F32;
  mixed.dk = DType::F32;
  for (const OpProgram &p : {emitAttention(mixed), emitAttentionGrad(mixed)})
    for (const Kernel &k : p.kernels)
      kernels.emplace(k.name, k);

  std::vector<const Kernel *> todo;
  for (auto &[name, k] : kernels)
    todo.push_back(&k);
  std::vector<Compiled> results(todo.size());
  std::mutex mu;
  size_t next = 0;
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (next == todo.size())
          return;
        i = next++;
      }
      results[i] = compileSm90(*todo[i]);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned n = 0; n < std::max(2u, std::thread::hardware_concurrency()); ++n)
    pool.emplace_back(worker);
  for (auto &th : pool)
    th.join();

  for (size_t i = 0; i < todo.size(); ++i) {
    const Compiled &c = results[i];
    EXPECT_TRUE(c.ok) << todo[i]->name << ":\n" << c.log;
    EXPECT_TRUE(c.entryFound) << todo[i]->name << " is not an entry of its cubin";
    static const std::regex spill("([0-9]+) bytes spill stores");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(c.log, m, spill)) << todo[i]->name << ": no ptxas report\n" << c.log;
    EXPECT_EQ(m[1].str(), "0") << todo[i]->name << " spills registers:\n" << c.log;
  }
  std::printf("%d programs, %zu distinct kernels compiled for sm_90\n", programs, todo.size());
}

#else

TEST(AttentionNvrtc, AllConfigurationsCompileForSm90) {
  GTEST_SKIP() << "CUDA toolkit (NVRTC) not found at configure time: emitted attention kernels "
                  "are not compiled";
}

#endif

} // namespace
} // namespace golf::cudagen

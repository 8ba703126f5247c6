//===- CudnnAttentionTest.cpp - cuDNN SDPA against a float64 CPU reference ===//
//
// The forward saving its statistics, then the backward reading them, on
// random bf16 inputs at a GQA shape that no tile divides, in golfc's mixed
// head layouts (v, y, dy and dv merged as the baseline has them); outputs
// poisoned with NaN first. Skips without a GPU or without libcudnn.so.9.
//
//===----------------------------------------------------------------------===//
#include "GpuTest.h"

#include "runtime/cuda/CudnnAttention.h"
#include "runtime/cuda/Error.h"
#include "runtime/cuda/Memory.h"

#include <cuda_bf16.h>

#include <cmath>
#include <random>

namespace golf::cuda::test {
namespace {

using cudagen::AttentionCall;
using cudagen::AttentionShape;

/// A [B, heads, rows, 64] tensor stored [B, heads, rows, 64] or, merged,
/// [B, rows, heads, 64]: host values (bf16-rounded) and the device copy.
struct HeadTensor {
  int64_t B, heads, rows;
  bool merged;
  std::vector<double> values; // logical order [b][h][r][d]
  DeviceBuffer device;

  HeadTensor(int64_t b, int64_t h, int64_t r, bool m)
      : B(b), heads(h), rows(r), merged(m), values(size_t(b * h * r * 64)),
        device(uint64_t(b * h * r * 64) * 2) {}
  size_t logical(int64_t b, int64_t h, int64_t r, int64_t d) const {
    return size_t(((b * heads + h) * rows + r) * 64 + d);
  }
  size_t stored(int64_t b, int64_t h, int64_t r, int64_t d) const {
    return merged ? size_t(((b * rows + r) * heads + h) * 64 + d) : logical(b, h, r, d);
  }
  double &at(int64_t b, int64_t h, int64_t r, int64_t d) { return values[logical(b, h, r, d)]; }
  void randomize(std::mt19937 &rng) {
    std::normal_distribution<float> normal;
    std::vector<__nv_bfloat16> bytes(values.size());
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t d = 0; d < 64; ++d) {
            __nv_bfloat16 x = __float2bfloat16(normal(rng));
            bytes[stored(b, h, r, d)] = x;
            at(b, h, r, d) = double(__bfloat162float(x));
          }
    copyToDevice(device.data(), bytes.data(), bytes.size() * 2);
  }
  void poison() { check(cudaMemset(device.data(), 0xff, device.bytes()), "cudaMemset"); }
  /// ||device - expected|| / ||expected||; NaN when any value is not finite.
  double relativeError(const HeadTensor &expected) const {
    std::vector<__nv_bfloat16> bytes(values.size());
    copyToHost(bytes.data(), device.data(), bytes.size() * 2);
    double err = 0, norm = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t d = 0; d < 64; ++d) {
            double got = double(__bfloat162float(bytes[stored(b, h, r, d)]));
            double want = expected.values[logical(b, h, r, d)];
            if (!std::isfinite(got))
              return NAN;
            err += (got - want) * (got - want);
            norm += want * want;
          }
    return std::sqrt(err / norm);
  }
};

TEST(CudnnAttentionTest, ForwardAndBackwardMatchFloat64) {
  GOLF_REQUIRE_GPU();
  std::unique_ptr<CudnnAttention> cudnn;
  try {
    cudnn = std::make_unique<CudnnAttention>();
  } catch (const std::runtime_error &e) {
    GTEST_SKIP() << e.what();
  }
  const int64_t B = 2, H = 4, Hkv = 2, T = 80, g = H / Hkv;
  const double scale = 0.125;
  AttentionShape s{B, H, Hkv, T, T, 64, 64, true, scale, plan::DType::BF16, plan::DType::BF16,
                   plan::DType::BF16, plan::DType::BF16, std::nullopt, std::nullopt, std::nullopt};
  s.merged.v = s.merged.dy = s.merged.dv = true;
  std::mt19937 rng(7);
  HeadTensor q(B, H, T, false), k(B, Hkv, T, false), v(B, Hkv, T, true), dy(B, H, T, true);
  for (HeadTensor *t : {&q, &k, &v, &dy})
    t->randomize(rng);
  // y merged as merge_heads writes it; dq, dk in [B, H, T, 64].
  HeadTensor y(B, H, T, true), dq(B, H, T, false), dk(B, Hkv, T, false), dv(B, Hkv, T, true);
  HeadTensor ry(B, H, T, false), rdq(B, H, T, false), rdk(B, Hkv, T, false), rdv(B, Hkv, T, false);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < T; ++i) {
        const int64_t kv = h / g, n = i + 1; // causal: keys 0..i
        std::vector<double> p(static_cast<size_t>(n)), dp(static_cast<size_t>(n));
        double m = -INFINITY, sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < 64; ++d)
            dot += q.at(b, h, i, d) * k.at(b, kv, j, d);
          p[size_t(j)] = dot * scale;
          m = std::max(m, p[size_t(j)]);
        }
        for (double &x : p)
          sum += (x = std::exp(x - m));
        double delta = 0;
        for (int64_t j = 0; j < n; ++j) {
          p[size_t(j)] /= sum;
          for (int64_t d = 0; d < 64; ++d) {
            ry.at(b, h, i, d) += p[size_t(j)] * v.at(b, kv, j, d);
            dp[size_t(j)] += dy.at(b, h, i, d) * v.at(b, kv, j, d);
          }
          delta += p[size_t(j)] * dp[size_t(j)];
        }
        for (int64_t j = 0; j < n; ++j) {
          const double ds = p[size_t(j)] * (dp[size_t(j)] - delta);
          for (int64_t d = 0; d < 64; ++d) {
            rdq.at(b, h, i, d) += scale * ds * k.at(b, kv, j, d);
            rdk.at(b, kv, j, d) += scale * ds * q.at(b, h, i, d);
            rdv.at(b, kv, j, d) += p[size_t(j)] * dy.at(b, h, i, d);
          }
        }
      }

  AttentionCall forward{s, false, true, false};
  AttentionCall backward{s, true, false, true};
  backward.shape.merged.out = false; // dq in [B, H, T, 64]
  forward.shape.merged.out = true;   // y merged
  DeviceBuffer work(std::max<uint64_t>(16, std::max(cudnn->prepare(forward), cudnn->prepare(backward))));
  DeviceBuffer stats(uint64_t(B * H * T) * 4);
  for (HeadTensor *t : {&y, &dq, &dk, &dv})
    t->poison();
  check(cudaMemset(stats.data(), 0xff, stats.bytes()), "cudaMemset");
  cudnn->run(forward, {q.device.data(), k.device.data(), v.device.data()}, {y.device.data(), stats.data()},
             work.data(), nullptr);
  cudnn->run(backward,
             {q.device.data(), k.device.data(), v.device.data(), dy.device.data(), stats.data(), y.device.data()},
             {dq.device.data(), dk.device.data(), dv.device.data()}, work.data(), nullptr);
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  // bf16 inputs, outputs and probabilities: about 4e-3 relative at worst.
  EXPECT_LT(y.relativeError(ry), 1e-2);
  EXPECT_LT(dq.relativeError(rdq), 1e-2);
  EXPECT_LT(dk.relativeError(rdk), 1e-2);
  EXPECT_LT(dv.relativeError(rdv), 1e-2);
}

} // namespace
} // namespace golf::cuda::test

//===- attention_aux.cuh - conversions around the attention kernels -------===//
//
// Small kernels around the attention kernels, selected by GOLF_ATTN_AUX:
//   1 (convert): out = bf16(in) for kCount fp32 values (fp32 operands are
//     converted once so the attention kernels read bf16 only);
//   2 (dq):      dq = kScale * acc for kRows rows of 64, reading the padded
//     [kHeads][kTPad][64] fp32 accumulator of attention_bwd.cuh and writing
//     [kHeads][kT][64] (or, kOutMerged, [B][kT][kH][64]) fp32 or bf16
//     (kOutF32);
//   3 (delta):   the first pass of a backward whose forward saved lse:
//     delta = rowsum(dy * y) for each of the kRows = B*H*kTPad padded query
//     rows (0 on pad rows), and zeros of the rows' fp32 dq accumulator. y is
//     the forward's [B*H][kT][64] or, with kYMerged, merge_heads' copy
//     [B][kT][kH][64]; fp32 or bf16 (kYF32); dy is in either layout
//     (kDyMerged).
// Kernels 1 and 2: each thread handles 4 consecutive values; kCount and the
// row length are multiples of 4. Kernel 3: 8 threads per row, 8 values each.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_ATTN_PRELUDE // defaults for reading and compiling this file alone
#include "attention_common.cuh"
#define GOLF_ATTN_AUX 2
constexpr long long kCount = 64LL * 8 * 1024 * 64;
constexpr int kT = 1024, kTPad = 1024;
constexpr int kH = 8;
constexpr bool kOutF32 = false, kOutMerged = false;
constexpr float kScale = 0.125f;
#define GOLF_KERNEL_NAME attn_aux
#endif

namespace aux {
constexpr int kThreads = 256;
}

#if GOLF_ATTN_AUX == 1
extern "C" __global__ void __launch_bounds__(aux::kThreads)
GOLF_KERNEL_NAME(const float *__restrict__ in, bf16_t *__restrict__ out) {
  const long long i = static_cast<long long>(blockIdx.x) * aux::kThreads + threadIdx.x;
  if (i >= kCount / 4)
    return;
  const float4 x = reinterpret_cast<const float4 *>(in)[i];
  reinterpret_cast<uint2 *>(out)[i] = make_uint2(golf::packBf16(x.x, x.y), golf::packBf16(x.z, x.w));
}
#elif GOLF_ATTN_AUX == 2
extern "C" __global__ void __launch_bounds__(aux::kThreads)
GOLF_KERNEL_NAME(const float *__restrict__ acc, void *__restrict__ dq) {
  constexpr int kD = golf::kHeadDim;
  const long long i = static_cast<long long>(blockIdx.x) * aux::kThreads + threadIdx.x;
  if (i >= kCount / 4)
    return;
  const long long row = i / (kD / 4), col = 4 * (i % (kD / 4));
  const long long head = row / kT, rowInHead = row - head * kT;
  const float4 x = *reinterpret_cast<const float4 *>(acc + (head * kTPad + rowInHead) * kD + col);
  const long long at = golf::headRow<kOutMerged, kH, kT>(head, rowInHead) + col;
  golf::storePair<kOutF32>(dq, at, kScale * x.x, kScale * x.y);
  golf::storePair<kOutF32>(dq, at + 2, kScale * x.z, kScale * x.w);
}
#elif GOLF_ATTN_AUX == 3
static_assert(kRows * 8 % aux::kThreads == 0, "whole rows per block: no thread leaves early");
extern "C" __global__ void __launch_bounds__(aux::kThreads)
GOLF_KERNEL_NAME(const bf16_t *__restrict__ dy, const void *__restrict__ y,
                 float *__restrict__ delta, float *__restrict__ dqAcc) {
  constexpr int kD = golf::kHeadDim;
  const long long i = static_cast<long long>(blockIdx.x) * aux::kThreads + threadIdx.x;
  const long long row = i >> 3, bh = row / kTPad;
  const int part = static_cast<int>(i & 7), t = static_cast<int>(row - bh * kTPad);
  float dot = 0.f;
  if (t < kT) {
    const uint4 d = *reinterpret_cast<const uint4 *>(dy + golf::headRow<kDyMerged, kH, kT>(bh, t) + 8 * part);
    const long long yAt = golf::headRow<kYMerged, kH, kT>(bh, t) + 8 * part;
    float yv[8];
    if (kYF32) {
      const float4 lo = *reinterpret_cast<const float4 *>(static_cast<const float *>(y) + yAt);
      const float4 hi = *reinterpret_cast<const float4 *>(static_cast<const float *>(y) + yAt + 4);
      yv[0] = lo.x, yv[1] = lo.y, yv[2] = lo.z, yv[3] = lo.w;
      yv[4] = hi.x, yv[5] = hi.y, yv[6] = hi.z, yv[7] = hi.w;
    } else {
      const uint4 w = *reinterpret_cast<const uint4 *>(static_cast<const bf16_t *>(y) + yAt);
      const u32 words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
      for (int j = 0; j < 4; ++j)
        yv[2 * j] = golf::bf16Lo(words[j]), yv[2 * j + 1] = golf::bf16Hi(words[j]);
    }
    const u32 dw[4] = {d.x, d.y, d.z, d.w};
#pragma unroll
    for (int j = 0; j < 4; ++j)
      dot += golf::bf16Lo(dw[j]) * yv[2 * j] + golf::bf16Hi(dw[j]) * yv[2 * j + 1];
  }
  // The 8 threads of a row are 8 adjacent lanes.
  dot += __shfl_xor_sync(0xffffffffu, dot, 4);
  dot += __shfl_xor_sync(0xffffffffu, dot, 2);
  dot += __shfl_xor_sync(0xffffffffu, dot, 1);
  if (part == 0)
    delta[row] = dot;
  float4 *acc = reinterpret_cast<float4 *>(dqAcc + row * kD + 8 * part);
  acc[0] = acc[1] = make_float4(0.f, 0.f, 0.f, 0.f);
}
#endif

//===- attention_aux.cuh - conversions around the attention kernels -------===//
//
// Two small elementwise kernels, selected by GOLF_ATTN_AUX:
//   1 (convert): out = bf16(in) for kCount fp32 values (fp32 operands are
//     converted once so the attention kernels read bf16 only);
//   2 (dq):      dq = kScale * acc for kRows rows of 64, reading the padded
//     [kHeads][kTPad][64] fp32 accumulator of attention_bwd.cuh and writing
//     [kHeads][kT][64] fp32 or bf16 (kOutF32).
// Each thread handles 4 consecutive values; kCount and the row length are
// multiples of 4.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_ATTN_PRELUDE // defaults for reading and compiling this file alone
#include "attention_common.cuh"
#define GOLF_ATTN_AUX 2
constexpr long long kCount = 64LL * 8 * 1024 * 64;
constexpr int kT = 1024, kTPad = 1024;
constexpr bool kOutF32 = false;
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
  golf::storePair<kOutF32>(dq, 4 * i, kScale * x.x, kScale * x.y);
  golf::storePair<kOutF32>(dq, 4 * i + 2, kScale * x.z, kScale * x.w);
}
#endif

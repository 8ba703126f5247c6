//===- attention_fwd.cuh - causal/full GQA attention forward --------------===//
//
// FlashAttention-2 forward for head dim 64 on mma.sync (bf16 in, fp32 out
// of the tensor cores). One CTA of 8 warps per (batch * head, 128-row query
// tile); warp w owns query rows 16w .. 16w + 15 of the tile and keeps its Q
// fragments in registers. Key/value tiles of 64 rows stream through a
// double-buffered cp.async pipeline; the softmax is online (running max m
// and sum l per row, in exp2 units). Causal CTAs stop at the diagonal and
// mask only the tiles that cross it; tiles are scheduled heaviest first.
//
// With GOLF_ATTN_STATS = 1 the same kernel is the first pass of the
// backward: instead of y it writes the log2-sum-exp of each row
// (lse = m * scale * log2(e) + log2(l)), delta = rowsum(dy * y), and zeros
// the fp32 dq accumulator rows of its tile. Rows are padded to kTPad.
// With GOLF_ATTN_STATS = 2 it writes y and lse, which the backward then
// reads instead of running the stats pass.
//
// Specialized by a prelude (codegen/cuda/Attention.cpp) that defines:
//   kB, kH, kHkv, kT, kS, kTPad      int: shapes (kTPad = kT rounded up to 128)
//   kCausal                          bool
//   kScaleLog2                       float: scale * log2(e)
//   kOutF32                          bool: y is fp32 (else bf16)
//   kQMerged, kKMerged, kVMerged,    bool: the tensor is in merge_heads'
//   kOutMerged, kDyMerged              layout [B][T][H][64] (else [B][H][T][64])
//   GOLF_ATTN_STATS                  0, 1 or 2
//   GOLF_KERNEL_NAME                 the extern "C" entry point
// Inputs are bf16 (codegen converts fp32 operands first).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_ATTN_PRELUDE // defaults for reading and compiling this file alone
#include "attention_common.cuh"
constexpr int kB = 64, kH = 8, kHkv = 4, kT = 1024, kS = 1024, kTPad = 1024;
constexpr bool kCausal = true, kOutF32 = false;
constexpr bool kQMerged = false, kKMerged = false, kVMerged = false, kOutMerged = false,
               kDyMerged = false;
constexpr float kScaleLog2 = 0.125f * 1.4426950408889634f;
#define GOLF_ATTN_STATS 0
#define GOLF_KERNEL_NAME attn_fwd
#endif

namespace fwd {
constexpr int kBM = 128, kBN = 64, kWarps = 8, kThreads = 32 * kWarps;
constexpr int kD = golf::kHeadDim;
constexpr int kGroup = kH / kHkv;
constexpr int kMBlocks = (kT + kBM - 1) / kBM;
constexpr int kNBlocks = (kS + kBN - 1) / kBN;
constexpr int kSmemBytes = (kBM + 4 * kBN) * kD * 2; // Q + 2 x (K, V)
static_assert(kTPad == kMBlocks * kBM, "kTPad is kT rounded up to the query tile");
} // namespace fwd

extern "C" __global__ void __launch_bounds__(fwd::kThreads, 2)
GOLF_KERNEL_NAME(const bf16_t *__restrict__ q, const bf16_t *__restrict__ k,
                 const bf16_t *__restrict__ v,
#if GOLF_ATTN_STATS == 1
                 const bf16_t *__restrict__ dy, float *__restrict__ lse,
                 float *__restrict__ delta, float *__restrict__ dqAcc
#else
                 void *__restrict__ y
#if GOLF_ATTN_STATS == 2
                 , float *__restrict__ lse
#endif
#endif
) {
  using namespace fwd;
  using namespace golf;
  extern __shared__ __align__(128) unsigned char smem[];
  bf16_t *sQ = reinterpret_cast<bf16_t *>(smem); // [kBM][64]
  bf16_t *sK = sQ + kBM * kD;                    // [2][kBN][64]
  bf16_t *sV = sK + 2 * kBN * kD;                // [2][kBN][64]

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int g = lane >> 2, t = lane & 3; // mma fragment row group / column pair
  const int bh = blockIdx.x;
  const int mBlock = kMBlocks - 1 - static_cast<int>(blockIdx.y); // heaviest first
  const int b = bh / kH, h = bh - b * kH;
  const long long kvHead = static_cast<long long>(b) * kHkv + h / kGroup;
  const int row0 = mBlock * kBM;
  const bf16_t *gQ = q + headRow<kQMerged, kH, kT>(bh, 0);
  const bf16_t *gK = k + headRow<kKMerged, kHkv, kS>(kvHead, 0);
  const bf16_t *gV = v + headRow<kVMerged, kHkv, kS>(kvHead, 0);
  constexpr int qPitch = kPitch<kQMerged, kH>, kvPitchK = kPitch<kKMerged, kHkv>,
                vPitch = kPitch<kVMerged, kHkv>;

  int nBlocks = kNBlocks;
  if (kCausal)
    nBlocks = min(kNBlocks, (min(row0 + kBM, kT) + kBN - 1) / kBN);

  loadTile<kBM, kThreads, qPitch>(sQ, gQ, row0, kT, tid);
  loadTile<kBN, kThreads, kvPitchK>(sK, gK, 0, kS, tid);
  loadTile<kBN, kThreads, vPitch>(sV, gV, 0, kS, tid);
  cpAsyncCommit();

  float o[8][4];
  zero(o);
  float m[2] = {negInf(), negInf()}, l[2] = {0.f, 0.f};
  float mScaled[2] = {0.f, 0.f}; // m * kScaleLog2 (0 while m = -inf), for lse
  (void)mScaled;
  u32 qf[4][4];
  const int wrow = warp * 16; // first row of this warp in the tile
  const u32 kLane0 = laneAddr(smemAddr(sK), laneRowB(lane), laneChunkB(lane));
  const u32 vLane0 = laneAddr(smemAddr(sV), laneRowBT(lane), laneChunkBT(lane));

#pragma unroll 1
  for (int nb = 0; nb < nBlocks; ++nb) {
    const int buf = nb & 1;
    if (nb + 1 < nBlocks) {
      loadTile<kBN, kThreads, kvPitchK>(sK + (buf ^ 1) * kBN * kD, gK, (nb + 1) * kBN, kS, tid);
      loadTile<kBN, kThreads, vPitch>(sV + (buf ^ 1) * kBN * kD, gV, (nb + 1) * kBN, kS, tid);
    }
    cpAsyncCommit();
    cpAsyncWait<1>();
    __syncthreads();

    if (nb == 0) {
      const u32 qLane = laneAddr(smemAddr(sQ), wrow + laneRowA(lane), laneChunkA(lane));
#pragma unroll
      for (int ks = 0; ks < 4; ++ks)
        ldmatrix4(qf[ks], blockAddr(qLane, 0, ks));
    }

    // S = Q K^T for this warp's 16 rows and the tile's 64 keys.
    const u32 kLane = kLane0 + buf * kBN * kD * 2, vLane = vLane0 + buf * kBN * kD * 2;
    float s[8][4];
    mmaRowsNT(s, [&](int ks, u32(&a)[4]) {
      for (int i = 0; i < 4; ++i)
        a[i] = qf[ks][i];
    }, kLane);

    const int col0 = nb * kBN;
    const bool maskCausal = kCausal && col0 + kBN - 1 > row0 + wrow;
    const bool maskEnd = kS % kBN != 0 && nb == kNBlocks - 1;
    if (maskCausal || maskEnd) {
#pragma unroll
      for (int j = 0; j < 8; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int col = col0 + 8 * j + 2 * t + (e & 1);
          const int row = row0 + wrow + g + 8 * (e >> 1);
          if (col >= kS || (kCausal && col > row))
            s[j][e] = negInf();
        }
    }

    // Online softmax: rows g (r = 0) and g + 8 (r = 1) of the warp.
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = m[r];
#pragma unroll
      for (int j = 0; j < 8; ++j)
        mx = fmaxf(mx, fmaxf(s[j][2 * r], s[j][2 * r + 1]));
      mx = quadMax(mx);
      // A row with no valid key yet keeps m = -inf; shift by 0 then.
      const float ms = mx == negInf() ? 0.f : mx * kScaleLog2;
      const float alpha = exp2Approx(m[r] * kScaleLog2 - ms);
      m[r] = mx;
      mScaled[r] = ms;
      float sum = 0.f;
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        s[j][2 * r] = exp2Approx(s[j][2 * r] * kScaleLog2 - ms);
        s[j][2 * r + 1] = exp2Approx(s[j][2 * r + 1] * kScaleLog2 - ms);
        sum += s[j][2 * r] + s[j][2 * r + 1];
        o[j][2 * r] *= alpha;
        o[j][2 * r + 1] *= alpha;
      }
      l[r] = l[r] * alpha + sum; // per-lane partial; summed over the quad at the end
    }

    // O += P V (P from the accumulators, as bf16 A fragments).
    u32 pf[4][4];
#pragma unroll
    for (int kk = 0; kk < 4; ++kk)
      accToA(pf[kk], s[2 * kk], s[2 * kk + 1]);
    mmaRowsNN(o, pf, vLane);
    __syncthreads(); // the next iteration refills this buffer
  }

  float inv[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] = quadSum(l[r]);
    inv[r] = l[r] > 0.f ? 1.f / l[r] : 0.f;
  }

#if GOLF_ATTN_STATS != 1
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = row0 + wrow + g + 8 * r;
    if (row < kT) {
      const long long base = headRow<kOutMerged, kH, kT>(bh, row) + 2 * t;
      storeAccRow<kOutF32>(y, base, o, r, inv[r]);
    }
#if GOLF_ATTN_STATS == 2
    if (t == 0) // pad rows too: their lse is finite (zero queries see every key)
      lse[static_cast<long long>(bh) * kTPad + row] = mScaled[r] + __log2f(l[r]);
#endif
  }
#else
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = row0 + wrow + g + 8 * r;
    float dot = 0.f;
    if (row < kT) {
      const u32 *dyRow = reinterpret_cast<const u32 *>(dy + headRow<kDyMerged, kH, kT>(bh, row));
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        const u32 d2 = dyRow[4 * j + t];
        dot += o[j][2 * r] * bf16Lo(d2) + o[j][2 * r + 1] * bf16Hi(d2);
      }
    }
    dot = quadSum(dot) * inv[r];
    if (t == 0) {
      const long long at = static_cast<long long>(bh) * kTPad + row;
      lse[at] = mScaled[r] + __log2f(l[r]);
      delta[at] = dot;
    }
  }
  // Zero this tile's rows of the dq accumulator ([B*H][kTPad][64] fp32).
  float4 *acc = reinterpret_cast<float4 *>(dqAcc + (static_cast<long long>(bh) * kTPad + row0) * kD);
#pragma unroll
  for (int i = tid; i < kBM * kD / 4; i += kThreads)
    acc[i] = make_float4(0.f, 0.f, 0.f, 0.f);
#endif
}

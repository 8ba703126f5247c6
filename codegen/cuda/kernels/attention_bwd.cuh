//===- attention_bwd.cuh - causal/full GQA attention backward -------------===//
//
// FlashAttention-2 backward for head dim 64 on mma.sync, parallel over key
// tiles. One CTA of kWarps warps per (batch * KV head, kBN-key tile) walks
// every query head of its GQA group and every 64-row query tile that sees
// its keys (from the diagonal on when causal), so dk and dv are summed over
// the group in registers, in a fixed order, without atomics. Warp w owns
// keys 16w .. 16w + 15 of the tile and computes, per query tile, the
// transposed products (keys as rows) so that P^T and dS^T stay in registers
// as the A operands of dv += P^T dy and dk += dS^T q:
//
//   S^T  = K Q^T            P^T = exp2(S^T * scale * log2(e) - lse)
//   dP^T = V dY^T           dS^T = P^T * (dP^T - delta)   (P^T rounded to bf16)
//   dV  += P^T dY           dK  += dS^T Q             (dk scaled at the end)
//   dQ  += dS K  (dS^T through shared memory; fp32 red.global.add.v2 into a
//                 [B*H][kTPad][64] accumulator; dq = scale * acc afterwards)
//
// lse and delta (= rowsum(dy * y)) come from the stats pass of
// attention_fwd.cuh, which also zeros the accumulator. Query tiles (Q, dY,
// lse, delta) are double-buffered with cp.async.
//
// Specialized by a prelude (codegen/cuda/Attention.cpp) that defines:
//   kB, kH, kHkv, kT, kS, kTPad      int: shapes (kTPad = kT rounded up to 128)
//   kCausal                          bool
//   kScale, kScaleLog2               float: scale and scale * log2(e)
//   kDkF32, kDvF32                   bool: dk / dv are fp32 (else bf16)
//   kQMerged, kKMerged, kVMerged,    bool: the tensor is in merge_heads'
//   kDyMerged, kDkMerged, kDvMerged    layout [B][T][H][64] (else [B][H][T][64])
//   GOLF_KERNEL_NAME                 the extern "C" entry point
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_ATTN_PRELUDE // defaults for reading and compiling this file alone
#include "attention_common.cuh"
constexpr int kB = 64, kH = 8, kHkv = 4, kT = 1024, kS = 1024, kTPad = 1024;
constexpr bool kCausal = true, kDkF32 = false, kDvF32 = false;
constexpr bool kQMerged = false, kKMerged = false, kVMerged = false, kDyMerged = false,
               kDkMerged = false, kDvMerged = false;
constexpr float kScale = 0.125f, kScaleLog2 = 0.125f * 1.4426950408889634f;
#define GOLF_KERNEL_NAME attn_bwd
#endif

namespace bwd {
constexpr int kWarps = 8, kThreads = 32 * kWarps;
constexpr int kBN = 16 * kWarps; // keys per CTA
constexpr int kBM = 64;          // queries per step
constexpr int kD = golf::kHeadDim;
constexpr int kGroup = kH / kHkv;
constexpr int kMBlocks = (kT + kBM - 1) / kBM;
constexpr int kNBlocks = (kS + kBN - 1) / kBN;
// dQ tile (kBM x 64) split over the warps: 4 row groups x kDqSplit column groups.
constexpr int kDqSplit = kWarps / 4, kDqCols = kD / kDqSplit;
constexpr int kTileBytes = kBM * kD * 2;
constexpr int kSmemBytes = 2 * kBN * kD * 2     // K, V
                           + 4 * kTileBytes     // 2 x (Q, dY)
                           + kBN * kBM * 2      // dS^T
                           + 4 * kBM * 4;       // 2 x (lse, delta)
static_assert(kWarps % 4 == 0, "the dQ split needs a multiple of 4 warps");
static_assert(kTPad % kBM == 0, "kTPad is a multiple of the query tile");
} // namespace bwd

extern "C" __global__ void __launch_bounds__(bwd::kThreads, 1)
GOLF_KERNEL_NAME(const bf16_t *__restrict__ q, const bf16_t *__restrict__ k,
                 const bf16_t *__restrict__ v, const bf16_t *__restrict__ dy,
                 const float *__restrict__ lse, const float *__restrict__ delta,
                 float *__restrict__ dqAcc, void *__restrict__ dk, void *__restrict__ dv) {
  using namespace bwd;
  using namespace golf;
  extern __shared__ __align__(128) unsigned char smem[];
  bf16_t *sK = reinterpret_cast<bf16_t *>(smem); // [kBN][64]
  bf16_t *sV = sK + kBN * kD;                    // [kBN][64]
  bf16_t *sQ = sV + kBN * kD;                    // [2][kBM][64]
  bf16_t *sdY = sQ + 2 * kBM * kD;               // [2][kBM][64]
  bf16_t *sdS = sdY + 2 * kBM * kD;              // [kBN][kBM] (keys x queries)
  float *sLse = reinterpret_cast<float *>(sdS + kBN * kBM); // [2][kBM]
  float *sDelta = sLse + 2 * kBM;                            // [2][kBM]

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int bkv = blockIdx.x; // batch * kHkv + KV head
  const int b = bkv / kHkv, kvh = bkv - b * kHkv;
  const int key0 = static_cast<int>(blockIdx.y) * kBN; // heaviest (first keys) first
  const int iStart = kCausal ? key0 / kBM : 0;
  const int nI = kMBlocks - iStart;
  const int nSteps = kGroup * nI;

  loadTile<kBN, kThreads, kPitch<kKMerged, kHkv>>(sK, k + headRow<kKMerged, kHkv, kS>(bkv, 0),
                                                  key0, kS, tid);
  loadTile<kBN, kThreads, kPitch<kVMerged, kHkv>>(sV, v + headRow<kVMerged, kHkv, kS>(bkv, 0),
                                                  key0, kS, tid);

  // Step `it` is query tile iStart + it % nI of group head it / nI.
  auto loadStep = [&](int it, int buf) {
    const int bh = b * kH + kvh * kGroup + it / nI;
    const int q0 = (iStart + it % nI) * kBM;
    loadTile<kBM, kThreads, kPitch<kQMerged, kH>>(sQ + buf * kBM * kD,
                                                  q + headRow<kQMerged, kH, kT>(bh, 0), q0, kT, tid);
    loadTile<kBM, kThreads, kPitch<kDyMerged, kH>>(sdY + buf * kBM * kD,
                                                   dy + headRow<kDyMerged, kH, kT>(bh, 0), q0, kT, tid);
    if (tid < 2 * kBM / 4) { // lse and delta rows exist up to kTPad
      const bool isLse = tid < kBM / 4;
      const int c = isLse ? tid : tid - kBM / 4;
      const float *src = (isLse ? lse : delta) + static_cast<long long>(bh) * kTPad + q0 + 4 * c;
      cpAsync16(smemAddr((isLse ? sLse : sDelta) + buf * kBM + 4 * c), src, 16);
    }
  };
  loadStep(0, 0);
  cpAsyncCommit();

  float accK[8][4], accV[8][4];
  zero(accK);
  zero(accV);

  const int wkey = 16 * warp; // first key of this warp in the tile
  // Lane addresses of the ldmatrix patterns (see golf::blockAddr); V and dY
  // are at fixed offsets from K and Q.
  constexpr u32 kVOffset = kBN * kD * 2, kDyOffset = 2 * kTileBytes;
  const u32 kLaneA = laneAddr(smemAddr(sK), wkey + laneRowA(lane), laneChunkA(lane));
  const u32 qLaneB0 = laneAddr(smemAddr(sQ), laneRowB(lane), laneChunkB(lane));
  const u32 qLaneBT0 = laneAddr(smemAddr(sQ), laneRowBT(lane), laneChunkBT(lane));
  const int mq = 16 * (warp & 3), dc = kDqCols * (warp >> 2); // this warp's dQ tile
  const u32 dsLaneAT = laneAddr(smemAddr(sdS), laneRowAT(lane), mq / 8 + laneChunkAT(lane));
  const u32 kLaneBT = laneAddr(smemAddr(sK), laneRowBT(lane), dc / 8 + laneChunkBT(lane));

#pragma unroll 1
  for (int it = 0; it < nSteps; ++it) {
    const int buf = it & 1;
    if (it + 1 < nSteps)
      loadStep(it + 1, buf ^ 1);
    cpAsyncCommit();
    cpAsyncWait<1>();
    __syncthreads();

    const int bh = b * kH + kvh * kGroup + it / nI;
    const int q0 = (iStart + it % nI) * kBM;
    const u32 bufBytes = buf * kTileBytes;
    const u32 qLaneB = qLaneB0 + bufBytes, qLaneBT = qLaneBT0 + bufBytes;

    // S^T = K Q^T: 16 keys x 64 queries per warp, then P^T in place.
    float st[8][4];
    mmaRowsNT(st, [&](int ks, u32(&a)[4]) { ldmatrix4(a, blockAddr(kLaneA, 0, ks)); }, qLaneB);
    const bool maskCausal = kCausal && q0 < key0 + wkey + 15;
    const bool maskEnd = kS % kBN != 0 && key0 + kBN > kS;
    const float *lseRow = sLse + buf * kBM, *deltaRow = sDelta + buf * kBM;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const float2 ls = *reinterpret_cast<const float2 *>(lseRow + 8 * j + 2 * t);
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float p = exp2Approx(st[j][e] * kScaleLog2 - ((e & 1) ? ls.y : ls.x));
        if (maskCausal || maskEnd) {
          const int key = key0 + wkey + g + 8 * (e >> 1);
          const int query = q0 + 8 * j + 2 * t + (e & 1);
          if (key >= kS || (kCausal && key > query))
            p = 0.f;
        }
        st[j][e] = p;
      }
    }

    // P^T as bf16 A fragments (k index = queries); dV += P^T dY.
    u32 pf[4][4];
#pragma unroll
    for (int kk = 0; kk < 4; ++kk)
      accToA(pf[kk], st[2 * kk], st[2 * kk + 1]);
    mmaRowsNN(accV, pf, qLaneBT + kDyOffset);

    // dP^T = V dY^T, then dS^T = P^T (dP^T - delta) in place.
    float dpt[8][4];
    mmaRowsNT(dpt, [&](int ks, u32(&a)[4]) { ldmatrix4(a, blockAddr(kLaneA, 0, ks) + kVOffset); },
              qLaneB + kDyOffset);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const float2 de = *reinterpret_cast<const float2 *>(deltaRow + 8 * j + 2 * t);
      // P^T (rounded to bf16) of accumulator j: pf[j / 2][2 * (j % 2) + e / 2].
      const u32 p01 = pf[j / 2][2 * (j % 2)], p23 = pf[j / 2][2 * (j % 2) + 1];
      dpt[j][0] = bf16Lo(p01) * (dpt[j][0] - de.x);
      dpt[j][1] = bf16Hi(p01) * (dpt[j][1] - de.y);
      dpt[j][2] = bf16Lo(p23) * (dpt[j][2] - de.x);
      dpt[j][3] = bf16Hi(p23) * (dpt[j][3] - de.y);
    }

    // dS^T -> smem for dQ; dK += dS^T Q (k index = queries).
    u32 sf[4][4];
#pragma unroll
    for (int kk = 0; kk < 4; ++kk) {
      accToA(sf[kk], dpt[2 * kk], dpt[2 * kk + 1]);
      const int r0 = wkey + g;
      *reinterpret_cast<u32 *>(sdS + swz(r0, 2 * kk) + 2 * t) = sf[kk][0];
      *reinterpret_cast<u32 *>(sdS + swz(r0 + 8, 2 * kk) + 2 * t) = sf[kk][1];
      *reinterpret_cast<u32 *>(sdS + swz(r0, 2 * kk + 1) + 2 * t) = sf[kk][2];
      *reinterpret_cast<u32 *>(sdS + swz(r0 + 8, 2 * kk + 1) + 2 * t) = sf[kk][3];
    }
    mmaRowsNN(accK, sf, qLaneBT);
    __syncthreads(); // dS^T complete

    // dQ(q0 .. q0 + 63) += dS K: warp tile of 16 queries x kDqCols dims.
    {
      float acc[kDqCols / 8][4];
      zero(acc);
#pragma unroll
      for (int ks = 0; ks < kBN / 16; ++ks) {
        u32 af[4];
        ldmatrix4T(af, blockAddr(dsLaneAT, ks, 0));
#pragma unroll
        for (int np = 0; np < kDqCols / 16; ++np) {
          u32 kf[4];
          ldmatrix4T(kf, blockAddr(kLaneBT, ks, np));
          mma(acc[2 * np], af, kf[0], kf[1]);
          mma(acc[2 * np + 1], af, kf[2], kf[3]);
        }
      }
      float *dst = dqAcc + (static_cast<long long>(bh) * kTPad + q0 + mq + g) * kD + dc + 2 * t;
#pragma unroll
      for (int j = 0; j < kDqCols / 8; ++j) {
        asm volatile("red.global.add.v2.f32 [%0], {%1, %2};\n" ::"l"(dst + 8 * j),
                     "f"(acc[j][0]), "f"(acc[j][1])
                     : "memory");
        asm volatile("red.global.add.v2.f32 [%0], {%1, %2};\n" ::"l"(dst + 8 * kD + 8 * j),
                     "f"(acc[j][2]), "f"(acc[j][3])
                     : "memory");
      }
    }
  }

  // dk = scale * accK, dv = accV for keys below kS.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int key = key0 + wkey + g + 8 * r;
    if (key < kS) {
      storeAccRow<kDkF32>(dk, headRow<kDkMerged, kHkv, kS>(bkv, key) + 2 * t, accK, r, kScale);
      storeAccRow<kDvF32>(dv, headRow<kDvMerged, kHkv, kS>(bkv, key) + 2 * t, accV, r, 1.f);
    }
  }
}

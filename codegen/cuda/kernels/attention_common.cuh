//===- attention_common.cuh - helpers of the attention kernels ------------===//
//
// Shared by attention_fwd.cuh, attention_bwd.cuh and attention_aux.cuh.
// No headers: bf16 values are raw 16-bit patterns (bf16_t), conversions,
// exp2, tensor-core products and copies are inline PTX (sm_80+; the
// kernels are built for sm_90), so that NVRTC needs no include path.
//
// Tiles in shared memory are rows of 64 bf16 (128 bytes = eight 16-byte
// chunks). Chunk c of row r is stored at chunk c ^ (r & 7) (an XOR
// swizzle), so that ldmatrix over 8 rows of one chunk column and the
// 4-byte stores of mma fragments hit 32 distinct banks.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_ATTENTION_COMMON_CUH
#define GOLF_ATTENTION_COMMON_CUH

typedef unsigned short bf16_t;
typedef unsigned int u32;
typedef unsigned long long u64;

#define GOLF_DEVICE __device__ __forceinline__

namespace golf {

constexpr int kHeadDim = 64;      // the only head dimension supported (D = Dv = 64)
constexpr int kChunks = 8;        // 16-byte chunks per smem row of 64 bf16

/// Element offset of (row, chunk) in a swizzled [rows][64] bf16 tile.
GOLF_DEVICE int swz(int row, int chunk) { return row * kHeadDim + ((chunk ^ (row & 7)) << 3); }

GOLF_DEVICE float negInf() { return __int_as_float(0xff800000u); }

GOLF_DEVICE u32 smemAddr(const void *p) {
  return static_cast<u32>(__cvta_generic_to_shared(p));
}

/// 16-byte asynchronous copy global -> shared; bytes = 0 fills zeros.
GOLF_DEVICE void cpAsync16(u32 dst, const void *src, int bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
}
GOLF_DEVICE void cpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> GOLF_DEVICE void cpAsyncWait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

/// Offset of row `row` of head `bh` (batch * heads + head) in a
/// [B][heads][rows][64] tensor or, kMerged, in merge_heads' layout
/// [B][rows][heads][64] (the projections' own, so no copy splits or merges
/// the heads).
template <bool kMerged, int kHeads, int kRows>
GOLF_DEVICE long long headRow(long long bh, long long row) {
  if (!kMerged)
    return (bh * kRows + row) * kHeadDim;
  const long long b = bh / kHeads;
  return ((b * kRows + row) * kHeads + (bh - b * kHeads)) * kHeadDim;
}
/// Elements from one row of a head to the next.
template <bool kMerged, int kHeads> constexpr int kPitch = kMerged ? kHeads * kHeadDim : kHeadDim;

/// Copies rows [row0, row0 + kRows) of a head (row r at matrix + r * kRowPitch,
/// 64 bf16 each) into a swizzled smem tile; rows at or past `rowLimit`
/// become zero.
template <int kRows, int kThreads, int kRowPitch = kHeadDim>
GOLF_DEVICE void loadTile(bf16_t *tile, const bf16_t *matrix, int row0, int rowLimit, int tid) {
  static_assert(kRows * kChunks % kThreads == 0, "whole chunks per thread");
  const u32 base = smemAddr(tile);
#pragma unroll
  for (int n = 0; n < kRows * kChunks / kThreads; ++n) {
    const int i = tid + n * kThreads, r = i >> 3, c = i & 7;
    const bool ok = row0 + r < rowLimit;
    const bf16_t *src = matrix + (ok ? static_cast<long long>(row0 + r) * kRowPitch + c * 8 : 0);
    cpAsync16(base + 2 * swz(r, c), src, ok ? 16 : 0);
  }
}

GOLF_DEVICE void ldmatrix4(u32 (&r)[4], u32 addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
GOLF_DEVICE void ldmatrix4T(u32 (&r)[4], u32 addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

/// c += a * b on the tensor cores: m16n8k16, bf16 inputs, fp32 accumulators.
GOLF_DEVICE void mma(float (&c)[4], const u32 (&a)[4], u32 b0, u32 b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/// Two floats as bf16x2 (round to nearest even); `lo` in the low half.
GOLF_DEVICE u32 packBf16(float lo, float hi) {
  u32 r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}
GOLF_DEVICE float bf16Lo(u32 x) { return __uint_as_float(x << 16); }
GOLF_DEVICE float bf16Hi(u32 x) { return __uint_as_float(x & 0xffff0000u); }

GOLF_DEVICE float exp2Approx(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

/// Sum or max over the 4 lanes of a quad (the lanes holding one mma row).
GOLF_DEVICE float quadSum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}
GOLF_DEVICE float quadMax(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}

/// Stores two adjacent outputs (fp32 or bf16 storage).
template <bool kF32> GOLF_DEVICE void storePair(void *out, long long index, float a, float b) {
  if (kF32)
    *reinterpret_cast<float2 *>(static_cast<float *>(out) + index) = make_float2(a, b);
  else
    *reinterpret_cast<u32 *>(static_cast<bf16_t *>(out) + index) = packBf16(a, b);
}

/// Stores row r (0: the lane's row g, 1: row g + 8) of a warp's 16 x 64
/// accumulator times `mul`; `base` indexes the row's column 2t in `out`.
template <bool kF32>
GOLF_DEVICE void storeAccRow(void *out, long long base, const float (&acc)[8][4], int r, float mul) {
#pragma unroll
  for (int j = 0; j < 8; ++j)
    storePair<kF32>(out, base + 8 * j, mul * acc[j][2 * r], mul * acc[j][2 * r + 1]);
}

/// The C fragments of two adjacent n-tiles (keys 16kk .. 16kk + 15 of an
/// m16 x n8 accumulator row block) as the bf16 A fragment of the next mma.
GOLF_DEVICE void accToA(u32 (&a)[4], const float (&c0)[4], const float (&c1)[4]) {
  a[0] = packBf16(c0[0], c0[1]);
  a[1] = packBf16(c0[2], c0[3]);
  a[2] = packBf16(c1[0], c1[1]);
  a[3] = packBf16(c1[2], c1[3]);
}

// ldmatrix lane addressing for a 16 x 16 block at (row0, chunk0) of a
// swizzled tile. `A`: the A fragment of rows row0.. (row-major operand).
// `B`: two n-tiles of B fragments from 16 rows that are the n index (a K
// matrix stored [n][k]). `BT` (with ldmatrix .trans): two n-tiles of B
// fragments from 16 rows that are the k index (a V matrix stored [k][n]).
// `AT` (with .trans): the A fragment of a matrix stored transposed ([k][m]).
GOLF_DEVICE int laneRowA(int lane) { return (lane & 7) + (((lane >> 3) & 1) << 3); }
GOLF_DEVICE int laneChunkA(int lane) { return lane >> 4; }
GOLF_DEVICE int laneRowB(int lane) { return (lane & 7) + ((lane >> 4) << 3); }
GOLF_DEVICE int laneChunkB(int lane) { return (lane >> 3) & 1; }
GOLF_DEVICE int laneRowBT(int lane) { return laneRowA(lane); }
GOLF_DEVICE int laneChunkBT(int lane) { return laneChunkA(lane); }
GOLF_DEVICE int laneRowAT(int lane) { return laneRowB(lane); }
GOLF_DEVICE int laneChunkAT(int lane) { return laneChunkB(lane); }

/// A lane's ldmatrix address in a swizzled tile (row, chunk): the block
/// at 16-row block 0 and chunk pair 0 of its access pattern.
GOLF_DEVICE u32 laneAddr(u32 tile, int row, int chunk) { return tile + 2 * swz(row, chunk); }
/// The lane's address for 16-row block `rowBlock` and chunk pair `pair`
/// (chunks 2 * pair, 2 * pair + 1). Tiles are 128-byte aligned and the
/// swizzle maps chunk 2 * pair + c of row r to (2 * pair) ^ (c ^ (r & 7)),
/// so the pair is an XOR on address bits 5..6 and the row block an add.
GOLF_DEVICE u32 blockAddr(u32 lane, int rowBlock, int pair) {
  return (lane ^ static_cast<u32>(pair << 5)) + static_cast<u32>(rowBlock * 16 * 128);
}

template <int N> GOLF_DEVICE void zero(float (&acc)[N][4]) {
#pragma unroll
  for (int j = 0; j < N; ++j)
    acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.f;
}

/// acc = A B^T for one warp: A is 16 x 64 (its bf16 fragment for k step ks
/// from aFrag(ks, frag)), B is 64 x 64 stored [n][k] in a swizzled tile
/// (bLane: the lane's address for the `B` pattern).
template <class AFrag> GOLF_DEVICE void mmaRowsNT(float (&acc)[8][4], AFrag aFrag, u32 bLane) {
  zero(acc);
#pragma unroll
  for (int ks = 0; ks < 4; ++ks) {
    u32 a[4];
    aFrag(ks, a);
#pragma unroll
    for (int np = 0; np < 4; ++np) {
      u32 b[4];
      ldmatrix4(b, blockAddr(bLane, np, ks));
      mma(acc[2 * np], a, b[0], b[1]);
      mma(acc[2 * np + 1], a, b[2], b[3]);
    }
  }
}

/// acc += A B for one warp: A is 16 x 64 as bf16 fragments per k step, B
/// is 64 x 64 stored [k][n] in a swizzled tile (bLane: the `BT` pattern).
GOLF_DEVICE void mmaRowsNN(float (&acc)[8][4], const u32 (&a)[4][4], u32 bLane) {
#pragma unroll
  for (int kk = 0; kk < 4; ++kk) {
#pragma unroll
    for (int np = 0; np < 4; ++np) {
      u32 b[4];
      ldmatrix4T(b, blockAddr(bLane, kk, np));
      mma(acc[2 * np], a[kk], b[0], b[1]);
      mma(acc[2 * np + 1], a[kk], b[2], b[3]);
    }
  }
}

} // namespace golf

#endif // GOLF_ATTENTION_COMMON_CUH

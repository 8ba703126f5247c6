//===- ShapeTest.cpp - layout ops, embedding, bigram_hash ------------------===//
#include "TestUtil.h"

#include <numeric>

namespace golf::cpu::test {
namespace {

std::vector<double> iota(int n) {
  std::vector<double> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0);
  return v;
}

TEST(Shape, ReshapeBroadcastTranspose) {
  Tensor x = f64({2, 3}, iota(6));
  expectNear(run1("reshape", {x}, DType::F32, {3, 2}), iota(6), 0);
  expectNear(run1("broadcast", {f64({3}, {1, 2, 3})}, DType::F32, {2, 3}), {1, 2, 3, 1, 2, 3}, 0);
  expectNear(run1("broadcast", {f64({2, 1}, {1, 2})}, DType::F32, {2, 3}), {1, 1, 1, 2, 2, 2}, 0);
  expectNear(run1("transpose", {x}, DType::F32, {3, 2}, {{"perm", {1, 0}}}), {0, 3, 1, 4, 2, 5}, 0);
  // [2,3,4] perm (2,0,1) -> [4,2,3]; y[k][i][j] = x[i][j][k]
  Tensor z = f64({2, 3, 4}, iota(24));
  std::vector<double> want;
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        want.push_back(i * 12 + j * 4 + k);
  expectNear(run1("transpose", {z}, DType::F32, {4, 2, 3}, {{"perm", {2, 0, 1}}}), want, 0);
  // integer tensors transpose too
  auto ti = runSingle("transpose", {ids({2, 2}, {1, 2, 3, 4})}, {{DType::I32, {2, 2}}},
                      {{"perm", {1, 0}}})[0];
  expectNear(ti.toDoubles(), {1, 3, 2, 4}, 0);
}

TEST(Shape, SplitAndMergeHeads) {
  // [B=2, T=3, H*D=4] with H=2, D=2
  Tensor x = f64({2, 3, 4}, iota(24));
  std::vector<double> want;
  for (int b = 0; b < 2; ++b)
    for (int h = 0; h < 2; ++h)
      for (int t = 0; t < 3; ++t)
        for (int d = 0; d < 2; ++d)
          want.push_back(b * 12 + t * 4 + h * 2 + d);
  auto split = run1("split_heads", {x}, DType::F32, {2, 2, 3, 2}, {{"heads", 2}});
  expectNear(split, want, 0);
  expectNear(run1("merge_heads", {f64({2, 2, 3, 2}, split)}, DType::F32, {2, 3, 4}), iota(24), 0);
}

TEST(Shape, SliceConcatPad) {
  Tensor x = f64({3, 4}, iota(12));
  auto s = run1("slice", {x}, DType::F32, {2, 2}, {{"starts", {1, 1}}, {"limits", {3, 3}}});
  expectNear(s, {5, 6, 9, 10}, 0);
  expectNear(run1("concat", {f64({1, 2}, {1, 2}), f64({2, 2}, {3, 4, 5, 6})}, DType::F32, {3, 2},
                  {{"axis", 0}}),
             {1, 2, 3, 4, 5, 6}, 0);
  expectNear(run1("concat", {f64({2, 1}, {1, 2}), f64({2, 2}, {3, 4, 5, 6})}, DType::F32, {2, 3},
                  {{"axis", -1}}),
             {1, 3, 4, 2, 5, 6}, 0);
  expectNear(run1("pad", {f64({2, 2}, {1, 2, 3, 4})}, DType::F32, {3, 4},
                  {{"low", {1, 0}}, {"high", {0, 2}}}),
             {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}, 0);
}

TEST(Shape, ShiftBothWays) {
  Tensor x = f64({2, 3}, {1, 2, 3, 4, 5, 6});
  expectNear(run1("shift", {x}, DType::F32, {2, 3}, {{"axis", 1}, {"offset", 1}}),
             {0, 1, 2, 0, 4, 5}, 0);
  expectNear(run1("shift", {x}, DType::F32, {2, 3}, {{"axis", -1}, {"offset", -1}}),
             {2, 3, 0, 5, 6, 0}, 0);
  expectNear(run1("shift", {x}, DType::F32, {2, 3}, {{"axis", 0}, {"offset", 1}}),
             {0, 0, 0, 1, 2, 3}, 0);
  expectNear(run1("shift", {x}, DType::F32, {2, 3}, {{"axis", 1}, {"offset", 5}}),
             {0, 0, 0, 0, 0, 0}, 0);
}

TEST(Embedding, GathersRows) {
  Tensor table = f64({3, 2}, {0, 1, 10, 11, 20, 21});
  expectNear(run1("embedding", {table, ids({2, 2}, {2, 0, 1, 2})}, DType::F32, {2, 2, 2}),
             {20, 21, 0, 1, 10, 11, 20, 21}, 0);
}

TEST(Embedding, BigramHashMatchesFormula) {
  const int64_t buckets = 4096, mc = 36313, mp = 27191;
  std::vector<int32_t> t = {5, 1023, 0, 77, 900, 3, 3, 1000};
  auto h = runSingle("bigram_hash", {ids({2, 4}, t)}, {{DType::I32, {2, 4}}},
                     {{"buckets", buckets}, {"mul_cur", mc}, {"mul_prev", mp}})[0];
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 4; ++i) {
      int64_t want = buckets - 1;
      if (i > 0) {
        int32_t cur = int32_t(mc * t[size_t(b * 4 + i)]), prev = int32_t(mp * t[size_t(b * 4 + i - 1)]);
        want = (cur ^ prev) % (buckets - 1);
      }
      EXPECT_EQ(h.data<int32_t>()[b * 4 + i], want) << b << "," << i;
    }
}

} // namespace
} // namespace golf::cpu::test

//===- AveragingTest.cpp - EMA and SWA arithmetic, export rule ------------===//
#include "runtime/train/Averaging.h"

#include "TestUtil.h"

namespace golf::train::test {
namespace {

Averaging make(Json averaging) {
  std::string err;
  auto a = Averaging::create({{"averaging", averaging}}, err);
  EXPECT_TRUE(a.has_value()) << err;
  return *a;
}

cpu::ParamStore weights(double x, Storage storage = Storage::F64) {
  return {{"w", tensorOf({x, 2 * x}, {2}, storage)}};
}

TEST(Ema, Arithmetic) {
  Averaging a = make({{{"kind", "ema"}, {"decay", 0.9}, {"every", 1}}});
  std::string err;
  ASSERT_TRUE(a.start(weights(1.0), err)) << err;
  // shadow: 1 -> 0.9*1 + 0.1*2 = 1.1 -> 0.9*1.1 + 0.1*4 = 1.39
  ASSERT_TRUE(a.afterStep(weights(2.0), 1, 1.0, err)) << err;
  ASSERT_TRUE(a.afterStep(weights(4.0), 2, 1.0, err)) << err;
  EXPECT_EQ(a.exportSource(), WeightsSource::Ema);
  auto out = a.exportWeights(weights(4.0), err);
  ASSERT_TRUE(out) << err;
  EXPECT_NEAR((*out)["w"].get(0), 1.39, 1e-15);
  EXPECT_NEAR((*out)["w"].get(1), 2.78, 1e-15);
  EXPECT_EQ(a.emaShadow().at("w").dtype(), DType::F32);
}

TEST(Ema, EveryKSteps) {
  Averaging a = make({{{"kind", "ema"}, {"decay", 0.5}, {"every", 2}}});
  std::string err;
  ASSERT_TRUE(a.start(weights(0.0), err));
  ASSERT_TRUE(a.afterStep(weights(8.0), 1, 1.0, err)); // skipped
  ASSERT_TRUE(a.afterStep(weights(2.0), 2, 1.0, err)); // 0.5*0 + 0.5*2 = 1
  ASSERT_TRUE(a.afterStep(weights(8.0), 3, 1.0, err)); // skipped
  ASSERT_TRUE(a.afterStep(weights(3.0), 4, 1.0, err)); // 0.5*1 + 0.5*3 = 2
  EXPECT_DOUBLE_EQ(a.emaShadow().at("w").get(0), 2.0);
}

TEST(Ema, ExportRoundsToTheParamDtype) {
  Averaging a = make({{{"kind", "ema"}, {"decay", 0.997}}});
  std::string err;
  cpu::ParamStore live{{"e", tensorOf({0.1, 0.2}, {2}, Storage::F32, DType::BF16)}};
  ASSERT_TRUE(a.start(live, err));
  cpu::ParamStore next{{"e", tensorOf({0.3, 0.7}, {2}, Storage::F32, DType::BF16)}};
  ASSERT_TRUE(a.afterStep(next, 1, 1.0, err));
  auto out = a.exportWeights(next, err);
  ASSERT_TRUE(out) << err;
  EXPECT_EQ((*out)["e"].dtype(), DType::BF16);
  double shadow = a.emaShadow().at("e").get(0);
  EXPECT_NE(shadow, cpu::roundToDType(shadow, DType::BF16)); // fp32 shadow keeps detail
  EXPECT_EQ((*out)["e"].get(0), cpu::roundToDType(shadow, DType::BF16));
}

TEST(Swa, SnapshotsBelowThresholdEveryK) {
  Averaging a = make({{{"kind", "swa"}, {"every", 2}, {"below_lr_scale", 0.5}, {"apply", true}}});
  std::string err;
  ASSERT_TRUE(a.start(weights(100.0), err));
  ASSERT_TRUE(a.afterStep(weights(1.0), 2, 0.6, err)); // multiplier too high
  ASSERT_TRUE(a.afterStep(weights(2.0), 3, 0.4, err)); // not a multiple of 2
  EXPECT_EQ(a.swaCount(), 0);
  EXPECT_EQ(a.exportSource(), WeightsSource::Live); // apply, but nothing taken yet
  ASSERT_TRUE(a.afterStep(weights(3.0), 4, 0.4, err));
  ASSERT_TRUE(a.afterStep(weights(6.0), 6, 0.1, err));
  ASSERT_TRUE(a.afterStep(weights(9.0), 8, 0.0, err));
  EXPECT_EQ(a.swaCount(), 3);
  EXPECT_EQ(a.exportSource(), WeightsSource::Swa);
  auto out = a.exportWeights(weights(9.0), err);
  ASSERT_TRUE(out) << err;
  EXPECT_DOUBLE_EQ((*out)["w"].get(0), 6.0);
  EXPECT_DOUBLE_EQ((*out)["w"].get(1), 12.0);
}

TEST(Averaging, ExportRule) {
  std::string err;
  Json ema = {{"kind", "ema"}, {"decay", 0.5}};
  Json swaApply = {{"kind", "swa"}, {"every", 1}, {"below_lr_scale", 2.0}, {"apply", true}};
  Json swaKeep = {{"kind", "swa"}, {"every", 1}, {"below_lr_scale", 2.0}, {"apply", false}};
  auto run = [&](Json list) {
    Averaging a = make(list);
    EXPECT_TRUE(a.start(weights(0.0), err));
    EXPECT_TRUE(a.afterStep(weights(4.0), 1, 1.0, err));
    auto out = a.exportWeights(weights(4.0), err);
    return std::make_pair(a.exportSource(), out ? (*out)["w"].get(0) : -1.0);
  };
  EXPECT_EQ(run(Json::array()), std::make_pair(WeightsSource::Live, 4.0));
  EXPECT_EQ(run({ema}), std::make_pair(WeightsSource::Ema, 2.0));
  EXPECT_EQ(run({swaApply}), std::make_pair(WeightsSource::Swa, 4.0));
  EXPECT_EQ(run({swaKeep}), std::make_pair(WeightsSource::Live, 4.0));
  EXPECT_EQ(run({ema, swaApply}), std::make_pair(WeightsSource::Ema, 2.0));
  EXPECT_STREQ(weightsSourceName(WeightsSource::Swa), "swa");
}

TEST(Averaging, StateRoundTrip) {
  Json list = {{{"kind", "ema"}, {"decay", 0.9}},
               {{"kind", "swa"}, {"every", 1}, {"below_lr_scale", 1.5}, {"apply", false}}};
  Averaging a = make(list), b = make(list);
  std::string err;
  ASSERT_TRUE(a.start(weights(1.0), err));
  ASSERT_TRUE(a.afterStep(weights(3.0), 1, 1.0, err));
  StateBlob st = a.saveState();
  ASSERT_TRUE(b.loadState(st, err)) << err;
  ASSERT_TRUE(a.afterStep(weights(5.0), 2, 1.0, err));
  ASSERT_TRUE(b.afterStep(weights(5.0), 2, 1.0, err));
  EXPECT_TRUE(sameBits(a.emaShadow().at("w"), b.emaShadow().at("w")));
  EXPECT_EQ(b.swaCount(), 2);
  auto avg = b.swaAverage(weights(0.0), err);
  ASSERT_TRUE(avg) << err;
  EXPECT_DOUBLE_EQ((*avg)["w"].get(0), 4.0);
  // The saved blob did not move with the training that followed.
  EXPECT_NEAR(st.tensors.at("ema/w").get(0), 1.2, 1e-15);
}

TEST(Averaging, Errors) {
  std::string err;
  EXPECT_FALSE(Averaging::create({{"averaging", {{{"kind", "polyak"}}}}}, err));
  EXPECT_NE(err.find("unknown averaging 'polyak'"), std::string::npos) << err;
  Averaging a = make({{{"kind", "ema"}, {"decay", 0.9}}});
  EXPECT_FALSE(a.afterStep(weights(1.0), 1, 1.0, err));
  EXPECT_NE(err.find("before start"), std::string::npos) << err;
  ASSERT_TRUE(a.start(weights(1.0), err));
  EXPECT_FALSE(a.afterStep({{"v", tensorOf({1, 2}, {2})}}, 1, 1.0, err));
  EXPECT_NE(err.find("'v' has no EMA shadow"), std::string::npos) << err;
}

} // namespace
} // namespace golf::train::test

//===- ScheduleTest.cpp - LR multiplier, stop rule, late-phase switches ---===//
#include "runtime/train/Schedule.h"

#include "TestUtil.h"

namespace golf::train::test {
namespace {

Schedule make(Json train) {
  std::string err;
  auto s = Schedule::create(train, err);
  EXPECT_TRUE(s.has_value()) << err;
  return *s;
}

TEST(Schedule, NoDirectivesIsConstant) {
  Schedule s = make({{"iterations", 100}});
  EXPECT_EQ(s.lrMultiplier(0, 0), 1.0);
  EXPECT_EQ(s.lrMultiplier(99, 1e6), 1.0);
}

TEST(Schedule, WarmdownByIterations) {
  Schedule s = make({{"iterations", 100}, {"wallclock", 0},
                     {"schedules", {{{"kind", "warmdown"}, {"steps", 20}, {"by", "iterations"}}}}});
  EXPECT_EQ(s.lrMultiplier(0, 0), 1.0);
  EXPECT_EQ(s.lrMultiplier(79, 0), 1.0);
  EXPECT_DOUBLE_EQ(s.lrMultiplier(80, 0), 1.0); // (100 - 80) / 20
  EXPECT_DOUBLE_EQ(s.lrMultiplier(90, 0), 0.5);
  EXPECT_DOUBLE_EQ(s.lrMultiplier(99, 0), 0.05);
  EXPECT_EQ(s.lrMultiplier(100, 0), 0.0);
  // The clock does not matter for this rule.
  EXPECT_DOUBLE_EQ(s.lrMultiplier(90, 1e9), 0.5);
}

TEST(Schedule, WarmdownByWallclockWithFakeClock) {
  // The baseline: 1200 warmdown "iterations" over a 600 s cap. With 0.1 s
  // per step the window is 120 s, so the decay starts at 480 s (step 4800).
  Schedule s = make({{"iterations", 20000}, {"wallclock", 600.0},
                     {"schedules", {{{"kind", "warmdown"}, {"steps", 1200}, {"by", "wallclock"}}}}});
  auto at = [&](int64_t step) { return s.lrMultiplier(step, 0.1 * double(step)); };
  EXPECT_EQ(at(0), 1.0);
  EXPECT_EQ(at(1000), 1.0);
  EXPECT_EQ(at(4799), 1.0);
  EXPECT_NEAR(at(4800), 1.0, 1e-12);
  EXPECT_NEAR(at(5400), 0.5, 1e-12);
  EXPECT_NEAR(at(5940), 0.05, 1e-12);
  EXPECT_EQ(at(6000), 0.0);
  EXPECT_EQ(at(7000), 0.0);
  // R <= W with R = 600 - e, W = 1200 e / step: a slower run starts earlier.
  EXPECT_NEAR(s.lrMultiplier(2000, 400.0), 200.0 / 240.0, 1e-12);
  // Step 0 divides by max(step, 1): the baseline's rule, literally (its
  // step 0 starts the clock, so elapsed is ~0 there).
  EXPECT_NEAR(s.lrMultiplier(0, 0.5), 599.5 / 600.0, 1e-15);
}

TEST(Schedule, WallclockWarmdownWithoutCapUsesIterations) {
  Schedule s = make({{"iterations", 100}, {"wallclock", 0.0},
                     {"schedules", {{{"kind", "warmdown"}, {"steps", 20}, {"by", "wallclock"}}}}});
  EXPECT_DOUBLE_EQ(s.lrMultiplier(90, 5.0), 0.5);
}

TEST(Schedule, WarmupThenWarmdownMultiply) {
  Schedule s = make({{"iterations", 100}, {"wallclock", 0},
                     {"schedules", {{{"kind", "warmup"}, {"steps", 10}},
                                    {{"kind", "warmdown"}, {"steps", 95}}}}});
  EXPECT_DOUBLE_EQ(s.lrMultiplier(0, 0), 0.1);
  EXPECT_DOUBLE_EQ(s.lrMultiplier(4, 0), 0.5);
  EXPECT_DOUBLE_EQ(s.lrMultiplier(9, 0), 95.0 / 95.0 * 1.0 * (91.0 / 95.0));
  EXPECT_DOUBLE_EQ(s.lrMultiplier(50, 0), 50.0 / 95.0);
}

TEST(Schedule, MomentumWarmup) {
  EXPECT_DOUBLE_EQ(warmupMomentum(0.85, 0.95, 500, 0), 0.85);
  EXPECT_DOUBLE_EQ(warmupMomentum(0.85, 0.95, 500, 250), 0.9);
  EXPECT_DOUBLE_EQ(warmupMomentum(0.85, 0.95, 500, 500), 0.95);
  EXPECT_DOUBLE_EQ(warmupMomentum(0.85, 0.95, 500, 10000), 0.95);
  EXPECT_DOUBLE_EQ(warmupMomentum(0.92, 0.99, 0, 0), 0.99);
}

TEST(Schedule, StopRule) {
  Schedule s = make({{"iterations", 50}, {"wallclock", 10.0}});
  EXPECT_FALSE(s.shouldStop(49, 9.99));
  EXPECT_TRUE(s.shouldStop(50, 1.0));
  EXPECT_TRUE(s.shouldStop(3, 10.0));
  Schedule uncapped = make({{"iterations", 50}, {"wallclock", 0}});
  EXPECT_FALSE(uncapped.shouldStop(49, 1e9));
}

TEST(Schedule, FakeClockTrainingLoop) {
  // The loop of train_gpt.py with a fake clock of 0.1 s per step and a 10 s
  // cap: 100 steps, the multiplier decays over the last 20, the last step
  // runs at 1/20 and the cap stops the run.
  Schedule s = make({{"iterations", 1000}, {"wallclock", 10.0},
                     {"schedules", {{{"kind", "warmdown"}, {"steps", 20}, {"by", "wallclock"}}}}});
  double elapsed = 0;
  int64_t step = 0;
  std::vector<double> mults;
  while (true) {
    mults.push_back(s.lrMultiplier(step, elapsed));
    elapsed += 0.1;
    ++step;
    if (s.shouldStop(step, elapsed + 1e-9))
      break;
  }
  EXPECT_EQ(step, 100);
  EXPECT_EQ(mults[0], 1.0);
  EXPECT_NEAR(mults[79], 1.0, 1e-9);
  EXPECT_NEAR(mults[90], 0.5, 1e-9);
  EXPECT_NEAR(mults[99], 0.05, 1e-9);
}

TEST(Schedule, LateQatThreshold) {
  Schedule none = make(Json::object());
  EXPECT_FALSE(none.qatEnabled());
  EXPECT_FALSE(none.qatActive(0.0));
  Schedule late = make({{"qat", {{"kind", "qat"}, {"below_lr_scale", 0.15}, {"mode", "soft_round"},
                                 {"alpha_start", 1.0}, {"alpha_end", 16.0}}}});
  EXPECT_TRUE(late.qatEnabled());
  EXPECT_FALSE(late.qatActive(1.0));
  EXPECT_FALSE(late.qatActive(0.15));
  EXPECT_TRUE(late.qatActive(0.1499));
  EXPECT_DOUBLE_EQ(late.softRoundAlpha(0.15), 1.0);
  EXPECT_DOUBLE_EQ(late.softRoundAlpha(0.075), 8.5);
  EXPECT_DOUBLE_EQ(late.softRoundAlpha(0.0), 16.0);
  Schedule always = make({{"qat", {{"kind", "qat"}, {"below_lr_scale", 1.0}}}});
  EXPECT_TRUE(always.qatActive(1.0));
  Schedule crown = make({{"crown_q", {{"kind", "crown_q"}, {"weight", 0.01}, {"during", "warmdown"}}}});
  EXPECT_FALSE(crown.crownQActive(1.0));
  EXPECT_TRUE(crown.crownQActive(0.99));
}

TEST(Schedule, Errors) {
  std::string err;
  EXPECT_FALSE(Schedule::create({{"schedules", {{{"kind", "cosine"}, {"steps", 3}}}}}, err));
  EXPECT_NE(err.find("unknown schedule 'cosine'"), std::string::npos) << err;
  EXPECT_FALSE(Schedule::create({{"schedules", {{{"kind", "warmdown"}}}}}, err));
  EXPECT_NE(err.find("warmdown(...) needs 'steps'"), std::string::npos) << err;
  EXPECT_FALSE(Schedule::create(
      {{"schedules", {{{"kind", "warmdown"}, {"steps", 3}, {"by", "tokens"}}}}}, err));
  EXPECT_NE(err.find("'by' must be iterations or wallclock"), std::string::npos) << err;
}

} // namespace
} // namespace golf::train::test

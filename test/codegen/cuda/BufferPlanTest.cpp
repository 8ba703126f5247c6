//===- BufferPlanTest.cpp - arena offsets, reuse and the live-bytes bound -===//
//
// A chain of steps over hand-made values: values whose lifetimes do not
// overlap share bytes, views share their source's, arguments live from the
// start and results (and what weights-only steps make) to the end, and
// the reported peak of live bytes is the arena's
// lower bound at the step where it occurs. A step order that reads a value
// before it is written is refused.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/BufferPlan.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace golf::cudagen {
namespace {

/// A step that reads `in` and writes `out` (a generated kernel, or a view).
Step step(std::vector<int> in, std::vector<int> out, Step::Kind kind = Step::Program) {
  Step s;
  s.kind = kind;
  s.operands = std::move(in);
  s.results = std::move(out);
  return s;
}

TEST(BufferPlan, ReusesDeadBuffersAndReportsThePeak) {
  FunctionProgram p;
  // %0 argument (1 KiB); %1, %2, %3 are 4 KiB of f32 each; %4 views %3.
  p.values = {{plan::DType::F32, {256}}, {plan::DType::F32, {1024}}, {plan::DType::F32, {1024}},
              {plan::DType::F32, {1024}}, {plan::DType::F32, {32, 32}}};
  p.materialized.assign(5, true);
  p.steps = {step({0}, {1}), step({1}, {2}), step({2}, {3}), step({3}, {4}, Step::Alias)};
  BufferPlan b = planBuffers(p, {0}, {4});
  // %1 dies at step 1, so %3 (born at step 2) takes its bytes; %2 overlaps both.
  EXPECT_EQ(b.offset[3], b.offset[1]);
  EXPECT_NE(b.offset[2], b.offset[1]);
  EXPECT_EQ(b.offset[4], b.offset[3]);
  EXPECT_EQ(b.root[4], 3);
  // Live at step 1: %1 and %2 (the argument died after step 0, its last reader).
  EXPECT_EQ(b.peakLiveBytes, 2 * 4096u);
  EXPECT_EQ(b.peakStep, 1);
  EXPECT_GE(b.arenaBytes, b.peakLiveBytes);
  EXPECT_EQ(b.naiveBytes, 1024u + 3 * 4096u);
  for (int v : {0, 1, 2, 3})
    EXPECT_EQ(b.offset[size_t(v)] % int64_t(BufferPlan::kAlign), 0);
}

TEST(BufferPlan, WhatWeightsOnlyStepsMakeLivesToTheEnd) {
  FunctionProgram p;
  // %0 a parameter, %1 its cast (made once per optimizer step, read by the
  // first micro-batch step only), %2 the argument, %3 and %4 made from it.
  p.values = {{plan::DType::F32, {1024}}, {plan::DType::BF16, {1024}}, {plan::DType::F32, {1024}},
              {plan::DType::F32, {1024}}, {plan::DType::F32, {1024}}};
  p.materialized.assign(5, true);
  p.params = {{0, "w"}};
  p.steps = {step({0}, {1}), step({1, 2}, {3}), step({3}, {4})};
  p.steps[0].weightsOnly = true;
  BufferPlan b = planBuffers(p, {2}, {4});
  // %1 is read last at step 1 but outlives the batch steps: the next
  // micro-batch reads it again without step 0, so %4 may not take its bytes.
  EXPECT_NE(b.offset[4], b.offset[1]);
  EXPECT_EQ(b.offset[0], -1); // the parameter has its own buffer
  // Without the flag %4 reuses a dead buffer (the argument's or %1's).
  p.steps[0].weightsOnly = false;
  BufferPlan plain = planBuffers(p, {2}, {4});
  EXPECT_TRUE(plain.offset[4] == plain.offset[1] || plain.offset[4] == plain.offset[2]);
}

TEST(BufferPlan, ReadingAValueBeforeItIsWrittenIsAnError) {
  FunctionProgram p;
  p.values = {{plan::DType::F32, {256}}, {plan::DType::F32, {256}}, {plan::DType::F32, {256}}};
  p.materialized.assign(3, true);
  // Step 0 reads %2, which only step 1 writes.
  p.steps = {step({0, 2}, {1}), step({1}, {2})};
  p.steps[0].label = "op #7 add";
  try {
    planBuffers(p, {0}, {2});
    ADD_FAILURE() << "no error";
  } catch (const std::logic_error &e) {
    EXPECT_STREQ(e.what(), "step 0 (op #7 add) reads %2 before any step writes it");
  }
}

} // namespace
} // namespace golf::cudagen

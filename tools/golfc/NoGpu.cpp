//===- NoGpu.cpp - the GPU entry points in a build without CUDA -----------===//
#include "Gpu.h"

namespace golf {

namespace {
const char *kNoCuda = "this golfc was built without the CUDA runtime (no CUDA toolkit at build time)";
} // namespace

int gpuCount(std::string &why) {
  why = kNoCuda;
  return 0;
}

std::unique_ptr<Trainer> makeGpuTrainer(const plan::Plan &, const Ranks &, int64_t,
                                        const cudagen::LowerOptions &, std::string &error) {
  error = kNoCuda;
  return nullptr;
}

std::optional<NllScorer> gpuScorer(const plan::Plan &, const cpu::ParamStore &,
                                   std::string &error) {
  error = kNoCuda;
  return std::nullopt;
}

std::optional<exporter::GramRunner> gpuGramRunner(const plan::Plan &, const cpu::ParamStore &,
                                                  std::string &error) {
  error = kNoCuda;
  return std::nullopt;
}

} // namespace golf

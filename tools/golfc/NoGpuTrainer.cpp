//===- NoGpuTrainer.cpp - makeGpuTrainer in a build without CUDA ----------===//
#include "Trainer.h"

namespace golf {

std::unique_ptr<Trainer> makeGpuTrainer(const plan::Plan &, std::string &error) {
  error = "this golfc was built without the CUDA runtime (no CUDA toolkit at build time)";
  return nullptr;
}

} // namespace golf

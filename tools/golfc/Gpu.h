//===- Gpu.h - golfc's GPU entry points -------------------------*- C++ -*-===//
//
// What the commands run on the GPU (Gpu.cpp, built with the CUDA runtime;
// NoGpu.cpp answers each with a one-line reason in a build without it).
// Each returns nothing and sets `error` when no GPU is usable, so a command
// can fall back to the CPU reference executor and say why.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_TOOLS_GOLFC_GPU_H
#define GOLF_TOOLS_GOLFC_GPU_H

#include "Evaluate.h"
#include "Trainer.h"

#include "codegen/cuda/Lowering.h"
#include "runtime/export/Calibrate.h"

namespace golf {

/// GPUs on this machine (0 with `why` when there are none or no CUDA).
int gpuCount(std::string &why);

/// golfc train's steps on the GPU (cuda/TrainStep.h), `accumulation`
/// micro-batches per step on this rank, lowered with `lowering`; in a
/// data-parallel run on GPU LOCAL_RANK, with the ranks' NCCL communicator.
std::unique_ptr<Trainer> makeGpuTrainer(const plan::Plan &plan, const Ranks &ranks,
                                        int64_t accumulation, const cudagen::LowerOptions &lowering,
                                        std::string &error);

/// @nll with `params` (compiled and uploaded here; the scorer owns its
/// executor).
std::optional<NllScorer> gpuScorer(const plan::Plan &plan, const cpu::ParamStore &params,
                                   std::string &error);

/// GPTQ's calibration runs with `params`: the collector's function on the
/// GPU and x^T x of each input as a cuBLASLt product there (fp32
/// accumulation), so only cols x cols sums come back.
std::optional<exporter::GramRunner> gpuGramRunner(const plan::Plan &plan,
                                                  const cpu::ParamStore &params,
                                                  std::string &error);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_GPU_H

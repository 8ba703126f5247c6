//===- MultiTensor.cpp - one launch over many tensors ---------------------===//
#include "runtime/cuda/MultiTensor.h"
#include "runtime/cuda/Nvrtc.h"
#include "runtime/cuda/TrainSources.inc"

#include <stdexcept>

namespace golf::cuda {

int mtDType(plan::DType d) {
  switch (d) {
  case plan::DType::F32:
    return golf_mt::kF32;
  case plan::DType::BF16:
    return golf_mt::kBF16;
  default:
    throw std::runtime_error(std::string("the GPU trainer keeps f32 and bf16 parameters, not ") +
                             plan::dtypeName(d));
  }
}

std::vector<KernelSource> trainKernelSources() {
  namespace k = golf::cuda::kernels;
  // Each entry point's file, behind the shared tables and helpers.
  const std::pair<const char *, const char *> entries[] = {
      {"golf_grad_accumulate", k::grad_accumulate}, {"golf_loss_accumulate", k::grad_accumulate},
      {"golf_grad_sumsq", k::grad_norm},             {"golf_grad_clip", k::grad_norm},
      {"golf_adam", k::adam},                        {"golf_muon_momentum", k::muon},
      {"golf_muon_normalize", k::muon},              {"golf_muon_update", k::muon},
      {"golf_ema", k::ema}};
  std::vector<KernelSource> sources;
  for (const auto &[name, body] : entries)
    sources.push_back({name, std::string(k::multi_tensor) + body});
  return sources;
}

TrainKernels TrainKernels::load(const std::string &arch, const std::string &cacheDir) {
  std::vector<KernelSource> sources = trainKernelSources();
  NvrtcOptions options;
  options.arch = arch;
  options.cacheDir = cacheDir;
  TrainKernels out;
  out.library = KernelLibrary::load(sources, compileCubins(sources, options));
  out.accumulate = out.library.get("golf_grad_accumulate");
  out.loss = out.library.get("golf_loss_accumulate");
  out.sumsq = out.library.get("golf_grad_sumsq");
  out.clip = out.library.get("golf_grad_clip");
  out.adam = out.library.get("golf_adam");
  out.muonMomentum = out.library.get("golf_muon_momentum");
  out.muonNormalize = out.library.get("golf_muon_normalize");
  out.muonUpdate = out.library.get("golf_muon_update");
  out.ema = out.library.get("golf_ema");
  return out;
}

void MultiTensorPass::add(const golf_mt::Tensor &t, int64_t matrixElems) {
  const int index = int(hostTensors_.size());
  hostTensors_.push_back(t);
  const int64_t span = matrixElems > 0 ? matrixElems : t.numel;
  for (int64_t m = 0; span > 0 && m < t.numel; m += span) {
    const int first = int(hostChunks_.size());
    const int64_t end = std::min(m + span, int64_t(t.numel));
    for (int64_t b = m; b < end; b += kChunk)
      hostChunks_.push_back({index, first, 0, 0, b, std::min(b + kChunk, end)});
    for (size_t c = size_t(first); c < hostChunks_.size(); ++c)
      hostChunks_[c].partials = int(hostChunks_.size()) - first;
  }
}

void MultiTensorPass::upload() {
  tensors_ = DeviceBuffer(hostTensors_.size() * sizeof(golf_mt::Tensor));
  chunks_ = DeviceBuffer(hostChunks_.size() * sizeof(golf_mt::Chunk));
  copyToDevice(tensors_.data(), hostTensors_.data(), tensors_.bytes());
  copyToDevice(chunks_.data(), hostChunks_.data(), chunks_.bytes());
}

} // namespace golf::cuda

//===- Device.cpp - finding a usable GPU ----------------------------------===//
#include "runtime/cuda/Device.h"

#include "runtime/cuda/Error.h"

#include <algorithm>

namespace golf::cuda {

std::string DeviceInfo::arch() const {
  return "sm_" + std::to_string(major) + std::to_string(minor);
}

int deviceCount(std::string &why) {
  int count = 0;
  if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
    why = "cudaGetDeviceCount: " + describe(e);
    return 0;
  }
  if (count == 0)
    why = "the CUDA driver reports no device";
  return count;
}

std::optional<DeviceInfo> probeDevice(std::string &why, int ordinal) {
  const int count = deviceCount(why);
  if (count == 0)
    return std::nullopt;
  if (ordinal >= count) {
    why = "GPU " + std::to_string(ordinal) + " was asked for, but the CUDA driver reports " +
          std::to_string(count) + " device(s)";
    return std::nullopt;
  }
  std::string reasons;
  for (int i = std::max(ordinal, 0); i < (ordinal >= 0 ? ordinal + 1 : count); ++i) {
    cudaDeviceProp p{};
    cudaError_t e = cudaGetDeviceProperties(&p, i);
    // cudaFree(nullptr) creates the primary context: the device is only
    // usable if that works (a compute-prohibited GPU, or an exclusive-process
    // one held by another process, fails here).
    if (e == cudaSuccess)
      e = cudaSetDevice(i);
    if (e == cudaSuccess)
      e = cudaFree(nullptr);
    if (e != cudaSuccess) {
      reasons += (reasons.empty() ? "" : "; ") + ("device " + std::to_string(i) + ": " + describe(e));
      continue;
    }
    DeviceInfo d;
    d.ordinal = i;
    d.name = p.name;
    d.major = p.major;
    d.minor = p.minor;
    d.smCount = p.multiProcessorCount;
    d.totalBytes = p.totalGlobalMem;
    d.sharedPerBlockOptin = p.sharedMemPerBlockOptin;
    d.l2Bytes = static_cast<size_t>(p.l2CacheSize);
    return d;
  }
  why = "no usable device: " + reasons;
  return std::nullopt;
}

} // namespace golf::cuda

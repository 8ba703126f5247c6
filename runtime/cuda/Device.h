//===- Device.h - finding a usable GPU --------------------------*- C++ -*-===//
//
// probeDevice() is how the runtime (and the GPU tests) decide whether there
// is a GPU to run on. Any failure counts as "no GPU": on the development and
// CI machines cudaGetDeviceCount returns cudaErrorInsufficientDriver (35),
// not cudaErrorNoDevice, because there is no driver at all.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_DEVICE_H
#define GOLF_RUNTIME_CUDA_DEVICE_H

#include <cstddef>
#include <optional>
#include <string>

namespace golf::cuda {

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int major = 0, minor = 0, smCount = 0;
  size_t totalBytes = 0, sharedPerBlockOptin = 0, l2Bytes = 0;
  /// The NVRTC architecture of this device, e.g. "sm_90".
  std::string arch() const;
};

/// The first usable GPU (a context can be created on it), or GPU `ordinal`
/// when given (a data-parallel rank's LOCAL_RANK), made the current device;
/// or nothing, with a one-line reason in `why` (no driver, no such device,
/// every device prohibited or failing).
std::optional<DeviceInfo> probeDevice(std::string &why, int ordinal = -1);

/// How many GPUs the driver reports (0, with `why`, when it cannot say).
int deviceCount(std::string &why);

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_DEVICE_H

//===- GpuTest.h - the GPU test gate ----------------------------*- C++ -*-===//
#ifndef GOLF_TEST_RUNTIME_CUDA_GPUTEST_H
#define GOLF_TEST_RUNTIME_CUDA_GPUTEST_H

#include "runtime/cuda/Device.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace golf::cuda::test {

/// The device probe, done once per process. `why` says why there is none.
inline const std::optional<DeviceInfo> &gpu(std::string *why = nullptr) {
  static std::string reason;
  static const std::optional<DeviceInfo> device = probeDevice(reason);
  if (why)
    *why = reason;
  return device;
}

/// Skips the calling test, with one line saying why, when no GPU is usable
/// (always on the CPU-only development and CI machines).
#define GOLF_REQUIRE_GPU()                                                                         \
  do {                                                                                             \
    std::string why_;                                                                              \
    if (!::golf::cuda::test::gpu(&why_))                                                           \
      GTEST_SKIP() << "no usable GPU: " << why_;                                                   \
  } while (0)

} // namespace golf::cuda::test

#endif // GOLF_TEST_RUNTIME_CUDA_GPUTEST_H

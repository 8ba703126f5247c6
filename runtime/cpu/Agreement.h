//===- Agreement.h - does a backend's result agree with the reference? -*- C++ -*-===//
//
// golfc check's verdict on one result tensor. The CPU reference rounds where
// the program rounds (bf16 values), so a backend that sums in another order
// lands within bf16 noise of it, not on it: deep gradients of a bf16 model
// differ by a few percent although both are right. The relative error to
// the reference decides first; where it is over the tolerance, both results
// are measured against the same function run in float64 without rounding
// (the exact math), and the backend passes if it is no further from it than
// twice the reference's own distance (PyTorch's inductor judges its bf16
// kernels the same way), and within ten times the tolerance. A real error
// (a wrong kernel, a semantic difference such as bf16 operands in an f32
// attention) stays far outside the reference's rounding noise and fails.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CPU_AGREEMENT_H
#define GOLF_RUNTIME_CPU_AGREEMENT_H

#include "runtime/cpu/Tensor.h"

#include <optional>

namespace golf::cpu {

/// ||a - b|| / ||b|| over all elements, and whether every element of `a` is
/// finite (NaN never passes).
struct RelativeError {
  double rel;
  bool finite;
};
RelativeError relativeError(const Tensor &a, const Tensor &b);

/// How far from the exact (float64) result the backend and the reference are.
struct ExactDistance {
  double backend;
  double reference;
};

struct Agreement {
  RelativeError toReference;
  std::optional<ExactDistance> toExact; ///< set where judged against the exact result
  bool ok;
};

/// The multiple of the reference's distance to the exact result a backend
/// may have, and the cap on it in tolerances.
constexpr double kNoiseMultiple = 2.0, kNoiseCapInTolerances = 10.0;

/// Whether the reference's error alone decides: finite and within tolerance.
bool withinTolerance(const RelativeError &e, double tolerance);

/// The verdict on `backend` against `reference`, given the exact result
/// (nullptr: judged on the tolerance alone).
Agreement judge(const Tensor &backend, const Tensor &reference, const Tensor *exact, double tolerance);

} // namespace golf::cpu

#endif // GOLF_RUNTIME_CPU_AGREEMENT_H

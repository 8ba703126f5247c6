//===- Agreement.cpp - golfc check's verdict on one result tensor ---------===//
#include "runtime/cpu/Agreement.h"

#include <algorithm>
#include <cmath>

namespace golf::cpu {

RelativeError relativeError(const Tensor &a, const Tensor &b) {
  double diff = 0, norm = 0;
  bool finite = true;
  for (int64_t i = 0; i < b.numel(); ++i) {
    double x = a.get(i), y = b.get(i);
    finite = finite && std::isfinite(x);
    diff += (x - y) * (x - y);
    norm += y * y;
  }
  return {std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30), finite};
}

bool withinTolerance(const RelativeError &e, double tolerance) {
  return e.finite && e.rel <= tolerance;
}

Agreement judge(const Tensor &backend, const Tensor &reference, const Tensor *exact, double tolerance) {
  Agreement a{relativeError(backend, reference), std::nullopt, false};
  a.ok = withinTolerance(a.toReference, tolerance);
  if (a.ok || !a.toReference.finite || !exact)
    return a;
  ExactDistance d{relativeError(backend, *exact).rel, relativeError(reference, *exact).rel};
  a.toExact = d;
  a.ok = d.backend <= kNoiseMultiple * d.reference && d.backend <= kNoiseCapInTolerances * tolerance;
  return a;
}

} // namespace golf::cpu

//===- SumAcrossRanks.h - the one collective the CPU-side code needs -*- C++ -*-===//
//
// Code that splits work across the ranks of a data-parallel run (gradient
// accumulation, evaluation windows) gives back float64 sums through this,
// without depending on how ranks talk: every rank calls it with the same
// count, and `data` becomes the sum over the ranks, added in rank order
// (so the result is the same on every rank and from run to run). A single
// process passes a null function: nothing to sum.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DIST_SUMACROSSRANKS_H
#define GOLF_RUNTIME_DIST_SUMACROSSRANKS_H

#include <cstddef>
#include <functional>
#include <string>

namespace golf::dist {

using SumAcrossRanks = std::function<bool(double *data, size_t count, std::string &error)>;

} // namespace golf::dist

#endif // GOLF_RUNTIME_DIST_SUMACROSSRANKS_H

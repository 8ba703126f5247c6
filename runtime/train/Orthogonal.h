//===- Orthogonal.h - PyTorch's orthogonal_ (internal) ----------*- C++ -*-===//
#ifndef GOLF_RUNTIME_TRAIN_ORTHOGONAL_H
#define GOLF_RUNTIME_TRAIN_ORTHOGONAL_H

#include "runtime/cpu/Tensor.h"
#include "runtime/train/Rng.h"

namespace golf::train {

/// Writes gain * orthogonal(shape) into out (numel(shape) doubles); the
/// Gaussian entries are element i's normalAt(i) of `stream`. Rank >= 2;
/// rank >= 3 orthogonalizes each leading slice (rows = shape[1]). Throws
/// TrainError when LAPACK fails.
void fillOrthogonal(const RandomStream &stream, const cpu::Shape &shape, double gain, double *out);

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_ORTHOGONAL_H

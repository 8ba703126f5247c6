//===- State.h - saved state of optimizers and averaging --------*- C++ -*-===//
//
// What an optimizer set or an averaging set needs to resume exactly: named
// tensors (momenta, Adam moments, EMA shadow, SWA sums) and a JSON object of
// scalars (step counts, snapshot counts). Checkpoints store it verbatim, so
// a save/load round trip is bit-exact.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_STATE_H
#define GOLF_RUNTIME_TRAIN_STATE_H

#include "runtime/cpu/Tensor.h"

#include <map>
#include <string>

namespace golf::train {

struct StateBlob {
  std::map<std::string, cpu::Tensor> tensors;
  plan::Json meta = plan::Json::object();
};

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_STATE_H

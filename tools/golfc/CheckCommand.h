//===- CheckCommand.h - golfc check -----------------------------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_CHECKCOMMAND_H
#define GOLF_TOOLS_GOLFC_CHECKCOMMAND_H

namespace golf {

/// `golfc check FILE`: every function of the model on the GPU against the
/// CPU reference executor, tensor by tensor; without a GPU, NVRTC-compiles
/// every kernel and says so.
int runCheckCommand(int argc, char **argv);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_CHECKCOMMAND_H

//===- ProfileCommand.h - golfc profile -------------------------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_PROFILECOMMAND_H
#define GOLF_TOOLS_GOLFC_PROFILECOMMAND_H

namespace golf {

/// `golfc profile FILE`: times each function on the GPU at the training
/// micro-batch and breaks one run down by kernel family and by step.
int runProfileCommand(int argc, char **argv);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_PROFILECOMMAND_H

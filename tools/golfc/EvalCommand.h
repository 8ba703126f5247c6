//===- EvalCommand.h - golfc eval -------------------------------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_EVALCOMMAND_H
#define GOLF_TOOLS_GOLFC_EVALCOMMAND_H

namespace golf {

/// `golfc eval --artifact FILE`: the round trip. Verifies the artifact,
/// recompiles the source it carries, dequantizes the weights and scores
/// val_bpb as the eval section says, with no checkpoint.
int runEvalCommand(int argc, char **argv);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_EVALCOMMAND_H

//===- TrainCommand.h - golfc train -----------------------------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_TRAINCOMMAND_H
#define GOLF_TOOLS_GOLFC_TRAINCOMMAND_H

namespace golf {

/// `golfc train FILE`: compiles, trains on the CPU reference executor from
/// the train section, evaluates val_bpb, checkpoints and logs.
int runTrainCommand(int argc, char **argv);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_TRAINCOMMAND_H

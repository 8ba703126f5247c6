//===- CheckGradCommand.h - golfc check-grad --------------------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_CHECKGRADCOMMAND_H
#define GOLF_TOOLS_GOLFC_CHECKGRADCOMMAND_H

namespace golf {

/// `golfc check-grad FILE`: the gradients of @loss_grad against central
/// finite differences of @loss, in float64 on the CPU executor.
int runCheckGradCommand(int argc, char **argv);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_CHECKGRADCOMMAND_H

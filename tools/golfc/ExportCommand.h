//===- ExportCommand.h - golfc export ---------------------------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_EXPORTCOMMAND_H
#define GOLF_TOOLS_GOLFC_EXPORTCOMMAND_H

namespace golf {

/// `golfc export FILE --checkpoint CKPT`: quantizes, prunes and compresses
/// a trained model into an artifact as its export section says, and prints
/// the size table.
int runExportCommand(int argc, char **argv);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_EXPORTCOMMAND_H

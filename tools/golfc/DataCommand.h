//===- DataCommand.h - `golfc data ...` -------------------------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_DATACOMMAND_H
#define GOLF_TOOLS_GOLFC_DATACOMMAND_H

namespace golf {

/// Runs `golfc data SUBCOMMAND ...`; argv[0] is "data". Subcommands:
/// val-shard, tokenize, corpus, info (each with --help). Exit status: 0
/// success, 1 bad data (or a failed step), 2 bad usage.
int runDataCommand(int argc, char **argv);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_DATACOMMAND_H

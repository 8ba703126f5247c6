//===- Distributed.h - golfc train across several processes ----*- C++ -*-===//
//
// `golfc train FILE --gpus N` (or --ranks N) in a shell starts N ranks of
// itself (dist/Launch.h) and only supervises them. Each rank (or each
// process torchrun starts) reads its place from the environment
// (dist/World.h), meets the others (dist/HostGroup.h) and trains its share:
// the baseline's per-rank slices of every micro-step's tokens, gradients
// summed across the ranks, the same step everywhere. Rank 0 alone writes
// the log, checkpoints and the summary.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_TOOLS_GOLFC_DISTRIBUTED_H
#define GOLF_TOOLS_GOLFC_DISTRIBUTED_H

#include "Evaluate.h"

#include "runtime/dist/HostGroup.h"

#include <memory>
#include <string>

namespace golf {

/// This process's place in a data-parallel run: rank 0 of 1 and no group
/// when it runs alone (the group exists exactly when the world has ranks).
struct Ranks {
  dist::World world;
  dist::HostGroup *group = nullptr;
  /// Float64 sums across the ranks (null alone).
  dist::SumAcrossRanks sum() const;
  RankShare evalShare() const { return {world.rank, world.size, sum()}; }
  /// Every rank's `seconds` becomes the largest: the ranks' shared wall
  /// clock, so that a time-based schedule (learning rate, stop) decides
  /// the same on all of them.
  bool agreeOnClock(double &seconds, std::string &error) const;
};

/// The parent of `golfc train ... --gpus N`: runs N copies of this golfc
/// with the same arguments (argv[0] is the command, "train") as ranks
/// 0..N-1 and waits; the exit code of the run.
int launchRanks(int ranks, int argc, char **argv);

/// Meets the other ranks of `world` at MASTER_ADDR and MASTER_PORT, or
/// GOLF_DIST_PORT when set (seconds to wait: GOLF_DIST_TIMEOUT, default
/// 1800); null with `error` on failure.
std::unique_ptr<dist::HostGroup> joinRanks(const dist::World &world, std::string &error);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_DISTRIBUTED_H

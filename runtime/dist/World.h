//===- World.h - which rank this process is, from the environment -*- C++ -*-===//
//
// A data-parallel run is WORLD_SIZE processes, one per GPU. They learn who
// they are from torchrun's variables, so the same binary runs under
// `golfc train --gpus N` (which sets them, Launch.h), under torchrun, or
// under any launcher that sets them across hosts:
//
//   RANK         this process, 0 .. WORLD_SIZE-1
//   WORLD_SIZE   processes in the run
//   LOCAL_RANK   this process on its host: the GPU it uses
//   MASTER_ADDR  host of rank 0 (name or IPv4), where the rendezvous listens
//   MASTER_PORT  its TCP port
//
// None set: one process (rank 0 of 1). Some set, or a value out of range:
// a one-line error that names the variable.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DIST_WORLD_H
#define GOLF_RUNTIME_DIST_WORLD_H

#include <functional>
#include <optional>
#include <string>

namespace golf::dist {

struct World {
  int rank = 0, size = 1, localRank = 0;
  std::string masterAddr = "127.0.0.1";
  int masterPort = 0;
  bool distributed() const { return size > 1; }
  bool leader() const { return rank == 0; }
};

/// Looks a variable up (getenv in production; a map in tests); null when
/// unset.
using Environment = std::function<const char *(const char *name)>;

/// The world the variables describe (see the header comment).
std::optional<World> worldFromEnvironment(std::string &error);
std::optional<World> worldFromEnvironment(const Environment &env, std::string &error);

} // namespace golf::dist

#endif // GOLF_RUNTIME_DIST_WORLD_H

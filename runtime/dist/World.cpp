//===- World.cpp - which rank this process is, from the environment -------===//
#include "runtime/dist/World.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace golf::dist {

namespace {

/// `name`'s value as an integer in [lo, hi]; false with `error` naming the
/// variable when it is not one.
bool readInt(const char *name, const char *text, long lo, long hi, int &out, std::string &error) {
  long value = 0;
  const char *end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || ptr != end || ptr == text) {
    error = std::string(name) + "='" + text + "' is not an integer";
    return false;
  }
  if (value < lo || value > hi) {
    error = std::string(name) + "=" + text + " is out of range " + std::to_string(lo) + ".." +
            std::to_string(hi);
    return false;
  }
  out = static_cast<int>(value);
  return true;
}

/// The variables past RANK and WORLD_SIZE, checked against the world size.
bool readLocation(const Environment &env, World &world, std::string &error) {
  const char *local = env("LOCAL_RANK");
  if (local && !readInt("LOCAL_RANK", local, 0, world.size - 1, world.localRank, error))
    return false;
  if (const char *addr = env("MASTER_ADDR")) {
    if (!*addr) {
      error = "MASTER_ADDR is empty (the host of rank 0)";
      return false;
    }
    world.masterAddr = addr;
  }
  if (const char *port = env("MASTER_PORT"))
    return readInt("MASTER_PORT", port, 1, 65535, world.masterPort, error);
  if (world.distributed()) {
    error = "MASTER_PORT is not set (WORLD_SIZE=" + std::to_string(world.size) +
            " needs rank 0's rendezvous port)";
    return false;
  }
  return true;
}

} // namespace

std::optional<World> worldFromEnvironment(std::string &error) {
  return worldFromEnvironment([](const char *name) -> const char * { return std::getenv(name); },
                              error);
}

std::optional<World> worldFromEnvironment(const Environment &env, std::string &error) {
  const char *rank = env("RANK");
  const char *size = env("WORLD_SIZE");
  World world;
  if (!rank && !size)
    return world;
  if (!rank || !size) {
    error = std::string(rank ? "WORLD_SIZE" : "RANK") + " is not set but " +
            (rank ? "RANK" : "WORLD_SIZE") + " is (set both, or neither for one process)";
    return std::nullopt;
  }
  if (!readInt("WORLD_SIZE", size, 1, 1 << 20, world.size, error) ||
      !readInt("RANK", rank, 0, world.size - 1, world.rank, error))
    return std::nullopt;
  // torchrun always sets LOCAL_RANK; other launchers on one host may not.
  world.localRank = world.rank;
  if (!readLocation(env, world, error))
    return std::nullopt;
  return world;
}

} // namespace golf::dist

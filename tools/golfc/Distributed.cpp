//===- Distributed.cpp - golfc train across several processes -------------===//
#include "Distributed.h"

#include "runtime/dist/Launch.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <unistd.h>

namespace golf {

dist::SumAcrossRanks Ranks::sum() const {
  if (!group)
    return {};
  dist::HostGroup *g = group;
  return [g](double *data, size_t count, std::string &error) {
    return g->allReduceSum(data, count, error);
  };
}

bool Ranks::agreeOnClock(double &seconds, std::string &error) const {
  return !group || group->allReduceMax(&seconds, 1, error);
}

int launchRanks(int ranks, int argc, char **argv) {
  dist::LaunchOptions o;
  o.processes = ranks;
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  o.argv.push_back(n > 0 ? std::string(self, size_t(n)) : "/proc/self/exe");
  for (int i = 0; i < argc; ++i)
    o.argv.push_back(argv[i]);
  o.extraEnv["NCCL_NVLS_ENABLE"] = "0";
  dist::LaunchResult r = dist::launchLocal(o);
  if (r.exitCode != 0)
    llvm::errs() << "golfc train: " << r.message << "\n";
  return r.exitCode;
}

std::unique_ptr<dist::HostGroup> joinRanks(const dist::World &given, std::string &error) {
  double timeout = 1800;
  if (const char *t = std::getenv("GOLF_DIST_TIMEOUT"))
    timeout = std::atof(t) > 0 ? std::atof(t) : timeout;
  // torchrun's agent may serve its own store on MASTER_PORT (PyTorch's
  // TORCHELASTIC_USE_AGENT_STORE); GOLF_DIST_PORT names another port then.
  dist::World world = given;
  if (const char *port = std::getenv("GOLF_DIST_PORT")) {
    world.masterPort = std::atoi(port);
    if (world.masterPort < 1 || world.masterPort > 65535) {
      error = std::string("GOLF_DIST_PORT must be a TCP port, got '") + port + "'";
      return nullptr;
    }
  }
  std::unique_ptr<dist::HostGroup> group = dist::HostGroup::connect(world, timeout, error);
  if (!group) {
    error = "rank " + std::to_string(world.rank) + " of " + std::to_string(world.size) +
            ": cannot meet the other ranks at " + world.masterAddr + ":" +
            std::to_string(world.masterPort) + ": " + error;
    const bool agentStore = std::getenv("TORCHELASTIC_USE_AGENT_STORE") != nullptr;
    if (world.leader() && agentStore && !std::getenv("GOLF_DIST_PORT"))
      error += " (under torchrun the agent's store may hold MASTER_PORT: set GOLF_DIST_PORT to a "
               "free port, the same on every rank)";
  }
  return group;
}

} // namespace golf

//===- Distributed.cpp - golfc train across several processes -------------===//
#include "Distributed.h"

#include "runtime/dist/Launch.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <unistd.h>

namespace golf {

dist::SumAcrossRanks Ranks::sum() const {
  if (!group || !world.distributed())
    return {};
  dist::HostGroup *g = group;
  return [g](double *data, size_t count, std::string &error) {
    return g->allReduceSum(data, count, error);
  };
}

bool Ranks::agreeOnClock(double &seconds, std::string &error) const {
  return !group || !world.distributed() || group->allReduceMax(&seconds, 1, error);
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

std::unique_ptr<dist::HostGroup> joinRanks(const dist::World &world, std::string &error) {
  double timeout = 1800;
  if (const char *t = std::getenv("GOLF_DIST_TIMEOUT"))
    timeout = std::atof(t) > 0 ? std::atof(t) : timeout;
  std::unique_ptr<dist::HostGroup> group = dist::HostGroup::connect(world, timeout, error);
  if (!group)
    error = "rank " + std::to_string(world.rank) + " of " + std::to_string(world.size) +
            ": cannot meet the other ranks at " + world.masterAddr + ":" +
            std::to_string(world.masterPort) + ": " + error;
  return group;
}

} // namespace golf

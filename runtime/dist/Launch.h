//===- Launch.h - one process per GPU on this host ---------------*- C++ -*-===//
//
// `golfc train FILE --gpus N` runs N copies of itself, like torchrun on one
// host: each child gets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1
// and a MASTER_PORT that was free when chosen, plus `extraEnv`
// (NCCL_NVLS_ENABLE=0, say), and runs `argv` (argv[0]: the program, by
// path). The parent only supervises: it waits for every child, and when one
// fails (non-zero exit or a signal) it says which in one line, sends
// SIGTERM to the rest, and SIGKILL to any still alive `graceSeconds` later,
// so a dead rank never leaves the others hanging in a collective. SIGINT or
// SIGTERM to the parent goes to every child.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DIST_LAUNCH_H
#define GOLF_RUNTIME_DIST_LAUNCH_H

#include <map>
#include <string>
#include <vector>

namespace golf::dist {

struct LaunchOptions {
  int processes = 1;
  std::vector<std::string> argv; // what each child runs (argv[0]: a path)
  std::map<std::string, std::string> extraEnv;
  double graceSeconds = 10;
};

struct LaunchResult {
  /// 0 when every child exited 0; else the first failure's exit code (128 +
  /// signal for a signal), or 1 when nothing could be started.
  int exitCode = 0;
  /// Empty on success; else one line: "rank 1 exited with code 3; stopped
  /// ranks 0, 2, 3" or "rank 0 was killed by signal 9 (Killed); ...", or
  /// why nothing started.
  std::string message;
};

LaunchResult launchLocal(const LaunchOptions &options);

/// A TCP port on 127.0.0.1 that was free a moment ago (0 with `error` set
/// if none could be bound).
int pickFreePort(std::string &error);

} // namespace golf::dist

#endif // GOLF_RUNTIME_DIST_LAUNCH_H

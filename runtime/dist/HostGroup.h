//===- HostGroup.h - the ranks' rendezvous and host collectives --*- C++ -*-===//
//
// Every rank connects to rank 0 over TCP (rank 0 listens on MASTER_PORT and
// accepts WORLD_SIZE - 1 peers; the others retry connecting until
// `timeoutSeconds`). Over those sockets, a star through rank 0:
//  * broadcast of bytes from rank 0 (the NCCL unique id, a stop decision),
//  * all-reduce of float64 sums and maxima, summed at rank 0 in rank
//    order, so every rank gets the same, deterministic result: evaluation
//    sums, the CPU executor's gradients, the stop flag,
//  * a barrier.
// Slow and simple on purpose: the GPU gradients travel through NCCL.
//
// Failure never hangs: a peer that closes its socket (it died), sends
// garbage, or stays silent past `timeoutSeconds` makes the call return false
// with one line naming the rank. A watchdog thread also watches each
// connection between calls: when a peer's connection drops without the
// goodbye that close() sends, it prints "golfc: rank R: rank K died
// (connection closed); stopping" to stderr and ends this process with exit
// code 1 (another rank stuck in an NCCL call cannot notice by itself).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_DIST_HOSTGROUP_H
#define GOLF_RUNTIME_DIST_HOSTGROUP_H

#include "runtime/dist/World.h"

#include <cstddef>
#include <memory>
#include <string>

namespace golf::dist {

class HostGroup {
public:
  /// Rendezvous of `world`'s ranks; null with `error` on failure (timeout,
  /// address in use, a peer with another WORLD_SIZE or a duplicate rank).
  /// A world of size 1 needs no sockets and always succeeds.
  static std::unique_ptr<HostGroup> connect(const World &world, double timeoutSeconds,
                                            std::string &error);
  /// Closes without a goodbye: the peers' watchdogs take this rank for
  /// dead, which it is when it leaves on an error (so ranks waiting in an
  /// NCCL call for it stop instead of hanging).
  ~HostGroup();

  int rank() const;
  int size() const;

  /// rank 0's `bytes` bytes at `data` into every rank's `data`.
  bool broadcast(void *data, size_t bytes, std::string &error);
  /// data[i] = Σ over ranks of data[i], added in rank order 0, 1, ...
  bool allReduceSum(double *data, size_t count, std::string &error);
  /// data[i] = max over ranks of data[i].
  bool allReduceMax(double *data, size_t count, std::string &error);
  bool barrier(std::string &error);

  /// Says goodbye to the peers (so their watchdogs stay quiet) and closes
  /// the sockets. Call at the end of a run that went well, on every rank;
  /// idempotent.
  void close();

private:
  HostGroup();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace golf::dist

#endif // GOLF_RUNTIME_DIST_HOSTGROUP_H

//===- ThreadPool.h - a small fixed pool for parallel loops -----*- C++ -*-===//
//
// Determinism comes from the loop shape, not the scheduler: parallelFor cuts
// [0, n) into fixed contiguous chunks (a function of n, grain and the pool
// size only) and every index must be computed independently of the others.
// Kernels therefore never share accumulators across chunks.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CPU_THREADPOOL_H
#define GOLF_RUNTIME_CPU_THREADPOOL_H

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace golf::cpu {

class ThreadPool {
public:
  /// `threads` counts the calling thread: 2 means one worker plus the caller.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int size() const { return int(workers_.size()) + 1; }

  /// Calls fn(begin, end) on disjoint chunks covering [0, n), each at least
  /// `grain` long (except when n < grain), and returns when all are done.
  /// Nested calls (from inside fn) run inline. The first exception thrown by
  /// a chunk (lowest chunk index) is rethrown here after all chunks finish.
  void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)> &fn);

private:
  void workerLoop(int index);
  void runChunk(int chunk);

  std::vector<std::thread> workers_;
  std::mutex callMutex_; // one parallelFor at a time from outside threads
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;

  // The current job.
  const std::function<void(int64_t, int64_t)> *fn_ = nullptr;
  int64_t n_ = 0;
  int chunks_ = 0;
  std::vector<std::exception_ptr> errors_;
};

} // namespace golf::cpu

#endif // GOLF_RUNTIME_CPU_THREADPOOL_H

//===- ThreadPool.cpp - a small fixed pool for parallel loops -------------===//
#include "runtime/cpu/ThreadPool.h"

#include <algorithm>

namespace golf::cpu {

namespace {
// Set while a thread runs a chunk, so that nested loops run inline instead of
// waiting on the pool they occupy.
thread_local bool tInsideChunk = false;
} // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(threads, 1); ++i)
    workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

void ThreadPool::runChunk(int chunk) {
  int64_t begin = n_ * chunk / chunks_, end = n_ * (chunk + 1) / chunks_;
  tInsideChunk = true;
  try {
    (*fn_)(begin, end);
  } catch (...) {
    errors_[size_t(chunk)] = std::current_exception();
  }
  tInsideChunk = false;
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_)
        return;
      seen = generation_;
      if (index >= chunks_)
        continue;
    }
    runChunk(index);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0)
        done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int64_t n, int64_t grain,
                             const std::function<void(int64_t, int64_t)> &fn) {
  if (n <= 0)
    return;
  int64_t byGrain = std::max<int64_t>(1, n / std::max<int64_t>(grain, 1));
  int chunks = int(std::min<int64_t>(size(), byGrain));
  if (chunks <= 1 || tInsideChunk) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> call(callMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = &fn;
    n_ = n;
    chunks_ = chunks;
    errors_.assign(size_t(chunks), nullptr);
    pending_ = chunks - 1;
    ++generation_;
  }
  wake_.notify_all();
  runChunk(0);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    fn_ = nullptr;
  }
  for (std::exception_ptr &e : errors_)
    if (e)
      std::rethrow_exception(e);
}

} // namespace golf::cpu

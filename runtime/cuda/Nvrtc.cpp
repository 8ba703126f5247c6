//===- Nvrtc.cpp - compiling generated CUDA C++ to CUBINs -----------------===//
#include "runtime/cuda/Nvrtc.h"

#include "runtime/cuda/Error.h"
#include "runtime/cuda/KernelCache.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

namespace golf::cuda {
namespace {

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

// Owns an nvrtcProgram so that every exit path destroys it.
struct Program {
  nvrtcProgram p = nullptr;
  ~Program() {
    if (p)
      nvrtcDestroyProgram(&p);
  }
};

std::string programLog(nvrtcProgram p) {
  size_t size = 0;
  check(nvrtcGetProgramLogSize(p, &size), "nvrtcGetProgramLogSize");
  std::string log(size, '\0');
  check(nvrtcGetProgramLog(p, log.data()), "nvrtcGetProgramLog");
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n'))
    log.pop_back();
  return log;
}

// An ELF string table holds each symbol NUL-terminated, so an extern "C"
// entry point appears as "\0name\0"; a C++-mangled one ("_Z4namePf") does not.
bool hasEntryPoint(const std::string &cubin, const std::string &name) {
  return cubin.find(std::string(1, '\0') + name + std::string(1, '\0')) != std::string::npos;
}

/// The bytes of spill stores in ptxas's report (--ptxas-options=-v) of
/// an NVRTC log, over all functions.
long spillStores(const std::string &log) {
  static const std::regex line("([0-9]+) bytes spill stores");
  long bytes = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it)
    bytes += std::stol((*it)[1].str());
  return bytes;
}

std::string compileOne(const KernelSource &k, const std::string &arch,
                       const std::vector<std::string> &options, long *spilled) {
  Program prog;
  check(nvrtcCreateProgram(&prog.p, k.source.c_str(), (k.name + ".cu").c_str(), 0, nullptr, nullptr),
        "nvrtcCreateProgram");
  std::vector<const char *> argv;
  for (const std::string &o : options)
    argv.push_back(o.c_str());
  nvrtcResult r = nvrtcCompileProgram(prog.p, static_cast<int>(argv.size()), argv.data());
  if (r != NVRTC_SUCCESS) {
    std::string hint = cudaIncludeDirs().empty()
                           ? "\n(no CUDA include dir found: set CUDA_HOME to the toolkit root)"
                           : "";
    throw CompileError("kernel '" + k.name + "' (" + arch + "): " + nvrtcGetErrorString(r) + "\n" +
                       programLog(prog.p) + hint);
  }
  *spilled = spillStores(programLog(prog.p));
  size_t size = 0;
  check(nvrtcGetCUBINSize(prog.p, &size), "nvrtcGetCUBINSize");
  std::string cubin(size, '\0');
  check(nvrtcGetCUBIN(prog.p, cubin.data()), "nvrtcGetCUBIN");
  return cubin;
}

std::vector<std::string> fullOptions(const NvrtcOptions &o) {
  // ptxas's report (registers, spills) lands in the log: compileCubins
  // tells which kernels spill.
  std::vector<std::string> out = {"--gpu-architecture=" + o.arch, "-std=c++17", "-default-device",
                                  "--ptxas-options=-v"};
  for (const std::string &dir : cudaIncludeDirs())
    out.push_back("--include-path=" + dir);
  out.insert(out.end(), o.flags.begin(), o.flags.end());
  return out;
}

// Runs job(i) for i in [0, n) on `threads` threads; returns the exception of
// each failed job (null where it succeeded).
template <class F> std::vector<std::exception_ptr> parallelFor(size_t n, int threads, F job) {
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < n;) {
      try {
        job(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  worker();
  for (std::thread &t : pool)
    t.join();
  return errors;
}

} // namespace

std::string nvrtcVersion() {
  int major = 0, minor = 0;
  check(::nvrtcVersion(&major, &minor), "nvrtcVersion");
  return std::to_string(major) + "." + std::to_string(minor);
}

std::string defaultCacheDir() {
  if (std::string d = env("GOLF_CACHE_DIR"); !d.empty())
    return d;
  if (std::string d = env("XDG_CACHE_HOME"); !d.empty())
    return d + "/golfc/kernels";
  if (std::string d = env("HOME"); !d.empty())
    return d + "/.cache/golfc/kernels";
  return "";
}

const std::vector<std::string> &cudaIncludeDirs() {
  static const std::vector<std::string> dirs = [] {
    std::vector<std::string> candidates;
    for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
      if (std::string root = env(var); !root.empty())
        candidates.push_back(root + "/include");
    candidates.push_back("/usr/local/cuda/include");
    candidates.push_back(GOLF_CUDA_INCLUDE_FALLBACK);
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const std::string &dir : candidates) {
      if (!fs::exists(dir + "/cuda_fp16.h", ec))
        continue;
      std::vector<std::string> found = {dir};
      if (fs::is_directory(dir + "/cccl", ec))
        found.push_back(dir + "/cccl");
      return found;
    }
    return std::vector<std::string>{};
  }();
  return dirs;
}

std::vector<std::string> compileCubins(const std::vector<KernelSource> &sources,
                                       const NvrtcOptions &options, NvrtcStats *stats) {
  auto start = std::chrono::steady_clock::now();
  // nvrtcGetCUBIN has nothing to give for a virtual architecture (compute_XX).
  if (options.arch.rfind("sm_", 0) != 0)
    throw CompileError("NVRTC arch '" + options.arch + "' is not a real GPU architecture (sm_XX)");
  const std::vector<std::string> opts = fullOptions(options);
  const std::string version = nvrtcVersion();
  const KernelCache cache(options.cacheDir);

  // Distinct sources in order of first appearance; `slot[i]` maps source i
  // to its distinct entry.
  std::map<std::string, size_t> byKey;
  std::vector<std::string> keys;
  std::vector<const KernelSource *> firsts;
  std::vector<size_t> slot(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    std::string key = KernelCache::key(sources[i].source, version, opts);
    auto [it, fresh] = byKey.emplace(key, keys.size());
    if (fresh) {
      keys.push_back(key);
      firsts.push_back(&sources[i]);
    }
    slot[i] = it->second;
  }

  std::vector<std::string> cubins(keys.size());
  std::vector<size_t> toCompile;
  for (size_t d = 0; d < keys.size(); ++d) {
    if (std::optional<std::string> hit = cache.load(keys[d]))
      cubins[d] = std::move(*hit);
    else
      toCompile.push_back(d);
  }

  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, static_cast<int>(std::max<size_t>(toCompile.size(), 1)));
  std::vector<long> spilled(keys.size(), 0);
  std::vector<std::exception_ptr> errors = parallelFor(toCompile.size(), threads, [&](size_t j) {
    size_t d = toCompile[j];
    cubins[d] = compileOne(*firsts[d], options.arch, opts, &spilled[d]);
    cache.store(keys[d], cubins[d]);
  });
  for (const std::exception_ptr &e : errors)
    if (e)
      std::rethrow_exception(e);

  std::vector<std::string> out(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    out[i] = cubins[slot[i]];
    if (!hasEntryPoint(out[i], sources[i].name))
      throw CompileError("kernel '" + sources[i].name + "' (" + options.arch +
                         "): the CUBIN has no entry point '" + sources[i].name +
                         "' (declare it extern \"C\" __global__)");
  }
  if (stats) {
    stats->compiled = static_cast<int>(toCompile.size());
    stats->cached = static_cast<int>(keys.size() - toCompile.size());
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (size_t d = 0; d < keys.size(); ++d)
      if (spilled[d] > 0)
        stats->spills.push_back(firsts[d]->name + ": " + std::to_string(spilled[d]) + " bytes spill stores");
  }
  return out;
}

} // namespace golf::cuda

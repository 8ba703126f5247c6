//===- Nccl.cpp - the NCCL communicator of a data-parallel run ------------===//
#include "runtime/cuda/Nccl.h"
#include "runtime/cuda/Error.h"

#include <dlfcn.h>

#include <cstring>
#include <mutex>

namespace golf::cuda {
namespace {

// nccl.h's signatures, with its opaque handles as void *.
using Result = int; // ncclResult_t; 0 is ncclSuccess
constexpr int kSum = 0; // ncclRedOp_t ncclSum
struct UniqueId {
  char internal[128];
};

/// The entry points golfc calls, resolved from libnccl.so.2.
struct Library {
  Result (*getVersion)(int *) = nullptr;
  Result (*getUniqueId)(UniqueId *) = nullptr;
  Result (*commInitRank)(void **, int, UniqueId, int) = nullptr;
  Result (*commDestroy)(void *) = nullptr;
  Result (*allReduce)(const void *, void *, size_t, int, int, void *, cudaStream_t) = nullptr;
  Result (*allGather)(const void *, void *, size_t, int, void *, cudaStream_t) = nullptr;
  const char *(*errorString)(Result) = nullptr;
  std::string missing; // why it could not be loaded; empty when it was
};

template <class F> void resolve(void *handle, const char *name, F &slot, std::string &missing) {
  slot = reinterpret_cast<F>(::dlsym(handle, name));
  if (!slot && missing.empty())
    missing = std::string("libnccl.so.2 has no ") + name;
}

const Library &library() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    void *h = ::dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char *why = ::dlerror();
      lib.missing = std::string("cannot load NCCL (libnccl.so.2): ") + (why ? why : "not found");
      return;
    }
    resolve(h, "ncclGetVersion", lib.getVersion, lib.missing);
    resolve(h, "ncclGetUniqueId", lib.getUniqueId, lib.missing);
    resolve(h, "ncclCommInitRank", lib.commInitRank, lib.missing);
    resolve(h, "ncclCommDestroy", lib.commDestroy, lib.missing);
    resolve(h, "ncclAllReduce", lib.allReduce, lib.missing);
    resolve(h, "ncclAllGather", lib.allGather, lib.missing);
    resolve(h, "ncclGetErrorString", lib.errorString, lib.missing);
  });
  return lib;
}

const Library &loaded() {
  const Library &lib = library();
  if (!lib.missing.empty())
    throw CudaError(lib.missing);
  return lib;
}

void check(Result r, const char *what) {
  if (r != 0)
    throw CudaError(std::string("NCCL ") + what + ": " + loaded().errorString(r));
}

} // namespace

NcclComm::Id NcclComm::newId() {
  UniqueId id;
  check(loaded().getUniqueId(&id), "ncclGetUniqueId");
  Id out;
  std::memcpy(out.data(), id.internal, out.size());
  return out;
}

std::string NcclComm::version() {
  const Library &lib = library();
  if (!lib.missing.empty())
    return lib.missing;
  int v = 0;
  check(lib.getVersion(&v), "ncclGetVersion");
  // NCCL >= 2.9 encodes major * 10000 + minor * 100 + patch.
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
}

NcclComm::NcclComm(const Id &id, int rank, int size) : rank_(rank), size_(size) {
  UniqueId uid;
  std::memcpy(uid.internal, id.data(), id.size());
  check(loaded().commInitRank(&comm_, size, uid, rank), "ncclCommInitRank");
}

NcclComm::~NcclComm() {
  if (comm_)
    (void)library().commDestroy(comm_);
}

void NcclComm::allReduceSum(void *data, size_t count, NcclType type, cudaStream_t stream) {
  check(loaded().allReduce(data, data, count, int(type), kSum, comm_, stream), "ncclAllReduce");
}

void NcclComm::allGather(void *buffer, size_t partBytes, cudaStream_t stream) {
  char *base = static_cast<char *>(buffer);
  check(loaded().allGather(base + partBytes * size_t(rank_), base, partBytes,
                           int(NcclType::Char), comm_, stream),
        "ncclAllGather");
}

} // namespace golf::cuda

//===- Nccl.h - the NCCL communicator of a data-parallel run ----*- C++ -*-===//
//
// One wrapper per NCCL call the trainer makes. libnccl is opened with
// dlopen on first use, so golfc starts (and trains on one GPU) where NCCL
// is not installed; a multi-GPU run there fails with one line that says
// so. Every collective is enqueued on a stream and may be captured into a
// CUDA graph (NCCL >= 2.9), which is how the training step replays them.
//
// Rank 0 makes the unique id and the ranks share it through
// dist::HostGroup's broadcast; then each rank, with its GPU current,
// constructs NcclComm.
//
//   NcclComm::Id id = rank == 0 ? NcclComm::newId() : NcclComm::Id{};
//   group.broadcast(id.data(), id.size(), error);
//   NcclComm comm(id, rank, size);
//   comm.allReduceSum(grads, count, NcclType::F32, stream);
//
// Failures throw CudaError with "NCCL <call>: <ncclGetErrorString>".
//
// The few NCCL types used are declared here, with the values of nccl.h
// (stable since NCCL 2.0), so that building golfc needs no NCCL headers.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_NCCL_H
#define GOLF_RUNTIME_CUDA_NCCL_H

#include <cuda_runtime_api.h>

#include <array>
#include <cstddef>
#include <string>

namespace golf::cuda {

/// nccl.h's ncclDataType_t values.
enum class NcclType : int { Char = 0, F32 = 7, F64 = 8 };

class NcclComm {
public:
  using Id = std::array<char, 128>; // ncclUniqueId
  /// A fresh unique id (rank 0 only).
  static Id newId();
  /// "2.28.9" of the loaded library, or why it cannot be loaded.
  static std::string version();

  NcclComm(const Id &id, int rank, int size);
  ~NcclComm();
  NcclComm(const NcclComm &) = delete;
  NcclComm &operator=(const NcclComm &) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  /// data[i] = Σ over ranks (in place).
  void allReduceSum(void *data, size_t count, NcclType type, cudaStream_t stream);
  /// `buffer` holds size() equal parts of `partBytes`; each rank contributes
  /// part rank() and receives all (in place).
  void allGather(void *buffer, size_t partBytes, cudaStream_t stream);

private:
  void *comm_ = nullptr; // ncclComm_t
  int rank_ = 0, size_ = 1;
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_NCCL_H

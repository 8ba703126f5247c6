//===- CudnnMissing.cpp - CudnnAttention in a build without cuDNN ---------===//
//
// Linked instead of CudnnAttention.cpp when CMake found no cuDNN frontend
// headers: a plan with cuDNN attention steps stops with this reason.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudnnAttention.h"

#include <stdexcept>

namespace golf::cuda {

struct CudnnAttention::Impl {};

CudnnAttention::CudnnAttention() {
  throw std::runtime_error("this golfc was built without the cuDNN frontend (scripts/install-deps.sh "
                           "fetches it; then rebuild); use --attention=flash");
}
CudnnAttention::~CudnnAttention() = default;
CudnnAttention::CudnnAttention(CudnnAttention &&) noexcept = default;
CudnnAttention &CudnnAttention::operator=(CudnnAttention &&) noexcept = default;
size_t CudnnAttention::prepare(const cudagen::AttentionCall &) { return 0; }
void CudnnAttention::run(const cudagen::AttentionCall &, const std::vector<void *> &,
                         const std::vector<void *> &, void *, cudaStream_t) {}
std::string CudnnAttention::version() const { return "none"; }

} // namespace golf::cuda

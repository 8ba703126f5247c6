//===- CudnnAttention.cpp - cuDNN's fused SDPA through the frontend -------===//
//
// The only translation unit that includes the cuDNN frontend: its headers
// take about 90 s to compile, so nothing else should.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudnnAttention.h"
#include "codegen/cuda/Print.h"

#define NV_CUDNN_FRONTEND_USE_DYNAMIC_LOADING
#include <cudnn_frontend.h>

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <stdexcept>

// The frontend's dynamic loading looks every cuDNN entry point up in this
// handle (cudnn_frontend_shim.h), which the program defines and opens.
namespace cudnn_frontend {
void *cudnn_dlhandle = nullptr;
} // namespace cudnn_frontend

namespace golf::cuda {

namespace fe = cudnn_frontend;

namespace {

// Tensor ids of the variant pack.
enum Uid : int64_t { Q = 1, K, V, O, Stats, DO, DQ, DK, DV };

/// Strides of a [B, heads, rows, d] view of a tensor stored [B, heads,
/// rows, d], or [B, rows, heads, d] (merge_heads' layout) when merged.
std::vector<int64_t> headStrides(int64_t heads, int64_t rows, int64_t d, bool merged) {
  if (merged)
    return {rows * heads * d, d, heads * d, 1};
  return {heads * rows * d, rows * d, d, 1};
}

void check(fe::error_t e, const char *what, const cudagen::AttentionCall &call) {
  if (!e.is_good())
    throw std::runtime_error("cuDNN " + std::string(what) + " failed for " + cudagen::describe(call) +
                             ": " + e.get_message());
}

struct Built {
  std::shared_ptr<fe::graph::Graph> graph;
  int64_t workspace = 0;
};

Built build(cudnnHandle_t handle, const cudagen::AttentionCall &call) {
  const cudagen::AttentionShape &s = call.shape;
  const cudagen::AttentionShape::Merged &m = s.merged;
  auto g = std::make_shared<fe::graph::Graph>();
  g->set_io_data_type(fe::DataType_t::BFLOAT16)
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);
  auto input = [&](const char *name, Uid uid, int64_t heads, int64_t rows, int64_t d, bool merged) {
    return g->tensor(fe::graph::Tensor_attributes()
                         .set_name(name)
                         .set_uid(uid)
                         .set_dim({s.B, heads, rows, d})
                         .set_stride(headStrides(heads, rows, d, merged)));
  };
  auto output = [&](const std::shared_ptr<fe::graph::Tensor_attributes> &t, Uid uid, int64_t heads,
                    int64_t rows, int64_t d, bool merged) {
    t->set_output(true).set_uid(uid).set_dim({s.B, heads, rows, d}).set_stride(
        headStrides(heads, rows, d, merged));
  };
  const std::vector<int64_t> statsDim{s.B, s.H, s.T, 1}, statsStride{s.H * s.T, s.T, 1, 1};
  auto q = input("q", Q, s.H, s.T, s.D, m.q);
  auto k = input("k", K, s.Hkv, s.S, s.D, m.k);
  auto v = input("v", V, s.Hkv, s.S, s.Dv, m.v);
  if (!call.grad) {
    auto options = fe::graph::SDPA_attributes()
                       .set_name("golf_sdpa")
                       .set_generate_stats(call.stats)
                       .set_attn_scale(float(s.scale))
                       .set_causal_mask(s.causal);
    auto [o, stats] = g->sdpa(q, k, v, options);
    output(o, O, s.H, s.T, s.Dv, m.out);
    if (call.stats)
      stats->set_output(true).set_uid(Stats).set_data_type(fe::DataType_t::FLOAT).set_dim(statsDim).set_stride(
          statsStride);
  } else {
    auto o = input("y", O, s.H, s.T, s.Dv, call.yMerged);
    auto dO = input("dy", DO, s.H, s.T, s.Dv, m.dy);
    auto stats = g->tensor(fe::graph::Tensor_attributes()
                               .set_name("stats")
                               .set_uid(Stats)
                               .set_data_type(fe::DataType_t::FLOAT)
                               .set_dim(statsDim)
                               .set_stride(statsStride));
    auto options = fe::graph::SDPA_backward_attributes()
                       .set_name("golf_sdpa_backward")
                       .set_attn_scale(float(s.scale))
                       .set_causal_mask(s.causal);
    auto [dq, dk, dv] = g->sdpa_backward(q, k, v, o, dO, stats, options);
    output(dq, DQ, s.H, s.T, s.D, m.out);
    output(dk, DK, s.Hkv, s.S, s.D, m.dk);
    output(dv, DV, s.Hkv, s.S, s.Dv, m.dv);
  }
  check(g->validate(), "validate", call);
  check(g->build_operation_graph(handle), "build_operation_graph", call);
  check(g->create_execution_plans({fe::HeurMode_t::A}), "create_execution_plans", call);
  check(g->check_support(handle), "check_support", call);
  check(g->build_plans(), "build_plans", call);
  Built b;
  b.graph = std::move(g);
  check(b.graph->get_workspace_size(b.workspace), "get_workspace_size", call);
  return b;
}

} // namespace

struct CudnnAttention::Impl {
  cudnnHandle_t handle = nullptr;
  std::map<std::string, Built> graphs; // by describe(call)

  const Built &find(const cudagen::AttentionCall &call) const {
    auto it = graphs.find(cudagen::describe(call));
    if (it == graphs.end())
      throw std::logic_error("CudnnAttention::run before prepare: " + cudagen::describe(call));
    return it->second;
  }
};

CudnnAttention::CudnnAttention() : impl_(std::make_unique<Impl>()) {
  if (!fe::cudnn_dlhandle) {
    // GOLF_CUDNN_LIB names another copy (PyTorch's wheel carries a newer one).
    const char *env = std::getenv("GOLF_CUDNN_LIB");
    const char *lib = env && *env ? env : "libcudnn.so.9";
    fe::cudnn_dlhandle = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
    if (!fe::cudnn_dlhandle) {
      const char *why = dlerror();
      throw std::runtime_error(std::string("--attention=cudnn needs cuDNN 9 (") +
                               (why ? why : std::string(lib) + " not found") +
                               "; GOLF_CUDNN_LIB may name it); use --attention=flash");
    }
  }
  if (cudnnStatus_t st = fe::detail::create_handle(&impl_->handle); st != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cudnnCreate failed: ") + fe::detail::get_error_string(st));
}

CudnnAttention::~CudnnAttention() {
  if (impl_ && impl_->handle) {
    impl_->graphs.clear(); // plans before the handle they were built on
    fe::detail::destroy_handle(impl_->handle);
  }
}

CudnnAttention::CudnnAttention(CudnnAttention &&) noexcept = default;
CudnnAttention &CudnnAttention::operator=(CudnnAttention &&) noexcept = default;

size_t CudnnAttention::prepare(const cudagen::AttentionCall &call) {
  std::string key = cudagen::describe(call);
  auto it = impl_->graphs.find(key);
  if (it == impl_->graphs.end())
    it = impl_->graphs.emplace(key, build(impl_->handle, call)).first;
  return size_t(it->second.workspace);
}

void CudnnAttention::run(const cudagen::AttentionCall &call, const std::vector<void *> &operands,
                         const std::vector<void *> &results, void *workspace, cudaStream_t stream) {
  const Built &b = impl_->find(call);
  std::unordered_map<int64_t, void *> pack{{Q, operands.at(0)}, {K, operands.at(1)}, {V, operands.at(2)}};
  if (!call.grad) {
    pack[O] = results.at(0);
    if (call.stats)
      pack[Stats] = results.at(1);
  } else {
    pack[DO] = operands.at(3);
    pack[Stats] = operands.at(4);
    pack[O] = operands.at(5);
    pack[DQ] = results.at(0);
    pack[DK] = results.at(1);
    pack[DV] = results.at(2);
  }
  if (cudnnStatus_t st = fe::detail::set_stream(impl_->handle, stream); st != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cudnnSetStream failed: ") + fe::detail::get_error_string(st));
  check(b.graph->execute(impl_->handle, pack, workspace), "execute", call);
}

std::string CudnnAttention::version() const {
  size_t v = fe::detail::get_backend_version(); // major * 10000 + minor * 100 + patch
  return "cuDNN " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
}

} // namespace golf::cuda

//===- DeviceOptimizersTest.cpp - GPU optimizers against the CPU ones -----===//
//
// The training-step kernels compile for sm_90 everywhere (NVRTC needs no
// GPU). On a GPU, DeviceOptimizers takes three steps of Muon (wide, tall
// and banked matrices), Adam on a bf16 tensor and AdamW with weight decay,
// from the same random weights and gradients as train::Optimizers, and the
// weights and the saved state must agree: to fp32 rounding with an fp32
// Newton-Schulz, to bf16 rounding (relative to the update) with a bf16 one.
//
//===----------------------------------------------------------------------===//
#include "GpuTest.h"

#include "runtime/cuda/DeviceOptimizers.h"
#include "runtime/cuda/Nccl.h"
#include "runtime/cuda/Error.h"
#include "runtime/cuda/HostTensor.h"
#include "runtime/cuda/Nvrtc.h"
#include "runtime/train/Optimizer.h"

#include <cmath>
#include <random>

namespace golf::cuda {
namespace {

TEST(TrainKernels, CompileForSm90) {
  NvrtcOptions options;
  options.arch = "sm_90";
  std::vector<KernelSource> sources = trainKernelSources();
  std::vector<std::string> cubins = compileCubins(sources, options);
  ASSERT_EQ(cubins.size(), sources.size());
  for (const std::string &c : cubins)
    EXPECT_GT(c.size(), 1000u);
}

plan::Plan optimizerPlan() {
  plan::Plan p;
  p.model = "opt";
  auto param = [&](const char *name, plan::DType d, std::vector<int64_t> shape, const char *group) {
    plan::Param q;
    q.name = name;
    q.type = {d, std::move(shape)};
    q.group = group;
    p.params.push_back(q);
  };
  param("wide", plan::DType::F32, {24, 40}, "matrix");
  param("tall", plan::DType::F32, {40, 24}, "matrix");
  param("wide2", plan::DType::F32, {24, 40}, "matrix"); // batched with "wide"
  param("bank", plan::DType::F32, {3, 16, 32}, "matrix");
  param("emb", plan::DType::BF16, {50, 16}, "embed");
  param("gain", plan::DType::F32, {16}, "scalar");
  p.train["optimizers"] = plan::Json::array(
      {{{"kind", "muon"}, {"group", "matrix"}, {"lr", 0.04}, {"momentum", 0.95},
        {"momentum_warmup_start", 0.85}, {"momentum_warmup_steps", 10}, {"wd", 0.02}},
       {{"kind", "adam"}, {"group", "embed"}, {"lr", 0.05}, {"betas", {0.9, 0.95}}},
       {{"kind", "adamw"}, {"group", "scalar"}, {"lr", 0.03}, {"wd", 0.1}}});
  return p;
}

cpu::Tensor randomTensor(const plan::TensorType &t, std::mt19937_64 &rng, double stddev) {
  std::normal_distribution<double> dist(0.0, stddev);
  std::vector<double> v(size_t(t.numel()));
  for (double &x : v)
    x = dist(rng);
  // F32 storage, as training keeps parameters: optimizer state follows the
  // storage, and only F32 storage rounds it to a bf16 parameter's dtype.
  return cpu::Tensor::fromDoubles(t.dtype, t.shape, v).convertedTo(cpu::Storage::F32);
}

/// ||a - b|| / ||b||
double relError(const cpu::Tensor &a, const cpu::Tensor &b) {
  std::vector<double> x = a.toDoubles(), y = b.toDoubles();
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]))
      return INFINITY;
    num += (x[i] - y[i]) * (x[i] - y[i]);
    den += y[i] * y[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

cpu::Tensor minus(const cpu::Tensor &a, const cpu::Tensor &b) {
  std::vector<double> x = a.toDoubles(), y = b.toDoubles();
  for (size_t i = 0; i < x.size(); ++i)
    x[i] -= y[i];
  return cpu::Tensor::fromDoubles(plan::DType::F64, a.shape(), x);
}

/// Three steps of the GPU optimizers against the CPU ones; with `nccl`, as
/// the only rank of an NCCL communicator (the Parallel Muon path: its
/// share, its all-gather).
void compareWithCpu(bool bf16, bool nccl = false) {
  plan::Plan plan = optimizerPlan();
  std::mt19937_64 rng(7);
  cpu::ParamStore cpuParams;
  std::map<std::string, DeviceBuffer> params, grads;
  std::map<std::string, void *> paramPtrs;
  std::map<std::string, float *> gradPtrs;
  for (const plan::Param &p : plan.params) {
    cpuParams[p.name] = randomTensor(p.type, rng, 0.1);
    std::vector<char> bytes = deviceBytes(cpuParams[p.name], p.type.dtype);
    params[p.name] = DeviceBuffer(bytes.size());
    copyToDevice(params[p.name].data(), bytes.data(), bytes.size());
    paramPtrs[p.name] = params[p.name].data();
    grads[p.name] = DeviceBuffer(uint64_t(p.type.numel()) * 4);
    gradPtrs[p.name] = grads[p.name].as<float>();
  }
  const cpu::ParamStore start = cpuParams;
  std::unique_ptr<NcclComm> comm;
  if (nccl)
    comm = std::make_unique<NcclComm>(NcclComm::newId(), 0, 1);
  DeviceOptimizers gpu(plan, paramPtrs, gradPtrs, bf16, comm.get());
  std::string error;
  auto cpuOpt = train::Optimizers::create(plan, error);
  ASSERT_TRUE(cpuOpt) << error;
  TrainKernels kernels = TrainKernels::load(test::gpu()->arch(), "");
  DeviceBuffer scalars(sizeof(golf_mt::StepScalars)), scale(sizeof(golf_mt::GradScale));
  const golf_mt::GradScale unit{0.0, 1.0, 1.0};
  copyToDevice(scale.data(), &unit, sizeof unit);
  for (int64_t step = 0; step < 3; ++step) {
    cpu::ParamStore g;
    for (const plan::Param &p : plan.params) {
      g[p.name] = randomTensor(p.type, rng, 0.5);
      std::vector<char> bytes = deviceBytes(g[p.name], plan::DType::F32);
      copyToDevice(grads[p.name].data(), bytes.data(), bytes.size());
    }
    const double lrMult = 1.0 - 0.2 * double(step);
    golf_mt::StepScalars s{};
    gpu.beginStep(s, step, lrMult);
    copyToDevice(scalars.data(), &s, sizeof s);
    gpu.enqueue(kernels, nullptr, scalars.as<golf_mt::StepScalars>(), scale.as<golf_mt::GradScale>());
    check(cudaDeviceSynchronize(), "optimizer step");
    ASSERT_TRUE(cpuOpt->step(cpuParams, g, {step, lrMult}, error)) << error;
  }
  for (const plan::Param &p : plan.params) {
    std::vector<char> bytes(params[p.name].bytes());
    copyToHost(bytes.data(), params[p.name].data(), bytes.size());
    cpu::Tensor got = hostTensor(bytes.data(), p.type);
    // The update's error: bf16 Newton-Schulz rounds its operands (~1e-2).
    const bool muon = p.group == "matrix";
    const double tol = muon && bf16 ? 3e-2 : p.type.dtype == plan::DType::BF16 ? 2e-2 : 1e-4;
    EXPECT_LT(relError(minus(got, start.at(p.name)), minus(cpuParams.at(p.name), start.at(p.name))),
              tol)
        << p.name << (bf16 ? " (bf16 Newton-Schulz)" : " (fp32 Newton-Schulz)");
  }
  train::StateBlob gs = gpu.saveState(), cs = cpuOpt->saveState();
  EXPECT_EQ(gs.meta, cs.meta);
  ASSERT_EQ(gs.tensors.size(), cs.tensors.size());
  for (const auto &[name, t] : cs.tensors) {
    ASSERT_TRUE(gs.tensors.count(name)) << name;
    EXPECT_LT(relError(gs.tensors.at(name), t), 2e-2) << name;
  }
  // A CPU checkpoint loads into the GPU optimizers and back unchanged.
  gpu.loadState(cs);
  train::StateBlob back = gpu.saveState();
  for (const auto &[name, t] : cs.tensors)
    EXPECT_LT(relError(back.tensors.at(name), t), 1e-7) << name;
}

// No GPU needed: every CPU optimizer state tensor survives the device byte
// layout of its dtype unchanged (what loadState/saveState rely on).
TEST(DeviceOptimizers, CpuStateSurvivesDeviceLayout) {
  plan::Plan plan = optimizerPlan();
  std::mt19937_64 rng(3);
  cpu::ParamStore params, grads;
  for (const plan::Param &p : plan.params) {
    params[p.name] = randomTensor(p.type, rng, 0.1);
    grads[p.name] = randomTensor(p.type, rng, 0.5);
  }
  std::string error;
  auto opt = train::Optimizers::create(plan, error);
  ASSERT_TRUE(opt) << error;
  ASSERT_TRUE(opt->step(params, grads, {0, 1.0}, error)) << error;
  for (const auto &[name, t] : opt->saveState().tensors) {
    const plan::Param *p = plan.param(name.substr(name.rfind('/') + 1));
    ASSERT_NE(p, nullptr) << name;
    std::vector<char> bytes = deviceBytes(t, p->type.dtype);
    EXPECT_EQ(relError(hostTensor(bytes.data(), p->type), t), 0.0) << name;
  }
}

TEST(DeviceOptimizers, MatchCpuWithFp32NewtonSchulz) {
  GOLF_REQUIRE_GPU();
  compareWithCpu(false);
}

TEST(DeviceOptimizers, MatchCpuWithBf16NewtonSchulz) {
  GOLF_REQUIRE_GPU();
  compareWithCpu(true);
}

TEST(DeviceOptimizers, MatchCpuAsOneNcclRank) {
  GOLF_REQUIRE_GPU();
  compareWithCpu(false, true);
}

TEST(DeviceOptimizers, RefusesForeignState) {
  GOLF_REQUIRE_GPU();
  plan::Plan plan = optimizerPlan();
  std::map<std::string, DeviceBuffer> bufs;
  std::map<std::string, void *> params;
  std::map<std::string, float *> grads;
  for (const plan::Param &p : plan.params) {
    bufs[p.name] = DeviceBuffer(uint64_t(p.type.numel()) * 4);
    bufs[p.name + "/g"] = DeviceBuffer(uint64_t(p.type.numel()) * 4);
    params[p.name] = bufs[p.name].data();
    grads[p.name] = bufs[p.name + "/g"].as<float>();
  }
  DeviceOptimizers gpu(plan, params, grads, false);
  train::StateBlob s = gpu.saveState();
  s.meta["3.adam.other/"] = {{"kind", "adam"}, {"group", "other"}, {"steps", 0}};
  EXPECT_THROW(gpu.loadState(s), std::exception);
  train::StateBlob t = gpu.saveState();
  t.meta["0.muon.matrix/"]["steps"] = 5; // steps taken but no momentum saved
  EXPECT_THROW(gpu.loadState(t), std::exception);
}

} // namespace
} // namespace golf::cuda

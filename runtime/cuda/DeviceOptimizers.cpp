//===- DeviceOptimizers.cpp - the plan's optimizers on the GPU ------------===//
#include "runtime/cuda/DeviceOptimizers.h"
#include "codegen/cuda/BufferPlan.h"
#include "runtime/cuda/HostTensor.h"
#include "runtime/train/Error.h"
#include "runtime/train/NewtonSchulz.h"

#include <cmath>
#include <set>

namespace golf::cuda {
namespace {

using train::fail;

/// A state tensor of a slot: device bytes in the parameter's dtype.
struct StateTensor {
  std::string name; // "<prefix><what>/<param>"
  plan::TensorType type;
  DeviceBuffer buffer;
};

/// The matrices of one shape, iterated together: `share` of them per rank,
/// rank r's from index r * share (x holds share * ranks, the tail zeros).
struct NsBatch {
  int64_t rows = 0, cols = 0, count = 0, share = 0;
  DeviceBuffer x[2], gram, poly; // X ping-pong; A = X Xᵀ (or XᵀX); B = bA + cA²
};

StateTensor zeroState(const std::string &name, const plan::TensorType &type) {
  StateTensor s{name, type, DeviceBuffer(uint64_t(type.numel()) * cudagen::elementBytes(type.dtype))};
  s.buffer.fill(0);
  return s;
}

} // namespace

struct DeviceOptimizers::Impl {
  ElemType nsType = ElemType::F32;
  uint64_t nsBytes = 4;
  int nsSteps = 5;
  NcclComm *comm = nullptr;
  int rank = 0, ranks = 1;
  Gemm gemm;
  std::vector<int64_t> steps;           // per optimizer: steps taken
  std::vector<std::vector<int>> state;  // per optimizer: indices into tensors
  std::vector<StateTensor> tensors;
  MultiTensorPass adam, muonInput, muonUpdate;
  DeviceBuffer u, partials;
  std::vector<NsBatch> batches;
  train::NsCoefficients k;

  void newtonSchulz(NsBatch &b, cudaStream_t stream);
};

void DeviceOptimizers::Impl::newtonSchulz(NsBatch &b, cudaStream_t stream) {
  const bool tall = b.rows > b.cols;
  const int64_t m = tall ? b.cols : b.rows, elems = b.rows * b.cols;
  GemmShape g;
  g.a = g.b = g.c = nsType;
  g.batch = b.share;
  const uint64_t mine = uint64_t(rank * b.share * elems) * nsBytes;
  for (int s = 0; s < nsSteps; ++s) {
    void *cur = b.x[s % 2].as<char>() + mine, *next = b.x[(s + 1) % 2].as<char>() + mine;
    // A = X Xᵀ (wide) or Xᵀ X (tall): the m x m Gram matrix.
    GemmShape a = g;
    a.m = a.n = m;
    a.k = tall ? b.rows : b.cols;
    a.transA = tall;
    a.transB = !tall;
    a.strideA = a.strideB = elems;
    a.strideC = m * m;
    gemm.run(a, cur, cur, b.gram.data(), stream);
    // B = b·A + c·A A
    GemmShape p = g;
    p.m = p.n = p.k = m;
    p.strideA = p.strideB = p.strideC = m * m;
    p.alpha = float(k.c);
    p.beta = float(k.b);
    gemm.run(p, b.gram.data(), b.gram.data(), b.poly.data(), stream, b.gram.data());
    // X = a·X + B X (wide) or a·X + X B (tall; B is symmetric)
    GemmShape x = g;
    x.m = b.rows;
    x.n = b.cols;
    x.k = m;
    x.strideA = tall ? elems : m * m;
    x.strideB = tall ? m * m : elems;
    x.strideC = elems;
    x.beta = float(k.a);
    if (tall)
      gemm.run(x, cur, b.poly.data(), next, stream, cur);
    else
      gemm.run(x, b.poly.data(), cur, next, stream, cur);
  }
  if (comm)
    comm->allGather(b.x[nsSteps % 2].data(), uint64_t(b.share * elems) * nsBytes, stream);
}

bool bf16NewtonSchulz(const plan::Plan &plan) {
  return plan.train.value("autocast", std::string("off")) == "bf16";
}

DeviceOptimizers::DeviceOptimizers(const plan::Plan &plan,
                                   const std::map<std::string, void *> &params,
                                   const std::map<std::string, float *> &gradients,
                                   bool bf16NewtonSchulz, NcclComm *comm)
    : impl_(std::make_unique<Impl>()), specs_(train::readOptimizerSpecs(plan)) {
  Impl &m = *impl_;
  if (specs_.size() > size_t(golf_mt::kMaxOptimizers))
    fail("the GPU trainer runs at most " + std::to_string(golf_mt::kMaxOptimizers) +
         " optimizers");
  m.nsType = bf16NewtonSchulz ? ElemType::BF16 : ElemType::F32;
  const int nsDType = bf16NewtonSchulz ? golf_mt::kBF16 : golf_mt::kF32;
  const uint64_t nsBytes = m.nsBytes = bf16NewtonSchulz ? 2 : 4;
  if (comm) {
    m.comm = comm;
    m.rank = comm->rank();
    m.ranks = comm->size();
  }
  m.steps.assign(specs_.size(), 0);
  m.state.resize(specs_.size());

  // Muon: matrices grouped by shape; u and X offsets per slot.
  std::map<std::pair<int64_t, int64_t>, size_t> batchOf;
  struct MuonSlot {
    size_t spec, slot, batch;
    int64_t xOffset, uOffset;
  };
  std::vector<MuonSlot> muonSlots;
  int64_t uElems = 0;
  for (size_t o = 0; o < specs_.size(); ++o) {
    const train::OptimizerSpec &spec = specs_[o];
    if (!spec.isMuon())
      continue;
    if (spec.rowNormalize)
      fail(spec.describe() + ": row_normalize (MuonEq-R) does not run on the GPU yet; train on "
                             "the CPU (--device=cpu)");
    if (!muonSlots.empty() && m.nsSteps != spec.nsSteps)
      fail("the GPU trainer needs one ns_steps for every muon optimizer");
    m.nsSteps = spec.nsSteps;
    for (size_t s = 0; s < spec.slots.size(); ++s) {
      auto [rows, cols] = train::matrixDims(spec.slots[s]);
      auto [it, fresh] = batchOf.emplace(std::make_pair(rows, cols), m.batches.size());
      if (fresh) {
        m.batches.emplace_back();
        m.batches.back().rows = rows;
        m.batches.back().cols = cols;
      }
      NsBatch &b = m.batches[it->second];
      const int64_t count = spec.slots[s].type.numel() / std::max<int64_t>(rows * cols, 1);
      muonSlots.push_back({o, s, it->second, b.count * rows * cols, uElems});
      b.count += count;
      uElems += spec.slots[s].type.numel();
    }
  }
  for (NsBatch &b : m.batches) {
    const int64_t g = std::min(b.rows, b.cols);
    b.share = (b.count + m.ranks - 1) / m.ranks;
    for (DeviceBuffer &x : b.x) {
      x = DeviceBuffer(uint64_t(b.share * m.ranks * b.rows * b.cols) * nsBytes);
      x.fill(0); // the padding matrices iterate as zeros
    }
    b.gram = DeviceBuffer(uint64_t(b.share * g * g) * nsBytes);
    b.poly = DeviceBuffer(uint64_t(b.share * g * g) * nsBytes);
  }
  m.u = DeviceBuffer(uint64_t(uElems) * 4);

  for (size_t o = 0; o < specs_.size(); ++o) {
    const train::OptimizerSpec &spec = specs_[o];
    if (spec.isMuon())
      continue;
    const std::string prefix = train::statePrefix(spec, o);
    for (const train::Slot &slot : spec.slots) {
      auto add = [&](const char *what) {
        m.state[o].push_back(int(m.tensors.size()));
        m.tensors.push_back(zeroState(prefix + what + "/" + slot.name, slot.type));
        return m.tensors.back().buffer.data();
      };
      golf_mt::Tensor t{};
      t.numel = slot.type.numel();
      t.wd = slot.wd;
      t.group = int(o);
      t.ptr[0] = params.at(slot.name);
      t.ptr[1] = gradients.at(slot.name);
      t.ptr[2] = add("exp_avg");
      t.ptr[3] = add("exp_avg_sq");
      t.dtype[0] = t.dtype[2] = t.dtype[3] = mtDType(slot.type.dtype);
      t.dtype[1] = golf_mt::kF32;
      m.adam.add(t);
    }
  }
  const int finalX = m.nsSteps % 2;
  for (const MuonSlot &ms : muonSlots) {
    const train::OptimizerSpec &spec = specs_[ms.spec];
    const train::Slot &slot = spec.slots[ms.slot];
    NsBatch &b = m.batches[ms.batch];
    const int dt = mtDType(slot.type.dtype);
    m.state[ms.spec].push_back(int(m.tensors.size()));
    m.tensors.push_back(
        zeroState(train::statePrefix(spec, ms.spec) + "momentum/" + slot.name, slot.type));
    golf_mt::Tensor in{};
    in.numel = slot.type.numel();
    in.group = int(ms.spec);
    in.ptr[0] = gradients.at(slot.name);
    in.ptr[1] = m.tensors.back().buffer.data();
    in.ptr[2] = m.u.as<float>() + ms.uOffset;
    in.ptr[3] = b.x[0].as<char>() + uint64_t(ms.xOffset) * nsBytes;
    in.dtype[0] = in.dtype[2] = golf_mt::kF32;
    in.dtype[1] = dt;
    in.dtype[3] = nsDType;
    m.muonInput.add(in, b.rows * b.cols);
    golf_mt::Tensor up{};
    up.numel = slot.type.numel();
    up.group = int(ms.spec);
    up.wd = slot.wd;
    up.scale = std::sqrt(std::max(1.0, double(b.rows) / double(std::max<int64_t>(b.cols, 1))));
    up.ptr[0] = params.at(slot.name);
    up.ptr[1] = b.x[finalX].as<char>() + uint64_t(ms.xOffset) * nsBytes;
    up.dtype[0] = dt;
    up.dtype[1] = nsDType;
    m.muonUpdate.add(up);
  }
  m.adam.upload();
  m.muonInput.upload();
  m.muonUpdate.upload();
  m.partials = DeviceBuffer(uint64_t(std::max(m.muonInput.chunks(), 1)) * sizeof(double));
}

DeviceOptimizers::~DeviceOptimizers() = default;

void DeviceOptimizers::beginStep(golf_mt::StepScalars &scalars, int64_t step, double lrMult) {
  for (size_t o = 0; o < specs_.size(); ++o) {
    const train::OptimizerSpec &spec = specs_[o];
    golf_mt::OptScalars &s = scalars.opt[o];
    const double t = double(++impl_->steps[o]);
    s.lr = spec.lr * lrMult;
    s.beta1 = spec.beta1;
    s.beta2 = spec.beta2;
    s.eps = spec.eps;
    s.stepSize = s.lr / (1.0 - std::pow(spec.beta1, t));
    s.bc2Sqrt = std::sqrt(1.0 - std::pow(spec.beta2, t));
    s.momentum = spec.momentumAt(step);
    s.decoupled = spec.decoupled();
    s.nesterov = spec.nesterov;
  }
}

void DeviceOptimizers::enqueue(const TrainKernels &kernels, cudaStream_t stream,
                               const golf_mt::StepScalars *scalars,
                               const golf_mt::GradScale *scale) {
  Impl &m = *impl_;
  m.adam.launch(kernels, kernels.adam, stream, scalars, scale);
  if (m.muonInput.empty())
    return;
  double *partials = m.partials.as<double>();
  m.muonInput.launch(kernels, kernels.muonMomentum, stream, scalars, scale, partials);
  m.muonInput.launch(kernels, kernels.muonNormalize, stream, static_cast<const double *>(partials));
  for (NsBatch &b : m.batches)
    m.newtonSchulz(b, stream);
  m.muonUpdate.launch(kernels, kernels.muonUpdate, stream, scalars);
}

train::StateBlob DeviceOptimizers::saveState() const {
  train::StateBlob out;
  for (size_t o = 0; o < specs_.size(); ++o) {
    out.meta[train::statePrefix(specs_[o], o)] = {
        {"kind", specs_[o].kind}, {"group", specs_[o].group}, {"steps", impl_->steps[o]}};
    if (impl_->steps[o] == 0)
      continue; // the CPU optimizers create state at their first step
    for (int i : impl_->state[o]) {
      const StateTensor &s = impl_->tensors[size_t(i)];
      std::vector<char> bytes(s.buffer.bytes());
      copyToHost(bytes.data(), s.buffer.data(), bytes.size());
      out.tensors[s.name] = hostTensor(bytes.data(), s.type);
    }
  }
  return out;
}

void DeviceOptimizers::loadState(const train::StateBlob &state) {
  const std::vector<int64_t> steps = train::savedSteps(specs_, state);
  std::set<std::string> mine;
  for (const StateTensor &s : impl_->tensors)
    mine.insert(s.name);
  for (const auto &[name, tensor] : state.tensors)
    if (!mine.count(name))
      fail("saved optimizer state has an unknown tensor '" + name + "'");
  std::vector<std::pair<StateTensor *, std::vector<char>>> uploads;
  for (size_t o = 0; o < specs_.size(); ++o)
    for (int i : impl_->state[o]) {
      StateTensor &s = impl_->tensors[size_t(i)];
      auto it = state.tensors.find(s.name);
      if (it == state.tensors.end()) {
        if (steps[o] > 0)
          fail("optimizer state has no '" + s.name + "'");
        uploads.emplace_back(&s, std::vector<char>(s.buffer.bytes(), 0));
        continue;
      }
      if (it->second.shape() != s.type.shape)
        fail("saved optimizer state '" + s.name + "' has shape " +
             cpu::shapeString(it->second.shape()) + ", expected " + cpu::shapeString(s.type.shape));
      uploads.emplace_back(&s, deviceBytes(it->second, s.type.dtype));
    }
  for (auto &[s, bytes] : uploads)
    copyToDevice(s->buffer.data(), bytes.data(), bytes.size());
  impl_->steps = steps;
}

uint64_t DeviceOptimizers::stateBytes() const {
  uint64_t n = impl_->u.bytes() + impl_->partials.bytes();
  for (const StateTensor &s : impl_->tensors)
    n += s.buffer.bytes();
  for (const NsBatch &b : impl_->batches)
    n += b.x[0].bytes() * 2 + b.gram.bytes() + b.poly.bytes();
  return n;
}

} // namespace golf::cuda

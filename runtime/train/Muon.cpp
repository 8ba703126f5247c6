//===- Muon.cpp - Muon (momentum + Newton-Schulz orthogonalization) -------===//
//
// The math is in Optimizer.h. A step runs in three passes so that all
// matrices of the group are orthogonalized as one batch over the threads:
// (1) momentum and the Nesterov input per parameter, (2) Newton-Schulz of
// every matrix, (3) weight decay and the update per parameter.
//
//===----------------------------------------------------------------------===//
#include "runtime/train/Elements.h"
#include "runtime/train/NewtonSchulz.h"
#include "runtime/train/OptimizerImpl.h"
#include "runtime/train/Schedule.h"

#include <cmath>
#include <optional>

namespace golf::train {
namespace {

class Muon final : public Optimizer {
public:
  std::vector<Tensor> buffers; // per slot; created at the first step

  void step(cpu::ParamStore &params, const cpu::ParamStore &grads, const StepContext &ctx,
            cpu::ThreadPool *pool) override {
    const std::vector<Slot> &slots = spec.slots;
    const double mu = spec.momentumAt(ctx.step), lrNow = spec.lr * ctx.lrMult;
    const bool nesterov = spec.nesterov;
    buffers.resize(slots.size());
    // (1) buf = mu*buf + g; u = g + mu*buf (Nesterov) or buf.
    std::vector<Tensor> inputs(slots.size()), outputs(slots.size());
    for (size_t s = 0; s < slots.size(); ++s) {
      const Tensor &p = params.find(slots[s].name)->second;
      const Tensor &g = grads.find(slots[s].name)->second;
      Tensor &buf = buffers[s];
      buf = buf.defined() ? inStorage(buf, p.storage()) : zeroState(slots[s], p.storage());
      Tensor u = Tensor::allocate(DType::F32, p.shape(), p.storage());
      Reader gr = reader(g), br = reader(buf);
      Writer bw = writer(buf), uw = writer(u);
      forElements(pool, p.numel(), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          bw.set(i, mu * br[i] + gr[i]);
          uw.set(i, nesterov ? gr[i] + mu * br[i] : br[i]); // br[i] is the new buf
        }
      });
      if (spec.rowNormalize)
        normalizeRows(u);
      inputs[s] = u;
      outputs[s] = Tensor::allocate(DType::F32, p.shape(), p.storage());
    }
    // (2) Newton-Schulz of every matrix of every slot, as one batch.
    struct Job {
      size_t slot;
      int64_t offset;
    };
    std::vector<Job> jobs;
    for (size_t s = 0; s < slots.size(); ++s) {
      auto [rows, cols] = matrixDims(slots[s]);
      int64_t per = rows * cols;
      for (int64_t off = 0; per > 0 && off < inputs[s].numel(); off += per)
        jobs.push_back({s, off});
    }
    auto run = [&](const Job &job, cpu::ThreadPool *inner) {
      auto [rows, cols] = matrixDims(slots[job.slot]);
      const Tensor &u = inputs[job.slot];
      Tensor &o = outputs[job.slot];
      if (u.storage() == Storage::F32)
        detail::newtonSchulzMatrix<float>(u.data<float>() + job.offset, rows, cols, spec.nsSteps,
                                          o.data<float>() + job.offset, inner, {});
      else
        detail::newtonSchulzMatrix<double>(u.data<double>() + job.offset, rows, cols, spec.nsSteps,
                                           o.data<double>() + job.offset, inner, {});
    };
    if (pool && jobs.size() > 1)
      // Nested products run inline with the same slab cut (cpu/Blas.h).
      pool->parallelFor(int64_t(jobs.size()), 1, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j)
          run(jobs[size_t(j)], pool);
      });
    else
      for (const Job &job : jobs)
        run(job, pool);
    // (3) W = W*(1 - lr*wd) - lr*scale*O.
    for (size_t s = 0; s < slots.size(); ++s) {
      Tensor &slotParam = params.find(slots[s].name)->second;
      const Tensor p = slotParam;
      auto [rows, cols] = matrixDims(slots[s]);
      const double scale = std::sqrt(std::max(1.0, double(rows) / double(cols ? cols : 1)));
      const double decay = 1.0 - lrNow * slots[s].wd, stepSize = lrNow * scale;
      Tensor next = freshLike(p);
      Reader pr = reader(p), orr = reader(outputs[s]);
      Writer nw = writer(next);
      forElements(pool, p.numel(), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          nw.set(i, pr[i] * decay - stepSize * orr[i]);
      });
      slotParam = next;
    }
  }

  void save(StateBlob &out, const std::string &prefix) const override {
    for (size_t s = 0; s < buffers.size(); ++s)
      if (buffers[s].defined())
        out.tensors[prefix + "momentum/" + spec.slots[s].name] = copyOf(buffers[s]);
  }

  std::function<void()> prepareLoad(const StateBlob &in, const std::string &prefix,
                                    int64_t n) override {
    std::vector<Tensor> loaded;
    for (const Slot &s : spec.slots)
      loaded.push_back(loadTensor(in, prefix, "momentum", s, n));
    return [this, loaded = std::move(loaded)]() mutable { buffers = std::move(loaded); };
  }

private:
  /// MuonEq-R: each row of each matrix divided by max(||row||, 1e-7).
  static void normalizeRows(Tensor &u) {
    const int64_t cols = u.shape().back(), rows = cols ? u.numel() / cols : 0;
    Reader r = reader(u);
    Writer w = writer(u);
    for (int64_t i = 0; i < rows; ++i) {
      double sq = 0;
      for (int64_t j = 0; j < cols; ++j)
        sq += r[i * cols + j] * r[i * cols + j];
      double inv = 1.0 / std::max(std::sqrt(sq), 1e-7);
      for (int64_t j = 0; j < cols; ++j)
        w.set(i * cols + j, r[i * cols + j] * inv);
    }
  }
};

} // namespace

std::unique_ptr<Optimizer> makeMuon(const OptimizerSpec &spec) {
  auto m = std::make_unique<Muon>();
  m->spec = spec;
  return m;
}

} // namespace golf::train

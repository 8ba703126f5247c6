//===- Adam.cpp - Adam and AdamW as torch.optim defines them --------------===//
//
// The math is in Optimizer.h. torch's exp_avg.lerp_(g, 1 - b1) is
// m + (1 - b1)(g - m) = b1*m + (1 - b1)*g; we use the latter form in
// double. The bias corrections use this optimizer's step count t, which is
// the same for all its parameters (torch counts per parameter, but every
// parameter of a group steps together here).
//
//===----------------------------------------------------------------------===//
#include "runtime/train/Elements.h"
#include "runtime/train/OptimizerImpl.h"

#include <cmath>

namespace golf::train {
namespace {

class Adam final : public Optimizer {
public:
  std::vector<Tensor> m, v; // per slot; created at the first step

  void step(cpu::ParamStore &params, const cpu::ParamStore &grads, const StepContext &ctx,
            cpu::ThreadPool *pool) override {
    const std::vector<Slot> &slots = spec.slots;
    const bool decoupled = spec.decoupled();
    const double beta1 = spec.beta1, beta2 = spec.beta2;
    const double t = double(steps + 1), lrNow = spec.lr * ctx.lrMult;
    const double stepSize = lrNow / (1.0 - std::pow(beta1, t));
    const double bc2Sqrt = std::sqrt(1.0 - std::pow(beta2, t));
    m.resize(slots.size());
    v.resize(slots.size());
    for (size_t s = 0; s < slots.size(); ++s) {
      Tensor &slotParam = params.find(slots[s].name)->second;
      const Tensor p = slotParam;
      const Tensor &g = grads.find(slots[s].name)->second;
      m[s] = m[s].defined() ? inStorage(m[s], p.storage()) : zeroState(slots[s], p.storage());
      v[s] = v[s].defined() ? inStorage(v[s], p.storage()) : zeroState(slots[s], p.storage());
      const double wd = slots[s].wd;
      const double l2 = decoupled ? 0.0 : wd, decay = decoupled ? 1.0 - lrNow * wd : 1.0;
      Tensor next = freshLike(p);
      Reader pr = reader(p), gr = reader(g), mr = reader(m[s]), vr = reader(v[s]);
      Writer mw = writer(m[s]), vw = writer(v[s]), nw = writer(next);
      const double b1 = beta1, b2 = beta2, e = spec.eps;
      forElements(pool, p.numel(), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const double w = pr[i], grad = gr[i] + l2 * w;
          mw.set(i, b1 * mr[i] + (1 - b1) * grad);
          vw.set(i, b2 * vr[i] + (1 - b2) * grad * grad);
          // mr/vr now read the stored (rounded) moments, as torch uses them.
          const double denom = std::sqrt(vr[i]) / bc2Sqrt + e;
          nw.set(i, w * decay - stepSize * mr[i] / denom);
        }
      });
      slotParam = next;
    }
  }

  void save(StateBlob &out, const std::string &prefix) const override {
    for (size_t s = 0; s < m.size(); ++s) {
      if (m[s].defined())
        out.tensors[prefix + "exp_avg/" + spec.slots[s].name] = copyOf(m[s]);
      if (v[s].defined())
        out.tensors[prefix + "exp_avg_sq/" + spec.slots[s].name] = copyOf(v[s]);
    }
  }

  std::function<void()> prepareLoad(const StateBlob &in, const std::string &prefix,
                                    int64_t n) override {
    std::vector<Tensor> lm, lv;
    for (const Slot &s : spec.slots) {
      lm.push_back(loadTensor(in, prefix, "exp_avg", s, n));
      lv.push_back(loadTensor(in, prefix, "exp_avg_sq", s, n));
    }
    return [this, lm = std::move(lm), lv = std::move(lv)]() mutable {
      m = std::move(lm);
      v = std::move(lv);
    };
  }
};

} // namespace

std::unique_ptr<Optimizer> makeAdam(const OptimizerSpec &spec) {
  auto a = std::make_unique<Adam>();
  a->spec = spec;
  return a;
}

} // namespace golf::train

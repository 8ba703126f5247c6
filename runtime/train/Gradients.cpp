//===- Gradients.cpp - global-norm clipping and accumulation --------------===//
#include "runtime/train/Gradients.h"

#include "runtime/train/Elements.h"

#include <cmath>

namespace golf::train {

std::optional<double> gradNorm(const cpu::ParamStore &grads, std::string &error) {
  double sq = 0;
  bool ok = guard(error, [&] {
    for (const auto &[name, g] : grads) {
      expectFloat(g, "gradient of '" + name + "'");
      Reader r = reader(g);
      for (int64_t i = 0, n = g.numel(); i < n; ++i)
        sq += r[i] * r[i];
    }
  });
  if (!ok)
    return std::nullopt;
  return std::sqrt(sq);
}

std::optional<double> clipGradNorm(cpu::ParamStore &grads, double maxNorm, std::string &error) {
  auto total = gradNorm(grads, error);
  if (!total || maxNorm <= 0 || !std::isfinite(*total))
    return total;
  const double coef = maxNorm / (*total + 1e-6);
  if (coef >= 1.0)
    return total; // torch multiplies by the clamped 1.0: no change
  bool ok = guard(error, [&] {
    for (auto &[name, g] : grads) {
      Tensor scaled = freshLike(g);
      Reader r = reader(g);
      Writer w = writer(scaled);
      for (int64_t i = 0, n = g.numel(); i < n; ++i)
        w.set(i, r[i] * coef);
      g = scaled;
    }
  });
  if (!ok)
    return std::nullopt;
  return total;
}

bool GradAccumulator::add(const cpu::ParamStore &grads, std::string &error) {
  return guard(error, [&] {
    if (count_ > 0 && grads.size() != entries_.size())
      fail("micro-batch has " + std::to_string(grads.size()) + " gradients, the first had " +
           std::to_string(entries_.size()));
    for (const auto &[name, g] : grads) {
      std::string what = "gradient of '" + name + "'";
      if (count_ == 0) {
        expectFloat(g, what);
        continue;
      }
      auto it = entries_.find(name);
      if (it == entries_.end())
        fail("micro-batch has a gradient of '" + name + "', the first had none");
      expectShape(g, it->second.shape, what);
    }
    for (const auto &[name, g] : grads) {
      Entry &e = entries_[name];
      if (count_ == 0) {
        e.dtype = g.dtype();
        e.shape = g.shape();
        e.storage = g.storage();
        e.total.assign(size_t(g.numel()), 0.0);
      }
      Reader r = reader(g);
      for (int64_t i = 0, n = g.numel(); i < n; ++i)
        e.total[size_t(i)] += r[i];
    }
    ++count_;
  });
}

bool GradAccumulator::sumAcrossRanks(const dist::SumAcrossRanks &sum, std::string &error) {
  if (!sum)
    return true;
  double count = double(count_);
  if (!sum(&count, 1, error))
    return false;
  for (auto &[name, e] : entries_)
    if (!sum(e.total.data(), e.total.size(), error))
      return false;
  count_ = int64_t(count);
  return true;
}

cpu::ParamStore GradAccumulator::result(double divisor) const {
  cpu::ParamStore out;
  for (const auto &[name, e] : entries_) {
    Tensor t = Tensor::allocate(e.dtype, e.shape, e.storage);
    Writer w = writer(t);
    for (size_t i = 0; i < e.total.size(); ++i)
      w.set(int64_t(i), e.total[i] / divisor);
    out[name] = t;
  }
  return out;
}

cpu::ParamStore GradAccumulator::sum() const { return result(1.0); }

cpu::ParamStore GradAccumulator::mean() const {
  return result(count_ > 0 ? double(count_) : 1.0);
}

void GradAccumulator::clear() {
  entries_.clear();
  count_ = 0;
}

} // namespace golf::train

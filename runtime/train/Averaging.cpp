//===- Averaging.cpp - EMA and SWA of the weights -------------------------===//
#include "runtime/train/Averaging.h"

#include "runtime/train/Elements.h"

namespace golf::train {

const char *weightsSourceName(WeightsSource source) {
  switch (source) {
  case WeightsSource::Live:
    return "live";
  case WeightsSource::Ema:
    return "ema";
  case WeightsSource::Swa:
    return "swa";
  }
  return "live";
}

std::optional<Averaging> Averaging::create(const plan::Json &train, std::string &error) {
  Averaging a;
  bool ok = guard(error, [&] {
    auto list = train.find("averaging");
    if (list == train.end() || list->is_null())
      return;
    if (!list->is_array())
      fail("train: 'averaging' must be a list");
    for (const plan::Json &d : *list) {
      std::string kind = jsonString(d, "kind", "train averaging");
      std::string what = kind + "(...)";
      if (kind == "ema") {
        if (a.ema_)
          fail("train: 'ema' may appear only once");
        double decay = jsonNumber(d, "decay", what);
        int64_t every = jsonIntOr(d, "every", 1, what);
        if (!(decay >= 0 && decay <= 1))
          fail(what + ": decay must be in [0, 1], got " + std::to_string(decay));
        if (every < 1)
          fail(what + ": every must be >= 1");
        a.ema_ = Ema{decay, every};
      } else if (kind == "swa") {
        if (a.swa_)
          fail("train: 'swa' may appear only once");
        int64_t every = jsonInt(d, "every", what);
        if (every < 1)
          fail(what + ": every must be >= 1");
        a.swa_ = Swa{every, jsonNumber(d, "below_lr_scale", what),
                     jsonBoolOr(d, "apply", true, what)};
      } else {
        fail("train: unknown averaging '" + kind + "' (averaging: ema, swa)");
      }
    }
  });
  if (!ok)
    return std::nullopt;
  return a;
}

bool Averaging::start(const cpu::ParamStore &params, std::string &error) {
  return guard(error, [&] {
    cpu::ParamStore shadow;
    if (ema_)
      for (const auto &[name, p] : params) {
        expectFloat(p, "parameter '" + name + "'");
        Tensor s = Tensor::allocate(DType::F32, p.shape(), p.storage());
        Reader r = reader(p);
        Writer w = writer(s);
        for (int64_t i = 0, n = p.numel(); i < n; ++i)
          w.set(i, r[i]);
        shadow[name] = s;
      }
    shadow_ = std::move(shadow);
    swaSum_.clear();
    swaCount_ = 0;
    started_ = true;
  });
}

bool Averaging::emaDue(int64_t stepsDone) const {
  return ema_ && stepsDone % ema_->every == 0;
}

bool Averaging::swaDue(int64_t stepsDone, double lrMult) const {
  return swa_ && lrMult < swa_->below && stepsDone % swa_->every == 0;
}

Averaging Averaging::withoutEma() const {
  Averaging a = *this;
  a.ema_.reset();
  a.shadow_.clear();
  return a;
}

bool Averaging::afterStep(const cpu::ParamStore &params, int64_t stepsDone, double lrMult,
                          std::string &error) {
  return guard(error, [&] {
    if (!started_)
      fail("averaging: afterStep before start");
    bool emaNow = emaDue(stepsDone);
    bool swaNow = swaDue(stepsDone, lrMult);
    if (!emaNow && !swaNow)
      return;
    // Check everything before changing anything.
    for (const auto &[name, p] : params) {
      std::string what = "parameter '" + name + "'";
      if (emaNow) {
        auto s = shadow_.find(name);
        if (s == shadow_.end())
          fail("averaging: " + what + " has no EMA shadow (it was not given to start)");
        expectShape(p, s->second.shape(), what);
      }
      if (swaNow && swaCount_ > 0) {
        auto s = swaSum_.find(name);
        if (s == swaSum_.end())
          fail("averaging: " + what + " is not in the earlier SWA snapshots");
        expectShape(p, s->second.shape(), what);
      }
      expectFloat(p, what);
    }
    if (emaNow && params.size() != shadow_.size())
      fail("averaging: got " + std::to_string(params.size()) + " parameters, the EMA has " +
           std::to_string(shadow_.size()));
    if (emaNow) {
      const double d = ema_->decay;
      for (auto &[name, s] : shadow_) {
        Reader pr = reader(params.find(name)->second), sr = reader(s);
        Writer sw = writer(s); // owned: created in start() or loadState()
        for (int64_t i = 0, n = s.numel(); i < n; ++i)
          sw.set(i, d * sr[i] + (1 - d) * pr[i]);
      }
    }
    if (swaNow) {
      for (const auto &[name, p] : params) {
        Tensor &sum = swaSum_[name];
        if (!sum.defined())
          sum = Tensor::zeros(DType::F64, p.shape(), Storage::F64);
        Reader pr = reader(p);
        double *acc = sum.data<double>();
        for (int64_t i = 0, n = p.numel(); i < n; ++i)
          acc[i] += pr[i];
      }
      ++swaCount_;
    }
  });
}

WeightsSource Averaging::exportSource() const {
  if (ema_ && started_)
    return WeightsSource::Ema;
  if (swa_ && swa_->apply && swaCount_ > 0)
    return WeightsSource::Swa;
  return WeightsSource::Live;
}

namespace {

/// `src` (scaled by 1/divisor) as a tensor like `like` (storage, dtype).
Tensor converted(const Tensor &src, const Tensor &like, double divisor) {
  Tensor out = freshLike(like);
  Reader r = reader(src);
  Writer w = writer(out);
  for (int64_t i = 0, n = like.numel(); i < n; ++i)
    w.set(i, r[i] / divisor);
  return out;
}

/// `average` resolved against `live`: every live parameter must be there.
cpu::ParamStore resolve(const cpu::ParamStore &live, const cpu::ParamStore &average,
                        double divisor, const char *what) {
  cpu::ParamStore out;
  for (const auto &[name, p] : live) {
    auto it = average.find(name);
    if (it == average.end())
      fail(std::string("averaging: the ") + what + " has no parameter '" + name + "'");
    expectShape(p, it->second.shape(), "parameter '" + name + "'");
    out[name] = converted(it->second, p, divisor);
  }
  return out;
}

} // namespace

std::optional<cpu::ParamStore> Averaging::swaAverage(const cpu::ParamStore &live,
                                                     std::string &error) const {
  std::optional<cpu::ParamStore> out;
  bool ok = guard(error, [&] {
    if (swaCount_ == 0)
      fail("averaging: no SWA snapshot was taken");
    out = resolve(live, swaSum_, double(swaCount_), "SWA average");
  });
  return ok ? out : std::nullopt;
}

std::optional<cpu::ParamStore> Averaging::exportWeights(const cpu::ParamStore &live,
                                                        std::string &error) const {
  std::optional<cpu::ParamStore> out;
  bool ok = guard(error, [&] {
    switch (exportSource()) {
    case WeightsSource::Ema:
      out = resolve(live, shadow_, 1.0, "EMA");
      break;
    case WeightsSource::Swa:
      out = resolve(live, swaSum_, double(swaCount_), "SWA average");
      break;
    case WeightsSource::Live:
      out = live;
      break;
    }
  });
  return ok ? out : std::nullopt;
}

StateBlob Averaging::saveState() const {
  StateBlob out;
  out.meta = {{"started", started_}, {"swa_count", swaCount_}};
  for (const auto &[name, t] : shadow_)
    out.tensors["ema/" + name] = copyOf(t);
  for (const auto &[name, t] : swaSum_)
    out.tensors["swa/" + name] = copyOf(t);
  return out;
}

bool Averaging::loadState(const StateBlob &state, std::string &error) {
  return guard(error, [&] {
    bool started = jsonBoolOr(state.meta, "started", false, "saved averaging state");
    int64_t count = jsonIntOr(state.meta, "swa_count", 0, "saved averaging state");
    if (count < 0)
      fail("saved averaging state has a negative SWA count");
    cpu::ParamStore shadow, sums;
    for (const auto &[key, t] : state.tensors) {
      std::string what = "saved averaging tensor '" + key + "'";
      expectFloat(t, what);
      if (key.rfind("ema/", 0) == 0)
        shadow[key.substr(4)] = copyOf(t);
      else if (key.rfind("swa/", 0) == 0)
        sums[key.substr(4)] = t.storage() == Storage::F64 ? copyOf(t) : t.convertedTo(Storage::F64);
      else
        fail(what + " is neither ema/ nor swa/");
    }
    if (ema_ && started && shadow.empty())
      fail("saved averaging state has no EMA shadow, but this run averages with ema");
    if (!ema_ && !shadow.empty())
      fail("saved averaging state has an EMA shadow, but this run has no ema");
    if (count > 0 && (!swa_ || sums.empty()))
      fail(swa_ ? "saved averaging state counts SWA snapshots but holds no sums"
                : "saved averaging state has SWA snapshots, but this run has no swa");
    shadow_ = std::move(shadow);
    swaSum_ = std::move(sums);
    swaCount_ = count;
    started_ = started;
  });
}

} // namespace golf::train

//===- Init.cpp - parameter initialization --------------------------------===//
#include "runtime/train/Init.h"

#include "runtime/train/Elements.h"
#include "runtime/train/Orthogonal.h"
#include "runtime/train/Rng.h"

#include <cmath>
#include <vector>

namespace golf::train {
namespace {

/// pgolf-spec §4.4 (BigramLogitHead): counts C[a,b] of the bigrams a -> b in
/// the first `tokens` training tokens; with smoothing alpha,
/// log p(b|a) = log(C[a,b] + alpha) - log(sum_b C[a,b] + alpha V),
/// log p(b)   = log(colsum_b + alpha) - log(total + alpha V),
/// B[a,b] = clamp(log p(b|a) - log p(b), -clip, clip): a PMI prior added to
/// the logits of the token after a.
void fillBigramPmi(const plan::Json &init, const Shape &shape,
                   const std::vector<uint16_t> &data, const std::string &what, double *out) {
  if (shape.size() != 2 || shape[0] != shape[1])
    fail(what + ": bigram_pmi needs a square [vocab, vocab] parameter, got " +
         cpu::shapeString(shape));
  int64_t v = shape[0];
  double alpha = jsonNumberOr(init, "alpha", 0.25, what);
  double clip = jsonNumberOr(init, "clip", 4.0, what);
  int64_t n = std::min<int64_t>(jsonIntOr(init, "tokens", 16000000, what), int64_t(data.size()));
  if (n < 2)
    fail(what + ": bigram_pmi needs at least two training tokens");
  std::vector<double> counts(size_t(v * v), 0.0), rows(size_t(v), 0.0), cols(size_t(v), 0.0);
  for (int64_t i = 0; i + 1 < n; ++i) {
    int64_t a = data[i], b = data[i + 1];
    if (a >= v || b >= v)
      fail(what + ": training token " + std::to_string(std::max(a, b)) +
           " is outside the table's vocabulary of " + std::to_string(v));
    counts[size_t(a * v + b)] += 1;
    rows[size_t(a)] += 1;
    cols[size_t(b)] += 1;
  }
  double total = double(n - 1);
  for (int64_t a = 0; a < v; ++a)
    for (int64_t b = 0; b < v; ++b) {
      double conditional = std::log(counts[size_t(a * v + b)] + alpha) -
                           std::log(rows[size_t(a)] + alpha * double(v));
      double marginal = std::log(cols[size_t(b)] + alpha) - std::log(total + alpha * double(v));
      out[a * v + b] = std::clamp(conditional - marginal, -clip, clip);
    }
}

/// Writes the values of `init` for `shape` into out (numel(shape) doubles);
/// `path` names the random stream (the parameter, or a row of it).
void fill(const plan::Json &init, const Shape &shape, uint64_t seed, const std::string &path,
          double *out, const std::vector<uint16_t> *tokens) {
  const std::string what = "init of '" + path + "'";
  std::string kind = jsonString(init, "kind", what);
  const int64_t n = cpu::numelOf(shape);
  RandomStream stream(seed, path);
  auto constant = [&](double v) { std::fill(out, out + n, v); };
  if (kind == "zeros") {
    constant(0.0);
  } else if (kind == "ones") {
    constant(1.0);
  } else if (kind == "fill") {
    constant(jsonNumber(init, "value", what));
  } else if (kind == "normal") {
    double sd = jsonNumber(init, "std", what), mean = jsonNumberOr(init, "mean", 0.0, what);
    if (!(sd >= 0))
      fail(what + ": std must be >= 0, got " + std::to_string(sd));
    for (int64_t i = 0; i < n; ++i)
      out[i] = mean + sd * stream.normalAt(uint64_t(i));
  } else if (kind == "uniform" || kind == "linear_default") {
    double lo, hi;
    if (kind == "uniform") {
      lo = jsonNumber(init, "low", what);
      hi = jsonNumber(init, "high", what);
      if (!(lo <= hi))
        fail(what + ": uniform needs low <= high, got " + std::to_string(lo) + " > " +
             std::to_string(hi));
    } else {
      if (shape.size() < 2)
        fail(what + ": linear_default needs a parameter of rank 2 or more, got shape " +
             cpu::shapeString(shape));
      int64_t fanIn = shape.back();
      if (fanIn == 0)
        fail(what + ": linear_default needs fan_in (the last dim) > 0");
      hi = 1.0 / std::sqrt(double(fanIn));
      lo = -hi;
    }
    for (int64_t i = 0; i < n; ++i)
      out[i] = lo + (hi - lo) * stream.uniformAt(uint64_t(i));
  } else if (kind == "orthogonal") {
    fillOrthogonal(stream, shape, jsonNumberOr(init, "gain", 1.0, what), out);
  } else if (kind == "rows") {
    const plan::Json *rows = init.contains("rows") ? &init["rows"] : nullptr;
    if (!rows || !rows->is_array())
      fail(what + ": rows needs a list 'rows' of initializers");
    if (shape.empty() || int64_t(rows->size()) != shape[0])
      fail(what + ": rows gives " + std::to_string(rows->size()) +
           " initializers for a leading axis of " +
           (shape.empty() ? std::string("a scalar") : std::to_string(shape[0])));
    Shape sub(shape.begin() + 1, shape.end());
    int64_t per = cpu::numelOf(sub);
    for (size_t r = 0; r < rows->size(); ++r)
      fill((*rows)[r], sub, seed, path + "/rows/" + std::to_string(r), out + int64_t(r) * per,
           tokens);
  } else if (kind == "bigram_pmi") {
    if (!tokens)
      fail(what + ": bigram_pmi counts training tokens; none were given (golfc train gives them)");
    fillBigramPmi(init, shape, *tokens, what, out);
  } else {
    fail(what + ": unknown initializer kind '" + kind + "'");
  }
}

} // namespace

uint64_t trainSeed(const plan::Plan &plan) {
  auto it = plan.train.find("seed");
  if (it != plan.train.end() && it->is_number_integer())
    return uint64_t(it->get<int64_t>());
  return 1337;
}

std::optional<cpu::Tensor> initParam(const plan::Param &param, uint64_t seed, Storage storage,
                                     std::string &error, const std::vector<uint16_t> *tokens) {
  std::optional<cpu::Tensor> result;
  bool ok = guard(error, [&] {
    if (!plan::isFloat(param.type.dtype))
      fail("parameter '" + param.name + "' has dtype " + plan::dtypeName(param.type.dtype) +
           "; only float parameters can be initialized");
    if (storage == Storage::I32)
      fail("parameters are initialized into float or double storage");
    for (int64_t d : param.type.shape)
      if (d < 0)
        fail("parameter '" + param.name + "' has a negative dimension");
    std::vector<double> values(size_t(cpu::numelOf(param.type.shape)));
    fill(param.init, param.type.shape, seed, param.name, values.data(), tokens);
    Tensor t = Tensor::allocate(param.type.dtype, param.type.shape, storage);
    // Round to the dtype even in double storage (header: same start for F32
    // and F64 runs).
    Writer w = writer(t);
    for (size_t i = 0; i < values.size(); ++i)
      w.set(int64_t(i), cpu::roundToDType(values[i], param.type.dtype));
    result = std::move(t);
  });
  if (!ok)
    return std::nullopt;
  return result;
}

bool initParams(const plan::Plan &plan, cpu::ParamStore &out, std::string &error,
                const InitOptions &options) {
  uint64_t seed = options.seed ? *options.seed : trainSeed(plan);
  for (const plan::Param &p : plan.params) {
    auto t = initParam(p, seed, options.storage, error, options.trainTokens);
    if (!t)
      return false;
    out[p.name] = std::move(*t);
  }
  return true;
}

} // namespace golf::train

//===- Init.cpp - parameter initialization --------------------------------===//
#include "runtime/train/Init.h"

#include "runtime/train/Elements.h"
#include "runtime/train/Orthogonal.h"
#include "runtime/train/Rng.h"

#include <cmath>
#include <vector>

namespace golf::train {
namespace {

/// Writes the values of `init` for `shape` into out (numel(shape) doubles);
/// `path` names the random stream (the parameter, or a row of it).
void fill(const plan::Json &init, const Shape &shape, uint64_t seed, const std::string &path,
          double *out) {
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
      fill((*rows)[r], sub, seed, path + "/rows/" + std::to_string(r), out + int64_t(r) * per);
  } else if (kind == "bigram_pmi") {
    fail(what + ": bigram_pmi needs training data; not supported by this initializer yet");
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
                                     std::string &error) {
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
    fill(param.init, param.type.shape, seed, param.name, values.data());
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
    auto t = initParam(p, seed, options.storage, error);
    if (!t)
      return false;
    out[p.name] = std::move(*t);
  }
  return true;
}

} // namespace golf::train

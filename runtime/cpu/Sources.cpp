//===- Sources.cpp - values that come from outside the op list ------------===//
//
// param_ref hands out the caller's parameter buffer itself when its storage
// already matches (no copy per step); constant materializes its splat.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Kernel.h"

#include <cmath>

namespace golf::cpu {

Tensor adoptTensor(const Tensor &t, const plan::TensorType &type, Precision precision,
                   const std::shared_ptr<MemoryMeter> &meter, const std::string &what) {
  if (!t.defined())
    fail(what + " is undefined");
  if (t.shape() != type.shape)
    fail(what + " has shape " + shapeString(t.shape()) + ", expected " + shapeString(type.shape));
  if (plan::isFloat(type.dtype) != plan::isFloat(t.dtype()))
    fail(what + " has dtype " + plan::dtypeName(t.dtype()) + ", expected " +
         plan::dtypeName(type.dtype));
  if (!plan::isFloat(type.dtype))
    return t.retyped(type.dtype);
  Storage want = storageFor(type.dtype, precision);
  Tensor out = t.storage() == want ? t.retyped(type.dtype)
                                   : t.convertedTo(want, meter).retyped(type.dtype);
  bool narrow = precision == Precision::F32 &&
                (type.dtype == DType::BF16 || type.dtype == DType::F16);
  if (!narrow)
    return out;
  // A bf16/f16 value must hold representable values; copy only if it does not.
  const float *p = out.data<float>();
  int64_t n = out.numel();
  bool exact = true;
  for (int64_t i = 0; i < n && exact; ++i)
    exact = std::isnan(p[i]) || roundToDType(p[i], type.dtype) == double(p[i]);
  if (exact)
    return out;
  if (out.sharesBufferWith(t))
    out = out.convertedTo(want, meter);
  float *q = out.data<float>();
  for (int64_t i = 0; i < n; ++i)
    q[i] = float(roundToDType(q[i], type.dtype));
  return out;
}

namespace {

void paramRef(KernelCtx &ctx) {
  std::string name = ctx.str("name");
  if (!name.empty() && name[0] == '@')
    name.erase(0, 1);
  auto it = ctx.params->find(name);
  if (it == ctx.params->end())
    fail("parameter '" + name + "' is not in the parameter store");
  ctx.out[0] = adoptTensor(it->second, *ctx.outType[0], ctx.precision, ctx.meter,
                           "parameter '" + name + "'");
}

void constant(KernelCtx &ctx) {
  const plan::Json &v = ctx.op.attrs.at("value");
  const plan::TensorType &type = *ctx.outType[0];
  int64_t n = numelOf(type.shape);
  if (v.is_array() && int64_t(v.size()) != n)
    fail("value has " + std::to_string(v.size()) + " elements for shape " +
         shapeString(type.shape));
  auto at = [&](int64_t i) -> double {
    const plan::Json &e = v.is_array() ? v[size_t(i)] : v;
    return e.is_boolean() ? (e.get<bool>() ? 1.0 : 0.0) : e.get<double>();
  };
  if (!plan::isFloat(type.dtype)) {
    int32_t *p = ctx.allocInt().data<int32_t>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = int32_t(at(i));
    return;
  }
  Tensor &y = ctx.alloc();
  withFloat(ctx, [&](auto zero) {
    using T = decltype(zero);
    T *p = y.data<T>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = T(at(i));
  });
}

} // namespace

void addSourceKernels(std::vector<KernelDef> &defs) {
  defs.push_back({"param_ref", 0, 0, 1, {{"name", AttrType::Str}}, paramRef, /*makesViews=*/true});
  defs.push_back({"constant", 0, 0, 1, {{"value", AttrType::Value}}, constant});
}

} // namespace golf::cpu

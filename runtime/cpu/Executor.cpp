//===- Executor.cpp - the CPU reference executor --------------------------===//
//
// create() checks the plan and computes, per function, which values die after
// which op; run() executes the op list in order, each op's kernel writing
// fresh result tensors, and drops every intermediate right after its last use
// so that peak memory is the live set, not the whole graph.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Executor.h"
#include "runtime/cpu/Blas.h"
#include "runtime/cpu/Kernel.h"

#include <chrono>
#include <cmath>

namespace golf::cpu {

namespace {

/// What create() precomputes for one function.
struct Schedule {
  std::vector<const KernelDef *> kernels; // per op
  std::vector<std::vector<int>> freeAfter; // per op: values dead after it
  std::vector<int> freeAtStart;            // arguments nobody reads
};

std::string opWhere(const plan::Function &f, size_t i) {
  return "function '" + f.name + "' op #" + std::to_string(i) + " (" + f.ops[i].kind + ")";
}

std::string checkFunction(const plan::Plan &plan, const plan::Function &f, Schedule &s) {
  size_t numValues = plan.values.size();
  std::vector<int> defined(numValues, -2); // -2: undefined, -1: argument, i: op i
  std::vector<int> lastUse(numValues, -1);
  for (int a : f.args) {
    if (defined[size_t(a)] != -2)
      return "function '" + f.name + "': argument %" + std::to_string(a) + " appears twice";
    defined[size_t(a)] = -1;
  }
  for (size_t i = 0; i < f.ops.size(); ++i) {
    const plan::Op &op = f.ops[i];
    const KernelDef *def = findKernel(op.kind);
    if (!def)
      return opWhere(f, i) + ": unknown op kind";
    int n = int(op.operands.size());
    if (n < def->minOperands || (def->maxOperands >= 0 && n > def->maxOperands))
      return opWhere(f, i) + ": wrong number of operands (" + std::to_string(n) + ")";
    if (int(op.results.size()) != def->results)
      return opWhere(f, i) + ": expects " + std::to_string(def->results) + " result(s), has " +
             std::to_string(op.results.size());
    if (!op.attrs.is_object() && !op.attrs.is_null())
      return opWhere(f, i) + ": attributes must be an object";
    if (std::string why = checkAttrs(op.attrs, def->attrs); !why.empty())
      return opWhere(f, i) + ": " + why;
    for (int v : op.operands) {
      if (defined[size_t(v)] == -2)
        return opWhere(f, i) + ": operand %" + std::to_string(v) + " is used before it is defined";
      lastUse[size_t(v)] = int(i);
    }
    for (int v : op.results) {
      if (defined[size_t(v)] != -2)
        return opWhere(f, i) + ": result %" + std::to_string(v) + " is defined twice";
      defined[size_t(v)] = int(i);
    }
    if (op.kind == "param_ref") {
      std::string name = op.attrs.at("name").get<std::string>();
      if (!name.empty() && name[0] == '@')
        name.erase(0, 1);
      const plan::Param *p = plan.param(name);
      if (!p)
        return opWhere(f, i) + ": no parameter named '" + name + "'";
      if (!(p->type == plan.values[size_t(op.results[0])]))
        return opWhere(f, i) + ": result type differs from parameter '" + name + "'";
    }
    s.kernels.push_back(def);
  }
  std::vector<bool> isResult(numValues, false);
  for (int r : f.results) {
    if (defined[size_t(r)] == -2)
      return "function '" + f.name + "': result %" + std::to_string(r) + " is never defined";
    isResult[size_t(r)] = true;
  }
  s.freeAfter.assign(f.ops.size(), {});
  for (size_t v = 0; v < numValues; ++v) {
    if (defined[v] == -2 || isResult[v])
      continue;
    int at = lastUse[v] >= 0 ? lastUse[v] : defined[v];
    if (at < 0)
      s.freeAtStart.push_back(int(v));
    else
      s.freeAfter[size_t(at)].push_back(int(v));
  }
  return "";
}

/// Rounds a fresh bf16/f16 result in place (F32 mode emulates the narrow type).
void roundResult(Tensor &t, ThreadPool &pool) {
  DType d = t.dtype();
  float *p = t.data<float>();
  pool.parallelFor(t.numel(), 1 << 15, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      p[i] = float(roundToDType(p[i], d));
  });
}

template <class T> void checkFiniteAs(const Tensor &t) {
  const T *p = t.data<T>();
  int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(p[i]))
      fail("produced a non-finite value (" + std::string(std::isnan(p[i]) ? "nan" : "inf") +
           ") at element " + std::to_string(i) + " of " + shapeString(t.shape()));
}

void checkFinite(const Tensor &t) {
  if (t.storage() == Storage::F32)
    checkFiniteAs<float>(t);
  else if (t.storage() == Storage::F64)
    checkFiniteAs<double>(t);
}

} // namespace

struct Executor::Impl {
  plan::Plan plan;
  ExecutorOptions options;
  std::unique_ptr<ThreadPool> pool;
  std::vector<Schedule> schedules; // per plan function
  RunStats stats;

  std::vector<Tensor> runFunction(const plan::Function &f, const Schedule &s,
                                  const std::vector<Tensor> &args, const ParamStore &params);
};

std::vector<Tensor> Executor::Impl::runFunction(const plan::Function &f, const Schedule &s,
                                                const std::vector<Tensor> &args,
                                                const ParamStore &params) {
  auto meter = std::make_shared<MemoryMeter>();
  std::vector<Tensor> values(plan.values.size());
  if (args.size() != f.args.size())
    fail("function '" + f.name + "' takes " + std::to_string(f.args.size()) +
         " argument(s), got " + std::to_string(args.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    int v = f.args[i];
    values[size_t(v)] = adoptTensor(args[i], plan.values[size_t(v)], options.precision, meter,
                                   "function '" + f.name + "' argument " + std::to_string(i));
  }
  for (int v : s.freeAtStart)
    values[size_t(v)] = Tensor();

  for (size_t i = 0; i < f.ops.size(); ++i) {
    const plan::Op &op = f.ops[i];
    const KernelDef &def = *s.kernels[i];
    KernelCtx ctx(op, options.precision, *pool, meter, &params);
    try {
      for (int v : op.operands)
        ctx.in.push_back(&values[size_t(v)]);
      for (int v : op.results)
        ctx.outType.push_back(&plan.values[size_t(v)]);
      ctx.out.resize(op.results.size());
      def.fn(ctx);
      for (size_t r = 0; r < op.results.size(); ++r) {
        Tensor &t = ctx.out[r];
        const plan::TensorType &type = *ctx.outType[r];
        if (!t.defined() || t.dtype() != type.dtype || t.shape() != type.shape ||
            t.storage() != storageFor(type.dtype, options.precision))
          fail("kernel result " + std::to_string(r) + " does not match its declared type");
        if (!def.makesViews && options.precision == Precision::F32 &&
            (type.dtype == DType::BF16 || type.dtype == DType::F16))
          roundResult(t, *pool);
        // A view of an operand (reshape) was checked when the operand was made.
        bool view = def.makesViews && !op.operands.empty();
        if (options.checkFinite && !view)
          checkFinite(t);
      }
    } catch (const std::exception &e) {
      fail(opWhere(f, i) + ": " + e.what());
    }
    for (size_t r = 0; r < op.results.size(); ++r)
      values[size_t(op.results[r])] = std::move(ctx.out[r]);
    for (int v : s.freeAfter[i])
      values[size_t(v)] = Tensor();
  }
  std::vector<Tensor> results;
  for (int r : f.results)
    results.push_back(values[size_t(r)]);
  stats.peakBytes = meter->peak();
  return results;
}

std::optional<Executor> Executor::create(const plan::Plan &plan, ExecutorOptions options,
                                         std::string &error) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->plan = plan;
    impl->options = options;
    for (const plan::Function &f : impl->plan.functions) {
      Schedule s;
      std::string why = checkFunction(impl->plan, f, s);
      if (!why.empty()) {
        error = why;
        return std::nullopt;
      }
      impl->schedules.push_back(std::move(s));
    }
    impl->pool = std::make_unique<ThreadPool>(options.threads);
    useSingleThreadedBlas();
    return Executor(std::move(impl));
  } catch (const std::exception &e) {
    error = std::string("cpu executor: ") + e.what();
    return std::nullopt;
  }
}

std::optional<std::vector<Tensor>> Executor::run(std::string_view name,
                                                 const std::vector<Tensor> &args,
                                                 const ParamStore &params, std::string &error) {
  auto start = std::chrono::steady_clock::now();
  try {
    const auto &fns = impl_->plan.functions;
    for (size_t i = 0; i < fns.size(); ++i) {
      if (fns[i].name != name)
        continue;
      impl_->stats = {};
      auto out = impl_->runFunction(fns[i], impl_->schedules[i], args, params);
      impl_->stats.ops = int64_t(fns[i].ops.size());
      impl_->stats.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return out;
    }
    error = "plan has no function '" + std::string(name) + "'";
  } catch (const std::bad_alloc &) {
    error = "cpu executor: out of memory";
  } catch (const std::exception &e) {
    error = e.what();
  } catch (...) {
    error = "cpu executor: unknown failure";
  }
  return std::nullopt;
}

const RunStats &Executor::lastRun() const { return impl_->stats; }
Precision Executor::precision() const { return impl_->options.precision; }
const plan::Plan &Executor::plan() const { return impl_->plan; }

Executor::Executor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executor::Executor(Executor &&) noexcept = default;
Executor &Executor::operator=(Executor &&) noexcept = default;
Executor::~Executor() = default;

} // namespace golf::cpu

//===- CheckGradCommand.cpp - golfc check-grad ----------------------------===//
//
// Differentiation rules are checked the way a user's model is run: compile,
// build the plan, execute @loss_grad in float64 with random weights and
// tokens, and compare every parameter's gradient with central differences
// fourth-order central differences of @loss at sampled coordinates.
//
//===----------------------------------------------------------------------===//
#include "CheckGradCommand.h"
#include "CheckArgs.h"
#include "RandomInputs.h"

#include "runtime/cpu/Executor.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace golf {
namespace {

const char *kUsage = R"(usage: golfc check-grad FILE [--set NAME=VALUE]... [--batch=N] [--eval-batch=N]
                         [--samples=N] [--tolerance=T] [--seed=N] [--step=H]
                         [--function=F]

Compiles FILE, runs @F_grad (default F = loss; loss_crownq, say) in float64 on
the CPU executor with random weights (normal, std 0.5) and random tokens, and
compares each parameter's gradient with fourth-order central differences of
@F at N sampled coordinates
(default 8), step H x max(1, |w|) (default 1e-4). Prints the worst relative
error per parameter; exits 1 if any exceeds T (default 1e-6). An error that
does not move when H changes is the gradient's, not the difference quotient's.
The program is compiled with autocast off: differences of bf16-rounded products
measure the rounding, not the gradient. A function with golf.stop_gradient
differs from its differences where the held value depends on the sampled
weight (CROWN-Q's row maxima), and one with golf.fake_quant everywhere.
)";

} // namespace

int runCheckGradCommand(int argc, char **argv) {
  int samples = 8;
  double step = 1e-4;
  std::string function = "loss";
  CheckArgs a;
  a.tolerance = 1e-6;
  a.request.lower.autocast = "off";
  auto extra = [&](Args &args, std::string &error) {
    if (auto v = args.value("--samples")) {
      if (v->getAsInteger(10, samples) || samples <= 0)
        error = "--samples expects a positive integer";
      return true;
    }
    if (auto v = args.value("--function")) {
      function = v->str();
      return true;
    }
    if (auto v = args.value("--step")) {
      if (v->getAsDouble(step) || !(step > 0))
        error = "--step expects a positive number";
      return true;
    }
    return false;
  };
  CompileResult compiled;
  if (auto code = parseAndCompile(argc, argv, "check-grad", kUsage, a, extra, compiled))
    return *code;
  double tolerance = *a.tolerance;
  uint64_t seed = a.seed;
  const plan::Plan &p = *compiled.plan;
  std::string error;
  auto ex = cpu::Executor::create(p, cpu::Precision::F64, error);
  if (!ex) {
    llvm::errs() << "golfc check-grad: " << error << "\n";
    return 1;
  }

  const std::string gradFunction = function + "_grad";
  if (!p.function(function) || !p.function(gradFunction)) {
    llvm::errs() << "golfc check-grad: the plan has no @" << function << " and @" << gradFunction
                 << "\n";
    return 1;
  }
  std::mt19937_64 rng(seed);
  cpu::ParamStore params = randomParams(p, 0.5, cpu::Storage::F64, rng);
  std::vector<cpu::Tensor> inputs = randomInputs(p, *p.function(gradFunction), rng);
  auto lossAt = [&]() -> std::optional<double> {
    auto out = ex->run(function, inputs, params, error);
    return out ? std::optional<double>((*out)[0].get(0)) : std::nullopt;
  };
  auto grads = ex->run(gradFunction, inputs, params, error);
  if (!grads) {
    llvm::errs() << "golfc check-grad: " << error << "\n";
    return 1;
  }
  // The gradient function recomputes the forward pass; it must give the
  // function's value.
  auto plain = lossAt();
  if (!plain) {
    llvm::errs() << "golfc check-grad: " << error << "\n";
    return 1;
  }
  double gradLoss = (*grads)[0].get(0);
  llvm::outs() << "loss " << llvm::format("%.12g", *plain) << " (@" << gradFunction << ": "
               << llvm::format("%.12g", gradLoss) << ")\n";
  if (std::fabs(gradLoss - *plain) > 1e-12 * std::max(1.0, std::fabs(*plain))) {
    llvm::outs() << "the losses of @" << function << " and @" << gradFunction
                 << " differ\n0 passed, 1 failed\n";
    return 1;
  }
  llvm::outs() << llvm::left_justify("parameter", 28) << llvm::right_justify("samples", 8)
               << llvm::right_justify("max rel err", 14) << "\n";
  int failures = 0;
  for (size_t k = 0; k < p.params.size(); ++k) {
    const plan::Param &param = p.params[k];
    const cpu::Tensor &g = (*grads)[k + 1];
    cpu::Tensor &w = params[param.name];
    double *data = w.data<double>();
    std::uniform_int_distribution<int64_t> pick(0, w.numel() - 1);
    double diff2 = 0, num2 = 0, ana2 = 0, noise2 = 0;
    int n = int(std::min<int64_t>(samples, w.numel()));
    for (int s = 0; s < n; ++s) {
      int64_t i = n == w.numel() ? s : pick(rng);
      // Fourth-order central differences: with h = 1e-4 the truncation error
      // is O(h^4) and round-off about 1e-16 * |L| / h, both far below the
      // tolerance even for gradient entries of 1e-6.
      double x = data[i], h = step * std::max(1.0, std::fabs(x));
      double f[4];
      const double offsets[4] = {-2, -1, 1, 2};
      for (int k = 0; k < 4; ++k) {
        data[i] = x + offsets[k] * h;
        auto l = lossAt();
        if (!l) {
          data[i] = x;
          llvm::errs() << "golfc check-grad: " << error << "\n";
          return 1;
        }
        f[k] = *l;
      }
      data[i] = x;
      double numeric = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h), analytic = g.get(i);
      // What rounding alone can put into that quotient: each loss carries an
      // error of a few ulps (10 of them, to be safe) times the weights 1, 8,
      // 8, 1 over 12h.
      double noise = 10 * std::numeric_limits<double>::epsilon() *
                     (std::fabs(f[0]) + 8 * std::fabs(f[1]) + 8 * std::fabs(f[2]) + std::fabs(f[3])) /
                     (12 * h);
      noise2 += noise * noise;
      diff2 += (numeric - analytic) * (numeric - analytic);
      num2 += numeric * numeric;
      ana2 += analytic * analytic;
      if (getenv("GOLF_CHECK_GRAD_VERBOSE"))
        llvm::errs() << param.name << "[" << i << "] analytic " << analytic << " numeric " << numeric << "\n";
    }
    // Relative error of the sampled gradient vector: entry-wise ratios blow
    // up on entries near zero, where difference quotients are all noise. The
    // scale has two floors. 1e-9 keeps a gradient that is exactly zero (an
    // embedding row no token reaches) from comparing noise with noise. The
    // rounding bound over the tolerance means that a difference that rounding
    // alone explains passes: a parameter whose gradient is tiny next to the
    // loss (1e-8 against a loss of 9, as in seed 004's second block) is
    // checked down to that bound (about 1e-11 at h = 1e-4), not below it.
    double floor = std::max(1e-9, std::sqrt(noise2) / tolerance);
    double worst = std::sqrt(diff2) / std::max({std::sqrt(num2), std::sqrt(ana2), floor});
    bool ok = worst <= tolerance;
    failures += !ok;
    llvm::outs() << llvm::left_justify(param.name, 28) << llvm::right_justify(std::to_string(n), 8)
                 << llvm::right_justify(llvm::formatv("{0:e2}", worst).str(), 14)
                 << (ok ? "  ok" : "  FAIL") << "\n";
  }
  llvm::outs() << (p.params.size() - failures) << " passed, " << failures << " failed\n";
  return failures ? 1 : 0;
}

} // namespace golf

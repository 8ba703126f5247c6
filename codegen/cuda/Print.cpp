//===- Print.cpp - readable dumps of the GPU lowering ----------------------===//
#include "codegen/cuda/Print.h"
#include "codegen/cuda/BufferPlan.h"
#include "codegen/cuda/Lowering.h"

#include <map>
#include <set>
#include <sstream>

namespace golf::cudagen {

namespace {

std::string values(const std::vector<int> &ids) {
  std::string s;
  for (int v : ids)
    s += (s.empty() ? "%" : " %") + std::to_string(v);
  return s.empty() ? "-" : s;
}

std::string mib(uint64_t bytes) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(1);
  os << double(bytes) / double(1 << 20) << " MiB";
  return os.str();
}

std::string dims(const std::array<uint32_t, 3> &d) {
  std::string s = std::to_string(d[0]);
  if (d[1] != 1 || d[2] != 1)
    s += "x" + std::to_string(d[1]) + "x" + std::to_string(d[2]);
  return s;
}

} // namespace

uint64_t stepBytes(const FunctionProgram &p, const Step &s) {
  uint64_t bytes = 0;
  for (const std::vector<int> *ids : {&s.operands, &s.results})
    for (int v : *ids)
      bytes += uint64_t(p.values[size_t(v)].numel()) * elementBytes(p.values[size_t(v)].dtype);
  return bytes;
}

std::string describe(const AttentionCall &c) {
  const AttentionShape &s = c.shape;
  std::ostringstream os;
  os << "cudnn sdpa " << (c.grad ? "bwd" : "fwd") << " b=" << s.B << " h=" << s.H << " hkv=" << s.Hkv
     << " t=" << s.T << " s=" << s.S << " d=" << s.D << (s.causal ? " causal" : "")
     << " scale=" << s.scale;
  const AttentionShape::Merged &m = s.merged;
  std::string merged;
  for (auto [on, name] : {std::pair{m.q, "q"}, {m.k, "k"}, {m.v, "v"}, {m.dy, "dy"},
                          {m.out, c.grad ? "dq" : "y"}, {m.dk, "dk"}, {m.dv, "dv"}})
    if (on)
      merged += std::string(merged.empty() ? "" : ",") + name;
  if (c.grad && c.yMerged)
    merged += std::string(merged.empty() ? "" : ",") + "y";
  if (!merged.empty())
    os << " merged=" << merged;
  if (c.stats)
    os << " stats";
  return os.str();
}

std::vector<FunctionProgram> lowerPlan(const plan::Plan &plan, const LowerOptions &options) {
  std::vector<FunctionProgram> out;
  for (const plan::Function &f : plan.functions)
    out.push_back(lowerFunction(plan, f, options));
  return out;
}

std::string printFused(const plan::Plan &plan, const std::vector<FunctionProgram> &programs) {
  std::ostringstream os;
  for (const FunctionProgram &p : programs) {
    const plan::Function &f = *plan.function(p.function);
    int kernels = 0, gemms = 0, aliases = 0, launches = 0;
    uint64_t traffic = 0;
    int attention = 0, once = 0;
    for (const Step &s : p.steps) {
      once += s.weightsOnly;
      if (s.kind == Step::Program || s.kind == Step::Attention)
        traffic += stepBytes(p, s);
      kernels += s.kind == Step::Program;
      gemms += s.kind == Step::Gemm;
      attention += s.kind == Step::Attention;
      aliases += s.kind == Step::Alias;
      launches += int(s.program.launches.size());
    }
    os << "func @" << p.function << ": " << f.ops.size() << " ops -> " << p.steps.size()
       << " steps (" << kernels << " generated, " << launches << " launches, " << gemms << " gemm, "
       << (attention ? std::to_string(attention) + " cudnn attention, " : "") << aliases
       << " views; " << once << " read weights only); generated kernels move "
       << mib(traffic) << "\n";
    const plan::Function &fn = *plan.function(p.function);
    BufferPlan buffers = planBuffers(p, fn.args, fn.results);
    os << "  arena " << mib(buffers.arenaBytes) << ": at most " << mib(buffers.peakLiveBytes)
       << " live at once (step " << buffers.peakStep << "), " << mib(buffers.naiveBytes)
       << " without reuse\n";
    for (size_t i = 0; i < p.steps.size(); ++i) {
      const Step &s = p.steps[i];
      os << "  step " << i << ": ";
      if (s.kind == Step::Gemm) {
        const GemmCall &g = s.gemm;
        os << "gemm m=" << g.m << " n=" << g.n << " k=" << g.k << (g.transA ? " ta" : "")
           << (g.transB ? " tb" : "");
        if (g.batch > 1)
          os << " batch=" << g.batch << (g.strideB == 0 ? " shared-b" : "");
      } else if (s.kind == Step::Attention) {
        os << describe(s.attention);
      } else if (s.kind == Step::Alias) {
        os << "view";
      } else {
        for (size_t j = 0; j < s.program.launches.size(); ++j) {
          const Launch &l = s.program.launches[j];
          os << (j ? ", " : "") << l.kernel << "<<<" << dims(l.grid) << ", " << dims(l.block) << ">>>";
        }
      }
      os << "\n    ops:";
      for (int op : s.ops)
        os << " #" << op << " " << f.ops[size_t(op)].kind;
      os << "\n    reads " << values(s.operands) << "  writes " << values(s.results);
      if (s.kind == Step::Program || s.kind == Step::Attention)
        os << "  (" << mib(stepBytes(p, s)) << ")";
      if (s.recomputes >= 0)
        os << "  again: %" << s.recomputes << " for its late readers";
      if (s.weightsOnly)
        os << "  once per optimizer step";
      os << "\n";
    }
  }
  return os.str();
}

std::vector<Kernel> distinctKernels(const std::vector<FunctionProgram> &programs) {
  std::vector<Kernel> out;
  std::set<std::string> seen;
  for (const FunctionProgram &p : programs)
    for (const Step &s : p.steps)
      for (const Kernel &k : s.program.kernels)
        if (seen.insert(k.name).second)
          out.push_back(k);
  return out;
}

std::string printCuda(const std::vector<FunctionProgram> &programs) {
  std::map<std::string, std::vector<std::string>> users;
  for (const FunctionProgram &p : programs)
    for (size_t i = 0; i < p.steps.size(); ++i)
      for (const Kernel &k : p.steps[i].program.kernels)
        users[k.name].push_back("@" + p.function + " step " + std::to_string(i) + " (" +
                                p.steps[i].label + ")");
  std::ostringstream os;
  std::vector<Kernel> kernels = distinctKernels(programs);
  os << "// " << kernels.size() << " distinct kernels\n";
  for (const Kernel &k : kernels) {
    const std::vector<std::string> &u = users[k.name];
    os << "\n// ===== kernel " << k.name << ": " << u.size() << " use" << (u.size() == 1 ? "" : "s")
       << ", first " << u.front() << "\n" << k.source;
  }
  return os.str();
}

} // namespace golf::cudagen

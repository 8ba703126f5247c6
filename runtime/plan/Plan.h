//===- Plan.h - what the compiler hands the runtime -------------*- C++ -*-===//
//
// A plan is the compiled model in plain C++ (no MLIR types): parameters with
// their initializers, groups and quant classes; the typed values; functions
// as straight-line op lists over value ids; and the train/export/eval
// settings. It is written to disk as JSON and read back by runtimes on
// machines without LLVM.
//
// Op kinds are the golf op names without the "golf." prefix; their operands,
// results and attributes follow the ODS definitions in ir/GolfOps.td, which
// are the executors' specification.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_PLAN_PLAN_H
#define GOLF_RUNTIME_PLAN_PLAN_H

#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golf::plan {

using Json = nlohmann::json;

enum class DType : uint8_t { F32, BF16, F16, F64, I32, I1 };
const char *dtypeName(DType t);
std::optional<DType> parseDType(std::string_view name);
bool isFloat(DType t);
/// rms_norm's eps when the op has none. PyTorch's F.rms_norm(eps=None) takes
/// the epsilon of its computation type, float32 for bf16, f16 and f32
/// inputs (float64 for f64): 2^-23, not bf16's 2^-7, so a bf16 embedding
/// with small weights is still normalized to unit RMS.
double rmsNormDefaultEps(DType input);

struct TensorType {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  int64_t numel() const;
  bool operator==(const TensorType &o) const { return dtype == o.dtype && shape == o.shape; }
};

struct Op {
  std::string kind;          // "matmul", "attention_grad", "param_ref", ...
  std::vector<int> operands; // value ids
  std::vector<int> results;  // value ids
  Json attrs = Json::object();
};

struct Function {
  std::string name;                      // "loss", "loss_grad", "nll"
  std::vector<int> args;                 // value ids of the arguments
  std::vector<int> results;              // value ids returned
  std::vector<std::string> resultNames;  // "loss", "grad:<param>", "nll"
  std::vector<Op> ops;
};

struct Param {
  std::string name;
  TensorType type;
  std::string group;
  std::string quant;
  std::optional<double> wd;
  Json init; // {"kind": "normal", "std": 0.005, ...}
};

struct Plan {
  static constexpr int kVersion = 1;
  std::string model;
  std::vector<Param> params;
  std::vector<TensorType> values; // indexed by value id
  std::vector<Function> functions;
  Json train = Json::object();
  Json exportSettings = Json::object();
  Json eval = Json::object();

  const Function *function(std::string_view name) const;
  const Param *param(std::string_view name) const;
};

Json toJson(const Plan &plan);
/// Checks structure and consistency (ids in range, types present); returns
/// the plan or sets `error` to a one-line reason.
std::optional<Plan> fromJson(const Json &j, std::string &error);

/// The on-disk text of a plan (JSON with format, version and checksum).
std::string serializePlan(const Plan &plan);

/// Writes atomically (temporary file, then rename) with a checksum of the
/// content; reading verifies the checksum. Both set `error` on failure.
bool writePlan(const Plan &plan, const std::string &path, std::string &error);
std::optional<Plan> readPlan(const std::string &path, std::string &error);
/// readPlan on text already read; `source` names it in messages.
std::optional<Plan> parsePlan(const std::string &text, const std::string &source,
                              std::string &error);

} // namespace golf::plan

#endif // GOLF_RUNTIME_PLAN_PLAN_H

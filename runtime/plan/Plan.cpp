//===- Plan.cpp - what the compiler hands the runtime ---------------------===//
//
// On disk: {"format": "golf-plan", "version": 1, "checksum": "<fnv1a64 of
// plan.dump()>", "plan": {...}}. The runtime is built with exceptions so
// that any malformed JSON becomes a one-line error here.
//
//===----------------------------------------------------------------------===//
#include "runtime/plan/Plan.h"

#include <cfloat>
#include "runtime/support/Files.h"

#include <cstdio>

namespace golf::plan {

namespace {
constexpr std::pair<DType, const char *> kDTypes[] = {
    {DType::F32, "f32"}, {DType::BF16, "bf16"}, {DType::F16, "f16"},
    {DType::F64, "f64"}, {DType::I32, "i32"},   {DType::I1, "i1"}};

Json typeToJson(const TensorType &t) {
  return Json{{"dtype", dtypeName(t.dtype)}, {"shape", t.shape}};
}

TensorType typeFromJson(const Json &j) {
  auto dtype = parseDType(j.at("dtype").get<std::string>());
  if (!dtype)
    throw std::runtime_error("unknown dtype " + j.at("dtype").get<std::string>());
  TensorType t{*dtype, j.at("shape").get<std::vector<int64_t>>()};
  for (int64_t d : t.shape)
    if (d < 0)
      throw std::runtime_error("negative dimension");
  return t;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
} // namespace

const char *dtypeName(DType t) {
  for (auto [d, name] : kDTypes)
    if (d == t)
      return name;
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  for (auto [d, n] : kDTypes)
    if (name == n)
      return d;
  return std::nullopt;
}

bool isFloat(DType t) { return t != DType::I32 && t != DType::I1; }

double rmsNormDefaultEps(DType input) {
  return input == DType::F64 ? DBL_EPSILON : double(FLT_EPSILON);
}

int64_t TensorType::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const Function *Plan::function(std::string_view name) const {
  for (const Function &f : functions)
    if (f.name == name)
      return &f;
  return nullptr;
}

const Param *Plan::param(std::string_view name) const {
  for (const Param &p : params)
    if (p.name == name)
      return &p;
  return nullptr;
}

Json toJson(const Plan &plan) {
  Json params = Json::array();
  for (const Param &p : plan.params) {
    Json j{{"name", p.name}, {"type", typeToJson(p.type)}, {"group", p.group},
           {"quant", p.quant}, {"init", p.init}};
    if (p.wd)
      j["wd"] = *p.wd;
    params.push_back(std::move(j));
  }
  Json values = Json::array();
  for (const TensorType &t : plan.values)
    values.push_back(typeToJson(t));
  Json functions = Json::array();
  for (const Function &f : plan.functions) {
    Json ops = Json::array();
    for (const Op &op : f.ops)
      ops.push_back({{"kind", op.kind}, {"operands", op.operands}, {"results", op.results},
                     {"attrs", op.attrs}});
    functions.push_back({{"name", f.name}, {"args", f.args}, {"results", f.results},
                         {"result_names", f.resultNames}, {"ops", std::move(ops)}});
  }
  return Json{{"model", plan.model},   {"params", std::move(params)},
              {"values", std::move(values)}, {"functions", std::move(functions)},
              {"train", plan.train},   {"export", plan.exportSettings},
              {"eval", plan.eval}};
}

std::optional<Plan> fromJson(const Json &j, std::string &error) {
  try {
    Plan plan;
    plan.model = j.at("model").get<std::string>();
    for (const Json &v : j.at("values"))
      plan.values.push_back(typeFromJson(v));
    for (const Json &p : j.at("params")) {
      Param param{p.at("name").get<std::string>(), typeFromJson(p.at("type")),
                  p.at("group").get<std::string>(), p.at("quant").get<std::string>(),
                  std::nullopt, p.at("init")};
      if (p.contains("wd"))
        param.wd = p.at("wd").get<double>();
      plan.params.push_back(std::move(param));
    }
    auto checkIds = [&](const std::vector<int> &ids, const std::string &where) {
      for (int id : ids)
        if (id < 0 || size_t(id) >= plan.values.size())
          throw std::runtime_error("value id " + std::to_string(id) + " out of range in " + where);
    };
    for (const Json &f : j.at("functions")) {
      Function fn;
      fn.name = f.at("name").get<std::string>();
      fn.args = f.at("args").get<std::vector<int>>();
      fn.results = f.at("results").get<std::vector<int>>();
      fn.resultNames = f.at("result_names").get<std::vector<std::string>>();
      if (fn.resultNames.size() != fn.results.size())
        throw std::runtime_error("function " + fn.name + ": result names do not match results");
      checkIds(fn.args, fn.name);
      checkIds(fn.results, fn.name);
      for (const Json &o : f.at("ops")) {
        Op op{o.at("kind").get<std::string>(), o.at("operands").get<std::vector<int>>(),
              o.at("results").get<std::vector<int>>(), o.at("attrs")};
        checkIds(op.operands, fn.name + "/" + op.kind);
        checkIds(op.results, fn.name + "/" + op.kind);
        fn.ops.push_back(std::move(op));
      }
      plan.functions.push_back(std::move(fn));
    }
    plan.train = j.at("train");
    plan.exportSettings = j.at("export");
    plan.eval = j.at("eval");
    return plan;
  } catch (const std::exception &e) {
    error = std::string("malformed plan: ") + e.what();
    return std::nullopt;
  }
}

std::string serializePlan(const Plan &plan) {
  Json body = toJson(plan);
  std::string text = body.dump();
  Json file{{"format", "golf-plan"},
            {"version", Plan::kVersion},
            {"checksum", hex(fnv1a64(text.data(), text.size()))},
            {"plan", std::move(body)}};
  return file.dump(1) + "\n";
}

bool writePlan(const Plan &plan, const std::string &path, std::string &error) {
  return writeFileAtomic(path, serializePlan(plan), error);
}

std::optional<Plan> parsePlan(const std::string &text, const std::string &source,
                              std::string &error) {
  Json file = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (file.is_discarded() || !file.is_object() || file.value("format", "") != "golf-plan") {
    error = source + " is not a golf plan";
    return std::nullopt;
  }
  if (file.value("version", 0) != Plan::kVersion) {
    error = source + ": plan version " + file.value("version", Json(0)).dump() +
            " is not supported (this runtime reads version " +
            std::to_string(Plan::kVersion) + ")";
    return std::nullopt;
  }
  if (!file.contains("plan") || !file["checksum"].is_string()) {
    error = source + ": plan or checksum missing";
    return std::nullopt;
  }
  std::string body = file["plan"].dump();
  if (hex(fnv1a64(body.data(), body.size())) != file["checksum"].get<std::string>()) {
    error = source + ": checksum mismatch (the file is corrupt or was edited)";
    return std::nullopt;
  }
  auto plan = fromJson(file["plan"], error);
  if (!plan)
    error = source + ": " + error;
  return plan;
}

std::optional<Plan> readPlan(const std::string &path, std::string &error) {
  auto text = readFile(path, error);
  if (!text)
    return std::nullopt;
  return parsePlan(*text, path, error);
}

} // namespace golf::plan

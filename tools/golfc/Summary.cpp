//===- Summary.cpp - the parameter table of a compiled model --------------===//
#include "Summary.h"

#include "ir/GolfOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Format.h"

namespace golf {

namespace {

/// 17059912 -> "17,059,912".
std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string typeName(mlir::Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return os.str();
}

} // namespace

void printSummary(mlir::ModuleOp module, llvm::raw_ostream &os) {
  struct Row {
    std::string name, shape, dtype, group, quant;
    int64_t count;
  };
  std::vector<Row> rows;
  llvm::MapVector<llvm::StringRef, int64_t> byGroup, byQuant;
  int64_t total = 0;
  for (auto p : module.getOps<mlir::golf::ParamOp>()) {
    auto type = p.getTensorType();
    int64_t n = *mlir::golf::elementCount(type.getShape());
    rows.push_back({p.getSymName().str(), mlir::golf::shapeString(type.getShape()),
                    typeName(type.getElementType()), p.getGroup().str(), p.getQuant().str(), n});
    byGroup[p.getGroup()] += n;
    byQuant[p.getQuant()] += n;
    total += n;
  }
  size_t w[5] = {4, 5, 5, 5, 5};
  for (const Row &r : rows) {
    w[0] = std::max(w[0], r.name.size());
    w[1] = std::max(w[1], r.shape.size());
    w[2] = std::max(w[2], r.dtype.size());
    w[3] = std::max(w[3], r.group.size());
    w[4] = std::max(w[4], r.quant.size());
  }
  auto cell = [&](llvm::StringRef s, size_t width) { os << llvm::left_justify(s, width + 2); };
  os << "model " << module.getName().value_or("?") << ": " << rows.size() << " parameters, "
     << withCommas(total) << " values\n\n";
  cell("name", w[0]); cell("shape", w[1]); cell("dtype", w[2]); cell("group", w[3]);
  cell("quant", w[4]);
  os << llvm::right_justify("count", 12) << "\n";
  for (const Row &r : rows) {
    cell(r.name, w[0]); cell(r.shape, w[1]); cell(r.dtype, w[2]); cell(r.group, w[3]);
    cell(r.quant, w[4]);
    os << llvm::right_justify(withCommas(r.count), 12) << "\n";
  }
  auto totals = [&](const char *title, const llvm::MapVector<llvm::StringRef, int64_t> &m) {
    os << "\nby " << title << ":\n";
    for (const auto &[k, n] : m)
      os << "  " << llvm::left_justify(k, 16) << llvm::right_justify(withCommas(n), 12) << "\n";
  };
  totals("optimizer group", byGroup);
  totals("quant class", byQuant);
  os << "\ntotal parameters: " << withCommas(total) << "\n";
}

} // namespace golf

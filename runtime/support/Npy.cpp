//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
#include "runtime/support/Npy.h"


namespace golf {
namespace {

std::string npy(const char *descr, const std::vector<int64_t> &shape, const void *data,
                size_t bytes) {
  // Python tuple syntax: "()", "(4,)", "(2, 3)".
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i)
    dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    dims += ",";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic, version, length, then the header padded with spaces to a
  // multiple of 64 bytes and ended by a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  uint16_t len = uint16_t(header.size());
  out.push_back(char(len & 0xff));
  out.push_back(char(len >> 8));
  out += header;
  out.append(static_cast<const char *>(data), bytes);
  return out;
}

} // namespace

std::string npyFloat32(const std::vector<int64_t> &shape, const std::vector<float> &data) {
  return npy("<f4", shape, data.data(), data.size() * sizeof(float));
}

std::string npyInt32(const std::vector<int64_t> &shape, const std::vector<int32_t> &data) {
  return npy("<i4", shape, data.data(), data.size() * sizeof(int32_t));
}

} // namespace golf

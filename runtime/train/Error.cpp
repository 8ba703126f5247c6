//===- Error.cpp - settings readers ---------------------------------------===//
#include "runtime/train/Error.h"

namespace golf::train {
namespace {

const plan::Json *field(const plan::Json &j, const char *key, const std::string &what,
                        bool required) {
  if (!j.is_object())
    fail(what + ": settings must be an object, got " + j.dump());
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required)
      fail(what + " needs '" + key + "'");
    return nullptr;
  }
  return &*it;
}

[[noreturn]] void wrong(const plan::Json &v, const char *key, const std::string &what,
                        const char *want) {
  fail(what + ": '" + key + "' must be " + want + ", got " + v.dump());
}

double number(const plan::Json &v, const char *key, const std::string &what) {
  if (!v.is_number())
    wrong(v, key, what, "a number");
  return v.get<double>();
}

int64_t integer(const plan::Json &v, const char *key, const std::string &what) {
  if (!v.is_number_integer())
    wrong(v, key, what, "an integer");
  return v.get<int64_t>();
}

} // namespace

double jsonNumber(const plan::Json &j, const char *key, const std::string &what) {
  return number(*field(j, key, what, true), key, what);
}

double jsonNumberOr(const plan::Json &j, const char *key, double def, const std::string &what) {
  const plan::Json *v = field(j, key, what, false);
  return v ? number(*v, key, what) : def;
}

int64_t jsonInt(const plan::Json &j, const char *key, const std::string &what) {
  return integer(*field(j, key, what, true), key, what);
}

int64_t jsonIntOr(const plan::Json &j, const char *key, int64_t def, const std::string &what) {
  const plan::Json *v = field(j, key, what, false);
  return v ? integer(*v, key, what) : def;
}

bool jsonBoolOr(const plan::Json &j, const char *key, bool def, const std::string &what) {
  const plan::Json *v = field(j, key, what, false);
  if (!v)
    return def;
  if (!v->is_boolean())
    wrong(*v, key, what, "true or false");
  return v->get<bool>();
}

std::string jsonString(const plan::Json &j, const char *key, const std::string &what) {
  const plan::Json *v = field(j, key, what, true);
  if (!v->is_string())
    wrong(*v, key, what, "a string");
  return v->get<std::string>();
}

std::string jsonStringOr(const plan::Json &j, const char *key, const std::string &def,
                         const std::string &what) {
  const plan::Json *v = field(j, key, what, false);
  if (!v)
    return def;
  if (!v->is_string())
    wrong(*v, key, what, "a string");
  return v->get<std::string>();
}

} // namespace golf::train

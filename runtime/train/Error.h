//===- Error.h - errors and settings readers (internal) ---------*- C++ -*-===//
//
// Inside the library problems are thrown as TrainError (or come up as
// cpu::KernelError from cpu/Blas.h, or std::bad_alloc); every public entry
// point runs its body under guard(), which turns any exception into the
// one-line `error` string the API promises. Nothing escapes.
//
// The settings readers give the one-line messages a hand-edited plan file
// deserves ("muon(group = matrix): 'lr' must be a number") instead of
// nlohmann's exception texts.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_ERROR_H
#define GOLF_RUNTIME_TRAIN_ERROR_H

#include "runtime/plan/Plan.h"

#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

namespace golf::train {

struct TrainError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] inline void fail(const std::string &message) { throw TrainError(message); }

/// Runs f(); returns false with `error` set to the exception's one line if it
/// threw.
template <class F> bool guard(std::string &error, F &&f) {
  try {
    f();
    return true;
  } catch (const std::bad_alloc &) {
    error = "out of memory";
  } catch (const std::exception &e) {
    error = e.what();
  } catch (...) {
    error = "unknown error";
  }
  return false;
}

// Field readers over a settings object `j` described as `what` in messages.
// The *Or forms return `def` when the key is absent.
double jsonNumber(const plan::Json &j, const char *key, const std::string &what);
double jsonNumberOr(const plan::Json &j, const char *key, double def, const std::string &what);
int64_t jsonInt(const plan::Json &j, const char *key, const std::string &what);
int64_t jsonIntOr(const plan::Json &j, const char *key, int64_t def, const std::string &what);
bool jsonBoolOr(const plan::Json &j, const char *key, bool def, const std::string &what);
std::string jsonString(const plan::Json &j, const char *key, const std::string &what);
std::string jsonStringOr(const plan::Json &j, const char *key, const std::string &def,
                         const std::string &what);

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_ERROR_H

// Helpers shared by the data tests.
#ifndef GOLF_TEST_RUNTIME_DATA_TESTUTIL_H
#define GOLF_TEST_RUNTIME_DATA_TESTUTIL_H

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace golf::test {

/// A fresh temporary directory, removed (with its files) at the end.
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/golf-data-test-XXXXXX";
    const char *d = ::mkdtemp(tmpl);
    path_ = d ? d : "/tmp";
  }
  ~TempDir() {
    if (path_ != "/tmp")
      std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

inline void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

inline bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

inline std::string sharedData(const std::string &name) {
  return std::string(GOLF_SHARED_DIR) + "/data/" + name;
}

/// Skips the test unless ../shared/data/<name> exists.
#define GOLF_REQUIRE_SHARED(name)                                                                  \
  do {                                                                                             \
    if (!::golf::test::exists(::golf::test::sharedData(name)))                                     \
      GTEST_SKIP() << "reference data " << ::golf::test::sharedData(name)                         \
                   << " is absent (GOLF_SHARED_DIR=" GOLF_SHARED_DIR ")";                          \
  } while (0)

} // namespace golf::test

#endif

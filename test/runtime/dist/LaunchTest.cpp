//===- LaunchTest.cpp - the local launcher with /bin/sh ranks -------------===//
#include "test/runtime/data/TestUtil.h"

#include "runtime/dist/Launch.h"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>

using namespace golf::dist;
using golf::test::exists;
using golf::test::TempDir;

namespace {

using Clock = std::chrono::steady_clock;

/// Runs `script` in `processes` shells, with $OUT the test's directory.
LaunchResult launchShell(int processes, const TempDir &dir, const std::string &script,
                         double graceSeconds = 10) {
  LaunchOptions options;
  options.processes = processes;
  options.argv = {"/bin/sh", "-c", script, "rank"};
  options.extraEnv = {{"OUT", dir.path()}, {"GOLF_DIST_TEST_EXTRA", "extra value"}};
  options.graceSeconds = graceSeconds;
  return launchLocal(options);
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string firstLine(const std::string &path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// True once every path exists; false after 10 s.
bool waitForFiles(const std::vector<std::string> &paths) {
  for (auto start = Clock::now(); secondsSince(start) < 10;
       std::this_thread::sleep_for(std::chrono::milliseconds(10))) {
    bool all = true;
    for (const std::string &p : paths)
      all = all && exists(p);
    if (all)
      return true;
  }
  return false;
}

/// A variable of the test process, put back at the end.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name))
      old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

private:
  const char *name_;
  std::optional<std::string> old_;
};

} // namespace

TEST(PickFreePort, GivesABindablePort) {
  std::string error;
  int port = pickFreePort(error);
  ASSERT_GT(port, 0) << error;
  ASSERT_LE(port, 65535);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  ::close(fd);
}

TEST(Launch, EveryRankGetsItsVariables) {
  TempDir dir;
  ScopedEnv inherited("GOLF_DIST_TEST_INHERITED", "yes");
  ScopedEnv stale("WORLD_SIZE", "99"); // the launcher's values replace the parent's
  LaunchResult result = launchShell(3, dir,
                                    "echo \"$RANK $WORLD_SIZE $LOCAL_RANK $MASTER_ADDR "
                                    "$GOLF_DIST_TEST_EXTRA $GOLF_DIST_TEST_INHERITED\" "
                                    "> \"$OUT/$RANK\"; echo \"$MASTER_PORT\" > \"$OUT/port$RANK\"");
  EXPECT_EQ(result.exitCode, 0);
  EXPECT_EQ(result.message, "");
  std::string port = firstLine(dir.file("port0"));
  EXPECT_GT(std::atoi(port.c_str()), 0);
  for (int rank = 0; rank < 3; ++rank) {
    std::string r = std::to_string(rank);
    EXPECT_EQ(firstLine(dir.file(r)), r + " 3 " + r + " 127.0.0.1 extra value yes");
    EXPECT_EQ(firstLine(dir.file("port" + r)), port);
  }
}

TEST(Launch, AFailureStopsTheOthers) {
  TempDir dir;
  auto start = Clock::now();
  // Rank 1 fails once the others sleep; `exec` makes each sleeper the
  // child itself, so its pid is the one the launcher must end.
  LaunchResult result = launchShell(3, dir, R"(
    if [ "$RANK" = 1 ]; then
      while [ ! -e "$OUT/pid0" ] || [ ! -e "$OUT/pid2" ]; do sleep 0.01; done
      exit 3
    fi
    echo $$ > "$OUT/pid$RANK.tmp"; mv "$OUT/pid$RANK.tmp" "$OUT/pid$RANK"
    exec sleep 30)");
  EXPECT_LT(secondsSince(start), 5);
  EXPECT_EQ(result.exitCode, 3);
  EXPECT_EQ(result.message, "rank 1 exited with code 3; stopped ranks 0, 2");
  for (const char *name : {"pid0", "pid2"}) {
    pid_t pid = std::atoi(firstLine(dir.file(name)).c_str());
    ASSERT_GT(pid, 0);
    EXPECT_EQ(::kill(pid, 0), -1) << name << " still runs";
  }
}

TEST(Launch, ASignalIsReported) {
  TempDir dir;
  LaunchResult result =
      launchShell(2, dir, "if [ \"$RANK\" = 0 ]; then kill -KILL $$; fi; exec sleep 30");
  EXPECT_EQ(result.exitCode, 128 + SIGKILL);
  EXPECT_EQ(result.message, "rank 0 was killed by signal 9 (Killed); stopped rank 1");
}

TEST(Launch, SurvivorsOfSigtermAreKilled) {
  TempDir dir;
  auto start = Clock::now();
  LaunchResult result = launchShell(2, dir, R"(
    if [ "$RANK" = 0 ]; then
      while [ ! -e "$OUT/ready" ]; do sleep 0.01; done
      exit 4
    fi
    trap '' TERM; touch "$OUT/ready"; exec sleep 30)",
                                    /*graceSeconds=*/0.3);
  double took = secondsSince(start);
  EXPECT_GE(took, 0.3);
  EXPECT_LT(took, 5);
  EXPECT_EQ(result.exitCode, 4);
  EXPECT_EQ(result.message, "rank 0 exited with code 4; stopped rank 1");
}

TEST(Launch, MissingProgram) {
  LaunchOptions options;
  options.processes = 2;
  options.argv = {"/nonexistent/golfc", "train"};
  LaunchResult result = launchLocal(options);
  EXPECT_EQ(result.exitCode, 127);
  EXPECT_EQ(result.message, "rank 0 could not start /nonexistent/golfc: No such file or directory");
}

TEST(Launch, ForwardsSigint) {
  // A shell's background job inherits SIGINT ignored, and so would the ranks.
  struct sigaction byDefault {};
  byDefault.sa_handler = SIG_DFL;
  struct sigaction before {};
  ::sigaction(SIGINT, &byDefault, &before);
  TempDir dir;
  LaunchResult result;
  auto start = Clock::now();
  std::thread launcher(
      [&] { result = launchShell(2, dir, "touch \"$OUT/ready$RANK\"; exec sleep 30"); });
  bool ready = waitForFiles({dir.file("ready0"), dir.file("ready1")});
  if (ready) // the launcher's handler is in place once a child runs
    ::kill(::getpid(), SIGINT);
  launcher.join();
  ASSERT_TRUE(ready);
  EXPECT_LT(secondsSince(start), 5);
  EXPECT_EQ(result.exitCode, 128 + SIGINT);
  EXPECT_EQ(result.message.rfind("interrupted by signal 2 (Interrupt): rank ", 0), 0u)
      << result.message;
  struct sigaction after {};
  ::sigaction(SIGINT, &before, &after);
  EXPECT_EQ(after.sa_handler, SIG_DFL);
}

TEST(Launch, NothingToLaunch) {
  LaunchOptions options;
  options.processes = 0;
  options.argv = {"/bin/true"};
  EXPECT_EQ(launchLocal(options).exitCode, 1);
  options.processes = 1;
  options.argv.clear();
  LaunchResult result = launchLocal(options);
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_EQ(result.message, "cannot launch an empty command line");
}

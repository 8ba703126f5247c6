//===- HostGroupTest.cpp - rendezvous, collectives and the watchdog -------===//
//
// The ranks are threads of the test process (one World each, one port),
// except for the watchdog, whose _exit needs processes of their own.
//
//===----------------------------------------------------------------------===//
#include "test/runtime/data/TestUtil.h"

#include "runtime/dist/HostGroup.h"
#include "runtime/dist/Launch.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>

using namespace golf::dist;
using golf::test::TempDir;

namespace {

using Clock = std::chrono::steady_clock;
using Body = std::function<void(HostGroup &group)>;

World worldOf(int rank, int size, int port) {
  World world;
  world.rank = world.localRank = rank;
  world.size = size;
  world.masterPort = port;
  return world;
}

int freePort() {
  std::string error;
  int port = pickFreePort(error);
  EXPECT_GT(port, 0) << error;
  return port;
}

/// Connects `worlds` (one thread each, all on one fresh port), runs `body`
/// on each rank that connected and closes it (a group destroyed without
/// close() would look dead to the others' watchdogs); each one's connect
/// error ("" when it connected).
std::vector<std::string> runWorlds(std::vector<World> worlds, double timeout, const Body &body) {
  int port = freePort();
  std::vector<std::string> errors(worlds.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < worlds.size(); ++i)
    threads.emplace_back([&, i] {
      worlds[i].masterPort = port;
      if (auto group = HostGroup::connect(worlds[i], timeout, errors[i])) {
        body(*group);
        group->close();
      }
    });
  for (std::thread &t : threads)
    t.join();
  return errors;
}

/// `size` ranks that must all connect.
void runRanks(int size, const Body &body) {
  std::vector<World> worlds;
  for (int rank = 0; rank < size; ++rank)
    worlds.push_back(worldOf(rank, size, 0));
  for (const std::string &error : runWorlds(worlds, 30, body))
    EXPECT_EQ(error, "");
}

/// Rank `rank`'s i-th value of the large sum: magnitudes from 2^-32 to
/// 2^31, so that adding in another order would change many results.
double valueAt(int rank, size_t i) {
  static const std::vector<double> scales = [] {
    std::vector<double> s;
    for (int e = -32; e < 32; ++e)
      s.push_back(std::ldexp(1.0, e));
    return s;
  }();
  uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull ^ uint64_t(rank + 1) * 0xC2B2AE3D27D4EB4Full;
  h ^= h >> 29;
  return (static_cast<double>(h % 1000003) / 1000003.0 - 0.5) * scales[h >> 58];
}

class Collectives : public ::testing::TestWithParam<int> {};

} // namespace

TEST_P(Collectives, SmallBroadcastSumMaxBarrier) {
  const int size = GetParam();
  runRanks(size, [&](HostGroup &group) {
    std::string error;
    EXPECT_EQ(group.size(), size);
    char text[16] = "";
    if (group.rank() == 0)
      std::strcpy(text, "from rank 0");
    EXPECT_TRUE(group.broadcast(text, sizeof text, error)) << error;
    EXPECT_STREQ(text, "from rank 0");

    const int r = group.rank();
    std::vector<double> sum = {r + 1.0, 0.1 * r, -1.0};
    double expected[3] = {0, 0, 0};
    for (int k = 0; k < size; ++k) {
      expected[0] += k + 1.0;
      expected[1] += 0.1 * k;
      expected[2] += -1.0;
    }
    EXPECT_TRUE(group.allReduceSum(sum.data(), sum.size(), error)) << error;
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(sum[i], expected[i]) << i;

    double max[3] = {double(r), -double(r), r == size - 1 ? NAN : 1.0};
    EXPECT_TRUE(group.allReduceMax(max, 3, error)) << error;
    EXPECT_EQ(max[0], size - 1);
    EXPECT_EQ(max[1], 0);
    EXPECT_TRUE(std::isnan(max[2]));

    EXPECT_TRUE(group.barrier(error)) << error;
  });
}

TEST_P(Collectives, LargeSumIsInRankOrder) {
  const int size = GetParam();
  const size_t count = 20'000'000;
  runRanks(size, [&](HostGroup &group) {
    std::vector<double> data(count);
    for (size_t i = 0; i < count; ++i)
      data[i] = valueAt(group.rank(), i);
    std::string error;
    ASSERT_TRUE(group.allReduceSum(data.data(), count, error)) << error;
    size_t wrong = 0, orderMatters = 0;
    for (size_t i = 0; i < count; ++i) {
      double sum = valueAt(0, i), reversed = valueAt(size - 1, i);
      for (int k = 1; k < size; ++k) {
        sum += valueAt(k, i);
        reversed += valueAt(size - 1 - k, i);
      }
      wrong += data[i] != sum;
      orderMatters += sum != reversed;
    }
    EXPECT_EQ(wrong, 0u) << "rank " << group.rank();
    // With two ranks both orders agree (addition commutes); with three the
    // check above has teeth only if the order changes some results.
    EXPECT_TRUE(size < 3 || orderMatters > 0);
  });
}

INSTANTIATE_TEST_SUITE_P(Ranks, Collectives, ::testing::Values(1, 2, 3));

TEST(HostGroup, PeerWithAnotherWorldSizeIsRejected) {
  auto errors = runWorlds({worldOf(0, 2, 0), worldOf(1, 3, 0)}, 10, [](HostGroup &) {});
  const std::string why = "rank 1 has WORLD_SIZE=3 but rank 0 has WORLD_SIZE=2";
  EXPECT_EQ(errors[0], "rendezvous failed: " + why);
  EXPECT_EQ(errors[1], "rendezvous failed at rank 0: " + why);
}

TEST(HostGroup, ForeignClientIsRejected) {
  int port = freePort();
  std::string error;
  std::thread leader([&] { HostGroup::connect(worldOf(0, 2, port), 10, error); });
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int fd = -1;
  for (int attempt = 0; attempt < 500 && fd < 0; ++attempt) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
      ::close(fd);
      fd = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  const char request[] = "GET / HTTP/1.1\r\nHost: golfc\r\n\r\n";
  EXPECT_EQ(::send(fd, request, sizeof request, MSG_NOSIGNAL), ssize_t(sizeof request));
  leader.join();
  ::close(fd);
  EXPECT_EQ(error, "rendezvous failed: a connection to MASTER_PORT did not speak golfc's "
                   "rendezvous protocol (another program, or another golfc version?)");
}

TEST(HostGroup, DuplicateRankIsRejected) {
  auto errors =
      runWorlds({worldOf(0, 3, 0), worldOf(1, 3, 0), worldOf(1, 3, 0)}, 2, [](HostGroup &) {});
  EXPECT_EQ(errors[0],
            "rendezvous failed: two processes connected as rank 1 (the same RANK twice?)");
  // One rank 1 is the offender, the other was in: both hear why.
  EXPECT_EQ(errors[1], "rendezvous failed at rank 0: two processes connected as rank 1 (the "
                       "same RANK twice?)");
  EXPECT_EQ(errors[2], errors[1]);
}

TEST(HostGroup, MissingPeersTimeOut) {
  auto start = Clock::now();
  auto errors = runWorlds({worldOf(0, 3, 0)}, 0.5, [](HostGroup &) {});
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 3);
  EXPECT_EQ(errors[0].rfind("rendezvous timed out after 0.5 s: ranks 1, 2 did not connect", 0), 0u)
      << errors[0];
}

TEST(HostGroup, MissingLeaderTimesOut) {
  auto start = Clock::now();
  auto errors = runWorlds({worldOf(1, 2, 0)}, 0.5, [](HostGroup &) {});
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 3);
  EXPECT_EQ(errors[0].rfind("cannot reach rank 0 at 127.0.0.1:", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("within 0.5 s"), std::string::npos) << errors[0];
}

TEST(HostGroup, OneRankNeedsNoSockets) {
  std::string error;
  auto group = HostGroup::connect(worldOf(0, 1, 0), 0, error);
  ASSERT_TRUE(group) << error;
  double x = 2.5;
  EXPECT_TRUE(group->allReduceSum(&x, 1, error));
  EXPECT_EQ(x, 2.5);
}

// A rank that leaves (close() says goodbye, so no watchdog fires) while the
// other waits in a collective: the waiting one gets an error, not a hang.
TEST(HostGroup, PeerClosingMidCollectiveFails) {
  for (int leaving : {0, 1}) {
    runRanks(2, [&](HostGroup &group) {
      std::string error;
      double x = 1;
      if (group.rank() == leaving) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        group.close();
        EXPECT_FALSE(group.barrier(error));
        EXPECT_EQ(error, "barrier: the connection to rank " + std::to_string(1 - leaving) +
                             " was closed (HostGroup::close)");
        return;
      }
      EXPECT_FALSE(group.allReduceSum(&x, 1, error));
      EXPECT_EQ(error, "allReduceSum: rank " + std::to_string(leaving) +
                           " closed its connection (did it die?)");
    });
  }
}

TEST(HostGroup, MismatchedCollectivesFail) {
  runRanks(2, [](HostGroup &group) {
    std::string error;
    double x[3] = {1, 2, 3};
    EXPECT_FALSE(group.allReduceSum(x, group.rank() == 0 ? 2 : 3, error));
    // Rank 0 sees the mismatch and leaves; rank 1, waiting for the sum,
    // sees it go.
    EXPECT_EQ(error, group.rank() == 0
                         ? "allReduceSum: mismatched collectives: rank 1 is in allReduceSum of "
                           "24 bytes, rank 0 in allReduceSum of 16 bytes"
                         : "allReduceSum: rank 0 closed its connection (did it die?)");
  });
}

namespace {

/// Runs `body` in a forked process with stderr into `stderrPath`; its pid.
pid_t forkRank(const std::string &stderrPath, const std::function<int()> &body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE *err = std::freopen(stderrPath.c_str(), "w", stderr);
    ::_exit(err ? body() : 99);
  }
  return pid;
}

int exitCodeOf(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string contents(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Forks ranks 0 and 1; `leaver` connects and then leaves (exiting with
/// what `leave` returns), the other connects, waits `wait` seconds and
/// exits 3. Returns the waiting rank's exit code and its stderr in
/// `stderrText`.
int survivorExit(int leaver, const std::function<int(HostGroup &)> &leave, unsigned wait,
                 std::string &stderrText) {
  TempDir dir;
  int port = freePort();
  auto rank = [&](int r, const std::function<int(HostGroup &)> &then) {
    return forkRank(dir.file("rank" + std::to_string(r)), [&, r] {
      std::string error;
      auto group = HostGroup::connect(worldOf(r, 2, port), 10, error);
      return group ? then(*group) : 2;
    });
  };
  pid_t survivor = rank(1 - leaver, [wait](HostGroup &) {
    ::sleep(wait);
    return 3;
  });
  pid_t leaving = rank(leaver, leave);
  EXPECT_EQ(exitCodeOf(leaving), 0);
  int code = exitCodeOf(survivor);
  stderrText = contents(dir.file("rank" + std::to_string(1 - leaver)));
  return code;
}

} // namespace

TEST(HostGroupWatchdog, PeerDeathEndsTheSurvivor) {
  for (int dying : {0, 1}) {
    std::string stderrText;
    auto vanish = [](HostGroup &) -> int { ::_exit(0); }; // no close(), no goodbye
    int code = survivorExit(dying, vanish, 10, stderrText);
    EXPECT_EQ(code, 1) << "rank " << dying << " died";
    EXPECT_EQ(stderrText, "golfc: rank " + std::to_string(1 - dying) + ": rank " +
                              std::to_string(dying) + " died (connection closed); stopping\n");
  }
}

TEST(HostGroupWatchdog, GoodbyeKeepsItQuiet) {
  std::string stderrText;
  auto leave = [](HostGroup &group) {
    group.close();
    return 0;
  };
  EXPECT_EQ(survivorExit(1, leave, 1, stderrText), 3);
  EXPECT_EQ(stderrText, "");
}

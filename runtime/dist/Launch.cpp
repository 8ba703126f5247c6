//===- Launch.cpp - one process per GPU on this host ----------------------===//
#include "runtime/dist/Launch.h"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <optional>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace golf::dist {

namespace {

using Clock = std::chrono::steady_clock;

/// How often the parent looks at its children. Polling (waitpid WNOHANG)
/// instead of blocking keeps forwarded signals and the grace deadline in one
/// simple loop, and never reaps children that are not ours.
constexpr auto kPollInterval = std::chrono::milliseconds(10);

/// Set by the handler; the supervising loop passes it on to the children.
volatile sig_atomic_t gPendingSignal = 0;

void rememberSignal(int sig) { gPendingSignal = sig; }

/// SIGINT and SIGTERM handlers for the length of a launch. A signal this
/// process ignores (a background job's SIGINT, nohup) stays ignored, as it
/// does in the children.
class SignalForwarding {
public:
  SignalForwarding() {
    gPendingSignal = 0;
    struct sigaction action {};
    action.sa_handler = rememberSignal;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 2; ++i)
      if (::sigaction(kSignals[i], nullptr, &saved_[i]) == 0 && saved_[i].sa_handler != SIG_IGN)
        ::sigaction(kSignals[i], &action, nullptr);
  }
  ~SignalForwarding() { restore(); }
  /// Also called in a child before exec, so that a signal arriving there
  /// ends it instead of setting a flag nobody reads.
  void restore() const {
    for (int i = 0; i < 2; ++i)
      ::sigaction(kSignals[i], &saved_[i], nullptr);
  }

private:
  static constexpr int kSignals[2] = {SIGINT, SIGTERM};
  struct sigaction saved_[2];
};

std::string signalName(int sig) {
  const char *name = ::strsignal(sig);
  return "signal " + std::to_string(sig) + " (" + (name ? name : "unknown") + ")";
}

/// The parent's environment with the rank's variables and `extra` in place
/// of any it already has ("NAME=VALUE" strings).
std::vector<std::string> childEnvironment(const LaunchOptions &options, int rank, int port) {
  std::map<std::string, std::string> set = options.extraEnv;
  set["RANK"] = set["LOCAL_RANK"] = std::to_string(rank);
  set["WORLD_SIZE"] = std::to_string(options.processes);
  set["MASTER_ADDR"] = "127.0.0.1";
  set["MASTER_PORT"] = std::to_string(port);
  std::vector<std::string> env;
  for (char **e = environ; *e; ++e) {
    const char *eq = std::strchr(*e, '=');
    if (!eq || !set.count(std::string(*e, eq - *e)))
      env.emplace_back(*e);
  }
  for (const auto &[name, value] : set)
    env.push_back(name + "=" + value);
  return env;
}

std::vector<char *> pointers(std::vector<std::string> &strings) {
  std::vector<char *> out;
  for (std::string &s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

class Launch {
public:
  explicit Launch(const LaunchOptions &options) : options_(options) {}

  LaunchResult run() {
    std::string error;
    int port = pickFreePort(error);
    if (port == 0)
      return {1, "cannot choose MASTER_PORT: " + error};
    SignalForwarding forwarding;
    for (int rank = 0; rank < options_.processes && result_.message.empty(); ++rank)
      start(rank, port, forwarding);
    supervise();
    if (interruptedBy_ && result_.message.empty())
      result_ = {128 + interruptedBy_, "interrupted by " + signalName(interruptedBy_)};
    return result_;
  }

private:
  /// Forks rank `rank`; a CLOEXEC pipe tells an exec failure (the child
  /// writes its errno) from a program that exits 127 by itself.
  void start(int rank, int port, const SignalForwarding &forwarding) {
    std::vector<std::string> args = options_.argv, env = childEnvironment(options_, rank, port);
    std::vector<char *> argv = pointers(args), envp = pointers(env);
    int status[2];
    if (::pipe2(status, O_CLOEXEC) != 0)
      return cannotStart(rank, "pipe");
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(status[0]);
      forwarding.restore();
      // A parent that dies (even by SIGKILL) takes its ranks with it.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() == parent)
        ::execve(argv[0], argv.data(), envp.data());
      int err = errno;
      (void)!::write(status[1], &err, sizeof err);
      ::_exit(127);
    }
    ::close(status[1]);
    if (pid < 0) {
      ::close(status[0]);
      return cannotStart(rank, "fork");
    }
    pids_.push_back(pid);
    int err = 0;
    ssize_t n;
    while ((n = ::read(status[0], &err, sizeof err)) < 0 && errno == EINTR) {
    }
    ::close(status[0]);
    if (n == sizeof err) {
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      pids_.back() = -1;
      fail(127, "rank " + std::to_string(rank) + " could not start " + options_.argv[0] + ": " +
                    std::strerror(err));
    }
  }

  void cannotStart(int rank, const char *call) {
    fail(1,
         "cannot start rank " + std::to_string(rank) + ": " + call + ": " + std::strerror(errno));
  }

  /// Waits for every child, stopping the rest at the first failure.
  void supervise() {
    while (running()) {
      if (int sig = gPendingSignal) {
        gPendingSignal = 0;
        interruptedBy_ = sig;
        signalAll(sig);
      }
      for (size_t rank = 0; rank < pids_.size(); ++rank)
        poll(static_cast<int>(rank));
      if (killAt_ && Clock::now() >= *killAt_) {
        signalAll(SIGKILL);
        killAt_.reset();
      }
      if (running())
        std::this_thread::sleep_for(kPollInterval);
    }
  }

  void poll(int rank) {
    pid_t &pid = pids_[rank];
    if (pid < 0)
      return;
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
      return;
    pid = -1;
    std::string who = "rank " + std::to_string(rank);
    if (r < 0)
      fail(1, who + " could not be waited for: " + std::strerror(errno));
    else if (WIFSIGNALED(status))
      fail(128 + WTERMSIG(status), who + " was killed by " + signalName(WTERMSIG(status)));
    else if (WEXITSTATUS(status) != 0)
      fail(WEXITSTATUS(status), who + " exited with code " + std::to_string(WEXITSTATUS(status)));
  }

  /// Records the first failure and sends SIGTERM to the ranks still running.
  void fail(int exitCode, std::string what) {
    if (!result_.message.empty())
      return;
    std::string others = runningRanks();
    if (interruptedBy_)
      what = "interrupted by " + signalName(interruptedBy_) + ": " + what;
    if (!others.empty())
      what += "; stopped " + others;
    result_ = {exitCode, what};
    signalAll(SIGTERM);
    killAt_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(options_.graceSeconds));
  }

  bool running() const {
    for (pid_t pid : pids_)
      if (pid > 0)
        return true;
    return false;
  }

  /// "ranks 0, 2" / "rank 3" / "" for the children still running.
  std::string runningRanks() const {
    std::string list;
    int count = 0;
    for (size_t rank = 0; rank < pids_.size(); ++rank)
      if (pids_[rank] > 0)
        list += (count++ ? ", " : "") + std::to_string(rank);
    if (count == 0)
      return "";
    return (count == 1 ? "rank " : "ranks ") + list;
  }

  void signalAll(int sig) {
    for (pid_t pid : pids_)
      if (pid > 0)
        ::kill(pid, sig);
  }

  const LaunchOptions &options_;
  std::vector<pid_t> pids_; // by rank; -1 once reaped
  LaunchResult result_;
  int interruptedBy_ = 0;
  std::optional<Clock::time_point> killAt_;
};

} // namespace

LaunchResult launchLocal(const LaunchOptions &options) {
  if (options.processes < 1)
    return {1, "cannot launch " + std::to_string(options.processes) + " processes"};
  if (options.argv.empty())
    return {1, "cannot launch an empty command line"};
  try {
    return Launch(options).run();
  } catch (const std::exception &e) {
    return {1, std::string("cannot launch: ") + e.what()};
  }
}

int pickFreePort(std::string &error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return 0;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
    error = std::string("cannot bind a port on 127.0.0.1: ") + std::strerror(errno);
  else
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

} // namespace golf::dist

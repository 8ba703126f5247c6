//===- HostGroup.cpp - the ranks' rendezvous and host collectives ---------===//
//
// Two TCP connections join each peer to rank 0: "data" carries the
// rendezvous and the collectives, "live" only the goodbye byte, so the
// watchdog thread that reads it never races a collective for bytes. Every
// socket is non-blocking and every wait is a poll() with the timeout.
// Integers and doubles travel in host byte order: the ranks of a run are
// the same binary on the same kind of host.
//
//===----------------------------------------------------------------------===//
#include "runtime/dist/HostGroup.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace golf::dist {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kHelloMagic = 0x676f6c68;   // "golh"
constexpr uint32_t kReplyMagic = 0x676f6c72;   // "golr"
constexpr uint32_t kMessageMagic = 0x676f6c6d; // "golm"
constexpr uint32_t kVersion = 1;
constexpr char kGoodbye = 'G';
constexpr double kRetrySeconds = 0.05;
/// Rank 0 adds a peer's contribution 1 MiB at a time, straight from the
/// socket: no copy of a whole (possibly huge) message.
constexpr size_t kChunkDoubles = size_t(1) << 17;

enum class Channel : uint32_t { Data, Live };

struct Hello {
  uint32_t magic, version;
  int32_t rank, size;
  Channel channel;
};

/// Rank 0's answer to a hello (Welcome, on that socket), its go once every
/// peer joined (Ready, on each data socket), or why the rendezvous failed.
enum class Verdict : uint32_t { Welcome, Ready, BadHello, OtherSize, Duplicate, OutOfRange };

struct Reply {
  uint32_t magic;
  Verdict verdict;
  int32_t rank, size, leaderSize; // the hello judged, and rank 0's WORLD_SIZE
};

enum class Op : uint32_t { Broadcast, Sum, Max, Barrier };
const char *const kOpNames[] = {"broadcast", "allReduceSum", "allReduceMax", "barrier"};

/// Precedes every collective's payload, so that ranks in different calls
/// fail instead of misreading each other's bytes.
struct Header {
  uint32_t magic;
  Op op;
  uint64_t bytes;
};

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", s);
  return text;
}

std::string rankName(int rank) { return "rank " + std::to_string(rank); }

class Deadline {
public:
  explicit Deadline(double seconds)
      : total_(seconds),
        end_(Clock::now() +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))) {}
  double total() const { return total_; }
  double left() const {
    return std::max(0.0, std::chrono::duration<double>(end_ - Clock::now()).count());
  }

private:
  double total_;
  Clock::time_point end_;
};

/// Waits up to `seconds` for `events` on `fd`: 1 ready, 0 timed out, -1
/// failed (errno).
int waitFor(int fd, short events, double seconds) {
  Deadline deadline(seconds);
  while (true) {
    pollfd p{fd, events, 0};
    int ms = static_cast<int>(std::ceil(std::min(deadline.left(), 1e6) * 1000));
    int r = ::poll(&p, 1, ms);
    if (r >= 0 || errno != EINTR)
      return r;
  }
}

/// Moves exactly `bytes` between `buffer` and the socket `fd` to `peer`,
/// over partial I/O, waiting at most `timeout` seconds for each bit of
/// progress; false with one line naming the peer.
bool transfer(int fd, int peer, bool sending, char *buffer, size_t bytes, double timeout,
              std::string &error) {
  if (fd < 0) {
    error = "the connection to " + rankName(peer) + " was closed (HostGroup::close)";
    return false;
  }
  while (bytes > 0) {
    ssize_t n = sending ? ::send(fd, buffer, bytes, MSG_NOSIGNAL | MSG_DONTWAIT)
                        : ::recv(fd, buffer, bytes, MSG_DONTWAIT);
    if (n > 0) {
      buffer += n;
      bytes -= static_cast<size_t>(n);
      continue;
    }
    int err = n == 0 ? ECONNRESET : errno;
    if (err == EINTR)
      continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      int ready = waitFor(fd, sending ? POLLOUT : POLLIN, timeout);
      if (ready > 0)
        continue;
      if (ready == 0) {
        error = rankName(peer) + (sending ? " took" : " sent") + " nothing for " +
                seconds(timeout) + " s";
        return false;
      }
      err = errno;
    }
    if (err == ECONNRESET || err == EPIPE)
      error = rankName(peer) + " closed its connection (did it die?)";
    else
      error = "connection to " + rankName(peer) + ": " + std::strerror(err);
    return false;
  }
  return true;
}

bool sendAll(int fd, int peer, const void *data, size_t bytes, double timeout, std::string &error) {
  return transfer(fd, peer, true, static_cast<char *>(const_cast<void *>(data)), bytes, timeout,
                  error);
}

bool recvAll(int fd, int peer, void *data, size_t bytes, double timeout, std::string &error) {
  return transfer(fd, peer, false, static_cast<char *>(data), bytes, timeout, error);
}

void closeFd(int &fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

/// Small messages (barriers, replies) go out at once.
int withoutDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/// A listening socket on every interface's `port`; -1 with `error`.
int listenOn(int port, std::string &error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::listen(fd, SOMAXCONN) != 0) {
    error = "rank 0 cannot listen on port " + std::to_string(port) + ": " + std::strerror(errno);
    closeFd(fd);
  }
  return fd;
}

/// The next connection to `listener` before the deadline; -1 with errno
/// (ETIMEDOUT when there was none).
int acceptBefore(int listener, const Deadline &deadline) {
  while (true) {
    int ready = waitFor(listener, POLLIN, deadline.left());
    if (ready == 0)
      errno = ETIMEDOUT;
    int fd = ready <= 0 ? -1 : ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0)
      return withoutDelay(fd);
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
      return -1;
  }
}

/// Whether a connection to a port that nobody listens on came back to
/// its own ephemeral port (TCP's simultaneous open on loopback).
bool connectedToItself(int fd) {
  sockaddr_in self{}, peer{};
  socklen_t a = sizeof self, b = sizeof peer;
  return ::getsockname(fd, reinterpret_cast<sockaddr *>(&self), &a) == 0 &&
         ::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &b) == 0 &&
         self.sin_port == peer.sin_port && self.sin_addr.s_addr == peer.sin_addr.s_addr;
}

/// One attempt at a connection to rank 0; -1 with `why`.
int tryConnect(const World &world, double seconds, std::string &why) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *found = nullptr;
  std::string port = std::to_string(world.masterPort);
  if (int rc = ::getaddrinfo(world.masterAddr.c_str(), port.c_str(), &hints, &found)) {
    why = ::gai_strerror(rc);
    return -1;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = fd < 0 ? errno : ::connect(fd, found->ai_addr, found->ai_addrlen) == 0 ? 0 : errno;
  ::freeaddrinfo(found);
  if (err == EINPROGRESS) {
    socklen_t len = sizeof err;
    int ready = waitFor(fd, POLLOUT, seconds);
    if (ready <= 0)
      err = ready == 0 ? ETIMEDOUT : errno;
    else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
      err = errno;
  }
  if (err == 0 && connectedToItself(fd))
    err = ECONNREFUSED;
  if (err == 0)
    return withoutDelay(fd);
  why = std::strerror(err);
  closeFd(fd);
  return -1;
}

/// Why rank 0 turned a hello down, in words every side prints.
std::string verdictText(const Reply &reply) {
  switch (reply.verdict) {
  case Verdict::BadHello:
    return "a connection to MASTER_PORT did not speak golfc's rendezvous protocol (another "
           "program, or another golfc version?)";
  case Verdict::OtherSize:
    return rankName(reply.rank) + " has WORLD_SIZE=" + std::to_string(reply.size) +
           " but rank 0 has WORLD_SIZE=" + std::to_string(reply.leaderSize);
  case Verdict::Duplicate:
    return "two processes connected as " + rankName(reply.rank) + " (the same RANK twice?)";
  case Verdict::OutOfRange:
    return "a process connected as " + rankName(reply.rank) + ", outside 1.." +
           std::to_string(reply.leaderSize - 1);
  default:
    return "rank 0 answered an unexpected verdict " +
           std::to_string(static_cast<uint32_t>(reply.verdict)) + " (another golfc version?)";
  }
}

/// Reads rank 0's reply on `fd`; false with `error` unless it is `expected`.
bool hear(int fd, Verdict expected, const Deadline &deadline, std::string &error) {
  Reply reply{};
  if (!recvAll(fd, 0, &reply, sizeof reply, deadline.left(), error))
    return false;
  if (reply.magic == kReplyMagic && reply.verdict == expected)
    return true;
  error = "rendezvous failed at rank 0: " +
          (reply.magic == kReplyMagic ? verdictText(reply)
                                      : "it answered garbage (another program on MASTER_PORT?)");
  return false;
}

/// Whether rank 0, having failed the rendezvous after taking our connection
/// `earlier` (-1: none), left its reason there within `seconds`; then the
/// reason is in `error`.
bool explained(int earlier, double seconds, const Deadline &deadline, std::string &error) {
  return earlier >= 0 && waitFor(earlier, POLLIN, seconds) > 0 &&
         !hear(earlier, Verdict::Ready, deadline, error);
}

/// A connection to rank 0, retried until the deadline (rank 0 may start
/// listening later than this rank starts, or may have failed and closed
/// its port).
int dialLeader(const World &world, int earlier, const Deadline &deadline, std::string &error) {
  std::string why;
  while (true) {
    int fd = tryConnect(world, deadline.left(), why);
    if (fd >= 0)
      return fd;
    if (explained(earlier, 0, deadline, error))
      return -1;
    if (deadline.left() <= 0)
      break;
    std::this_thread::sleep_for(
        std::chrono::duration<double>(std::min(kRetrySeconds, deadline.left())));
  }
  error = "cannot reach rank 0 at " + world.masterAddr + ":" + std::to_string(world.masterPort) +
          " within " + seconds(deadline.total()) + " s (" + why + ")";
  return -1;
}

/// Adds `from` into `into`, element by element: with rank 0 adding the
/// ranks' buffers one after another, the sum is ((x0 + x1) + x2) + ...
void addInto(double *into, const double *from, size_t n) {
  for (size_t i = 0; i < n; ++i)
    into[i] += from[i];
}

/// Keeps the larger of each pair; a NaN anywhere wins, so that a diverged
/// rank is never hidden by the others.
void maxInto(double *into, const double *from, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (from[i] > into[i] || std::isnan(from[i]))
      into[i] = from[i];
}

using Combine = void (*)(double *into, const double *from, size_t n);

std::string describe(Op op, uint64_t bytes) {
  return std::string(kOpNames[static_cast<uint32_t>(op)]) + " of " + std::to_string(bytes) +
         " bytes";
}

/// `ok`, or false with `error` naming the collective that failed.
bool tagged(Op op, bool ok, std::string &error) {
  if (!ok)
    error = std::string(kOpNames[static_cast<uint32_t>(op)]) + ": " + error;
  return ok;
}

[[noreturn]] void die(int self, int peer) {
  std::string line =
      "golfc: " + rankName(self) + ": " + rankName(peer) + " died (connection closed); stopping\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  ::_exit(1);
}

/// Reads what a liveness socket has; false once the peer is gone without a
/// goodbye. After the goodbye the socket is no longer watched.
bool stillAlive(pollfd &live) {
  char byte = 0;
  ssize_t n = ::recv(live.fd, &byte, 1, MSG_DONTWAIT);
  if (n == 1 && byte == kGoodbye)
    live.fd = -1; // poll() skips negative descriptors
  return n == 1 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

struct Peer {
  int rank = 0;
  int data = -1, live = -1;
};

} // namespace

struct HostGroup::Impl {
  World world;
  double timeout = 0;
  std::vector<Peer> peers; // rank 0: ranks 1 .. size-1 in order; others: rank 0
  std::vector<double> scratch;
  std::thread watchdog;
  int wake = -1; // an eventfd that stops the watchdog

  bool join(std::string &error);
  bool acceptPeers(std::string &error);
  enum class Admission { Admitted, Dropped, Failed };
  Admission admit(int fd, const Deadline &deadline, std::string &error);
  Reply judge(const Hello &hello);
  int &slot(const Hello &hello);
  void reject(int fd, const Reply &reply);
  std::string absentRanks() const;
  bool joinLeader(std::string &error);
  bool greet(Channel channel, int earlier, int &fd, const Deadline &deadline, std::string &error);
  void watch();
  void close(bool goodbye);

  bool sendToAll(Op op, const void *data, uint64_t bytes, std::string &error);
  bool sendTo(const Peer &peer, Op op, const void *data, uint64_t bytes, std::string &error);
  bool expect(const Peer &peer, Op op, uint64_t bytes, std::string &error);
  bool broadcast(void *data, size_t bytes, std::string &error);
  bool reduce(Op op, double *data, size_t count, Combine combine, std::string &error);
};

bool HostGroup::Impl::join(std::string &error) {
  if (world.size < 1 || world.rank < 0 || world.rank >= world.size) {
    error = "invalid world: " + rankName(world.rank) + " of " + std::to_string(world.size);
    return false;
  }
  if (!world.distributed())
    return true;
  if (world.masterPort < 1 || world.masterPort > 65535) {
    error = "invalid MASTER_PORT " + std::to_string(world.masterPort);
    return false;
  }
  // What could fail after the rendezvous comes before it: peers that
  // joined must find this rank working.
  wake = ::eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    error = std::string("eventfd: ") + std::strerror(errno);
    return false;
  }
  if (world.leader())
    scratch.resize(kChunkDoubles);
  if (!(world.leader() ? acceptPeers(error) : joinLeader(error)))
    return false;
  watchdog = std::thread([this] { watch(); });
  return true;
}

// --- rank 0's side of the rendezvous --------------------------------------

bool HostGroup::Impl::acceptPeers(std::string &error) {
  int listener = listenOn(world.masterPort, error);
  if (listener < 0)
    return false;
  for (int rank = 1; rank < world.size; ++rank)
    peers.push_back(Peer{rank});
  Deadline deadline(timeout);
  int missing = 2 * (world.size - 1);
  Admission last = Admission::Dropped;
  while (missing > 0 && last != Admission::Failed) {
    int fd = acceptBefore(listener, deadline);
    if (fd < 0) {
      error = errno != ETIMEDOUT
                  ? std::string("rank 0 cannot accept connections: ") + std::strerror(errno)
                  : "rendezvous timed out after " + seconds(timeout) + " s: " + absentRanks() +
                        " did not connect to port " + std::to_string(world.masterPort);
      last = Admission::Failed;
    } else if ((last = admit(fd, deadline, error)) == Admission::Admitted) {
      --missing;
    }
  }
  ::close(listener);
  if (last == Admission::Failed)
    return false;
  const Reply ready{kReplyMagic, Verdict::Ready, 0, world.size, world.size};
  for (const Peer &peer : peers)
    if (!sendAll(peer.data, peer.rank, &ready, sizeof ready, timeout, error))
      return false;
  return true;
}

/// Reads a hello on the new connection `fd` and keeps or rejects it. A
/// connection that closes or stays silent is dropped; a wrong hello fails
/// the rendezvous.
HostGroup::Impl::Admission HostGroup::Impl::admit(int fd, const Deadline &deadline,
                                                  std::string &error) {
  Hello hello{};
  std::string ignored;
  if (!recvAll(fd, -1, &hello, sizeof hello, deadline.left(), ignored)) {
    ::close(fd);
    return Admission::Dropped;
  }
  Reply reply = judge(hello);
  if (reply.verdict != Verdict::Welcome) {
    reject(fd, reply);
    ::close(fd);
    error = "rendezvous failed: " + verdictText(reply);
    return Admission::Failed;
  }
  slot(hello) = fd;
  return sendAll(fd, hello.rank, &reply, sizeof reply, deadline.left(), error) ? Admission::Admitted
                                                                               : Admission::Failed;
}

Reply HostGroup::Impl::judge(const Hello &hello) {
  Reply reply{kReplyMagic, Verdict::Welcome, hello.rank, hello.size, world.size};
  if (hello.magic != kHelloMagic || hello.version != kVersion || hello.channel > Channel::Live)
    reply.verdict = Verdict::BadHello;
  else if (hello.size != world.size)
    reply.verdict = Verdict::OtherSize;
  else if (hello.rank < 1 || hello.rank >= world.size)
    reply.verdict = Verdict::OutOfRange;
  else if (slot(hello) >= 0)
    reply.verdict = Verdict::Duplicate;
  return reply;
}

int &HostGroup::Impl::slot(const Hello &hello) {
  Peer &peer = peers[hello.rank - 1];
  return hello.channel == Channel::Data ? peer.data : peer.live;
}

/// Tells the offender and every peer so far why the rendezvous failed, so
/// that each side prints the same reason. Best effort: these few bytes fit
/// any socket's buffer, and the sockets close right after.
void HostGroup::Impl::reject(int fd, const Reply &reply) {
  std::string ignored;
  sendAll(fd, -1, &reply, sizeof reply, 0, ignored);
  for (const Peer &peer : peers)
    for (int socket : {peer.data, peer.live})
      if (socket >= 0)
        sendAll(socket, peer.rank, &reply, sizeof reply, 0, ignored);
}

/// "rank 2" or "ranks 1, 3": the peers not (fully) connected yet.
std::string HostGroup::Impl::absentRanks() const {
  std::vector<std::string> absent;
  for (const Peer &peer : peers)
    if (peer.data < 0 || peer.live < 0)
      absent.push_back(std::to_string(peer.rank));
  std::string text = absent.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < absent.size(); ++i)
    text += (i ? ", " : "") + absent[i];
  return text;
}

// --- a peer's side of the rendezvous --------------------------------------

bool HostGroup::Impl::joinLeader(std::string &error) {
  Deadline deadline(timeout);
  Peer &leader = peers.emplace_back();
  return greet(Channel::Data, -1, leader.data, deadline, error) &&
         greet(Channel::Live, leader.data, leader.live, deadline, error) &&
         hear(leader.data, Verdict::Ready, deadline, error);
}

bool HostGroup::Impl::greet(Channel channel, int earlier, int &fd, const Deadline &deadline,
                            std::string &error) {
  fd = dialLeader(world, earlier, deadline, error);
  if (fd < 0)
    return false;
  const Hello hello{kHelloMagic, kVersion, world.rank, world.size, channel};
  if (sendAll(fd, 0, &hello, sizeof hello, deadline.left(), error) &&
      hear(fd, Verdict::Welcome, deadline, error))
    return true;
  // Rank 0 sends its reason before it closes this connection.
  explained(earlier, 1, deadline, error);
  return false;
}

// --- the watchdog -------------------------------------------------------

void HostGroup::Impl::watch() {
  std::vector<pollfd> fds{{wake, POLLIN, 0}};
  for (const Peer &peer : peers)
    fds.push_back({peer.live, POLLIN, 0});
  while (true) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR)
        continue;
      return; // only a programming error gets here; the collectives still time out
    }
    if (fds[0].revents)
      return;
    for (size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents && !stillAlive(fds[i]))
        die(world.rank, peers[i - 1].rank);
  }
}

void HostGroup::Impl::close(bool goodbye) {
  // The watchdog stops first: a peer that leaves right after our goodbye
  // must not look like a death.
  if (watchdog.joinable()) {
    uint64_t one = 1;
    (void)!::write(wake, &one, sizeof one);
    watchdog.join();
  }
  for (Peer &peer : peers) {
    if (peer.live >= 0 && goodbye)
      ::send(peer.live, &kGoodbye, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    closeFd(peer.live);
    closeFd(peer.data);
  }
  closeFd(wake);
}

// --- the collectives ----------------------------------------------------

bool HostGroup::Impl::sendTo(const Peer &peer, Op op, const void *data, uint64_t bytes,
                             std::string &error) {
  const Header header{kMessageMagic, op, bytes};
  return sendAll(peer.data, peer.rank, &header, sizeof header, timeout, error) &&
         sendAll(peer.data, peer.rank, data, bytes, timeout, error);
}

bool HostGroup::Impl::sendToAll(Op op, const void *data, uint64_t bytes, std::string &error) {
  for (const Peer &peer : peers)
    if (!sendTo(peer, op, data, bytes, error))
      return false;
  return true;
}

/// Reads the header of `peer`'s next message; false unless it is `op` with
/// `bytes` bytes.
bool HostGroup::Impl::expect(const Peer &peer, Op op, uint64_t bytes, std::string &error) {
  Header header{};
  if (!recvAll(peer.data, peer.rank, &header, sizeof header, timeout, error))
    return false;
  if (header.magic != kMessageMagic || header.op > Op::Barrier) {
    error = rankName(peer.rank) + " sent garbage instead of a collective";
    return false;
  }
  if (header.op != op || header.bytes != bytes) {
    error = "mismatched collectives: " + rankName(peer.rank) + " is in " +
            describe(header.op, header.bytes) + ", " + rankName(world.rank) + " in " +
            describe(op, bytes);
    return false;
  }
  return true;
}

bool HostGroup::Impl::broadcast(void *data, size_t bytes, std::string &error) {
  if (world.leader())
    return sendToAll(Op::Broadcast, data, bytes, error);
  const Peer &leader = peers[0];
  return expect(leader, Op::Broadcast, bytes, error) &&
         recvAll(leader.data, 0, data, bytes, timeout, error);
}

bool HostGroup::Impl::reduce(Op op, double *data, size_t count, Combine combine,
                             std::string &error) {
  const uint64_t bytes = count * sizeof(double);
  if (!world.leader()) {
    const Peer &leader = peers[0];
    return sendTo(leader, op, data, bytes, error) && expect(leader, op, bytes, error) &&
           recvAll(leader.data, 0, data, bytes, timeout, error);
  }
  for (const Peer &peer : peers) {
    if (!expect(peer, op, bytes, error))
      return false;
    for (size_t at = 0; at < count; at += kChunkDoubles) {
      size_t n = std::min(kChunkDoubles, count - at);
      if (!recvAll(peer.data, peer.rank, scratch.data(), n * sizeof(double), timeout, error))
        return false;
      combine(data + at, scratch.data(), n);
    }
  }
  return sendToAll(op, data, bytes, error);
}

// --- HostGroup ------------------------------------------------------------

HostGroup::HostGroup() : impl_(std::make_unique<Impl>()) {}

HostGroup::~HostGroup() { impl_->close(false); }

std::unique_ptr<HostGroup> HostGroup::connect(const World &world, double timeoutSeconds,
                                              std::string &error) {
  try {
    std::unique_ptr<HostGroup> group(new HostGroup);
    group->impl_->world = world;
    group->impl_->timeout = timeoutSeconds;
    if (group->impl_->join(error))
      return group;
  } catch (const std::exception &e) {
    error = std::string("rendezvous: ") + e.what();
  }
  return nullptr;
}

int HostGroup::rank() const { return impl_->world.rank; }

int HostGroup::size() const { return impl_->world.size; }

bool HostGroup::broadcast(void *data, size_t bytes, std::string &error) {
  return tagged(Op::Broadcast, impl_->broadcast(data, bytes, error), error);
}

bool HostGroup::allReduceSum(double *data, size_t count, std::string &error) {
  return tagged(Op::Sum, impl_->reduce(Op::Sum, data, count, addInto, error), error);
}

bool HostGroup::allReduceMax(double *data, size_t count, std::string &error) {
  return tagged(Op::Max, impl_->reduce(Op::Max, data, count, maxInto, error), error);
}

bool HostGroup::barrier(std::string &error) {
  return tagged(Op::Barrier, impl_->reduce(Op::Barrier, nullptr, 0, addInto, error), error);
}

void HostGroup::close() { impl_->close(true); }

} // namespace golf::dist

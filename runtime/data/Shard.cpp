//===- Shard.cpp - the challenge's token shard format ---------------------===//
#include "runtime/data/Shard.h"

#include "runtime/support/Files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "golfc's data runtime assumes a little-endian host (shards are little-endian)"
#endif

namespace golf::data {

namespace {

int32_t readLe32(const unsigned char *p) {
  return int32_t(uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
}

void writeLe32(char *p, int32_t v) {
  uint32_t u = uint32_t(v);
  for (int i = 0; i < 4; ++i)
    p[i] = char((u >> (8 * i)) & 0xff);
}

/// Opens `path` read-only and returns its descriptor and size.
bool openForRead(const std::string &path, int &fd, uint64_t &size, std::string &error) {
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open shard " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = "cannot stat shard " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "shard " + path + " is not a regular file";
    ::close(fd);
    return false;
  }
  size = uint64_t(st.st_size);
  return true;
}

bool readFully(int fd, void *buf, size_t n, uint64_t offset) {
  auto *p = static_cast<char *>(buf);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, off_t(offset));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    p += r;
    n -= size_t(r);
    offset += uint64_t(r);
  }
  return true;
}

std::optional<int64_t> inspectShardImpl(const std::string &path, std::string &error);

} // namespace

std::optional<int64_t> checkShardHeader(const void *header, size_t headerBytes, uint64_t fileBytes,
                                        const std::string &what, std::string &error) {
  if (headerBytes < kShardHeaderBytes || fileBytes < kShardHeaderBytes) {
    error = what + ": short header: " + std::to_string(std::min<uint64_t>(headerBytes, fileBytes)) +
            " bytes, a shard starts with a " + std::to_string(kShardHeaderBytes) + "-byte header";
    return std::nullopt;
  }
  const auto *p = static_cast<const unsigned char *>(header);
  int32_t magic = readLe32(p), version = readLe32(p + 4), n = readLe32(p + 8);
  if (magic != kShardMagic) {
    error = what + ": wrong magic " + std::to_string(magic) + " (expected " +
            std::to_string(kShardMagic) + "): not a token shard";
    return std::nullopt;
  }
  if (version != kShardVersion) {
    error = what + ": wrong version " + std::to_string(version) + " (expected " +
            std::to_string(kShardVersion) + ")";
    return std::nullopt;
  }
  if (n < 0) {
    error = what + ": negative token count " + std::to_string(n) + " in the header";
    return std::nullopt;
  }
  uint64_t expected = kShardHeaderBytes + 2 * uint64_t(n);
  if (fileBytes != expected) {
    error = what + ": size mismatch: the header says " + std::to_string(n) + " tokens, so " +
            std::to_string(expected) + " bytes expected, but the file has " +
            std::to_string(fileBytes) + " bytes";
    return std::nullopt;
  }
  return int64_t(n);
}

bool checkTokenRange(const uint16_t *tokens, size_t n, int64_t vocabSize, const std::string &what,
                     std::string &error) {
  if (vocabSize <= 0 || vocabSize >= kMaxShardVocab)
    return true;
  uint16_t limit = uint16_t(vocabSize);
  // Fast scan for the maximum, then locate the first offender only on failure.
  uint16_t maxId = 0;
  for (size_t i = 0; i < n; ++i)
    maxId = tokens[i] > maxId ? tokens[i] : maxId;
  if (maxId < limit)
    return true;
  for (size_t i = 0; i < n; ++i)
    if (tokens[i] >= limit) {
      error = what + ": token id " + std::to_string(tokens[i]) + " at position " +
              std::to_string(i) + " is >= the vocabulary size " + std::to_string(vocabSize);
      return false;
    }
  return true;
}

std::optional<int64_t> inspectShard(const std::string &path, std::string &error) {
  try {
    return inspectShardImpl(path, error);
  } catch (const std::exception &e) {
    error = "cannot read shard " + path + ": " + e.what();
    return std::nullopt;
  }
}

namespace {
std::optional<int64_t> inspectShardImpl(const std::string &path, std::string &error) {
  int fd;
  uint64_t size;
  if (!openForRead(path, fd, size, error))
    return std::nullopt;
  unsigned char header[kShardHeaderBytes];
  size_t got = size < kShardHeaderBytes ? size_t(size) : kShardHeaderBytes;
  bool ok = readFully(fd, header, got, 0);
  ::close(fd);
  if (!ok) {
    error = "cannot read shard " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  return checkShardHeader(header, got, size, path, error);
}
} // namespace

std::unique_ptr<MappedShard> MappedShard::open(const std::string &path, std::string &error,
                                               int64_t vocabSize) {
  try {
    return openImpl(path, error, vocabSize);
  } catch (const std::exception &e) {
    error = "cannot open shard " + path + ": " + e.what();
    return nullptr;
  }
}

std::unique_ptr<MappedShard> MappedShard::openImpl(const std::string &path, std::string &error,
                                                   int64_t vocabSize) {
  int fd;
  uint64_t size;
  if (!openForRead(path, fd, size, error))
    return nullptr;
  unsigned char header[kShardHeaderBytes];
  size_t got = size < kShardHeaderBytes ? size_t(size) : kShardHeaderBytes;
  if (!readFully(fd, header, got, 0)) {
    error = "cannot read shard " + path + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  auto n = checkShardHeader(header, got, size, path, error);
  if (!n) {
    ::close(fd);
    return nullptr;
  }
  std::unique_ptr<MappedShard> shard;
  try {
    shard.reset(new MappedShard());
    shard->path_ = path;
  } catch (...) {
    ::close(fd);
    throw;
  }
  shard->numTokens_ = *n;
  void *base = ::mmap(nullptr, size_t(size), PROT_READ, MAP_PRIVATE, fd, 0);
  int mapErrno = errno;
  ::close(fd);
  if (base == MAP_FAILED) {
    error = "cannot map shard " + path + ": " + std::strerror(mapErrno);
    return nullptr;
  }
  ::madvise(base, size_t(size), MADV_SEQUENTIAL);
  shard->base_ = base;
  shard->mappedBytes_ = size_t(size);
  shard->tokens_ = reinterpret_cast<const uint16_t *>(static_cast<const char *>(base) +
                                                      kShardHeaderBytes);
  if (!checkTokenRange(shard->tokens_, size_t(*n), vocabSize, path, error))
    return nullptr;
  return shard;
}

MappedShard::~MappedShard() {
  if (base_)
    ::munmap(base_, mappedBytes_);
}

std::optional<std::vector<uint16_t>> readShard(const std::string &path, std::string &error,
                                               int64_t vocabSize) {
  try {
    auto shard = MappedShard::open(path, error, vocabSize);
    if (!shard)
      return std::nullopt;
    return std::vector<uint16_t>(shard->tokens(), shard->tokens() + shard->size());
  } catch (const std::exception &e) {
    error = "cannot read shard " + path + ": " + e.what();
    return std::nullopt;
  }
}

std::string encodeShard(const uint16_t *tokens, size_t n) {
  std::string bytes(kShardHeaderBytes + 2 * n, '\0');
  writeLe32(&bytes[0], kShardMagic);
  writeLe32(&bytes[4], kShardVersion);
  writeLe32(&bytes[8], int32_t(n));
  if (n)
    std::memcpy(&bytes[kShardHeaderBytes], tokens, 2 * n);
  return bytes;
}

bool writeShard(const std::string &path, const uint16_t *tokens, size_t n, std::string &error) {
  if (n > size_t(INT32_MAX)) {
    error = "cannot write " + path + ": " + std::to_string(n) +
            " tokens do not fit a shard header (at most 2^31-1)";
    return false;
  }
  try {
    return writeFileAtomic(path, encodeShard(tokens, n), error);
  } catch (const std::exception &e) {
    error = "cannot write " + path + ": " + e.what();
    return false;
  }
}

bool makeDirectories(const std::string &dir, std::string &error) {
  try {
    if (dir.empty()) {
      error = "empty directory name";
      return false;
    }
    size_t pos = 0;
    for (;;) {
      pos = dir.find('/', pos + 1);
      std::string prefix = dir.substr(0, pos);
      struct stat st;
      if (::stat(prefix.c_str(), &st) != 0) {
        if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST) {
          error = "cannot create directory " + prefix + ": " + std::strerror(errno);
          return false;
        }
      } else if (!S_ISDIR(st.st_mode)) {
        error = prefix + " exists and is not a directory";
        return false;
      }
      if (pos == std::string::npos)
        return true;
    }
  } catch (const std::exception &e) {
    error = "cannot create directory " + dir + ": " + e.what();
    return false;
  }
}

std::string shardFileName(const std::string &prefix, int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "_%06d.bin", index);
  return prefix + buf;
}

} // namespace golf::data

// Copy + CRC with one buffer: read a piece, checksum it while it is hot in cache, write it.
#include "kernels/copy_crc.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// zlib's crc32, exported by the node executable (Chromium's zlib, SIMD where the CPU allows);
// it resolves against the host process when the addon is loaded.
extern "C" unsigned long crc32(unsigned long crc, const unsigned char* buf, unsigned int len);

namespace scr {

namespace {

// Largest piece handed to crc32 at once: its length is an unsigned int.
constexpr size_t kCrcChunk = size_t{1} << 30;

struct Fd {
  int fd = -1;
  ~Fd() { if (fd >= 0) ::close(fd); }
  // Closes now and reports the error (close can report a delayed write error).
  int close_checked() {
    int r = ::close(fd);
    fd = -1;
    return r;
  }
};

// Records the failed call; reads errno before anything (allocation included) can change it.
FileResult fail(FileResult& r, const char* syscall, const std::string& path) {
  r.err = errno;
  r.syscall = syscall;
  r.path = path;
  return r;
}

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};
using Owned = std::unique_ptr<uint8_t, FreeDeleter>;

Owned alloc_buffer(size_t size) {
  void* p = nullptr;
  if (posix_memalign(&p, 4096, size) != 0) return Owned(nullptr);
  return Owned(static_cast<uint8_t*>(p));
}

// Buffers up to this size are kept by each worker thread between calls: a fresh allocation of
// that size is mmapped and page-faulted every call, which costs more than copying a small file.
constexpr size_t kKeepMax = size_t{4} << 20;

// The I/O buffer of one call: the thread's kept buffer, or a private one when larger than kKeepMax.
class Scratch {
 public:
  explicit Scratch(size_t size) {
    if (size > kKeepMax) {
      own_ = alloc_buffer(size);
      data_ = own_.get();
      return;
    }
    thread_local Owned kept;
    thread_local size_t kept_size = 0;
    if (kept_size < size) {
      kept.reset();
      kept_size = 0;
      kept = alloc_buffer(size);
      if (kept) kept_size = size;
    }
    data_ = kept.get();
  }
  uint8_t* get() const { return data_; }

 private:
  Owned own_;
  uint8_t* data_ = nullptr;
};

// The buffer size for reading fd: bufSize, but no more than a regular file needs (+1 byte to see
// its end in the same read), rounded up to whole pages.
size_t buffer_size_for(int fd, size_t buf_size) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return buf_size;
  uint64_t need = (static_cast<uint64_t>(st.st_size) + 1 + 4095) & ~uint64_t{4095};
  return need < buf_size ? static_cast<size_t>(need) : buf_size;
}

// read() retried on EINTR; returns bytes read, 0 at end, -1 on error.
ssize_t read_some(int fd, uint8_t* buf, size_t size) {
  for (;;) {
    ssize_t n = ::read(fd, buf, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

// Writes all of buf, retrying short writes and EINTR; false on error.
bool write_all(int fd, const uint8_t* buf, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, buf, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    buf += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

int open_retry(const char* path, int flags, mode_t mode) {
  for (;;) {
    int fd = ::open(path, flags | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}

}  // namespace

void crc32_init() { crc32(0, nullptr, 0); }

uint32_t crc32_update(uint32_t crc, const uint8_t* p, size_t n) {
  unsigned long c = crc;
  while (n > 0) {
    size_t piece = n < kCrcChunk ? n : kCrcChunk;
    c = crc32(c, p, static_cast<unsigned int>(piece));
    p += piece;
    n -= piece;
  }
  return static_cast<uint32_t>(c);
}

FileResult copy_file_crc(const std::string& src, const std::string& dst, size_t buf_size, bool do_fsync) {
  FileResult r;
  Fd in, out;
  in.fd = open_retry(src.c_str(), O_RDONLY, 0);
  if (in.fd < 0) return fail(r, "open", src);
  posix_fadvise(in.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // Truncate only after checking dst is not src itself (that would destroy the source).
  out.fd = open_retry(dst.c_str(), O_WRONLY | O_CREAT, 0600);
  if (out.fd < 0) return fail(r, "open", dst);
  struct stat si, so;
  if (::fstat(in.fd, &si) != 0) return fail(r, "fstat", src);
  if (::fstat(out.fd, &so) != 0) return fail(r, "fstat", dst);
  if (si.st_dev == so.st_dev && si.st_ino == so.st_ino) { errno = EINVAL; return fail(r, "copyfile", dst); }
  if (::ftruncate(out.fd, 0) != 0) return fail(r, "ftruncate", dst);
  // Read into one buffer, CRC it while it is in cache, write it out. (Mapping the source and
  // writing from the map was measured slower on tmpfs, whose map page faults cost more than the
  // copy saved: bench/flush, docs/benchmarks.md.)
  size_t size = buffer_size_for(in.fd, buf_size);
  Scratch buf(size);
  if (!buf.get()) { errno = ENOMEM; return fail(r, "malloc", src); }
  for (;;) {
    ssize_t n = read_some(in.fd, buf.get(), size);
    if (n < 0) return fail(r, "read", src);
    if (n == 0) break;
    r.crc = crc32_update(r.crc, buf.get(), static_cast<size_t>(n));
    if (!write_all(out.fd, buf.get(), static_cast<size_t>(n))) return fail(r, "write", dst);
    r.bytes += static_cast<uint64_t>(n);
  }
  if (do_fsync && ::fsync(out.fd) != 0) return fail(r, "fsync", dst);
  if (out.close_checked() != 0) return fail(r, "close", dst);
  return r;
}

FileResult crc_file(const std::string& path, size_t buf_size) {
  FileResult r;
  Fd in;
  in.fd = open_retry(path.c_str(), O_RDONLY, 0);
  if (in.fd < 0) return fail(r, "open", path);
  posix_fadvise(in.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // read() in blocks of at most 256 KiB, each CRC'd at once while it is in L2. Measured against
  // a MAP_POPULATE map of the page cache (no copy) on tmpfs: 64 MiB took 57-68 ms mapped and
  // 25-45 ms read, the page-table work of the map costing more than the copy (docs/kernels.md).
  const size_t block = std::min(buffer_size_for(in.fd, buf_size), size_t{256} << 10);
  Scratch buf(block);
  if (!buf.get()) { errno = ENOMEM; return fail(r, "malloc", path); }
  for (;;) {
    ssize_t n = read_some(in.fd, buf.get(), block);
    if (n < 0) return fail(r, "read", path);
    if (n == 0) break;
    r.crc = crc32_update(r.crc, buf.get(), static_cast<size_t>(n));
    r.bytes += static_cast<uint64_t>(n);
  }
  return r;
}

}  // namespace scr

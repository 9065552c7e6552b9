// pread/pwrite of a piece, the CRC-32 fused in block by block (see piece_io.h).
#include "kernels/piece_io.h"

#include <cerrno>

#include <unistd.h>

#include "kernels/copy_crc.h"

namespace scr {

namespace {

// A block small enough to stay in L2 between the copy and the CRC (or the CRC and the copy),
// large enough that the system call costs nothing next to it.
constexpr size_t kBlock = size_t{256} << 10;

PieceResult failed(PieceResult r, const char* syscall) {
  r.err = errno;
  r.syscall = syscall;
  return r;
}

}  // namespace

PieceResult pread_crc(int fd, uint8_t* buf, size_t len, uint64_t pos, bool crc) {
  PieceResult r;
  while (r.bytes < len) {
    size_t want = len - r.bytes < kBlock ? len - r.bytes : kBlock;
    ssize_t n = ::pread(fd, buf + r.bytes, want, static_cast<off_t>(pos + r.bytes));
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed(r, "read");
    }
    if (n == 0) break;  // end of file
    if (crc) r.crc = crc32_update(r.crc, buf + r.bytes, static_cast<size_t>(n));
    r.bytes += static_cast<uint64_t>(n);
  }
  return r;
}

PieceResult pwrite_crc(int fd, const uint8_t* buf, size_t len, uint64_t pos, bool crc) {
  PieceResult r;
  size_t block_end = 0;
  while (r.bytes < len) {
    // CRC a block just before it is written, so the write copies it from cache.
    if (r.bytes == block_end) {
      block_end = len - r.bytes < kBlock ? len : r.bytes + kBlock;
      if (crc) r.crc = crc32_update(r.crc, buf + r.bytes, block_end - r.bytes);
    }
    ssize_t n = ::pwrite(fd, buf + r.bytes, block_end - r.bytes, static_cast<off_t>(pos + r.bytes));
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed(r, "write");
    }
    if (n == 0) { errno = EIO; return failed(r, "write"); }
    r.bytes += static_cast<uint64_t>(n);
  }
  return r;
}

}  // namespace scr

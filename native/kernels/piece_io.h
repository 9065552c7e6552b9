// Positional read / write of one piece of a file with zlib's CRC-32 of the bytes moved, computed
// block by block right after (read) or before (write) the copy while the block is in cache.
// Plain POSIX (no Node-API), so it runs on a worker thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace scr {

struct PieceResult {
  uint64_t bytes = 0;   // bytes read (short only at end of file) or written
  uint32_t crc = 0;     // CRC-32 of those bytes (0 when not asked)
  int err = 0;          // errno of the failed call, 0 on success
  const char* syscall = "";
};

// Reads up to len bytes at pos into buf (fewer only at end of file), retrying EINTR/short reads.
PieceResult pread_crc(int fd, uint8_t* buf, size_t len, uint64_t pos, bool crc);

// Writes all len bytes of buf at pos, retrying EINTR/short writes.
PieceResult pwrite_crc(int fd, const uint8_t* buf, size_t len, uint64_t pos, bool crc);

}  // namespace scr

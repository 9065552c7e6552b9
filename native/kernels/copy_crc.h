// Buffered file copy and file checksum, both computing zlib's CRC-32 of the bytes read.
// Plain C++ and POSIX (no Node-API), so it runs on a worker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace scr {

struct FileResult {
  uint64_t bytes = 0;
  uint32_t crc = 0;
  int err = 0;                  // errno of the failed call, 0 on success
  const char* syscall = "";     // the failed call: "open", "read", "write", "fsync", "close", ...
  std::string path;             // the file it failed on
};

// CRC-32 (zlib's) of p[0..n) continuing from crc; n may exceed 4 GiB.
uint32_t crc32_update(uint32_t crc, const uint8_t* p, size_t n);

// Call once at load: lets Chromium's zlib (inside node) detect its SIMD CRC support.
void crc32_init();

// Copies src to dst (created or truncated, mode 0600 when created), fsyncing dst if asked.
// A failed copy leaves whatever part of dst was already written.
FileResult copy_file_crc(const std::string& src, const std::string& dst, size_t buf_size, bool do_fsync);

// Reads path to its end.
FileResult crc_file(const std::string& path, size_t buf_size);

}  // namespace scr

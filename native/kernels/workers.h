// Node-API async workers (libuv thread pool) behind the *Async functions and the file kernels.
// Each returns a Promise; the buffers are held by persistent references until the work is done.
#pragma once

#include <napi.h>

#include <string>

#include "kernels/args.h"
#include "kernels/copy_crc.h"
#include "kernels/isa.h"
#include "kernels/piece_io.h"

namespace scr {

// xor (coef < 0) or gf multiply-add (coef 0..255) of src into dst, off the JS thread.
Napi::Promise start_bytes_work(Napi::Env env, Napi::Value dst, Bytes d, int coef, Napi::Value src, Bytes s, Isa isa);

// dst holds coefs.size() slices of s.len bytes; slice p ^= coefs[p]·src, in cache-sized blocks so
// src is read from memory once for all slices. Off the JS thread.
Napi::Promise start_multi_work(Napi::Env env, Napi::Value dst, Bytes d, Napi::Value coefs, Bytes c, Napi::Value src, Bytes s, Isa isa);

// copy_file_crc (dst non-empty) or crc_file (dst empty), off the JS thread;
// resolves to {bytes, crc} or rejects with an errno Error (code, errno, syscall, path).
Napi::Promise start_file_work(Napi::Env env, std::string src, std::string dst, size_t buf_size, bool do_fsync);

// pread_crc (write false) or pwrite_crc (write true) of buf at pos of fd, off the JS thread;
// resolves to {bytes, crc} or rejects with an errno Error naming path.
Napi::Promise start_piece_work(Napi::Env env, int fd, Napi::Value buf, Bytes b, uint64_t pos, bool write, bool crc, std::string path);

}  // namespace scr

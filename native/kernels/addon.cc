// scr_kernels.node: the exported functions (see src/native/kernels-addon.ts for their types).
// No MPI in here, so the commands can load it.
#include <napi.h>

#include "kernels/args.h"
#include "kernels/copy_crc.h"
#include "kernels/gf256.h"
#include "kernels/isa.h"
#include "kernels/mmap.h"
#include "kernels/workers.h"
#include "kernels/xor.h"

namespace scr {

namespace {

// xor(dst, src): dst ^= src.
Napi::Value Xor(const Napi::CallbackInfo& info) {
  Bytes d = bytes_arg(info, 0, "xor", "dst");
  Bytes s = bytes_arg(info, 1, "xor", "src");
  check_pair(info.Env(), "xor", d, s);
  xor_bytes(d.data, s.data, d.len, active_isa());
  return info.Env().Undefined();
}

Napi::Value XorAsync(const Napi::CallbackInfo& info) {
  Bytes d = bytes_arg(info, 0, "xorAsync", "dst");
  Bytes s = bytes_arg(info, 1, "xorAsync", "src");
  check_pair(info.Env(), "xorAsync", d, s);
  return start_bytes_work(info.Env(), info[0], d, -1, info[1], s, active_isa());
}

// gfMulAdd(dst, c, src): dst ^= c·src in GF(2^8).
Napi::Value GfMulAdd(const Napi::CallbackInfo& info) {
  Bytes d = bytes_arg(info, 0, "gfMulAdd", "dst");
  uint8_t c = coef_arg(info, 1, "gfMulAdd", "c");
  Bytes s = bytes_arg(info, 2, "gfMulAdd", "src");
  check_pair(info.Env(), "gfMulAdd", d, s);
  gf_mul_add(d.data, c, s.data, d.len, active_isa());
  return info.Env().Undefined();
}

Napi::Value GfMulAddAsync(const Napi::CallbackInfo& info) {
  Bytes d = bytes_arg(info, 0, "gfMulAddAsync", "dst");
  uint8_t c = coef_arg(info, 1, "gfMulAddAsync", "c");
  Bytes s = bytes_arg(info, 2, "gfMulAddAsync", "src");
  check_pair(info.Env(), "gfMulAddAsync", d, s);
  return start_bytes_work(info.Env(), info[0], d, c, info[2], s, active_isa());
}

// gfMulAddMultiAsync(dst, coefs, src): dst is coefs.length slices of src's length;
// slice p ^= coefs[p]·src.
Napi::Value GfMulAddMultiAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes d = bytes_arg(info, 0, "gfMulAddMultiAsync", "dst");
  Bytes c = bytes_arg(info, 1, "gfMulAddMultiAsync", "coefs");
  Bytes s = bytes_arg(info, 2, "gfMulAddMultiAsync", "src");
  if (c.len == 0 || d.len != c.len * s.len) {
    throw Napi::RangeError::New(env, "gfMulAddMultiAsync: dst must be coefs.length (" + std::to_string(c.len) + ") times src's length (" + std::to_string(s.len) + "), got " + std::to_string(d.len));
  }
  uintptr_t d0 = reinterpret_cast<uintptr_t>(d.data), s0 = reinterpret_cast<uintptr_t>(s.data);
  if (d0 < s0 + s.len && s0 < d0 + d.len) throw Napi::RangeError::New(env, "gfMulAddMultiAsync: dst and src must not overlap");
  return start_multi_work(env, info[0], d, info[1], c, info[2], s, active_isa());
}

// copyFileCrc(src, dst, bufSize, fsync) -> Promise<{bytes, crc}>
Napi::Value CopyFileCrc(const Napi::CallbackInfo& info) {
  std::string src = path_arg(info, 0, "copyFileCrc", "src");
  std::string dst = path_arg(info, 1, "copyFileCrc", "dst");
  size_t buf_size = buf_size_arg(info, 2, "copyFileCrc", "bufSize");
  bool do_fsync = bool_arg(info, 3, "copyFileCrc", "fsync");
  return start_file_work(info.Env(), std::move(src), std::move(dst), buf_size, do_fsync);
}

// crcFile(path, bufSize) -> Promise<{bytes, crc}>
Napi::Value CrcFile(const Napi::CallbackInfo& info) {
  std::string path = path_arg(info, 0, "crcFile", "path");
  size_t buf_size = buf_size_arg(info, 1, "crcFile", "bufSize");
  return start_file_work(info.Env(), std::move(path), std::string(), buf_size, false);
}

// fd, position and path arguments of the piece functions.
int fd_arg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": fd must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= 2147483647.0 && v == static_cast<double>(static_cast<int>(v)))) throw Napi::RangeError::New(info.Env(), std::string(fn) + ": fd must be a non-negative integer");
  return static_cast<int>(v);
}

uint64_t pos_arg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": position must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= 9007199254740991.0 && v == static_cast<double>(static_cast<uint64_t>(v)))) throw Napi::RangeError::New(info.Env(), std::string(fn) + ": position must be a non-negative integer");
  return static_cast<uint64_t>(v);
}

// preadCrc(fd, buf, position, crc, path) / pwriteCrc(...) -> Promise<{bytes, crc}>
Napi::Value PieceCall(const Napi::CallbackInfo& info, const char* fn, bool write) {
  int fd = fd_arg(info, 0, fn);
  Bytes b = bytes_arg(info, 1, fn, "buf");
  uint64_t pos = pos_arg(info, 2, fn);
  bool crc = bool_arg(info, 3, fn, "crc");
  std::string path = path_arg(info, 4, fn, "path");
  return start_piece_work(info.Env(), fd, info[1], b, pos, write, crc, std::move(path));
}

Napi::Value PreadCrc(const Napi::CallbackInfo& info) { return PieceCall(info, "preadCrc", false); }
Napi::Value PwriteCrc(const Napi::CallbackInfo& info) { return PieceCall(info, "pwriteCrc", true); }

// Hidden, for tests and the benchmark: _setIsa('scalar'|'ssse3'|'avx2'|'auto') -> the active name.
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "_setIsa: isa must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  Isa isa;
  if (!parse_isa(name.c_str(), &isa)) {
    throw Napi::RangeError::New(env, "_setIsa: isa must be 'scalar', 'ssse3', 'avx2' or 'auto' (got '" + name + "')");
  }
  if (!set_isa(isa)) throw Napi::Error::New(env, "_setIsa: this CPU does not support " + name);
  return Napi::String::New(env, isa_name(active_isa()));
}

// Hidden: _isas() -> the levels this CPU supports, lowest first; _activeIsa() -> the one in use.
Napi::Value Isas(const Napi::CallbackInfo& info) {
  Napi::Array a = Napi::Array::New(info.Env());
  for (int i = 0; i <= static_cast<int>(best_isa()); i++) a.Set(i, isa_name(static_cast<Isa>(i)));
  return a;
}

Napi::Value ActiveIsa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), isa_name(active_isa())); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  crc32_init();
  exports.Set("xor", Napi::Function::New(env, Xor, "xor"));
  exports.Set("xorAsync", Napi::Function::New(env, XorAsync, "xorAsync"));
  exports.Set("gfMulAdd", Napi::Function::New(env, GfMulAdd, "gfMulAdd"));
  exports.Set("gfMulAddAsync", Napi::Function::New(env, GfMulAddAsync, "gfMulAddAsync"));
  exports.Set("gfMulAddMultiAsync", Napi::Function::New(env, GfMulAddMultiAsync, "gfMulAddMultiAsync"));
  exports.Set("copyFileCrc", Napi::Function::New(env, CopyFileCrc, "copyFileCrc"));
  exports.Set("crcFile", Napi::Function::New(env, CrcFile, "crcFile"));
  exports.Set("preadCrc", Napi::Function::New(env, PreadCrc, "preadCrc"));
  exports.Set("pwriteCrc", Napi::Function::New(env, PwriteCrc, "pwriteCrc"));
  exports.Set("mapFile", Napi::Function::New(env, MapFile, "mapFile"));
  exports.Set("mapFileWrite", Napi::Function::New(env, MapFileWrite, "mapFileWrite"));
  exports.Set("dropPages", Napi::Function::New(env, DropPages, "dropPages"));
  exports.Set("unmapFile", Napi::Function::New(env, UnmapFile, "unmapFile"));
  exports.Set("_setIsa", Napi::Function::New(env, SetIsa, "_setIsa"));
  exports.Set("_isas", Napi::Function::New(env, Isas, "_isas"));
  exports.Set("_activeIsa", Napi::Function::New(env, ActiveIsa, "_activeIsa"));
  return exports;
}

}  // namespace

}  // namespace scr

static Napi::Object InitKernels(Napi::Env env, Napi::Object exports) { return scr::Init(env, exports); }

NODE_API_MODULE(scr_kernels, InitKernels)

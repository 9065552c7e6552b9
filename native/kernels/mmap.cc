#include "kernels/mmap.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "kernels/args.h"

namespace scr {

static Napi::Error errnoError(Napi::Env env, int err, const std::string& what, const std::string& path) {
  const char* name = strerrorname_np(err);
  Napi::Error e = Napi::Error::New(env, what + " '" + path + "': " + strerror(err));
  e.Set("code", Napi::String::New(env, name ? name : "EIO"));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("path", Napi::String::New(env, path));
  return e;
}

Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = path_arg(info, 0, "mapFile", "path");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw errnoError(env, errno, "mapFile: open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    throw errnoError(env, err, "mapFile: fstat", path);
  }
  size_t len = static_cast<size_t>(st.st_size);
  if (len == 0) {
    close(fd);
    return Napi::Buffer<uint8_t>::New(env, 0);
  }
  void* p = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (p == MAP_FAILED) throw errnoError(env, err, "mapFile: mmap", path);
  madvise(p, len, MADV_SEQUENTIAL);
  return Napi::Buffer<uint8_t>::New(env, static_cast<uint8_t*>(p), len, [len](Napi::Env, uint8_t* data) { munmap(data, len); });
}

Napi::Value MapFileWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = path_arg(info, 0, "mapFileWrite", "path");
  if (!info[1].IsNumber() || info[1].As<Napi::Number>().DoubleValue() < 0) throw Napi::TypeError::New(env, "mapFileWrite: size must be a non-negative number");
  size_t len = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  // O_NOFOLLOW: a symlink planted where the file goes is an error (ELOOP), never written through.
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw errnoError(env, errno, "mapFileWrite: open", path);
  if (ftruncate(fd, static_cast<off_t>(len)) != 0) {
    int err = errno;
    close(fd);
    throw errnoError(env, err, "mapFileWrite: ftruncate", path);
  }
  if (len == 0) {
    close(fd);
    return Napi::Buffer<uint8_t>::New(env, 0);
  }
  // Reserve every block now: a store that fills up is then an ENOSPC error here, not a SIGBUS
  // that kills the process when a write through the map finds no block to put the page in.
  // (glibc emulates posix_fallocate on file systems without fallocate by writing each block.)
  int rc = posix_fallocate(fd, 0, static_cast<off_t>(len));
  if (rc != 0) {
    close(fd);
    unlink(path.c_str());
    throw errnoError(env, rc, "mapFileWrite: reserving " + std::to_string(len) + " bytes for", path);
  }
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (p == MAP_FAILED) throw errnoError(env, err, "mapFileWrite: mmap", path);
  return Napi::Buffer<uint8_t>::New(env, static_cast<uint8_t*>(p), len, [len](Napi::Env, uint8_t* data) { munmap(data, len); });
}

Napi::Value DropPages(const Napi::CallbackInfo& info) {
  Bytes b = bytes_arg(info, 0, "dropPages", "view");
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t start = (reinterpret_cast<uintptr_t>(b.data) + page - 1) & ~(page - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(b.data) + b.len) & ~(page - 1);
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  return info.Env().Undefined();
}

Napi::Value UnmapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "unmapFile: buffer must be a Buffer returned by mapFile");
  Napi::ArrayBuffer ab = info[0].As<Napi::Buffer<uint8_t>>().ArrayBuffer();
  // Detaching an external buffer releases its memory through the finalizer (munmap) once no
  // view holds it; an empty or already detached buffer needs nothing.
  if (ab.ByteLength() > 0 && !ab.IsDetached()) ab.Detach();
  return env.Undefined();
}

}  // namespace scr

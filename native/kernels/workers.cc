#include "kernels/workers.h"

#include <utility>

#include "kernels/gf256.h"
#include "kernels/xor.h"

// libuv's error names/texts, exported by node (on Unix a uv error is the negated errno).
extern "C" const char* uv_err_name(int err);
extern "C" const char* uv_strerror(int err);

namespace scr {

namespace {

class BytesWorker : public Napi::AsyncWorker {
 public:
  BytesWorker(Napi::Env env, Napi::Value dst, Bytes d, int coef, Napi::Value src, Bytes s, Isa isa)
      : Napi::AsyncWorker(env, "scr:kernels"),
        deferred_(Napi::Promise::Deferred::New(env)),
        dst_ref_(Napi::Persistent(dst.As<Napi::Object>())),
        src_ref_(Napi::Persistent(src.As<Napi::Object>())),
        d_(d), s_(s), coef_(coef), isa_(isa) {}

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    if (coef_ < 0) xor_bytes(d_.data, s_.data, d_.len, isa_);
    else gf_mul_add(d_.data, static_cast<uint8_t>(coef_), s_.data, d_.len, isa_);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference dst_ref_, src_ref_;  // keep the memory alive while Execute runs
  Bytes d_, s_;
  int coef_;
  Isa isa_;
};

class MultiWorker : public Napi::AsyncWorker {
 public:
  MultiWorker(Napi::Env env, Napi::Value dst, Bytes d, Napi::Value coefs, Bytes c, Napi::Value src, Bytes s, Isa isa)
      : Napi::AsyncWorker(env, "scr:kernels"),
        deferred_(Napi::Promise::Deferred::New(env)),
        dst_ref_(Napi::Persistent(dst.As<Napi::Object>())),
        coef_ref_(Napi::Persistent(coefs.As<Napi::Object>())),
        src_ref_(Napi::Persistent(src.As<Napi::Object>())),
        d_(d), c_(c), s_(s), isa_(isa) {}

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    constexpr size_t kBlock = 16 * 1024;  // stays in L1/L2 while every slice uses it
    for (size_t off = 0; off < s_.len; off += kBlock) {
      size_t n = s_.len - off < kBlock ? s_.len - off : kBlock;
      for (size_t p = 0; p < c_.len; p++) gf_mul_add(d_.data + p * s_.len + off, c_.data[p], s_.data + off, n, isa_);
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference dst_ref_, coef_ref_, src_ref_;
  Bytes d_, c_, s_;
  Isa isa_;
};

// An Error shaped like node's fs errors: "ENOENT: no such file or directory, open '/x'".
Napi::Value errno_error(Napi::Env env, const FileResult& r) {
  const char* code = uv_err_name(-r.err);
  std::string msg = std::string(code) + ": " + uv_strerror(-r.err) + ", " + r.syscall + " '" + r.path + "'";
  Napi::Object e = Napi::Error::New(env, msg).Value();
  e.Set("code", code);
  e.Set("errno", -r.err);
  e.Set("syscall", r.syscall);
  e.Set("path", r.path);
  return e;
}

// Rejects with the fs-style error of a failed file job, or resolves to { bytes, crc }.
void settle(Napi::Env env, Napi::Promise::Deferred& deferred, const FileResult& r) {
  if (r.err != 0) return deferred.Reject(errno_error(env, r));
  Napi::Object o = Napi::Object::New(env);
  o.Set("bytes", Napi::Number::New(env, static_cast<double>(r.bytes)));
  o.Set("crc", Napi::Number::New(env, static_cast<double>(r.crc)));
  deferred.Resolve(o);
}

class FileWorker : public Napi::AsyncWorker {
 public:
  FileWorker(Napi::Env env, std::string src, std::string dst, size_t buf_size, bool do_fsync)
      : Napi::AsyncWorker(env, "scr:kernels:file"),
        deferred_(Napi::Promise::Deferred::New(env)),
        src_(std::move(src)), dst_(std::move(dst)), buf_size_(buf_size), fsync_(do_fsync) {}

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    result_ = dst_.empty() ? crc_file(src_, buf_size_) : copy_file_crc(src_, dst_, buf_size_, fsync_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    settle(env, deferred_, result_);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string src_, dst_;
  size_t buf_size_;
  bool fsync_;
  FileResult result_;
};

class PieceWorker : public Napi::AsyncWorker {
 public:
  PieceWorker(Napi::Env env, int fd, Napi::Value buf, Bytes b, uint64_t pos, bool write, bool crc, std::string path)
      : Napi::AsyncWorker(env, "scr:kernels:piece"),
        deferred_(Napi::Promise::Deferred::New(env)),
        buf_ref_(Napi::Persistent(buf.As<Napi::Object>())),
        fd_(fd), b_(b), pos_(pos), write_(write), crc_(crc), path_(std::move(path)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    result_ = write_ ? pwrite_crc(fd_, b_.data, b_.len, pos_, crc_) : pread_crc(fd_, b_.data, b_.len, pos_, crc_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    FileResult f;
    f.err = result_.err;
    f.syscall = result_.syscall;
    f.path = path_;
    f.bytes = result_.bytes;
    f.crc = result_.crc;
    settle(env, deferred_, f);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference buf_ref_;  // keeps the memory alive while Execute runs
  int fd_;
  Bytes b_;
  uint64_t pos_;
  bool write_, crc_;
  std::string path_;
  PieceResult result_;
};

}  // namespace

Napi::Promise start_piece_work(Napi::Env env, int fd, Napi::Value buf, Bytes b, uint64_t pos, bool write, bool crc, std::string path) {
  auto* w = new PieceWorker(env, fd, buf, b, pos, write, crc, std::move(path));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Promise start_multi_work(Napi::Env env, Napi::Value dst, Bytes d, Napi::Value coefs, Bytes c, Napi::Value src, Bytes s, Isa isa) {
  auto* w = new MultiWorker(env, dst, d, coefs, c, src, s, isa);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Promise start_bytes_work(Napi::Env env, Napi::Value dst, Bytes d, int coef, Napi::Value src, Bytes s, Isa isa) {
  auto* w = new BytesWorker(env, dst, d, coef, src, s, isa);
  Napi::Promise p = w->promise();
  w->Queue();  // deletes itself when done
  return p;
}

Napi::Promise start_file_work(Napi::Env env, std::string src, std::string dst, size_t buf_size, bool do_fsync) {
  auto* w = new FileWorker(env, std::move(src), std::move(dst), buf_size, do_fsync);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace scr

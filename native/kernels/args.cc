#include "kernels/args.h"

#include <cmath>

namespace scr {

namespace {

[[noreturn]] void type_error(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
[[noreturn]] void range_error(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

std::string prefix(const char* fn, const char* name) { return std::string(fn) + ": " + name + " "; }

}  // namespace

Bytes bytes_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Value v = info[i];
  if (v.IsTypedArray()) {
    Napi::TypedArray a = v.As<Napi::TypedArray>();
    auto* base = static_cast<uint8_t*>(a.ArrayBuffer().Data());
    return Bytes{base ? base + a.ByteOffset() : nullptr, a.ByteLength()};
  }
  if (v.IsDataView()) {
    Napi::DataView d = v.As<Napi::DataView>();
    auto* base = static_cast<uint8_t*>(d.ArrayBuffer().Data());
    return Bytes{base ? base + d.ByteOffset() : nullptr, d.ByteLength()};
  }
  type_error(info.Env(), prefix(fn, name) + "must be a Buffer, TypedArray or DataView");
}

void check_pair(Napi::Env env, const char* fn, Bytes dst, Bytes src) {
  if (dst.len != src.len) {
    type_error(env, std::string(fn) + ": src must have the same byte length as dst (" + std::to_string(src.len) +
                        " != " + std::to_string(dst.len) + ")");
  }
  if (dst.len == 0 || dst.data == src.data) return;
  bool apart = dst.data + dst.len <= src.data || src.data + src.len <= dst.data;
  if (!apart) range_error(env, std::string(fn) + ": src and dst overlap (they must be the same view or disjoint)");
}

uint8_t coef_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) type_error(info.Env(), prefix(fn, name) + "must be a number (an integer 0..255)");
  double c = v.As<Napi::Number>().DoubleValue();
  if (!(c >= 0 && c <= 255 && std::floor(c) == c)) {
    range_error(info.Env(), prefix(fn, name) + "must be an integer 0..255 (got " + v.ToString().Utf8Value() + ")");
  }
  return static_cast<uint8_t>(c);
}

std::string path_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsString()) type_error(info.Env(), prefix(fn, name) + "must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.empty()) type_error(info.Env(), prefix(fn, name) + "must not be empty");
  if (s.find('\0') != std::string::npos) type_error(info.Env(), prefix(fn, name) + "must not contain NUL characters");
  return s;
}

size_t buf_size_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) type_error(info.Env(), prefix(fn, name) + "must be a number");
  double n = v.As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= static_cast<double>(kMaxBufSize) && std::floor(n) == n)) {
    range_error(info.Env(), prefix(fn, name) + "must be an integer 1.." + std::to_string(kMaxBufSize) + " (got " +
                                v.ToString().Utf8Value() + ")");
  }
  return static_cast<size_t>(n);
}

bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) type_error(info.Env(), prefix(fn, name) + "must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

}  // namespace scr

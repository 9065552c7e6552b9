// Argument checks for the exported functions. Each throws a JS TypeError/RangeError naming the
// function and the argument, e.g. "xor: src must have the same byte length as dst (10 != 12)".
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace scr {

// A byte view of a Buffer, any TypedArray or a DataView.
struct Bytes {
  uint8_t* data;
  size_t len;
};

Bytes bytes_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
// dst and src: equal byte lengths, and either the same bytes or not overlapping at all.
void check_pair(Napi::Env env, const char* fn, Bytes dst, Bytes src);
// An integer 0..255.
uint8_t coef_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
// A string without NUL characters, not empty.
std::string path_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
// An integer 1..kMaxBufSize.
size_t buf_size_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);

constexpr size_t kMaxBufSize = size_t{1} << 30;

}  // namespace scr

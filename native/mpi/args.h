// Argument helpers shared by the binding's entry points. The TypeScript layer validates first
// and names the user's argument; these checks keep a bad call from ever reaching MPI.
#pragma once
#include <mpi.h>
#include <napi.h>

#include <climits>
#include <functional>
#include <memory>
#include <string>

#include "runtime.h"

namespace scrmpi {

struct View {
  void* data = nullptr;
  size_t bytes = 0;
};

inline View viewOf(const Napi::Value& v, const char* name) {
  View out;
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    out.data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    out.bytes = ta.ByteLength();
  } else if (v.IsDataView()) {
    auto dv = v.As<Napi::DataView>();
    out.data = static_cast<uint8_t*>(dv.ArrayBuffer().Data()) + dv.ByteOffset();
    out.bytes = dv.ByteLength();
  } else {
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a Buffer or TypedArray");
  }
  // An empty buffer may have no storage; some MPIs reject a null pointer even with count 0.
  static uint8_t empty[8];
  if (out.data == nullptr) out.data = empty;
  return out;
}

inline int intArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

inline int countOf(Napi::Env env, size_t n, const char* name) {
  if (n > static_cast<size_t>(INT_MAX)) {
    throw Napi::RangeError::New(env, std::string(name) + " is larger than 2 GiB - 1 elements; send it in pieces");
  }
  return static_cast<int>(n);
}

// Datatype codes shared with src/mpi/datatypes.ts.
inline MPI_Datatype dtypeOf(Napi::Env env, const std::string& code) {
  if (code == "byte") return MPI_BYTE;
  if (code == "u8") return MPI_UINT8_T;
  if (code == "i8") return MPI_INT8_T;
  if (code == "u16") return MPI_UINT16_T;
  if (code == "i16") return MPI_INT16_T;
  if (code == "u32") return MPI_UINT32_T;
  if (code == "i32") return MPI_INT32_T;
  if (code == "u64") return MPI_UINT64_T;
  if (code == "i64") return MPI_INT64_T;
  if (code == "f32") return MPI_FLOAT;
  if (code == "f64") return MPI_DOUBLE;
  throw Napi::TypeError::New(env, "unknown datatype code '" + code + "'");
}

inline MPI_Op opOf(Napi::Env env, const std::string& op) {
  if (op == "SUM") return MPI_SUM;
  if (op == "PROD") return MPI_PROD;
  if (op == "MIN") return MPI_MIN;
  if (op == "MAX") return MPI_MAX;
  if (op == "LAND") return MPI_LAND;
  if (op == "LOR") return MPI_LOR;
  if (op == "LXOR") return MPI_LXOR;
  if (op == "BAND") return MPI_BAND;
  if (op == "BOR") return MPI_BOR;
  if (op == "BXOR") return MPI_BXOR;
  throw Napi::TypeError::New(env, "unknown reduction op '" + op + "'");
}

// Keeps a JS value alive until the op settles.
inline void keep(Op& op, const Napi::Value& v) {
  if (!v.IsUndefined() && !v.IsNull()) op.keep.push_back(Napi::Persistent(v));
}

inline const int* intsOf(const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be an Int32Array");
  }
  auto a = v.As<Napi::Int32Array>();
  return a.Data();
}

// Posts an op's requests with `post` (on the JS thread, so MPI sees them in call order) and
// hands them to the progress thread; the op keeps the given JS values alive until it completes.
template <typename F>
inline Napi::Value postOp(Napi::Env env, const char* what, std::initializer_list<Napi::Value> keepAlive, size_t nreq,
                          std::function<Napi::Value(Napi::Env, Op&)> result, F post) {
  auto op = std::make_unique<Op>(env);
  op->what = what;
  for (const auto& v : keepAlive) keep(*op, v);
  op->reqs.resize(nreq, MPI_REQUEST_NULL);
  op->result = std::move(result);
  int rc;
  {
    MpiGuard g;
    rc = post(op->reqs.data());
  }
  if (rc != MPI_SUCCESS) return Runtime::get().fail(env, std::move(op), rc);
  return Runtime::get().track(env, std::move(op));
}

template <typename F>
inline Napi::Value postOne(Napi::Env env, const char* what, std::initializer_list<Napi::Value> keepAlive, F post) {
  return postOp(env, what, keepAlive, 1, nullptr, post);
}

inline Napi::Object statusObject(Napi::Env env, const MPI_Status& st) {
  int count = 0;
  locked([&] { return MPI_Get_count(&st, MPI_BYTE, &count); });
  Napi::Object o = Napi::Object::New(env);
  o.Set("source", st.MPI_SOURCE);
  o.Set("tag", st.MPI_TAG);
  o.Set("count", count);
  return o;
}

}  // namespace scrmpi

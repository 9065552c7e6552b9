// Collectives, posted as nonblocking MPI calls on the JS thread (so MPI sees them in the order
// JS made them) and completed by the progress thread. Byte-oriented except the reductions.
#include "args.h"
#include "entry.h"

namespace scrmpi {

static void* dataOrNull(const Napi::Value& v, const char* name) {
  return v.IsNull() || v.IsUndefined() ? nullptr : viewOf(v, name).data;
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  MPI_Comm c = Runtime::get().comm(info.Env(), intArg(info, 0, "comm"));
  return postOne(info.Env(), "barrier", {}, [&](MPI_Request* r) { return MPI_Ibarrier(c, r); });
}

Napi::Value Bcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View b = viewOf(info[1], "buf");
  int root = intArg(info, 2, "root");
  int n = countOf(env, b.bytes, "buf");
  return postOne(env, "bcast", {info[1]}, [&](MPI_Request* r) { return MPI_Ibcast(b.data, n, MPI_BYTE, root, c, r); });
}

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  auto send = info[1].As<Napi::TypedArray>();
  View s = viewOf(info[1], "value");
  void* recv = dataOrNull(info[2], "recv");
  MPI_Datatype t = dtypeOf(env, info[3].As<Napi::String>());
  MPI_Op o = opOf(env, info[4].As<Napi::String>());
  int root = intArg(info, 5, "root");
  int n = countOf(env, send.ElementLength(), "value");
  return postOne(env, "reduce", {info[1], info[2]},
                 [&](MPI_Request* r) { return MPI_Ireduce(s.data, recv, n, t, o, root, c, r); });
}

Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  auto send = info[1].As<Napi::TypedArray>();
  View s = viewOf(info[1], "value");
  View d = viewOf(info[2], "recv");
  MPI_Datatype t = dtypeOf(env, info[3].As<Napi::String>());
  MPI_Op o = opOf(env, info[4].As<Napi::String>());
  int n = countOf(env, send.ElementLength(), "value");
  return postOne(env, "allreduce", {info[1], info[2]},
                 [&](MPI_Request* r) { return MPI_Iallreduce(s.data, d.data, n, t, o, c, r); });
}

// Blocking on the JS thread: for tiny agreements where a round trip through the thread pool
// costs more than the reduction itself. split/dup/free called before it may still be queued for
// the blocking-ops thread: it waits until they have finished, so it never overtakes them (at
// SERIALIZED, overtaking one could deadlock two ranks on the MPI lock). Collectives still
// waiting in a communicator's JS-side queue are refused by src/mpi/comm.ts before this runs.
Napi::Value AllreduceSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Runtime& rt = Runtime::get();
  MPI_Comm c = rt.comm(env, intArg(info, 0, "comm"));
  auto send = info[1].As<Napi::TypedArray>();
  View s = viewOf(info[1], "value");
  View d = viewOf(info[2], "recv");
  MPI_Datatype t = dtypeOf(env, info[3].As<Napi::String>());
  MPI_Op o = opOf(env, info[4].As<Napi::String>());
  int n = countOf(env, send.ElementLength(), "value");
  rt.waitForBlockingOps();
  int rc = locked([&] { return MPI_Allreduce(s.data, d.data, n, t, o, c); });
  if (rc != MPI_SUCCESS) throw mpiError(env, rc, "allreduceSync");
  return env.Undefined();
}

Napi::Value Gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View s = viewOf(info[1], "buf");
  void* recv = dataOrNull(info[2], "recv");
  int root = intArg(info, 3, "root");
  int n = countOf(env, s.bytes, "buf");
  return postOne(env, "gather", {info[1], info[2]},
                 [&](MPI_Request* r) { return MPI_Igather(s.data, n, MPI_BYTE, recv, n, MPI_BYTE, root, c, r); });
}

Napi::Value Gatherv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View s = viewOf(info[1], "buf");
  void* recv = dataOrNull(info[2], "recv");
  const int* counts = recv ? intsOf(info[3], "counts") : nullptr;
  const int* displs = recv ? intsOf(info[4], "displs") : nullptr;
  int root = intArg(info, 5, "root");
  int n = countOf(env, s.bytes, "buf");
  return postOne(env, "gather", {info[1], info[2], info[3], info[4]}, [&](MPI_Request* r) {
    return MPI_Igatherv(s.data, n, MPI_BYTE, recv, counts, displs, MPI_BYTE, root, c, r);
  });
}

Napi::Value Allgather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View s = viewOf(info[1], "buf");
  View d = viewOf(info[2], "recv");
  int n = countOf(env, s.bytes, "buf");
  return postOne(env, "allgather", {info[1], info[2]},
                 [&](MPI_Request* r) { return MPI_Iallgather(s.data, n, MPI_BYTE, d.data, n, MPI_BYTE, c, r); });
}

Napi::Value Allgatherv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View s = viewOf(info[1], "buf");
  View d = viewOf(info[2], "recv");
  const int* counts = intsOf(info[3], "counts");
  const int* displs = intsOf(info[4], "displs");
  int n = countOf(env, s.bytes, "buf");
  return postOne(env, "allgather", {info[1], info[2], info[3], info[4]}, [&](MPI_Request* r) {
    return MPI_Iallgatherv(s.data, n, MPI_BYTE, d.data, counts, displs, MPI_BYTE, c, r);
  });
}

Napi::Value Scatter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  void* send = dataOrNull(info[1], "bufs");
  View d = viewOf(info[2], "recv");
  int root = intArg(info, 3, "root");
  int n = countOf(env, d.bytes, "recv");
  return postOne(env, "scatter", {info[1], info[2]},
                 [&](MPI_Request* r) { return MPI_Iscatter(send, n, MPI_BYTE, d.data, n, MPI_BYTE, root, c, r); });
}

Napi::Value Scatterv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  void* send = dataOrNull(info[1], "bufs");
  const int* counts = send ? intsOf(info[2], "counts") : nullptr;
  const int* displs = send ? intsOf(info[3], "displs") : nullptr;
  View d = viewOf(info[4], "recv");
  int root = intArg(info, 5, "root");
  int n = countOf(env, d.bytes, "recv");
  return postOne(env, "scatter", {info[1], info[2], info[3], info[4]}, [&](MPI_Request* r) {
    return MPI_Iscatterv(send, counts, displs, MPI_BYTE, d.data, n, MPI_BYTE, root, c, r);
  });
}

Napi::Value Alltoall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View s = viewOf(info[1], "send");
  View d = viewOf(info[2], "recv");
  int n = intArg(info, 3, "blockBytes");
  return postOne(env, "alltoall", {info[1], info[2]},
                 [&](MPI_Request* r) { return MPI_Ialltoall(s.data, n, MPI_BYTE, d.data, n, MPI_BYTE, c, r); });
}

Napi::Value Alltoallv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View s = viewOf(info[1], "send");
  const int* sc = intsOf(info[2], "sendCounts");
  const int* sd = intsOf(info[3], "sendDispls");
  View d = viewOf(info[4], "recv");
  const int* rc = intsOf(info[5], "recvCounts");
  const int* rd = intsOf(info[6], "recvDispls");
  return postOne(env, "alltoall", {info[1], info[2], info[3], info[4], info[5], info[6]}, [&](MPI_Request* r) {
    return MPI_Ialltoallv(s.data, sc, sd, MPI_BYTE, d.data, rc, rd, MPI_BYTE, c, r);
  });
}

}  // namespace scrmpi

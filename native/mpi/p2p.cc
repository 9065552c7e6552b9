// Point-to-point: nonblocking sends and receives posted on the JS thread, in call order, so
// MPI's non-overtaking rule holds between messages a program sends one after another.
#include "args.h"
#include "entry.h"

namespace scrmpi {

static Napi::Value firstStatus(Napi::Env e, Op& o) { return statusObject(e, o.statuses[0]); }

Napi::Value Isend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View b = viewOf(info[1], "buf");
  int dest = intArg(info, 2, "dest");
  int tag = intArg(info, 3, "tag");
  int n = countOf(env, b.bytes, "buf");
  return postOne(env, "send", {info[1]}, [&](MPI_Request* r) { return MPI_Isend(b.data, n, MPI_BYTE, dest, tag, c, r); });
}

Napi::Value Irecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View b = viewOf(info[1], "buf");
  int src = intArg(info, 2, "source");
  int tag = intArg(info, 3, "tag");
  int n = countOf(env, b.bytes, "buf");
  return postOp(env, "recv", {info[1]}, 1, firstStatus, [&](MPI_Request* r) { return MPI_Irecv(b.data, n, MPI_BYTE, src, tag, c, r); });
}

Napi::Value Sendrecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View s = viewOf(info[1], "sendBuf");
  int dest = intArg(info, 2, "dest");
  int stag = intArg(info, 3, "sendTag");
  View r = viewOf(info[4], "recvBuf");
  int src = intArg(info, 5, "source");
  int rtag = intArg(info, 6, "recvTag");
  int sn = countOf(env, s.bytes, "sendBuf");
  int rn = countOf(env, r.bytes, "recvBuf");
  // The receive is posted first; if the send cannot be posted, the receive is cancelled.
  return postOp(env, "sendrecv", {info[1], info[4]}, 2, firstStatus, [&](MPI_Request* reqs) {
    int rc = MPI_Irecv(r.data, rn, MPI_BYTE, src, rtag, c, &reqs[0]);
    if (rc == MPI_SUCCESS) rc = MPI_Isend(s.data, sn, MPI_BYTE, dest, stag, c, &reqs[1]);
    if (rc != MPI_SUCCESS && reqs[0] != MPI_REQUEST_NULL) {
      MPI_Cancel(&reqs[0]);
      MPI_Request_free(&reqs[0]);
    }
    return rc;
  });
}

}  // namespace scrmpi

// Point-to-point: nonblocking sends and receives posted on the JS thread, in call order, so
// MPI's non-overtaking rule holds between messages a program sends one after another.
#include "args.h"
#include "entry.h"

namespace scrmpi {

Napi::Value Isend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View b = viewOf(info[1], "buf");
  int dest = intArg(info, 2, "dest");
  int tag = intArg(info, 3, "tag");
  auto op = std::make_unique<Op>(env);
  op->what = "send";
  keep(*op, info[1]);
  op->reqs.resize(1);
  int rc;
  {
    MpiGuard g;
    rc = MPI_Isend(b.data, countOf(env, b.bytes, "buf"), MPI_BYTE, dest, tag, c, &op->reqs[0]);
  }
  if (rc != MPI_SUCCESS) return Runtime::get().fail(env, std::move(op), rc);
  return Runtime::get().track(env, std::move(op));
}

Napi::Value Irecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm c = Runtime::get().comm(env, intArg(info, 0, "comm"));
  View b = viewOf(info[1], "buf");
  int src = intArg(info, 2, "source");
  int tag = intArg(info, 3, "tag");
  auto op = std::make_unique<Op>(env);
  op->what = "recv";
  keep(*op, info[1]);
  op->reqs.resize(1);
  op->result = [](Napi::Env e, Op& o) { return statusObject(e, o.statuses[0]); };
  int rc;
  {
    MpiGuard g;
    rc = MPI_Irecv(b.data, countOf(env, b.bytes, "buf"), MPI_BYTE, src, tag, c, &op->reqs[0]);
  }
  if (rc != MPI_SUCCESS) return Runtime::get().fail(env, std::move(op), rc);
  return Runtime::get().track(env, std::move(op));
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
  auto op = std::make_unique<Op>(env);
  op->what = "sendrecv";
  keep(*op, info[1]);
  keep(*op, info[4]);
  op->reqs.resize(2, MPI_REQUEST_NULL);
  op->result = [](Napi::Env e, Op& o) { return statusObject(e, o.statuses[0]); };
  int rc;
  {
    MpiGuard g;
    rc = MPI_Irecv(r.data, countOf(env, r.bytes, "recvBuf"), MPI_BYTE, src, rtag, c, &op->reqs[0]);
    if (rc == MPI_SUCCESS) rc = MPI_Isend(s.data, countOf(env, s.bytes, "sendBuf"), MPI_BYTE, dest, stag, c, &op->reqs[1]);
    if (rc != MPI_SUCCESS && op->reqs[0] != MPI_REQUEST_NULL) {
      MPI_Cancel(&op->reqs[0]);
      MPI_Request_free(&op->reqs[0]);
    }
  }
  if (rc != MPI_SUCCESS) return Runtime::get().fail(env, std::move(op), rc);
  return Runtime::get().track(env, std::move(op));
}

}  // namespace scrmpi

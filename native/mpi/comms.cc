// Communicator management. MPI_Comm_split/dup/free are blocking collectives: they run on the
// blocking-ops thread, in call order, against each communicator's private shadow duplicate,
// so they can never be matched out of order with the user's nonblocking traffic.
#include "args.h"
#include "entry.h"

namespace scrmpi {

static int finishNew(MPI_Comm c, MPI_Comm* shadow) {
  if (c == MPI_COMM_NULL) return MPI_SUCCESS;
  int rc = MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_dup(c, shadow);
  return rc;
}

static Napi::Value newCommResult(Napi::Env env, Op& o) {
  if (o.newComm == MPI_COMM_NULL) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, Runtime::get().addComm(o.newComm, o.newShadow));
}

Napi::Value Split(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm s = Runtime::get().shadow(env, intArg(info, 0, "comm"));
  int color = intArg(info, 1, "color");
  int key = intArg(info, 2, "key");
  if (color < 0) color = MPI_UNDEFINED;
  auto op = std::make_unique<Op>(env);
  op->what = "split";
  Op* o = op.get();
  op->blocking = [o, s, color, key] {
    MpiGuard g;
    int rc = MPI_Comm_split(s, color, key, &o->newComm);
    return rc == MPI_SUCCESS ? finishNew(o->newComm, &o->newShadow) : rc;
  };
  op->result = newCommResult;
  return Runtime::get().runBlocking(env, std::move(op));
}

Napi::Value Dup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MPI_Comm s = Runtime::get().shadow(env, intArg(info, 0, "comm"));
  auto op = std::make_unique<Op>(env);
  op->what = "dup";
  Op* o = op.get();
  op->blocking = [o, s] {
    MpiGuard g;
    int rc = MPI_Comm_dup(s, &o->newComm);
    return rc == MPI_SUCCESS ? finishNew(o->newComm, &o->newShadow) : rc;
  };
  op->result = newCommResult;
  return Runtime::get().runBlocking(env, std::move(op));
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Runtime& rt = Runtime::get();
  int id = intArg(info, 0, "comm");
  if (id <= 1) throw Napi::TypeError::New(env, "free: the world and self communicators cannot be freed");
  MPI_Comm c = rt.comm(env, id);
  MPI_Comm s = rt.shadow(env, id);
  rt.markFreed(id);  // further use from JS is a TypeError at once
  auto op = std::make_unique<Op>(env);
  op->what = "free";
  op->blocking = [c, s]() mutable {
    MpiGuard g;
    int rc = MPI_Comm_free(&c);
    int rc2 = MPI_Comm_free(&s);
    return rc != MPI_SUCCESS ? rc : rc2;
  };
  return rt.runBlocking(env, std::move(op));
}

}  // namespace scrmpi

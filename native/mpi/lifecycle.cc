// init, finalize, abort and the small synchronous queries.
#include <dlfcn.h>

#include <string>

#include "args.h"
#include "entry.h"

namespace scrmpi {

static const char* levelName(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE: return "SINGLE";
    case MPI_THREAD_FUNNELED: return "FUNNELED";
    case MPI_THREAD_SERIALIZED: return "SERIALIZED";
    case MPI_THREAD_MULTIPLE: return "MULTIPLE";
  }
  return "UNKNOWN";
}

// The level to ask MPI_Init_thread for: MULTIPLE unless the caller names another. The MPI
// standard orders the constants SINGLE < FUNNELED < SERIALIZED < MULTIPLE.
static int requestedLevel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() == 0 || info[0].IsUndefined()) return MPI_THREAD_MULTIPLE;
  std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  int level = name == "SINGLE" ? MPI_THREAD_SINGLE : name == "FUNNELED" ? MPI_THREAD_FUNNELED
            : name == "SERIALIZED" ? MPI_THREAD_SERIALIZED : name == "MULTIPLE" ? MPI_THREAD_MULTIPLE : -1;
  if (level < 0) throw Napi::TypeError::New(env, "init: threadLevel must be 'SERIALIZED' or 'MULTIPLE'");
  if (level < MPI_THREAD_SERIALIZED) {
    throw Napi::RangeError::New(env, "init: thread level " + name + " is below SERIALIZED, which the binding "
                                     "needs because its progress and helper threads call MPI");
  }
  return level;
}

static void check(Napi::Env env, int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw mpiError(env, rc, what);
}

// Initialises MPI at the requested level and returns the level provided. Below SERIALIZED the
// binding's threads could not call MPI, so it starts nothing (no communicators, no threads) and
// the caller (src/mpi/runtime.ts) ends the job with a message.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Runtime& rt = Runtime::get();
  const int required = requestedLevel(info);
  int inited = 0, fin = 0;
  MPI_Initialized(&inited);
  MPI_Finalized(&fin);
  if (fin) throw Napi::Error::New(env, "mpi.init(): MPI was already finalized in this process; it cannot start again");
  int provided = MPI_THREAD_SINGLE;
  if (!inited) {
#ifdef SCR_LIBMPI
    // Some MPI builds load plugins that need libmpi's symbols globally visible.
    dlopen(SCR_LIBMPI, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
#endif
    check(env, MPI_Init_thread(nullptr, nullptr, required, &provided), "mpi.init()");
  } else {
    MPI_Query_thread(&provided);  // initialised by someone else: their level stands
  }
  if (!rt.started() && provided >= MPI_THREAD_SERIALIZED) {
    rt.multiple = provided == MPI_THREAD_MULTIPLE;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    MPI_Comm ws, ss;
    check(env, MPI_Comm_dup(MPI_COMM_WORLD, &ws), "mpi.init(): duplicating MPI_COMM_WORLD");
    check(env, MPI_Comm_dup(MPI_COMM_SELF, &ss), "mpi.init(): duplicating MPI_COMM_SELF");
    rt.addComm(MPI_COMM_WORLD, ws);
    rt.addComm(MPI_COMM_SELF, ss);
    rt.start(env);
  }
  return Napi::String::New(env, levelName(provided));
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Runtime& rt = Runtime::get();
  int inited = 0, fin = 0;
  MPI_Initialized(&inited);
  MPI_Finalized(&fin);
  if (!inited || fin) return env.Undefined();
  if (rt.inFlight() > 0) {
    throw Napi::Error::New(env, "mpi.finalize(): " + std::to_string(rt.inFlight()) +
                                    " MPI operation(s) are still pending; await them before finalizing");
  }
  rt.stop();
  check(env, MPI_Finalize(), "mpi.finalize()");
  return env.Undefined();
}

// Never takes the MPI lock: a blocking op on the helper thread may hold it, and abort must not wait.
Napi::Value Abort(const Napi::CallbackInfo& info) {
  int code = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  MPI_Abort(MPI_COMM_WORLD, code);
  return info.Env().Undefined();
}

// MPI_Initialized and MPI_Finalized may be called from any thread at any time; State runs in exit
// handlers, so it must not wait for the MPI lock either.
Napi::Value State(const Napi::CallbackInfo& info) {
  int inited = 0, fin = 0;
  MPI_Initialized(&inited);
  MPI_Finalized(&fin);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("initialized", Napi::Boolean::New(info.Env(), inited));
  o.Set("finalized", Napi::Boolean::New(info.Env(), fin));
  o.Set("pending", Napi::Number::New(info.Env(), static_cast<double>(Runtime::get().inFlight())));
  o.Set("blocking", Napi::Number::New(info.Env(), static_cast<double>(Runtime::get().blockingUnfinished())));
  return o;
}

Napi::Value Wtime(const Napi::CallbackInfo& info) {
  double t = 0;
  locked([&] { t = MPI_Wtime(); return MPI_SUCCESS; });
  return Napi::Number::New(info.Env(), t);
}

Napi::Value ProcessorName(const Napi::CallbackInfo& info) {
  char name[MPI_MAX_PROCESSOR_NAME];
  int len = 0;
  check(info.Env(), locked([&] { return MPI_Get_processor_name(name, &len); }), "mpi.processorName()");
  return Napi::String::New(info.Env(), name, len);
}

Napi::Value LibraryVersion(const Napi::CallbackInfo& info) {
  char v[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(v, &len);
  while (len > 0 && (v[len - 1] == '\n' || v[len - 1] == '\0' || v[len - 1] == ' ')) len--;
  return Napi::String::New(info.Env(), v, len);
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass: expected a constructor");
  Runtime::get().errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// This process's rank in MPI_COMM_WORLD; works whenever MPI is initialised, even when init refused
// the thread level and started nothing (for the message that names the rank).
Napi::Value WorldRank(const Napi::CallbackInfo& info) {
  int r = -1;
  check(info.Env(), locked([&] { return MPI_Comm_rank(MPI_COMM_WORLD, &r); }), "mpi.worldRank()");
  return Napi::Number::New(info.Env(), r);
}

Napi::Value CommRank(const Napi::CallbackInfo& info) {
  int r = -1;
  MPI_Comm c = Runtime::get().comm(info.Env(), intArg(info, 0, "comm"));
  check(info.Env(), locked([&] { return MPI_Comm_rank(c, &r); }), "comm.rank");
  return Napi::Number::New(info.Env(), r);
}

Napi::Value CommSize(const Napi::CallbackInfo& info) {
  int s = -1;
  MPI_Comm c = Runtime::get().comm(info.Env(), intArg(info, 0, "comm"));
  check(info.Env(), locked([&] { return MPI_Comm_size(c, &s); }), "comm.size");
  return Napi::Number::New(info.Env(), s);
}

Napi::Value Constants(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("ANY_SOURCE", MPI_ANY_SOURCE);
  o.Set("ANY_TAG", MPI_ANY_TAG);
  o.Set("UNDEFINED", MPI_UNDEFINED);
  int flag = 0;
  int* tagUb = nullptr;
  MPI_Initialized(&flag);
  if (flag) locked([&] { return MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tagUb, &flag); });
  o.Set("TAG_UB", flag && tagUb ? *tagUb : 32767);
  return o;
}

}  // namespace scrmpi

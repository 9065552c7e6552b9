// The binding belongs to the process's main thread. MPI is one per process, its progress and
// helper threads report to the main thread's event loop, and each Node environment (the main
// thread, every worker_threads Worker) would otherwise get its own copy of this module sharing
// one Runtime: promises made in a worker would be settled on the main thread, which V8 does not
// survive. A Worker that loads the module gets a JavaScript Error instead.
#pragma once
#include <napi.h>

// libuv's default loop is the one Node's main thread runs; node exports the symbol to addons.
extern "C" struct uv_loop_s* uv_default_loop(void);

namespace scrmpi {

inline bool onMainThread(Napi::Env env) {
  struct uv_loop_s* loop = nullptr;
  return napi_get_uv_event_loop(env, &loop) == napi_ok && loop == uv_default_loop();
}

inline void requireMainThread(Napi::Env env) {
  if (onMainThread(env)) return;
  throw Napi::Error::New(env,
      "scr's MPI binding belongs to the process's main thread and cannot be loaded in a worker thread "
      "(node:worker_threads): MPI is initialised once per process and the binding's threads report to the "
      "main thread's event loop. Make the MPI calls on the main thread and pass data to workers with postMessage.");
}

}  // namespace scrmpi

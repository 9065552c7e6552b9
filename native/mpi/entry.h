// Every function the binding exports (registered in addon.cc).
#pragma once
#include <napi.h>

namespace scrmpi {
// lifecycle.cc
Napi::Value Init(const Napi::CallbackInfo&);
Napi::Value Finalize(const Napi::CallbackInfo&);
Napi::Value Abort(const Napi::CallbackInfo&);
Napi::Value State(const Napi::CallbackInfo&);
Napi::Value Wtime(const Napi::CallbackInfo&);
Napi::Value ProcessorName(const Napi::CallbackInfo&);
Napi::Value LibraryVersion(const Napi::CallbackInfo&);
Napi::Value SetErrorClass(const Napi::CallbackInfo&);
Napi::Value WorldRank(const Napi::CallbackInfo&);
Napi::Value CommRank(const Napi::CallbackInfo&);
Napi::Value CommSize(const Napi::CallbackInfo&);
Napi::Value Constants(const Napi::CallbackInfo&);
// collectives.cc
Napi::Value Barrier(const Napi::CallbackInfo&);
Napi::Value Bcast(const Napi::CallbackInfo&);
Napi::Value Reduce(const Napi::CallbackInfo&);
Napi::Value Allreduce(const Napi::CallbackInfo&);
Napi::Value Gather(const Napi::CallbackInfo&);
Napi::Value Gatherv(const Napi::CallbackInfo&);
Napi::Value Allgather(const Napi::CallbackInfo&);
Napi::Value Allgatherv(const Napi::CallbackInfo&);
Napi::Value Scatter(const Napi::CallbackInfo&);
Napi::Value Scatterv(const Napi::CallbackInfo&);
Napi::Value Alltoall(const Napi::CallbackInfo&);
Napi::Value Alltoallv(const Napi::CallbackInfo&);
Napi::Value AllreduceSync(const Napi::CallbackInfo&);
// p2p.cc
Napi::Value Isend(const Napi::CallbackInfo&);
Napi::Value Irecv(const Napi::CallbackInfo&);
Napi::Value Sendrecv(const Napi::CallbackInfo&);
// comms.cc
Napi::Value Split(const Napi::CallbackInfo&);
Napi::Value Dup(const Napi::CallbackInfo&);
Napi::Value Free(const Napi::CallbackInfo&);
}  // namespace scrmpi

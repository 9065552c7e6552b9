// scr_mpi.node: the MPI binding's native half. The TypeScript wrapper (src/mpi/) validates
// arguments and shapes results; nothing here is meant to be called by users directly.
#include "entry.h"
#include "main-thread.h"

namespace scrmpi {

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  requireMainThread(env);  // a Worker gets an Error from require(), not a crash later
  struct Entry { const char* name; Napi::Value (*fn)(const Napi::CallbackInfo&); };
  static const Entry entries[] = {
      {"init", Init}, {"finalize", Finalize}, {"abort", Abort}, {"state", State}, {"wtime", Wtime},
      {"processorName", ProcessorName}, {"libraryVersion", LibraryVersion}, {"setErrorClass", SetErrorClass},
      {"worldRank", WorldRank}, {"commRank", CommRank}, {"commSize", CommSize}, {"constants", Constants},
      {"barrier", Barrier}, {"bcast", Bcast}, {"reduce", Reduce}, {"allreduce", Allreduce},
      {"allreduceSync", AllreduceSync}, {"gather", Gather}, {"gatherv", Gatherv}, {"allgather", Allgather},
      {"allgatherv", Allgatherv}, {"scatter", Scatter}, {"scatterv", Scatterv}, {"alltoall", Alltoall},
      {"alltoallv", Alltoallv}, {"isend", Isend}, {"irecv", Irecv}, {"sendrecv", Sendrecv},
      {"split", Split}, {"dup", Dup}, {"free", Free},
  };
  for (const auto& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  return exports;
}

}  // namespace scrmpi

static Napi::Object InitScrMpi(Napi::Env env, Napi::Object exports) { return scrmpi::InitModule(env, exports); }

NODE_API_MODULE(scr_mpi, InitScrMpi)

// Process-wide MPI runtime of the binding: MPI itself is process-global, so this is too.
// Owns the communicator table, the progress thread (completes nonblocking requests), the
// blocking-ops thread (split/dup/free, run FIFO) and the channel back to the JS thread.
#pragma once
#include <mpi.h>
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace scrmpi {

// One asynchronous operation: its MPI requests (nonblocking ops) or a blocking body (run on the
// blocking-ops thread), the promise to settle and the JS values kept alive until it completes.
struct Op {
  explicit Op(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
  std::vector<MPI_Request> reqs;
  std::vector<MPI_Status> statuses;
  int pending = 0;
  int err = MPI_SUCCESS;
  std::string what;  // the call's name, for error messages
  std::function<int()> blocking;  // set for blocking ops
  std::vector<Napi::Reference<Napi::Value>> keep;
  // Builds the resolved value on the JS thread (default: undefined).
  std::function<Napi::Value(Napi::Env, Op&)> result;
  // Values a blocking body hands to `result`.
  MPI_Comm newComm = MPI_COMM_NULL;
  MPI_Comm newShadow = MPI_COMM_NULL;
};

class Runtime {
 public:
  static Runtime& get();

  // Communicator table (JS thread only). Id 0 = world, 1 = self. Each entry has a shadow
  // duplicate used only by blocking collectives, so they never interleave with user traffic.
  struct CommEntry { MPI_Comm comm = MPI_COMM_NULL; MPI_Comm shadow = MPI_COMM_NULL; bool freed = false; };
  MPI_Comm comm(Napi::Env env, int id);     // throws TypeError on a bad or freed id
  MPI_Comm shadow(Napi::Env env, int id);
  int addComm(MPI_Comm c, MPI_Comm shadow);
  void markFreed(int id);
  std::vector<CommEntry>& comms() { return comms_; }

  void start(Napi::Env env);  // after MPI_Init: creates the JS channel and threads
  void stop();                // before MPI_Finalize: joins the threads
  bool started() const { return started_; }
  size_t inFlight() const { return inFlight_; }
  // Blocking ops handed to the blocking-ops thread that it has not finished yet.
  size_t blockingUnfinished();
  // Blocks the calling (JS) thread until every blocking op handed over so far has finished, so a
  // blocking call made on the JS thread cannot overtake split/dup/free called before it.
  void waitForBlockingOps();

  // Hand an op whose requests are posted to the progress thread; returns its promise.
  Napi::Value track(Napi::Env env, std::unique_ptr<Op> op);
  // Run op->blocking on the blocking-ops thread, in call order; returns its promise.
  Napi::Value runBlocking(Napi::Env env, std::unique_ptr<Op> op);
  // Reject at once (posting failed); returns its promise.
  Napi::Value fail(Napi::Env env, std::unique_ptr<Op> op, int err);

  Napi::FunctionReference errorClass;  // JS MpiError(message, errorClassName, errorCode)
  bool multiple = false;               // thread level MULTIPLE was provided
  std::mutex bigLock;                  // guards MPI calls when it was not

 private:
  void progressLoop();
  void blockingLoop();
  void deliver(Op* op);  // any thread -> JS thread
  void settle(Napi::Env env, Op* op);
  void refChange(Napi::Env env, int delta);

  std::vector<CommEntry> comms_;
  bool started_ = false;
  size_t inFlight_ = 0;  // JS thread only
  Napi::ThreadSafeFunction tsfn_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<Op*> incoming_;
  std::deque<Op*> blockingQueue_;
  // Counted by the JS thread (queued) and the blocking-ops thread (done, under mu_ so a waiter
  // cannot miss the notification); atomic so the JS thread can check without taking mu_.
  std::atomic<uint64_t> blockingQueued_{0}, blockingDone_{0};
  std::condition_variable blockingDoneCv_;
  std::thread progress_, blocking_;
};

// A Napi::Error of the JS MpiError class for an MPI error code.
Napi::Error mpiError(Napi::Env env, int code, const std::string& what);
std::string errorClassName(int cls);
std::string errorString(int code);

// Guard for an MPI call made from any thread: a real lock only below THREAD_MULTIPLE (the binding
// refuses levels below SERIALIZED, where this lock is what keeps MPI calls from overlapping).
// Not reentrant: never hold one while calling something that takes another (e.g. mpiError).
class MpiGuard {
 public:
  MpiGuard() : rt_(Runtime::get()) { if (!rt_.multiple) rt_.bigLock.lock(); }
  ~MpiGuard() { if (!rt_.multiple) rt_.bigLock.unlock(); }
 private:
  Runtime& rt_;
};

// Runs one MPI call under an MpiGuard and returns its result, releasing the lock before the
// caller turns an error code into an exception.
template <typename F>
inline int locked(F call) {
  MpiGuard g;
  return call();
}

}  // namespace scrmpi

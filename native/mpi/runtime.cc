#include "runtime.h"

#include <sched.h>

#include <algorithm>

#include <chrono>

namespace scrmpi {

// Never destroyed: MPI_Abort may call exit() (MPICH does) while the threads run, and destroying
// a joinable std::thread at exit would turn that into std::terminate (SIGABRT).
Runtime& Runtime::get() {
  static Runtime* rt = new Runtime();
  return *rt;
}

MPI_Comm Runtime::comm(Napi::Env env, int id) {
  if (!started_) throw Napi::Error::New(env, "comm: the MPI binding is not running (before mpi.init() succeeded, or after mpi.finalize())");
  if (id < 0 || static_cast<size_t>(id) >= comms_.size()) {
    throw Napi::TypeError::New(env, "comm: not a communicator of this binding (id " + std::to_string(id) + ")");
  }
  if (comms_[id].freed) throw Napi::TypeError::New(env, "comm: the communicator has been freed");
  return comms_[id].comm;
}

MPI_Comm Runtime::shadow(Napi::Env env, int id) {
  comm(env, id);
  return comms_[id].shadow;
}

int Runtime::addComm(MPI_Comm c, MPI_Comm s) {
  comms_.push_back({c, s, false});
  return static_cast<int>(comms_.size() - 1);
}

void Runtime::markFreed(int id) { comms_[id].freed = true; comms_[id].comm = comms_[id].shadow = MPI_COMM_NULL; }

void Runtime::start(Napi::Env env) {
  auto noop = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
  tsfn_ = Napi::ThreadSafeFunction::New(env, noop, "scr-mpi", 0, 1);
  tsfn_.Unref(env);  // only pending operations keep the event loop alive
  stopping_ = false;
  progress_ = std::thread([this] { progressLoop(); });
  blocking_ = std::thread([this] { blockingLoop(); });
  started_ = true;
}

void Runtime::stop() {
  if (!started_) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  progress_.join();
  blocking_.join();
  tsfn_.Release();
  started_ = false;
}

void Runtime::refChange(Napi::Env env, int delta) {
  size_t before = inFlight_;
  inFlight_ += delta;
  if (before == 0 && inFlight_ > 0) tsfn_.Ref(env);
  if (before > 0 && inFlight_ == 0) tsfn_.Unref(env);
}

Napi::Value Runtime::track(Napi::Env env, std::unique_ptr<Op> op) {
  Napi::Promise promise = op->deferred.Promise();
  op->pending = static_cast<int>(op->reqs.size());
  op->statuses.resize(op->reqs.size());
  refChange(env, 1);
  {
    std::lock_guard<std::mutex> l(mu_);
    incoming_.push_back(op.release());
  }
  cv_.notify_all();
  return promise;
}

Napi::Value Runtime::runBlocking(Napi::Env env, std::unique_ptr<Op> op) {
  Napi::Promise promise = op->deferred.Promise();
  refChange(env, 1);
  {
    std::lock_guard<std::mutex> l(mu_);
    blockingQueue_.push_back(op.release());
    blockingQueued_++;
  }
  cv_.notify_all();
  return promise;
}

Napi::Value Runtime::fail(Napi::Env env, std::unique_ptr<Op> op, int err) {
  op->deferred.Reject(mpiError(env, err, op->what).Value());
  return op->deferred.Promise();
}

void Runtime::deliver(Op* op) {
  tsfn_.NonBlockingCall(op, [this](Napi::Env env, Napi::Function, Op* o) { settle(env, o); });
}

void Runtime::settle(Napi::Env env, Op* raw) {
  std::unique_ptr<Op> op(raw);
  Napi::HandleScope scope(env);
  refChange(env, -1);
  try {
    if (op->err != MPI_SUCCESS) {
      op->deferred.Reject(mpiError(env, op->err, op->what).Value());
    } else {
      op->deferred.Resolve(op->result ? op->result(env, *op) : env.Undefined());
    }
  } catch (const Napi::Error& e) {
    op->deferred.Reject(e.Value());
  }
}

// Completes posted requests. Spins briefly after activity (latency), then yields, then sleeps
// in short waits that new work interrupts, so an idle rank does not burn a core.
// Spin briefly, then yield, then sleep in short waits. Measured on 2 cores with 4 ranks: spin
// 0–64 and yield 0–2000 iterations gave the same checkpoint bandwidth (bench/checkpoint).
static constexpr unsigned kSpin = 64, kYield = 2000;

void Runtime::progressLoop() {
  std::vector<MPI_Request> reqs;
  std::vector<std::pair<Op*, int>> owners;
  std::vector<int> indices;
  std::vector<MPI_Status> statuses;
  unsigned idle = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> l(mu_);
      if (reqs.empty()) {
        cv_.wait(l, [&] { return stopping_ || !incoming_.empty(); });
      } else if (idle > kSpin + kYield && incoming_.empty()) {
        cv_.wait_for(l, std::chrono::microseconds(idle > kSpin + kYield + 1000 ? 200 : 20));
      }
      if (stopping_ && reqs.empty() && incoming_.empty()) return;
      for (Op* op : incoming_) {
        for (size_t i = 0; i < op->reqs.size(); i++) {
          reqs.push_back(op->reqs[i]);
          owners.emplace_back(op, static_cast<int>(i));
        }
        if (op->reqs.empty()) deliver(op);
      }
      if (!incoming_.empty()) idle = 0;
      incoming_.clear();
    }
    if (reqs.empty()) continue;
    indices.resize(reqs.size());
    statuses.resize(reqs.size());
    // Open MPI reports a failed request (e.g. truncation) in its status without returning
    // MPI_ERR_IN_STATUS, so the field is cleared first and checked on every completion.
    for (auto& st : statuses) st.MPI_ERROR = MPI_SUCCESS;
    int outcount = 0;
    int rc;
    {
      MpiGuard g;
      rc = MPI_Testsome(static_cast<int>(reqs.size()), reqs.data(), &outcount, indices.data(), statuses.data());
    }
    if (rc != MPI_SUCCESS && rc != MPI_ERR_IN_STATUS) {
      // Which requests finished is unknown: fail every op still waiting.
      std::vector<Op*> seen;
      for (auto& o : owners) {
        if (std::find(seen.begin(), seen.end(), o.first) == seen.end()) {
          seen.push_back(o.first);
          o.first->err = rc;
          deliver(o.first);
        }
      }
      reqs.clear();
      owners.clear();
      continue;
    }
    if (outcount == MPI_UNDEFINED || outcount == 0) {
      idle++;
      if (idle > kSpin) sched_yield();
      continue;
    }
    idle = 0;
    for (int k = 0; k < outcount; k++) {
      int i = indices[k];
      Op* op = owners[i].first;
      op->statuses[owners[i].second] = statuses[k];
      if (statuses[k].MPI_ERROR != MPI_SUCCESS && op->err == MPI_SUCCESS) {
        op->err = statuses[k].MPI_ERROR;
      }
      if (--op->pending == 0) deliver(op);
    }
    // Drop completed entries (MPI set them to MPI_REQUEST_NULL).
    size_t w = 0;
    for (size_t r = 0; r < reqs.size(); r++) {
      if (reqs[r] != MPI_REQUEST_NULL) {
        reqs[w] = reqs[r];
        owners[w] = owners[r];
        w++;
      }
    }
    reqs.resize(w);
    owners.resize(w);
  }
}

// Runs blocking collectives (split, dup, free) one at a time in the order JS called them.
void Runtime::blockingLoop() {
  for (;;) {
    Op* op;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stopping_ || !blockingQueue_.empty(); });
      if (blockingQueue_.empty()) return;
      op = blockingQueue_.front();
      blockingQueue_.pop_front();
    }
    op->err = op->blocking();
    {
      std::lock_guard<std::mutex> l(mu_);
      blockingDone_++;
    }
    blockingDoneCv_.notify_all();
    deliver(op);
  }
}

size_t Runtime::blockingUnfinished() {
  const uint64_t done = blockingDone_.load();
  return static_cast<size_t>(blockingQueued_.load() - done);
}

void Runtime::waitForBlockingOps() {
  const uint64_t upTo = blockingQueued_.load();  // only the JS thread adds to it
  if (blockingDone_.load() >= upTo) return;      // the usual case: nothing queued
  std::unique_lock<std::mutex> l(mu_);
  blockingDoneCv_.wait(l, [&] { return blockingDone_.load() >= upTo; });
}

std::string errorString(int code) {
  char buf[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (locked([&] { return MPI_Error_string(code, buf, &len); }) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(buf, len);
}

std::string errorClassName(int cls) {
#define SCR_ERR(name) if (cls == name) return #name;
  SCR_ERR(MPI_SUCCESS) SCR_ERR(MPI_ERR_BUFFER) SCR_ERR(MPI_ERR_COUNT) SCR_ERR(MPI_ERR_TYPE)
  SCR_ERR(MPI_ERR_TAG) SCR_ERR(MPI_ERR_COMM) SCR_ERR(MPI_ERR_RANK) SCR_ERR(MPI_ERR_REQUEST)
  SCR_ERR(MPI_ERR_ROOT) SCR_ERR(MPI_ERR_GROUP) SCR_ERR(MPI_ERR_OP) SCR_ERR(MPI_ERR_TOPOLOGY)
  SCR_ERR(MPI_ERR_DIMS) SCR_ERR(MPI_ERR_ARG) SCR_ERR(MPI_ERR_UNKNOWN) SCR_ERR(MPI_ERR_TRUNCATE)
  SCR_ERR(MPI_ERR_OTHER) SCR_ERR(MPI_ERR_INTERN) SCR_ERR(MPI_ERR_IN_STATUS) SCR_ERR(MPI_ERR_PENDING)
  SCR_ERR(MPI_ERR_NO_MEM) SCR_ERR(MPI_ERR_SPAWN) SCR_ERR(MPI_ERR_UNSUPPORTED_OPERATION)
#undef SCR_ERR
  return "MPI_ERR_CLASS_" + std::to_string(cls);
}

Napi::Error mpiError(Napi::Env env, int code, const std::string& what) {
  int cls = code;
  locked([&] { return MPI_Error_class(code, &cls); });
  std::string msg = what + ": " + errorString(code);
  Runtime& rt = Runtime::get();
  if (rt.errorClass.IsEmpty()) return Napi::Error::New(env, msg);
  Napi::Object e = rt.errorClass.New({Napi::String::New(env, msg), Napi::String::New(env, errorClassName(cls)),
                                      Napi::Number::New(env, code)});
  return Napi::Error(env, e);
}

}  // namespace scrmpi

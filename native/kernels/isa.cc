// Runtime CPU feature detection and the process-wide ISA choice.
#include "kernels/isa.h"

#include <atomic>
#include <cstring>
#include <initializer_list>

namespace scr {

namespace {

Isa detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return Isa::Avx2;
  if (__builtin_cpu_supports("ssse3")) return Isa::Ssse3;
#endif
  return Isa::Scalar;
}

const Isa kBest = detect();
std::atomic<int> g_active{static_cast<int>(kBest)};

}  // namespace

Isa best_isa() { return kBest; }

Isa active_isa() { return static_cast<Isa>(g_active.load(std::memory_order_relaxed)); }

bool set_isa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(kBest)) return false;
  g_active.store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx2: return "avx2";
    case Isa::Ssse3: return "ssse3";
    default: return "scalar";
  }
}

bool parse_isa(const char* name, Isa* out) {
  if (std::strcmp(name, "auto") == 0) { *out = kBest; return true; }
  for (Isa isa : {Isa::Scalar, Isa::Ssse3, Isa::Avx2}) {
    if (std::strcmp(name, isa_name(isa)) == 0) { *out = isa; return true; }
  }
  return false;
}

}  // namespace scr

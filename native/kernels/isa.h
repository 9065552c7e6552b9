// Instruction-set selection for the hot loops (XOR, GF(2^8) multiply-add).
// The best level the CPU supports is chosen at load; tests and the benchmark may force a lower one.
#pragma once

namespace scr {

enum class Isa { Scalar = 0, Ssse3 = 1, Avx2 = 2 };

// Best level this CPU (and this build) supports.
Isa best_isa();
// Level currently used by new kernel calls.
Isa active_isa();
// Forces a level; returns false (and changes nothing) if the CPU lacks it.
bool set_isa(Isa isa);
// Level's name: "scalar", "ssse3", "avx2".
const char* isa_name(Isa isa);
// Parses a name (also "auto" = best_isa()); returns false if unknown.
bool parse_isa(const char* name, Isa* out);

}  // namespace scr

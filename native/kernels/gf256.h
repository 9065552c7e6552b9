// GF(2^8) with the Reed–Solomon polynomial x^8+x^4+x^3+x^2+1 (0x11D), as in ISA-L and Jerasure.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/isa.h"

namespace scr {

// a·b in the field (table lookup).
uint8_t gf_mul(uint8_t a, uint8_t b);

// dst ^= c·src over n bytes. c = 0 does nothing, c = 1 is a plain XOR.
// Scalar: one 256-entry product table per c. Ssse3/Avx2: split-nibble tables with (v)pshufb.
void gf_mul_add(uint8_t* dst, uint8_t c, const uint8_t* src, size_t n, Isa isa);

}  // namespace scr

// dst ^= src over n bytes (any alignment, any length).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/isa.h"

namespace scr {

// Scalar uses 64-bit words, Ssse3 uses SSE2 128-bit vectors, Avx2 uses 256-bit vectors.
void xor_bytes(uint8_t* dst, const uint8_t* src, size_t n, Isa isa);

}  // namespace scr

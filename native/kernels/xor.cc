// XOR kernel: dst ^= src. Unaligned loads/stores everywhere, so any alignment works;
// each loop leaves its tail (fewer bytes than one step) to the next narrower loop.
#include "kernels/xor.h"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SCR_X86 1
#endif

namespace scr {

namespace {

// 64-bit words, then single bytes. memcpy keeps the loads alignment-safe (it compiles to plain moves).
void xor_words(uint8_t* dst, const uint8_t* src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t a, b;
    std::memcpy(&a, dst + i, 8);
    std::memcpy(&b, src + i, 8);
    a ^= b;
    std::memcpy(dst + i, &a, 8);
  }
  for (; i < n; i++) dst[i] ^= src[i];
}

#ifdef SCR_X86
// SSE2 is part of x86-64, so this needs no target attribute. Returns the bytes done.
size_t xor_sse2(uint8_t* dst, const uint8_t* src, size_t n) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (size_t k = 0; k < 64; k += 16) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(dst + i + k));
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + k));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + k), _mm_xor_si128(a, b));
    }
  }
  for (; i + 16 <= n; i += 16) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(dst + i));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, b));
  }
  return i;
}

__attribute__((target("avx2"))) size_t xor_avx2(uint8_t* dst, const uint8_t* src, size_t n) {
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    for (size_t k = 0; k < 128; k += 32) {
      __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst + i + k));
      __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + k));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + k), _mm256_xor_si256(a, b));
    }
  }
  for (; i + 32 <= n; i += 32) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst + i));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(a, b));
  }
  _mm256_zeroupper();
  return i;
}
#endif

}  // namespace

void xor_bytes(uint8_t* dst, const uint8_t* src, size_t n, Isa isa) {
  size_t done = 0;
#ifdef SCR_X86
  if (isa == Isa::Avx2) done = xor_avx2(dst, src, n);
  else if (isa == Isa::Ssse3) done = xor_sse2(dst, src, n);
#endif
  xor_words(dst + done, src + done, n - done);
}

}  // namespace scr

// GF(2^8) multiply-add. Tables are built once at load:
//   kMul[c][x]  = c·x                  (64 KiB, the scalar path and vector tails)
//   kLow[c][i]  = c·i, kHigh[c][i] = c·(i<<4), i < 16   (8 KiB, for pshufb)
// Since c·x = c·(x & 15) ^ c·(x & 0xF0), a 16-way byte shuffle per nibble gives 16/32 products at once.
#include "kernels/gf256.h"

#include "kernels/xor.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SCR_X86 1
#endif

namespace scr {

namespace {

struct Tables {
  uint8_t mul[256][256];
  alignas(16) uint8_t low[256][16];
  alignas(16) uint8_t high[256][16];

  Tables() {
    for (int a = 0; a < 256; a++) {
      for (int b = 0; b < 256; b++) mul[a][b] = slow_mul(a, b);
      for (int i = 0; i < 16; i++) {
        low[a][i] = mul[a][i];
        high[a][i] = mul[a][i << 4];
      }
    }
  }

  // Shift-and-add ("Russian peasant") multiplication, reducing by 0x11D.
  static uint8_t slow_mul(int a, int b) {
    int p = 0;
    while (b) {
      if (b & 1) p ^= a;
      b >>= 1;
      a <<= 1;
      if (a & 0x100) a ^= 0x11D;
    }
    return static_cast<uint8_t>(p);
  }
};

const Tables kT;

void mul_add_scalar(uint8_t* dst, uint8_t c, const uint8_t* src, size_t n) {
  const uint8_t* row = kT.mul[c];
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    dst[i] ^= row[src[i]];
    dst[i + 1] ^= row[src[i + 1]];
    dst[i + 2] ^= row[src[i + 2]];
    dst[i + 3] ^= row[src[i + 3]];
  }
  for (; i < n; i++) dst[i] ^= row[src[i]];
}

#ifdef SCR_X86
__attribute__((target("ssse3"))) inline __m128i product16(__m128i s, __m128i lo, __m128i hi, __m128i mask) {
  __m128i l = _mm_and_si128(s, mask);
  __m128i h = _mm_and_si128(_mm_srli_epi64(s, 4), mask);
  return _mm_xor_si128(_mm_shuffle_epi8(lo, l), _mm_shuffle_epi8(hi, h));
}

// Returns the bytes done (a multiple of 16); the caller finishes the tail.
__attribute__((target("ssse3"))) size_t mul_add_ssse3(uint8_t* dst, uint8_t c, const uint8_t* src, size_t n) {
  const __m128i lo = _mm_load_si128(reinterpret_cast<const __m128i*>(kT.low[c]));
  const __m128i hi = _mm_load_si128(reinterpret_cast<const __m128i*>(kT.high[c]));
  const __m128i mask = _mm_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(dst + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(d, product16(s, lo, hi, mask)));
  }
  return i;
}

__attribute__((target("avx2"))) inline __m256i product32(__m256i s, __m256i lo, __m256i hi, __m256i mask) {
  __m256i l = _mm256_and_si256(s, mask);
  __m256i h = _mm256_and_si256(_mm256_srli_epi64(s, 4), mask);
  return _mm256_xor_si256(_mm256_shuffle_epi8(lo, l), _mm256_shuffle_epi8(hi, h));
}

// vpshufb shuffles within each 128-bit lane, so both lanes get the same 16-byte table.
__attribute__((target("avx2"))) size_t mul_add_avx2(uint8_t* dst, uint8_t c, const uint8_t* src, size_t n) {
  const __m256i lo = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kT.low[c])));
  const __m256i hi = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kT.high[c])));
  const __m256i mask = _mm256_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m256i s0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    __m256i s1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 32));
    __m256i d0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst + i));
    __m256i d1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst + i + 32));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(d0, product32(s0, lo, hi, mask)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 32), _mm256_xor_si256(d1, product32(s1, lo, hi, mask)));
  }
  for (; i + 32 <= n; i += 32) {
    __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(d, product32(s, lo, hi, mask)));
  }
  _mm256_zeroupper();
  return i;
}
#endif

}  // namespace

uint8_t gf_mul(uint8_t a, uint8_t b) { return kT.mul[a][b]; }

void gf_mul_add(uint8_t* dst, uint8_t c, const uint8_t* src, size_t n, Isa isa) {
  if (c == 0) return;
  if (c == 1) return xor_bytes(dst, src, n, isa);
  size_t done = 0;
#ifdef SCR_X86
  if (isa == Isa::Avx2) done = mul_add_avx2(dst, c, src, n);
  else if (isa == Isa::Ssse3) done = mul_add_ssse3(dst, c, src, n);
#endif
  mul_add_scalar(dst + done, c, src + done, n - done);
}

}  // namespace scr

// framecast: wasm SIMD128 versions of OpenH264's hottest C kernels. They are
// bound into OpenH264's function tables by redirect.h, and must compute
// exactly what the C versions compute (the bitstream test checks this).
// Compiled for wasm32 with -msimd128 only.
#include <stdint.h>
#include <wasm_simd128.h>

namespace {

// |a - b| per byte.
inline v128_t absdiff_u8(v128_t a, v128_t b) {
  return wasm_v128_or(wasm_u8x16_sub_sat(a, b), wasm_u8x16_sub_sat(b, a));
}

// Sum of the four i32 lanes.
inline int32_t hsum_i32(v128_t v) {
  v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_i32x4_extract_lane(v, 0);
}

// Sum of the eight u16 lanes.
inline int32_t hsum_u16(v128_t v) {
  return hsum_i32(wasm_u32x4_extadd_pairwise_u16x8(v));
}

// Eight bytes of row `a` and eight of row `b` in one vector.
inline v128_t load_2x8(const uint8_t* a, const uint8_t* b) {
  return wasm_v128_load64_lane(b, wasm_v128_load64_zero(a), 1);
}

// Four bytes of each of four rows, widened to i16: rows r0,r1 and r2,r3.
inline void load_4x4_i16(const uint8_t* p, int32_t s, v128_t* r01, v128_t* r23) {
  v128_t v = wasm_v128_load32_zero(p);
  v = wasm_v128_load32_lane(p + s, v, 1);
  v = wasm_v128_load32_lane(p + 2 * s, v, 2);
  v = wasm_v128_load32_lane(p + 3 * s, v, 3);
  *r01 = wasm_u16x8_extend_low_u8x16(v);
  *r23 = wasm_u16x8_extend_high_u8x16(v);
}

// One 4-point Hadamard pass along each row of two rows [c0 c1 c2 c3 | ...]:
// out = [s0+s1, s2+s3, s2-s3, s0-s1] with s0=c0+c2, s1=c1+c3, s2=c0-c2,
// s3=c1-c3, the order of WelsSampleSatd4x4_c's horizontal step.
inline v128_t hadamard_rows(v128_t d) {
  v128_t a = wasm_i16x8_shuffle(d, d, 0, 1, 0, 1, 4, 5, 4, 5);
  v128_t b = wasm_i16x8_shuffle(d, d, 2, 3, 2, 3, 6, 7, 6, 7);
  v128_t t = wasm_i16x8_shuffle(wasm_i16x8_add(a, b), wasm_i16x8_sub(a, b), 0, 1, 10, 11, 4, 5, 14, 15);
  v128_t e = wasm_i16x8_shuffle(t, t, 0, 2, 2, 0, 4, 6, 6, 4);
  v128_t f = wasm_i16x8_shuffle(t, t, 1, 3, 3, 1, 5, 7, 7, 5);
  return wasm_i16x8_shuffle(wasm_i16x8_add(e, f), wasm_i16x8_sub(e, f), 0, 1, 10, 11, 4, 5, 14, 15);
}

// Sum of |x| over the i16 lanes, as i32.
inline int32_t sum_abs_i16(v128_t v) {
  return hsum_i32(wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_abs(v)));
}

}  // namespace

int32_t WelsSampleSad16x16_c(uint8_t* p1, int32_t s1, uint8_t* p2, int32_t s2) {
  v128_t acc = wasm_i16x8_splat(0);  // at most 16 rows x 2 x 255 per lane
  for (int i = 0; i < 16; i++) {
    acc = wasm_i16x8_add(acc, wasm_u16x8_extadd_pairwise_u8x16(absdiff_u8(wasm_v128_load(p1), wasm_v128_load(p2))));
    p1 += s1;
    p2 += s2;
  }
  return hsum_u16(acc);
}

void WelsSampleSadFour16x16_c(uint8_t* p1, int32_t s1, uint8_t* p2, int32_t s2, int32_t* sad) {
  sad[0] = WelsSampleSad16x16_c(p1, s1, p2 - s2, s2);
  sad[1] = WelsSampleSad16x16_c(p1, s1, p2 + s2, s2);
  sad[2] = WelsSampleSad16x16_c(p1, s1, p2 - 1, s2);
  sad[3] = WelsSampleSad16x16_c(p1, s1, p2 + 1, s2);
}

int32_t WelsSampleSad8x8_c(uint8_t* p1, int32_t s1, uint8_t* p2, int32_t s2) {
  v128_t acc = wasm_i16x8_splat(0);
  for (int i = 0; i < 4; i++) {
    v128_t d = absdiff_u8(load_2x8(p1, p1 + s1), load_2x8(p2, p2 + s2));
    acc = wasm_i16x8_add(acc, wasm_u16x8_extadd_pairwise_u8x16(d));
    p1 += 2 * s1;
    p2 += 2 * s2;
  }
  return hsum_u16(acc);
}

namespace WelsEnc {

int32_t WelsSampleSatd4x4_c(uint8_t* p1, int32_t s1, uint8_t* p2, int32_t s2) {
  v128_t a01, a23, b01, b23;
  load_4x4_i16(p1, s1, &a01, &a23);
  load_4x4_i16(p2, s2, &b01, &b23);
  v128_t h01 = hadamard_rows(wasm_i16x8_sub(a01, b01));
  v128_t h23 = hadamard_rows(wasm_i16x8_sub(a23, b23));
  // Vertical pass: v0=r0+r2, v1=r1+r3 (in a), v2=r0-r2, v3=r1-r3 (in b); the
  // outputs v0+v1, v0-v1, v2+v3, v2-v3 each appear twice after pairing a
  // vector with its halves swapped, hence the final halving.
  v128_t a = wasm_i16x8_add(h01, h23);
  v128_t b = wasm_i16x8_sub(h01, h23);
  v128_t as = wasm_i16x8_shuffle(a, a, 4, 5, 6, 7, 0, 1, 2, 3);
  v128_t bs = wasm_i16x8_shuffle(b, b, 4, 5, 6, 7, 0, 1, 2, 3);
  int32_t twice = sum_abs_i16(wasm_i16x8_add(a, as)) + sum_abs_i16(wasm_i16x8_sub(a, as)) +
                  sum_abs_i16(wasm_i16x8_add(b, bs)) + sum_abs_i16(wasm_i16x8_sub(b, bs));
  return ((twice >> 1) + 1) >> 1;
}

// The larger SATDs are sums of rounded 4x4 SATDs, as in the C versions.
static inline int32_t satd_blocks(uint8_t* p1, int32_t s1, uint8_t* p2, int32_t s2, int w4, int h4) {
  int32_t sum = 0;
  for (int by = 0; by < h4; by++) {
    for (int bx = 0; bx < w4; bx++) {
      sum += WelsSampleSatd4x4_c(p1 + 4 * by * s1 + 4 * bx, s1, p2 + 4 * by * s2 + 4 * bx, s2);
    }
  }
  return sum;
}

int32_t WelsSampleSatd8x8_c(uint8_t* p1, int32_t s1, uint8_t* p2, int32_t s2) { return satd_blocks(p1, s1, p2, s2, 2, 2); }
int32_t WelsSampleSatd16x8_c(uint8_t* p1, int32_t s1, uint8_t* p2, int32_t s2) { return satd_blocks(p1, s1, p2, s2, 4, 2); }
int32_t WelsSampleSatd8x16_c(uint8_t* p1, int32_t s1, uint8_t* p2, int32_t s2) { return satd_blocks(p1, s1, p2, s2, 2, 4); }
int32_t WelsSampleSatd16x16_c(uint8_t* p1, int32_t s1, uint8_t* p2, int32_t s2) { return satd_blocks(p1, s1, p2, s2, 4, 4); }

}  // namespace WelsEnc

namespace WelsVP {

// Per 8x8 block of each 16x16 macroblock: SAD, signed sum of differences
// and maximum absolute difference; plus the frame's total SAD.
void VAACalcSadBgd_c(const uint8_t* cur, const uint8_t* ref, int32_t width, int32_t height, int32_t stride,
                     int32_t* frame_sad, int32_t* sad8x8, int32_t* sd8x8, uint8_t* mad8x8) {
  const int32_t mb_w = width >> 4, mb_h = height >> 4;
  // The same pointer stepping as the C version (including its row step of
  // 16*stride - width after mb_w*16 bytes, for widths not divisible by 16).
  const int32_t step = (stride << 4) - width;
  int32_t total = 0, mb = 0;
  for (int32_t y = 0; y < mb_h; y++, cur += step, ref += step) {
    for (int32_t x = 0; x < mb_w; x++, cur += 16, ref += 16) {
      const uint8_t* c = cur;
      const uint8_t* r = ref;
      for (int half = 0; half < 2; half++) {  // top 8 rows: blocks 0,1; bottom: 2,3
        v128_t sad = wasm_i16x8_splat(0), sc = sad, sr = sad, mad = sad;
        for (int k = 0; k < 8; k++) {
          v128_t vc = wasm_v128_load(c), vr = wasm_v128_load(r);
          v128_t d = absdiff_u8(vc, vr);
          mad = wasm_u8x16_max(mad, d);
          sad = wasm_i16x8_add(sad, wasm_u16x8_extadd_pairwise_u8x16(d));
          sc = wasm_i16x8_add(sc, wasm_u16x8_extadd_pairwise_u8x16(vc));
          sr = wasm_i16x8_add(sr, wasm_u16x8_extadd_pairwise_u8x16(vr));
          c += stride;
          r += stride;
        }
        // Lanes 0-3 (u16) / bytes 0-7 are the left block, 4-7 / 8-15 the right.
        v128_t sad32 = wasm_u32x4_extadd_pairwise_u16x8(sad);
        v128_t sd32 = wasm_i32x4_sub(wasm_u32x4_extadd_pairwise_u16x8(sc), wasm_u32x4_extadd_pairwise_u16x8(sr));
        uint8_t m[16];
        wasm_v128_store(m, mad);
        for (int side = 0; side < 2; side++) {
          const int idx = (mb << 2) + half * 2 + side;
          const int32_t s = side ? wasm_i32x4_extract_lane(sad32, 2) + wasm_i32x4_extract_lane(sad32, 3)
                                 : wasm_i32x4_extract_lane(sad32, 0) + wasm_i32x4_extract_lane(sad32, 1);
          const int32_t d = side ? wasm_i32x4_extract_lane(sd32, 2) + wasm_i32x4_extract_lane(sd32, 3)
                                 : wasm_i32x4_extract_lane(sd32, 0) + wasm_i32x4_extract_lane(sd32, 1);
          uint8_t mx = 0;
          for (int l = 0; l < 8; l++) mx = m[side * 8 + l] > mx ? m[side * 8 + l] : mx;
          sad8x8[idx] = s;
          sd8x8[idx] = d;
          mad8x8[idx] = mx;
          total += s;
        }
      }
      mb++;
    }
  }
  *frame_sad = total;
}

}  // namespace WelsVP

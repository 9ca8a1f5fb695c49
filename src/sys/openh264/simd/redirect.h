/* framecast: force-included (clang -include) into every OpenH264 source of
 * the wasm32 build. It swaps OpenH264's hottest C kernels for the wasm SIMD128 versions
 * in kernels.cpp.
 *
 * How: each function-like macro renames the upstream *definition* (and
 * direct calls, which keep using the upstream C code) to framecast_c_*.
 * The function-pointer tables assign the bare name, with no parentheses, so
 * the macro leaves those alone, and they bind to the SIMD definition that
 * kernels.cpp exports under the original name. The declarations below keep
 * the original names visible.
 *
 * All of these kernels are exact integer arithmetic. tests/node/bitstream.test.mjs
 * checks that the wasm encoder's output stays byte-identical to the native C
 * build's output. */
#ifndef FRAMECAST_SIMD_REDIRECT_H
#define FRAMECAST_SIMD_REDIRECT_H
#ifdef __cplusplus
#include <stdint.h>

int32_t WelsSampleSad16x16_c(uint8_t *, int32_t, uint8_t *, int32_t);
int32_t WelsSampleSad8x8_c(uint8_t *, int32_t, uint8_t *, int32_t);
void WelsSampleSadFour16x16_c(uint8_t *, int32_t, uint8_t *, int32_t, int32_t *);
namespace WelsEnc {
int32_t WelsSampleSatd4x4_c(uint8_t *, int32_t, uint8_t *, int32_t);
int32_t WelsSampleSatd8x8_c(uint8_t *, int32_t, uint8_t *, int32_t);
int32_t WelsSampleSatd16x8_c(uint8_t *, int32_t, uint8_t *, int32_t);
int32_t WelsSampleSatd8x16_c(uint8_t *, int32_t, uint8_t *, int32_t);
int32_t WelsSampleSatd16x16_c(uint8_t *, int32_t, uint8_t *, int32_t);
}
namespace WelsVP {
void VAACalcSadBgd_c(const uint8_t *, const uint8_t *, int32_t, int32_t, int32_t, int32_t *, int32_t *, int32_t *, uint8_t *);
}

#define WelsSampleSad16x16_c(...) framecast_c_WelsSampleSad16x16_c(__VA_ARGS__)
#define WelsSampleSad8x8_c(...) framecast_c_WelsSampleSad8x8_c(__VA_ARGS__)
#define WelsSampleSadFour16x16_c(...) framecast_c_WelsSampleSadFour16x16_c(__VA_ARGS__)
#define WelsSampleSatd4x4_c(...) framecast_c_WelsSampleSatd4x4_c(__VA_ARGS__)
#define WelsSampleSatd8x8_c(...) framecast_c_WelsSampleSatd8x8_c(__VA_ARGS__)
#define WelsSampleSatd16x8_c(...) framecast_c_WelsSampleSatd16x8_c(__VA_ARGS__)
#define WelsSampleSatd8x16_c(...) framecast_c_WelsSampleSatd8x16_c(__VA_ARGS__)
#define WelsSampleSatd16x16_c(...) framecast_c_WelsSampleSatd16x16_c(__VA_ARGS__)
#define VAACalcSadBgd_c(...) framecast_c_VAACalcSadBgd_c(__VA_ARGS__)

#endif
#endif

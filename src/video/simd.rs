//! 128-bit SIMD versions of the resampler's passes (and of RGB to I420
//! conversion for [`super::color`]), written once over a
//! small vector layer with two implementations: x86_64 SSE2 (part of the
//! x86_64 baseline, so always present natively) and wasm SIMD128 (compiled
//! only when the crate is built with `-C target-feature=+simd128`). Other
//! targets use the portable kernels.
//!
//! They compute exactly the integers of the portable kernels in
//! [`super::kernels`]: products and pair sums are exact in `i32` (pixels
//! are at most 255, intermediates at most 32767 in magnitude, coefficients
//! below 2.0 = 32768), and narrowing saturates where the portable code
//! clamps. The tests below check this on every build that has SIMD, wasm
//! included (Rust 1.95/1.96 miscompile some wasm SIMD code,
//! rust-lang/rust#157456).
//!
//! - Horizontal, grey, eight rows at a time: the rows are transposed so
//!   that each source column is one vector of eight rows; an output column
//!   is then a sum over taps of column vectors times a coefficient, two taps
//!   per `pmaddwd`/`i32x4.dot_i16x8_s`; the output columns are transposed
//!   back into rows.
//! - Horizontal, RGBA: two taps per dot product, bytes regrouped as
//!   `r0 r1 g0 g1 b0 b1 a0 a1` against the coefficient pair.
//! - Vertical: 16 columns at a time, two rows per dot product (the rows'
//!   samples interleaved against the coefficient pair).
//! - RGB to YUV: eight pixels of two rows at a time, see [`rgb_rows`].

use super::kernels::{h_row_scalar, v_cols_scalar, GROUP, H_ROUND, H_SHIFT, V_ROUND, V_SHIFT};
use super::taps::Axis;

#[cfg(target_arch = "x86_64")]
#[allow(unused_unsafe)] // The value intrinsics are safe from Rust 1.87 on.
mod arch {
    use core::arch::x86_64::*;

    // SAFETY (whole module): SSE2 is enabled on every x86_64 target; loads
    // and stores touch exactly the bytes of the array they are given.
    pub type V = __m128i;

    #[inline(always)]
    pub fn zero() -> V {
        unsafe { _mm_setzero_si128() }
    }
    #[inline(always)]
    pub fn splat32(v: i32) -> V {
        unsafe { _mm_set1_epi32(v) }
    }
    #[inline(always)]
    pub fn load_u8x8(p: &[u8; 8]) -> V {
        unsafe { _mm_loadl_epi64(p.as_ptr() as *const V) }
    }
    #[inline(always)]
    pub fn load_i16x8(p: &[i16; 8]) -> V {
        unsafe { _mm_loadu_si128(p.as_ptr() as *const V) }
    }
    #[inline(always)]
    pub fn store_i16x8(v: V, p: &mut [i16; 8]) {
        unsafe { _mm_storeu_si128(p.as_mut_ptr() as *mut V, v) }
    }
    #[inline(always)]
    pub fn load_u8x16(p: &[u8; 16]) -> V {
        unsafe { _mm_loadu_si128(p.as_ptr() as *const V) }
    }
    #[inline(always)]
    pub fn store_u8x8(v: V, p: &mut [u8; 8]) {
        unsafe { _mm_storel_epi64(p.as_mut_ptr() as *mut V, v) }
    }
    #[inline(always)]
    pub fn store_u8x4(v: V, p: &mut [u8; 4]) {
        *p = unsafe { _mm_cvtsi128_si32(v) }.to_le_bytes();
    }
    #[inline(always)]
    pub fn add16(a: V, b: V) -> V {
        unsafe { _mm_add_epi16(a, b) }
    }
    /// Lanes 0 and 2 of `a`, then of `b`.
    #[inline(always)]
    pub fn even32(a: V, b: V) -> V {
        unsafe { _mm_castps_si128(_mm_shuffle_ps::<0b10_00_10_00>(_mm_castsi128_ps(a), _mm_castsi128_ps(b))) }
    }
    /// Lanes 1 and 3 of `a`, then of `b`.
    #[inline(always)]
    pub fn odd32(a: V, b: V) -> V {
        unsafe { _mm_castps_si128(_mm_shuffle_ps::<0b11_01_11_01>(_mm_castsi128_ps(a), _mm_castsi128_ps(b))) }
    }
    #[inline(always)]
    pub fn store_i16x4(v: V, p: &mut [i16; 4]) {
        unsafe { _mm_storel_epi64(p.as_mut_ptr() as *mut V, v) }
    }
    #[inline(always)]
    pub fn store_u8x16(v: V, p: &mut [u8; 16]) {
        unsafe { _mm_storeu_si128(p.as_mut_ptr() as *mut V, v) }
    }
    /// Low 8 bytes, zero-extended to 16 bits.
    #[inline(always)]
    pub fn widen_u8(v: V) -> V {
        unsafe { _mm_unpacklo_epi8(v, _mm_setzero_si128()) }
    }
    /// High 8 bytes, zero-extended to 16 bits.
    #[inline(always)]
    pub fn widen_hi_u8(v: V) -> V {
        unsafe { _mm_unpackhi_epi8(v, _mm_setzero_si128()) }
    }
    /// Pairwise `a[2i] * b[2i] + a[2i+1] * b[2i+1]` as four i32.
    #[inline(always)]
    pub fn madd(a: V, b: V) -> V {
        unsafe { _mm_madd_epi16(a, b) }
    }
    #[inline(always)]
    pub fn add32(a: V, b: V) -> V {
        unsafe { _mm_add_epi32(a, b) }
    }
    /// Arithmetic right shift of each i32.
    #[inline(always)]
    pub fn sra32(v: V, n: u32) -> V {
        unsafe { _mm_sra_epi32(v, _mm_cvtsi32_si128(n as i32)) }
    }
    /// Each 64-bit lane shifted right by 32 bits.
    #[inline(always)]
    pub fn srl64_32(v: V) -> V {
        unsafe { _mm_srli_epi64::<32>(v) }
    }
    /// i32 to i16, saturating: `a` then `b`.
    #[inline(always)]
    pub fn narrow32(a: V, b: V) -> V {
        unsafe { _mm_packs_epi32(a, b) }
    }
    /// i16 to u8, saturating: `a` then `b`.
    #[inline(always)]
    pub fn narrow16u(a: V, b: V) -> V {
        unsafe { _mm_packus_epi16(a, b) }
    }
    #[inline(always)]
    pub fn zip_lo8(a: V, b: V) -> V {
        unsafe { _mm_unpacklo_epi8(a, b) }
    }
    #[inline(always)]
    pub fn zip_lo16(a: V, b: V) -> V {
        unsafe { _mm_unpacklo_epi16(a, b) }
    }
    #[inline(always)]
    pub fn zip_hi16(a: V, b: V) -> V {
        unsafe { _mm_unpackhi_epi16(a, b) }
    }
    #[inline(always)]
    pub fn zip_lo32(a: V, b: V) -> V {
        unsafe { _mm_unpacklo_epi32(a, b) }
    }
    #[inline(always)]
    pub fn zip_hi32(a: V, b: V) -> V {
        unsafe { _mm_unpackhi_epi32(a, b) }
    }
    #[inline(always)]
    pub fn zip_lo64(a: V, b: V) -> V {
        unsafe { _mm_unpacklo_epi64(a, b) }
    }
    #[inline(always)]
    pub fn zip_hi64(a: V, b: V) -> V {
        unsafe { _mm_unpackhi_epi64(a, b) }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod arch {
    use core::arch::wasm32::*;

    // SAFETY (loads and stores): they touch exactly the bytes of the array
    // they are given; wasm memory accesses may be unaligned.
    pub type V = v128;

    #[inline(always)]
    pub fn zero() -> V {
        i32x4_splat(0)
    }
    #[inline(always)]
    pub fn splat32(v: i32) -> V {
        i32x4_splat(v)
    }
    #[inline(always)]
    pub fn load_u8x8(p: &[u8; 8]) -> V {
        unsafe { v128_load64_zero(p.as_ptr() as *const u64) }
    }
    #[inline(always)]
    pub fn load_i16x8(p: &[i16; 8]) -> V {
        unsafe { v128_load(p.as_ptr() as *const V) }
    }
    #[inline(always)]
    pub fn store_i16x8(v: V, p: &mut [i16; 8]) {
        unsafe { v128_store(p.as_mut_ptr() as *mut V, v) }
    }
    #[inline(always)]
    pub fn load_u8x16(p: &[u8; 16]) -> V {
        unsafe { v128_load(p.as_ptr() as *const V) }
    }
    #[inline(always)]
    pub fn store_u8x8(v: V, p: &mut [u8; 8]) {
        unsafe { v128_store64_lane::<0>(v, p.as_mut_ptr() as *mut u64) }
    }
    #[inline(always)]
    pub fn store_u8x4(v: V, p: &mut [u8; 4]) {
        unsafe { v128_store32_lane::<0>(v, p.as_mut_ptr() as *mut u32) }
    }
    #[inline(always)]
    pub fn add16(a: V, b: V) -> V {
        i16x8_add(a, b)
    }
    #[inline(always)]
    pub fn even32(a: V, b: V) -> V {
        i32x4_shuffle::<0, 2, 4, 6>(a, b)
    }
    #[inline(always)]
    pub fn odd32(a: V, b: V) -> V {
        i32x4_shuffle::<1, 3, 5, 7>(a, b)
    }
    #[inline(always)]
    pub fn store_i16x4(v: V, p: &mut [i16; 4]) {
        unsafe { v128_store64_lane::<0>(v, p.as_mut_ptr() as *mut u64) }
    }
    #[inline(always)]
    pub fn store_u8x16(v: V, p: &mut [u8; 16]) {
        unsafe { v128_store(p.as_mut_ptr() as *mut V, v) }
    }
    #[inline(always)]
    pub fn widen_u8(v: V) -> V {
        u16x8_extend_low_u8x16(v)
    }
    #[inline(always)]
    pub fn widen_hi_u8(v: V) -> V {
        u16x8_extend_high_u8x16(v)
    }
    #[inline(always)]
    pub fn madd(a: V, b: V) -> V {
        i32x4_dot_i16x8(a, b)
    }
    #[inline(always)]
    pub fn add32(a: V, b: V) -> V {
        i32x4_add(a, b)
    }
    #[inline(always)]
    pub fn sra32(v: V, n: u32) -> V {
        i32x4_shr(v, n)
    }
    #[inline(always)]
    pub fn srl64_32(v: V) -> V {
        u64x2_shr(v, 32)
    }
    #[inline(always)]
    pub fn narrow32(a: V, b: V) -> V {
        i16x8_narrow_i32x4(a, b)
    }
    #[inline(always)]
    pub fn narrow16u(a: V, b: V) -> V {
        u8x16_narrow_i16x8(a, b)
    }
    #[inline(always)]
    pub fn zip_lo8(a: V, b: V) -> V {
        i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(a, b)
    }
    #[inline(always)]
    pub fn zip_lo16(a: V, b: V) -> V {
        i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(a, b)
    }
    #[inline(always)]
    pub fn zip_hi16(a: V, b: V) -> V {
        i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(a, b)
    }
    #[inline(always)]
    pub fn zip_lo32(a: V, b: V) -> V {
        i32x4_shuffle::<0, 4, 1, 5>(a, b)
    }
    #[inline(always)]
    pub fn zip_hi32(a: V, b: V) -> V {
        i32x4_shuffle::<2, 6, 3, 7>(a, b)
    }
    #[inline(always)]
    pub fn zip_lo64(a: V, b: V) -> V {
        i64x2_shuffle::<0, 2>(a, b)
    }
    #[inline(always)]
    pub fn zip_hi64(a: V, b: V) -> V {
        i64x2_shuffle::<1, 3>(a, b)
    }
}

use arch::*;

/// A coefficient pair `(c0, c1)` repeated over the vector, for [`madd`]
/// against `x0 x1 x0 x1 ...`.
#[inline(always)]
fn splat_pair(c0: i16, c1: i16) -> V {
    splat32((c0 as u16 as u32 | (c1 as u16 as u32) << 16) as i32)
}

/// Rounds, shifts and saturates four horizontal sums into `out`.
#[inline(always)]
fn store_h4(sums: V, out: &mut [i16; 4]) {
    let v = sra32(add32(sums, splat32(H_ROUND)), H_SHIFT);
    store_i16x4(narrow32(v, v), out);
}

fn load8(p: &[i16]) -> V {
    load_i16x8(p.try_into().unwrap_or(&[0; 8]))
}

fn store8(v: V, p: &mut [i16]) {
    store_i16x8(v, p.try_into().unwrap_or(&mut [0; 8]));
}

/// Grey horizontal pass of [`GROUP`] rows (`h_group::<1>`). `scratch`
/// holds `GROUP * (src + dst)` values: the transposed source, then the
/// transposed output.
pub(crate) fn h_group_gray(rows: &[&[u8]; GROUP], axis: &Axis, out: &mut [i16], scratch: &mut [i16]) {
    let (src, dst) = (rows[0].len(), axis.start.len());
    let (cols, tout) = scratch.split_at_mut(GROUP * src);
    let tout = &mut tout[..GROUP * dst];
    transpose_in(rows, cols);
    match axis.taps {
        2 => h_cols::<2>(cols, axis, tout),
        4 => h_cols::<4>(cols, axis, tout),
        6 => h_cols::<6>(cols, axis, tout),
        8 => h_cols::<8>(cols, axis, tout),
        10 => h_cols::<10>(cols, axis, tout),
        12 => h_cols::<12>(cols, axis, tout),
        16 => h_cols::<16>(cols, axis, tout),
        n if n % 2 == 0 => h_cols_n(cols, axis, tout, n),
        _ => {
            // Odd windows only occur for sources narrower than the kernel.
            for (j, row) in rows.iter().enumerate() {
                h_row_scalar::<1>(row, axis, &mut out[j * dst..(j + 1) * dst]);
            }
            return;
        }
    }
    transpose_out(tout, out, dst);
}

/// `cols[x * 8 + j] = rows[j][x]`, widened to `i16`.
fn transpose_in(rows: &[&[u8]; GROUP], cols: &mut [i16]) {
    let w = rows[0].len();
    let mut x = 0;
    while x + 8 <= w {
        let r: [V; 8] = core::array::from_fn(|j| load_u8x8(rows[j][x..x + 8].try_into().unwrap_or(&[0; 8])));
        // Byte pairs of rows (0,1), (2,3), ...; then groups of four rows;
        // then all eight: each 64-bit half is one column.
        let (t0, t1, t2, t3) = (zip_lo8(r[0], r[1]), zip_lo8(r[2], r[3]), zip_lo8(r[4], r[5]), zip_lo8(r[6], r[7]));
        let (u0, u1, u2, u3) = (zip_lo16(t0, t1), zip_hi16(t0, t1), zip_lo16(t2, t3), zip_hi16(t2, t3));
        let v = [zip_lo32(u0, u2), zip_hi32(u0, u2), zip_lo32(u1, u3), zip_hi32(u1, u3)];
        for (pair, out) in v.iter().zip(cols[x * 8..x * 8 + 64].chunks_exact_mut(16)) {
            let (a, b) = out.split_at_mut(8);
            store8(widen_u8(*pair), a);
            store8(widen_hi_u8(*pair), b);
        }
        x += 8;
    }
    for x in x..w {
        for (j, row) in rows.iter().enumerate() {
            cols[x * 8 + j] = i16::from(row[x]);
        }
    }
}

/// [`h_cols_n`] with the window length known at compile time.
fn h_cols<const N: usize>(cols: &[i16], axis: &Axis, tout: &mut [i16]) {
    h_cols_n(cols, axis, tout, N)
}

/// Output column `i` of all eight rows: `sum_k cols[start + k] * coef[k]`
/// over an even number `n` of taps.
#[inline(always)]
fn h_cols_n(cols: &[i16], axis: &Axis, tout: &mut [i16], n: usize) {
    for ((o, &s), c) in tout.chunks_exact_mut(8).zip(&axis.start).zip(axis.coefs.chunks_exact(n)) {
        let s = s as usize * 8;
        let window = &cols[s..s + n * 8];
        let (mut lo, mut hi) = (splat32(H_ROUND), splat32(H_ROUND));
        for k in (0..n).step_by(2) {
            let (a, b) = (load8(&window[k * 8..k * 8 + 8]), load8(&window[k * 8 + 8..k * 8 + 16]));
            let pair = splat_pair(c[k], c[k + 1]);
            lo = add32(lo, madd(zip_lo16(a, b), pair));
            hi = add32(hi, madd(zip_hi16(a, b), pair));
        }
        store8(narrow32(sra32(lo, H_SHIFT), sra32(hi, H_SHIFT)), o);
    }
}

/// `out[j * w + x] = tout[x * 8 + j]` for the eight rows `j`.
fn transpose_out(tout: &[i16], out: &mut [i16], w: usize) {
    let mut x = 0;
    while x + 8 <= w {
        let o: [V; 8] = core::array::from_fn(|i| load8(&tout[(x + i) * 8..(x + i) * 8 + 8]));
        let a: [V; 8] =
            core::array::from_fn(|i| if i % 2 == 0 { zip_lo16(o[i], o[i + 1]) } else { zip_hi16(o[i - 1], o[i]) });
        // a[0], a[2]: rows 0-3 of columns 0-1 and 2-3; a[1], a[3]: rows 4-7.
        let b = [zip_lo32(a[0], a[2]), zip_hi32(a[0], a[2]), zip_lo32(a[1], a[3]), zip_hi32(a[1], a[3])];
        let c = [zip_lo32(a[4], a[6]), zip_hi32(a[4], a[6]), zip_lo32(a[5], a[7]), zip_hi32(a[5], a[7])];
        // b[i], c[i]: rows 2i and 2i+1, columns 0-3 and 4-7.
        for i in 0..4 {
            store8(zip_lo64(b[i], c[i]), &mut out[2 * i * w + x..2 * i * w + x + 8]);
            store8(zip_hi64(b[i], c[i]), &mut out[(2 * i + 1) * w + x..(2 * i + 1) * w + x + 8]);
        }
        x += 8;
    }
    for x in x..w {
        for j in 0..GROUP {
            out[j * w + x] = tout[x * 8 + j];
        }
    }
}

/// RGBA horizontal pass (`h_row::<4>`).
pub(crate) fn h_row_rgba(src: &[u8], axis: &Axis, out: &mut [i16]) {
    let n = axis.taps;
    if n % 2 != 0 {
        return h_row_scalar::<4>(src, axis, out);
    }
    for ((o, &s), coefs) in out.chunks_exact_mut(4).zip(&axis.start).zip(axis.coefs.chunks_exact(n)) {
        let s = s as usize * 4;
        let mut acc = zero();
        for (p, c) in src[s..s + n * 4].chunks_exact(8).zip(coefs.chunks_exact(2)) {
            let p = load_u8x8(p.try_into().unwrap_or(&[0; 8]));
            // r0 g0 b0 a0 r1 g1 b1 a1 -> r0 r1 g0 g1 b0 b1 a0 a1
            let p = widen_u8(zip_lo8(p, srl64_32(p)));
            acc = add32(acc, madd(p, splat_pair(c[0], c[1])));
        }
        store_h4(acc, o.try_into().unwrap_or(&mut [0; 4]));
    }
}

/// Vertical pass (`v_row`): 16 columns at a time, the rest portable.
pub(crate) fn v_row(ring: &[i16], rows: &[usize], coefs: &[i16], out: &mut [u8]) {
    let width = out.len();
    let halves = |k: usize, x: usize| {
        let r = rows[k] + x;
        (load8(&ring[r..r + 8]), load8(&ring[r + 8..r + 16]))
    };
    let n = rows.len().min(coefs.len());
    let mut x = 0;
    while x + 16 <= width {
        let mut acc = [splat32(V_ROUND); 4];
        for k in (0..n).step_by(2) {
            let (a0, a1) = halves(k, x);
            let (b0, b1, c) = if k + 1 < n {
                let (b0, b1) = halves(k + 1, x);
                (b0, b1, splat_pair(coefs[k], coefs[k + 1]))
            } else {
                (zero(), zero(), splat_pair(coefs[k], 0))
            };
            acc[0] = add32(acc[0], madd(zip_lo16(a0, b0), c));
            acc[1] = add32(acc[1], madd(zip_hi16(a0, b0), c));
            acc[2] = add32(acc[2], madd(zip_lo16(a1, b1), c));
            acc[3] = add32(acc[3], madd(zip_hi16(a1, b1), c));
        }
        let [a0, a1, a2, a3] = acc.map(|a| sra32(a, V_SHIFT));
        let bytes = narrow16u(narrow32(a0, a1), narrow32(a2, a3));
        store_u8x16(bytes, (&mut out[x..x + 16]).try_into().unwrap_or(&mut [0; 16]));
        x += 16;
    }
    v_cols_scalar(ring, rows, coefs, out, x);
}

/// Fixed-point RGB to YUV coefficients for [`rgb_rows`], in the byte order
/// of a pixel (alpha's weight 0): `Y = (y . px + half) >> shift +
/// y_offset`, `U = (u . sum4 + 4 half) >> (shift + 2) + 128` over the sum
/// of a 2x2 block, V likewise, each clamped to 0..=255. Every coefficient
/// fits an `i16` and every product an `i32`.
pub(crate) struct RgbCoefs {
    pub y: [i16; 4],
    pub u: [i16; 4],
    pub v: [i16; 4],
    pub shift: u32,
    pub y_offset: i32,
}

/// Converts the first `w - w % 8` pixels of a pair of 4-byte-per-pixel
/// rows (`top`, `bottom`: `w * 4` bytes) to Y (`y_top`, `y_bottom`: `w`
/// bytes) and U, V (`w / 2` bytes); returns how many pixels it did. Eight
/// pixels per step: each pixel's weighted channels summed by a dot product
/// and its neighbour's; 2x2 sums in 16 bits (at most 1020) for chroma.
pub(crate) fn rgb_rows(
    k: &RgbCoefs,
    top: &[u8],
    bottom: &[u8],
    y_top: &mut [u8],
    y_bottom: &mut [u8],
    u: &mut [u8],
    v: &mut [u8],
) -> usize {
    let twice = |c: &[i16; 4]| load_i16x8(&[c[0], c[1], c[2], c[3], c[0], c[1], c[2], c[3]]);
    let (ky, ku, kv) = (twice(&k.y), twice(&k.u), twice(&k.v));
    let half = 1i32 << (k.shift - 1);
    let (y_add, c_add) = (splat32(half), splat32(4 * half));
    let (y_off, c_off) = (splat32(k.y_offset), splat32(128));
    let load = |row: &[u8], at: usize| load_u8x16(row[at..at + 16].try_into().unwrap_or(&[0; 16]));
    let luma = |v: V| add32(sra32(add32(v, y_add), k.shift), y_off);
    let w = y_top.len().min(y_bottom.len()).min(top.len() / 4).min(bottom.len() / 4);
    let mut x = 0;
    while x + 8 <= w && x / 2 + 4 <= u.len().min(v.len()) {
        let (t0, t1, b0, b1) = (load(top, x * 4), load(top, x * 4 + 16), load(bottom, x * 4), load(bottom, x * 4 + 16));
        for (p0, p1, out) in [(t0, t1, &mut *y_top), (b0, b1, &mut *y_bottom)] {
            let d =
                [madd(widen_u8(p0), ky), madd(widen_hi_u8(p0), ky), madd(widen_u8(p1), ky), madd(widen_hi_u8(p1), ky)];
            let lo = add32(even32(d[0], d[1]), odd32(d[0], d[1]));
            let hi = add32(even32(d[2], d[3]), odd32(d[2], d[3]));
            store_u8x8(
                narrow16u(narrow32(luma(lo), luma(hi)), zero()),
                (&mut out[x..x + 8]).try_into().unwrap_or(&mut [0; 8]),
            );
        }
        // Vertical pair sums of pixels 0-1, 2-3, 4-5, 6-7; then the
        // horizontal neighbours: blocks 0-1 and 2-3, four channels each.
        let s = [
            add16(widen_u8(t0), widen_u8(b0)),
            add16(widen_hi_u8(t0), widen_hi_u8(b0)),
            add16(widen_u8(t1), widen_u8(b1)),
            add16(widen_hi_u8(t1), widen_hi_u8(b1)),
        ];
        let q01 = add16(zip_lo64(s[0], s[1]), zip_hi64(s[0], s[1]));
        let q23 = add16(zip_lo64(s[2], s[3]), zip_hi64(s[2], s[3]));
        for (kc, out) in [(ku, &mut *u), (kv, &mut *v)] {
            let (a, b) = (madd(q01, kc), madd(q23, kc));
            let sums = add32(even32(a, b), odd32(a, b));
            let c = add32(sra32(add32(sums, c_add), k.shift + 2), c_off);
            store_u8x4(
                narrow16u(narrow32(c, c), zero()),
                (&mut out[x / 2..x / 2 + 4]).try_into().unwrap_or(&mut [0; 4]),
            );
        }
        x += 8;
    }
    x
}

#[cfg(test)]
mod tests {
    //! SIMD against portable, bit for bit. Runs natively (SSE2) and in wasm
    //! built with `+simd128` (`wasm-bindgen-test`).

    use super::super::scale::Filter;
    use super::*;

    /// Deterministic noise with full-range extremes, the worst case for
    /// overshoot and saturation.
    fn noise(n: usize, seed: u32) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                match x % 4 {
                    0 => 0,
                    1 => 255,
                    _ => (x >> 8) as u8,
                }
            })
            .collect()
    }

    const SIZES: [(usize, usize); 12] = [
        (1920, 1280),
        (960, 640),
        (640, 1280),
        (1920, 854),
        (37, 5),
        (5, 37),
        (3, 2),
        (2, 9),
        (8, 8),
        (400, 61),
        (16, 3),
        (9, 100),
    ];

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn horizontal_passes_match_portable() {
        let mut scratch = Vec::new();
        for (seed, &(src, dst)) in SIZES.iter().enumerate() {
            for filter in [Filter::Lanczos3, Filter::Bilinear] {
                let axis = Axis::new(src, dst, filter);
                let data = noise(src * 4 * GROUP, seed as u32);
                let rows: [&[u8]; GROUP] = core::array::from_fn(|j| &data[j * src..(j + 1) * src]);
                let (mut a, mut b) = (vec![0i16; dst * GROUP], vec![1i16; dst * GROUP]);
                for (row, out) in rows.iter().zip(a.chunks_exact_mut(dst)) {
                    h_row_scalar::<1>(row, &axis, out);
                }
                scratch.resize(GROUP * (src + dst), 0);
                h_group_gray(&rows, &axis, &mut b, &mut scratch);
                assert_eq!(a, b, "grey {src}->{dst} {filter:?}");
                let row = &data[..src * 4];
                let (mut a, mut b) = (vec![0i16; dst * 4], vec![1i16; dst * 4]);
                h_row_scalar::<4>(row, &axis, &mut a);
                h_row_rgba(row, &axis, &mut b);
                assert_eq!(a, b, "rgba {src}->{dst} {filter:?}");
            }
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn vertical_pass_matches_portable() {
        for width in [1, 15, 16, 17, 47, 640, 1283] {
            for taps in 1..=13 {
                // Intermediate rows over the whole i16 range; coefficients
                // of either sign with |sum| below 2.0, as in real tables.
                let ring: Vec<i16> = noise(width * taps * 2, (width * taps) as u32)
                    .chunks_exact(2)
                    .map(|p| i16::from_le_bytes([p[0], p[1]]))
                    .collect();
                let coefs: Vec<i16> = noise(taps, taps as u32)
                    .iter()
                    .map(|&c| ((i32::from(c) - 128) * 255 / taps as i32) as i16)
                    .collect();
                let rows: Vec<usize> = (0..taps).map(|k| (k + 3) % taps * width).collect();
                let (mut a, mut b) = (vec![0u8; width], vec![1u8; width]);
                v_cols_scalar(&ring, &rows, &coefs, &mut a, 0);
                v_row(&ring, &rows, &coefs, &mut b);
                assert_eq!(a, b, "width {width} taps {taps}");
            }
        }
    }
}

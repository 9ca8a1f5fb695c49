//! The two passes of the separable resampler, in portable Rust, and the
//! dispatch to the SIMD versions.
//!
//! Horizontal: 8-bit samples times 14-bit coefficients, summed in `i32`,
//! rounded to an `i16` intermediate with [`INTER_BITS`] fractional bits
//! (clamped to the `i16` range, which no real input reaches: Lanczos3
//! overshoots by at most about 30%). Vertical: intermediate times 14-bit
//! coefficients, summed in `i32` (below 32767 * 2.0 * 16384 < 2^31, each
//! table row's sum of |coefficient| being below 2.0), rounded half up and
//! clamped to 0..=255.
//!
//! The SIMD kernels in `super::simd` (x86_64 SSE2, wasm SIMD128) compute
//! exactly the same integers; these are the reference and the fallback.

use super::taps::{Axis, COEF_BITS};

/// Fractional bits of the intermediate (horizontally filtered) samples.
pub(crate) const INTER_BITS: u32 = 6;
/// Right shift and rounding term of the horizontal pass.
pub(crate) const H_SHIFT: u32 = COEF_BITS - INTER_BITS;
pub(crate) const H_ROUND: i32 = 1 << (H_SHIFT - 1);
/// Right shift and rounding term of the vertical pass.
pub(crate) const V_SHIFT: u32 = COEF_BITS + INTER_BITS;
pub(crate) const V_ROUND: i32 = 1 << (V_SHIFT - 1);

/// Rows filtered horizontally together (the SIMD grey kernel works on
/// eight rows at once).
pub(crate) const GROUP: usize = 8;

/// Whether this build has the SIMD kernels.
pub(crate) const HAS_SIMD: bool =
    cfg!(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")));

#[inline(always)]
pub(crate) fn h_out(acc: i32) -> i16 {
    ((acc + H_ROUND) >> H_SHIFT).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

#[inline(always)]
pub(crate) fn v_out(acc: i32) -> u8 {
    ((acc + V_ROUND) >> V_SHIFT).clamp(0, 255) as u8
}

/// Scratch space [`h_group`] needs for a `src`-wide crop scaled to `dst`
/// samples of `channels` channels, in `i16`s.
pub(crate) fn scratch_len(src: usize, dst: usize, channels: usize) -> usize {
    if HAS_SIMD && channels == 1 {
        GROUP * (src + dst)
    } else {
        0
    }
}

/// Horizontal pass of a group of rows with `C` interleaved channels:
/// `rows[..valid]` are the source rows from the crop's left edge (the rest
/// repeat the last one), `out` holds [`GROUP`] output rows of
/// `axis.start.len() * C` values; rows past `valid` may be written too.
pub(crate) fn h_group<const C: usize>(
    rows: &[&[u8]; GROUP],
    valid: usize,
    axis: &Axis,
    out: &mut [i16],
    scratch: &mut [i16],
) {
    let width = axis.start.len() * C;
    #[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        if C == 1 {
            return super::simd::h_group_gray(rows, axis, out, scratch);
        }
    }
    let _ = scratch;
    for (row, out) in rows[..valid].iter().zip(out.chunks_exact_mut(width)) {
        h_row::<C>(row, axis, out);
    }
}

/// Horizontal pass of one row (see [`h_group`]).
fn h_row<const C: usize>(src: &[u8], axis: &Axis, out: &mut [i16]) {
    #[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        if C == 4 {
            return super::simd::h_row_rgba(src, axis, out);
        }
    }
    h_row_scalar::<C>(src, axis, out)
}

/// Portable horizontal pass of one row.
pub(crate) fn h_row_scalar<const C: usize>(src: &[u8], axis: &Axis, out: &mut [i16]) {
    if C == 1 {
        match axis.taps {
            1 => h_gray::<1>(src, axis, out),
            2 => h_gray::<2>(src, axis, out),
            4 => h_gray::<4>(src, axis, out),
            6 => h_gray::<6>(src, axis, out),
            8 => h_gray::<8>(src, axis, out),
            10 => h_gray::<10>(src, axis, out),
            12 => h_gray::<12>(src, axis, out),
            16 => h_gray::<16>(src, axis, out),
            _ => h_any::<1>(src, axis, out),
        }
    } else {
        h_any::<C>(src, axis, out)
    }
}

/// One channel, `N` taps known at compile time (fully unrolled).
fn h_gray<const N: usize>(src: &[u8], axis: &Axis, out: &mut [i16]) {
    for ((o, &s), c) in out.iter_mut().zip(&axis.start).zip(axis.coefs.chunks_exact(N)) {
        let s = s as usize;
        let window = &src[s..s + N];
        let mut acc = 0i32;
        for k in 0..N {
            acc += i32::from(window[k]) * i32::from(c[k]);
        }
        *o = h_out(acc);
    }
}

/// Any channel count and window length.
fn h_any<const C: usize>(src: &[u8], axis: &Axis, out: &mut [i16]) {
    let n = axis.taps;
    for ((o, &s), c) in out.chunks_exact_mut(C).zip(&axis.start).zip(axis.coefs.chunks_exact(n)) {
        let s = s as usize * C;
        let window = &src[s..s + n * C];
        let mut acc = [0i32; C];
        for (px, &k) in window.chunks_exact(C).zip(c) {
            for ch in 0..C {
                acc[ch] += i32::from(px[ch]) * i32::from(k);
            }
        }
        for ch in 0..C {
            o[ch] = h_out(acc[ch]);
        }
    }
}

/// Vertical pass: one output row from intermediate rows, row `k` being
/// `ring[rows[k]..][..out.len()]`, weighted by `coefs[k]`.
pub(crate) fn v_row(ring: &[i16], rows: &[usize], coefs: &[i16], out: &mut [u8]) {
    #[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        return super::simd::v_row(ring, rows, coefs, out);
    }
    #[allow(unreachable_code)] // Reached only on targets without a SIMD path (cfg above).
    v_cols_scalar(ring, rows, coefs, out, 0)
}

/// Portable vertical pass of columns `from..out.len()` (see [`v_row`]).
pub(crate) fn v_cols_scalar(ring: &[i16], rows: &[usize], coefs: &[i16], out: &mut [u8], from: usize) {
    // Blocks of columns keep the accumulators in registers.
    const BLOCK: usize = 64;
    let width = out.len();
    let mut x0 = from;
    while x0 < width {
        let len = BLOCK.min(width - x0);
        let mut acc = [0i32; BLOCK];
        for (&r, &c) in rows.iter().zip(coefs) {
            let row = &ring[r + x0..][..len];
            let c = i32::from(c);
            for (a, &p) in acc[..len].iter_mut().zip(row) {
                *a += i32::from(p) * c;
            }
        }
        for (o, &a) in out[x0..x0 + len].iter_mut().zip(&acc[..len]) {
            *o = v_out(a);
        }
        x0 += len;
    }
}

//! Pixel format conversion to I420 (packed RGBA/BGRA and NV12) and back
//! from I420 to packed RGB ([`i420_to_rgb`], for still images).
//!
//! RGB is converted with the BT.601 or BT.709 matrix to limited range (Y
//! 16–235, U/V 16–240) or full range (0–255), chosen with [`ColorSpace`].
//! The default, BT.601 limited, is what H.264 decoders assume when the
//! stream carries no colour description; a stream in another colour space
//! must say so in its VUI (see [`ColorSpace::matrix_coefficients`]).
//! Chroma is converted from the average of each 2x2 block (centred siting).
//! Integer arithmetic, rounded: BT.601 limited with 8 fractional bits (the
//! coefficients of earlier versions, bit for bit), the others with 15. On
//! x86_64 and on wasm built with SIMD128 the bulk of each row pair goes
//! through a SIMD kernel with the same integer results.

use crate::frame::{FrameError, I420Planes};

/// Byte order of a packed 4-byte-per-pixel RGB picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RgbOrder {
    /// R, G, B, A (or X) in memory: WebCodecs `RGBA`/`RGBX`, canvas `ImageData`.
    Rgba,
    /// B, G, R, A (or X) in memory: WebCodecs `BGRA`/`BGRX`.
    Bgra,
}

fn check(
    width: u32,
    height: u32,
    len: usize,
    stride: usize,
    min_stride: usize,
    rows: usize,
    plane: &'static str,
) -> Result<(), FrameError> {
    if width == 0 || height == 0 || width % 2 != 0 || height % 2 != 0 {
        return Err(FrameError::BadSize { width, height });
    }
    if stride < min_stride {
        return Err(FrameError::BadStride { plane, stride, min: min_stride });
    }
    let needed = stride.saturating_mul(rows - 1).saturating_add(min_stride);
    if len < needed {
        return Err(FrameError::ShortPlane { plane, len, needed });
    }
    Ok(())
}

/// YCbCr matrix (the luma weights of R, G and B). JSON and JS name it in
/// lowercase: `"bt601"`, `"bt709"`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Matrix {
    /// ITU-R BT.601 (Kr 0.299, Kb 0.114): SD video, JPEG. The default.
    #[default]
    Bt601,
    /// ITU-R BT.709 (Kr 0.2126, Kb 0.0722): HD video.
    Bt709,
}

/// Code value range of the Y, U and V samples. JSON and JS: `"limited"`,
/// `"full"`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Range {
    /// "TV" range: Y 16–235, U/V 16–240. The default.
    #[default]
    Limited,
    /// "PC"/JPEG range: 0–255 (U/V centred on 128, clipped at 255).
    Full,
}

/// The colour space RGB is converted into. Default: BT.601, limited range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColorSpace {
    /// The YCbCr matrix (luma weights). Default: BT.601.
    pub matrix: Matrix,
    /// The code value range of Y, U and V. Default: limited (TV).
    pub range: Range,
}

impl ColorSpace {
    /// H.264/H.265 VUI `matrix_coefficients` for this matrix (ISO/IEC
    /// 23091-2): 6 for BT.601 (SMPTE 170M), 1 for BT.709.
    pub fn matrix_coefficients(self) -> u8 {
        match self.matrix {
            Matrix::Bt601 => 6,
            Matrix::Bt709 => 1,
        }
    }

    /// H.264/H.265 VUI `video_full_range_flag`.
    pub fn full_range(self) -> bool {
        self.range == Range::Full
    }

    /// Luma weights `(Kr, Kb)` of the matrix (`Kg = 1 - Kr - Kb`).
    pub fn luma_weights(self) -> (f64, f64) {
        match self.matrix {
            Matrix::Bt601 => (0.299, 0.114),
            Matrix::Bt709 => (0.2126, 0.0722),
        }
    }

    /// Black in this range: `(Y, U, V)`, (16, 128, 128) limited or
    /// (0, 128, 128) full.
    pub fn black(self) -> (u8, u8, u8) {
        match self.range {
            Range::Limited => (16, 128, 128),
            Range::Full => (0, 128, 128),
        }
    }

    fn coefs(self) -> &'static Coefs {
        match (self.matrix, self.range) {
            (Matrix::Bt601, Range::Limited) => &BT601_LIMITED,
            (Matrix::Bt601, Range::Full) => &BT601_FULL,
            (Matrix::Bt709, Range::Limited) => &BT709_LIMITED,
            (Matrix::Bt709, Range::Full) => &BT709_FULL,
        }
    }
}

/// Fixed-point RGB to YUV: `Y = (y . rgb + half) >> shift + y_offset`,
/// `U = (u . rgb4 + 4 half) >> (shift + 2) + 128` with `rgb4` the sum of a
/// 2x2 block, V likewise; clamped to 0..=255.
struct Coefs {
    shift: u32,
    y: [i32; 3],
    u: [i32; 3],
    v: [i32; 3],
    y_offset: i32,
}

/// The 8-bit coefficients earlier versions used, kept bit for bit.
const BT601_LIMITED: Coefs = Coefs { shift: 8, y: [66, 129, 25], u: [-38, -74, 112], v: [112, -94, -18], y_offset: 16 };
const BT601_FULL: Coefs = coefs(0.299, 0.114, Range::Full);
const BT709_LIMITED: Coefs = coefs(0.2126, 0.0722, Range::Limited);
const BT709_FULL: Coefs = coefs(0.2126, 0.0722, Range::Full);

/// `x` rounded to the nearest integer, halves away from zero.
const fn round(x: f64) -> i32 {
    if x >= 0.0 {
        (x + 0.5) as i32
    } else {
        -((-x + 0.5) as i32)
    }
}

/// 15-bit coefficients for luma weights `kr`, `kb` (each fits an `i16`).
/// The middle weight of each row absorbs the rounding, so that white is
/// exactly white and greys have exactly neutral chroma.
const fn coefs(kr: f64, kb: f64, range: Range) -> Coefs {
    let one = 32768.0;
    // Scale of Y and of U/V per unit of (R, G, B) / 255.
    let (ys, cs, y_offset) = match range {
        Range::Limited => (219.0 / 255.0, 224.0 / 255.0, 16),
        Range::Full => (1.0, 1.0, 0),
    };
    let (yr, yb) = (round(kr * ys * one), round(kb * ys * one));
    let y = [yr, round(ys * one) - yr - yb, yb];
    // U = (B - Y) / (2 (1 - kb)), V = (R - Y) / (2 (1 - kr)).
    let (ur, ub) = (round(-kr / (2.0 * (1.0 - kb)) * cs * one), round(0.5 * cs * one));
    let (vr, vb) = (round(0.5 * cs * one), round(-kb / (2.0 * (1.0 - kr)) * cs * one));
    Coefs { shift: 15, y, u: [ur, -ur - ub, ub], v: [vr, -vr - vb, vb], y_offset }
}

/// Converts packed RGB (4 bytes per pixel, alpha ignored) with `stride`
/// bytes per row into tightly packed I420 in `out` (resized to fit), in
/// BT.601 limited range.
pub fn rgb_to_i420(
    src: &[u8],
    width: u32,
    height: u32,
    stride: usize,
    order: RgbOrder,
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    rgb_to_i420_in(src, width, height, stride, order, ColorSpace::default(), out)
}

/// [`rgb_to_i420`] into the colour space `space`.
pub fn rgb_to_i420_in(
    src: &[u8],
    width: u32,
    height: u32,
    stride: usize,
    order: RgbOrder,
    space: ColorSpace,
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    let (w, h) = (width as usize, height as usize);
    check(width, height, src.len(), stride, w * 4, h, "RGB")?;
    out.resize(w * h * 3 / 2, 0);
    let c = space.coefs();
    match order {
        RgbOrder::Rgba => convert::<0, 2>(src, w, h, stride, c, out),
        RgbOrder::Bgra => convert::<2, 0>(src, w, h, stride, c, out),
    }
    Ok(())
}

/// One pass over pairs of rows: four Y samples and one U, V per 2x2 block.
/// `R` and `B` are the byte offsets of red and blue in a pixel.
fn convert<const R: usize, const B: usize>(src: &[u8], w: usize, h: usize, stride: usize, c: &Coefs, out: &mut [u8]) {
    let (y_plane, chroma) = out.split_at_mut(w * h);
    let (u_plane, v_plane) = chroma.split_at_mut(w * h / 4);
    let half = 1i32 << (c.shift - 1);
    let luma = |px: &[u8]| -> u8 {
        let (r, g, b) = (i32::from(px[R]), i32::from(px[1]), i32::from(px[B]));
        (((c.y[0] * r + c.y[1] * g + c.y[2] * b + half) >> c.shift) + c.y_offset).clamp(0, 255) as u8
    };
    let chroma = |k: &[i32; 3], r: i32, g: i32, b: i32| -> u8 {
        (((k[0] * r + k[1] * g + k[2] * b + 4 * half) >> (c.shift + 2)) + 128).clamp(0, 255) as u8
    };
    #[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
    let simd = {
        // Coefficients in pixel byte order; all fit an i16 (at most 2^15 - 1).
        let order = |k: &[i32; 3]| [k[R] as i16, k[1] as i16, k[B] as i16, 0];
        super::simd::RgbCoefs { y: order(&c.y), u: order(&c.u), v: order(&c.v), shift: c.shift, y_offset: c.y_offset }
    };
    let cw = w / 2;
    let rows = y_plane.chunks_exact_mut(2 * w).zip(u_plane.chunks_exact_mut(cw).zip(v_plane.chunks_exact_mut(cw)));
    for (cy, (y_rows, (u_row, v_row))) in rows.enumerate() {
        let top = &src[2 * cy * stride..][..w * 4];
        let bottom = &src[(2 * cy + 1) * stride..][..w * 4];
        let (y_top, y_bottom) = y_rows.split_at_mut(w);
        #[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
        let done = super::simd::rgb_rows(&simd, top, bottom, y_top, y_bottom, u_row, v_row) / 2;
        #[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
        let done = 0;
        let blocks = top.chunks_exact(8).zip(bottom.chunks_exact(8)).skip(done);
        let outs = y_top
            .chunks_exact_mut(2)
            .zip(y_bottom.chunks_exact_mut(2))
            .zip(u_row.iter_mut().zip(v_row.iter_mut()))
            .skip(done);
        for ((t, b), ((yt, yb), (u, v))) in blocks.zip(outs) {
            yt[0] = luma(&t[..4]);
            yt[1] = luma(&t[4..]);
            yb[0] = luma(&b[..4]);
            yb[1] = luma(&b[4..]);
            let sum = |i: usize| i32::from(t[i]) + i32::from(t[i + 4]) + i32::from(b[i]) + i32::from(b[i + 4]);
            let (r, g, bl) = (sum(R), sum(1), sum(B));
            *u = chroma(&c.u, r, g, bl);
            *v = chroma(&c.v, r, g, bl);
        }
    }
}

/// Converts NV12 (a Y plane, then one plane of interleaved U, V) into
/// tightly packed I420 in `out` (resized to fit). `y_stride` and
/// `uv_stride` are the bytes per row of each plane; the UV plane starts at
/// `uv_offset` in `src`.
pub fn nv12_to_i420(
    src: &[u8],
    width: u32,
    height: u32,
    y_stride: usize,
    uv_offset: usize,
    uv_stride: usize,
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    let (w, h) = (width as usize, height as usize);
    check(width, height, src.len().min(uv_offset), y_stride, w, h, "Y")?;
    check(width, height, src.len().saturating_sub(uv_offset), uv_stride, w, h / 2, "UV")?;
    out.resize(w * h * 3 / 2, 0);
    let (y_plane, chroma) = out.split_at_mut(w * h);
    let (u_plane, v_plane) = chroma.split_at_mut(w * h / 4);
    for (row, dst) in y_plane.chunks_exact_mut(w).enumerate() {
        dst.copy_from_slice(&src[row * y_stride..row * y_stride + w]);
    }
    let cw = w / 2;
    for row in 0..h / 2 {
        let line = &src[uv_offset + row * uv_stride..uv_offset + row * uv_stride + w];
        for (i, uv) in line.chunks_exact(2).enumerate() {
            u_plane[row * cw + i] = uv[0];
            v_plane[row * cw + i] = uv[1];
        }
    }
    Ok(())
}

/// Fixed-point YUV to RGB for one colour space:
/// `R = (y * (Y - y_offset) + v_r * (V16 - 2048) + half) >> 16` with `V16`
/// the chroma sample times 16 (4 fractional bits from upsampling), so `y`
/// has 16 fractional bits and the chroma coefficients 12; G and B likewise.
struct InverseCoefs {
    y: i32,
    y_offset: i32,
    v_r: i32,
    u_g: i32,
    v_g: i32,
    u_b: i32,
}

const fn inverse_coefs(kr: f64, kb: f64, range: Range) -> InverseCoefs {
    let (ys, cs, y_offset) = match range {
        Range::Limited => (255.0 / 219.0, 255.0 / 224.0, 16),
        Range::Full => (1.0, 1.0, 0),
    };
    let kg = 1.0 - kr - kb;
    let c = cs * 4096.0;
    InverseCoefs {
        y: round(ys * 65536.0),
        y_offset,
        v_r: round(2.0 * (1.0 - kr) * c),
        u_g: round(-2.0 * (1.0 - kb) * kb / kg * c),
        v_g: round(-2.0 * (1.0 - kr) * kr / kg * c),
        u_b: round(2.0 * (1.0 - kb) * c),
    }
}

impl ColorSpace {
    fn inverse(self) -> InverseCoefs {
        let (kr, kb) = self.luma_weights();
        inverse_coefs(kr, kb, self.range)
    }
}

/// Converts an I420 picture in colour space `space` into packed RGB8 (3
/// bytes per pixel, rows of `3 * width` bytes, no padding) in `out`,
/// resized to fit.
///
/// Chroma is upsampled bilinearly with centred siting (the siting
/// [`rgb_to_i420`] and the scalers assume): each pixel mixes its own chroma
/// sample and its three nearest neighbours 9:3:3:1 (libjpeg's "fancy"
/// upsampling), edges repeated. Integer arithmetic (16 fractional bits),
/// rounded and clamped to 0..=255: within one code value of the same
/// formulas in `f64`.
pub fn i420_to_rgb(frame: &I420Planes<'_>, space: ColorSpace, out: &mut Vec<u8>) -> Result<(), FrameError> {
    frame.validate()?;
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (cw, ch) = (w / 2, h / 2);
    let k = space.inverse();
    out.resize(w * h * 3, 0);
    for (row, line) in out.chunks_exact_mut(w * 3).enumerate() {
        // The chroma row this one is sited in, and its vertical neighbour.
        let near = row / 2;
        let far = if row % 2 == 0 { near.saturating_sub(1) } else { (near + 1).min(ch - 1) };
        let (un, uf) = (&frame.u[near * frame.uv_stride..][..cw], &frame.u[far * frame.uv_stride..][..cw]);
        let (vn, vf) = (&frame.v[near * frame.uv_stride..][..cw], &frame.v[far * frame.uv_stride..][..cw]);
        let luma = &frame.y[row * frame.y_stride..][..w];
        for (x, (px, &y)) in line.chunks_exact_mut(3).zip(luma).enumerate() {
            let cn = x / 2;
            let cf = if x % 2 == 0 { cn.saturating_sub(1) } else { (cn + 1).min(cw - 1) };
            // 9:3:3:1 of (near, near), (near, far), (far, near), (far, far): times 16.
            let up = |n: &[u8], f: &[u8]| {
                9 * i32::from(n[cn]) + 3 * (i32::from(n[cf]) + i32::from(f[cn])) + i32::from(f[cf]) - 2048
            };
            let (u, v) = (up(un, uf), up(vn, vf));
            let luma = k.y * (i32::from(y) - k.y_offset) + (1 << 15);
            let clamp = |x: i32| (x >> 16).clamp(0, 255) as u8;
            px[0] = clamp(luma + k.v_r * v);
            px[1] = clamp(luma + k.u_g * u + k.v_g * v);
            px[2] = clamp(luma + k.u_b * u);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BT.601 limited range in floating point: the reference.
    fn reference(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
        let y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0;
        let u = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0;
        let v = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0;
        (y, u, v)
    }

    #[test]
    fn flat_colours_match_the_float_reference_within_one_code_value() {
        for &(r, g, b) in
            &[(0u8, 0u8, 0u8), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (12, 200, 99), (128, 128, 128)]
        {
            for order in [RgbOrder::Rgba, RgbOrder::Bgra] {
                let px = match order {
                    RgbOrder::Rgba => [r, g, b, 255],
                    RgbOrder::Bgra => [b, g, r, 0],
                };
                let src: Vec<u8> = px.iter().copied().cycle().take(4 * 4 * 2).collect();
                let mut out = Vec::new();
                rgb_to_i420(&src, 4, 2, 16, order, &mut out).unwrap();
                let (y, u, v) = reference(f64::from(r), f64::from(g), f64::from(b));
                for &got in &out[..8] {
                    assert!((f64::from(got) - y).abs() <= 1.0, "Y of {r},{g},{b}: {got} vs {y:.2}");
                }
                assert!((f64::from(out[8]) - u).abs() <= 1.0, "U of {r},{g},{b}: {} vs {u:.2}", out[8]);
                assert!((f64::from(out[10]) - v).abs() <= 1.0, "V of {r},{g},{b}: {} vs {v:.2}", out[10]);
            }
        }
    }

    #[test]
    fn chroma_is_the_2x2_average_and_strides_are_honoured() {
        // 2x2 picture with a padded stride: red, green / blue, white.
        let mut src = vec![0u8; 2 * 12];
        src[..8].copy_from_slice(&[255, 0, 0, 255, 0, 255, 0, 255]);
        src[12..20].copy_from_slice(&[0, 0, 255, 255, 255, 255, 255, 255]);
        let mut out = Vec::new();
        rgb_to_i420(&src, 2, 2, 12, RgbOrder::Rgba, &mut out).unwrap();
        assert_eq!(out.len(), 6);
        let (_, u, v) = reference(127.5, 127.5, 127.5);
        assert!((f64::from(out[4]) - u).abs() <= 1.0 && (f64::from(out[5]) - v).abs() <= 1.0, "{out:?}");
    }

    /// Any matrix and range in floating point: the reference for the
    /// fixed-point conversion.
    fn reference_in(space: ColorSpace, r: f64, g: f64, b: f64) -> (f64, f64, f64) {
        let (kr, kb) = space.luma_weights();
        let (ys, cs, off) = match space.range {
            Range::Limited => (219.0 / 255.0, 224.0 / 255.0, 16.0),
            Range::Full => (1.0, 1.0, 0.0),
        };
        let y = kr * r + (1.0 - kr - kb) * g + kb * b;
        let u = (b - y) / (2.0 * (1.0 - kb));
        let v = (r - y) / (2.0 * (1.0 - kr));
        (off + ys * y, (128.0 + cs * u).min(255.0), (128.0 + cs * v).min(255.0))
    }

    const SPACES: [ColorSpace; 4] = [
        ColorSpace { matrix: Matrix::Bt601, range: Range::Limited },
        ColorSpace { matrix: Matrix::Bt601, range: Range::Full },
        ColorSpace { matrix: Matrix::Bt709, range: Range::Limited },
        ColorSpace { matrix: Matrix::Bt709, range: Range::Full },
    ];

    #[test]
    fn every_space_matches_the_float_reference_within_one_code_value() {
        // A 2x2 block per colour, a grid over the RGB cube (ends included).
        let colours: Vec<[u8; 3]> = (0..16 * 16 * 16)
            .map(|i: usize| [(i / 256) as u8 * 17, (i / 16 % 16) as u8 * 17, (i % 16) as u8 * 17])
            .collect();
        let w = colours.len() * 2;
        let mut src = vec![0u8; w * 4 * 2];
        for (i, c) in colours.iter().enumerate() {
            for (row, col) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let at = row * w * 4 + (2 * i + col) * 4;
                src[at..at + 4].copy_from_slice(&[c[0], c[1], c[2], 255]);
            }
        }
        let mut out = Vec::new();
        for space in SPACES {
            rgb_to_i420_in(&src, w as u32, 2, w * 4, RgbOrder::Rgba, space, &mut out).unwrap();
            let mut worst = 0.0f64;
            for (i, c) in colours.iter().enumerate() {
                let (y, u, v) = reference_in(space, f64::from(c[0]), f64::from(c[1]), f64::from(c[2]));
                let got = [out[2 * i], out[2 * i + 1], out[w + 2 * i], out[w + 2 * i + 1]];
                for g in got {
                    worst = worst.max((f64::from(g) - y).abs());
                }
                worst =
                    worst.max((f64::from(out[2 * w + i]) - u).abs()).max((f64::from(out[2 * w + w / 2 + i]) - v).abs());
            }
            assert!(worst <= 1.0, "{space:?}: worst error {worst:.3} code values");
        }
        // Full range reaches both ends; limited stays in 16..=240.
        let full = ColorSpace { matrix: Matrix::Bt709, range: Range::Full };
        let px = |r, g, b| -> Vec<u8> { [r, g, b, 255].iter().copied().cycle().take(16).collect() };
        rgb_to_i420_in(&px(255, 255, 255), 2, 2, 8, RgbOrder::Rgba, full, &mut out).unwrap();
        assert_eq!(out, [255, 255, 255, 255, 128, 128]);
        rgb_to_i420_in(&px(0, 0, 255), 2, 2, 8, RgbOrder::Rgba, full, &mut out).unwrap();
        assert_eq!((out[4], out[5]), (255, 116), "U clipped at 255");
        rgb_to_i420_in(&px(0, 0, 255), 2, 2, 8, RgbOrder::Bgra, ColorSpace::default(), &mut out).unwrap();
        assert_eq!((out[0], out[4], out[5]), (82, 90, 240), "BGRA: that is red");
    }

    /// `len` pseudo-random bytes.
    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect()
    }

    #[test]
    fn default_space_is_bit_exact_with_the_original_8_bit_conversion() {
        // The conversion of earlier versions, verbatim in spirit: Y per
        // pixel, then U/V from 2x2 sums, 8-bit coefficients.
        fn original(src: &[u8], w: usize, h: usize, stride: usize) -> Vec<u8> {
            let mut out = vec![0u8; w * h * 3 / 2];
            for row in 0..h {
                for x in 0..w {
                    let p = &src[row * stride + x * 4..];
                    let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
                    out[row * w + x] = (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16) as u8;
                }
            }
            let cw = w / 2;
            for cy in 0..h / 2 {
                for cx in 0..cw {
                    let mut s = [0i32; 3];
                    for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let p = &src[(2 * cy + dy) * stride + (2 * cx + dx) * 4..];
                        for k in 0..3 {
                            s[k] += i32::from(p[k]);
                        }
                    }
                    out[w * h + cy * cw + cx] = (((-38 * s[0] - 74 * s[1] + 112 * s[2] + 512) >> 10) + 128) as u8;
                    out[w * h * 5 / 4 + cy * cw + cx] =
                        (((112 * s[0] - 94 * s[1] - 18 * s[2] + 512) >> 10) + 128) as u8;
                }
            }
            out
        }
        let (w, h, stride) = (38, 10, 38 * 4 + 12);
        let src = noise(stride * h, 12345);
        let mut out = Vec::new();
        rgb_to_i420(&src, w as u32, h as u32, stride, RgbOrder::Rgba, &mut out).unwrap();
        assert_eq!(out, original(&src, w, h, stride));
    }

    /// Every space and byte order, on noise with a width that leaves a
    /// tail for the portable code: the same integers as a plain per-pixel
    /// evaluation of the fixed-point formulas (which is what the SIMD
    /// kernel must reproduce, wasm included).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn fast_paths_equal_the_plain_formulas() {
        let (w, h, stride) = (46usize, 6usize, 46 * 4 + 4);
        let src = noise(stride * h, 99);
        let mut out = Vec::new();
        for space in SPACES {
            for (order, r_at, b_at) in [(RgbOrder::Rgba, 0, 2), (RgbOrder::Bgra, 2, 0)] {
                rgb_to_i420_in(&src, w as u32, h as u32, stride, order, space, &mut out).unwrap();
                let c = space.coefs();
                let half = 1i32 << (c.shift - 1);
                let px = |x: usize, y: usize| {
                    let p = &src[y * stride + x * 4..];
                    [i32::from(p[r_at]), i32::from(p[1]), i32::from(p[b_at])]
                };
                let dot = |k: &[i32; 3], p: [i32; 3]| k[0] * p[0] + k[1] * p[1] + k[2] * p[2];
                for y in 0..h {
                    for x in 0..w {
                        let want = (((dot(&c.y, px(x, y)) + half) >> c.shift) + c.y_offset).clamp(0, 255);
                        assert_eq!(i32::from(out[y * w + x]), want, "{space:?} {order:?} Y at {x},{y}");
                    }
                }
                for cy in 0..h / 2 {
                    for cx in 0..w / 2 {
                        let mut s = [0; 3];
                        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                            let p = px(2 * cx + dx, 2 * cy + dy);
                            (0..3).for_each(|i| s[i] += p[i]);
                        }
                        for (k, plane) in [(&c.u, w * h), (&c.v, w * h * 5 / 4)] {
                            let want = (((dot(k, s) + 4 * half) >> (c.shift + 2)) + 128).clamp(0, 255);
                            assert_eq!(
                                i32::from(out[plane + cy * (w / 2) + cx]),
                                want,
                                "{space:?} {order:?} chroma at {cx},{cy}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// YUV to RGB in floating point: the reference for [`i420_to_rgb`].
    fn rgb_reference(space: ColorSpace, y: f64, u: f64, v: f64) -> [f64; 3] {
        let (kr, kb) = space.luma_weights();
        let (ys, cs, off) = match space.range {
            Range::Limited => (255.0 / 219.0, 255.0 / 224.0, 16.0),
            Range::Full => (1.0, 1.0, 0.0),
        };
        let (y, u, v) = ((y - off) * ys, (u - 128.0) * cs, (v - 128.0) * cs);
        let (r, b) = (y + 2.0 * (1.0 - kr) * v, y + 2.0 * (1.0 - kb) * u);
        let g = (y - kr * r - kb * b) / (1.0 - kr - kb);
        [r, g, b].map(|c| c.clamp(0.0, 255.0))
    }

    /// A flat 4x4 I420 picture.
    fn flat_i420(y: u8, u: u8, v: u8) -> Vec<u8> {
        let mut data = vec![y; 16];
        data.extend([u; 4]);
        data.extend([v; 4]);
        data
    }

    #[test]
    fn i420_to_rgb_matches_the_float_reference_for_flat_colours() {
        let mut rgb = Vec::new();
        let mut worst = 0.0f64;
        for space in SPACES {
            for y in (0..=255).step_by(5) {
                for u in (0..=255).step_by(15) {
                    for v in (0..=255).step_by(15) {
                        let data = flat_i420(y, u, v);
                        i420_to_rgb(&I420Planes::packed(4, 4, &data).unwrap(), space, &mut rgb).unwrap();
                        let want = rgb_reference(space, f64::from(y), f64::from(u), f64::from(v));
                        for px in rgb.chunks_exact(3) {
                            for (got, want) in px.iter().zip(want) {
                                worst = worst.max((f64::from(*got) - want).abs());
                            }
                        }
                    }
                }
            }
        }
        assert!(worst <= 1.0, "worst error {worst:.3} code values");
    }

    #[test]
    fn rgb_round_trips_through_i420_within_two_code_values() {
        let colours = [
            [0u8, 0, 0],
            [255, 255, 255],
            [255, 0, 0],
            [0, 255, 0],
            [0, 0, 255],
            [12, 200, 99],
            [128, 128, 128],
            [191, 191, 0],
        ];
        let (mut yuv, mut rgb) = (Vec::new(), Vec::new());
        for space in SPACES {
            for c in colours {
                let src: Vec<u8> = [c[0], c[1], c[2], 255].iter().copied().cycle().take(4 * 4 * 4).collect();
                rgb_to_i420_in(&src, 4, 4, 16, RgbOrder::Rgba, space, &mut yuv).unwrap();
                i420_to_rgb(&I420Planes::packed(4, 4, &yuv).unwrap(), space, &mut rgb).unwrap();
                for px in rgb.chunks_exact(3) {
                    let err = px.iter().zip(c).map(|(&a, b)| (i32::from(a) - i32::from(b)).abs()).max().unwrap_or(0);
                    assert!(err <= 2, "{space:?} {c:?} came back as {px:?}");
                }
            }
        }
    }

    #[test]
    fn i420_to_rgb_upsamples_chroma_bilinearly_and_honours_strides() {
        // 4x4 grey luma; U 2x2 with a step across, V neutral; strides padded.
        let y = [128u8; 5 * 4];
        let u = [100u8, 200, 0, 100, 200, 0];
        let v = [128u8; 6];
        let p = I420Planes { width: 4, height: 4, y: &y, u: &u, v: &v, y_stride: 5, uv_stride: 3 };
        let mut rgb = Vec::new();
        i420_to_rgb(&p, ColorSpace { matrix: Matrix::Bt601, range: Range::Full }, &mut rgb).unwrap();
        assert_eq!(rgb.len(), 4 * 4 * 3);
        // Blue is Y + 1.772 (U - 128); U across a row: 100, 125, 175, 200.
        let blue: Vec<u8> = rgb.chunks_exact(3).take(4).map(|px| px[2]).collect();
        let want = [100.0, 125.0, 175.0, 200.0].map(|u: f64| (128.0 + 1.772 * (u - 128.0)).round() as u8);
        assert_eq!(blue, want);
        // Every row alike: the rows of U are equal.
        assert!(rgb.chunks_exact(12).all(|row| row == &rgb[..12]));
        let bad = I420Planes { width: 4, height: 4, y: &y[..10], u: &u, v: &v, y_stride: 5, uv_stride: 3 };
        assert!(matches!(i420_to_rgb(&bad, ColorSpace::default(), &mut rgb), Err(FrameError::ShortPlane { .. })));
    }

    #[test]
    fn nv12_deinterleaves() {
        // 4x2: Y rows with stride 6, UV row with stride 6 at offset 12.
        let src = [1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0, 10, 20, 11, 21, 0, 0];
        let mut out = Vec::new();
        nv12_to_i420(&src, 4, 2, 6, 12, 6, &mut out).unwrap();
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 20, 21]);
    }

    #[test]
    fn bad_sizes_and_short_buffers_are_errors() {
        let mut out = Vec::new();
        assert!(matches!(rgb_to_i420(&[0; 16], 3, 2, 12, RgbOrder::Rgba, &mut out), Err(FrameError::BadSize { .. })));
        assert!(matches!(rgb_to_i420(&[0; 16], 2, 2, 4, RgbOrder::Rgba, &mut out), Err(FrameError::BadStride { .. })));
        assert!(matches!(rgb_to_i420(&[0; 15], 2, 2, 8, RgbOrder::Rgba, &mut out), Err(FrameError::ShortPlane { .. })));
        assert!(matches!(nv12_to_i420(&[0; 5], 2, 2, 2, 4, 2, &mut out), Err(FrameError::ShortPlane { .. })));
        assert!(matches!(nv12_to_i420(&[0; 6], 2, 2, 2, 9, 2, &mut out), Err(FrameError::ShortPlane { .. })));
    }
}

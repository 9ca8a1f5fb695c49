//! Picture scaling: separable Lanczos3 or bilinear resampling of 8-bit
//! planes, I420 frames and premultiplied RGBA, with an optional source crop.
//!
//! A scaler is built once per (source size, crop, destination size, filter)
//! and reused for every frame: construction computes the fixed-point
//! coefficient tables and allocates the intermediate buffer; scaling
//! allocates nothing.
//!
//! # Method
//! - Geometry is centre-aligned (libswscale, pillow): destination sample `i`
//!   samples the source at `(i + 0.5) * src / dst - 0.5`. Samples beyond the
//!   crop rectangle's edges repeat its edge samples (clamp-to-edge), exactly
//!   as if the crop had been cut out first.
//! - [`Filter::Lanczos3`] (`a = 3`) and [`Filter::Bilinear`] (a tent). When
//!   shrinking, the kernel is stretched by the ratio so it also filters out
//!   what the smaller picture cannot hold, as libswscale does for both.
//! - Horizontal pass first, into a ring of intermediate rows (16-bit, 6
//!   fractional bits) kept in the scaler, then the vertical pass. Each
//!   source row is filtered horizontally once. Coefficients have 14
//!   fractional bits and each output's coefficients sum exactly to 1.0, so
//!   flat areas stay flat and a same-size scale is an exact copy; results
//!   are rounded half up and clamped to 0..=255. The ring holds the
//!   vertical window plus one group of 8 rows (1080p to 720p Lanczos3: 16
//!   rows of 1280 values, 40 KB).
//! - SIMD kernels (SSE2, wasm SIMD128) give the same bytes as the portable
//!   ones. 1080p to 720p I420, Lanczos3: about 2.5 ms natively, 3 ms in
//!   wasm with SIMD128 (Node 20, a busy 2-core machine; `tests/video_scale.rs`
//!   and the `wasm_timing` test below print the figures).
//!
//! # I420 chroma siting
//! [`I420Scaler`] scales each chroma plane as a picture of its own
//! (half-size tables, crop and destination halved), which treats chroma
//! samples as centred between their four luma samples (JPEG/MPEG-1 siting).
//! That is what ffmpeg's `scale` filter does for yuv420p to yuv420p by
//! default (it sets the vertical position to the centre and leaves the
//! horizontal one at libswscale's default, also the centre), so the two
//! agree. For MPEG-2/H.264 "left" sited chroma the error is a shift of
//! `(src/dst - 1) / 4` chroma samples, 1/8 of a chroma sample for 1080p to
//! 720p.
//!
//! # Alpha
//! [`RgbaScaler`] filters the four channels alike and expects premultiplied
//! alpha (use [`premultiply_alpha`]): filtering straight alpha lets the
//! colour of transparent pixels bleed into the visible edge. Output is
//! premultiplied, with each colour clamped to at most its alpha.

use std::fmt;

use super::kernels::{h_group, scratch_len, v_row, GROUP};
use super::taps::Axis;
pub use crate::frame::Rect;
use crate::frame::{FrameError, I420Frame, I420Planes};

/// Largest width or height a scaler accepts, in pixels. A scaler's
/// intermediate buffer is at most `(taps + 8) * dst_width * channels * 2`
/// bytes, `taps` being about `6 * src_height / dst_height` for a Lanczos3
/// shrink (at most the source height): 40 KB for 1080p to 720p.
pub const MAX_DIMENSION: u32 = 8192;

/// Resampling kernel. JSON and JS: `"lanczos3"`, `"bilinear"`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Filter {
    /// Lanczos, `a = 3` (6 taps when enlarging, `6 * ratio` when shrinking).
    /// Sharp, the reference for quality. The default.
    #[default]
    Lanczos3,
    /// Linear interpolation (2 taps when enlarging, a tent `2 * ratio` wide
    /// when shrinking, like libswscale's `bilinear`). About 1.7 times as
    /// fast at 1080p to 720p, softer.
    Bilinear,
}

/// Why a scaler cannot be built or a scale cannot run. Not recoverable by
/// retrying with the same arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScaleError {
    /// A size is zero, above [`MAX_DIMENSION`], or odd where 4:2:0 needs
    /// even. `what` names it ("source", "destination").
    BadSize {
        /// Which size: `"source"` or `"destination"`.
        what: &'static str,
        /// The width given, in pixels.
        width: u32,
        /// The height given, in pixels.
        height: u32,
    },
    /// The crop rectangle is empty, not inside the `width` x `height`
    /// source, or (for I420) not on even coordinates.
    BadCrop {
        /// The crop rectangle given, in source pixels.
        crop: Rect,
        /// The source width, in pixels.
        width: u32,
        /// The source height, in pixels.
        height: u32,
    },
    /// A picture is not the size the scaler was built for.
    SizeMismatch {
        /// Which picture, e.g. `"source frame"`.
        what: &'static str,
        /// The (width, height) the scaler was built for, in pixels.
        expected: (u32, u32),
        /// The picture's (width, height), in pixels.
        got: (u32, u32),
    },
    /// A buffer's stride or length is too small.
    Buffer(FrameError),
}

impl fmt::Display for ScaleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScaleError::BadSize { what, width, height } => {
                write!(f, "scale {what} size must be between 1x1 and {MAX_DIMENSION}x{MAX_DIMENSION} (even for I420), got {width}x{height}")
            }
            ScaleError::BadCrop { crop, width, height } => write!(
                f,
                "scale crop {}x{} at ({}, {}) must be non-empty and inside the {width}x{height} source (even for I420)",
                crop.width, crop.height, crop.x, crop.y
            ),
            ScaleError::SizeMismatch { what, expected, got } => {
                write!(f, "scale {what} must be {}x{}, got {}x{}", expected.0, expected.1, got.0, got.1)
            }
            ScaleError::Buffer(e) => write!(f, "scale buffer: {e}"),
        }
    }
}

impl std::error::Error for ScaleError {}

impl From<FrameError> for ScaleError {
    fn from(e: FrameError) -> Self {
        ScaleError::Buffer(e)
    }
}

fn check_size(what: &'static str, width: u32, height: u32, even: bool) -> Result<(), ScaleError> {
    let ok = (1..=MAX_DIMENSION).contains(&width) && (1..=MAX_DIMENSION).contains(&height);
    if !ok || (even && (width % 2 != 0 || height % 2 != 0)) {
        return Err(ScaleError::BadSize { what, width, height });
    }
    Ok(())
}

/// Checks that `len` bytes with `stride` hold `rows` rows of `row` bytes.
fn check_buffer(plane: &'static str, len: usize, stride: usize, row: usize, rows: usize) -> Result<(), ScaleError> {
    if stride < row {
        return Err(FrameError::BadStride { plane, stride, min: row }.into());
    }
    let needed = stride * (rows - 1) + row;
    if len < needed {
        return Err(FrameError::ShortPlane { plane, len, needed }.into());
    }
    Ok(())
}

/// The resampler shared by the public scalers, for `channels` interleaved
/// 8-bit channels.
#[derive(Debug, Clone)]
struct Core {
    src_width: u32,
    src_height: u32,
    crop: Rect,
    dst_width: u32,
    dst_height: u32,
    h: Axis,
    v: Axis,
    /// Horizontally filtered rows, `ring_rows` of `dst_width * channels`
    /// values; source row `r` lives in slot `r % ring_rows`. Rows are
    /// filtered in groups of [`GROUP`] starting at multiples of it, and
    /// `ring_rows` is a multiple of it, so a group's slots are contiguous.
    ring: Vec<i16>,
    ring_rows: usize,
    /// Offsets in `ring` of the rows of the current vertical window.
    window: Vec<usize>,
    /// Scratch space of the horizontal kernels.
    scratch: Vec<i16>,
    identity: bool,
}

impl Core {
    fn new(
        src_width: u32,
        src_height: u32,
        crop: Rect,
        dst_width: u32,
        dst_height: u32,
        filter: Filter,
        channels: usize,
    ) -> Result<Core, ScaleError> {
        check_size("source", src_width, src_height, false)?;
        check_size("destination", dst_width, dst_height, false)?;
        let inside = u64::from(crop.x) + u64::from(crop.width) <= u64::from(src_width)
            && u64::from(crop.y) + u64::from(crop.height) <= u64::from(src_height);
        if crop.width == 0 || crop.height == 0 || !inside {
            return Err(ScaleError::BadCrop { crop, width: src_width, height: src_height });
        }
        let h = Axis::new(crop.width as usize, dst_width as usize, filter);
        let v = Axis::new(crop.height as usize, dst_height as usize, filter);
        let identity = h.is_identity() && v.is_identity();
        // The window of a vertical tap run plus a partly used group.
        let ring_rows = if identity { 0 } else { (v.taps + GROUP - 1).next_multiple_of(GROUP) };
        let ring = vec![0; ring_rows * dst_width as usize * channels];
        let scratch =
            if identity { Vec::new() } else { vec![0; scratch_len(crop.width as usize, dst_width as usize, channels)] };
        let window = vec![0; v.taps];
        Ok(Core {
            src_width,
            src_height,
            crop,
            dst_width,
            dst_height,
            h,
            v,
            ring,
            ring_rows,
            window,
            scratch,
            identity,
        })
    }

    /// Scales one picture of `C` interleaved channels. Buffers must have
    /// been checked by the caller.
    fn run<const C: usize>(&mut self, src: &[u8], src_stride: usize, dst: &mut [u8], dst_stride: usize) {
        let crop = self.crop;
        let (x0, height) = (crop.x as usize * C, crop.height as usize);
        let src_row = |r: usize| &src[(crop.y as usize + r) * src_stride + x0..][..crop.width as usize * C];
        let width = self.dst_width as usize * C;
        if self.identity {
            for (r, out) in dst.chunks_mut(dst_stride).take(self.dst_height as usize).enumerate() {
                out[..width].copy_from_slice(src_row(r));
            }
            return;
        }
        let (taps, cap) = (self.v.taps, self.ring_rows);
        // Source rows lo..hi are filtered and in the ring; hi is a multiple
        // of GROUP or the crop height.
        let (mut lo, mut hi) = (0usize, 0usize);
        for ((out, &start), coefs) in dst.chunks_mut(dst_stride).zip(&self.v.start).zip(self.v.coefs.chunks_exact(taps))
        {
            let start = start as usize;
            if start < lo || start > hi {
                hi = start - start % GROUP;
                lo = hi;
            }
            while hi < start + taps {
                let valid = GROUP.min(height - hi);
                let rows: [&[u8]; GROUP] = core::array::from_fn(|j| src_row(hi + j.min(valid - 1)));
                let slots = &mut self.ring[(hi % cap) * width..][..GROUP * width];
                h_group::<C>(&rows, valid, &self.h, slots, &mut self.scratch);
                hi += valid;
            }
            lo = lo.max(hi.saturating_sub(cap));
            for (k, w) in self.window.iter_mut().enumerate() {
                *w = ((start + k) % cap) * width;
            }
            v_row(&self.ring, &self.window, coefs, &mut out[..width]);
        }
    }
}

/// Scales one 8-bit plane (luma, a chroma plane, grey). Built once, used
/// for any number of pictures of the size it was built for.
#[derive(Debug, Clone)]
pub struct Scaler {
    core: Core,
}

impl Scaler {
    /// Scales a whole `src_width` x `src_height` plane to `dst_width` x
    /// `dst_height`. Sizes are 1..=[`MAX_DIMENSION`].
    pub fn new(
        src_width: u32,
        src_height: u32,
        dst_width: u32,
        dst_height: u32,
        filter: Filter,
    ) -> Result<Scaler, ScaleError> {
        Scaler::with_crop(src_width, src_height, Rect::full(src_width, src_height), dst_width, dst_height, filter)
    }

    /// Scales the `crop` rectangle of a `src_width` x `src_height` plane to
    /// `dst_width` x `dst_height`, as if the crop had been cut out first.
    pub fn with_crop(
        src_width: u32,
        src_height: u32,
        crop: Rect,
        dst_width: u32,
        dst_height: u32,
        filter: Filter,
    ) -> Result<Scaler, ScaleError> {
        Ok(Scaler { core: Core::new(src_width, src_height, crop, dst_width, dst_height, filter, 1)? })
    }

    /// Destination size, in pixels.
    pub fn dst_size(&self) -> (u32, u32) {
        (self.core.dst_width, self.core.dst_height)
    }

    /// Scales a plane with `src_stride` bytes per row into `dst` with
    /// `dst_stride` bytes per row. Bytes of `dst` beyond each row's width are
    /// left alone.
    pub fn scale_plane(
        &mut self,
        src: &[u8],
        src_stride: usize,
        dst: &mut [u8],
        dst_stride: usize,
    ) -> Result<(), ScaleError> {
        let c = &self.core;
        check_buffer("source", src.len(), src_stride, c.src_width as usize, c.src_height as usize)?;
        check_buffer("destination", dst.len(), dst_stride, c.dst_width as usize, c.dst_height as usize)?;
        self.core.run::<1>(src, src_stride, dst, dst_stride);
        Ok(())
    }
}

/// Scales I420 frames: luma with one table, both chroma planes with
/// half-size tables (see the module docs for chroma siting).
#[derive(Debug, Clone)]
pub struct I420Scaler {
    luma: Scaler,
    chroma: Scaler,
}

impl I420Scaler {
    /// Scales whole `src_width` x `src_height` frames to `dst_width` x
    /// `dst_height`; all sizes even and at most [`MAX_DIMENSION`].
    pub fn new(
        src_width: u32,
        src_height: u32,
        dst_width: u32,
        dst_height: u32,
        filter: Filter,
    ) -> Result<I420Scaler, ScaleError> {
        I420Scaler::with_crop(src_width, src_height, Rect::full(src_width, src_height), dst_width, dst_height, filter)
    }

    /// Scales the `crop` rectangle of each frame (even position and size).
    pub fn with_crop(
        src_width: u32,
        src_height: u32,
        crop: Rect,
        dst_width: u32,
        dst_height: u32,
        filter: Filter,
    ) -> Result<I420Scaler, ScaleError> {
        check_size("source", src_width, src_height, true)?;
        check_size("destination", dst_width, dst_height, true)?;
        if [crop.x, crop.y, crop.width, crop.height].iter().any(|v| v % 2 != 0) {
            return Err(ScaleError::BadCrop { crop, width: src_width, height: src_height });
        }
        let luma = Scaler::with_crop(src_width, src_height, crop, dst_width, dst_height, filter)?;
        let half = Rect { x: crop.x / 2, y: crop.y / 2, width: crop.width / 2, height: crop.height / 2 };
        let chroma = Scaler::with_crop(src_width / 2, src_height / 2, half, dst_width / 2, dst_height / 2, filter)?;
        Ok(I420Scaler { luma, chroma })
    }

    /// Destination size, in pixels.
    pub fn dst_size(&self) -> (u32, u32) {
        self.luma.dst_size()
    }

    /// Scales `src` into `dst`, which is resized (its buffer reused) to the
    /// destination size.
    pub fn scale(&mut self, src: &I420Planes<'_>, dst: &mut I420Frame) -> Result<(), ScaleError> {
        src.validate()?;
        let c = &self.luma.core;
        let expected = (c.src_width, c.src_height);
        if (src.width, src.height) != expected {
            return Err(ScaleError::SizeMismatch { what: "source frame", expected, got: (src.width, src.height) });
        }
        let (w, h) = self.dst_size();
        let (y, u, v) = super::planes_mut(dst, w, h);
        let cw = w as usize / 2;
        // Sizes were checked by validate() and the constructor.
        self.luma.core.run::<1>(src.y, src.y_stride, y, w as usize);
        self.chroma.core.run::<1>(src.u, src.uv_stride, u, cw);
        self.chroma.core.run::<1>(src.v, src.uv_stride, v, cw);
        Ok(())
    }
}

/// Scales premultiplied RGBA pictures (4 interleaved bytes per pixel).
#[derive(Debug, Clone)]
pub struct RgbaScaler {
    core: Core,
}

impl RgbaScaler {
    /// Scales whole `src_width` x `src_height` pictures to `dst_width` x
    /// `dst_height` (1..=[`MAX_DIMENSION`]).
    pub fn new(
        src_width: u32,
        src_height: u32,
        dst_width: u32,
        dst_height: u32,
        filter: Filter,
    ) -> Result<RgbaScaler, ScaleError> {
        RgbaScaler::with_crop(src_width, src_height, Rect::full(src_width, src_height), dst_width, dst_height, filter)
    }

    /// Scales the `crop` rectangle of each picture.
    pub fn with_crop(
        src_width: u32,
        src_height: u32,
        crop: Rect,
        dst_width: u32,
        dst_height: u32,
        filter: Filter,
    ) -> Result<RgbaScaler, ScaleError> {
        Ok(RgbaScaler { core: Core::new(src_width, src_height, crop, dst_width, dst_height, filter, 4)? })
    }

    /// Destination size, in pixels.
    pub fn dst_size(&self) -> (u32, u32) {
        (self.core.dst_width, self.core.dst_height)
    }

    /// Scales premultiplied RGBA with `src_stride` bytes per row into `dst`
    /// with `dst_stride` bytes per row. The output is premultiplied, each
    /// colour channel at most its alpha.
    pub fn scale(
        &mut self,
        src: &[u8],
        src_stride: usize,
        dst: &mut [u8],
        dst_stride: usize,
    ) -> Result<(), ScaleError> {
        let c = &self.core;
        let (dw, dh) = (c.dst_width as usize, c.dst_height as usize);
        check_buffer("RGBA source", src.len(), src_stride, c.src_width as usize * 4, c.src_height as usize)?;
        check_buffer("RGBA destination", dst.len(), dst_stride, dw * 4, dh)?;
        self.core.run::<4>(src, src_stride, dst, dst_stride);
        // Lanczos overshoot can leave a colour above its alpha, which is not
        // a valid premultiplied pixel.
        for row in dst.chunks_mut(dst_stride).take(dh) {
            for px in row[..dw * 4].chunks_exact_mut(4) {
                let a = px[3];
                for c in &mut px[..3] {
                    *c = (*c).min(a);
                }
            }
        }
        Ok(())
    }
}

/// Converts straight RGBA to premultiplied RGBA in place (colour times
/// alpha / 255, rounded). Trailing bytes short of a pixel are left alone.
pub fn premultiply_alpha(rgba: &mut [u8]) {
    for px in rgba.chunks_exact_mut(4) {
        let a = u32::from(px[3]);
        for c in &mut px[..3] {
            // Exact round(c * a / 255) for 8-bit values.
            let t = u32::from(*c) * a + 128;
            *c = ((t + (t >> 8)) >> 8) as u8;
        }
    }
}

/// Converts premultiplied RGBA back to straight RGBA in place (colour times
/// 255 / alpha, rounded; fully transparent pixels become 0, 0, 0, 0).
pub fn unpremultiply_alpha(rgba: &mut [u8]) {
    for px in rgba.chunks_exact_mut(4) {
        let a = u32::from(px[3]);
        for c in &mut px[..3] {
            *c = (u32::from(*c) * 255 + a / 2).checked_div(a).map_or(0, |v| v.min(255) as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::i420_size;

    fn gradient(w: usize, h: usize) -> Vec<u8> {
        (0..w * h).map(|i| ((i % w) * 7 + (i / w) * 13) as u8).collect()
    }

    #[test]
    fn identity_is_an_exact_copy() {
        let src = gradient(37, 21);
        for filter in [Filter::Lanczos3, Filter::Bilinear] {
            let mut s = Scaler::new(37, 21, 37, 21, filter).unwrap();
            let mut out = vec![0; 37 * 21];
            s.scale_plane(&src, 37, &mut out, 37).unwrap();
            assert_eq!(out, src);
        }
    }

    #[test]
    fn flat_stays_flat() {
        for &(sw, sh, dw, dh) in &[(64, 48, 40, 30), (40, 30, 97, 61), (5, 3, 1, 1), (1, 1, 9, 4)] {
            for value in [0u8, 1, 128, 254, 255] {
                for filter in [Filter::Lanczos3, Filter::Bilinear] {
                    let src = vec![value; sw * sh];
                    let mut s = Scaler::new(sw as u32, sh as u32, dw as u32, dh as u32, filter).unwrap();
                    let mut out = vec![0; dw * dh];
                    s.scale_plane(&src, sw, &mut out, dw).unwrap();
                    assert!(out.iter().all(|&v| v == value), "{sw}x{sh}->{dw}x{dh} {value} {filter:?}");
                }
            }
        }
    }

    #[test]
    fn crop_equals_scaling_the_cut_out_rectangle() {
        let (w, h) = (50, 40);
        let src = gradient(w, h);
        let crop = Rect { x: 7, y: 5, width: 30, height: 22 };
        let cut: Vec<u8> = (0..22).flat_map(|r| src[(5 + r) * w + 7..][..30].to_vec()).collect();
        let mut a = Scaler::with_crop(w as u32, h as u32, crop, 17, 13, Filter::Lanczos3).unwrap();
        let mut b = Scaler::new(30, 22, 17, 13, Filter::Lanczos3).unwrap();
        let (mut oa, mut ob) = (vec![0; 17 * 13], vec![0; 17 * 13]);
        a.scale_plane(&src, w, &mut oa, 17).unwrap();
        b.scale_plane(&cut, 30, &mut ob, 17).unwrap();
        assert_eq!(oa, ob);
        // Same-size crop is a copy of the rectangle.
        let mut c = Scaler::with_crop(w as u32, h as u32, crop, 30, 22, Filter::Lanczos3).unwrap();
        let mut oc = vec![0; 30 * 22];
        c.scale_plane(&src, w, &mut oc, 30).unwrap();
        assert_eq!(oc, cut);
    }

    #[test]
    fn tiny_and_extreme_sizes() {
        // 2x2 -> 4096x2. Bilinear: a ramp between the two source columns.
        let src = [10u8, 200, 10, 200];
        let mut out = vec![0; 4096 * 2];
        Scaler::new(2, 2, 4096, 2, Filter::Bilinear).unwrap().scale_plane(&src, 2, &mut out, 4096).unwrap();
        assert_eq!((out[0], out[4095]), (10, 200));
        assert_eq!(&out[..4096], &out[4096..]);
        assert!(out[..4096].windows(2).all(|p| p[0] <= p[1]), "monotonic");
        // Lanczos3 rings (undershoots below 10) near the step but stays
        // symmetric about it.
        Scaler::new(2, 2, 4096, 2, Filter::Lanczos3).unwrap().scale_plane(&src, 2, &mut out, 4096).unwrap();
        assert_eq!(&out[..4096], &out[4096..]);
        for i in 0..2048 {
            let sum = i32::from(out[i]) + i32::from(out[4095 - i]);
            assert!((sum - 210).abs() <= 1 || out[i] == 0, "{i}: {} {}", out[i], out[4095 - i]);
        }
        // 4096x2 -> 1x1: the mean.
        let src: Vec<u8> = (0..8192).map(|i| if i % 2 == 0 { 0 } else { 100 }).collect();
        let mut s = Scaler::new(4096, 2, 1, 1, Filter::Bilinear).unwrap();
        let mut out = [0u8];
        s.scale_plane(&src, 4096, &mut out, 1).unwrap();
        assert_eq!(out[0], 50);
        // 1x1 -> 3x3.
        let mut s = Scaler::new(1, 1, 3, 3, Filter::Lanczos3).unwrap();
        let mut out = [0u8; 9];
        s.scale_plane(&[77], 1, &mut out, 3).unwrap();
        assert_eq!(out, [77; 9]);
    }

    #[test]
    fn strides_and_untouched_padding() {
        let src = gradient(8, 4);
        let mut padded = vec![0u8; 11 * 4];
        for r in 0..4 {
            padded[r * 11..r * 11 + 8].copy_from_slice(&src[r * 8..r * 8 + 8]);
        }
        let mut s = Scaler::new(8, 4, 5, 3, Filter::Lanczos3).unwrap();
        let mut a = vec![0; 15];
        s.scale_plane(&src, 8, &mut a, 5).unwrap();
        let mut b = vec![9u8; 7 * 3 - 2];
        s.scale_plane(&padded, 11, &mut b, 7).unwrap();
        for r in 0..3 {
            assert_eq!(&b[r * 7..r * 7 + 5], &a[r * 5..r * 5 + 5]);
        }
        assert_eq!(&b[5..7], &[9, 9]);
    }

    #[test]
    fn bad_input_is_an_error() {
        let f = Filter::Lanczos3;
        assert!(matches!(Scaler::new(0, 4, 2, 2, f), Err(ScaleError::BadSize { what: "source", .. })));
        assert!(matches!(
            Scaler::new(4, 4, 2, MAX_DIMENSION + 1, f),
            Err(ScaleError::BadSize { what: "destination", .. })
        ));
        let crop = Rect { x: 3, y: 0, width: 2, height: 4 };
        assert!(matches!(Scaler::with_crop(4, 4, crop, 2, 2, f), Err(ScaleError::BadCrop { .. })));
        let crop = Rect { x: 0, y: 0, width: 0, height: 4 };
        assert!(matches!(Scaler::with_crop(4, 4, crop, 2, 2, f), Err(ScaleError::BadCrop { .. })));
        let crop = Rect { x: u32::MAX, y: 0, width: 2, height: 4 };
        assert!(matches!(Scaler::with_crop(4, 4, crop, 2, 2, f), Err(ScaleError::BadCrop { .. })));
        assert!(matches!(I420Scaler::new(4, 4, 3, 2, f), Err(ScaleError::BadSize { .. })));
        let odd = Rect { x: 1, y: 0, width: 2, height: 2 };
        assert!(matches!(I420Scaler::with_crop(4, 4, odd, 2, 2, f), Err(ScaleError::BadCrop { .. })));

        let mut s = Scaler::new(4, 4, 2, 2, f).unwrap();
        let mut out = [0u8; 4];
        assert!(matches!(
            s.scale_plane(&[0; 15], 4, &mut out, 2),
            Err(ScaleError::Buffer(FrameError::ShortPlane { .. }))
        ));
        assert!(matches!(
            s.scale_plane(&[0; 16], 3, &mut out, 2),
            Err(ScaleError::Buffer(FrameError::BadStride { .. }))
        ));
        assert!(matches!(
            s.scale_plane(&[0; 16], 4, &mut out[..3], 2),
            Err(ScaleError::Buffer(FrameError::ShortPlane { .. }))
        ));

        let mut s = I420Scaler::new(4, 4, 2, 2, f).unwrap();
        let mut dst = I420Frame { width: 0, height: 0, data: Vec::new() };
        let data = [0u8; 12];
        let small = I420Planes::packed(2, 4, &data).unwrap();
        assert!(matches!(s.scale(&small, &mut dst), Err(ScaleError::SizeMismatch { .. })));
        let bad = I420Planes { width: 4, height: 4, y: &data, u: &data, v: &data, y_stride: 4, uv_stride: 2 };
        assert!(matches!(s.scale(&bad, &mut dst), Err(ScaleError::Buffer(_))));

        let mut s = RgbaScaler::new(2, 2, 1, 1, f).unwrap();
        assert!(matches!(s.scale(&[0; 15], 8, &mut [0; 4], 4), Err(ScaleError::Buffer(_))));
    }

    #[test]
    fn i420_scales_planes_with_their_own_tables() {
        let (w, h) = (16u32, 8u32);
        let y = gradient(16, 8);
        let u = vec![90u8; 32];
        let v = gradient(8, 4);
        let src = I420Planes { width: w, height: h, y: &y, u: &u, v: &v, y_stride: 16, uv_stride: 8 };
        let mut s = I420Scaler::new(w, h, 12, 6, Filter::Lanczos3).unwrap();
        let mut dst = I420Frame { width: 0, height: 0, data: Vec::new() };
        s.scale(&src, &mut dst).unwrap();
        assert_eq!((dst.width, dst.height, dst.data.len()), (12, 6, i420_size(12, 6)));
        let mut ly = vec![0; 72];
        Scaler::new(16, 8, 12, 6, Filter::Lanczos3).unwrap().scale_plane(&y, 16, &mut ly, 12).unwrap();
        let mut lv = vec![0; 18];
        Scaler::new(8, 4, 6, 3, Filter::Lanczos3).unwrap().scale_plane(&v, 8, &mut lv, 6).unwrap();
        assert_eq!(&dst.data[..72], &ly[..]);
        assert!(dst.data[72..90].iter().all(|&c| c == 90));
        assert_eq!(&dst.data[90..], &lv[..]);
    }

    #[test]
    fn rgba_keeps_premultiplied_pixels_valid() {
        // Opaque white next to transparent: no dark or coloured fringe, and
        // colour never exceeds alpha.
        let mut src = Vec::new();
        for x in 0..8 {
            src.extend_from_slice(if x < 4 { &[255, 255, 255, 255] } else { &[0, 0, 0, 0] });
        }
        let src: Vec<u8> = src.iter().copied().cycle().take(8 * 4 * 2).collect();
        let mut s = RgbaScaler::new(8, 2, 13, 3, Filter::Lanczos3).unwrap();
        let mut out = vec![0; 13 * 4 * 3];
        s.scale(&src, 32, &mut out, 52).unwrap();
        for px in out.chunks_exact(4) {
            assert!(px[0] == px[1] && px[1] == px[2] && px[2] <= px[3], "{px:?}");
        }
        let mut p = [200, 100, 0, 128, 9, 9, 9, 0];
        premultiply_alpha(&mut p);
        assert_eq!(p, [100, 50, 0, 128, 0, 0, 0, 0]);
        unpremultiply_alpha(&mut p);
        assert_eq!(p, [199, 100, 0, 128, 0, 0, 0, 0]);
    }

    #[test]
    fn rgba_channels_match_the_plane_scaler() {
        let (w, h) = (23, 11);
        let planes: Vec<Vec<u8>> =
            (0..4).map(|c| (0..w * h).map(|i| ((i * (c + 3) * 5) % 256) as u8).collect()).collect();
        // Alpha 255 so that the premultiplied clamp does nothing.
        let rgba: Vec<u8> = (0..w * h).flat_map(|i| [planes[0][i], planes[1][i], planes[2][i], 255]).collect();
        let mut s = RgbaScaler::with_crop(
            w as u32,
            h as u32,
            Rect { x: 2, y: 1, width: 19, height: 9 },
            31,
            7,
            Filter::Lanczos3,
        )
        .unwrap();
        let mut out = vec![0; 31 * 7 * 4];
        s.scale(&rgba, w * 4, &mut out, 31 * 4).unwrap();
        for c in 0..3 {
            let mut p = Scaler::with_crop(
                w as u32,
                h as u32,
                Rect { x: 2, y: 1, width: 19, height: 9 },
                31,
                7,
                Filter::Lanczos3,
            )
            .unwrap();
            let mut o = vec![0; 31 * 7];
            p.scale_plane(&planes[c], w, &mut o, 31).unwrap();
            let got: Vec<u8> = out.chunks_exact(4).map(|px| px[c]).collect();
            assert_eq!(got, o, "channel {c}");
        }
    }
}

/// Timings in wasm, printed to the console: `wasm-pack test --node
/// --release` (add `RUSTFLAGS="-C target-feature=+simd128"` for the SIMD
/// kernels).
#[cfg(all(test, target_arch = "wasm32"))]
mod wasm_timing {
    use super::*;
    use crate::video::color::{rgb_to_i420, RgbOrder};

    fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
        f();
        let mut t: Vec<f64> = (0..runs)
            .map(|_| {
                let start = crate::time::perf_now_ms();
                f();
                crate::time::perf_now_ms() - start
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t[runs / 2]
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    fn frame_prep_1080p_to_720p() {
        let (sw, sh, dw, dh) = (1920u32, 1080u32, 1280u32, 720u32);
        let rgba: Vec<u8> = (0..(sw * sh) as usize)
            .flat_map(|i| [(i % 1920) as u8, (i / 1920) as u8, (i * 7 % 251) as u8, 255])
            .collect();
        let mut i420 = Vec::new();
        let convert =
            median_ms(15, || rgb_to_i420(&rgba, sw, sh, sw as usize * 4, RgbOrder::Rgba, &mut i420).unwrap_or(()));
        let src = I420Planes::packed(sw, sh, &i420).unwrap();
        let mut out = I420Frame { width: 0, height: 0, data: Vec::new() };
        let mut times = Vec::new();
        for filter in [Filter::Lanczos3, Filter::Bilinear] {
            let mut s = I420Scaler::new(sw, sh, dw, dh, filter).unwrap();
            times.push(median_ms(15, || s.scale(&src, &mut out).unwrap()));
        }
        let simd = cfg!(target_feature = "simd128");
        web_sys::console::log_1(
            &format!(
                "wasm (simd128: {simd}), median of 15: RGBA->I420 1080p {convert:.2} ms; I420 1080p->720p Lanczos3 {:.2} ms, Bilinear {:.2} ms",
                times[0], times[1]
            )
            .into(),
        );
    }
}

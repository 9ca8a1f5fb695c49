//! Watermarks: a PNG decoded once into premultiplied RGBA ([`Watermark`]),
//! and its alpha blending into I420 frames ([`Overlay`]).
//!
//! # Blending
//! With `o` the opacity (0..=1), `a` a pixel's alpha and `r, g, b` its
//! premultiplied colour (all 0..=1), the watermark's premultiplied
//! Y'CbCr in the frame's colour space is
//! `Py = y0 a + ys E`, `Pu = 128 a + cs (b - E) / (2 (1 - Kb))`,
//! `Pv = 128 a + cs (r - E) / (2 (1 - Kr))` with `E = Kr r + Kg g + Kb b`
//! (`y0, ys, cs` = 16, 219, 224 limited or 0, 255, 255 full range): that
//! is `a` times the Y'CbCr of the straight colour, since the conversion is
//! affine. Then
//! - luma, per pixel: `Y = Yb (1 - o a) + o Py`;
//! - chroma, per 2x2 block, with `c = o (a1 + a2 + a3 + a4) / 4` the mean
//!   coverage (pixels outside the watermark count as 0):
//!   `U = Ub (1 - c) + o (Pu1 + Pu2 + Pu3 + Pu4) / 4`, V likewise. The
//!   second term is `c` times the coverage-weighted mean watermark chroma,
//!   so a block the watermark only partly covers (an edge, an odd
//!   position) gets partly blended chroma and no fringe of another colour.
//!
//! [`Overlay::new`] computes the weights `o a`, `c` and the `o P` terms
//! once, in 16-bit fixed point; [`Overlay::apply`] is then one multiply-add
//! per sample: `(B (65536 - w) + P + 32768) >> 16`. Results are within
//! ±1 code value of the same formula in `f64` (the tests measure it).

#[cfg(feature = "images")]
use std::collections::HashMap;
use std::fmt;
#[cfg(feature = "images")]
use std::io::Cursor;

use super::premultiply_alpha;
use crate::error::{Coded, ErrorCode};
use crate::frame::{i420_size, I420Frame, Size};
#[cfg(feature = "images")]
use crate::preset::{Preset, WatermarkPreset};
use crate::video::color::{ColorSpace, Range};

/// Largest watermark width or height accepted from a PNG, in pixels.
pub const MAX_WATERMARK_SIDE: u32 = 4096;

/// Most bytes the PNG decoder may allocate for its own buffers and
/// metadata chunks (the decoded picture, at most
/// `MAX_WATERMARK_SIDE² x 4` bytes, is bounded by the side limit).
pub const MAX_DECODER_BYTES: usize = 16 << 20;

/// Why a watermark image cannot be used. Not recoverable with the same
/// input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatermarkError {
    /// Not a PNG, damaged (bad CRC, bad chunk, bad compressed data) or
    /// truncated. The text is the decoder's.
    Corrupt(String),
    /// Wider or taller than `max` ([`MAX_WATERMARK_SIDE`]), or empty.
    TooLarge {
        /// The image width, in pixels.
        width: u32,
        /// The image height, in pixels.
        height: u32,
        /// The largest side allowed, in pixels.
        max: u32,
    },
    /// The decoder would need more than `limit` bytes of working memory
    /// (e.g. huge metadata chunks).
    LimitExceeded {
        /// The decoder's memory limit, in bytes
        /// ([`MAX_DECODER_BYTES`]).
        limit: usize,
    },
    /// A PNG feature this decoder cannot turn into 8-bit RGBA.
    Unsupported(String),
    /// An RGBA buffer's length does not match its size.
    BadLength {
        /// The stated width, in pixels.
        width: u32,
        /// The stated height, in pixels.
        height: u32,
        /// The length that size needs, in bytes (`width * height * 4`).
        expected: usize,
        /// The buffer's length, in bytes.
        got: usize,
    },
    /// [`Overlay::apply`] got a frame of another size than it was built for.
    FrameMismatch {
        /// The frame size the overlay was built for, in pixels.
        expected: Size,
        /// The size of the frame given, in pixels.
        got: Size,
    },
}

impl fmt::Display for WatermarkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatermarkError::Corrupt(e) => write!(f, "watermark PNG is corrupt or truncated: {e}"),
            WatermarkError::TooLarge { width, height, max } => {
                write!(f, "watermark must be between 1x1 and {max}x{max} pixels, got {width}x{height}")
            }
            WatermarkError::LimitExceeded { limit } => {
                write!(f, "watermark PNG needs more than {limit} bytes to decode")
            }
            WatermarkError::Unsupported(what) => write!(f, "watermark PNG uses an unsupported feature: {what}"),
            WatermarkError::BadLength { width, height, expected, got } => {
                write!(f, "watermark RGBA of {width}x{height} must be {expected} bytes, got {got}")
            }
            WatermarkError::FrameMismatch { expected, got } => {
                write!(f, "watermark overlay was built for {expected} frames, got {got}")
            }
        }
    }
}

impl std::error::Error for WatermarkError {}

impl Coded for WatermarkError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidWatermark
    }
}

/// Why images given for a preset's watermark slots were refused. The
/// field is `watermarks.{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatermarkImagesError {
    /// The image for slot `slot` does not decode or is too large.
    Image {
        /// The slot's `presetWatermarkId`.
        slot: String,
        /// Why the image was refused.
        error: WatermarkError,
    },
    /// An image names `id`, which is none of the preset's `slots`.
    NoSlot {
        /// The id the image was given under.
        id: String,
        /// The preset's slot ids.
        slots: Vec<String>,
    },
}

impl fmt::Display for WatermarkImagesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatermarkImagesError::Image { slot, error } => write!(f, "watermarks.{slot}: {error}"),
            WatermarkImagesError::NoSlot { id, slots } => {
                let have = if slots.is_empty() { "none".to_owned() } else { slots.join(", ") };
                write!(f, "watermarks.{id}: the preset has no watermark slot \"{id}\" (its slots: {have})")
            }
        }
    }
}

impl std::error::Error for WatermarkImagesError {}

impl Coded for WatermarkImagesError {
    fn code(&self) -> ErrorCode {
        match self {
            WatermarkImagesError::Image { .. } => ErrorCode::InvalidWatermark,
            WatermarkImagesError::NoSlot { .. } => ErrorCode::InvalidConfig,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            WatermarkImagesError::Image { slot: id, .. } | WatermarkImagesError::NoSlot { id, .. } => {
                Some(format!("watermarks.{id}"))
            }
        }
    }
}

/// Decodes PNG images (by slot id) for `preset`'s watermark slots; slots
/// without an image are skipped, an image for no slot is refused.
#[cfg(feature = "images")]
pub fn attach_images(
    preset: &Preset,
    mut images: HashMap<String, Vec<u8>>,
) -> Result<Vec<(WatermarkPreset, Watermark)>, WatermarkImagesError> {
    let mut out = Vec::new();
    for slot in &preset.watermarks {
        if let Some(png) = images.remove(&slot.id) {
            let image = Watermark::from_png(&png)
                .map_err(|error| WatermarkImagesError::Image { slot: slot.id.clone(), error })?;
            out.push((slot.clone(), image));
        }
    }
    if let Some(id) = images.into_keys().next() {
        let slots = preset.watermarks.iter().map(|w| w.id.clone()).collect();
        return Err(WatermarkImagesError::NoSlot { id, slots });
    }
    Ok(out)
}

#[cfg(feature = "images")]
fn decode_error(e: png::DecodingError) -> WatermarkError {
    match e {
        png::DecodingError::LimitsExceeded => WatermarkError::LimitExceeded { limit: MAX_DECODER_BYTES },
        png::DecodingError::Parameter(e) => WatermarkError::Unsupported(e.to_string()),
        e => WatermarkError::Corrupt(e.to_string()),
    }
}

/// A watermark image: `width` x `height` premultiplied RGBA, 8 bits per
/// channel, rows packed.
#[derive(Clone, PartialEq, Eq)]
pub struct Watermark {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl fmt::Debug for Watermark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Watermark({}x{})", self.width, self.height)
    }
}

fn check_side(width: u32, height: u32) -> Result<(), WatermarkError> {
    let ok = |s: u32| (1..=MAX_WATERMARK_SIDE).contains(&s);
    if !ok(width) || !ok(height) {
        return Err(WatermarkError::TooLarge { width, height, max: MAX_WATERMARK_SIDE });
    }
    Ok(())
}

impl Watermark {
    /// Decodes a PNG of any colour type and bit depth (palette, grey,
    /// grey + alpha, RGB, RGBA; 1 to 16 bits; `tRNS` transparency;
    /// interlaced or not; for APNG the default image). Untrusted input:
    /// the size is checked against [`MAX_WATERMARK_SIDE`] before the
    /// picture is allocated, the decoder's own memory is capped at
    /// [`MAX_DECODER_BYTES`], and bad data gives an error, never a panic.
    /// Cargo feature `images`.
    #[cfg(feature = "images")]
    pub fn from_png(bytes: &[u8]) -> Result<Watermark, WatermarkError> {
        let limits = png::Limits { bytes: MAX_DECODER_BYTES };
        let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        // The header alone first, so that a huge size is refused before
        // the decoder sizes its row buffers from it.
        let (width, height) = decoder.read_header_info().map_err(decode_error)?.size();
        check_side(width, height)?;
        let mut reader = decoder.read_info().map_err(decode_error)?;
        let (color, depth) = reader.output_color_type();
        if depth != png::BitDepth::Eight {
            return Err(WatermarkError::Unsupported(format!("{depth:?} bit output")));
        }
        let unsupported = || WatermarkError::Unsupported(format!("{color:?} output"));
        let len = reader.output_buffer_size().ok_or_else(unsupported)?;
        let mut buf = vec![0; len];
        let frame = reader.next_frame(&mut buf).map_err(decode_error)?;
        let (w, h) = (width as usize, height as usize);
        let channels = match color {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => return Err(unsupported()),
        };
        let line = frame.line_size;
        if line < w * channels || buf.len() < line * h {
            return Err(WatermarkError::Corrupt(format!(
                "decoded rows of {line} bytes for {w} pixels of {channels} channels"
            )));
        }
        let rgba = if channels == 4 && line == w * 4 {
            buf.truncate(w * h * 4);
            buf
        } else {
            let mut rgba = Vec::with_capacity(w * h * 4);
            for row in buf.chunks_exact(line).take(h) {
                for px in row[..w * channels].chunks_exact(channels) {
                    rgba.extend_from_slice(&match *px {
                        [g] => [g, g, g, 255],
                        [g, a] => [g, g, g, a],
                        [r, g, b] => [r, g, b, 255],
                        [r, g, b, a] => [r, g, b, a],
                        _ => [0; 4],
                    });
                }
            }
            rgba
        };
        Watermark::from_rgba(width, height, rgba)
    }

    /// A watermark from straight (not premultiplied) RGBA, rows packed
    /// (`width * height * 4` bytes), e.g. canvas `ImageData`.
    pub fn from_rgba(width: u32, height: u32, mut rgba: Vec<u8>) -> Result<Watermark, WatermarkError> {
        check_side(width, height)?;
        let expected = width as usize * height as usize * 4;
        if rgba.len() != expected {
            return Err(WatermarkError::BadLength { width, height, expected, got: rgba.len() });
        }
        premultiply_alpha(&mut rgba);
        Ok(Watermark { width, height, rgba })
    }

    /// Size in pixels.
    pub fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }

    /// The pixels: premultiplied RGBA, `width * 4` bytes per row.
    pub fn premultiplied(&self) -> &[u8] {
        &self.rgba
    }
}

/// Fixed-point scale of the blend weights: 1.0 is `ONE`.
const SHIFT: u32 = 16;
const ONE: u32 = 1 << SHIFT;

/// `x * ONE`, rounded, clamped to `0..=max * ONE`.
fn fixed(x: f64, max: f64) -> u32 {
    (x.clamp(0.0, max) * ONE as f64).round() as u32
}

/// `(b (1 - w) + p)` in fixed point, rounded and clamped to a byte.
#[inline]
fn mix(b: u8, [w, p]: [u32; 2]) -> u8 {
    ((u32::from(b) * (ONE - w) + p + ONE / 2) >> SHIFT).min(255) as u8
}

/// Premultiplied Y'CbCr of premultiplied RGBA in a colour space, in code
/// values (the formula of the module documentation).
#[derive(Debug, Clone, Copy)]
struct PremultipliedYuv {
    kr: f64,
    kb: f64,
    y0: f64,
    ys: f64,
    cs: f64,
}

impl PremultipliedYuv {
    fn new(space: ColorSpace) -> Self {
        let (kr, kb) = space.luma_weights();
        let (y0, ys, cs) = match space.range {
            Range::Limited => (16.0, 219.0, 224.0),
            Range::Full => (0.0, 255.0, 255.0),
        };
        PremultipliedYuv { kr, kb, y0, ys, cs }
    }

    /// `(a, Py, Pu, Pv)` of one premultiplied pixel, `a` in 0..=1.
    fn pixel(&self, px: &[u8]) -> (f64, f64, f64, f64) {
        let [r, g, b, a] = [px[0], px[1], px[2], px[3]].map(|c| f64::from(c) / 255.0);
        let e = self.kr * r + (1.0 - self.kr - self.kb) * g + self.kb * b;
        let py = self.y0 * a + self.ys * e;
        let pu = 128.0 * a + self.cs * (b - e) / (2.0 * (1.0 - self.kb));
        let pv = 128.0 * a + self.cs * (r - e) / (2.0 * (1.0 - self.kr));
        (a, py, pu, pv)
    }
}

/// A premultiplied RGBA image prepared for blending at one position into
/// I420 frames of one size, with one opacity, in one colour space. Built
/// once (it holds the per-sample weights); [`Overlay::apply`] allocates
/// nothing.
#[derive(Debug, Clone)]
pub struct Overlay {
    frame: Size,
    /// Visible luma rectangle in the frame: x, y, width, height.
    luma_rect: [usize; 4],
    /// Per visible pixel: watermark weight `o a` and `o Py`, fixed point.
    luma: Vec<[u32; 2]>,
    /// Chroma blocks touched, in chroma samples: x, y, width, height.
    chroma_rect: [usize; 4],
    /// Per block: weight `c`, then `o mean(Pu)` and `o mean(Pv)`.
    chroma: Vec<[u32; 3]>,
}

impl Overlay {
    /// Prepares the `width` x `height` premultiplied RGBA `image` (`stride`
    /// bytes per row) with its top-left corner at (`x`, `y`) in frames of
    /// `frame` pixels (even sides), at `opacity` 0 (invisible) to 100
    /// (the image's own alpha), in `space`. Parts outside the frame are
    /// clipped; odd positions are fine.
    #[allow(clippy::too_many_arguments)] // The image, its geometry and placement, as the JS API passes them.
    pub fn new(
        image: &[u8],
        width: u32,
        height: u32,
        stride: usize,
        x: i64,
        y: i64,
        opacity: f64,
        space: ColorSpace,
        frame: Size,
    ) -> Result<Overlay, WatermarkError> {
        let (w, h) = (width as usize, height as usize);
        let row = w.saturating_mul(4);
        let expected = if h == 0 { 0 } else { stride.saturating_mul(h - 1).saturating_add(row) };
        if stride < row || image.len() < expected {
            return Err(WatermarkError::BadLength { width, height, expected, got: image.len() });
        }
        let o = if opacity.is_nan() { 0.0 } else { opacity.clamp(0.0, 100.0) / 100.0 };
        let span = |pos: i64, len: u32, extent: u32| {
            let start = pos.clamp(0, extent as i64);
            let end = (pos + len as i64).clamp(start, extent as i64);
            (start as usize, (end - start) as usize)
        };
        let (x0, vw) = span(x, width, frame.width);
        let (y0, vh) = span(y, height, frame.height);
        let conv = PremultipliedYuv::new(space);
        let mut luma = Vec::with_capacity(vw * vh);
        // Chroma blocks touched and their running sums (a, Pu, Pv).
        let (cx0, cy0) = (x0 / 2, y0 / 2);
        let (cw, ch) =
            if vw == 0 || vh == 0 { (0, 0) } else { ((x0 + vw).div_ceil(2) - cx0, (y0 + vh).div_ceil(2) - cy0) };
        let mut sums = vec![[0f64; 3]; cw * ch];
        for fy in y0..y0 + vh {
            let row = &image[(fy as i64 - y) as usize * stride..];
            for fx in x0..x0 + vw {
                let (a, py, pu, pv) = conv.pixel(&row[(fx as i64 - x) as usize * 4..]);
                luma.push([fixed(o * a, 1.0), fixed(o * py, 255.0)]);
                let s = &mut sums[(fy / 2 - cy0) * cw + fx / 2 - cx0];
                s[0] += a;
                s[1] += pu;
                s[2] += pv;
            }
        }
        let chroma = sums
            .iter()
            .map(|s| [fixed(o * s[0] / 4.0, 1.0), fixed(o * s[1] / 4.0, 255.0), fixed(o * s[2] / 4.0, 255.0)])
            .collect();
        Ok(Overlay { frame, luma_rect: [x0, y0, vw, vh], luma, chroma_rect: [cx0, cy0, cw, ch], chroma })
    }

    /// Nothing of the image is inside the frame.
    pub fn is_empty(&self) -> bool {
        self.luma.is_empty()
    }

    /// Blends the image into `frame`, which must be the size given to
    /// [`Overlay::new`].
    pub fn apply(&self, frame: &mut I420Frame) -> Result<(), WatermarkError> {
        let got = Size::new(frame.width, frame.height);
        if got != self.frame
            || frame.data.len() < i420_size(got.width, got.height)
            || got.width % 2 != 0
            || got.height % 2 != 0
        {
            return Err(WatermarkError::FrameMismatch { expected: self.frame, got });
        }
        if self.is_empty() {
            return Ok(());
        }
        let (fw, fh) = (got.width as usize, got.height as usize);
        let (y_plane, chroma) = frame.data.split_at_mut(fw * fh);
        let (u_plane, v_plane) = chroma.split_at_mut(fw * fh / 4);
        let [x0, y0, w, _] = self.luma_rect;
        for (row, weights) in self.luma.chunks_exact(w).enumerate() {
            let line = &mut y_plane[(y0 + row) * fw + x0..][..w];
            for (p, &wp) in line.iter_mut().zip(weights) {
                *p = mix(*p, wp);
            }
        }
        let [cx0, cy0, cw, _] = self.chroma_rect;
        for (row, weights) in self.chroma.chunks_exact(cw).enumerate() {
            let start = (cy0 + row) * (fw / 2) + cx0;
            let (us, vs) = (&mut u_plane[start..][..cw], &mut v_plane[start..][..cw]);
            for ((u, v), &[wc, pu, pv]) in us.iter_mut().zip(vs.iter_mut()).zip(weights) {
                *u = mix(*u, [wc, pu]);
                *v = mix(*v, [wc, pv]);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::color::Matrix;
    use crate::xorshift::XorShift;

    fn encode_png(width: u32, height: u32, color: png::ColorType, depth: png::BitDepth, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(color);
        enc.set_depth(depth);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(data).unwrap();
        w.finish().unwrap();
        out
    }

    #[test]
    fn decodes_every_colour_type_to_premultiplied_rgba() {
        use png::{BitDepth as D, ColorType as C};
        let rgba =
            Watermark::from_png(&encode_png(2, 1, C::Rgba, D::Eight, &[255, 0, 0, 255, 200, 100, 50, 128])).unwrap();
        assert_eq!(rgba.premultiplied(), &[255, 0, 0, 255, 100, 50, 25, 128]);
        let rgb = Watermark::from_png(&encode_png(1, 1, C::Rgb, D::Eight, &[1, 2, 3])).unwrap();
        assert_eq!(rgb.premultiplied(), &[1, 2, 3, 255]);
        let gray = Watermark::from_png(&encode_png(2, 1, C::Grayscale, D::Eight, &[7, 9])).unwrap();
        assert_eq!(gray.premultiplied(), &[7, 7, 7, 255, 9, 9, 9, 255]);
        let ga = Watermark::from_png(&encode_png(1, 1, C::GrayscaleAlpha, D::Eight, &[255, 0])).unwrap();
        assert_eq!(ga.premultiplied(), &[0, 0, 0, 0]);
        // 16-bit RGBA is stripped to its high bytes.
        let deep =
            Watermark::from_png(&encode_png(1, 1, C::Rgba, D::Sixteen, &[0x12, 0x34, 0, 0, 0xFF, 0, 0xFF, 0xFF]))
                .unwrap();
        assert_eq!(deep.premultiplied(), &[0x12, 0, 0xFF, 0xFF]);
        // 1-bit grey: 0b1010_0000 is white, black, white, black.
        let bits = Watermark::from_png(&encode_png(4, 1, C::Grayscale, D::One, &[0b1010_0000])).unwrap();
        assert_eq!(bits.premultiplied().chunks(4).map(|p| p[0]).collect::<Vec<_>>(), [255, 0, 255, 0]);
        // Palette with tRNS.
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, 2, 1);
        enc.set_color(C::Indexed);
        enc.set_depth(D::Eight);
        enc.set_palette(vec![10, 20, 30, 40, 50, 60]);
        enc.set_trns(vec![255, 0]);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[0, 1]).unwrap();
        w.finish().unwrap();
        assert_eq!(Watermark::from_png(&out).unwrap().premultiplied(), &[10, 20, 30, 255, 0, 0, 0, 0]);
    }

    #[test]
    fn mutated_pngs_never_panic() {
        let mut rng = XorShift::new(0x5EED);
        let pixels: Vec<u8> = (0..16 * 12 * 4).map(|_| rng.next_u64() as u8).collect();
        let base = encode_png(16, 12, png::ColorType::Rgba, png::BitDepth::Eight, &pixels);
        let (mut ok, mut errors) = (0, 0);
        for _ in 0..3000 {
            let mut bytes = base.clone();
            for _ in 0..1 + rng.below(6) {
                match rng.below(4) {
                    0 => bytes.truncate(rng.below(bytes.len() + 1)),
                    1 if !bytes.is_empty() => {
                        let i = rng.below(bytes.len());
                        bytes[i] = rng.next_u64() as u8;
                    }
                    2 => {
                        let i = rng.below(bytes.len() + 1);
                        bytes.insert(i, rng.next_u64() as u8);
                    }
                    _ if !bytes.is_empty() => {
                        let i = rng.below(bytes.len());
                        bytes[i] ^= 1 << rng.below(8);
                    }
                    _ => {}
                }
            }
            match Watermark::from_png(&bytes) {
                Ok(w) => {
                    assert!(w.size().width <= MAX_WATERMARK_SIDE && w.size().height <= MAX_WATERMARK_SIDE);
                    assert_eq!(w.premultiplied().len(), w.size().width as usize * w.size().height as usize * 4);
                    ok += 1;
                }
                Err(_) => errors += 1,
            }
        }
        assert!(errors > 0 && ok + errors == 3000);
    }

    /// The blend of the module documentation in `f64`.
    #[allow(clippy::too_many_arguments)] // Test reference: mirrors the arguments of `new`.
    fn reference(
        base: &I420Frame,
        img: &[u8],
        w: usize,
        h: usize,
        x: i64,
        y: i64,
        opacity: f64,
        space: ColorSpace,
    ) -> I420Frame {
        let conv = PremultipliedYuv::new(space);
        let o = opacity / 100.0;
        let (fw, fh) = (base.width as usize, base.height as usize);
        let mut out = base.clone();
        let px = |fx: usize, fy: usize| {
            let (ix, iy) = (fx as i64 - x, fy as i64 - y);
            if ix < 0 || iy < 0 || ix >= w as i64 || iy >= h as i64 {
                return (0.0, 0.0, 0.0, 0.0);
            }
            conv.pixel(&img[(iy as usize * w + ix as usize) * 4..])
        };
        let round = |v: f64| v.round().clamp(0.0, 255.0) as u8;
        for fy in 0..fh {
            for fx in 0..fw {
                let (a, py, _, _) = px(fx, fy);
                let b = f64::from(base.data[fy * fw + fx]);
                out.data[fy * fw + fx] = round(b * (1.0 - o * a) + o * py);
            }
        }
        let cs = fw * fh / 4;
        for cy in 0..fh / 2 {
            for cx in 0..fw / 2 {
                let (mut sa, mut su, mut sv) = (0.0, 0.0, 0.0);
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let (a, _, pu, pv) = px(2 * cx + dx, 2 * cy + dy);
                    (sa, su, sv) = (sa + a, su + pu, sv + pv);
                }
                let c = o * sa / 4.0;
                let i = fw * fh + cy * fw / 2 + cx;
                out.data[i] = round(f64::from(base.data[i]) * (1.0 - c) + o * su / 4.0);
                out.data[i + cs] = round(f64::from(base.data[i + cs]) * (1.0 - c) + o * sv / 4.0);
            }
        }
        out
    }

    #[test]
    fn blend_is_within_one_of_the_float_formula() {
        let mut rng = XorShift::new(42);
        let mut worst = 0;
        let mut exact = 0usize;
        let mut total = 0usize;
        for case in 0..300 {
            let (fw, fh) = (2 * (1 + rng.below(12)) as u32, 2 * (1 + rng.below(12)) as u32);
            let (w, h) = (1 + rng.below(15), 1 + rng.below(15));
            let (x, y) = (rng.below(30) as i64 - 10, rng.below(30) as i64 - 10);
            let opacity = if case % 10 == 0 { 100.0 } else { rng.below(10001) as f64 / 100.0 };
            let space = ColorSpace {
                matrix: *rng.pick(&[Matrix::Bt601, Matrix::Bt709]),
                range: *rng.pick(&[Range::Limited, Range::Full]),
            };
            let mut img: Vec<u8> = (0..w * h * 4).map(|_| rng.next_u64() as u8).collect();
            for px in img.chunks_exact_mut(4) {
                px[3] = *rng.pick(&[0, 255, px[3]]);
            }
            premultiply_alpha(&mut img);
            let base = I420Frame {
                width: fw,
                height: fh,
                data: (0..i420_size(fw, fh)).map(|_| rng.next_u64() as u8).collect(),
            };
            let overlay =
                Overlay::new(&img, w as u32, h as u32, w * 4, x, y, opacity, space, Size::new(fw, fh)).unwrap();
            let mut got = base.clone();
            overlay.apply(&mut got).unwrap();
            let want = reference(&base, &img, w, h, x, y, opacity, space);
            for (g, r) in got.data.iter().zip(&want.data) {
                let d = (i32::from(*g) - i32::from(*r)).abs();
                worst = worst.max(d);
                exact += usize::from(d == 0);
                total += 1;
            }
        }
        println!("watermark blend vs f64: max error {worst}, {exact} of {total} samples exact");
        assert!(worst <= 1, "max error {worst}");
    }

    #[test]
    fn opaque_watermark_at_odd_x_half_blends_only_the_straddling_chroma() {
        let space = ColorSpace::default();
        let (fw, fh) = (16u32, 8u32);
        let base = I420Frame { width: fw, height: fh, data: vec![128; i420_size(fw, fh)] };
        // Opaque red, 4x4 at (5, 2): columns 5..9, rows 2..6.
        let img = [255, 0, 0, 255].repeat(16);
        let mut f = base.clone();
        Overlay::new(&img, 4, 4, 16, 5, 2, 100.0, space, Size::new(fw, fh)).unwrap().apply(&mut f).unwrap();
        let (_, _, pu, pv) = PremultipliedYuv::new(space).pixel(&[255, 0, 0, 255]);
        let (red_u, red_v) = (pu.round() as u8, pv.round() as u8);
        let (half_u, half_v) = (((128.0 + pu) / 2.0).round() as u8, ((128.0 + pv) / 2.0).round() as u8);
        assert_eq!((red_u, red_v), (90, 240));
        let u = &f.data[(fw * fh) as usize..][..(fw * fh / 4) as usize];
        let v = &f.data[(fw * fh * 5 / 4) as usize..][..(fw * fh / 4) as usize];
        for cy in 0..4 {
            for cx in 0..8 {
                let inside_rows = (1..3).contains(&cy);
                let want = match cx {
                    2 | 4 if inside_rows => (half_u, half_v),
                    3 if inside_rows => (red_u, red_v),
                    _ => (128, 128),
                };
                assert_eq!((u[cy * 8 + cx], v[cy * 8 + cx]), want, "block ({cx}, {cy})");
            }
        }
        // Luma: exactly the 4x4 square.
        for fy in 0..8 {
            for fx in 0..16 {
                let inside = (5..9).contains(&fx) && (2..6).contains(&fy);
                assert_eq!(f.data[fy * 16 + fx], if inside { 81 } else { 128 }, "({fx}, {fy})");
            }
        }
        // At odd y as well, the corner blocks get a quarter.
        let mut f = base.clone();
        Overlay::new(&img, 4, 4, 16, 5, 3, 100.0, space, Size::new(fw, fh)).unwrap().apply(&mut f).unwrap();
        let quarter_u = ((3.0 * 128.0 + pu) / 4.0).round() as u8;
        assert_eq!(f.data[128 + 8 + 2], quarter_u);
        assert_eq!(f.data[128 + 2 * 8 + 3], red_u);
        assert_eq!(f.data[128 + 8 + 3], half_u);
        assert_eq!(f.data[128 + 2 * 8 + 2], half_u);
    }

    #[test]
    fn overlay_outside_or_on_wrong_frame() {
        let img = [255u8; 16];
        let o = Overlay::new(&img, 2, 2, 8, 100, -50, 100.0, ColorSpace::default(), Size::new(8, 8)).unwrap();
        assert!(o.is_empty());
        let mut f = I420Frame { width: 8, height: 8, data: vec![7; i420_size(8, 8)] };
        o.apply(&mut f).unwrap();
        assert!(f.data.iter().all(|&b| b == 7));
        let mut small = I420Frame { width: 4, height: 4, data: vec![0; i420_size(4, 4)] };
        assert!(matches!(o.apply(&mut small), Err(WatermarkError::FrameMismatch { .. })));
        assert!(matches!(
            Overlay::new(&img[..15], 2, 2, 8, 0, 0, 100.0, ColorSpace::default(), Size::new(8, 8)),
            Err(WatermarkError::BadLength { .. })
        ));
    }
}

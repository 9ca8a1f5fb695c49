//! Thumbnails: every `interval` seconds of a stream, one frame scaled to a
//! [`ThumbnailPreset`]'s geometry and encoded as JPEG or PNG.
//!
//! [`ThumbnailMaker`] is built once per stream. [`ThumbnailMaker::due`]
//! decides from a frame's timestamp whether it should become a thumbnail;
//! [`ThumbnailMaker::make`] crops and scales it (Lanczos3, one reused
//! [`I420Scaler`]), converts it to RGB with [`i420_to_rgb`], pads it with
//! black when the preset says `Pad`, and encodes it:
//!
//! - JPEG: baseline, quality 85, JFIF (full-range BT.601 YCbCr, what every
//!   decoder assumes), no density, and no chroma subsampling (4:4:4): at
//!   thumbnail sizes a 2x2 chroma block is a visible share of the picture.
//!   On 192x108 colour bars 4:4:4 decodes (ffmpeg) at 41.6 dB PSNR against
//!   the RGB that was encoded, 4:2:0 at 29.8 dB, for 3.7 KB instead of
//!   2.6 KB.
//! - PNG: 8-bit RGB, lossless.
//!
//! Plain Rust, no JS; the buffers (scaled frame, RGB picture) are kept and
//! reused from one thumbnail to the next.

use std::fmt;

use super::scale::{Filter, I420Scaler, ScaleError};
use crate::frame::{FrameError, I420Frame, I420Planes, Size};
use crate::preset::{Geometry, GeometryError, ImageFormat, ThumbnailPreset};
use crate::video::color::{i420_to_rgb, ColorSpace};

/// JPEG quality (1 to 100) of thumbnails.
pub const JPEG_QUALITY: u8 = 85;

/// Why a thumbnail maker cannot be built or a thumbnail cannot be made.
/// Construction errors are not recoverable for that preset and source; a
/// [`ThumbnailError::Frame`] or [`ThumbnailError::SizeMismatch`] concerns
/// one frame only, and the maker can go on with the next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThumbnailError {
    /// The preset's `interval` is zero (it must be at least 1 second).
    BadInterval(u32),
    /// The preset gives no geometry for this source (an empty source or
    /// box).
    Geometry(GeometryError),
    /// The geometry cannot be scaled (an odd source size, which I420 does
    /// not allow, or a side beyond the scaler's maximum).
    Scale(ScaleError),
    /// A frame is not the source size the maker was built for.
    SizeMismatch {
        /// The source size the maker was built for, in pixels.
        expected: Size,
        /// The frame's size, in pixels.
        got: Size,
    },
    /// A frame's planes are too short or their strides too small.
    Frame(FrameError),
    /// The image encoder failed; `reason` is its message.
    Encode {
        /// The image format being written.
        format: ImageFormat,
        /// The encoder's message.
        reason: String,
    },
}

impl fmt::Display for ThumbnailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThumbnailError::BadInterval(s) => write!(f, "thumbnails.interval must be at least 1 second, got {s}"),
            ThumbnailError::Geometry(e) => write!(f, "thumbnail geometry: {e}"),
            ThumbnailError::Scale(e) => write!(f, "thumbnail scaling: {e}"),
            ThumbnailError::SizeMismatch { expected, got } => {
                write!(f, "thumbnail source frame must be {expected}, got {got}")
            }
            ThumbnailError::Frame(e) => write!(f, "thumbnail source frame: {e}"),
            ThumbnailError::Encode { format, reason } => write!(f, "{format:?} thumbnail encoding failed: {reason}"),
        }
    }
}

impl std::error::Error for ThumbnailError {}

/// One encoded thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// JPEG or PNG, as the preset asked.
    pub format: ImageFormat,
    /// Pixels across (the geometry's frame width).
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// The image file.
    pub bytes: Vec<u8>,
}

/// Makes a stream's thumbnails: see the module documentation.
#[derive(Debug)]
pub struct ThumbnailMaker {
    format: ImageFormat,
    geometry: Geometry,
    source: Size,
    space: ColorSpace,
    interval_us: i64,
    /// Timestamp of the first frame offered to [`Self::due`].
    start_us: Option<i64>,
    /// The last slot (interval number from `start_us`) given a thumbnail.
    last_slot: Option<i64>,
    scaler: I420Scaler,
    scaled: I420Frame,
    /// The content in RGB8.
    content: Vec<u8>,
    /// The whole padded frame in RGB8 (unused without padding).
    padded: Vec<u8>,
}

impl ThumbnailMaker {
    /// A maker for `source`-sized I420 frames (as shown, i.e. after any
    /// rotation; even sides) in colour space `space`, per `preset`.
    pub fn new(preset: &ThumbnailPreset, source: Size, space: ColorSpace) -> Result<Self, ThumbnailError> {
        if preset.interval == 0 {
            return Err(ThumbnailError::BadInterval(preset.interval));
        }
        let geometry = preset.geometry(source).map_err(ThumbnailError::Geometry)?;
        let (content, crop) = (geometry.content, geometry.crop);
        let scaler =
            I420Scaler::with_crop(source.width, source.height, crop, content.width, content.height, Filter::Lanczos3)
                .map_err(ThumbnailError::Scale)?;
        Ok(ThumbnailMaker {
            format: preset.format,
            geometry,
            source,
            space,
            interval_us: i64::from(preset.interval) * 1_000_000,
            start_us: None,
            last_slot: None,
            scaler,
            scaled: I420Frame { width: 0, height: 0, data: Vec::new() },
            content: Vec::new(),
            padded: Vec::new(),
        })
    }

    /// Where the source goes in a thumbnail.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Whether the frame at `timestamp_us` (microseconds) should become a
    /// thumbnail; `true` claims its slot, so call [`Self::make`] with it.
    ///
    /// Slot `k` starts at `first + k * interval`, `first` being the
    /// timestamp of the first frame offered. The first frame of each slot
    /// is due: a thumbnail at the first frame, then at the first frame at
    /// or after each multiple of the interval, however late it comes. A
    /// slot never gets two; a gap that spans whole slots gets one
    /// thumbnail, at the first frame after it, and no catching up. Frames
    /// earlier than the last thumbnail's slot (out of order, or before the
    /// first frame) are never due.
    pub fn due(&mut self, timestamp_us: i64) -> bool {
        let start = *self.start_us.get_or_insert(timestamp_us);
        let slot = timestamp_us.saturating_sub(start).div_euclid(self.interval_us);
        if slot < 0 || self.last_slot.is_some_and(|last| slot <= last) {
            return false;
        }
        self.last_slot = Some(slot);
        true
    }

    /// Makes a thumbnail of `frame` (any strides). Does not consult the
    /// schedule: [`Self::due`] does that.
    pub fn make(&mut self, frame: &I420Planes<'_>) -> Result<Thumbnail, ThumbnailError> {
        let got = Size::new(frame.width, frame.height);
        if got != self.source {
            return Err(ThumbnailError::SizeMismatch { expected: self.source, got });
        }
        frame.validate().map_err(ThumbnailError::Frame)?;
        self.scaler.scale(frame, &mut self.scaled).map_err(ThumbnailError::Scale)?;
        i420_to_rgb(&self.scaled.planes(), self.space, &mut self.content).map_err(ThumbnailError::Frame)?;
        let Geometry { content, frame: size, offset, .. } = self.geometry;
        if content != size {
            // Black bars around the content.
            let row = size.width as usize * 3;
            self.padded.clear();
            self.padded.resize(row * size.height as usize, 0);
            let (x, y, w) = (offset.x as usize * 3, offset.y as usize, content.width as usize * 3);
            for (r, src) in self.content.chunks_exact(w).enumerate() {
                self.padded[(y + r) * row + x..][..w].copy_from_slice(src);
            }
        }
        let bytes = match self.format {
            ImageFormat::Jpg => encode_jpeg(self.rgb(), size),
            ImageFormat::Png => encode_png(self.rgb(), size),
        }
        .map_err(|reason| ThumbnailError::Encode { format: self.format, reason })?;
        Ok(Thumbnail { format: self.format, width: size.width, height: size.height, bytes })
    }

    /// The last thumbnail made, before encoding: packed RGB8, 3 bytes per
    /// pixel, the geometry's frame size (empty before the first).
    pub fn rgb(&self) -> &[u8] {
        if self.geometry.content == self.geometry.frame {
            &self.content
        } else {
            &self.padded
        }
    }
}

fn encode_jpeg(rgb: &[u8], size: Size) -> Result<Vec<u8>, String> {
    let side = |s: u32| u16::try_from(s).map_err(|_| format!("JPEG sides are at most 65535, got {size}"));
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_4_4);
    encoder
        .encode(rgb, side(size.width)?, side(size.height)?, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn encode_png(rgb: &[u8], size: Size) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, size.width, size.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preset::{Dimension, PaddingPolicy, SizingPolicy};

    fn preset(format: ImageFormat, interval: u32, w: u32, h: u32, padding: PaddingPolicy) -> ThumbnailPreset {
        ThumbnailPreset {
            format,
            interval,
            max_width: Dimension::Pixels(w),
            max_height: Dimension::Pixels(h),
            sizing_policy: SizingPolicy::Fit,
            padding_policy: padding,
        }
    }

    #[test]
    fn schedule_is_one_per_slot_from_the_first_frame() {
        let p = preset(ImageFormat::Png, 2, 64, 36, PaddingPolicy::NoPad);
        let mut m = ThumbnailMaker::new(&p, Size::new(128, 72), ColorSpace::default()).unwrap();
        let times = [
            5_000_000, 5_033_000, 6_999_999, 7_000_000, 7_000_001, 6_000_000, 12_500_000, 12_600_000, 13_100_000,
            4_000_000,
        ];
        let due: Vec<i64> = times.into_iter().filter(|&t| m.due(t)).collect();
        assert_eq!(due, [5_000_000, 7_000_000, 12_500_000, 13_100_000]);
    }

    #[test]
    fn solid_frame_makes_a_solid_padded_thumbnail() {
        let p = preset(ImageFormat::Png, 1, 64, 64, PaddingPolicy::Pad);
        let mut m = ThumbnailMaker::new(&p, Size::new(64, 32), ColorSpace::default()).unwrap();
        // Limited-range white.
        let mut data = vec![235u8; 64 * 32];
        data.resize(64 * 32 * 3 / 2, 128);
        let t = m.make(&I420Planes::packed(64, 32, &data).unwrap()).unwrap();
        assert_eq!((t.width, t.height), (64, 64));
        assert_eq!(&t.bytes[..8], b"\x89PNG\r\n\x1a\n");
        let rgb = m.rgb();
        assert_eq!(rgb.len(), 64 * 64 * 3);
        // Rows 0..16 and 48..64 black, 16..48 white.
        for (r, row) in rgb.chunks_exact(64 * 3).enumerate() {
            let want = if (16..48).contains(&r) { 255 } else { 0 };
            assert!(row.iter().all(|&c| c == want), "row {r}");
        }
    }

    #[test]
    fn bad_presets_and_frames_are_errors() {
        let space = ColorSpace::default();
        let p = preset(ImageFormat::Jpg, 0, 64, 36, PaddingPolicy::NoPad);
        assert_eq!(ThumbnailMaker::new(&p, Size::new(128, 72), space).unwrap_err(), ThumbnailError::BadInterval(0));
        let p = preset(ImageFormat::Jpg, 1, 64, 36, PaddingPolicy::NoPad);
        assert!(matches!(ThumbnailMaker::new(&p, Size::new(0, 72), space), Err(ThumbnailError::Geometry(_))));
        assert!(matches!(ThumbnailMaker::new(&p, Size::new(127, 72), space), Err(ThumbnailError::Scale(_))));
        let mut m = ThumbnailMaker::new(&p, Size::new(128, 72), space).unwrap();
        let data = vec![0u8; 64 * 36 * 3 / 2];
        let small = I420Planes::packed(64, 36, &data).unwrap();
        assert!(matches!(m.make(&small), Err(ThumbnailError::SizeMismatch { .. })));
        let short = I420Planes { width: 128, height: 72, y: &data, u: &data, v: &data, y_stride: 128, uv_stride: 64 };
        assert!(matches!(m.make(&short), Err(ThumbnailError::Frame(FrameError::ShortPlane { .. }))));
        let big = vec![0u8; 128 * 72 * 3 / 2];
        let hostile =
            I420Planes { width: 128, height: 72, y: &big, u: &big, v: &big, y_stride: usize::MAX, uv_stride: 64 };
        assert!(matches!(m.make(&hostile), Err(ThumbnailError::Frame(FrameError::ShortPlane { .. }))));
    }
}

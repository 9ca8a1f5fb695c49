//! The frame preparation pipeline: one input picture (RGBA, BGRA, I420 or
//! NV12) to one output I420 frame, as a video preset asks for it.
//!
//! Per frame, in this order: conversion to I420 (in [`PipelineOptions::color`]
//! for RGB input), rotation, crop and scale into the content size of the
//! preset's [`Geometry`] (computed from the rotated input size), placement
//! in the output frame on black bars when the preset pads, then each
//! watermark blended on top (see [`super::watermark`]).
//!
//! A [`FramePipeline`] is built once per (input size, format, preset,
//! watermarks): it computes the geometry, builds the scaler, scales each
//! watermark once to its place and allocates every buffer; then
//! [`FramePipeline::process`] allocates nothing.

use std::fmt;

use super::rotate::{rotate_i420, Rotation};
use super::scale::{Filter, I420Scaler, RgbaScaler, ScaleError, MAX_DIMENSION};
use super::watermark::{Overlay, Watermark, WatermarkError};
use crate::frame::{i420_size, FrameError, I420Frame, I420Planes, Point, Size};
use crate::preset::{watermark_placement, Geometry, GeometryError, VideoPreset, WatermarkPreset};
use crate::video::color::{nv12_to_i420, rgb_to_i420_in, ColorSpace, RgbOrder};

/// Layout of the input pictures given to [`FramePipeline::process`], with
/// `stride` its bytes per row (of the Y plane for YUV). JSON and JS:
/// `"rgba"`, `"bgra"`, `"i420"`, `"nv12"`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum InputFormat {
    /// R, G, B, A bytes per pixel (alpha ignored): canvas `ImageData`,
    /// WebCodecs `RGBA`/`RGBX`. The default.
    #[default]
    Rgba,
    /// B, G, R, A bytes per pixel (alpha ignored): WebCodecs `BGRA`/`BGRX`.
    Bgra,
    /// Y plane (`stride * height` bytes), then U and V (`stride / 2 *
    /// height / 2` bytes each), as WebCodecs `copyTo` lays out `I420`.
    I420,
    /// Y plane (`stride * height` bytes), then interleaved U, V with the
    /// same stride (`stride * height / 2` bytes).
    Nv12,
}

/// What a [`FramePipeline`] does. No defaults for the sizes and the preset;
/// the others default as their types do.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Input picture size in pixels, as stored (before rotation); even
    /// sides from 2 to [`MAX_DIMENSION`].
    pub input: Size,
    /// Input layout.
    pub format: InputFormat,
    /// Colour space of the output: RGB input and watermarks are converted
    /// into it, and padding is its black. YUV input is assumed to be in it.
    pub color: ColorSpace,
    /// Clockwise rotation applied before sizing.
    pub rotation: Rotation,
    /// Output size, sizing and padding policy (`maxWidth`, `maxHeight`,
    /// `sizingPolicy`, `paddingPolicy`; the codec settings are not used).
    pub video: VideoPreset,
    /// Resampling kernel for the picture and the watermarks.
    pub filter: Filter,
    /// Watermarks, blended in this order (later ones on top).
    pub watermarks: Vec<(WatermarkPreset, Watermark)>,
}

/// Why a pipeline cannot be built or a frame cannot be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PipelineError {
    /// The input size is zero, odd or above [`MAX_DIMENSION`], or a
    /// frame's buffer or stride does not hold it. Recoverable per frame
    /// (pass a correct buffer).
    Input(FrameError),
    /// The preset gives no geometry for this input.
    Geometry(GeometryError),
    /// The output frame would exceed [`MAX_DIMENSION`] on a side.
    FrameTooLarge(Size),
    /// The picture scaler cannot be built.
    Scale(ScaleError),
    /// A watermark cannot be scaled to its place (`id` is the preset's).
    WatermarkScale {
        /// The watermark's `id` in the preset.
        id: String,
        /// Why it cannot be scaled.
        error: ScaleError,
    },
    /// A watermark cannot be prepared or applied.
    Watermark {
        /// The watermark's `id` in the preset.
        id: String,
        /// Why it cannot be prepared or applied.
        error: WatermarkError,
    },
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Input(e) => write!(f, "pipeline input: {e}"),
            PipelineError::Geometry(e) => write!(f, "pipeline geometry: {e}"),
            PipelineError::FrameTooLarge(s) => {
                write!(f, "output frame must be at most {MAX_DIMENSION}x{MAX_DIMENSION}, got {s}")
            }
            PipelineError::Scale(e) => write!(f, "pipeline: {e}"),
            PipelineError::WatermarkScale { id, error } => write!(f, "watermark {id:?}: {error}"),
            PipelineError::Watermark { id, error } => write!(f, "watermark {id:?}: {error}"),
        }
    }
}

impl std::error::Error for PipelineError {}

impl From<FrameError> for PipelineError {
    fn from(e: FrameError) -> Self {
        PipelineError::Input(e)
    }
}

impl From<GeometryError> for PipelineError {
    fn from(e: GeometryError) -> Self {
        PipelineError::Geometry(e)
    }
}

impl From<ScaleError> for PipelineError {
    fn from(e: ScaleError) -> Self {
        PipelineError::Scale(e)
    }
}

/// An empty frame of `size` with its buffer allocated.
fn frame_of(size: Size) -> I420Frame {
    I420Frame { width: size.width, height: size.height, data: vec![0; i420_size(size.width, size.height)] }
}

/// A reusable input-to-output frame pipeline (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct FramePipeline {
    input: Size,
    format: InputFormat,
    color: ColorSpace,
    rotation: Rotation,
    geometry: Geometry,
    scaler: I420Scaler,
    /// Watermarks ready to blend, with their preset ids.
    overlays: Vec<(String, Overlay)>,
    /// The input as packed I420 (RGB and NV12 input).
    converted: Vec<u8>,
    /// The rotated input (when rotating).
    rotated: I420Frame,
    /// The scaled content (when padding).
    content: I420Frame,
    /// The output frame.
    out: I420Frame,
}

impl FramePipeline {
    /// Builds the pipeline: geometry, scalers, watermarks (each scaled once
    /// to its placement) and all buffers.
    pub fn new(options: PipelineOptions) -> Result<FramePipeline, PipelineError> {
        let PipelineOptions { input, format, color, rotation, video, filter, watermarks } = options;
        let (w, h) = (input.width, input.height);
        if w == 0 || h == 0 || w % 2 != 0 || h % 2 != 0 || w > MAX_DIMENSION || h > MAX_DIMENSION {
            return Err(FrameError::BadSize { width: w, height: h }.into());
        }
        let (rw, rh) = rotation.rotated_size(w, h);
        let geometry = video.geometry(Size::new(rw, rh))?;
        let (content, frame) = (geometry.content, geometry.frame);
        if frame.width > MAX_DIMENSION || frame.height > MAX_DIMENSION {
            return Err(PipelineError::FrameTooLarge(frame));
        }
        let scaler = I420Scaler::with_crop(rw, rh, geometry.crop, content.width, content.height, filter)?;
        let mut overlays = Vec::with_capacity(watermarks.len());
        for (preset, image) in &watermarks {
            let place = watermark_placement(&geometry, image.size(), preset);
            if !place.is_visible() || preset.opacity.is_nan() || preset.opacity <= 0.0 {
                continue;
            }
            let id = || preset.id.clone();
            let (sw, sh) = (place.size.width, place.size.height);
            let mut scaled = RgbaScaler::new(image.size().width, image.size().height, sw, sh, filter)
                .map_err(|error| PipelineError::WatermarkScale { id: id(), error })?;
            let mut pixels = vec![0; sw as usize * sh as usize * 4];
            let src_stride = image.size().width as usize * 4;
            scaled
                .scale(image.premultiplied(), src_stride, &mut pixels, sw as usize * 4)
                .map_err(|error| PipelineError::WatermarkScale { id: id(), error })?;
            let overlay =
                Overlay::new(&pixels, sw, sh, sw as usize * 4, place.x, place.y, preset.opacity, color, frame)
                    .map_err(|error| PipelineError::Watermark { id: id(), error })?;
            overlays.push((preset.id.clone(), overlay));
        }
        let empty = Size::default();
        Ok(FramePipeline {
            input,
            format,
            color,
            rotation,
            geometry,
            scaler,
            overlays,
            converted: vec![0; if format == InputFormat::I420 { 0 } else { i420_size(w, h) }],
            rotated: frame_of(if rotation == Rotation::R0 { empty } else { Size::new(rw, rh) }),
            content: frame_of(if content == frame { empty } else { content }),
            out: frame_of(frame),
        })
    }

    /// Size of the input pictures, as stored (before rotation).
    pub fn input_size(&self) -> Size {
        self.input
    }

    /// Bytes per row of a packed input picture (of its Y plane for YUV).
    pub fn packed_stride(&self) -> usize {
        match self.format {
            InputFormat::Rgba | InputFormat::Bgra => self.input.width as usize * 4,
            InputFormat::I420 | InputFormat::Nv12 => self.input.width as usize,
        }
    }

    /// Size of the frames [`FramePipeline::process`] returns.
    pub fn output_size(&self) -> Size {
        self.geometry.frame
    }

    /// The geometry used (crop, content size and offset, frame size,
    /// sample aspect ratio to signal).
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Prepares one input picture laid out as [`InputFormat`] says, with
    /// `stride` bytes per row. The returned frame is overwritten by the
    /// next call.
    pub fn process(&mut self, data: &[u8], stride: usize) -> Result<&I420Frame, PipelineError> {
        let (w, h) = (self.input.width, self.input.height);
        let src = match self.format {
            InputFormat::Rgba | InputFormat::Bgra => {
                let order = if self.format == InputFormat::Rgba { RgbOrder::Rgba } else { RgbOrder::Bgra };
                rgb_to_i420_in(data, w, h, stride, order, self.color, &mut self.converted)?;
                I420Planes::packed(w, h, &self.converted)?
            }
            InputFormat::Nv12 => {
                let uv_offset = stride.checked_mul(h as usize).ok_or(FrameError::BadStride {
                    plane: "Y",
                    stride,
                    min: w as usize,
                })?;
                nv12_to_i420(data, w, h, stride, uv_offset, stride, &mut self.converted)?;
                I420Planes::packed(w, h, &self.converted)?
            }
            InputFormat::I420 => i420_planes(data, w, h, stride)?,
        };
        let src = if self.rotation == Rotation::R0 {
            src
        } else {
            rotate_i420(&src, self.rotation, &mut self.rotated)?;
            self.rotated.planes()
        };
        if self.geometry.content == self.geometry.frame {
            self.scaler.scale(&src, &mut self.out)?;
        } else {
            self.scaler.scale(&src, &mut self.content)?;
            place(&self.content, &mut self.out, self.geometry.offset, self.color.black());
        }
        for (id, overlay) in &self.overlays {
            overlay.apply(&mut self.out).map_err(|error| PipelineError::Watermark { id: id.clone(), error })?;
        }
        Ok(&self.out)
    }
}

/// Views I420 laid out as [`InputFormat::I420`] describes.
fn i420_planes(data: &[u8], width: u32, height: u32, stride: usize) -> Result<I420Planes<'_>, FrameError> {
    let (w, h) = (width as usize, height as usize);
    if stride < w {
        return Err(FrameError::BadStride { plane: "Y", stride, min: w });
    }
    let too_big = FrameError::BadStride { plane: "Y", stride, min: w };
    let y_len = stride.checked_mul(h).ok_or(too_big.clone())?;
    let c_len = (stride / 2).checked_mul(h / 2).ok_or(too_big)?;
    let needed = y_len.saturating_add(c_len.saturating_mul(2));
    if data.len() < needed {
        return Err(FrameError::ShortPlane { plane: "I420", len: data.len(), needed });
    }
    let planes = I420Planes {
        width,
        height,
        y: &data[..y_len],
        u: &data[y_len..y_len + c_len],
        v: &data[y_len + c_len..needed],
        y_stride: stride,
        uv_stride: stride / 2,
    };
    planes.validate()?;
    Ok(planes)
}

/// Copies `content` into `out` at `at` (even coordinates) and fills the
/// rest with `black` (Y, U, V).
fn place(content: &I420Frame, out: &mut I420Frame, at: Point, black: (u8, u8, u8)) {
    let src = content.planes();
    let (fw, fh) = (out.width, out.height);
    let (y, u, v) = super::planes_mut(out, fw, fh);
    let (cw, ch) = (content.width as usize, content.height as usize);
    let (x0, y0) = (at.x as usize, at.y as usize);
    place_plane(src.y, cw, ch, y, fw as usize, x0, y0, black.0);
    place_plane(src.u, cw / 2, ch / 2, u, fw as usize / 2, x0 / 2, y0 / 2, black.1);
    place_plane(src.v, cw / 2, ch / 2, v, fw as usize / 2, x0 / 2, y0 / 2, black.2);
}

/// One plane of [`place`]: packed `w` x `h` `src` into rows of `dw` bytes
/// at (`x`, `y`), the rest `fill`.
#[allow(clippy::too_many_arguments)] // A plane copy: geometry of source and target, no state worth a struct.
fn place_plane(src: &[u8], w: usize, h: usize, dst: &mut [u8], dw: usize, x: usize, y: usize, fill: u8) {
    for (row, line) in dst.chunks_exact_mut(dw).enumerate() {
        match row.checked_sub(y).filter(|&r| r < h) {
            Some(r) => {
                line[..x].fill(fill);
                line[x..x + w].copy_from_slice(&src[r * w..][..w]);
                line[x + w..].fill(fill);
            }
            None => line.fill(fill),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::color::Range;

    fn video(json: &str) -> VideoPreset {
        serde_json::from_str(json).unwrap()
    }

    fn options(input: Size, format: InputFormat) -> PipelineOptions {
        PipelineOptions {
            input,
            format,
            color: ColorSpace::default(),
            rotation: Rotation::R0,
            video: video(
                r#"{"bitRate": 1000, "maxWidth": 128, "maxHeight": 96, "sizingPolicy": "Fit", "paddingPolicy": "Pad"}"#,
            ),
            filter: Filter::Lanczos3,
            watermarks: Vec::new(),
        }
    }

    #[test]
    fn wrong_buffers_are_errors() {
        for format in [InputFormat::Rgba, InputFormat::Bgra, InputFormat::I420, InputFormat::Nv12] {
            let mut p = FramePipeline::new(options(Size::new(16, 8), format)).unwrap();
            assert!(matches!(p.process(&[0; 10], 64), Err(PipelineError::Input(_))), "{format:?}");
            assert!(matches!(p.process(&[0; 1000], 4), Err(PipelineError::Input(_))), "{format:?}");
            assert!(matches!(p.process(&[0; 1000], usize::MAX), Err(PipelineError::Input(_))), "{format:?}");
            let stride = if matches!(format, InputFormat::Rgba | InputFormat::Bgra) { 64 } else { 16 };
            assert_eq!(p.process(&[0; 16 * 8 * 4], stride).unwrap().width, 128);
        }
        for bad in [Size::new(0, 8), Size::new(15, 8), Size::new(16, 9), Size::new(10000, 8)] {
            assert!(matches!(FramePipeline::new(options(bad, InputFormat::I420)), Err(PipelineError::Input(_))));
        }
    }

    #[test]
    fn full_range_pads_with_full_range_black() {
        let mut o = options(Size::new(64, 32), InputFormat::I420);
        o.color = ColorSpace { range: Range::Full, ..ColorSpace::default() };
        let mut p = FramePipeline::new(o).unwrap();
        let out = p.process(&vec![100; i420_size(64, 32)], 64).unwrap();
        // Fit 64x32 into 128x96: 128x64 at (0, 16).
        assert_eq!((out.data[0], out.data[128 * 16], out.data[128 * 96]), (0, 100, 128));
    }

    #[test]
    fn process_does_not_reallocate() {
        let mut p = FramePipeline::new(options(Size::new(64, 32), InputFormat::Rgba)).unwrap();
        let rgba = vec![200; 64 * 32 * 4];
        let first = p.process(&rgba, 256).unwrap().data.as_ptr();
        let second = p.process(&rgba, 256).unwrap().data.as_ptr();
        assert_eq!(first, second);
    }
}

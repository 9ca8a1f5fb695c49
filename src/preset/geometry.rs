//! Where the picture goes: from a source size and a preset's
//! `maxWidth` / `maxHeight` / `sizingPolicy` / `paddingPolicy` to the
//! region of the source used, the scaled picture, the output frame, and
//! where watermarks land in it. Integer arithmetic throughout.
//!
//! The source size is the picture as it will be shown, i.e. after any
//! rotation. `"auto"` maximums are 1920 x 1080. Odd maximums are rounded
//! down to even, since 4:2:0 chroma needs even frame sizes.
//!
//! | policy | scale factor `s` | content | crop (source pixels) |
//! | --- | --- | --- | --- |
//! | `Fit` | `min(mw/w, mh/h)` | one side equals its max, the other at most its max | none |
//! | `ShrinkToFit` | as `Fit`, but 1 if the source already fits | as `Fit`, or the source size | none |
//! | `Fill` | `max(mw/w, mh/h)` | exactly `mw` x `mh` | the excess side, centred |
//! | `ShrinkToFill` | `min(max(mw/w, mh/h), 1)` | at most `mw` x `mh` | what exceeds the max, centred |
//! | `Stretch` | `mw/w` across, `mh/h` down | exactly `mw` x `mh` | none |
//! | `Keep` | 1 | `min(w, mw)` x `min(h, mh)` | what exceeds the max, centred |
//!
//! `Pad` makes the frame `mw` x `mh` with the content centred on black;
//! `NoPad` makes the frame the content.
//!
//! Rounding: a scaled side is `side * s` rounded to the nearest even
//! number (halves up), at least 2; the side that meets its maximum is
//! exact. Unscaled sides (`s` = 1) are rounded down to even by cropping
//! the last odd column or row rather than resampling. A cropped side of
//! a scaled picture spans `max / s` source pixels, rounded to the nearest
//! even number; crop and padding offsets are half the excess, rounded down
//! to even so chroma samples are not split.
//!
//! Display aspect ratio: as in Elastic Transcoder, `displayAspectRatio` is
//! metadata. The geometry above is computed with square pixels; a fixed
//! ratio then sets the sample (pixel) aspect ratio that players apply,
//! `dar / (frame width / frame height)`. With `"auto"` pixels are square.
//! For anamorphic output (a 720x480 frame shown as 16:9) combine `Stretch`
//! with a ratio.

use std::fmt;

use super::model::gcd;
use super::model::*;

pub use crate::frame::{Point, Rect, Size};

/// How one source picture becomes one output frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Geometry {
    /// The part of the source that is used, in source pixels.
    pub crop: Rect,
    /// The size `crop` is scaled to: the picture in the output.
    pub content: Size,
    /// The output frame: `content`, or the padded maximum.
    pub frame: Size,
    /// Where `content` sits in `frame` (0, 0 without padding).
    pub offset: Point,
    /// Sample (pixel) aspect ratio to signal; 1:1 unless a fixed
    /// `displayAspectRatio` asks otherwise.
    pub sample_aspect: Ratio,
}

impl Geometry {
    /// `content` placed in `frame`.
    pub fn content_rect(&self) -> Rect {
        Rect::new(self.offset.x, self.offset.y, self.content.width, self.content.height)
    }
}

/// Why no geometry could be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GeometryError {
    /// The source has no pixels (a zero side).
    EmptySource(Size),
    /// The maximum size is less than 2 x 2 after rounding down to even.
    EmptyBox(Size),
}

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeometryError::EmptySource(s) => write!(f, "source size must be at least 1x1, got {s}"),
            GeometryError::EmptyBox(s) => write!(f, "maximum size must be at least 2x2, got {s}"),
        }
    }
}

impl std::error::Error for GeometryError {}

impl VideoPreset {
    /// The geometry for a `source`-sized picture (after rotation), with
    /// the sample aspect ratio from `displayAspectRatio`.
    pub fn geometry(&self, source: Size) -> Result<Geometry, GeometryError> {
        let (w, h) = self.max_size();
        let mut g = fit_picture(source, Size::new(w, h), self.sizing_policy, self.padding_policy)?;
        if let Some((dw, dh)) = self.display_aspect_ratio.ratio() {
            let num = dw as u64 * g.frame.height as u64;
            let den = dh as u64 * g.frame.width as u64;
            let g_ = gcd(num, den).max(1);
            let (num, den) = (num / g_, den / g_);
            // Frame sides are at most u32::MAX and ratio terms at most 16,
            // so a reduced term beyond u32 is impossible in practice; keep
            // square pixels rather than wrap if it happens.
            if let (Ok(num), Ok(den)) = (u32::try_from(num), u32::try_from(den)) {
                g.sample_aspect = Ratio { num, den };
            }
        }
        Ok(g)
    }
}

impl ThumbnailPreset {
    /// The geometry of a thumbnail of a `source`-sized picture (square
    /// pixels).
    pub fn geometry(&self, source: Size) -> Result<Geometry, GeometryError> {
        let (w, h) = self.max_size();
        fit_picture(source, Size::new(w, h), self.sizing_policy, self.padding_policy)
    }
}

/// `x * p / q` rounded to the nearest even number (halves up), at least 2.
/// Saturates at `u64::MAX`.
fn scale_even(x: u32, p: u32, q: u32) -> u64 {
    let (x, p, q) = (x as u128, p as u128, q.max(1) as u128);
    let even = 2 * ((x * p + q) / (2 * q));
    u64::try_from(even.max(2)).unwrap_or(u64::MAX)
}

/// Rounded down to even.
fn floor_even(x: u32) -> u32 {
    x & !1
}

/// Scales and crops a `source` picture into a `max` box by `sizing`, then
/// pads it to the box by `padding`. The module documentation gives the
/// exact arithmetic. Square pixels: `sample_aspect` is 1:1.
pub fn fit_picture(
    source: Size,
    max: Size,
    sizing: SizingPolicy,
    padding: PaddingPolicy,
) -> Result<Geometry, GeometryError> {
    let bx = Size::new(max.width & !1, max.height & !1);
    if source.width == 0 || source.height == 0 {
        return Err(GeometryError::EmptySource(source));
    }
    if bx.width == 0 || bx.height == 0 {
        return Err(GeometryError::EmptyBox(max));
    }
    let (sw, sh, mw, mh) = (source.width, source.height, bx.width, bx.height);
    // Fitting, the width is the side that meets its maximum first.
    let width_limits = mw as u64 * sh as u64 <= mh as u64 * sw as u64;
    let full = Rect::new(0, 0, sw, sh);
    let (crop, content) = match sizing {
        SizingPolicy::Stretch => (full, bx),
        SizingPolicy::ShrinkToFit if sw <= mw && sh <= mh => unscaled(source, bx),
        SizingPolicy::Fit | SizingPolicy::ShrinkToFit => {
            // The non-limiting side is at most its (even) maximum before
            // rounding, so rounding to even keeps it there.
            let content = if width_limits {
                Size::new(mw, scale_even(sh, mw, sw).min(mh as u64) as u32)
            } else {
                Size::new(scale_even(sw, mh, sh).min(mw as u64) as u32, mh)
            };
            (full, content)
        }
        SizingPolicy::Keep => unscaled(source, bx),
        SizingPolicy::Fill | SizingPolicy::ShrinkToFill => {
            // Filling, the side that meets its maximum last sets the scale p/q.
            let (p, q) = if width_limits { (mh, sh) } else { (mw, sw) };
            if p == q || (sizing == SizingPolicy::ShrinkToFill && p > q) {
                unscaled(source, bx)
            } else {
                let (scaled_w, scaled_h) = (scale_even(sw, p, q), scale_even(sh, p, q));
                let content = Size::new(scaled_w.min(mw as u64) as u32, scaled_h.min(mh as u64) as u32);
                // The source span that scales to `max`: max * q / p.
                let span = |scaled: u64, max: u32, side: u32| {
                    if scaled > max as u64 {
                        scale_even(max, q, p).min(side as u64) as u32
                    } else {
                        side
                    }
                };
                let (cw, ch) = (span(scaled_w, mw, sw), span(scaled_h, mh, sh));
                (Rect::new(floor_even((sw - cw) / 2), floor_even((sh - ch) / 2), cw, ch), content)
            }
        }
    };
    let (frame, offset) = match padding {
        PaddingPolicy::Pad => {
            let x = floor_even(mw.saturating_sub(content.width) / 2);
            let y = floor_even(mh.saturating_sub(content.height) / 2);
            (bx, Point { x, y })
        }
        PaddingPolicy::NoPad => (content, Point::default()),
    };
    Ok(Geometry { crop, content, frame, offset, sample_aspect: Ratio::integer(1) })
}

/// No scaling: each side rounded down to even (at least 2) and to the box,
/// cropping the centre of the source.
fn unscaled(source: Size, bx: Size) -> (Rect, Size) {
    let side = |s: u32, max: u32| (s & !1).max(2).min(max);
    let content = Size::new(side(source.width, bx.width), side(source.height, bx.height));
    let (cw, ch) = (content.width.min(source.width), content.height.min(source.height));
    let crop = Rect::new(floor_even((source.width - cw) / 2), floor_even((source.height - ch) / 2), cw, ch);
    (crop, content)
}

/// Where one watermark goes in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Placement {
    /// The watermark after scaling, in output pixels.
    pub size: Size,
    /// Left edge in frame coordinates; negative or beyond the frame when
    /// the watermark sticks out.
    pub x: i64,
    /// Top edge in frame coordinates, likewise.
    pub y: i64,
    /// The part of the scaled watermark inside the frame, in the
    /// watermark's own pixels: draw it at (`x + clip.x`, `y + clip.y`).
    /// Empty (all zero) when nothing is visible.
    pub clip: Rect,
}

impl Placement {
    /// Some of the watermark is inside the frame.
    pub fn is_visible(&self) -> bool {
        self.clip.width > 0 && self.clip.height > 0
    }
}

/// Sizes and positions a watermark image of `image` pixels (as decoded)
/// in `frame` per `wm`.
///
/// The target area is the content (`Target` `Content`) or the whole frame
/// (`Frame`); percentages of `maxWidth`, `maxHeight` and the offsets are of
/// its width or height, rounded to the nearest pixel. The image is scaled
/// into the `maxWidth` x `maxHeight` box by `sizingPolicy` (sides rounded
/// to the nearest pixel, at least 1). `Left` / `Top` put the image's
/// left / top edge the offset inside the area's left / top edge, `Right` /
/// `Bottom` its right / bottom edge the offset inside the area's, `Center`
/// centres it (rounding down) and ignores the offset. Whatever lies
/// outside the frame is clipped; a watermark placed on the content may
/// extend into padding bars.
pub fn watermark_placement(frame: &Geometry, image: Size, wm: &WatermarkPreset) -> Placement {
    let area = match wm.target {
        WatermarkTarget::Content => frame.content_rect(),
        WatermarkTarget::Frame => Rect::new(0, 0, frame.frame.width, frame.frame.height),
    };
    let bx = Size::new(resolve(wm.max_width, area.width), resolve(wm.max_height, area.height));
    let size = watermark_size(image, bx, wm.sizing_policy);
    let h = match wm.horizontal_align {
        HorizontalAlign::Left => Edge::Start,
        HorizontalAlign::Right => Edge::End,
        HorizontalAlign::Center => Edge::Middle,
    };
    let v = match wm.vertical_align {
        VerticalAlign::Top => Edge::Start,
        VerticalAlign::Bottom => Edge::End,
        VerticalAlign::Center => Edge::Middle,
    };
    let x = align(area.x, area.width, size.width, h, resolve(wm.horizontal_offset, area.width));
    let y = align(area.y, area.height, size.height, v, resolve(wm.vertical_offset, area.height));
    let (cx, cw) = visible(x, size.width, frame.frame.width);
    let (cy, ch) = visible(y, size.height, frame.frame.height);
    let clip = if cw == 0 || ch == 0 { Rect::default() } else { Rect::new(cx, cy, cw, ch) };
    Placement { size, x, y, clip }
}

/// A length in pixels against an `extent` (percentages rounded to the
/// nearest pixel; saturating, `NaN` is 0).
fn resolve(len: Length, extent: u32) -> u32 {
    match len {
        Length::Pixels(px) => px,
        Length::Percent(p) => (p * extent as f64 / 100.0).round() as u32,
    }
}

/// `x * p / q` rounded to the nearest integer (halves up), at least 1.
fn scale_round(x: u32, p: u32, q: u32) -> u32 {
    let (x, p, q) = (x as u128, p as u128, q.max(1) as u128);
    u32::try_from(((2 * x * p + q) / (2 * q)).max(1)).unwrap_or(u32::MAX)
}

fn watermark_size(image: Size, bx: Size, sizing: WatermarkSizing) -> Size {
    let (iw, ih, bw, bh) = (image.width, image.height, bx.width, bx.height);
    if iw == 0 || ih == 0 || bw == 0 || bh == 0 {
        return Size::default();
    }
    match sizing {
        WatermarkSizing::Stretch => bx,
        WatermarkSizing::ShrinkToFit if iw <= bw && ih <= bh => image,
        WatermarkSizing::Fit | WatermarkSizing::ShrinkToFit => {
            if bw as u64 * ih as u64 <= bh as u64 * iw as u64 {
                Size::new(bw, scale_round(ih, bw, iw).min(bh))
            } else {
                Size::new(scale_round(iw, bh, ih).min(bw), bh)
            }
        }
    }
}

enum Edge {
    Start,
    End,
    Middle,
}

/// Position of a `len`-long item on an axis where the area spans
/// `start .. start + extent`.
fn align(start: u32, extent: u32, len: u32, edge: Edge, offset: u32) -> i64 {
    let (s, e, l, o) = (start as i64, extent as i64, len as i64, offset as i64);
    match edge {
        Edge::Start => s + o,
        Edge::End => s + e - l - o,
        Edge::Middle => s + (e - l).div_euclid(2),
    }
}

/// The part of `pos .. pos + len` inside `0 .. extent`, as (start within
/// the item, length).
fn visible(pos: i64, len: u32, extent: u32) -> (u32, u32) {
    let start = pos.max(0);
    let end = (pos + len as i64).min(extent as i64);
    if end <= start {
        (0, 0)
    } else {
        ((start - pos) as u32, (end - start) as u32)
    }
}

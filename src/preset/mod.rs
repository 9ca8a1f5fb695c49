//! Presets: named output recipes in Elastic Transcoder's vocabulary
//! (container, H.264 options, audio, thumbnails, watermark slots), with
//! complete validation, built-in presets and the sizing arithmetic.
//!
//! - [`model`]: the types ([`Preset`], [`VideoPreset`], [`AudioPreset`],
//!   [`ThumbnailPreset`], [`WatermarkPreset`]) and their camelCase JSON,
//!   which accepts Elastic Transcoder's habit of writing numbers as
//!   strings.
//! - [`validate`]: [`Preset::from_json`] and [`Preset::validate`] report
//!   every problem at once as [`PresetErrors`], each naming its field:
//!   `video.maxWidth must be an even number from 128 to 4096 (or "auto"),
//!   got 4097`.
//! - [`system`]: [`system_presets`] and [`system_preset`], with Elastic
//!   Transcoder's ids where it had the preset.
//! - [`webcam`]: [`WEBCAM_PRESETS`], the publisher's short ids for an exact
//!   camera size, frame rate and bit rate ([`webcam_preset`]).
//! - [`geometry`]: what each `sizingPolicy` and `paddingPolicy` does to a
//!   picture ([`VideoPreset::geometry`], [`fit_picture`]) and where a
//!   watermark lands ([`watermark_placement`]).
//!
//! Pure Rust, no I/O; errors are recoverable (fix the preset, try again).
//!
//! ```
//! use framecast::preset::{system_preset, Preset, Size};
//!
//! let p = Preset::from_json(r#"{
//!     "name": "Phone 540p", "container": "hls",
//!     "video": { "bitRate": "1200", "maxWidth": 960, "maxHeight": 540,
//!                "sizingPolicy": "Fit", "paddingPolicy": "Pad" },
//!     "audio": { "codec": "AAC", "bitRate": 96 }
//! }"#)?;
//! let g = p.video.as_ref().unwrap().geometry(Size::new(640, 480))?;
//! assert_eq!((g.content, g.frame), (Size::new(720, 540), Size::new(960, 540)));
//! assert_eq!((g.offset.x, g.offset.y), (120, 0));
//!
//! let errors = Preset::from_json(r#"{"name": "x", "container": "mp4",
//!     "video": {"bitRate": 2400, "maxWidth": 4097}}"#).unwrap_err();
//! assert_eq!(errors.to_string(),
//!     "video.maxWidth must be an even number from 128 to 4096 (or \"auto\"), got 4097");
//! assert!(system_preset("1351620000001-000010").is_some()); // Generic 720p
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
pub mod geometry;
mod lenient;
pub mod model;
pub mod system;
pub mod validate;
pub mod webcam;

#[cfg(test)]
mod tests;

pub use error::{PresetError, PresetErrorKind, PresetErrors};
pub use geometry::{fit_picture, watermark_placement, Geometry, GeometryError, Placement, Point, Rect, Size};
pub use model::{
    AspectRatio, AudioCodec, AudioCodecOptions, AudioPreset, Channels, Container, Dimension, HorizontalAlign,
    ImageFormat, Length, PaddingPolicy, Preset, PresetAacProfile, PresetFrameRate, PresetSampleRate, Ratio,
    SizingPolicy, ThumbnailPreset, VerticalAlign, VideoBitRate, VideoCodec, VideoCodecOptions, VideoPreset,
    WatermarkPreset, WatermarkSizing, WatermarkTarget,
};
pub use system::{system_preset, system_presets};
pub use validate::{PresetChoiceError, MAX_JSON_BYTES, MAX_WATERMARKS};
pub use webcam::{webcam_preset, WebcamPreset, WEBCAM_PRESETS};

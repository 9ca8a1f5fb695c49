//! Live publishing without I/O: frames in, acknowledged fragments out.
//!
//! - [`LiveVideo`] applies a preset (sizing, watermarks, codec settings)
//!   to camera pictures of any size and feeds a [`VideoPipeline`];
//! - [`VideoPipeline`] encodes frames with OpenH264 and cuts CMAF
//!   fragments with keyframes where fragments start;
//! - [`UploadQueue`] decides what to send to the stream endpoint next and
//!   what each answer means (order, retries with back-off, the bounded
//!   queue);
//! - [`Percentiles`] keeps the rolling timing figures publishers report.
//!
//! The browser `Publisher` (in `web`, running in a Worker) drives both with
//! `fetch`; anything native can drive them with its own HTTP client.

mod audio;
mod live;
mod pipeline;
mod stats;
mod upload;

pub use audio::{
    encoder_for, AudioCounters, AudioPipeline, AudioPipelineConfig, AudioPipelineError, AUDIO_TRACK_ID,
    SYNC_TOLERANCE_US,
};
pub use live::{
    encoder_config, publish_preset, with_overrides, LiveVideo, LiveVideoConfig, LiveVideoError, AUTO_BITS_PER_PIXEL,
    DEFAULT_CAMERA_FPS,
};
pub use pipeline::{PipelineConfig, PipelineEvent, VideoPipeline, VideoPipelineError, VIDEO_TRACK_ID};
pub use stats::Percentiles;
pub use upload::{
    parse_retry_after_ms, Backoff, DroppedFragment, Outcome, UploadConfig, UploadCounters, UploadEvent, UploadKind,
    UploadMethod, UploadQueue, UploadRequest,
};

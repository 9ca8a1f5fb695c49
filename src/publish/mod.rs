//! Live publishing without I/O: frames in, acknowledged fragments out.
//!
//! - [`Session`] is the whole publisher: pictures, PCM, HTTP answers and
//!   a [`Clock`] in; events and HTTP requests out. It drives the parts
//!   below and maps audio onto the video's clock ([`AvClock`]);
//! - [`LiveVideo`] applies a preset (sizing, watermarks, codec settings)
//!   to camera pictures of any size and feeds a [`VideoPipeline`];
//! - [`VideoPipeline`] encodes frames with OpenH264 and cuts CMAF
//!   fragments with keyframes where fragments start;
//! - [`UploadQueue`] decides what to send to the stream endpoint next and
//!   what each answer means (order, retries with back-off, the bounded
//!   queue); [`UploadSink`] is the output sink that feeds it;
//! - [`Percentiles`] keeps the rolling timing figures publishers report.
//!
//! The browser `Publisher` (in `web`, running in a Worker) drives a
//! [`Session`] with `fetch` and `setTimeout`; anything native can drive it
//! with its own HTTP client and timer.

mod clock;
mod live;
mod session;
mod stats;
mod upload;
mod upload_sink;

pub use crate::encode::{
    encoder_config, encoder_for, encoder_from, AudioCounters, AudioEncoderFactory, AudioPipeline, AudioPipelineConfig,
    AudioPipelineError, PipelineConfig, PipelineEvent, VideoPipeline, VideoPipelineError, AUDIO_TRACK_ID,
    AUTO_BITS_PER_PIXEL, DEFAULT_CAMERA_FPS, SYNC_TOLERANCE_US, VIDEO_TRACK_ID,
};
pub use clock::{AvClock, Clock, CLOCK_SAMPLES, MAX_PENDING_AUDIO};
pub use live::{publish_preset, with_overrides, LiveVideo, LiveVideoConfig, LiveVideoError};
pub use session::{
    AudioStats, BackoffConfig, FinishFailure, FinishResult, HttpRequest, InputSize, Picture, PictureLayout, Session,
    SessionConfig, SessionError, SessionEvent, SessionStats, ACK_LATENCIES_KEPT, AUDIO_TRACK_NAME, BITRATE_FRAGMENTS,
    ENCODE_TIMES_KEPT, FPS_WINDOW_MS,
};
pub use stats::Percentiles;
pub use upload::{
    parse_retry_after_ms, Backoff, DroppedFragment, Outcome, UploadConfig, UploadCounters, UploadEvent, UploadKind,
    UploadMethod, UploadQueue, UploadRequest,
};
pub use upload_sink::UploadSink;

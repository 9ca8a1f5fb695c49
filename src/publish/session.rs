//! [`Session`]: a whole publisher without I/O. Camera pictures, microphone
//! PCM, HTTP answers and the passing of time go in; typed events
//! ([`SessionEvent`]) and HTTP requests ([`HttpRequest`]) come out. A
//! driver (the browser Worker in `web`, or anything native with an HTTP
//! client and a timer) sends the requests, reports the answers, and waits
//! when [`Session::wait_ms`] says so.
//!
//! What it owns:
//! - the configuration ([`SessionConfig`], the JS `PublishSessionConfig`)
//!   and its checks, every error naming its field;
//! - the preset (a webcam or system preset id, or a preset of one's own),
//!   its watermark images, and the encoders it asks for: [`LiveVideo`]
//!   for the camera, an [`AudioPipeline`] made with the first microphone
//!   samples;
//! - the clocks: media time 0 is the first encoded video frame, and its
//!   wall-clock read time dates every fragment (`captureTime`); audio moves
//!   onto the video's clock through [`AvClock`], and waits (at most
//!   [`MAX_PENDING_AUDIO`] buffers) until the clock offsets are frozen;
//! - the uploads: a segmenter listener ([`SinkListener`]) puts each init
//!   segment and fragment into an [`UploadSink`], whose [`UploadQueue`]
//!   decides order, retries and drops;
//! - the figures of [`SessionStats`]: encoded frames per second over the
//!   last 2 s, bit rate over the last 10 fragments, encode-time and
//!   acknowledgement-latency percentiles, counters.
//!
//! Time comes from the driver's [`Clock`]: the core reads none of its own.
//! Events wait in the session until [`Session::poll_event`] takes them,
//! also those made before a call failed.
//!
//! ```
//! use framecast::publish::{Clock, Picture, Session, SessionConfig, SessionEvent};
//!
//! struct Fixed;
//! impl Clock for Fixed {
//!     fn now_ms(&self) -> f64 { 0.0 }
//!     fn wall_ms(&self) -> f64 { 1.7e12 }
//! }
//! let config: SessionConfig = serde_json::from_str(
//!     r#"{"endpoint": "http://127.0.0.1:8787", "stream": "cam", "preset": "webcam-360p"}"#)?;
//! let mut session = Session::new(config, Box::new(Fixed))?;
//! let gray = vec![128u8; 640 * 360 * 3 / 2];
//! session.push_frame(Picture::i420(&gray, 640, 360), 0.0, 1.7e12)?;
//! assert!(matches!(session.poll_event(), Some(SessionEvent::Video { .. })));
//! // The init segment is ready to upload.
//! let request = session.next_request().expect("a request");
//! assert_eq!(request.url, "http://127.0.0.1:8787/streams/cam/video/init.mp4");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::clock::{AvClock, Clock, MAX_PENDING_AUDIO};
use super::live::{publish_preset, LiveVideo, LiveVideoConfig, LiveVideoError};
use super::stats::Percentiles;
use super::upload::{
    Backoff, DroppedFragment, Outcome, UploadConfig, UploadEvent, UploadMethod, UploadQueue, UploadRequest,
};
use super::upload_sink::UploadSink;
use crate::audio::ChannelLayout;
use crate::codec::h264::{EncoderConfig, H264Error};
use crate::encode::{
    encoder_from, AudioEncoderFactory, AudioPipeline, AudioPipelineConfig, AudioPipelineError, AUDIO_TRACK_ID,
};
use crate::encode::{PipelineConfig, PipelineEvent, VideoPipelineError, VIDEO_TRACK_ID};
use crate::error::{Coded, ErrorCode};
use crate::frame::Size;
use crate::ingest::routes::{CONTENT_TYPE_AUDIO_MP4, CONTENT_TYPE_VIDEO_MP4};
use crate::ingest::{EndAck, FragmentAck, IngestErrorCode, InitAck, StreamName, TrackName};
use crate::mux::segmenter::FragmentListener;
use crate::mux::sink::{span_micros, Naming, SinkError, SinkListener};
use crate::preset::{AudioCodec, AudioPreset, Preset, PresetChoiceError, PresetErrors};
use crate::registry::{audio_encoder, default_live_audio};
use crate::time::Timestamp;
use crate::video::color::{nv12_to_i420, ColorSpace};
use crate::video::{attach_images, Filter, InputFormat, WatermarkImagesError};

/// Window of the encoded frame rate, ms.
pub const FPS_WINDOW_MS: f64 = 2000.0;

/// Fragments the bit rate is measured over.
pub const BITRATE_FRAGMENTS: usize = 10;

/// Encode times kept for the percentiles.
pub const ENCODE_TIMES_KEPT: usize = 300;

/// Acknowledgement latencies kept for the percentiles.
pub const ACK_LATENCIES_KEPT: usize = 100;

/// Largest timestamp magnitude taken, µs (about 285 years).
const MAX_TIMESTAMP_US: f64 = 9.0e15;

/// The name of the audio track in uploads.
pub const AUDIO_TRACK_NAME: &str = "audio";

/// `new PublishSession(config)`: where and how to publish. Times are
/// milliseconds. The JS object's `watermarks` (PNG bytes by slot id) come
/// in [`SessionConfig::watermarks`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionConfig {
    /// Base URL of the stream server (`http://127.0.0.1:8787`), or a path
    /// (`/ingest`), or empty (the page's origin); a trailing `/` is
    /// dropped.
    pub endpoint: String,
    /// Stream name, `[A-Za-z0-9_-]{1,128}`.
    pub stream: String,
    /// Track name of the video. Default `video`.
    #[serde(default = "default_track")]
    pub track: String,
    /// Sent as `Authorization: Bearer <token>`. Default none.
    #[serde(default)]
    pub token: Option<String>,
    /// A webcam or system preset id, or a preset (a JSON object, or its
    /// text) with `video`. Default `webcam-720p`.
    #[serde(default)]
    pub preset: Option<Value>,
    /// Encoder fields that override the preset's (`bitrate`, `frameRate`,
    /// ...); `width` and `height` are the largest output size.
    #[serde(default)]
    pub video: Option<Map<String, Value>>,
    /// Resampling filter for sizing and watermarks: `lanczos3` (default)
    /// or `bilinear`.
    #[serde(default)]
    pub filter: Option<String>,
    /// Target fragment duration, 100 to 20000 ms. Default 2000.
    #[serde(default = "default_fragment_ms")]
    pub fragment_duration: u32,
    /// Most media waiting to upload before the oldest fragments are
    /// dropped, ms, at least `fragmentDuration`. Default 60000.
    #[serde(default = "default_queue_ms")]
    pub max_queue_duration: u32,
    /// Time allowed for one upload request, 1000 to 600000 ms. Default
    /// 15000.
    #[serde(default = "default_timeout_ms")]
    pub request_timeout: u32,
    /// Retry back-off. Default 250 ms first, 8000 ms longest.
    #[serde(default)]
    pub backoff: Option<BackoffConfig>,
    /// Number of the first fragment, from 1. Default 1.
    #[serde(default = "default_first_sequence")]
    pub first_sequence: u32,
    /// HTTP method of init segment and fragment uploads: `PUT` (default)
    /// or `POST`.
    #[serde(default)]
    pub upload_method: Option<String>,
    /// PNG images for the preset's watermark slots, by slot id. Not read
    /// from JSON (the binding takes the `Uint8Array`s out first).
    #[serde(skip)]
    pub watermarks: HashMap<String, Vec<u8>>,
    /// Seed of the retry jitter. Not read from JSON (the binding draws
    /// one); any value.
    #[serde(skip)]
    pub seed: u64,
}

/// Retry back-off of a [`SessionConfig`], ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackoffConfig {
    /// First delay. Default 250.
    pub initial: Option<u32>,
    /// Longest delay. Default 8000.
    pub max: Option<u32>,
}

fn default_track() -> String {
    "video".into()
}
fn default_fragment_ms() -> u32 {
    2000
}
fn default_queue_ms() -> u32 {
    60_000
}
fn default_timeout_ms() -> u32 {
    15_000
}
fn default_first_sequence() -> u32 {
    1
}

/// Why the session refused its configuration or a call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SessionError {
    /// A configuration field is wrong (`invalid-config`).
    InvalidConfig {
        /// The field, as the JS config names it (`maxQueueDuration`, `video.bitrate`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The preset given does not validate (`invalid-preset`, every
    /// problem).
    InvalidPreset(PresetErrors),
    /// A watermark image does not decode or fits no slot.
    Watermarks(WatermarkImagesError),
    /// The video side refused its settings or a frame (encoder fields are
    /// named `video.*`).
    Video(LiveVideoError),
    /// The audio side refused its settings or samples (preset fields are
    /// named `preset.audio.*`).
    Audio(AudioPipelineError),
    /// A picture or PCM buffer is unusable (`invalid-frame`); `message` is
    /// complete.
    InvalidFrame {
        /// The argument at fault, where one is (`data`, `width`).
        field: Option<&'static str>,
        /// The whole message.
        message: String,
    },
    /// The upload side refused an output (a bug: the session makes only
    /// what it can take).
    Output(SinkError),
}

impl SessionError {
    fn config(field: &str, reason: impl fmt::Display) -> SessionError {
        SessionError::InvalidConfig { field: field.to_string(), reason: reason.to_string() }
    }

    fn frame(field: &'static str, reason: impl fmt::Display) -> SessionError {
        SessionError::InvalidFrame { field: Some(field), message: format!("{field}: {reason}") }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::InvalidConfig { field, reason } => write!(f, "{field}: {reason}"),
            SessionError::InvalidPreset(e) => e.fmt(f),
            SessionError::Watermarks(e) => e.fmt(f),
            SessionError::Video(LiveVideoError::Override { field, reason }) => write!(f, "video.{field}: {reason}"),
            SessionError::Video(e) => e.fmt(f),
            SessionError::Audio(e) => e.fmt(f),
            SessionError::InvalidFrame { message, .. } => f.write_str(message),
            SessionError::Output(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SessionError {}

impl Coded for SessionError {
    fn code(&self) -> ErrorCode {
        match self {
            SessionError::InvalidConfig { .. } => ErrorCode::InvalidConfig,
            SessionError::InvalidPreset(e) => e.code(),
            SessionError::Watermarks(e) => e.code(),
            SessionError::Video(e) => e.code(),
            SessionError::Audio(e) => e.code(),
            SessionError::InvalidFrame { .. } => ErrorCode::InvalidFrame,
            SessionError::Output(_) => ErrorCode::Internal,
        }
    }

    /// Configuration fields as the JS config names them: `requestTimeout`,
    /// `video.bitrate` (an encoder override), `preset.audio.bitRate`,
    /// `watermarks.TopLeft`; for frames the argument (`timestamp`).
    fn field(&self) -> Option<String> {
        match self {
            SessionError::InvalidConfig { field, .. } => Some(field.clone()),
            SessionError::InvalidPreset(e) => e.field(),
            SessionError::Watermarks(e) => e.field(),
            SessionError::Video(
                e @ (LiveVideoError::Override { .. }
                | LiveVideoError::Pipeline(VideoPipelineError::Encoder(H264Error::InvalidConfig { .. }))),
            ) => e.field().map(|f| format!("video.{f}")),
            SessionError::Video(e @ LiveVideoError::Pipeline(VideoPipelineError::InvalidConfig { .. })) => e.field(),
            SessionError::Video(_) => None,
            SessionError::Audio(e) => e.field().map(|f| format!("preset.{f}")),
            SessionError::InvalidFrame { field, .. } => field.map(str::to_string),
            SessionError::Output(_) => None,
        }
    }
}

impl From<LiveVideoError> for SessionError {
    fn from(e: LiveVideoError) -> Self {
        SessionError::Video(e)
    }
}

impl From<AudioPipelineError> for SessionError {
    fn from(e: AudioPipelineError) -> Self {
        SessionError::Audio(e)
    }
}

impl From<SinkError> for SessionError {
    fn from(e: SinkError) -> Self {
        SessionError::Output(e)
    }
}

/// How a captured picture is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureLayout {
    /// Tightly packed I420.
    I420,
    /// RGBA (or BGRA), `stride` bytes per row; converted to I420 (BT.601,
    /// limited range).
    Rgba {
        /// Bytes per row (at least 4 × width).
        stride: usize,
        /// Whether the bytes are B, G, R, A rather than R, G, B, A.
        bgra: bool,
    },
    /// NV12: Y rows of `y_stride` bytes, the interleaved UV plane at
    /// `uv_offset` with `uv_stride` bytes per row.
    Nv12 {
        /// Bytes per row of the Y plane.
        y_stride: usize,
        /// Where the UV plane starts, bytes from the buffer's start.
        uv_offset: usize,
        /// Bytes per row of the UV plane.
        uv_stride: usize,
    },
}

/// One captured picture of any even size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picture<'a> {
    /// The pixels.
    pub data: &'a [u8],
    /// Its size in pixels.
    pub size: Size,
    /// Its layout.
    pub layout: PictureLayout,
}

impl<'a> Picture<'a> {
    /// A tightly packed I420 picture.
    pub fn i420(data: &'a [u8], width: u32, height: u32) -> Self {
        Picture { data, size: Size::new(width, height), layout: PictureLayout::I420 }
    }
}

/// A picture size in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InputSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// What happened, as the JS `PublishSessionEvent` objects (`type` and the
/// camelCase fields). Times are µs unless named `...Ms`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum SessionEvent {
    /// The encoder started: its settings, and the camera picture's size.
    Video {
        /// The encoder's settings, as the JS `EncoderConfig` (flattened).
        #[serde(flatten)]
        encoder: EncoderConfig,
        /// The camera picture's size before the preset's sizing.
        input: InputSize,
    },
    /// A fragment was made. `captureTime` is the wall-clock ms of its
    /// start (null before the first frame's read time is known).
    Fragment {
        /// The track's name (`video`, `audio`).
        track: String,
        /// The fragment's sequence number in its track (from `firstSequence`).
        sequence: u32,
        /// Its start, µs of media time (0 = the first video frame).
        start: i64,
        /// Its duration, µs.
        duration: u64,
        /// Its size in bytes.
        bytes: u64,
        /// Whether it starts with a keyframe.
        keyframe: bool,
        /// Wall-clock ms (Unix epoch) of the capture of its start.
        capture_time: Option<f64>,
    },
    /// An init segment was acknowledged.
    Init {
        /// The server's acknowledgement.
        ack: InitAck,
    },
    /// A fragment was acknowledged: `uploadMs` from when it was queued,
    /// `latencyMs` from the capture of its end (wall clock), over
    /// `attempts` tries.
    Ack {
        /// The track's name.
        track: String,
        /// The fragment's sequence number.
        sequence: u64,
        /// The server's acknowledgement.
        ack: FragmentAck,
        /// Ms from when the fragment was queued to its acknowledgement.
        upload_ms: f64,
        /// Ms from the capture of the fragment's end to its acknowledgement
        /// (null when capture times are unknown).
        latency_ms: Option<f64>,
        /// Tries it took (1 = first try).
        attempts: u32,
    },
    /// The end mark was acknowledged.
    Ended {
        /// The server's acknowledgement.
        ack: EndAck,
    },
    /// A request will be sent again after `delayMs`.
    Retry {
        /// The request path that failed.
        path: String,
        /// The try that comes next (2 = the first retry).
        attempt: u32,
        /// Ms until it is sent.
        delay_ms: u64,
        /// What went wrong, for people.
        message: String,
        /// Why the try failed (the network error, the timeout or the status).
        reason: String,
    },
    /// The server refused a fragment for good; publishing goes on.
    Rejected {
        /// The request path.
        path: String,
        /// The fragment's sequence number.
        sequence: u64,
        /// The server's ingest error code.
        code: IngestErrorCode,
        /// The server's message.
        message: String,
    },
    /// The upload queue was full: these fragments were dropped unsent.
    Dropped {
        /// Sequence numbers of the fragments dropped.
        sequences: Vec<u64>,
        /// Each fragment dropped: `{ track, sequence, start, duration }` (µs).
        fragments: Vec<DroppedFragment>,
        /// The media time lost, ms (what one track lost).
        media_ms: f64,
        /// Why, for people.
        message: String,
    },
    /// Nothing more can be published (the server refused an init segment
    /// or the end mark); `code` is the server's ingest code.
    Failed {
        /// The server's ingest error code.
        code: IngestErrorCode,
        /// The server's message.
        message: String,
    },
}

/// The audio figures of [`SessionStats`]; samples are per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioStats {
    /// Audio fragments made.
    pub fragments_made: u64,
    /// Packets encoded.
    pub packets: u64,
    /// Samples dropped (before the origin, or cut as overlap).
    pub dropped_samples: u64,
    /// Silent samples inserted for gaps.
    pub inserted_samples: u64,
    /// Times the audio re-locked to its capture timestamps.
    pub resyncs: u64,
}

/// The JS `PublishSessionStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStats {
    /// Frames captured (pushed or counted dropped).
    pub frames_in: u64,
    /// Frames encoded.
    pub frames_encoded: u64,
    /// Frames dropped before encoding (timestamps that did not increase,
    /// capture backpressure).
    pub frames_dropped: u64,
    /// Encoded frames per second over the last 2 s.
    pub encoded_fps: f64,
    /// Median encode time of a frame, ms (null before the first frame).
    pub encode_ms_p50: Option<f64>,
    /// 95th percentile encode time of a frame, ms (null before the first frame).
    pub encode_ms_p95: Option<f64>,
    /// Bits per second over the last 10 video fragments.
    pub bitrate: f64,
    /// Video fragments made.
    pub fragments_made: u64,
    /// Fragments acknowledged by the server (all tracks).
    pub fragments_acknowledged: u64,
    /// Fragments dropped unsent by the full upload queue (all tracks).
    pub fragments_dropped: u64,
    /// Media time dropped unsent by the full upload queue, ms (what one
    /// track lost, not the tracks added).
    pub dropped_media_ms: f64,
    /// Fragments the server refused for good (all tracks).
    pub fragments_rejected: u64,
    /// Retries (second and later tries).
    pub retries: u64,
    /// Fragments waiting to upload (all tracks).
    pub queue_fragments: u64,
    /// Media time waiting to upload, ms (the queue's measure of its bound).
    pub queue_duration_ms: u64,
    /// Bytes waiting to upload.
    pub queue_bytes: u64,
    /// Median ms from the capture of a fragment's end to its acknowledgement.
    pub ack_latency_ms_p50: Option<f64>,
    /// 95th percentile of the same, ms.
    pub ack_latency_ms_p95: Option<f64>,
    /// Bytes of acknowledged fragments.
    pub bytes_acknowledged: u64,
    /// The audio track, once microphone samples arrived.
    pub audio: Option<AudioStats>,
}

/// Why the queue gave up, with the server's ingest code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FinishFailure {
    /// The ingest error code.
    pub code: IngestErrorCode,
    /// The server's message.
    pub message: String,
}

/// The JS `PublishFinishResult`: where the uploads stand after
/// [`Session::finish`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FinishResult {
    /// Every fragment and the end mark were acknowledged.
    pub complete: bool,
    /// Fragments still queued.
    pub queue_fragments: u64,
    /// Why the queue gave up, if it did.
    pub failure: Option<FinishFailure>,
}

/// One HTTP request for the driver to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Pass back to [`Session::on_response`].
    pub id: u64,
    /// `PUT` or `POST`.
    pub method: &'static str,
    /// The endpoint plus the ingest path.
    pub url: String,
    /// `Content-Type` (with a body) and `Authorization` (with a token).
    pub headers: Vec<(&'static str, String)>,
    /// The body, if any.
    pub body: Option<Arc<[u8]>>,
    /// Give up (a network error) after this many ms.
    pub timeout_ms: u32,
    /// What the request is, as the upload queue made it.
    pub upload: UploadRequest,
}

/// Audio waiting for the clock mapping.
#[derive(Debug)]
struct PendingAudio {
    pcm: Vec<f32>,
    rate: u32,
    channels: u32,
    timestamp_us: f64,
}

/// The audio half: the preset's settings until the first samples, then
/// the pipeline.
#[derive(Debug)]
enum Audio {
    Waiting(AudioPreset),
    Running(Box<AudioPipeline>),
    Failed,
}

/// A publisher without I/O. See the module documentation.
pub struct Session {
    clock: Box<dyn Clock>,
    video: LiveVideo,
    audio: Audio,
    /// The codec the preset's audio asks for (AAC when it has none).
    audio_codec: AudioCodec,
    /// Makes the audio encoder at the first microphone samples.
    audio_factory: Box<AudioEncoderFactory>,
    fragment_duration: Timestamp,
    first_sequence: u32,
    track: String,
    upload: SinkListener<UploadSink>,
    endpoint: String,
    token: Option<String>,
    timeout_ms: u32,
    av: AvClock,
    pending_audio: VecDeque<PendingAudio>,
    /// NV12 in a layout the frame pipeline does not take, as I420.
    scratch: Vec<u8>,
    /// Wall-clock ms when media time 0 was read.
    wall_origin_ms: Option<f64>,
    frames_in: u64,
    frames_dropped: u64,
    encode_ms: Percentiles,
    ack_ms: Percentiles,
    encoded_at: VecDeque<f64>,
    recent_fragments: VecDeque<(u64, u64)>,
    fragments_made: u64,
    audio_fragments_made: u64,
    events: VecDeque<SessionEvent>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("track", &self.track).field("frames_in", &self.frames_in).finish()
    }
}

/// `value` among `choices` by name, else an `invalid-config` error.
fn pick<T: Copy>(field: &str, value: Option<&str>, default: T, choices: &[(&str, T)]) -> Result<T, SessionError> {
    match value {
        None => Ok(default),
        Some(v) => choices.iter().find(|(name, _)| *name == v).map(|(_, t)| *t).ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            SessionError::config(field, format!("must be one of {}, got \"{v}\"", names.join(", ")))
        }),
    }
}

/// A timestamp argument: finite and within ±[`MAX_TIMESTAMP_US`].
fn timestamp(us: f64) -> Result<f64, SessionError> {
    if !us.is_finite() || us.abs() > MAX_TIMESTAMP_US {
        return Err(SessionError::frame("timestamp", format!("must be a finite number of µs, got {us}")));
    }
    Ok(us)
}

/// A read time argument: finite.
fn read_time(ms: f64) -> Result<f64, SessionError> {
    if !ms.is_finite() {
        return Err(SessionError::frame("captureTime", format!("must be a finite number of ms, got {ms}")));
    }
    Ok(ms)
}

impl Session {
    /// Checks `config` and sets up the encoder (made at the first frame)
    /// and the upload queue. Errors name the field at fault, in the order
    /// the fields are checked: `endpoint`, `stream`, `track`,
    /// `requestTimeout`, `preset`, `watermarks.*`, `filter`,
    /// `maxQueueDuration`, `fragmentDuration`/`firstSequence`, `video.*`,
    /// `uploadMethod`.
    pub fn new(config: SessionConfig, clock: Box<dyn Clock>) -> Result<Session, SessionError> {
        let c = config;
        let endpoint = c.endpoint.trim_end_matches('/').to_string();
        if !(endpoint.starts_with("http://")
            || endpoint.starts_with("https://")
            || endpoint.is_empty()
            || endpoint.starts_with('/'))
        {
            return Err(SessionError::config(
                "endpoint",
                format!("must be an http(s) URL or a path, got \"{}\"", c.endpoint),
            ));
        }
        let stream = StreamName::new(&c.stream).map_err(|e| SessionError::config("stream", e))?;
        let track = TrackName::new(&c.track).map_err(|e| SessionError::config("track", e))?;
        if !(1000..=600_000).contains(&c.request_timeout) {
            return Err(SessionError::config(
                "requestTimeout",
                format!("must be from 1000 to 600000 ms, got {}", c.request_timeout),
            ));
        }
        let preset_value = c.preset.unwrap_or_else(|| "webcam-720p".into());
        let preset = Preset::resolve(&preset_value, publish_preset).map_err(|e| match e {
            PresetChoiceError::Invalid(errors) => SessionError::InvalidPreset(errors),
            e => SessionError::config("preset", e),
        })?;
        let video =
            preset.video.clone().ok_or_else(|| SessionError::config("preset", "the preset has no video settings"))?;
        let audio_preset = preset.audio.clone().unwrap_or_else(default_live_audio);
        let watermarks = attach_images(&preset, c.watermarks).map_err(SessionError::Watermarks)?;
        let filter = pick(
            "filter",
            c.filter.as_deref(),
            Filter::Lanczos3,
            &[("lanczos3", Filter::Lanczos3), ("bilinear", Filter::Bilinear)],
        )?;
        let fragment_duration = Timestamp::from_millis(i64::from(c.fragment_duration));
        let mut pipeline = PipelineConfig::new(EncoderConfig::new(16, 16));
        pipeline.fragment_duration = fragment_duration;
        pipeline.first_sequence = c.first_sequence;
        if c.max_queue_duration < c.fragment_duration {
            return Err(SessionError::config(
                "maxQueueDuration",
                format!("must be at least fragmentDuration ({} ms), got {}", c.fragment_duration, c.max_queue_duration),
            ));
        }
        let video = LiveVideo::new(LiveVideoConfig {
            video,
            watermarks,
            color: ColorSpace::default(),
            filter,
            camera_fps: None,
            overrides: c.video.unwrap_or_default(),
            pipeline,
        })?;
        let mut upload = UploadConfig::new(stream);
        upload.max_queue_duration = Timestamp::from_millis(i64::from(c.max_queue_duration));
        if let Some(b) = c.backoff {
            let d = Backoff::default();
            upload.backoff = Backoff {
                initial_ms: b.initial.map_or(d.initial_ms, u64::from).max(1),
                max_ms: b.max.map_or(d.max_ms, u64::from).max(1),
            };
        }
        upload.seed = c.seed;
        upload.method = match c.upload_method.as_deref() {
            None | Some("PUT") => UploadMethod::Put,
            Some("POST") => UploadMethod::Post,
            Some(other) => {
                return Err(SessionError::config(
                    "uploadMethod",
                    format!("must be \"PUT\" or \"POST\", got \"{other}\""),
                ))
            }
        };
        let sink = UploadSink::new(UploadQueue::new(upload))
            .with_content_type(track.as_str(), CONTENT_TYPE_VIDEO_MP4)
            .with_content_type(AUDIO_TRACK_NAME, CONTENT_TYPE_AUDIO_MP4);
        let naming = Naming::new().with(VIDEO_TRACK_ID, track.as_str()).with(AUDIO_TRACK_ID, AUDIO_TRACK_NAME);
        Ok(Session {
            clock,
            video,
            audio_codec: audio_preset.codec,
            audio: Audio::Waiting(audio_preset),
            audio_factory: Box::new(audio_encoder),
            fragment_duration,
            first_sequence: c.first_sequence,
            track: track.as_str().to_string(),
            upload: SinkListener::new(sink, naming),
            endpoint,
            token: c.token,
            timeout_ms: c.request_timeout,
            av: AvClock::default(),
            pending_audio: VecDeque::new(),
            scratch: Vec::new(),
            wall_origin_ms: None,
            frames_in: 0,
            frames_dropped: 0,
            encode_ms: Percentiles::new(ENCODE_TIMES_KEPT),
            ack_ms: Percentiles::new(ACK_LATENCIES_KEPT),
            encoded_at: VecDeque::new(),
            recent_fragments: VecDeque::new(),
            fragments_made: 0,
            audio_fragments_made: 0,
            events: VecDeque::new(),
        })
    }

    /// The encoder settings: before the first frame those for the
    /// preset's largest size (what to ask the camera for), then those in
    /// force.
    pub fn encoder_config(&self) -> &EncoderConfig {
        self.video.encoder_config()
    }

    /// The audio codec this session encodes microphone samples with: the
    /// preset's `audio.codec`, or AAC (the default live audio,
    /// [`default_live_audio`]) when the preset has no audio. A driver
    /// whose encoders live elsewhere loads this one before the first
    /// samples ([`Session::set_audio_encoder_factory`]). Codecs other than
    /// AAC and Opus are refused at the first samples (`audio.codec`).
    pub fn audio_codec(&self) -> AudioCodec {
        self.audio_codec
    }

    /// Replaces what makes the audio encoder at the first microphone
    /// samples (default [`crate::registry::audio_encoder`], which refuses a
    /// codec this build leaves out with an `audio.codec` error). The live
    /// check (AAC or Opus) still comes first. Once the encoder is made,
    /// a new factory changes nothing.
    pub fn set_audio_encoder_factory(&mut self, factory: Box<AudioEncoderFactory>) {
        self.audio_factory = factory;
    }

    /// The camera's frame rate, for a preset whose frame rate is `auto`;
    /// only before the first frame.
    pub fn set_camera_fps(&mut self, fps: f32) {
        self.video.set_camera_fps(fps);
    }

    /// Encodes one picture stamped `timestamp_us` (its own clock, any
    /// origin, increasing) and read at `read_ms` (wall clock). The first
    /// picture fixes the encoded size. Returns `false` when the frame was
    /// dropped because its timestamp did not increase.
    pub fn push_frame(&mut self, picture: Picture<'_>, timestamp_us: f64, read_ms: f64) -> Result<bool, SessionError> {
        let (ts, read) = (timestamp(timestamp_us)?, read_time(read_ms)?);
        self.av.note_video(ts, read);
        let Picture { data, size, layout } = picture;
        let (format, stride) = match layout {
            PictureLayout::I420 => (InputFormat::I420, size.width as usize),
            PictureLayout::Rgba { stride, bgra } => (if bgra { InputFormat::Bgra } else { InputFormat::Rgba }, stride),
            PictureLayout::Nv12 { y_stride, uv_offset, uv_stride }
                if uv_stride == y_stride && Some(uv_offset) == y_stride.checked_mul(size.height as usize) =>
            {
                (InputFormat::Nv12, y_stride)
            }
            PictureLayout::Nv12 { y_stride, uv_offset, uv_stride } => {
                // Another layout: to packed I420 first.
                let mut buf = std::mem::take(&mut self.scratch);
                let converted = nv12_to_i420(data, size.width, size.height, y_stride, uv_offset, uv_stride, &mut buf)
                    .map_err(|e| SessionError::InvalidFrame { field: None, message: e.to_string() })
                    .and_then(|()| self.encode(&buf, InputFormat::I420, size, size.width as usize, ts, read));
                self.scratch = buf;
                return converted;
            }
        };
        self.encode(data, format, size, stride, ts, read)
    }

    fn encode(
        &mut self,
        data: &[u8],
        format: InputFormat,
        size: Size,
        stride: usize,
        timestamp_us: f64,
        read_ms: f64,
    ) -> Result<bool, SessionError> {
        self.frames_in += 1;
        let t0 = self.clock.now_ms();
        let started = self.video.started();
        let made = match self.video.push(data, format, size, stride, timestamp_us.round() as i64) {
            Ok(made) => made,
            Err(LiveVideoError::Pipeline(VideoPipelineError::NonMonotonic { .. })) => {
                self.frames_dropped += 1;
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        };
        let t1 = self.clock.now_ms();
        self.encode_ms.push(t1 - t0);
        self.encoded_at.push_back(t1);
        while self.encoded_at.front().is_some_and(|&t| t < t1 - FPS_WINDOW_MS) {
            self.encoded_at.pop_front();
        }
        self.wall_origin_ms.get_or_insert(read_ms);
        if !started {
            let input = InputSize { width: size.width, height: size.height };
            self.events.push_back(SessionEvent::Video { encoder: self.video.encoder_config().clone(), input });
        }
        if let (Audio::Running(a), Some(origin)) = (&mut self.audio, self.video.origin_us()) {
            a.set_origin(origin);
        }
        self.take(false, made)?;
        Ok(true)
    }

    /// Takes microphone audio: interleaved `f32` PCM of `channels`
    /// channels at `rate` Hz, its first frame stamped `timestamp_us` on
    /// the audio's own clock and read at `read_ms` (wall clock). It waits
    /// until the audio-to-video clock mapping is frozen (see [`AvClock`]),
    /// then goes to the encoder the preset's `audio` asks for (AAC-LC
    /// 48 kHz 128 kbit/s when it has none), made with the first samples,
    /// as the track `audio`. Audio before the first video frame is
    /// dropped.
    pub fn push_audio(
        &mut self,
        pcm: &[f32],
        rate: u32,
        channels: u32,
        timestamp_us: f64,
        read_ms: f64,
    ) -> Result<(), SessionError> {
        let (ts, read) = (timestamp(timestamp_us)?, read_time(read_ms)?);
        self.av.note_audio(ts, read);
        let settled = self.av.settled();
        if settled && self.pending_audio.is_empty() {
            if let Some(shift) = self.av.audio_shift_us() {
                return self.encode_audio(pcm, rate, channels, ts + shift);
            }
        }
        self.pending_audio.push_back(PendingAudio { pcm: pcm.to_vec(), rate, channels, timestamp_us: ts });
        if self.pending_audio.len() > MAX_PENDING_AUDIO {
            self.pending_audio.pop_front();
        }
        if settled {
            self.flush_audio()?;
        }
        Ok(())
    }

    /// Hands the audio waiting for the clock mapping to the encoder now,
    /// with the offsets estimated so far; without a video frame there is no
    /// mapping and it is dropped. [`Session::finish`] does this first; call
    /// it before to see its error apart from the end's. After an error the
    /// rest of the waiting audio is dropped.
    pub fn flush_audio(&mut self) -> Result<(), SessionError> {
        let waiting = std::mem::take(&mut self.pending_audio);
        let Some(shift) = self.av.audio_shift_us() else { return Ok(()) };
        for a in waiting {
            self.encode_audio(&a.pcm, a.rate, a.channels, a.timestamp_us + shift)?;
        }
        Ok(())
    }

    /// Encodes PCM stamped on the video's clock; the pipeline is made with
    /// the first call.
    fn encode_audio(&mut self, pcm: &[f32], rate: u32, channels: u32, capture_us: f64) -> Result<(), SessionError> {
        let capture_us = timestamp(capture_us)?;
        if let Audio::Waiting(preset) = &self.audio {
            let layout = ChannelLayout::for_count(channels as usize).ok_or_else(|| SessionError::InvalidFrame {
                field: Some("channels"),
                message: format!("audio: {channels} channels is not a layout framecast takes"),
            })?;
            let made = encoder_from(&*self.audio_factory, preset, rate, layout.channels() as u16).and_then(|encoder| {
                let mut c = AudioPipelineConfig::new(rate, layout);
                c.fragment_duration = self.fragment_duration;
                c.first_sequence = self.first_sequence;
                AudioPipeline::new(encoder, c)
            });
            match made {
                Ok(mut p) => {
                    if let Some(origin) = self.video.origin_us() {
                        p.set_origin(origin);
                    }
                    self.audio = Audio::Running(Box::new(p));
                }
                Err(e) => {
                    self.audio = Audio::Failed;
                    return Err(e.into());
                }
            }
        }
        let Audio::Running(audio) = &mut self.audio else { return Ok(()) };
        let made = audio.push(pcm, capture_us.round() as i64)?;
        self.take(true, made)
    }

    /// Counts frames dropped before they reached the session (capture
    /// backpressure), so the stats cover every captured frame.
    pub fn note_dropped(&mut self, frames: u32) {
        self.frames_in += u64::from(frames);
        self.frames_dropped += u64::from(frames);
    }

    /// Ends the stream: hands over the waiting audio, closes the last
    /// fragments and queues the end mark. Later pushes fail with
    /// `invalid-state`.
    pub fn finish(&mut self) -> Result<(), SessionError> {
        self.flush_audio()?;
        let made = self.video.finish()?;
        self.take(false, made)?;
        if let Audio::Running(a) = &mut self.audio {
            let made = a.finish()?;
            self.take(true, made)?;
        }
        self.upload.sink_mut().queue_mut().push_end();
        Ok(())
    }

    /// Hands pipeline output of the video (or, with `audio`, the audio)
    /// track to the uploads, with a `fragment` event each.
    fn take(&mut self, audio: bool, made: Vec<PipelineEvent>) -> Result<(), SessionError> {
        let now = self.clock.now_ms();
        self.upload.sink_mut().set_now(now);
        for event in made {
            match event {
                PipelineEvent::Init(init) => self.upload.on_init(&init),
                PipelineEvent::Fragment(f) => {
                    let (start_us, duration_us) = span_micros(f.start, f.duration);
                    let bytes = f.bytes.len() as u64;
                    if audio {
                        self.audio_fragments_made += 1;
                    } else {
                        self.fragments_made += 1;
                        self.recent_fragments.push_back((duration_us, bytes));
                        if self.recent_fragments.len() > BITRATE_FRAGMENTS {
                            self.recent_fragments.pop_front();
                        }
                    }
                    let track = if audio { AUDIO_TRACK_NAME.to_string() } else { self.track.clone() };
                    self.events.push_back(SessionEvent::Fragment {
                        track,
                        sequence: f.sequence_number,
                        start: start_us,
                        duration: duration_us,
                        bytes,
                        keyframe: f.keyframe,
                        capture_time: self.wall_origin_ms.map(|w| w + start_us as f64 / 1000.0),
                    });
                    self.upload.on_fragment(&f);
                    for e in self.upload.sink_mut().take_events() {
                        let event = self.describe(&e);
                        self.events.push_back(event);
                    }
                }
            }
            self.upload.check()?;
        }
        Ok(())
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// The next request to send, if one may go now (one at a time).
    pub fn next_request(&mut self) -> Option<HttpRequest> {
        let now = self.clock.now_ms();
        let req = self.upload.sink_mut().queue_mut().next_request(now)?;
        let mut headers = Vec::new();
        if let Some(ct) = req.content_type {
            headers.push(("Content-Type", ct.to_string()));
        }
        if let Some(token) = &self.token {
            headers.push(("Authorization", format!("Bearer {token}")));
        }
        Some(HttpRequest {
            id: req.id,
            method: req.method,
            url: format!("{}{}", self.endpoint, req.path),
            headers,
            body: req.content_type.map(|_| req.body.clone()),
            timeout_ms: self.timeout_ms,
            upload: req,
        })
    }

    /// Milliseconds to wait before [`Session::next_request`] can give a
    /// request (back-off), or `None` when one can go now or nothing is
    /// left to send.
    pub fn wait_ms(&self) -> Option<f64> {
        self.upload.sink().queue().wait_ms(self.clock.now_ms())
    }

    /// Reports how request `id` ended.
    pub fn on_response(&mut self, id: u64, outcome: Outcome<'_>) {
        let now = self.clock.now_ms();
        let happened = self.upload.sink_mut().queue_mut().on_response(id, now, outcome);
        for e in &happened {
            let event = self.describe(e);
            self.events.push_back(event);
        }
    }

    /// Nothing to send and nothing in flight (or the uploads failed).
    pub fn is_idle(&self) -> bool {
        self.upload.sink().queue().is_idle()
    }

    /// Where the uploads stand (after [`Session::finish`]: whether they
    /// completed).
    pub fn finish_result(&self) -> FinishResult {
        let q = self.upload.sink().queue();
        FinishResult {
            complete: q.is_idle() && q.failure().is_none() && q.is_ended(),
            queue_fragments: q.queued_fragments() as u64,
            failure: q.failure().map(|e| FinishFailure { code: e.code, message: e.message.clone() }),
        }
    }

    fn describe(&mut self, event: &UploadEvent) -> SessionEvent {
        match event {
            UploadEvent::InitAcked { ack } => SessionEvent::Init { ack: ack.clone() },
            UploadEvent::FragmentAcked { ack, latency_ms, attempts } => {
                let glass = self.wall_origin_ms.map(|w| {
                    let end = w + (ack.producer_timestamp as f64 + ack.duration as f64) / 1000.0;
                    self.clock.wall_ms() - end
                });
                if let Some(g) = glass {
                    self.ack_ms.push(g);
                }
                SessionEvent::Ack {
                    track: ack.track.as_str().to_string(),
                    sequence: ack.sequence,
                    ack: ack.clone(),
                    upload_ms: *latency_ms,
                    latency_ms: glass,
                    attempts: *attempts,
                }
            }
            UploadEvent::Ended { ack } => SessionEvent::Ended { ack: ack.clone() },
            UploadEvent::Retry { path, attempt, delay_ms, reason } => SessionEvent::Retry {
                path: path.clone(),
                attempt: *attempt,
                delay_ms: *delay_ms,
                message: event.to_string(),
                reason: reason.clone(),
            },
            UploadEvent::Rejected { path, sequence, error } => SessionEvent::Rejected {
                path: path.clone(),
                sequence: *sequence,
                code: error.code,
                message: event.to_string(),
            },
            UploadEvent::Dropped { sequences, fragments, media_us, .. } => SessionEvent::Dropped {
                sequences: sequences.clone(),
                fragments: fragments.clone(),
                media_ms: *media_us as f64 / 1000.0,
                message: event.to_string(),
            },
            UploadEvent::Failed { error } => SessionEvent::Failed { code: error.code, message: event.to_string() },
        }
    }

    /// The current figures.
    pub fn stats(&self) -> SessionStats {
        let q = self.upload.sink().queue();
        let c = q.counters();
        let (dur, bytes) = self.recent_fragments.iter().fold((0u64, 0u64), |(d, b), &(fd, fb)| (d + fd, b + fb));
        let bitrate = if dur > 0 { bytes as f64 * 8.0 * 1e6 / dur as f64 } else { 0.0 };
        let fps = match (self.encoded_at.front(), self.encoded_at.back()) {
            (Some(a), Some(b)) if b > a => (self.encoded_at.len() - 1) as f64 * 1000.0 / (b - a),
            _ => 0.0,
        };
        SessionStats {
            frames_in: self.frames_in,
            frames_encoded: self.video.frames(),
            frames_dropped: self.frames_dropped,
            encoded_fps: fps,
            encode_ms_p50: self.encode_ms.percentile(50.0),
            encode_ms_p95: self.encode_ms.percentile(95.0),
            bitrate: bitrate.round(),
            fragments_made: self.fragments_made,
            fragments_acknowledged: c.acknowledged,
            fragments_dropped: c.dropped,
            dropped_media_ms: c.dropped_media_us as f64 / 1000.0,
            fragments_rejected: c.rejected,
            retries: c.retries,
            queue_fragments: q.queued_fragments() as u64,
            queue_duration_ms: q.queued_duration_us() / 1000,
            queue_bytes: q.queued_bytes(),
            ack_latency_ms_p50: self.ack_ms.percentile(50.0),
            ack_latency_ms_p95: self.ack_ms.percentile(95.0),
            bytes_acknowledged: c.bytes_acknowledged,
            audio: match &self.audio {
                Audio::Running(a) => {
                    let c = a.counters();
                    Some(AudioStats {
                        fragments_made: self.audio_fragments_made,
                        packets: c.packets,
                        dropped_samples: c.dropped_samples,
                        inserted_samples: c.inserted_samples,
                        resyncs: c.resyncs,
                    })
                }
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use serde_json::json;

    use super::*;
    use crate::frame::i420_size;
    use crate::ingest::{IngestError, MediaKind};
    use crate::publish::{UploadKind, CLOCK_SAMPLES};
    use crate::registry::EncoderChoiceError;

    /// Wall-clock ms of monotonic time 0.
    const WALL0: f64 = 1_700_000_000_000.0;

    /// A clock the test moves; each `now_ms` read also advances it by
    /// `tick` (so an encode between two reads "takes" `tick` ms).
    #[derive(Clone, Default)]
    struct FakeClock(Rc<(Cell<f64>, Cell<f64>)>);

    impl FakeClock {
        fn advance(&self, ms: f64) {
            self.0 .0.set(self.0 .0.get() + ms);
        }
        fn set_tick(&self, ms: f64) {
            self.0 .1.set(ms);
        }
        fn now(&self) -> f64 {
            self.0 .0.get()
        }
    }

    impl Clock for FakeClock {
        fn now_ms(&self) -> f64 {
            let t = self.0 .0.get();
            self.0 .0.set(t + self.0 .1.get());
            t
        }
        fn wall_ms(&self) -> f64 {
            WALL0 + self.0 .0.get()
        }
    }

    fn config(extra: Value) -> SessionConfig {
        let mut c = json!({"endpoint": "http://127.0.0.1:8787/", "stream": "cam", "preset": "webcam-360p",
                            "fragmentDuration": 1000, "token": "t0k"});
        if let (Some(c), Value::Object(extra)) = (c.as_object_mut(), extra) {
            c.extend(extra);
        }
        serde_json::from_value(c).unwrap()
    }

    fn session(extra: Value) -> (Session, FakeClock) {
        let clock = FakeClock::default();
        (Session::new(config(extra), Box::new(clock.clone())).unwrap(), clock)
    }

    fn frame(n: u32) -> Vec<u8> {
        let mut data = vec![128u8; i420_size(640, 360)];
        for (i, p) in data[..640 * 360].iter_mut().enumerate() {
            *p = ((i as u32 % 640 + n * 5) % 256) as u8;
        }
        data
    }

    /// Pushes frames `from..to` at 30 fps: camera clock 5 s ahead of the
    /// monotonic clock, read 4 ms after capture (wall clock).
    fn push_frames(s: &mut Session, clock: &FakeClock, from: u32, to: u32) {
        for n in from..to {
            let t_ms = f64::from(n) * 1000.0 / 30.0;
            clock.advance(t_ms - clock.now());
            let ts = (t_ms + 5000.0) * 1000.0;
            assert!(s.push_frame(Picture::i420(&frame(n), 640, 360), ts, WALL0 + t_ms + 4.0).unwrap());
        }
    }

    fn events(s: &mut Session) -> Vec<SessionEvent> {
        std::iter::from_fn(|| s.poll_event()).collect()
    }

    /// What the fake server answers.
    enum Reply {
        Http(u16, Option<&'static str>, String),
        Network,
    }

    fn ok_answer(req: &HttpRequest) -> Reply {
        let track = req.upload.track.clone();
        let stream = StreamName::new("cam").unwrap();
        match (&req.upload.kind, track) {
            (UploadKind::Init, Some(track)) => {
                let kind = if track.as_str() == "audio" { MediaKind::Audio } else { MediaKind::Video };
                let ack = InitAck {
                    stream,
                    track,
                    kind,
                    codec: "avc1.42c01e".into(),
                    timescale: 90_000,
                    bytes: req.upload.body.len() as u64,
                    server_timestamp: 1,
                    persisted: true,
                    duplicate: false,
                };
                Reply::Http(201, None, serde_json::to_string(&ack).unwrap())
            }
            (UploadKind::Fragment { sequence, start_us, duration_us }, Some(track)) => {
                let ack = FragmentAck {
                    stream,
                    track,
                    sequence: *sequence,
                    producer_timestamp: *start_us,
                    server_timestamp: 2,
                    duration: *duration_us,
                    bytes: req.upload.body.len() as u64,
                    keyframe: true,
                    persisted: true,
                    duplicate: false,
                    discontinuity: false,
                };
                Reply::Http(201, None, serde_json::to_string(&ack).unwrap())
            }
            _ => {
                let ack = EndAck { stream, ended: true, server_timestamp: 3, persisted: true };
                Reply::Http(200, None, serde_json::to_string(&ack).unwrap())
            }
        }
    }

    fn refuse(status: u16, code: IngestErrorCode) -> Reply {
        Reply::Http(status, None, serde_json::to_string(&IngestError::new(code, "why").into_body()).unwrap())
    }

    /// Sends what the session asks for, each answer `latency` ms later,
    /// waiting out back-offs, until it has nothing left to send.
    fn drive(
        s: &mut Session,
        clock: &FakeClock,
        latency: f64,
        mut answer: impl FnMut(&HttpRequest) -> Reply,
    ) -> Vec<HttpRequest> {
        let mut sent = Vec::new();
        for _ in 0..200 {
            if let Some(wait) = s.wait_ms() {
                clock.advance(wait);
            }
            let Some(req) = s.next_request() else { break };
            clock.advance(latency);
            match answer(&req) {
                Reply::Http(status, retry_after, body) => {
                    s.on_response(req.id, Outcome::Http { status, retry_after, body: &body })
                }
                Reply::Network => s.on_response(req.id, Outcome::Network("connection reset")),
            }
            sent.push(req);
        }
        sent
    }

    #[test]
    fn frames_become_fragment_events_uploads_and_stats() {
        let (mut s, clock) = session(json!({}));
        clock.set_tick(0.5);
        assert_eq!((s.encoder_config().width, s.encoder_config().height), (640, 360), "planned before the first frame");
        push_frames(&mut s, &clock, 0, 93);
        let made = events(&mut s);
        let SessionEvent::Video { encoder, input } = &made[0] else { panic!("{made:?}") };
        assert_eq!((encoder.width, encoder.height, *input), (640, 360, InputSize { width: 640, height: 360 }));
        let fragments: Vec<_> = made
            .iter()
            .filter_map(|e| match e {
                SessionEvent::Fragment { track, sequence, start, duration, capture_time, keyframe, .. } => {
                    Some((track.clone(), *sequence, *start, *duration, *capture_time, *keyframe))
                }
                _ => None,
            })
            .collect();
        assert_eq!(fragments.len(), 3, "93 frames in 1 s fragments: 3 closed");
        for (i, (track, sequence, start, duration, capture_time, keyframe)) in fragments.iter().enumerate() {
            assert_eq!((track.as_str(), *sequence, *keyframe), ("video", i as u32 + 1, true));
            assert_eq!(*start, i as i64 * 1_000_000, "media time 0 is the first frame");
            assert!((990_000..=1_010_000).contains(duration), "{duration}");
            // Dated from the first frame's read time.
            assert_eq!(*capture_time, Some(WALL0 + 4.0 + *start as f64 / 1000.0));
        }

        // Uploads: the init segment, then the fragments in order, each
        // answered 40 ms after it was sent.
        clock.set_tick(0.0);
        let uploads_start = clock.now();
        let sent = drive(&mut s, &clock, 40.0, ok_answer);
        let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:8787/streams/cam/video/init.mp4",
                "http://127.0.0.1:8787/streams/cam/video/1.m4s",
                "http://127.0.0.1:8787/streams/cam/video/2.m4s",
                "http://127.0.0.1:8787/streams/cam/video/3.m4s"
            ]
        );
        let first = &sent[1];
        assert_eq!((first.method, first.timeout_ms), ("PUT", 15_000));
        assert_eq!(
            first.headers,
            [("Content-Type", "video/mp4".to_string()), ("Authorization", "Bearer t0k".to_string())]
        );
        assert!(first.body.as_ref().is_some_and(|b| b.len() > 1000));
        let acked = events(&mut s);
        assert!(matches!(&acked[0], SessionEvent::Init { ack } if ack.track.as_str() == "video"));
        let SessionEvent::Ack { track, sequence, upload_ms, latency_ms, attempts, .. } = &acked[1] else {
            panic!("{acked:?}")
        };
        assert_eq!((track.as_str(), *sequence, *attempts), ("video", 1, 1));
        // Queued when frame 30 was encoded (t = 1000 ms, after two clock
        // reads of 0.5 ms), acknowledged after the init segment and
        // itself.
        let acked_at = uploads_start + 80.0;
        assert!((upload_ms - (acked_at - 1001.0)).abs() < 1e-6, "{upload_ms}");
        // Glass latency: from the wall-clock read time of its end.
        let first_duration_ms = fragments[0].3 as f64 / 1000.0;
        let end = 4.0 + first_duration_ms;
        assert!((latency_ms.unwrap() - (acked_at - end)).abs() < 1e-3, "{latency_ms:?}");

        let st = s.stats();
        assert_eq!((st.frames_in, st.frames_encoded, st.frames_dropped), (93, 93, 0));
        assert_eq!(st.encode_ms_p50, Some(0.5));
        assert!((st.encoded_fps - 30.0).abs() < 0.5, "{}", st.encoded_fps);
        assert_eq!((st.fragments_made, st.fragments_acknowledged, st.queue_fragments), (3, 3, 0));
        let bytes: u64 = sent[1..].iter().map(|r| r.upload.body.len() as u64).sum();
        assert_eq!(st.bytes_acknowledged, bytes);
        let media_us: u64 = fragments.iter().map(|f| f.3).sum();
        assert_eq!(st.bitrate, (bytes as f64 * 8.0 * 1e6 / media_us as f64).round());
        assert!(st.ack_latency_ms_p50.is_some() && st.audio.is_none());

        // The end: the last fragment, the end mark, a complete result.
        s.finish().unwrap();
        assert!(matches!(events(&mut s)[..], [SessionEvent::Fragment { sequence: 4, .. }]));
        let sent = drive(&mut s, &clock, 10.0, ok_answer);
        let last = sent.last().unwrap();
        assert_eq!((last.method, last.url.as_str()), ("POST", "http://127.0.0.1:8787/streams/cam/end"));
        assert_eq!((last.body.as_ref(), last.headers.len()), (None, 1), "no body, no Content-Type");
        assert!(matches!(events(&mut s).last(), Some(SessionEvent::Ended { .. })));
        assert_eq!(s.finish_result(), FinishResult { complete: true, queue_fragments: 0, failure: None });
        assert!(s.is_idle());
        let after = s.push_frame(Picture::i420(&frame(0), 640, 360), 9e9, WALL0);
        assert!(matches!(&after, Err(e) if e.code() == ErrorCode::InvalidState), "{after:?}");
    }

    #[test]
    fn retries_rejections_and_failures_become_events() {
        let (mut s, clock) = session(json!({"backoff": {"initial": 100, "max": 400}}));
        push_frames(&mut s, &clock, 0, 64);
        events(&mut s);
        let mut fragment_tries = 0;
        let sent = drive(&mut s, &clock, 5.0, |req| match &req.upload.kind {
            UploadKind::Fragment { sequence: 1, .. } => {
                fragment_tries += 1;
                match fragment_tries {
                    1 => Reply::Http(503, Some("2"), String::new()),
                    2 => Reply::Network,
                    3 => refuse(412, IngestErrorCode::InitRequired),
                    _ => ok_answer(req),
                }
            }
            UploadKind::Fragment { sequence: 2, .. } => refuse(409, IngestErrorCode::NonMonotonic),
            _ => ok_answer(req),
        });
        let paths: Vec<&str> = sent.iter().map(|r| r.upload.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/streams/cam/video/init.mp4",
                "/streams/cam/video/1.m4s",
                "/streams/cam/video/1.m4s",
                // After a network error the init segment goes again first.
                "/streams/cam/video/init.mp4",
                "/streams/cam/video/1.m4s",
                // 412 init-required: the init segment, then the fragment.
                "/streams/cam/video/init.mp4",
                "/streams/cam/video/1.m4s",
                "/streams/cam/video/2.m4s"
            ]
        );
        let seen = events(&mut s);
        let retries: Vec<(u32, u64)> = seen
            .iter()
            .filter_map(|e| match e {
                SessionEvent::Retry { attempt, delay_ms, message, reason, .. } => {
                    assert!(message.contains(reason.as_str()), "{message} / {reason}");
                    Some((*attempt, *delay_ms))
                }
                _ => None,
            })
            .collect();
        // 503 with Retry-After, a network error, and a 412 on the third
        // try (a server that keeps forgetting the init segment backs off).
        assert_eq!(retries.len(), 3, "{retries:?}");
        assert_eq!(retries[0], (2, 2000), "Retry-After wins over the back-off");
        assert!((100..=200).contains(&retries[1].1), "{retries:?}");
        assert!((200..=400).contains(&retries[2].1), "{retries:?}");
        assert!(seen.iter().any(|e| matches!(e,
            SessionEvent::Rejected { sequence: 2, code: IngestErrorCode::NonMonotonic, path, .. } if path == "/streams/cam/video/2.m4s")));
        let st = s.stats();
        assert_eq!((st.retries, st.fragments_rejected, st.fragments_acknowledged), (3, 1, 1));

        // A refused init segment fails the uploads for good.
        let (mut s, clock) = session(json!({"uploadMethod": "POST"}));
        push_frames(&mut s, &clock, 0, 2);
        events(&mut s);
        let sent = drive(&mut s, &clock, 5.0, |_| refuse(401, IngestErrorCode::Unauthorized));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].method, "POST");
        let failed = events(&mut s);
        assert!(
            matches!(&failed[..], [SessionEvent::Failed { code: IngestErrorCode::Unauthorized, message }] if message.starts_with("publishing failed")),
            "{failed:?}"
        );
        s.finish().unwrap();
        let result = s.finish_result();
        assert!(!result.complete);
        assert_eq!(result.failure.map(|f| f.code), Some(IngestErrorCode::Unauthorized));
        assert!(s.is_idle());
    }

    #[test]
    fn a_full_queue_drops_the_oldest_fragments() {
        let (mut s, clock) = session(json!({"maxQueueDuration": 2000}));
        push_frames(&mut s, &clock, 0, 124);
        let dropped: Vec<_> = events(&mut s)
            .into_iter()
            .filter_map(|e| match e {
                SessionEvent::Dropped { sequences, message, .. } => Some((sequences, message)),
                _ => None,
            })
            .collect();
        assert_eq!(dropped.len(), 2, "{dropped:?}");
        assert_eq!(dropped[0].0, [1]);
        assert!(dropped[0].1.contains("the network is slower than the stream"));
        assert_eq!(s.stats().fragments_dropped, 2);
    }

    /// Pushes audio in 10 ms buffers of 48 kHz mono alongside 30 fps
    /// video, for `seconds`; audio is stamped on its own clock (`clock_us`
    /// maps wall-clock ms to it) and starts `audio_late_ms` after the
    /// first video frame.
    fn av(s: &mut Session, seconds: f64, audio_late_ms: f64, clock_us: impl Fn(f64) -> f64) {
        let mut next_audio = audio_late_ms;
        let frames = (seconds * 30.0) as u32;
        for n in 0..frames {
            let t_ms = f64::from(n) * 1000.0 / 30.0;
            while next_audio <= t_ms {
                let pcm: Vec<f32> = (0..480).map(|i| ((i as f32) * 0.05).sin() * 0.3).collect();
                s.push_audio(&pcm, 48_000, 1, clock_us(next_audio), WALL0 + next_audio + 2.0).unwrap();
                next_audio += 10.0;
            }
            let ts = (t_ms + 5000.0) * 1000.0;
            s.push_frame(Picture::i420(&frame(n), 640, 360), ts, WALL0 + t_ms + 2.0).unwrap();
        }
    }

    fn audio_stats(s: &Session) -> AudioStats {
        s.stats().audio.expect("audio started")
    }

    #[test]
    fn audio_waits_for_the_clock_mapping_then_plays_on_the_video_clock() {
        // Audio on the video's clock, and on a page clock 1.7e12 ms behind
        // it: after the mapping, both give the same track.
        let (mut same, _) = session(json!({"preset": "framecast-webcam-360p-ll"}));
        av(&mut same, 3.0, 100.0, |wall_ms| (wall_ms + 5000.0) * 1000.0);
        let (mut other, _) = session(json!({"preset": "framecast-webcam-360p-ll"}));
        av(&mut other, 3.0, 100.0, |wall_ms| wall_ms * 1000.0 - 7.0e9);
        let (a, b) = (audio_stats(&same), audio_stats(&other));
        assert_eq!(a, b);
        // The microphone started 100 ms after the first frame: 100 ms of
        // silence, less the encoder's delay, goes in front.
        let delay = 312u64; // Opus pre-skip at 48 kHz
        assert!(a.inserted_samples.abs_diff(4800 - delay) <= 48, "{a:?}");
        assert_eq!((a.dropped_samples, a.resyncs), (0, 0));
        let made = events(&mut other);
        let audio: Vec<u32> = made
            .iter()
            .filter_map(|e| match e {
                SessionEvent::Fragment { track, sequence, .. } if track == "audio" => Some(*sequence),
                _ => None,
            })
            .collect();
        assert_eq!(audio, [1, 2]);
        // The audio track uploads as `audio`, audio/mp4.
        let sent = drive(&mut other, &FakeClock::default(), 1.0, ok_answer);
        let audio_init = sent.iter().find(|r| r.upload.path == "/streams/cam/audio/init.mp4").expect("audio init");
        assert_eq!(audio_init.headers[0], ("Content-Type", "audio/mp4".to_string()));
    }

    #[test]
    fn audio_waits_until_both_clocks_are_frozen() {
        let (mut s, clock) = session(json!({}));
        let pcm = vec![0.0f32; 480];
        // Buffer `i` was captured 10.2 s before the first frame plus i x
        // 10 ms, on a clock that reads i x 10 ms.
        let audio = |s: &mut Session, i: usize| {
            let read = WALL0 + i as f64 * 10.0 - 10_200.0;
            s.push_audio(&pcm, 48_000, 1, i as f64 * 10_000.0, read).unwrap();
        };
        // Audio only: it waits, at most MAX_PENDING_AUDIO buffers.
        for i in 0..(MAX_PENDING_AUDIO + 20) {
            audio(&mut s, i);
        }
        assert_eq!(s.pending_audio.len(), MAX_PENDING_AUDIO);
        assert_eq!(s.pending_audio[0].timestamp_us, 200_000.0, "the oldest went");
        assert!(s.stats().audio.is_none());
        // Frames, fewer than CLOCK_SAMPLES: still waiting.
        push_frames(&mut s, &clock, 0, CLOCK_SAMPLES - 1);
        audio(&mut s, 1200);
        assert!(s.stats().audio.is_none());
        assert!(!s.av.settled());
        // The last video sample freezes the video clock; the next audio
        // buffer hands everything over, on the video's clock: the waiting
        // buffers were captured before the first frame and are dropped.
        push_frames(&mut s, &clock, CLOCK_SAMPLES - 1, CLOCK_SAMPLES);
        assert!(s.av.settled());
        audio(&mut s, 1210);
        assert!(s.pending_audio.is_empty());
        let a = audio_stats(&s);
        // Two of them went to make room for the buffers after the frames.
        assert_eq!(a.dropped_samples, 480 * (MAX_PENDING_AUDIO as u64 - 2), "{a:?}");
        assert!(a.inserted_samples > 0, "{a:?}");
    }

    #[test]
    fn finish_hands_over_audio_still_waiting() {
        // A short stream: the clocks never freeze; finish maps the audio
        // with the estimates so far.
        let (mut s, clock) = session(json!({}));
        let pcm = vec![0.1f32; 960];
        push_frames(&mut s, &clock, 0, 20);
        for i in 0..30 {
            s.push_audio(&pcm, 48_000, 2, 10_000.0 * f64::from(i), WALL0 + 10.0 * f64::from(i) + 1.0).unwrap();
        }
        assert!(s.stats().audio.is_none());
        s.flush_audio().unwrap();
        assert!(s.stats().audio.is_some());
        s.finish().unwrap();
        let made = events(&mut s);
        assert!(made.iter().any(|e| matches!(e, SessionEvent::Fragment { track, .. } if track == "audio")));
        // Without a video frame there is no mapping: the audio is dropped.
        let (mut s, _) = session(json!({}));
        s.push_audio(&pcm, 48_000, 2, 0.0, WALL0).unwrap();
        s.finish().unwrap();
        assert!(s.stats().audio.is_none() && s.pending_audio.is_empty());
    }

    #[test]
    fn the_session_names_the_audio_codec_it_needs() {
        assert_eq!(session(json!({})).0.audio_codec(), AudioCodec::Aac, "no audio in the preset: AAC");
        let (ll, _) = session(json!({"preset": "framecast-webcam-360p-ll"}));
        assert_eq!(ll.audio_codec(), AudioCodec::Opus);
    }

    #[test]
    fn an_audio_encoder_factory_makes_the_encoder_once() {
        let calls = Rc::new(Cell::new(0u32));
        let (mut s, _) = session(json!({"preset": "framecast-webcam-360p-ll"}));
        let seen = calls.clone();
        s.set_audio_encoder_factory(Box::new(move |preset, rate, channels| {
            seen.set(seen.get() + 1);
            assert_eq!((preset.codec, rate, channels), (AudioCodec::Opus, 48_000, 1));
            audio_encoder(preset, rate, channels)
        }));
        av(&mut s, 3.0, 100.0, |wall_ms| (wall_ms + 5000.0) * 1000.0);
        assert_eq!(calls.get(), 1);
        // The same track as with the built-in encoders.
        let (mut built_in, _) = session(json!({"preset": "framecast-webcam-360p-ll"}));
        av(&mut built_in, 3.0, 100.0, |wall_ms| (wall_ms + 5000.0) * 1000.0);
        assert_eq!(audio_stats(&s), audio_stats(&built_in));
    }

    /// Frames, then audio waiting for the clock mapping; the error of
    /// handing it to the encoder.
    fn audio_start_error(s: &mut Session, clock: &FakeClock) -> SessionError {
        push_frames(s, clock, 0, 20);
        for i in 0..30 {
            s.push_audio(&[0.1; 480], 48_000, 1, 10_000.0 * f64::from(i), WALL0 + 10.0 * f64::from(i) + 1.0).unwrap();
        }
        s.flush_audio().unwrap_err()
    }

    #[test]
    fn a_failing_audio_encoder_factory_is_the_typed_audio_codec_error() {
        let (mut s, clock) = session(json!({}));
        s.set_audio_encoder_factory(Box::new(|_, _, _| {
            Err(EncoderChoiceError {
                field: "audio.codec",
                reason: "AAC needs framecast built with the `aac` cargo feature".into(),
            })
        }));
        let e = audio_start_error(&mut s, &clock);
        assert_eq!((e.code(), e.field().as_deref()), (ErrorCode::InvalidConfig, Some("preset.audio.codec")));
        assert_eq!(e.to_string(), "audio.codec AAC needs framecast built with the `aac` cargo feature");
        assert!(s.stats().audio.is_none());
        // The live check comes first: a FLAC preset (fMP4 carries it) never
        // reaches the factory.
        let mut preset = serde_json::to_value(publish_preset("framecast-webcam-360p-ll").unwrap()).unwrap();
        preset["audio"] = json!({"codec": "flac"});
        let (mut s, clock) = session(json!({ "preset": preset }));
        assert_eq!(s.audio_codec(), AudioCodec::Flac);
        s.set_audio_encoder_factory(Box::new(|_, _, _| unreachable!("the live check refuses flac first")));
        let e = audio_start_error(&mut s, &clock);
        assert_eq!(e.field().as_deref(), Some("preset.audio.codec"));
        assert!(e.to_string().contains("must be AAC or opus for live publishing, got flac"), "{e}");
    }

    #[test]
    fn configuration_errors_name_their_fields() {
        let clock = || -> Box<dyn Clock> { Box::new(FakeClock::default()) };
        let fails = |extra: Value| Session::new(config(extra), clock()).unwrap_err();
        let cases = [
            (json!({"endpoint": "ftp://x"}), "endpoint", ErrorCode::InvalidConfig),
            (json!({"stream": "a b"}), "stream", ErrorCode::InvalidConfig),
            (json!({"track": ""}), "track", ErrorCode::InvalidConfig),
            (json!({"requestTimeout": 10}), "requestTimeout", ErrorCode::InvalidConfig),
            (json!({"preset": "nope"}), "preset", ErrorCode::InvalidConfig),
            (
                json!({"preset": {"name": "a", "container": "mp4", "audio": {"codec": "AAC", "bitRate": 128}}}),
                "preset",
                ErrorCode::InvalidConfig,
            ),
            (
                json!({"preset": {"name": "a", "container": "fmp4", "video": {"bitRate": 9}}}),
                "video.bitRate",
                ErrorCode::InvalidPreset,
            ),
            (json!({"filter": "cubic"}), "filter", ErrorCode::InvalidConfig),
            (json!({"maxQueueDuration": 500}), "maxQueueDuration", ErrorCode::InvalidConfig),
            (json!({"fragmentDuration": 50, "maxQueueDuration": 50}), "fragmentDuration", ErrorCode::InvalidConfig),
            (json!({"firstSequence": 0}), "firstSequence", ErrorCode::InvalidConfig),
            (json!({"video": {"bitrate": "fast"}}), "video.bitrate", ErrorCode::InvalidConfig),
            (json!({"video": {"width": 17}}), "video.width", ErrorCode::InvalidConfig),
            (json!({"uploadMethod": "PATCH"}), "uploadMethod", ErrorCode::InvalidConfig),
        ];
        for (extra, field, code) in cases {
            let e = fails(extra.clone());
            assert_eq!((e.field().as_deref(), e.code()), (Some(field), code), "{extra}: {e}");
        }
        assert_eq!(
            fails(json!({"filter": "cubic"})).to_string(),
            "filter: must be one of lanczos3, bilinear, got \"cubic\""
        );
        assert_eq!(fails(json!({"video": {"bitrate": "fast"}})).to_string().split(':').next(), Some("video.bitrate"));
        assert_eq!(
            fails(json!({"preset": "nope"})).to_string(),
            "preset: no built-in preset \"nope\" (systemPresets() lists them)"
        );
        // Watermark images: one for no slot, one that does not decode.
        let mut c = config(json!({"preset": "1351620000001-000010"}));
        c.watermarks.insert("Nowhere".into(), vec![1, 2, 3]);
        let e = Session::new(c, clock()).unwrap_err();
        assert_eq!((e.field().as_deref(), e.code()), (Some("watermarks.Nowhere"), ErrorCode::InvalidConfig));
        let mut c = config(json!({"preset": "1351620000001-000010"}));
        c.watermarks.insert("TopLeft".into(), vec![1, 2, 3]);
        let e = Session::new(c, clock()).unwrap_err();
        assert_eq!((e.field().as_deref(), e.code()), (Some("watermarks.TopLeft"), ErrorCode::InvalidWatermark));
        // Unknown fields are refused by the JSON reading.
        assert!(serde_json::from_value::<SessionConfig>(json!({"endpoint": "", "stream": "a", "x": 1})).is_err());
    }

    #[test]
    fn bad_frames_and_samples_are_refused_and_the_session_goes_on() {
        let (mut s, clock) = session(json!({}));
        let data = frame(0);
        let e = s.push_frame(Picture::i420(&data, 640, 360), f64::NAN, WALL0).unwrap_err();
        assert_eq!((e.field().as_deref(), e.code()), (Some("timestamp"), ErrorCode::InvalidFrame));
        assert_eq!(e.to_string(), "timestamp: must be a finite number of µs, got NaN");
        let e = s.push_frame(Picture::i420(&data, 640, 360), 0.0, f64::INFINITY).unwrap_err();
        assert_eq!(e.field().as_deref(), Some("captureTime"));
        let e = s.push_frame(Picture::i420(&data[..100], 640, 360), 0.0, WALL0).unwrap_err();
        assert_eq!((e.field(), e.code()), (None, ErrorCode::InvalidFrame));
        push_frames(&mut s, &clock, 0, 2);
        // A timestamp that does not increase drops the frame.
        assert!(!s.push_frame(Picture::i420(&data, 640, 360), 5_000_000.0, WALL0).unwrap());
        s.note_dropped(3);
        let st = s.stats();
        assert_eq!((st.frames_in, st.frames_encoded, st.frames_dropped), (7, 2, 4));
        // NV12 in a padded layout is converted; in the plain one it is read as it is.
        let nv12 = vec![100u8; 704 * 360 + 704 * 180 + 64];
        let padded = PictureLayout::Nv12 { y_stride: 704, uv_offset: 704 * 360 + 64, uv_stride: 704 };
        let pic = Picture { data: &nv12, size: Size::new(640, 360), layout: padded };
        assert!(s.push_frame(pic, 5_100_000.0, WALL0 + 100.0).unwrap());
        let plain = PictureLayout::Nv12 { y_stride: 640, uv_offset: 640 * 360, uv_stride: 640 };
        let pic = Picture { data: &nv12[..640 * 540], size: Size::new(640, 360), layout: plain };
        assert!(s.push_frame(pic, 5_200_000.0, WALL0 + 200.0).unwrap());
        let rgba = vec![90u8; 640 * 360 * 4];
        let pic = Picture {
            data: &rgba,
            size: Size::new(640, 360),
            layout: PictureLayout::Rgba { stride: 2560, bgra: true },
        };
        assert!(s.push_frame(pic, 5_300_000.0, WALL0 + 300.0).unwrap());
        let short = Picture { data: &nv12[..10], size: Size::new(640, 360), layout: padded };
        assert_eq!(s.push_frame(short, 5_400_000.0, WALL0).unwrap_err().code(), ErrorCode::InvalidFrame);
        // Audio: a layout framecast does not take is refused when the
        // audio is handed over.
        s.push_audio(&[0.0; 30], 48_000, 0, 0.0, WALL0).unwrap();
        let e = s.flush_audio().unwrap_err();
        assert_eq!(
            (e.field().as_deref(), e.to_string().as_str()),
            (Some("channels"), "audio: 0 channels is not a layout framecast takes")
        );
        let e = s.push_audio(&[0.0; 2], 48_000, 1, f64::INFINITY, WALL0).unwrap_err();
        assert_eq!(e.field().as_deref(), Some("timestamp"));
        assert_eq!(s.stats().frames_encoded, 5);
    }

    #[test]
    fn events_and_stats_are_the_js_objects() {
        let fragment = SessionEvent::Fragment {
            track: "video".into(),
            sequence: 3,
            start: 2_000_000,
            duration: 1_000_000,
            bytes: 512,
            keyframe: true,
            capture_time: None,
        };
        assert_eq!(
            serde_json::to_value(&fragment).unwrap(),
            json!({"type": "fragment", "track": "video", "sequence": 3, "start": 2_000_000, "duration": 1_000_000,
                   "bytes": 512, "keyframe": true, "captureTime": null})
        );
        let retry = SessionEvent::Retry {
            path: "/p".into(),
            attempt: 2,
            delay_ms: 250,
            message: "m".into(),
            reason: "r".into(),
        };
        assert_eq!(
            serde_json::to_value(&retry).unwrap(),
            json!({"type": "retry", "path": "/p", "attempt": 2, "delayMs": 250, "message": "m", "reason": "r"})
        );
        let failed = SessionEvent::Failed { code: IngestErrorCode::Unauthorized, message: "m".into() };
        assert_eq!(
            serde_json::to_value(&failed).unwrap(),
            json!({"type": "failed", "code": "unauthorized", "message": "m"})
        );
        let rejected = SessionEvent::Rejected {
            path: "/p".into(),
            sequence: 4,
            code: IngestErrorCode::NonMonotonic,
            message: "m".into(),
        };
        assert_eq!(
            serde_json::to_value(&rejected).unwrap(),
            json!({"type": "rejected", "path": "/p", "sequence": 4, "code": "non-monotonic", "message": "m"})
        );
        let video = TrackName::new("video").unwrap();
        let fragment = |sequence| DroppedFragment { track: video.clone(), sequence, start_us: 0, duration_us: 1 };
        let dropped = SessionEvent::Dropped {
            sequences: vec![1, 2],
            fragments: vec![fragment(1), fragment(2)],
            media_ms: 2.5,
            message: "m".into(),
        };
        assert_eq!(
            serde_json::to_value(&dropped).unwrap(),
            json!({"type": "dropped", "sequences": [1, 2], "fragments": [
                {"track": "video", "sequence": 1, "start": 0, "duration": 1},
                {"track": "video", "sequence": 2, "start": 0, "duration": 1},
            ], "mediaMs": 2.5, "message": "m"})
        );

        // The video event: the encoder settings, flat, with the input size.
        let (mut s, clock) = session(json!({}));
        push_frames(&mut s, &clock, 0, 1);
        let video = serde_json::to_value(s.poll_event().unwrap()).unwrap();
        let mut expected = serde_json::to_value(s.encoder_config()).unwrap();
        expected["type"] = "video".into();
        expected["input"] = json!({"width": 640, "height": 360});
        assert_eq!(video, expected);
        // Acks: the ack itself, upload and glass latency.
        let sent = drive(&mut s, &clock, 1.0, ok_answer);
        assert_eq!(sent.len(), 1);
        let init = serde_json::to_value(s.poll_event().unwrap()).unwrap();
        assert_eq!(init["type"], "init");
        assert_eq!(init["ack"]["track"], "video");
        let ack = SessionEvent::Ack {
            track: "video".into(),
            sequence: 1,
            ack: serde_json::from_str(match ok_answer(&s_fragment_request()) {
                Reply::Http(_, _, ref b) => b,
                Reply::Network => unreachable!(),
            })
            .unwrap(),
            upload_ms: 12.0,
            latency_ms: Some(30.0),
            attempts: 1,
        };
        let v = serde_json::to_value(&ack).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["ack", "attempts", "latencyMs", "sequence", "track", "type", "uploadMs"]);

        let stats = serde_json::to_value(s.stats()).unwrap();
        let keys: Vec<&str> = stats.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "ackLatencyMsP50",
                "ackLatencyMsP95",
                "audio",
                "bitrate",
                "bytesAcknowledged",
                "droppedMediaMs",
                "encodeMsP50",
                "encodeMsP95",
                "encodedFps",
                "fragmentsAcknowledged",
                "fragmentsDropped",
                "fragmentsMade",
                "fragmentsRejected",
                "framesDropped",
                "framesEncoded",
                "framesIn",
                "queueBytes",
                "queueDurationMs",
                "queueFragments",
                "retries"
            ]
        );
        assert_eq!(stats["audio"], Value::Null);
        let audio = AudioStats { fragments_made: 1, packets: 2, dropped_samples: 3, inserted_samples: 4, resyncs: 5 };
        assert_eq!(
            serde_json::to_value(audio).unwrap(),
            json!({"fragmentsMade": 1, "packets": 2, "droppedSamples": 3, "insertedSamples": 4, "resyncs": 5})
        );
        let result = FinishResult {
            complete: false,
            queue_fragments: 2,
            failure: Some(FinishFailure { code: IngestErrorCode::Unauthorized, message: "m".into() }),
        };
        assert_eq!(
            serde_json::to_value(result).unwrap(),
            json!({"complete": false, "queueFragments": 2, "failure": {"code": "unauthorized", "message": "m"}})
        );
    }

    /// A fragment request as the queue makes them, for [`ok_answer`].
    fn s_fragment_request() -> HttpRequest {
        let upload = UploadRequest {
            id: 1,
            method: "PUT",
            path: "/streams/cam/video/1.m4s".into(),
            content_type: Some(CONTENT_TYPE_VIDEO_MP4),
            body: Arc::from(vec![0u8; 4]),
            track: Some(TrackName::new("video").unwrap()),
            kind: UploadKind::Fragment { sequence: 1, start_us: 0, duration_us: 1_000_000 },
            attempt: 1,
        };
        HttpRequest { id: 1, method: "PUT", url: String::new(), headers: Vec::new(), body: None, timeout_ms: 1, upload }
    }
}

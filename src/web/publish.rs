//! `PublishSession`: the Worker half of the browser publisher. It takes
//! captured frames of any size, applies a preset to them (sizing,
//! watermarks, codec settings) and encodes and fragments them with the
//! core's [`LiveVideo`], and uploads the fragments with `fetch`, following the
//! core's [`UploadQueue`] (order, retries, back-off, bounded queue).
//!
//! The npm package's `Publisher` class (main thread) and worker entry
//! (`publisher-worker.js`) drive it; it works in any JS runtime with
//! `fetch` and `setTimeout` (browsers, Node, Deno, workerd).
//!
//! Events go to the function given to `onEvent`, as plain objects with a
//! `type`: `"video"` (the encoder started: its settings), `"fragment"`
//! (made), `"ack"` (acknowledged), `"init"`,
//! `"retry"`, `"dropped"`, `"rejected"`, `"failed"`, `"ended"`. Errors
//! thrown by methods are `FramecastError`s with `code`: `"invalid-config"`
//! or `"invalid-preset"` (with `field`), `"invalid-watermark"`,
//! `"invalid-frame"`, `"encode-error"`, `"invalid-state"` (after
//! `finish`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::error::{config_error, error, FramecastError};
use super::{from_js, to_plain_js};
use crate::audio::ChannelLayout;
use crate::error::{Coded, ErrorCode};
use crate::frame::Size;
use crate::ingest::{routes, StreamName, TrackName};
use crate::preset::{AudioPreset, WEBCAM_PRESETS};
use crate::publish::{
    encoder_for, publish_preset, AudioPipeline, AudioPipelineConfig, AudioPipelineError, Backoff, LiveVideo,
    LiveVideoConfig, LiveVideoError, Outcome, Percentiles, PipelineConfig, PipelineEvent, UploadConfig, UploadEvent,
    UploadMethod, UploadQueue, UploadRequest, VideoPipelineError,
};
use crate::registry::default_live_audio;
use crate::time::{Timescale, Timestamp};
use crate::video::color::{nv12_to_i420, ColorSpace};
use crate::video::{Filter, InputFormat};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A built-in webcam preset (`webcamPresets()`). */
export interface WebcamPreset { id: string; name: string; width: number; height: number; frameRate: number; bitrate: number; }

/** `new PublishSession(config)`. Times are milliseconds. */
export interface PublishSessionConfig {
  /** Base URL of the stream server, e.g. `"http://127.0.0.1:8787"` (no trailing path). */
  endpoint: string;
  /** Stream name, `[A-Za-z0-9_-]{1,128}`. */
  stream: string;
  /** Track name, default `"video"`. */
  track?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * A `webcamPresets()` id (exactly that size: the camera picture is scaled
   * to cover it and centre-cropped), a `systemPresets()` id, or a custom
   * preset (object or JSON) with `video`. Its sizing and padding policy,
   * codec settings and watermark slots apply. Default `"webcam-720p"`.
   */
  preset?: string | Preset;
  /** PNG images for the preset's watermark slots, by slot id (system presets have `TopLeft`, `TopRight`, `BottomLeft`, `BottomRight`). */
  watermarks?: Record<string, Uint8Array>;
  /** Encoder fields that override the preset's (`bitrate`, `frameRate`, `profile`, ...); `width` and `height` are the largest output size. */
  video?: Record<string, unknown>;
  /** Resampling filter for sizing and watermarks; default `"lanczos3"`. */
  filter?: "lanczos3" | "bilinear";
  /** Target fragment duration, 100 to 20000; default 2000. Keyframes are placed to fit. */
  fragmentDuration?: number;
  /**
   * Most media time waiting to upload per track (audio and video each), in ms; default 60000.
   * Past it the oldest unsent GOP goes, with the audio of the same span (a `dropped` event).
   */
  maxQueueDuration?: number;
  /** Time allowed for one upload request; default 15000. */
  requestTimeout?: number;
  /** Retry back-off: first and longest delay; default 250 and 8000. */
  backoff?: { initial?: number; max?: number };
  /** Number of the first fragment; default 1. */
  firstSequence?: number;
  /** HTTP method of init segment and fragment uploads; default `"PUT"`. */
  uploadMethod?: "PUT" | "POST";
}

/**
 * An event of `PublishSession.onEvent`: `video` (the encoder started: its settings and the
 * camera's `input` size), `fragment` (made), `init` / `ack` (acknowledged), `ended`, and the
 * upload queue's `retry`, `dropped`, `rejected` and `failed` (with the server's ingest `code`).
 * `dropped` has `sequences`, `fragments` (`{ track, sequence, start, duration }`, µs) and
 * `mediaMs`, the media time lost.
 */
export interface PublishSessionEvent {
  type: "video" | "fragment" | "init" | "ack" | "ended" | "retry" | "dropped" | "rejected" | "failed";
  [key: string]: unknown;
}

/** What `PublishSession.finish()` resolves to. */
export interface PublishFinishResult {
  /** Every fragment and the end mark were acknowledged in time. */
  complete: boolean;
  /** Fragments still queued. */
  queueFragments: number;
  /** Why the upload queue gave up, with the server's ingest code. */
  failure: { code: string; message: string } | null;
}

/** What `PublishSession.stats()` returns (also the `Publisher`'s `stats` event, with capture figures). */
export interface PublishSessionStats {
  framesIn: number; framesEncoded: number; framesDropped: number;
  /** Encoded frames per second over the last 2 s. */
  encodedFps: number;
  encodeMsP50: number | null; encodeMsP95: number | null;
  /** Bits per second over the last 10 fragments. */
  bitrate: number;
  fragmentsMade: number; fragmentsAcknowledged: number; fragmentsDropped: number; fragmentsRejected: number;
  /** Media time dropped from the upload queue, in ms (what one track lost, not the tracks added). */
  droppedMediaMs: number;
  retries: number;
  queueFragments: number; queueDurationMs: number; queueBytes: number;
  /** From the capture of a fragment's last frame to its acknowledgement. */
  ackLatencyMsP50: number | null; ackLatencyMsP95: number | null;
  bytesAcknowledged: number;
  /** The audio track once microphone samples arrived (`pushAudio`), else null. Samples are per channel. */
  audio: { fragmentsMade: number; packets: number; droppedSamples: number; insertedSamples: number; resyncs: number } | null;
}
"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SessionConfig {
    endpoint: String,
    stream: String,
    #[serde(default = "default_track")]
    track: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    preset: Option<Value>,
    #[serde(default)]
    video: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    filter: Option<String>,
    #[serde(default = "default_fragment_ms")]
    fragment_duration: u32,
    #[serde(default = "default_queue_ms")]
    max_queue_duration: u32,
    #[serde(default = "default_timeout_ms")]
    request_timeout: u32,
    #[serde(default)]
    backoff: Option<BackoffConfig>,
    #[serde(default = "default_first_sequence")]
    first_sequence: u32,
    #[serde(default)]
    upload_method: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackoffConfig {
    initial: Option<u32>,
    max: Option<u32>,
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

/// Encoder fields are the session config's `video` overrides
/// (`video.width`); frame errors name no field.
fn live_error(e: LiveVideoError) -> JsValue {
    let field = match &e {
        LiveVideoError::Override { .. }
        | LiveVideoError::Pipeline(VideoPipelineError::Encoder(crate::codec::h264::H264Error::InvalidConfig {
            ..
        })) => e.field().map(|f| format!("video.{f}")),
        LiveVideoError::Pipeline(VideoPipelineError::InvalidConfig { .. }) => e.field(),
        _ => None,
    };
    match (&e, &field) {
        (LiveVideoError::Override { reason, .. }, Some(f)) => config_error(f, reason),
        _ => FramecastError::coded(&e).with_field(field).into(),
    }
}

/// Audio preset fields are named from the session config (`preset.audio.bitRate`).
fn audio_error(e: AudioPipelineError) -> JsValue {
    let field = e.field().map(|f| format!("preset.{f}"));
    FramecastError::coded(&e).with_field(field).into()
}

/// An `invalid-frame` error about the timestamp argument.
fn timestamp_error(us: f64) -> JsValue {
    FramecastError::at(ErrorCode::InvalidFrame, "timestamp", format!("must be a finite number of µs, got {us}")).into()
}

#[wasm_bindgen]
extern "C" {
    /// A `(event: PublishSessionEvent) => void` function.
    #[wasm_bindgen(typescript_type = "(event: PublishSessionEvent) => void")]
    pub type EventListener;
}

/// The global object's `name` member (`fetch`, `setTimeout`, `performance`).
fn global(name: &str) -> JsValue {
    Reflect::get(&js_sys::global(), &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `performance.now()`, or `Date.now()` where there is no `performance`.
fn now_ms() -> f64 {
    let perf = global("performance");
    Reflect::get(&perf, &"now".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|f| f.call0(&perf).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}

async fn sleep(ms: f64) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Ok(set_timeout) = global("setTimeout").dyn_into::<Function>() {
            let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(ms.ceil().max(0.0)));
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// One captured picture as handed over by the worker.
struct Picture<'a> {
    data: &'a [u8],
    format: InputFormat,
    size: Size,
    stride: usize,
}

/// One `fetch`; network errors, timeouts and unreadable bodies are
/// [`Outcome::Network`].
async fn send(
    endpoint: &str,
    token: Option<&str>,
    timeout_ms: u32,
    req: &UploadRequest,
) -> Result<(u16, Option<String>, String), String> {
    let init = Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&init, &k.into(), v);
    };
    set("method", &req.method.into());
    let headers = Object::new();
    if let Some(ct) = req.content_type {
        let _ = Reflect::set(&headers, &"Content-Type".into(), &ct.into());
        set("body", &Uint8Array::from(&req.body[..]).into());
    }
    if let Some(token) = token {
        let _ = Reflect::set(&headers, &"Authorization".into(), &format!("Bearer {token}").into());
    }
    set("headers", &headers.into());
    set("cache", &"no-store".into());
    // AbortSignal.timeout, where the runtime has it.
    let abort = global("AbortSignal");
    if let Some(timeout) = Reflect::get(&abort, &"timeout".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
        if let Ok(signal) = timeout.call1(&abort, &JsValue::from(timeout_ms)) {
            set("signal", &signal);
        }
    }
    let fetch: Function = global("fetch").dyn_into().map_err(|_| "this runtime has no fetch".to_string())?;
    let url = format!("{endpoint}{}", req.path);
    let describe = |e: JsValue| -> String {
        e.dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| e.as_string())
            .unwrap_or_else(|| format!("{e:?}"))
    };
    let promise: Promise =
        fetch.call2(&JsValue::NULL, &url.into(), &init).map_err(describe)?.dyn_into().map_err(describe)?;
    let response: web_sys::Response = JsFuture::from(promise).await.map_err(describe)?.dyn_into().map_err(describe)?;
    let retry_after = response.headers().get("Retry-After").ok().flatten();
    let text = JsFuture::from(response.text().map_err(describe)?).await.map_err(describe)?;
    Ok((response.status(), retry_after, text.as_string().unwrap_or_default()))
}

/// The audio half: the preset's settings until the first samples, then
/// the pipeline.
enum Audio {
    Waiting(AudioPreset),
    Running(Box<AudioPipeline>),
    Failed,
}

struct Shared {
    pipeline: LiveVideo,
    audio: Audio,
    audio_track: TrackName,
    fragment_duration: Timestamp,
    first_sequence: u32,
    audio_fragments_made: u64,
    queue: UploadQueue,
    track: TrackName,
    endpoint: String,
    token: Option<String>,
    timeout_ms: u32,
    listener: Option<Function>,
    pumping: bool,
    idle_waiters: Vec<Function>,
    /// NV12 with a layout `InputFormat::Nv12` does not describe, as I420.
    scratch: Vec<u8>,
    /// Wall-clock ms when media time 0 was captured.
    wall_origin_ms: Option<f64>,
    frames_in: u64,
    frames_dropped: u64,
    encode_ms: Percentiles,
    ack_ms: Percentiles,
    encoded_at: VecDeque<f64>,
    recent_fragments: VecDeque<(u64, u64)>,
    fragments_made: u64,
}

impl Shared {
    fn emit(listener: &Option<Function>, events: &[Value]) {
        if let Some(f) = listener {
            for e in events {
                let _ = f.call1(&JsValue::NULL, &to_plain_js(e));
            }
        }
    }

    /// Prepares and encodes one picture and queues what it completes.
    fn encode(&mut self, picture: Picture<'_>, capture_us: f64, wall_ms: f64) -> Result<(bool, Vec<Value>), JsValue> {
        if !capture_us.is_finite() || capture_us.abs() > 9.0e15 {
            return Err(timestamp_error(capture_us));
        }
        self.frames_in += 1;
        let t0 = now_ms();
        let started = self.pipeline.started();
        let Picture { data, format, size, stride } = picture;
        let made = match self.pipeline.push(data, format, size, stride, capture_us.round() as i64) {
            Ok(made) => made,
            Err(LiveVideoError::Pipeline(VideoPipelineError::NonMonotonic { .. })) => {
                self.frames_dropped += 1;
                return Ok((false, Vec::new()));
            }
            Err(e) => return Err(live_error(e)),
        };
        let t1 = now_ms();
        self.encode_ms.push(t1 - t0);
        self.encoded_at.push_back(t1);
        while self.encoded_at.front().is_some_and(|&t| t < t1 - 2000.0) {
            self.encoded_at.pop_front();
        }
        if self.wall_origin_ms.is_none() {
            self.wall_origin_ms = Some(wall_ms);
        }
        let mut events = Vec::new();
        if !started {
            let mut video = serde_json::to_value(self.pipeline.encoder_config()).unwrap_or(Value::Null);
            if let Some(o) = video.as_object_mut() {
                o.insert("type".into(), "video".into());
                o.insert("input".into(), json!({"width": size.width, "height": size.height}));
            }
            events.push(video);
        }
        if let (Audio::Running(a), Some(origin)) = (&mut self.audio, self.pipeline.origin_us()) {
            a.set_origin(origin);
        }
        events.extend(self.take(false, made));
        Ok((true, events))
    }

    /// Encodes interleaved microphone PCM captured at `capture_us` (the
    /// video's clock); the audio pipeline is made on the first call.
    fn encode_audio(&mut self, pcm: &[f32], rate: u32, channels: u32, capture_us: f64) -> Result<Vec<Value>, JsValue> {
        if !capture_us.is_finite() || capture_us.abs() > 9.0e15 {
            return Err(timestamp_error(capture_us));
        }
        if let Audio::Waiting(preset) = &self.audio {
            let layout = ChannelLayout::for_count(channels as usize).ok_or_else(|| {
                let message = format!("audio: {channels} channels is not a layout framecast takes");
                FramecastError::new(ErrorCode::InvalidFrame, message).field("channels")
            })?;
            let made = encoder_for(preset, rate, layout.channels() as u16).and_then(|encoder| {
                let mut c = AudioPipelineConfig::new(rate, layout);
                c.fragment_duration = self.fragment_duration;
                c.first_sequence = self.first_sequence;
                AudioPipeline::new(encoder, c)
            });
            match made {
                Ok(mut p) => {
                    if let Some(origin) = self.pipeline.origin_us() {
                        p.set_origin(origin);
                    }
                    self.audio = Audio::Running(Box::new(p));
                }
                Err(e) => {
                    self.audio = Audio::Failed;
                    return Err(audio_error(e));
                }
            }
        }
        let Audio::Running(audio) = &mut self.audio else { return Ok(Vec::new()) };
        let made = audio.push(pcm, capture_us.round() as i64).map_err(audio_error)?;
        Ok(self.take(true, made))
    }

    /// Queues pipeline output of the video (or, with `audio`, the audio)
    /// track for upload; returns the events to emit.
    fn take(&mut self, audio: bool, made: Vec<PipelineEvent>) -> Vec<Value> {
        let (track, content_type) = if audio {
            (self.audio_track.clone(), routes::CONTENT_TYPE_AUDIO_MP4)
        } else {
            (self.track.clone(), routes::CONTENT_TYPE_VIDEO_MP4)
        };
        let mut events = Vec::new();
        let now = now_ms();
        for event in made {
            match event {
                PipelineEvent::Init(init) => self.queue.set_init(track.clone(), init.bytes, content_type),
                PipelineEvent::Fragment(f) => {
                    let start_us = f.start.rescale(Timescale::MICROS).ticks;
                    let duration_us =
                        Timestamp::new(f.duration as i64, f.start.timescale).rescale(Timescale::MICROS).ticks as u64;
                    let bytes = f.bytes.len() as u64;
                    if audio {
                        self.audio_fragments_made += 1;
                    } else {
                        self.fragments_made += 1;
                        self.recent_fragments.push_back((duration_us, bytes));
                        if self.recent_fragments.len() > 10 {
                            self.recent_fragments.pop_front();
                        }
                    }
                    events.push(json!({
                        "type": "fragment", "track": track.as_str(), "sequence": f.sequence_number, "start": start_us,
                        "duration": duration_us, "bytes": bytes, "keyframe": f.keyframe,
                        "captureTime": self.wall_origin_ms.map(|w| w + start_us as f64 / 1000.0),
                    }));
                    let seq = u64::from(f.sequence_number);
                    if let Some(dropped) =
                        self.queue.push_fragment(track.clone(), seq, start_us, duration_us, f.bytes, now)
                    {
                        events.push(self.describe(&dropped));
                    }
                }
            }
        }
        events
    }

    fn describe(&mut self, event: &UploadEvent) -> Value {
        match event {
            UploadEvent::InitAcked { ack } => json!({"type": "init", "ack": ack}),
            UploadEvent::FragmentAcked { ack, latency_ms, attempts } => {
                let glass = self.wall_origin_ms.map(|w| {
                    let end = w + (ack.producer_timestamp as f64 + ack.duration as f64) / 1000.0;
                    js_sys::Date::now() - end
                });
                if let Some(g) = glass {
                    self.ack_ms.push(g);
                }
                json!({
                    "type": "ack", "track": ack.track.as_str(), "sequence": ack.sequence, "ack": ack, "uploadMs": latency_ms,
                    "latencyMs": glass, "attempts": attempts,
                })
            }
            UploadEvent::Ended { ack } => json!({"type": "ended", "ack": ack}),
            UploadEvent::Retry { path, attempt, delay_ms, reason } => {
                json!({"type": "retry", "path": path, "attempt": attempt, "delayMs": delay_ms, "message": event.to_string(), "reason": reason})
            }
            UploadEvent::Rejected { path, sequence, error } => {
                json!({"type": "rejected", "path": path, "sequence": sequence, "code": error.code, "message": event.to_string()})
            }
            UploadEvent::Dropped { sequences, fragments, media_us, .. } => {
                // issue 19: which track each dropped fragment was of, and the media time lost.
                let fragments: Vec<Value> = fragments
                    .iter()
                    .map(|d| json!({"track": d.track.as_str(), "sequence": d.sequence, "start": d.start_us, "duration": d.duration_us}))
                    .collect();
                json!({"type": "dropped", "sequences": sequences, "fragments": fragments, "mediaMs": *media_us as f64 / 1000.0, "message": event.to_string()})
            }
            UploadEvent::Failed { error } => {
                json!({"type": "failed", "code": error.code, "message": event.to_string()})
            }
        }
    }

    fn stats(&self) -> Value {
        let c = self.queue.counters();
        let (dur, bytes) = self.recent_fragments.iter().fold((0u64, 0u64), |(d, b), &(fd, fb)| (d + fd, b + fb));
        let bitrate = if dur > 0 { bytes as f64 * 8.0 * 1e6 / dur as f64 } else { 0.0 };
        let fps = match (self.encoded_at.front(), self.encoded_at.back()) {
            (Some(a), Some(b)) if b > a => (self.encoded_at.len() - 1) as f64 * 1000.0 / (b - a),
            _ => 0.0,
        };
        json!({
            "framesIn": self.frames_in, "framesEncoded": self.pipeline.frames(), "framesDropped": self.frames_dropped,
            "encodedFps": fps,
            "encodeMsP50": self.encode_ms.percentile(50.0), "encodeMsP95": self.encode_ms.percentile(95.0),
            "bitrate": bitrate.round(),
            "fragmentsMade": self.fragments_made, "fragmentsAcknowledged": c.acknowledged,
            "fragmentsDropped": c.dropped, "fragmentsRejected": c.rejected, "retries": c.retries,
            "droppedMediaMs": c.dropped_media_us as f64 / 1000.0,
            "queueFragments": self.queue.queued_fragments(), "queueDurationMs": self.queue.queued_duration_us() / 1000,
            "queueBytes": self.queue.queued_bytes(),
            "ackLatencyMsP50": self.ack_ms.percentile(50.0), "ackLatencyMsP95": self.ack_ms.percentile(95.0),
            "bytesAcknowledged": c.bytes_acknowledged,
            "audio": match &self.audio {
                Audio::Running(a) => {
                    let c = a.counters();
                    json!({
                        "fragmentsMade": self.audio_fragments_made, "packets": c.packets,
                        "droppedSamples": c.dropped_samples, "insertedSamples": c.inserted_samples, "resyncs": c.resyncs,
                    })
                }
                _ => Value::Null,
            },
        })
    }
}

/// Starts the upload loop unless it runs already.
fn kick(shared: &Rc<RefCell<Shared>>) {
    {
        let mut s = shared.borrow_mut();
        if s.pumping {
            return;
        }
        s.pumping = true;
    }
    wasm_bindgen_futures::spawn_local(pump(shared.clone()));
}

async fn pump(shared: Rc<RefCell<Shared>>) {
    loop {
        let now = now_ms();
        let next = {
            let mut s = shared.borrow_mut();
            match s.queue.next_request(now) {
                Some(req) => Ok((req, s.endpoint.clone(), s.token.clone(), s.timeout_ms)),
                None => Err(s.queue.wait_ms(now)),
            }
        };
        let (req, endpoint, token, timeout) = match next {
            Ok(x) => x,
            Err(Some(wait)) => {
                sleep(wait).await;
                continue;
            }
            Err(None) => break,
        };
        let result = send(&endpoint, token.as_deref(), timeout, &req).await;
        let (listener, events) = {
            let mut s = shared.borrow_mut();
            let outcome = match &result {
                Ok((status, retry_after, body)) => {
                    Outcome::Http { status: *status, retry_after: retry_after.as_deref(), body }
                }
                Err(message) => Outcome::Network(message),
            };
            let happened = s.queue.on_response(req.id, now_ms(), outcome);
            let events: Vec<Value> = happened.iter().map(|e| s.describe(e)).collect();
            (s.listener.clone(), events)
        };
        Shared::emit(&listener, &events);
    }
    let waiters = {
        let mut s = shared.borrow_mut();
        s.pumping = false;
        if s.queue.is_idle() {
            std::mem::take(&mut s.idle_waiters)
        } else {
            Vec::new()
        }
    };
    for w in waiters {
        let _ = w.call0(&JsValue::NULL);
    }
}

/// The built-in webcam presets: `[{ id, name, width, height, frameRate, bitrate }]`.
#[wasm_bindgen(js_name = webcamPresets, unchecked_return_type = "WebcamPreset[]")]
pub fn webcam_presets() -> JsValue {
    let list: Vec<Value> = WEBCAM_PRESETS
        .iter()
        .map(|p| {
            json!({"id": p.id, "name": p.name, "width": p.width, "height": p.height, "frameRate": p.frame_rate, "bitrate": p.bitrate})
        })
        .collect();
    to_plain_js(&Value::Array(list))
}

/// The encoding and uploading half of a publisher. See the module
/// documentation; the npm package's `Publisher` runs one in a Worker.
#[wasm_bindgen]
pub struct PublishSession {
    shared: Rc<RefCell<Shared>>,
}

#[wasm_bindgen]
impl PublishSession {
    /// Validates `config` (`PublishSessionConfig`) and creates the encoder.
    /// Throws `invalid-config` errors naming the field.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "PublishSessionConfig")] config: JsValue,
    ) -> Result<PublishSession, JsValue> {
        let (plain, images) = super::preset::take_watermark_images(&config)?;
        let c: SessionConfig = from_js(plain)?;
        let endpoint = c.endpoint.trim_end_matches('/').to_string();
        if !(endpoint.starts_with("http://")
            || endpoint.starts_with("https://")
            || endpoint.is_empty()
            || endpoint.starts_with('/'))
        {
            return Err(config_error("endpoint", format!("must be an http(s) URL or a path, got \"{}\"", c.endpoint)));
        }
        let stream = StreamName::new(&c.stream).map_err(|e| config_error("stream", e))?;
        let track = TrackName::new(&c.track).map_err(|e| config_error("track", e))?;
        if !(1000..=600_000).contains(&c.request_timeout) {
            return Err(config_error(
                "requestTimeout",
                format!("must be from 1000 to 600000 ms, got {}", c.request_timeout),
            ));
        }
        let preset_value = c.preset.unwrap_or_else(|| "webcam-720p".into());
        let preset = super::preset::resolve_preset(&preset_value, "preset", publish_preset)?;
        let video = preset.video.clone().ok_or_else(|| config_error("preset", "the preset has no video settings"))?;
        let audio_preset = preset.audio.clone().unwrap_or_else(default_live_audio);
        let watermarks = super::preset::attach_watermarks(&preset, images)?;
        let filter = super::video::pick(
            "filter",
            c.filter.as_deref(),
            Filter::Lanczos3,
            &[("lanczos3", Filter::Lanczos3), ("bilinear", Filter::Bilinear)],
        )?;
        let mut pipeline = PipelineConfig::new(crate::codec::h264::EncoderConfig::new(16, 16));
        pipeline.fragment_duration = Timestamp::from_millis(i64::from(c.fragment_duration));
        pipeline.first_sequence = c.first_sequence;
        if c.max_queue_duration < c.fragment_duration {
            return Err(config_error(
                "maxQueueDuration",
                format!("must be at least fragmentDuration ({} ms), got {}", c.fragment_duration, c.max_queue_duration),
            ));
        }
        let pipeline = LiveVideo::new(LiveVideoConfig {
            video,
            watermarks,
            color: ColorSpace::default(),
            filter,
            camera_fps: None,
            overrides: c.video.unwrap_or_default(),
            pipeline,
        })
        .map_err(live_error)?;
        let mut upload = UploadConfig::new(stream);
        upload.max_queue_duration = Timestamp::from_millis(i64::from(c.max_queue_duration));
        if let Some(b) = c.backoff {
            let d = Backoff::default();
            upload.backoff = Backoff {
                initial_ms: b.initial.map_or(d.initial_ms, u64::from).max(1),
                max_ms: b.max.map_or(d.max_ms, u64::from).max(1),
            };
        }
        upload.seed = (js_sys::Math::random() * 9.0e15) as u64 | 1;
        upload.method = match c.upload_method.as_deref() {
            None | Some("PUT") => UploadMethod::Put,
            Some("POST") => UploadMethod::Post,
            Some(other) => {
                return Err(config_error("uploadMethod", format!("must be \"PUT\" or \"POST\", got \"{other}\"")))
            }
        };
        Ok(PublishSession {
            shared: Rc::new(RefCell::new(Shared {
                audio: Audio::Waiting(audio_preset),
                audio_track: TrackName::new("audio").expect("a valid name"),
                fragment_duration: Timestamp::from_millis(i64::from(c.fragment_duration)),
                first_sequence: c.first_sequence,
                audio_fragments_made: 0,
                pipeline,
                queue: UploadQueue::new(upload),
                track,
                endpoint,
                token: c.token,
                timeout_ms: c.request_timeout,
                listener: None,
                pumping: false,
                idle_waiters: Vec::new(),
                scratch: Vec::new(),
                wall_origin_ms: None,
                frames_in: 0,
                frames_dropped: 0,
                encode_ms: Percentiles::new(300),
                ack_ms: Percentiles::new(100),
                encoded_at: VecDeque::new(),
                recent_fragments: VecDeque::new(),
                fragments_made: 0,
            })),
        })
    }

    /// The encoder settings (preset plus overrides, defaults filled in):
    /// before the first frame those for the preset's largest size (what to
    /// ask the camera for), then those in force (the `"video"` event).
    #[wasm_bindgen(getter, unchecked_return_type = "EncoderConfig")]
    pub fn video(&self) -> JsValue {
        let s = self.shared.borrow();
        to_plain_js(&serde_json::to_value(s.pipeline.encoder_config()).unwrap_or(Value::Null))
    }

    /// Tells the session the camera's frame rate (`MediaTrackSettings.frameRate`),
    /// used when the preset's frame rate is `"auto"`. Call before the first
    /// frame; later calls do nothing.
    #[wasm_bindgen(js_name = setCameraFrameRate)]
    pub fn set_camera_frame_rate(&self, fps: f64) {
        self.shared.borrow_mut().pipeline.set_camera_fps(fps as f32);
    }

    /// Where events go: `fn(event)`, see the module documentation.
    #[wasm_bindgen(js_name = onEvent)]
    pub fn on_event(&self, listener: Option<EventListener>) {
        self.shared.borrow_mut().listener = listener.map(JsCast::unchecked_into);
    }

    fn run(&self, f: impl FnOnce(&mut Shared) -> Result<(bool, Vec<Value>), JsValue>) -> Result<bool, JsValue> {
        let (encoded, events, listener) = {
            let mut s = self.shared.borrow_mut();
            let (encoded, events) = f(&mut s)?;
            (encoded, events, s.listener.clone())
        };
        Shared::emit(&listener, &events);
        kick(&self.shared);
        Ok(encoded)
    }

    /// Encodes a tightly packed I420 picture of any even size, captured
    /// at `timestamp` µs (any origin, increasing) and wall-clock
    /// `captureTime` ms. The first picture fixes the encoded size (the
    /// preset's geometry for its size). Returns `false` when the frame was
    /// dropped (its timestamp did not increase).
    #[wasm_bindgen(js_name = pushI420)]
    pub fn push_i420(
        &self,
        data: &[u8],
        width: u32,
        height: u32,
        timestamp: f64,
        capture_time: f64,
    ) -> Result<bool, JsValue> {
        let picture =
            Picture { data, format: InputFormat::I420, size: Size::new(width, height), stride: width as usize };
        self.run(|s| s.encode(picture, timestamp, capture_time))
    }

    /// Like `pushI420` for RGBA (or BGRA with `bgra`), `stride` bytes per
    /// row; converted to I420 (BT.601, limited range) in wasm.
    #[wasm_bindgen(js_name = pushRgba)]
    #[allow(clippy::too_many_arguments)]
    pub fn push_rgba(
        &self,
        data: &[u8],
        width: u32,
        height: u32,
        stride: u32,
        bgra: bool,
        timestamp: f64,
        capture_time: f64,
    ) -> Result<bool, JsValue> {
        let format = if bgra { InputFormat::Bgra } else { InputFormat::Rgba };
        let picture = Picture { data, format, size: Size::new(width, height), stride: stride as usize };
        self.run(|s| s.encode(picture, timestamp, capture_time))
    }

    /// Like `pushI420` for NV12: Y rows of `yStride` bytes, then the
    /// interleaved UV plane at `uvOffset` with `uvStride` bytes per row.
    #[wasm_bindgen(js_name = pushNv12)]
    #[allow(clippy::too_many_arguments)]
    pub fn push_nv12(
        &self,
        data: &[u8],
        width: u32,
        height: u32,
        y_stride: u32,
        uv_offset: u32,
        uv_stride: u32,
        timestamp: f64,
        capture_time: f64,
    ) -> Result<bool, JsValue> {
        let size = Size::new(width, height);
        let (ys, uvo, uvs) = (y_stride as usize, uv_offset as usize, uv_stride as usize);
        if uvs == ys && Some(uvo) == ys.checked_mul(height as usize) {
            let picture = Picture { data, format: InputFormat::Nv12, size, stride: ys };
            return self.run(|s| s.encode(picture, timestamp, capture_time));
        }
        // Another layout: to packed I420 first.
        self.run(|s| {
            let mut buf = std::mem::take(&mut s.scratch);
            let result = nv12_to_i420(data, width, height, ys, uvo, uvs, &mut buf)
                .map_err(|e| error(ErrorCode::InvalidFrame, e))
                .and_then(|()| {
                    let picture = Picture { data: &buf, format: InputFormat::I420, size, stride: width as usize };
                    s.encode(picture, timestamp, capture_time)
                });
            s.scratch = buf;
            result
        })
    }

    /// Encodes microphone audio: `data` is interleaved `f32` PCM of
    /// `channels` channels at `sampleRate` Hz, its first frame captured at
    /// `timestamp` µs on the same clock as the video frames (as WebCodecs
    /// `AudioData` and `VideoFrame` timestamps are). The preset's `audio`
    /// (AAC or Opus; AAC-LC 48 kHz 128 kbit/s when it has none) decides the
    /// encoding; it goes up as the track `"audio"`. Audio before the first
    /// video frame is dropped.
    #[wasm_bindgen(js_name = pushAudio)]
    pub fn push_audio(&self, data: &[f32], sample_rate: u32, channels: u32, timestamp: f64) -> Result<(), JsValue> {
        self.run(|s| Ok((true, s.encode_audio(data, sample_rate, channels, timestamp)?))).map(|_| ())
    }

    /// Counts frames dropped before they reached the session (capture
    /// backpressure), so `stats()` covers every captured frame.
    #[wasm_bindgen(js_name = noteDropped)]
    pub fn note_dropped(&self, frames: u32) {
        let mut s = self.shared.borrow_mut();
        s.frames_in += u64::from(frames);
        s.frames_dropped += u64::from(frames);
    }

    /// Current figures (`PublishSessionStats`).
    #[wasm_bindgen(unchecked_return_type = "PublishSessionStats")]
    pub fn stats(&self) -> JsValue {
        to_plain_js(&self.shared.borrow().stats())
    }

    /// Ends the stream: closes the last fragment, queues the end mark, and
    /// resolves once everything is acknowledged (`{ complete: true }`) or
    /// after `timeout` ms with what is left (`{ complete: false,
    /// queueFragments }`). Uploading goes on in the background after a
    /// timeout until `close()`.
    #[wasm_bindgen(unchecked_return_type = "Promise<PublishFinishResult>")]
    pub fn finish(&self, timeout: f64) -> Result<Promise, JsValue> {
        self.run(|s| {
            let made = s.pipeline.finish().map_err(live_error)?;
            let mut events = s.take(false, made);
            if let Audio::Running(a) = &mut s.audio {
                let made = a.finish().map_err(audio_error)?;
                events.extend(s.take(true, made));
            }
            s.queue.push_end();
            Ok((true, events))
        })?;
        let shared = self.shared.clone();
        let wait = Promise::new(&mut |resolve, _| {
            let mut s = shared.borrow_mut();
            if s.queue.is_idle() && !s.pumping {
                let _ = resolve.call0(&JsValue::NULL);
            } else {
                s.idle_waiters.push(resolve);
            }
        });
        let shared = self.shared.clone();
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let timer = Promise::new(&mut |resolve, _| {
                if let Ok(set_timeout) = global("setTimeout").dyn_into::<Function>() {
                    let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(timeout.max(0.0)));
                }
            });
            let _ = JsFuture::from(Promise::race(&js_sys::Array::of2(&wait, &timer))).await;
            let s = shared.borrow();
            let complete = s.queue.is_idle() && s.queue.failure().is_none() && s.queue.is_ended();
            Ok(to_plain_js(&json!({
                "complete": complete,
                "queueFragments": s.queue.queued_fragments(),
                "failure": s.queue.failure().map(|e| json!({"code": e.code, "message": e.message})),
            })))
        }))
    }
}

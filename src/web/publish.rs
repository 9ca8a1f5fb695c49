//! `PublishSession`: the Worker half of the browser publisher, a thin
//! binding over the core's sans-I/O [`Session`] (configuration, preset,
//! encoders, A/V clock mapping, upload queue, stats and events all live
//! there). This file converts JS ⇄ Rust, sends the session's requests with
//! `fetch`, waits with `setTimeout`, reads the clocks (`performance.now()`,
//! `Date.now()`) and hands events to the listener.
//!
//! The npm package's `Publisher` class (main thread) and worker entry
//! (`publisher-worker.js`) drive it; it works in any JS runtime with
//! `fetch` and `setTimeout` (browsers, Node, Deno, workerd).
//!
//! Events go to the function given to `onEvent`, as plain objects with a
//! `type` ([`SessionEvent`]): `"video"` (the encoder started: its
//! settings), `"fragment"` (made), `"ack"` (acknowledged), `"init"`,
//! `"retry"`, `"dropped"`, `"rejected"`, `"failed"`, `"ended"`. Errors
//! thrown by methods are `FramecastError`s with `code`: `"invalid-config"`
//! or `"invalid-preset"` (with `field`), `"invalid-watermark"`,
//! `"invalid-frame"`, `"encode-error"`, `"invalid-state"` (after
//! `finish`).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::error::coded;
use super::{from_js, to_plain_js};
use crate::frame::Size;
use crate::preset::WEBCAM_PRESETS;
use crate::publish::{
    Clock, HttpRequest, Outcome, Picture, PictureLayout, Session, SessionConfig, SessionError, SessionEvent,
};

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

/// The runtime's clocks: `performance.now()` (or `Date.now()` where there
/// is no `performance`) and `Date.now()`.
struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> f64 {
        let perf = global("performance");
        Reflect::get(&perf, &"now".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .and_then(|f| f.call0(&perf).ok())
            .and_then(|v| v.as_f64())
            .unwrap_or_else(js_sys::Date::now)
    }

    fn wall_ms(&self) -> f64 {
        js_sys::Date::now()
    }
}

/// A promise resolved after `ms` (`setTimeout`).
fn timer(ms: f64) -> Promise {
    Promise::new(&mut |resolve, _| {
        if let Ok(set_timeout) = global("setTimeout").dyn_into::<Function>() {
            let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(ms.ceil().max(0.0)));
        }
    })
}

/// One `fetch`: the status, `Retry-After` and body text. Network errors,
/// timeouts and unreadable bodies are the `Err` message
/// ([`Outcome::Network`]).
async fn send(req: &HttpRequest) -> Result<(u16, Option<String>, String), String> {
    let init = Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&init, &k.into(), v);
    };
    set("method", &req.method.into());
    let headers = Object::new();
    for (name, value) in &req.headers {
        let _ = Reflect::set(&headers, &(*name).into(), &value.into());
    }
    if let Some(body) = &req.body {
        set("body", &Uint8Array::from(&body[..]).into());
    }
    set("headers", &headers.into());
    set("cache", &"no-store".into());
    // AbortSignal.timeout, where the runtime has it.
    let abort = global("AbortSignal");
    if let Some(timeout) = Reflect::get(&abort, &"timeout".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
        if let Ok(signal) = timeout.call1(&abort, &JsValue::from(req.timeout_ms)) {
            set("signal", &signal);
        }
    }
    let fetch: Function = global("fetch").dyn_into().map_err(|_| "this runtime has no fetch".to_string())?;
    let describe = |e: JsValue| -> String {
        e.dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| e.as_string())
            .unwrap_or_else(|| format!("{e:?}"))
    };
    let promise: Promise =
        fetch.call2(&JsValue::NULL, &req.url.as_str().into(), &init).map_err(describe)?.dyn_into().map_err(describe)?;
    let response: web_sys::Response = JsFuture::from(promise).await.map_err(describe)?.dyn_into().map_err(describe)?;
    let retry_after = response.headers().get("Retry-After").ok().flatten();
    let text = JsFuture::from(response.text().map_err(describe)?).await.map_err(describe)?;
    Ok((response.status(), retry_after, text.as_string().unwrap_or_default()))
}

/// The session and what the binding keeps beside it.
struct Shared {
    session: Session,
    listener: Option<Function>,
    /// The upload loop runs.
    pumping: bool,
    /// `finish()` promises waiting for the uploads to go idle.
    idle_waiters: Vec<Function>,
}

impl Shared {
    /// Takes the session's events, to hand to the listener once the
    /// session is no longer borrowed.
    fn take_events(&mut self) -> (Option<Function>, Vec<SessionEvent>) {
        (self.listener.clone(), std::iter::from_fn(|| self.session.poll_event()).collect())
    }
}

/// Calls `listener` with each event as a plain object.
fn emit((listener, events): (Option<Function>, Vec<SessionEvent>)) {
    if let Some(f) = listener {
        for e in &events {
            let _ = f.call1(&JsValue::NULL, &to_plain_js(e));
        }
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

/// Sends what the session asks for, one request at a time, waiting out
/// back-off, until nothing is left; then wakes `finish()`.
async fn pump(shared: Rc<RefCell<Shared>>) {
    loop {
        let next = {
            let mut s = shared.borrow_mut();
            s.session.next_request().ok_or_else(|| s.session.wait_ms())
        };
        let req = match next {
            Ok(req) => req,
            Err(Some(wait)) => {
                let _ = JsFuture::from(timer(wait)).await;
                continue;
            }
            Err(None) => break,
        };
        let result = send(&req).await;
        let events = {
            let mut s = shared.borrow_mut();
            let outcome = match &result {
                Ok((status, retry_after, body)) => {
                    Outcome::Http { status: *status, retry_after: retry_after.as_deref(), body }
                }
                Err(message) => Outcome::Network(message),
            };
            s.session.on_response(req.id, outcome);
            s.take_events()
        };
        emit(events);
    }
    let waiters = {
        let mut s = shared.borrow_mut();
        s.pumping = false;
        if s.session.is_idle() {
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
        let mut c: SessionConfig = from_js(plain)?;
        c.watermarks = images;
        c.seed = (js_sys::Math::random() * 9.0e15) as u64 | 1;
        let session = Session::new(c, Box::new(JsClock)).map_err(|e| coded(&e))?;
        let shared = Shared { session, listener: None, pumping: false, idle_waiters: Vec::new() };
        Ok(PublishSession { shared: Rc::new(RefCell::new(shared)) })
    }

    /// The encoder settings (preset plus overrides, defaults filled in):
    /// before the first frame those for the preset's largest size (what to
    /// ask the camera for), then those in force (the `"video"` event).
    #[wasm_bindgen(getter, unchecked_return_type = "EncoderConfig")]
    pub fn video(&self) -> JsValue {
        to_plain_js(self.shared.borrow().session.encoder_config())
    }

    /// Tells the session the camera's frame rate (`MediaTrackSettings.frameRate`),
    /// used when the preset's frame rate is `"auto"`. Call before the first
    /// frame; later calls do nothing.
    #[wasm_bindgen(js_name = setCameraFrameRate)]
    pub fn set_camera_frame_rate(&self, fps: f64) {
        self.shared.borrow_mut().session.set_camera_fps(fps as f32);
    }

    /// The audio codec microphone audio is encoded with, lowercase: the
    /// preset's `audio.codec` (`"aac"` or `"opus"`; other codecs are
    /// refused at the first samples), `"aac"` when the preset has none.
    /// The encoder comes from `setAudioEncoderFactory`, or from this
    /// module when it was built with the codec (the root module is).
    #[wasm_bindgen(getter, js_name = audioCodec)]
    pub fn audio_codec(&self) -> String {
        self.shared.borrow().session.audio_codec().to_string().to_ascii_lowercase()
    }

    /// Where the audio encoder comes from: `factory(audio, sampleRate,
    /// channels)` is called once, at the first microphone samples, with the
    /// preset's `audio` section and the microphone's rate and channel
    /// count, and returns a `LiveAudioEncoder` (the `audio-encoder` modules
    /// of the package, which the publisher's Worker loads). What it throws
    /// is reported as `invalid-config` on the field its error names (as a
    /// build without the codec reports `preset.audio.codec`).
    #[wasm_bindgen(js_name = setAudioEncoderFactory)]
    pub fn set_audio_encoder_factory(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "(audio: AudioPreset, sampleRate: number, channels: number) => { readonly codec: string; readonly config: Uint8Array; readonly sampleRate: number; readonly channels: number; readonly delay: number; encode(pcm: Float32Array): { data: Uint8Array; sizes: Uint32Array; durations: Uint32Array }; flush(): { data: Uint8Array; sizes: Uint32Array; durations: Uint32Array } }"
        )]
        factory: Function,
    ) {
        self.shared.borrow_mut().session.set_audio_encoder_factory(super::audio_module::js_factory(factory));
    }

    /// Where events go: `fn(event)`, see the module documentation.
    #[wasm_bindgen(js_name = onEvent)]
    pub fn on_event(&self, listener: Option<EventListener>) {
        self.shared.borrow_mut().listener = listener.map(JsCast::unchecked_into);
    }

    /// Runs `f` on the session, hands the events it made to the listener
    /// (also when it failed) and starts the uploads.
    fn run<T>(&self, f: impl FnOnce(&mut Session) -> Result<T, SessionError>) -> Result<T, JsValue> {
        let (result, events) = {
            let mut s = self.shared.borrow_mut();
            let result = f(&mut s.session);
            (result, s.take_events())
        };
        emit(events);
        kick(&self.shared);
        result.map_err(|e| coded(&e))
    }

    /// Encodes a tightly packed I420 picture of any even size, stamped
    /// `timestamp` µs (the camera's clock, any origin, increasing) and read
    /// at wall-clock `captureTime` ms. The first picture fixes the encoded
    /// size (the preset's geometry for its size). Returns `false` when the
    /// frame was dropped (its timestamp did not increase).
    #[wasm_bindgen(js_name = pushI420)]
    pub fn push_i420(
        &self,
        data: &[u8],
        width: u32,
        height: u32,
        timestamp: f64,
        capture_time: f64,
    ) -> Result<bool, JsValue> {
        self.run(|s| s.push_frame(Picture::i420(data, width, height), timestamp, capture_time))
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
        let layout = PictureLayout::Rgba { stride: stride as usize, bgra };
        let picture = Picture { data, size: Size::new(width, height), layout };
        self.run(|s| s.push_frame(picture, timestamp, capture_time))
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
        let layout = PictureLayout::Nv12 {
            y_stride: y_stride as usize,
            uv_offset: uv_offset as usize,
            uv_stride: uv_stride as usize,
        };
        let picture = Picture { data, size: Size::new(width, height), layout };
        self.run(|s| s.push_frame(picture, timestamp, capture_time))
    }

    /// Takes microphone audio: `data` is interleaved `f32` PCM of
    /// `channels` channels at `sampleRate` Hz, its first frame stamped
    /// `timestamp` µs on the audio's own clock (`AudioData.timestamp`, or
    /// the page clock for AudioWorklet PCM) and read at wall-clock
    /// `captureTime` ms. The session maps it onto the video's clock (the
    /// offsets of both clocks from the wall clock, estimated over the first
    /// 60 items of each kind; audio waits until then, at most 1000
    /// buffers). The preset's `audio` (AAC or Opus; AAC-LC 48 kHz
    /// 128 kbit/s when it has none) decides the encoding; it goes up as
    /// the track `"audio"`. Audio before the first video frame is dropped.
    #[wasm_bindgen(js_name = pushAudio)]
    pub fn push_audio(
        &self,
        data: &[f32],
        sample_rate: u32,
        channels: u32,
        timestamp: f64,
        capture_time: f64,
    ) -> Result<(), JsValue> {
        self.run(|s| s.push_audio(data, sample_rate, channels, timestamp, capture_time))
    }

    /// Encodes the audio still waiting for the clock mapping, with the
    /// offsets estimated so far (`finish()` does it too; call it first to
    /// tell its error apart).
    #[wasm_bindgen(js_name = flushAudio)]
    pub fn flush_audio(&self) -> Result<(), JsValue> {
        self.run(Session::flush_audio)
    }

    /// Counts frames dropped before they reached the session (capture
    /// backpressure), so `stats()` covers every captured frame.
    #[wasm_bindgen(js_name = noteDropped)]
    pub fn note_dropped(&self, frames: u32) {
        self.shared.borrow_mut().session.note_dropped(frames);
    }

    /// Current figures (`PublishSessionStats`).
    #[wasm_bindgen(unchecked_return_type = "PublishSessionStats")]
    pub fn stats(&self) -> JsValue {
        to_plain_js(&self.shared.borrow().session.stats())
    }

    /// Ends the stream: closes the last fragment, queues the end mark, and
    /// resolves once everything is acknowledged (`{ complete: true }`) or
    /// after `timeout` ms with what is left (`{ complete: false,
    /// queueFragments }`). Uploading goes on in the background after a
    /// timeout until `close()`.
    #[wasm_bindgen(unchecked_return_type = "Promise<PublishFinishResult>")]
    pub fn finish(&self, timeout: f64) -> Result<Promise, JsValue> {
        self.run(Session::finish)?;
        let shared = self.shared.clone();
        let wait = Promise::new(&mut |resolve, _| {
            let mut s = shared.borrow_mut();
            if s.session.is_idle() && !s.pumping {
                let _ = resolve.call0(&JsValue::NULL);
            } else {
                s.idle_waiters.push(resolve);
            }
        });
        let shared = self.shared.clone();
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let _ = JsFuture::from(Promise::race(&js_sys::Array::of2(&wait, &timer(timeout)))).await;
            Ok(to_plain_js(&shared.borrow().session.finish_result()))
        }))
    }
}

//! `AudioTranscoder` for JavaScript: the streamed core transcoder
//! ([`crate::transcode::AudioTranscoder`]) behind a push/finish API that a
//! `ReadableStream` reader loop drives (`pkg-templates/transcode.js` wraps
//! it as `transcodeAudio()`).

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::error::{coded, config_error, FramecastError};
use super::preset::resolve_preset;
use super::{from_js, to_plain_js};
use crate::decode::DecodeOptions;
use crate::error::ErrorCode;
use crate::preset::{system_preset, Preset};
use crate::time::Timestamp;
use crate::transcode::{self, AudioTranscodeOptions, TranscodeError, TranscodeProgress, TranscodeSummary};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** `new AudioTranscoder(preset, options)` and `transcodeAudio`'s options besides the callbacks (all optional). */
export interface AudioTranscodeOptions {
  /** fMP4/CMAF fragment duration, ms, 100 to 60000. Default 2000. */
  fragmentDuration?: number;
  /** Gain before encoding, -60..40 dB. Default 0. */
  gainDb?: number;
  /** Look-ahead peak limiter after the gain. Default false. */
  limiter?: boolean;
  /** Input hints: file extension and MIME type. */
  extension?: string;
  mimeType?: string;
  /** Damaged packets skipped (replaced by silence) before failing. Default 100. */
  maxBadPackets?: number;
}

/** What `AudioTranscoder.progress()` and `onProgress` report. */
export interface AudioTranscodeProgress {
  /** Input bytes received and read by the decoder. */
  inputBytes: number;
  readBytes: number;
  /** Input time decoded so far. */
  decodedSeconds: number;
  /** The input's duration, when its container declares it. */
  durationSeconds?: number;
  /** decodedSeconds / durationSeconds, 0..1, when known. */
  fraction?: number;
  outputBytes: number;
  /** An MP4 with its moov after the media: kept whole, decoded at the end. */
  bufferingWholeInput: boolean;
}

/** What a finished transcode made. */
export interface AudioTranscodeSummary {
  input: { container: string; codec: string; sampleRate: number; channels: number; durationSeconds?: number };
  /** "mp4a.40.2", "opus", "flac", "pcm_s16le", "pcm_s24le" or "mp3". */
  codec: string;
  sampleRate: number;
  channels: number;
  /** Samples per channel presented, and as seconds. */
  frames: number;
  durationSeconds: number;
  /** Encoder priming the container trims (edit list, Ogg pre-skip). */
  priming: number;
  outputBytes: number;
  /** e.g. "audio/mp4" and "m4a". */
  mimeType: string;
  extension: string;
  /** Damaged input packets skipped (concealed with silence). */
  badPackets: number;
}

/** Header bytes to write at `offset` once the whole output is stored. */
export interface AudioTranscodePatch {
  offset: number;
  bytes: Uint8Array;
}

/** What `AudioTranscoder.finish()` returns. */
export interface AudioTranscoderFinish {
  /** The last output bytes. */
  output: Uint8Array;
  summary: AudioTranscodeSummary;
  patches: AudioTranscodePatch[];
}
"#;

#[wasm_bindgen]
extern "C" {
    /// An `AudioTranscodeOptions` object (read with [`from_js`]).
    #[wasm_bindgen(typescript_type = "AudioTranscodeOptions")]
    pub type OptionsJs;
}

/// Options besides the preset (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Options {
    /// fMP4/CMAF fragment duration, ms (default 2000).
    fragment_duration: Option<f64>,
    gain_db: Option<f64>,
    limiter: Option<bool>,
    /// Input hints: file extension and MIME type.
    extension: Option<String>,
    mime_type: Option<String>,
    /// Damaged packets skipped before failing (default 100).
    max_bad_packets: Option<u32>,
}

fn error(e: &TranscodeError) -> JsValue {
    coded(e)
}

/// A built-in preset by id, as the transcoder uses it: its container and
/// audio, without the video, thumbnails and watermarks that an audio-only
/// output cannot carry (every system preset has video).
fn audio_preset(id: &str) -> Option<Preset> {
    system_preset(id).map(|p| Preset { video: None, thumbnails: None, watermarks: Vec::new(), ..p })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgressJs {
    input_bytes: f64,
    read_bytes: f64,
    decoded_seconds: f64,
    duration_seconds: Option<f64>,
    fraction: Option<f64>,
    output_bytes: f64,
    buffering_whole_input: bool,
}

impl From<TranscodeProgress> for ProgressJs {
    fn from(p: TranscodeProgress) -> Self {
        ProgressJs {
            input_bytes: p.input_bytes as f64,
            read_bytes: p.read_bytes as f64,
            decoded_seconds: p.decoded_us as f64 / 1e6,
            duration_seconds: p.duration_us.map(|d| d as f64 / 1e6),
            fraction: p.fraction(),
            output_bytes: p.output_bytes as f64,
            buffering_whole_input: p.buffering_whole_input,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryJs {
    input: InputJs,
    codec: String,
    sample_rate: u32,
    channels: u16,
    frames: f64,
    duration_seconds: f64,
    priming: u32,
    output_bytes: f64,
    mime_type: &'static str,
    extension: &'static str,
    bad_packets: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InputJs {
    container: &'static str,
    codec: &'static str,
    sample_rate: u32,
    channels: usize,
    duration_seconds: Option<f64>,
}

impl From<&TranscodeSummary> for SummaryJs {
    fn from(s: &TranscodeSummary) -> Self {
        SummaryJs {
            input: InputJs {
                container: s.input.container.name(),
                codec: s.input.codec.name(),
                sample_rate: s.input.sample_rate.hz(),
                channels: s.input.layout.channels(),
                duration_seconds: s.input.duration().map(|d| d.ticks as f64 / f64::from(d.timescale.get())),
            },
            codec: s.codec.clone(),
            sample_rate: s.sample_rate,
            channels: s.channels,
            frames: s.frames as f64,
            duration_seconds: s.duration_us() as f64 / 1e6,
            priming: s.priming,
            output_bytes: s.output_bytes as f64,
            mime_type: s.mime_type,
            extension: s.extension,
            bad_packets: s.decode.bad_packets as f64,
        }
    }
}

/// Streams audio from any format framecast decodes (MP3, AAC/M4A, FLAC,
/// Ogg Vorbis, WAV, ALAC, AIFF, CAF, Matroska/WebM) to the preset's:
/// AAC or Opus or FLAC in MP4/fMP4, Ogg Opus, FLAC, WAV (MP3 with the
/// `mp3` build). Push input bytes as they arrive; each call returns the
/// output bytes ready so far.
#[wasm_bindgen]
pub struct AudioTranscoder {
    inner: transcode::AudioTranscoder,
}

#[wasm_bindgen]
impl AudioTranscoder {
    /// `preset`: a built-in id (a `systemPresets()` preset with audio in a
    /// file container: its container and audio are used, its video left
    /// out), or a preset object or its JSON with `audio` and no `video`.
    /// `options`: `{ fragmentDuration (ms), gainDb, limiter, extension,
    /// mimeType, maxBadPackets }`. Throws `invalid-preset` /
    /// `invalid-config` errors with `field`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string | Preset")] preset: JsValue,
        options: Option<OptionsJs>,
    ) -> Result<AudioTranscoder, JsValue> {
        let value: serde_json::Value = match preset.as_string() {
            Some(s) => serde_json::Value::String(s),
            None => serde_wasm_bindgen::from_value(preset)
                .map_err(|e| FramecastError::at(ErrorCode::InvalidPreset, "preset", e))?,
        };
        let preset = resolve_preset(&value, "preset", audio_preset)?;
        let options: JsValue = options.map_or(JsValue::UNDEFINED, JsValue::from);
        let o: Options =
            if options.is_undefined() || options.is_null() { Options::default() } else { from_js(options)? };
        let mut t = AudioTranscodeOptions::new(preset);
        if let Some(ms) = o.fragment_duration {
            if !ms.is_finite() {
                return Err(config_error("fragmentDuration", "must be a number of milliseconds"));
            }
            t.fragment_duration = Timestamp::from_millis(ms.round() as i64);
        }
        t.gain_db = o.gain_db.unwrap_or(0.0);
        t.limiter = o.limiter.unwrap_or(false);
        t.decode = DecodeOptions {
            extension: o.extension,
            mime_type: o.mime_type,
            max_bad_packets: o.max_bad_packets.map_or(DecodeOptions::default().max_bad_packets, u64::from),
        };
        let inner = transcode::AudioTranscoder::new(t).map_err(|e| error(&e))?;
        Ok(AudioTranscoder { inner })
    }

    /// Takes the next input bytes; returns the output bytes now ready
    /// (often empty). Throws `unsupported-input` / `decode-error` errors,
    /// after which the transcoder refuses further calls.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
        self.inner.push(bytes).map_err(|e| error(&e))?;
        Ok(self.inner.take_output())
    }

    /// Ends the input. Returns `{ output, summary, patches }`: the last
    /// output bytes, what was made (`codec`, `sampleRate`, `channels`,
    /// `durationSeconds`, `mimeType`, `extension`, the input's format, ...)
    /// and header bytes to write at `offset` of the whole output once it is
    /// complete (FLAC and WAV totals; players accept the file without).
    /// A second call throws `invalid-state`.
    #[wasm_bindgen(unchecked_return_type = "AudioTranscoderFinish")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        let summary = self.inner.finish().map_err(|e| error(&e))?;
        let out = js_sys::Object::new();
        let output = js_sys::Uint8Array::from(self.inner.take_output().as_slice());
        let patches = js_sys::Array::new();
        for p in &summary.patches {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &"offset".into(), &(p.offset as f64).into());
            let _ = js_sys::Reflect::set(&o, &"bytes".into(), &js_sys::Uint8Array::from(p.bytes.as_slice()));
            patches.push(&o);
        }
        let _ = js_sys::Reflect::set(&out, &"output".into(), &output);
        let _ = js_sys::Reflect::set(&out, &"summary".into(), &to_plain_js(&SummaryJs::from(&summary)));
        let _ = js_sys::Reflect::set(&out, &"patches".into(), &patches);
        Ok(out.into())
    }

    /// `{ inputBytes, readBytes, decodedSeconds, durationSeconds?,
    /// fraction?, outputBytes, bufferingWholeInput }`.
    #[wasm_bindgen(unchecked_return_type = "AudioTranscodeProgress")]
    pub fn progress(&self) -> JsValue {
        to_plain_js(&ProgressJs::from(self.inner.progress()))
    }
}

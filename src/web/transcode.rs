//! `AudioTranscoder` for JavaScript: the streamed core transcoder
//! ([`crate::transcode::AudioTranscoder`]) behind a push/finish API that a
//! `ReadableStream` reader loop drives (`pkg-templates/transcode.js` wraps
//! it as `transcodeAudio()`).

use serde::{Deserialize, Serialize};
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use super::error::{coded, config_error, FramecastError};
use super::preset::resolve_preset;
use super::{from_js, to_plain_js};
use crate::decode::DecodeOptions;
use crate::error::ErrorCode;
use crate::preset::{system_preset, Preset};
use crate::time::Timestamp;
use crate::transcode::{self, TranscodeError, TranscodeProgress, TranscodeSummary};

#[wasm_bindgen]
extern "C" {
    /// An `AudioTranscodeOptions` object (read with [`from_js`]).
    #[wasm_bindgen(typescript_type = "AudioTranscodeOptions")]
    pub type OptionsJs;
}

/// `new AudioTranscoder(preset, options)` and `transcodeAudio`'s options
/// besides the callbacks (all optional).
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct AudioTranscodeOptions {
    /// fMP4/CMAF fragment duration, ms, 100 to 60000. Default 2000.
    fragment_duration: Option<f64>,
    /// Gain before encoding, -60..40 dB. Default 0.
    gain_db: Option<f64>,
    /// Look-ahead peak limiter after the gain. Default false.
    limiter: Option<bool>,
    /// Input hint: the file extension.
    extension: Option<String>,
    /// Input hint: the MIME type.
    mime_type: Option<String>,
    /// Damaged packets skipped (replaced by silence) before failing.
    /// Default 100.
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

/// What `AudioTranscoder.progress()` and `onProgress` report.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
struct AudioTranscodeProgress {
    /// Input bytes received.
    input_bytes: f64,
    /// Input bytes read by the decoder.
    read_bytes: f64,
    /// Input time decoded so far, seconds.
    decoded_seconds: f64,
    /// The input's duration in seconds, when its container declares it.
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_seconds: Option<f64>,
    /// `decodedSeconds / durationSeconds`, 0..1, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    fraction: Option<f64>,
    /// Output bytes made so far.
    output_bytes: f64,
    /// An MP4 with its moov after the media: kept whole, decoded at the end.
    buffering_whole_input: bool,
}

impl From<TranscodeProgress> for AudioTranscodeProgress {
    fn from(p: TranscodeProgress) -> Self {
        AudioTranscodeProgress {
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

/// What a finished transcode made.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
struct AudioTranscodeSummary {
    /// What was read.
    input: AudioTranscodeInput,
    /// `"mp4a.40.2"`, `"opus"`, `"flac"`, `"pcm_s16le"`, `"pcm_s24le"` or
    /// `"mp3"`.
    codec: String,
    /// Output sample rate, Hz.
    sample_rate: u32,
    /// Output channels.
    channels: u16,
    /// Samples per channel presented.
    frames: f64,
    /// `frames` as seconds.
    duration_seconds: f64,
    /// Encoder priming the container trims (edit list, Ogg pre-skip),
    /// samples per channel.
    priming: u32,
    /// Output size in bytes.
    output_bytes: f64,
    /// e.g. `"audio/mp4"`.
    mime_type: &'static str,
    /// e.g. `"m4a"`.
    extension: &'static str,
    /// Damaged input packets skipped (concealed with silence).
    bad_packets: f64,
}

/// The input of a transcode, as its container and codec describe it.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
struct AudioTranscodeInput {
    /// e.g. `"mp4"`, `"ogg"`, `"wav"`.
    container: &'static str,
    /// e.g. `"aac"`, `"mp3"`, `"flac"`.
    codec: &'static str,
    /// Hz.
    sample_rate: u32,
    /// Channel count.
    channels: usize,
    /// Seconds, when the container declares the duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_seconds: Option<f64>,
}

impl From<&TranscodeSummary> for AudioTranscodeSummary {
    fn from(s: &TranscodeSummary) -> Self {
        AudioTranscodeSummary {
            input: AudioTranscodeInput {
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

/// Header bytes to write at `offset` once the whole output is stored.
#[derive(Serialize, Tsify)]
struct AudioTranscodePatch {
    /// Byte offset in the whole output.
    offset: f64,
    /// The bytes to write there.
    #[serde(serialize_with = "bytes")]
    #[tsify(type = "Uint8Array")]
    bytes: Vec<u8>,
}

/// What `AudioTranscoder.finish()` returns.
#[derive(Serialize, Tsify)]
struct AudioTranscoderFinish {
    /// The last output bytes.
    #[serde(serialize_with = "bytes")]
    #[tsify(type = "Uint8Array")]
    output: Vec<u8>,
    /// What was made.
    summary: AudioTranscodeSummary,
    /// Header bytes to write once the whole output is stored (FLAC and
    /// WAV totals).
    patches: Vec<AudioTranscodePatch>,
}

/// Bytes as a `Uint8Array` (a copy) rather than an array of numbers.
fn bytes<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(bytes)
}

/// `value` as plain JS data with byte fields as `Uint8Array`s.
fn to_js_with_bytes<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible().serialize_bytes_as_arrays(false))
        .unwrap_or(JsValue::UNDEFINED)
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
        let o: AudioTranscodeOptions = if options.is_undefined() || options.is_null() {
            AudioTranscodeOptions::default()
        } else {
            from_js(options)?
        };
        let mut t = transcode::AudioTranscodeOptions::new(preset);
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
        let finish = AudioTranscoderFinish {
            output: self.inner.take_output(),
            summary: AudioTranscodeSummary::from(&summary),
            patches: summary
                .patches
                .iter()
                .map(|p| AudioTranscodePatch { offset: p.offset as f64, bytes: p.bytes.clone() })
                .collect(),
        };
        Ok(to_js_with_bytes(&finish))
    }

    /// `{ inputBytes, readBytes, decodedSeconds, durationSeconds?,
    /// fraction?, outputBytes, bufferingWholeInput }`.
    #[wasm_bindgen(unchecked_return_type = "AudioTranscodeProgress")]
    pub fn progress(&self) -> JsValue {
        to_plain_js(&AudioTranscodeProgress::from(self.inner.progress()))
    }
}

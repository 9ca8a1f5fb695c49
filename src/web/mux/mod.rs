//! JS bindings for muxing and playlists: the `Muxer` class (encoded chunks
//! in, CMAF init segments, parts and fragments out) and the playlist
//! functions `hlsMediaPlaylist`, `hlsMultivariantPlaylist` and `dashMpd`.
//!
//! A web app that encodes with WebCodecs can use framecast for muxing and
//! playlists only:
//!
//! ```js
//! const muxer = new Muxer({ tracks: [
//!   { id: 1, kind: "video", codec: "avc", description: videoDecoderConfig.description },
//!   { id: 2, kind: "audio", codec: "aac", description: audioDecoderConfig.description,
//!     sampleRate: 48000, channels: 2 },
//! ] });
//! // In the VideoEncoder output callback (avc: { format: "avc" }):
//! for (const ev of muxer.push(1, chunk)) store(ev);   // EncodedVideoChunk, or a plain object
//! for (const ev of muxer.finish()) store(ev);
//! muxer.codecs(); // ["avc1.42e01f", "mp4a.40.2"], from the avcC and the AudioSpecificConfig
//! ```
//!
//! Units: sample and event times are microseconds (WebCodecs'); option
//! durations (`fragmentDuration`, `partDuration`, `partTarget`, ...) are
//! milliseconds; `targetDuration` is whole seconds; wall-clock times
//! (`programDateTime`, `availabilityStartTime`, `publishTime`) are
//! milliseconds since the Unix epoch. Playlist media times (`start`,
//! `duration`) are microseconds unless a `timescale` is given, in which
//! case they are ticks of it (events carry both: `start` in µs and
//! `startTicks` in their `timescale`).
//!
//! Errors are `FramecastError`s with `code`: `"invalid-config"` (a bad
//! config or options object; `field` names it, e.g.
//! `tracks[0].description`), `"invalid-frame"` (a `push` argument that is
//! malformed or does not fit the stream: `field` is `trackId`, `data`,
//! `timestamp` (also one that does not increase), `duration` or `keyframe`
//! (a video track must start with a keyframe)), `"mux-error"` (the
//! container cannot hold the stream, e.g. the fragment sequence number
//! overflows), `"invalid-state"` (a call after `finish()`) and
//! `"playlist-error"` (the playlist cannot be written; `field` names the
//! segment or option when known, e.g. `segments[3].sequence`). Every
//! `invalid-frame` error leaves the `Muxer` usable: fix the input and call
//! again.

use js_sys::{Array, ArrayBuffer, Function, Object, Reflect, Uint8Array};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use self::json::{At, Read};
use super::error::{coded, config_error, FramecastError};
use crate::codec::flac::{self, metadata_blocks, FlacStreamInfo};
use crate::codec::h264::bitstream::{AvcDecoderConfigurationRecord, Sps};
use crate::codec::opus::OpusHead;
use crate::codec::CodecConfig;
use crate::error::{Coded, ErrorCode};
use crate::mux::chunk::ChunkTrack;
use crate::mux::segmenter::{Fragment, FragmentListener, InitSegment, Part, Segmenter, SegmenterConfig, SegmenterMode};
use crate::mux::{MuxError, Sample, TrackConfig};
use crate::playlist::dash::{
    AdaptationSet, Addressing, AudioInfo, LiveMpd, MediaInfo, Mpd, MpdKind, Representation, TemplateTiming, UtcTiming,
    VideoInfo,
};
use crate::playlist::hls::{
    AudioRendition, LowLatencyOptions, MediaPlaylist, MediaPlaylistOptions, MultivariantPlaylist, PdtPlacement,
    PlaylistKind, PreloadHint, Variant, Window,
};
use crate::playlist::{self, Bandwidth, BandwidthListener, ByteRange, FrameRate, PlaylistError, Resolution, Timeline};
use crate::time::{Timescale, Timestamp};

mod json;
mod playlists;
pub use playlists::{dash_mpd, hls_media_playlist, hls_multivariant_playlist};
mod types;

// ---------------------------------------------------------------------------
// Muxer configuration

/// `MuxerConfig` (see the TypeScript declarations above).
struct MuxerConfigJs {
    tracks: Vec<TrackJs>,
    fragment_duration: Option<f64>,
    part_duration: Option<f64>,
    mode: Option<ModeJs>,
    styp: Option<bool>,
    first_sequence_number: Option<u32>,
}

impl MuxerConfigJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let mut tracks = None;
        let mut o = MuxerConfigJs {
            tracks: Vec::new(),
            fragment_duration: None,
            part_duration: None,
            mode: None,
            styp: None,
            first_sequence_number: None,
        };
        let known = ["tracks", "fragmentDuration", "partDuration", "mode", "styp", "firstSequenceNumber"];
        let shape = json::fields(v, at, "struct MuxerConfigJs", &known, &mut |key, v, at| {
            match key {
                "tracks" => tracks = Some(json::list(v, at, TrackJs::read)?),
                "fragmentDuration" => o.fragment_duration = json::opt(v, at, json::float)?,
                "partDuration" => o.part_duration = json::opt(v, at, json::float)?,
                "mode" => o.mode = json::opt(v, at, ModeJs::read)?,
                "styp" => o.styp = json::opt(v, at, json::boolean)?,
                _ => o.first_sequence_number = json::opt(v, at, json::u32_)?,
            }
            Ok(())
        })?;
        o.tracks = shape.required(tracks, at, "tracks")?;
        Ok(o)
    }
}

#[derive(Clone, Copy)]
enum ModeJs {
    PerTrack,
    Muxed,
}

impl ModeJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        Ok(if json::variant(v, at, &["per-track", "muxed"])? == 0 { ModeJs::PerTrack } else { ModeJs::Muxed })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KindJs {
    Video,
    Audio,
}

impl KindJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        Ok(if json::variant(v, at, &["video", "audio"])? == 0 { KindJs::Video } else { KindJs::Audio })
    }
}

/// `MuxerTrackConfig` without `description`, which is taken out before
/// reading (bytes do not survive the JSON value).
struct TrackJs {
    id: u32,
    kind: KindJs,
    codec: String,
    timescale: Option<u32>,
    width: Option<u32>,
    height: Option<u32>,
    sample_rate: Option<u32>,
    channels: Option<u16>,
    language: Option<String>,
}

impl TrackJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut id, mut kind, mut codec) = (None, None, None);
        let (mut timescale, mut width, mut height, mut sample_rate) = (None, None, None, None);
        let (mut channels, mut language) = (None, None);
        let known = ["id", "kind", "codec", "timescale", "width", "height", "sampleRate", "channels", "language"];
        let shape = json::fields(v, at, "struct TrackJs", &known, &mut |key, v, at| {
            match key {
                "id" => id = Some(json::u32_(v, at)?),
                "kind" => kind = Some(KindJs::read(v, at)?),
                "codec" => codec = Some(json::string(v, at)?),
                "timescale" => timescale = json::opt(v, at, json::u32_)?,
                "width" => width = json::opt(v, at, json::u32_)?,
                "height" => height = json::opt(v, at, json::u32_)?,
                "sampleRate" => sample_rate = json::opt(v, at, json::u32_)?,
                "channels" => channels = json::opt(v, at, json::u16_)?,
                _ => language = json::opt(v, at, json::string)?,
            }
            Ok(())
        })?;
        Ok(TrackJs {
            id: shape.required(id, at, "id")?,
            kind: shape.required(kind, at, "kind")?,
            codec: shape.required(codec, at, "codec")?,
            timescale,
            width,
            height,
            sample_rate,
            channels,
            language,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Codec {
    Avc,
    Aac,
    Opus,
    Flac,
}

impl Codec {
    /// `avc`, `aac`, `opus`, `flac`, or the WebCodecs codec strings of
    /// those (`avc1.*`/`avc3.*`, `mp4a.40.*`).
    fn parse(s: &str) -> Option<Codec> {
        let lower = s.to_ascii_lowercase();
        match lower.as_str() {
            "avc" => Some(Codec::Avc),
            "aac" => Some(Codec::Aac),
            "opus" => Some(Codec::Opus),
            "flac" => Some(Codec::Flac),
            _ if lower.starts_with("avc1.") || lower.starts_with("avc3.") => Some(Codec::Avc),
            _ if lower.starts_with("mp4a.40.") => Some(Codec::Aac),
            _ => None,
        }
    }

    fn kind(self) -> KindJs {
        if self == Codec::Avc {
            KindJs::Video
        } else {
            KindJs::Audio
        }
    }
}

fn input_error(field: &str, message: impl std::fmt::Display) -> JsValue {
    FramecastError::at(ErrorCode::InvalidFrame, field, message).into()
}

/// Bytes from a `Uint8Array`, `ArrayBuffer` or other `ArrayBufferView`.
fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        return Some(a.to_vec());
    }
    if let Some(b) = value.dyn_ref::<ArrayBuffer>() {
        return Some(Uint8Array::new(b).to_vec());
    }
    if ArrayBuffer::is_view(value) {
        let get = |k: &str| Reflect::get(value, &k.into()).ok();
        let buffer = get("buffer")?.dyn_into::<ArrayBuffer>().ok()?;
        let offset = get("byteOffset")?.as_f64()? as u32;
        let length = get("byteLength")?.as_f64()? as u32;
        return Some(Uint8Array::new_with_byte_offset_and_length(&buffer, offset, length).to_vec());
    }
    None
}

/// Each track's `description` bytes, by track index.
type Descriptions = Vec<Option<Vec<u8>>>;

/// Takes `description` out of each track of a `MuxerConfig`, returning a
/// copy of the config without it (for [`read_options`]) and the
/// descriptions.
fn split_descriptions(config: &JsValue) -> Result<(JsValue, Descriptions), JsValue> {
    if !config.is_object() {
        return Ok((config.clone(), Vec::new()));
    }
    let tracks = Reflect::get(config, &"tracks".into()).unwrap_or(JsValue::UNDEFINED);
    if !Array::is_array(&tracks) {
        return Ok((config.clone(), Vec::new()));
    }
    let tracks: Array = tracks.unchecked_into();
    let copies = Array::new();
    let mut descriptions = Vec::with_capacity(tracks.length() as usize);
    for (i, track) in tracks.iter().enumerate() {
        if !track.is_object() {
            copies.push(&track);
            descriptions.push(None);
            continue;
        }
        let copy = Object::assign(&Object::new(), track.unchecked_ref());
        let desc = Reflect::get(&copy, &"description".into()).unwrap_or(JsValue::UNDEFINED);
        let _ = Reflect::delete_property(&copy, &"description".into());
        descriptions.push(if desc.is_undefined() || desc.is_null() {
            None
        } else {
            Some(bytes_of(&desc).ok_or_else(|| {
                config_error(&format!("tracks[{i}].description"), "must be a Uint8Array or an ArrayBuffer")
            })?)
        });
        copies.push(&copy);
    }
    let config = Object::assign(&Object::new(), config.unchecked_ref());
    let _ = Reflect::set(&config, &"tracks".into(), &copies);
    Ok((config.into(), descriptions))
}

/// Reads a JS option object with `read` (see [`json`]): a value that is
/// not plain data is `invalid-config` without a field, a problem in it is
/// `invalid-config` naming the field (none for the object itself), as
/// `web::from_js` reports them.
fn read_options<T>(value: JsValue, read: fn(&Value, &At) -> Read<T>) -> Result<T, JsValue> {
    let json: Value = serde_wasm_bindgen::from_value(value)
        .map_err(|e| super::error::error(ErrorCode::InvalidConfig, format!("config must be a plain object: {e}")))?;
    read(&json, &At::root()).map_err(|p| match p.path.as_str() {
        "" => super::error::error(ErrorCode::InvalidConfig, p.message),
        field => FramecastError::at(ErrorCode::InvalidConfig, field, p.message).into(),
    })
}

/// A millisecond option as a [`Timestamp`] in microseconds; must be a
/// positive finite number.
fn millis(ms: f64, field: &str) -> Result<Timestamp, JsValue> {
    if !ms.is_finite() || ms <= 0.0 || ms > 1.0e12 {
        return Err(config_error(field, format!("must be a positive number of milliseconds, got {ms}")));
    }
    Ok(Timestamp::from_micros((ms * 1000.0).round() as i64))
}

/// The OpusHead of Ogg Opus (RFC 7845 §5.1): channels, pre-skip, input
/// sample rate, output gain. Only channel mapping family 0 fits `dOps`.
fn opus_head(head: &[u8]) -> Result<CodecConfig, String> {
    match OpusHead::parse(head).map_err(|e| e.to_string())? {
        (head, 0) => Ok(head.codec_config()),
        _ => Err("uses a channel mapping family other than 0 (only mono and stereo Opus are supported)".into()),
    }
}

/// FLAC metadata for `dfLa` from a WebCodecs FLAC description (`fLaC`
/// marker optional), with sample rate, channels and bits per sample from
/// STREAMINFO (RFC 9639 §8.2).
fn flac_config(desc: &[u8]) -> Result<(Vec<u8>, u32, u16, u16), &'static str> {
    let blocks = desc.strip_prefix(b"fLaC").unwrap_or(desc);
    let not_stream_info = "must start with a STREAMINFO block";
    let first = metadata_blocks(blocks).next().and_then(Result::ok).ok_or(not_stream_info)?;
    if first.header.block_type != flac::STREAMINFO {
        return Err(not_stream_info);
    }
    let info = FlacStreamInfo::parse(first.body).map_err(|_| not_stream_info)?;
    Ok((blocks.to_vec(), info.sample_rate, u16::from(info.channels), u16::from(info.bits_per_sample)))
}

/// A [`FragmentListener`] that turns events into JS objects as they come
/// (copying the bytes out of wasm memory once) and keeps them until the JS
/// call returns.
struct EventQueue {
    events: Array,
}

impl FragmentListener for EventQueue {
    fn on_init(&mut self, init: &InitSegment) {
        self.events.push(&init_object(init));
    }
    fn on_part(&mut self, part: &Part) {
        self.events.push(&part_object(part));
    }
    fn on_fragment(&mut self, f: &Fragment) {
        self.events.push(&fragment_object(f));
    }
}

/// Property names, made once per muxer rather than per call.
struct Keys {
    data: JsValue,
    timestamp: JsValue,
    duration: JsValue,
    keyframe: JsValue,
    type_: JsValue,
    copy_to: JsValue,
    byte_length: JsValue,
    key: JsValue,
}

impl Keys {
    fn new() -> Self {
        Keys {
            data: "data".into(),
            timestamp: "timestamp".into(),
            duration: "duration".into(),
            keyframe: "keyframe".into(),
            type_: "type".into(),
            copy_to: "copyTo".into(),
            byte_length: "byteLength".into(),
            key: "key".into(),
        }
    }
}

/// `start` and `duration` in µs, the duration taken as the difference of
/// the rescaled ends so that consecutive events stay contiguous in µs.
fn span_micros(start: Timestamp, duration: u64) -> (f64, f64) {
    let s = start.rescale(Timescale::MICROS).ticks;
    let end = Timestamp::new(start.ticks.saturating_add(duration.min(i64::MAX as u64) as i64), start.timescale)
        .rescale(Timescale::MICROS)
        .ticks;
    (s as f64, end.saturating_sub(s) as f64)
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &key.into(), value);
}

fn ids_array(ids: &[u32]) -> Array {
    ids.iter().map(|&id| JsValue::from(id)).collect()
}

/// A muxer for encoded chunks: CMAF init segments, LL-HLS parts and
/// fragments, cut at keyframes near `fragmentDuration` by the framecast
/// segmenter.
///
/// - `new Muxer(config: MuxerConfig)`; `config.tracks[i].description` is
///   WebCodecs' `decoderConfig.description` (avcC for AVC,
///   AudioSpecificConfig for AAC).
/// - `push(trackId, sample)` and `finish()` return the events that became
///   ready, in order: `init` (once per stream, with the first push),
///   `part` (with `partDuration`), `fragment`.
/// - AVC samples are length-prefixed NAL units with the avcC's length
///   size (WebCodecs `avc: { format: "avc" }`). A sample that is not valid
///   length-prefixed data but starts with a start code (`00 00 01` or
///   `00 00 00 01`) is taken as Annex-B and converted; its SPS/PPS NAL
///   units are dropped (the avcC carries them; changing them mid-stream is
///   not supported).
/// - Timestamps are µs, rescaled exactly (to the nearest tick) to the
///   track timescale. They must not be negative and must increase within
///   a track (no B-frames: presentation order is decode order). A sample
///   lasts until the next one of its track; `duration` matters only for the
///   last one. Without it the last interval is used (or one frame: 1/30 s
///   of video, 1024 AAC samples, 20 ms of Opus, 4096 FLAC samples).
/// - Errors about the input (`invalid-frame`: a malformed sample, a
///   timestamp that does not increase, a first video sample that is no
///   keyframe) leave the muxer as it was. Events produced before an error
///   are returned by the next successful call.
#[wasm_bindgen]
pub struct Muxer {
    /// The segmenter, feeding the JS events and the bit rates.
    segmenter: Segmenter<(EventQueue, BandwidthListener)>,
    tracks: Vec<ChunkTrack>,
    codecs: Vec<String>,
    keys: Keys,
}

#[wasm_bindgen]
impl Muxer {
    /// Creates a muxer; throws `code: "invalid-config"` with `field`
    /// (e.g. `tracks[0].description`) when the config is unusable.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "MuxerConfig")] config: JsValue) -> Result<Muxer, JsValue> {
        let (config, descriptions) = split_descriptions(&config)?;
        let config = read_options(config, MuxerConfigJs::read)?;
        if config.tracks.is_empty() {
            return Err(config_error("tracks", "needs at least one track"));
        }
        let mut tracks = Vec::with_capacity(config.tracks.len());
        let mut states = Vec::with_capacity(config.tracks.len());
        for (i, t) in config.tracks.iter().enumerate() {
            let desc = descriptions.get(i).cloned().flatten();
            let (track, state) = track_config(i, t, desc)?;
            tracks.push(track);
            states.push(state);
        }
        let mut seg = SegmenterConfig::default();
        if let Some(ms) = config.fragment_duration {
            seg.fragment_duration = millis(ms, "fragmentDuration")?;
        }
        if let Some(ms) = config.part_duration {
            seg.part_duration = Some(millis(ms, "partDuration")?);
        }
        seg.mode = match config.mode {
            Some(ModeJs::Muxed) => SegmenterMode::Muxed,
            _ => SegmenterMode::PerTrack,
        };
        seg.styp = config.styp.unwrap_or(false);
        if let Some(n) = config.first_sequence_number {
            seg.first_sequence_number = n;
        }
        let mut codecs = Vec::with_capacity(tracks.len());
        for (i, t) in tracks.iter().enumerate() {
            let codec = t.codec.codec_string().map_err(|e| config_error(&format!("tracks[{i}].description"), e))?;
            codecs.push(codec);
        }
        let listeners = (EventQueue { events: Array::new() }, BandwidthListener::default());
        let segmenter = Segmenter::new(tracks.clone(), seg, listeners).map_err(|e| setup_error(&e, &tracks))?;
        Ok(Muxer { segmenter, tracks: states, codecs, keys: Keys::new() })
    }

    /// Adds the next sample of track `trackId` (a `MuxerSample`, or a
    /// WebCodecs `EncodedVideoChunk`/`EncodedAudioChunk`, or a framecast
    /// `EncodedChunk`) and returns the events it completed (often none).
    #[wasm_bindgen(unchecked_return_type = "MuxEvent[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(js_name = trackId)] track_id: f64,
        #[wasm_bindgen(unchecked_param_type = "MuxerSample | WebCodecsChunk")] sample: JsValue,
    ) -> Result<Array, JsValue> {
        let ti = self.track_index(track_id)?;
        let sample = self.sample(ti, &sample)?;
        let decode_time = sample.decode_time;
        self.segmenter.push(self.tracks[ti].id(), sample).map_err(|e| runtime_error(&e))?;
        self.tracks[ti].taken(decode_time);
        Ok(self.drain())
    }

    /// Ends the stream: returns the last parts and fragments. Later calls
    /// to `push` or `finish` throw `code: "invalid-state"`.
    #[wasm_bindgen(unchecked_return_type = "MuxEvent[]")]
    pub fn finish(&mut self) -> Result<Array, JsValue> {
        self.segmenter.finish().map_err(|e| runtime_error(&e))?;
        Ok(self.drain())
    }

    /// RFC 6381 codec strings of the tracks, in config order, derived from
    /// the descriptions (`avc1.PPCCLL` from the SPS in the avcC,
    /// `mp4a.40.N` from the AudioSpecificConfig, `opus`, `flac`).
    pub fn codecs(&self) -> Vec<String> {
        self.codecs.clone()
    }

    /// Peak and average bit rate (bits/s, HLS BANDWIDTH rules) of the
    /// fragments holding `trackId` so far; `undefined` before the first
    /// fragment.
    #[wasm_bindgen(unchecked_return_type = "MuxBandwidth | undefined")]
    pub fn bandwidth(&self, #[wasm_bindgen(js_name = trackId)] track_id: f64) -> Result<JsValue, JsValue> {
        let ti = self.track_index(track_id)?;
        let Some(bw) = self.segmenter.listener().1.bandwidth(self.tracks[ti].id()) else {
            return Ok(JsValue::UNDEFINED);
        };
        let o = Object::new();
        set(&o, "peak", &(bw.peak as f64).into());
        set(&o, "average", &(bw.average as f64).into());
        Ok(o.into())
    }
}

impl Muxer {
    fn track_index(&self, track_id: f64) -> Result<usize, JsValue> {
        self.tracks
            .iter()
            .position(|t| f64::from(t.id()) == track_id)
            .ok_or_else(|| input_error("trackId", format!("no track has id {track_id}")))
    }

    /// Reads a JS sample into a [`Sample`] of track `ti` (times in ticks).
    fn sample(&self, ti: usize, sample: &JsValue) -> Result<Sample, JsValue> {
        if !sample.is_object() {
            return Err(input_error("data", "the sample must be an object with data, timestamp and keyframe"));
        }
        let k = &self.keys;
        let get = |key: &JsValue| Reflect::get(sample, key).unwrap_or(JsValue::UNDEFINED);
        let track = &self.tracks[ti];

        let data = get(&k.data);
        let bytes = if data.is_undefined() {
            // WebCodecs EncodedVideoChunk / EncodedAudioChunk: copyTo(buffer).
            let copy_to = get(&k.copy_to).dyn_into::<Function>().ok();
            let length = get(&k.byte_length).as_f64();
            match (copy_to, length) {
                (Some(f), Some(n)) if n >= 0.0 && n <= u32::MAX as f64 => {
                    let buf = Uint8Array::new_with_length(n as u32);
                    f.call1(sample, &buf)
                        .map_err(|e| FramecastError::at(ErrorCode::InvalidFrame, "data", "copyTo() failed").cause(e))?;
                    buf.to_vec()
                }
                _ => return Err(input_error("data", "is missing (a Uint8Array, or a chunk with copyTo())")),
            }
        } else {
            bytes_of(&data).ok_or_else(|| input_error("data", "must be a Uint8Array, an ArrayBuffer or a view"))?
        };
        if bytes.is_empty() {
            return Err(input_error("data", "must not be empty"));
        }

        let ts = get(&k.timestamp).as_f64().ok_or_else(|| input_error("timestamp", "must be a number (µs)"))?;
        let start = track.start_ticks(ts).map_err(|e| coded(&e))?;
        let dur = get(&k.duration);
        let duration = match dur.as_f64() {
            None if !(dur.is_undefined() || dur.is_null()) => {
                return Err(input_error("duration", "must be a number (µs)"))
            }
            d => track.duration_ticks(ts, d).map_err(|e| coded(&e))?,
        };
        let keyframe = match get(&k.keyframe).as_bool() {
            Some(b) => b,
            None => {
                let t = get(&k.type_);
                if t.is_string() {
                    t == k.key
                } else {
                    return Err(input_error("keyframe", "must be a boolean (or give type: \"key\" | \"delta\")"));
                }
            }
        };

        let data = track.sample_data(bytes).map_err(|e| coded(&e))?;
        Ok(Sample { decode_time: start, composition_offset: 0, duration, keyframe, data })
    }

    /// The queued events.
    fn drain(&mut self) -> Array {
        std::mem::replace(&mut self.segmenter.listener_mut().0.events, Array::new())
    }
}

/// `MuxInitEvent`.
fn init_object(init: &InitSegment) -> Object {
    let o = Object::new();
    set(&o, "type", &"init".into());
    set(&o, "trackIds", &ids_array(&init.track_ids));
    let codecs: Array = init.codecs.iter().map(|c| JsValue::from_str(c)).collect();
    set(&o, "codecs", &codecs);
    set(&o, "bytes", &Uint8Array::from(&init.bytes[..]));
    o
}

/// `MuxPartEvent`.
fn part_object(p: &Part) -> Object {
    let o = Object::new();
    let (start, duration) = span_micros(p.start, p.duration);
    set(&o, "type", &"part".into());
    set(&o, "trackIds", &ids_array(&p.track_ids));
    set(&o, "sequenceNumber", &p.sequence_number.into());
    set(&o, "index", &p.index.into());
    set(&o, "start", &start.into());
    set(&o, "duration", &duration.into());
    set(&o, "independent", &p.independent.into());
    set(&o, "keyframe", &p.independent.into());
    set(&o, "offset", &(p.offset as f64).into());
    set(&o, "bytes", &Uint8Array::from(&p.bytes[..]));
    set(&o, "timescale", &p.start.timescale.get().into());
    set(&o, "startTicks", &(p.start.ticks as f64).into());
    set(&o, "durationTicks", &(p.duration as f64).into());
    o
}

/// `MuxFragmentEvent`.
fn fragment_object(f: &Fragment) -> Object {
    let o = Object::new();
    let (start, duration) = span_micros(f.start, f.duration);
    set(&o, "type", &"fragment".into());
    set(&o, "trackIds", &ids_array(&f.track_ids));
    set(&o, "sequenceNumber", &f.sequence_number.into());
    set(&o, "start", &start.into());
    set(&o, "duration", &duration.into());
    set(&o, "keyframe", &f.keyframe.into());
    set(&o, "independent", &f.keyframe.into());
    set(&o, "bytes", &Uint8Array::from(&f.bytes[..]));
    let parts = Array::new();
    let mut at = f.start;
    for (index, p) in f.parts.iter().enumerate() {
        let (ps, pd) = span_micros(at, p.duration);
        let po = Object::new();
        set(&po, "index", &(index as u32).into());
        set(&po, "offset", &(p.offset as f64).into());
        set(&po, "length", &(p.length as f64).into());
        set(&po, "start", &ps.into());
        set(&po, "duration", &pd.into());
        set(&po, "independent", &p.independent.into());
        parts.push(&po);
        at.ticks = at.ticks.saturating_add(p.duration.min(i64::MAX as u64) as i64);
    }
    set(&o, "parts", &parts);
    set(&o, "timescale", &f.start.timescale.get().into());
    set(&o, "startTicks", &(f.start.ticks as f64).into());
    set(&o, "durationTicks", &(f.duration as f64).into());
    o
}

/// Builds the core track config and the binding's state for track `i`.
fn track_config(i: usize, t: &TrackJs, desc: Option<Vec<u8>>) -> Result<(TrackConfig, ChunkTrack), JsValue> {
    let f = |name: &str| format!("tracks[{i}].{name}");
    let codec = Codec::parse(&t.codec)
        .ok_or_else(|| config_error(&f("codec"), format!("must be avc, aac, opus or flac, got {:?}", t.codec)))?;
    if codec.kind() != t.kind {
        return Err(config_error(&f("kind"), format!("does not match codec {:?}", t.codec)));
    }
    let need_desc = || config_error(&f("description"), "is required for this codec");
    let (config, default_rate) = match codec {
        Codec::Avc => {
            let avcc = desc.ok_or_else(need_desc)?;
            let record = AvcDecoderConfigurationRecord::parse(&avcc)
                .map_err(|e| config_error(&f("description"), format!("bad avcC: {e}")))?;
            let (mut width, mut height) = (t.width, t.height);
            if width.is_none() || height.is_none() {
                let sps = record
                    .sps
                    .first()
                    .and_then(|s| Sps::parse(s).ok())
                    .ok_or_else(|| config_error(&f("description"), "the avcC has no SPS that parses"))?;
                width = width.or(Some(sps.width()));
                height = height.or(Some(sps.height()));
            }
            let (width, height) = (width.unwrap_or(0), height.unwrap_or(0));
            (CodecConfig::Avc { avcc, width, height }, 90_000)
        }
        Codec::Aac => {
            let asc = desc.ok_or_else(need_desc)?;
            let sample_rate = t.sample_rate.ok_or_else(|| config_error(&f("sampleRate"), "is required for aac"))?;
            let channels = t.channels.ok_or_else(|| config_error(&f("channels"), "is required for aac"))?;
            (CodecConfig::Aac { asc, sample_rate, channels }, sample_rate)
        }
        Codec::Opus => {
            let config = match desc {
                Some(head) => opus_head(&head).map_err(|e| config_error(&f("description"), e))?,
                None => {
                    let channels = t
                        .channels
                        .ok_or_else(|| config_error(&f("channels"), "is required for opus without a description"))?;
                    let channels = u8::try_from(channels)
                        .map_err(|_| config_error(&f("channels"), format!("must be 1 or 2, got {channels}")))?;
                    CodecConfig::Opus {
                        channels,
                        pre_skip: 0,
                        input_sample_rate: t.sample_rate.unwrap_or(48_000),
                        output_gain: 0,
                    }
                }
            };
            (config, 48_000)
        }
        Codec::Flac => {
            let desc = desc.ok_or_else(need_desc)?;
            let (metadata, rate, channels, bits) =
                flac_config(&desc).map_err(|e| config_error(&f("description"), e))?;
            let sample_rate = t.sample_rate.unwrap_or(rate);
            let channels = t.channels.unwrap_or(channels);
            (CodecConfig::Flac { metadata, sample_rate, channels, bits_per_sample: bits }, sample_rate)
        }
    };
    let timescale = match t.timescale {
        Some(ts) => Timescale::new(ts).ok_or_else(|| config_error(&f("timescale"), "must not be 0"))?,
        None => Timescale::new(default_rate).ok_or_else(|| config_error(&f("sampleRate"), "must not be 0"))?,
    };
    let mut track = TrackConfig::new(t.id, timescale, config);
    if let Some(lang) = &t.language {
        track.language = lang.clone();
    }
    let chunks = ChunkTrack::new(&track).map_err(|e| config_error(&f("description"), format!("bad avcC: {e}")))?;
    Ok((track, chunks))
}

/// A segmenter set-up error as `invalid-config`, naming the JS field.
fn setup_error(e: &MuxError, tracks: &[TrackConfig]) -> JsValue {
    let at = |id: u32| tracks.iter().position(|t| t.id == id).unwrap_or(0);
    let field = match e {
        MuxError::InvalidTrack { track_id, field, .. } => {
            let name = match *field {
                "id" => "id",
                "language" => "language",
                "codec.width/height" => "width",
                "codec.sample_rate" => "sampleRate",
                "codec.channels" => "channels",
                _ => "description",
            };
            format!("tracks[{}].{name}", at(*track_id))
        }
        MuxError::Codec { track_id, .. } => format!("tracks[{}].description", at(*track_id)),
        MuxError::DuplicateTrack { track_id } => {
            let second = tracks.iter().enumerate().filter(|(_, t)| t.id == *track_id).nth(1).map_or(0, |(i, _)| i);
            format!("tracks[{second}].id")
        }
        MuxError::Unsupported { .. } => {
            let opus = tracks.iter().position(|t| matches!(t.codec, CodecConfig::Opus { .. })).unwrap_or(0);
            format!("tracks[{opus}].channels")
        }
        MuxError::InvalidOption { field: "part_duration", .. } => "partDuration".into(),
        MuxError::InvalidOption { field: "fragment_duration", .. } => "fragmentDuration".into(),
        _ => "tracks".into(),
    };
    config_error(&field, e)
}

/// A segmenter error during `push`/`finish`: `invalid-frame` for a sample
/// that does not fit the stream, `invalid-state` after `finish`, else
/// `mux-error`; `field` names the `push` argument at fault.
fn runtime_error(e: &MuxError) -> JsValue {
    let field = match e {
        MuxError::NegativeDecodeTime { .. } | MuxError::DecodeTimeDecreased { .. } => Some("timestamp"),
        MuxError::FirstSampleNotKeyframe { .. } => Some("keyframe"),
        MuxError::UnknownTrack { .. } => Some("trackId"),
        MuxError::TooLarge { what: "sample" } => Some("data"),
        MuxError::TooLarge { .. } => Some("timestamp"),
        _ => None,
    };
    FramecastError::coded(e).with_field(field.map(str::to_string)).into()
}

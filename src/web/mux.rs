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
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::{coded, config_error, FramecastError};
use super::from_js;
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

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** One track of a `Muxer`. */
export interface MuxerTrackConfig {
  /** Track ID, from 1, unique. */
  id: number;
  kind: "video" | "audio";
  /** `"avc"`, `"aac"`, `"opus"`, `"flac"`, or a WebCodecs codec string (`"avc1.42e01f"`, `"mp4a.40.2"`). */
  codec: string;
  /** Ticks per second of the track in the MP4. Default: 90000 for video, the sample rate for audio. */
  timescale?: number;
  /**
   * avc: the avcC record (WebCodecs `decoderConfig.description`), required.
   * aac: the AudioSpecificConfig, required. opus: the OpusHead (optional).
   * flac: `fLaC` + metadata blocks, STREAMINFO first (required).
   */
  description?: Uint8Array | ArrayBuffer;
  /** avc: picture size; default: from the SPS. */
  width?: number;
  height?: number;
  /** aac: required. opus: input sample rate, default 48000. flac: default from STREAMINFO. */
  sampleRate?: number;
  /** aac: required. opus: required without description. flac: default from STREAMINFO. */
  channels?: number;
  /** ISO 639-2/T code, default "und". */
  language?: string;
}

/** `new Muxer(config)`. */
export interface MuxerConfig {
  tracks: MuxerTrackConfig[];
  /** Target fragment duration in ms (cut at the next keyframe). Default 2000. */
  fragmentDuration?: number;
  /** LL-HLS part (CMAF chunk) duration in ms; default: no parts. */
  partDuration?: number;
  /** One stream per track (CMAF, default) or one stream with every track. */
  mode?: "per-track" | "muxed";
  /** Start every fragment with a `styp` box. Default false. */
  styp?: boolean;
  /** Sequence number of the first fragment. Default 1. */
  firstSequenceNumber?: number;
}

/**
 * One sample for `Muxer.push`. A framecast `EncodedChunk` is one too; a WebCodecs
 * `EncodedVideoChunk`/`EncodedAudioChunk` is accepted as a `WebCodecsChunk`.
 */
export interface MuxerSample {
  /** avc: length-prefixed NAL units (WebCodecs avc.format "avc"); Annex-B is converted. aac: raw frame (no ADTS). */
  data: Uint8Array | ArrayBuffer | ArrayBufferView;
  /** Presentation = decode time in µs (WebCodecs `timestamp`). Non-negative, increasing per track. */
  timestamp: number;
  /** µs; only the last sample's matters (others last until the next timestamp). */
  duration?: number | null;
  /** Random access point; or give `type: "key" | "delta"` as WebCodecs does. */
  keyframe?: boolean;
  /** `"key"` or `"delta"`, read when `keyframe` is absent. */
  type?: string;
}

/** What `Muxer.push` uses of a WebCodecs `EncodedVideoChunk` / `EncodedAudioChunk`. */
export interface WebCodecsChunk {
  readonly type: string;
  /** µs. */
  readonly timestamp: number;
  readonly duration: number | null;
  readonly byteLength: number;
  copyTo(destination: Uint8Array): void;
}

/** Where a part lies in its fragment. */
export interface MuxPartInfo {
  index: number;
  /** Byte offset within the fragment's bytes. */
  offset: number;
  length: number;
  /** µs. */
  start: number;
  duration: number;
  independent: boolean;
}

/** An init segment (`ftyp` + `moov`), once per output stream, before its first part or fragment. */
export interface MuxInitEvent {
  type: "init";
  trackIds: number[];
  /** RFC 6381 codec strings of `trackIds`, in order. */
  codecs: string[];
  bytes: Uint8Array;
}

/** An LL-HLS part (CMAF chunk, `moof` + `mdat`), only with `partDuration`. */
export interface MuxPartEvent {
  type: "part";
  trackIds: number[];
  /** Sequence number of the fragment it belongs to. */
  sequenceNumber: number;
  /** Index within the fragment, from 0. */
  index: number;
  /** µs. */
  start: number;
  duration: number;
  /** Starts with a keyframe (`INDEPENDENT=YES`); `keyframe` says the same. */
  independent: boolean;
  keyframe: boolean;
  /** Byte offset within the fragment. */
  offset: number;
  bytes: Uint8Array;
  /** `start`/`duration` exactly, in ticks of `timescale`. */
  timescale: number;
  startTicks: number;
  durationTicks: number;
}

/** A complete fragment (media segment). */
export interface MuxFragmentEvent {
  type: "fragment";
  trackIds: number[];
  /** HLS media sequence number / DASH `$Number$`; the same across per-track streams. */
  sequenceNumber: number;
  /** µs. */
  start: number;
  duration: number;
  /** Starts with a keyframe; `independent` says the same. */
  keyframe: boolean;
  independent: boolean;
  bytes: Uint8Array;
  /** Its parts (empty without `partDuration`). */
  parts: MuxPartInfo[];
  timescale: number;
  startTicks: number;
  durationTicks: number;
}

export type MuxEvent = MuxInitEvent | MuxPartEvent | MuxFragmentEvent;

/** Bit rates in bits per second (HLS BANDWIDTH / AVERAGE-BANDWIDTH rules). */
export interface MuxBandwidth {
  peak: number;
  average: number;
}

/** `length` bytes from `offset`. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** An init segment: a URI, or a URI with a byte range. */
export type InitSegmentRef = string | { uri: string; byteRange?: ByteRange };

/** An LL-HLS part. */
export interface PlaylistPart {
  uri: string;
  /** µs, or ticks of `timescale`. */
  duration: number;
  independent?: boolean;
  byteRange?: ByteRange;
}

/** A media segment (for HLS and DASH alike; DASH ignores parts, programDateTime, discontinuity, gap). */
export interface PlaylistSegment {
  /** Consecutive: each is the previous plus one. */
  sequence: number;
  /** µs, or ticks of `timescale`. */
  start: number;
  duration: number;
  uri: string;
  /** Size in bytes (for bandwidth). */
  bytes?: number;
  byteRange?: ByteRange;
  discontinuity?: boolean;
  /** Wall-clock time of `start`, ms since the Unix epoch. */
  programDateTime?: number;
  parts?: PlaylistPart[];
  gap?: boolean;
}

/** `hlsMediaPlaylist(options)`. */
export interface HlsMediaPlaylistOptions {
  /** Ticks per second of segment/part times. Default 1000000 (µs). */
  timescale?: number;
  /** EXT-X-MAP; omit for none. */
  init?: InitSegmentRef;
  segments: PlaylistSegment[];
  /** Default "vod" (always ends with EXT-X-ENDLIST). */
  kind?: "vod" | "event" | "live";
  /** live: keep the last N segments (default 6)... */
  window?: number;
  /** ...or the last segments lasting at least this many ms. */
  windowDuration?: number;
  /** EXT-X-TARGETDURATION in seconds; default from the segments. Required with partTarget. */
  targetDuration?: number;
  /** LL-HLS (event/live): PART-TARGET in ms. */
  partTarget?: number;
  /** LL-HLS PART-HOLD-BACK in ms; default 3 part targets. */
  partHoldBack?: number;
  /** HOLD-BACK in ms. */
  holdBack?: number;
  /** CAN-SKIP-UNTIL in ms (delta updates). */
  canSkipUntil?: number;
  /** LL-HLS: the segment being written, with the parts published so far. */
  openSegment?: { sequence: number; parts: PlaylistPart[] };
  /** LL-HLS: URI of the next part (EXT-X-PRELOAD-HINT). */
  preloadHint?: string;
  /** event/live: the stream is over (EXT-X-ENDLIST). */
  ended?: boolean;
  /** EXT-X-PROGRAM-DATE-TIME placement. Default "sparse". */
  programDateTime?: "none" | "sparse" | "every";
  /** Decimals of EXTINF, 3..6. Default 3. */
  decimals?: number;
  /** EXT-X-INDEPENDENT-SEGMENTS. Default true. */
  independentSegments?: boolean;
}

/** A variant stream (EXT-X-STREAM-INF). */
export interface HlsVariant {
  uri: string;
  /** Peak bit rate, bits/s, audio group included (e.g. `Muxer.bandwidth().peak` summed). */
  bandwidth: number;
  averageBandwidth?: number;
  /** RFC 6381 strings of the variant's own segments (e.g. from `Muxer.codecs()`). */
  codecs: string[];
  resolution?: { width: number; height: number };
  /** e.g. 30, 29.97, or { num: 30000, den: 1001 }. */
  frameRate?: number | { num: number; den: number };
  /** GROUP-ID of its audio renditions. */
  audio?: string;
}

/** An audio rendition (EXT-X-MEDIA:TYPE=AUDIO). */
export interface HlsAudioRendition {
  groupId: string;
  name: string;
  codec: string;
  /** Its media playlist; omit when the audio is in the variant's segments. */
  uri?: string;
  language?: string;
  default?: boolean;
  autoselect?: boolean;
  channels?: number;
}

/** `hlsMultivariantPlaylist(options)`. */
export interface HlsMultivariantPlaylistOptions {
  variants: HlsVariant[];
  audio?: HlsAudioRendition[];
  independentSegments?: boolean;
}

/** A DASH Representation: video (width + height) or audio (sampleRate + channels). */
export interface DashRepresentation {
  id: string;
  /** bits/s; default: the peak computed from the segments' `bytes`. */
  bandwidth?: number;
  codecs: string;
  /** Ticks per second of segment times. Default 1000000 (µs). */
  timescale?: number;
  init: InitSegmentRef;
  segments: PlaylistSegment[];
  /** SegmentTemplate@media, e.g. "video/$Number$.m4s" (must expand to each segment's uri)... */
  media?: string;
  /** ...timed by a SegmentTimeline (default) or this fixed duration (µs / ticks; static only). */
  segmentDuration?: number;
  /** Or SegmentBase (on demand, static only): where the sidx is; `init` needs its byteRange. */
  indexRange?: ByteRange;
  presentationTimeOffset?: number;
  width?: number;
  height?: number;
  frameRate?: number | { num: number; den: number };
  sampleRate?: number;
  channels?: number;
}

export interface DashAdaptationSet {
  /** Default: its index. */
  id?: number;
  lang?: string;
  representations: DashRepresentation[];
}

/** `dashMpd(options)`. */
export interface DashMpdOptions {
  /** Default "static". */
  type?: "static" | "dynamic";
  /** dynamic: ms since the Unix epoch (required). */
  availabilityStartTime?: number;
  publishTime?: number;
  /** dynamic, ms. Defaults 2000 and 30000. */
  minimumUpdatePeriod?: number;
  timeShiftBufferDepth?: number;
  suggestedPresentationDelay?: number;
  /** ms, default 2000. */
  minBufferTime?: number;
  baseUrl?: string;
  utcTiming?: { schemeIdUri: string; value: string }[];
  adaptationSets: DashAdaptationSet[];
}
"#;

// ---------------------------------------------------------------------------
// Muxer configuration

/// `MuxerConfig` (see the TypeScript declarations above).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MuxerConfigJs {
    tracks: Vec<TrackJs>,
    #[serde(default)]
    fragment_duration: Option<f64>,
    #[serde(default)]
    part_duration: Option<f64>,
    #[serde(default)]
    mode: Option<ModeJs>,
    #[serde(default)]
    styp: Option<bool>,
    #[serde(default)]
    first_sequence_number: Option<u32>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum ModeJs {
    PerTrack,
    Muxed,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum KindJs {
    Video,
    Audio,
}

/// `MuxerTrackConfig` without `description`, which is taken out before
/// deserializing (bytes do not survive the JSON value).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TrackJs {
    id: u32,
    kind: KindJs,
    codec: String,
    #[serde(default)]
    timescale: Option<u32>,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
    #[serde(default)]
    sample_rate: Option<u32>,
    #[serde(default)]
    channels: Option<u16>,
    #[serde(default)]
    language: Option<String>,
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
/// copy of the config without it (for [`from_js`]) and the descriptions.
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
        let config: MuxerConfigJs = from_js(config)?;
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

// ---------------------------------------------------------------------------
// Playlists

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct ByteRangeJs {
    offset: u64,
    length: u64,
}

impl From<ByteRangeJs> for ByteRange {
    fn from(r: ByteRangeJs) -> Self {
        ByteRange::new(r.offset, r.length)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum InitJs {
    Uri(String),
    Full(InitFullJs),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InitFullJs {
    uri: String,
    #[serde(default)]
    byte_range: Option<ByteRangeJs>,
}

impl From<InitJs> for playlist::InitSegmentRef {
    fn from(i: InitJs) -> Self {
        match i {
            InitJs::Uri(uri) => playlist::InitSegmentRef::new(uri),
            InitJs::Full(f) => playlist::InitSegmentRef { uri: f.uri, byte_range: f.byte_range.map(Into::into) },
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PartJs {
    uri: String,
    duration: u64,
    #[serde(default)]
    independent: bool,
    #[serde(default)]
    byte_range: Option<ByteRangeJs>,
}

impl From<PartJs> for playlist::PlaylistPart {
    fn from(p: PartJs) -> Self {
        playlist::PlaylistPart {
            uri: p.uri,
            duration: p.duration,
            independent: p.independent,
            byte_range: p.byte_range.map(Into::into),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SegmentJs {
    sequence: u64,
    start: i64,
    duration: u64,
    uri: String,
    #[serde(default)]
    bytes: Option<u64>,
    #[serde(default)]
    byte_range: Option<ByteRangeJs>,
    #[serde(default)]
    discontinuity: bool,
    #[serde(default)]
    program_date_time: Option<i64>,
    #[serde(default)]
    parts: Vec<PartJs>,
    #[serde(default)]
    gap: bool,
}

impl From<SegmentJs> for playlist::Segment {
    fn from(s: SegmentJs) -> Self {
        let mut seg = playlist::Segment::new(s.sequence, s.start, s.duration, s.uri);
        seg.bytes = s.bytes;
        seg.byte_range = s.byte_range.map(Into::into);
        seg.discontinuity = s.discontinuity;
        seg.program_date_time_ms = s.program_date_time;
        seg.parts = s.parts.into_iter().map(Into::into).collect();
        seg.gap = s.gap;
        seg
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum HlsKindJs {
    Vod,
    Event,
    Live,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum PdtJs {
    None,
    Sparse,
    Every,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OpenSegmentJs {
    sequence: u64,
    parts: Vec<PartJs>,
}

/// `HlsMediaPlaylistOptions`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HlsMediaJs {
    #[serde(default)]
    timescale: Option<u32>,
    #[serde(default)]
    init: Option<InitJs>,
    segments: Vec<SegmentJs>,
    #[serde(default)]
    kind: Option<HlsKindJs>,
    #[serde(default)]
    window: Option<usize>,
    #[serde(default)]
    window_duration: Option<f64>,
    #[serde(default)]
    target_duration: Option<u32>,
    #[serde(default)]
    part_target: Option<f64>,
    #[serde(default)]
    part_hold_back: Option<f64>,
    #[serde(default)]
    hold_back: Option<f64>,
    #[serde(default)]
    can_skip_until: Option<f64>,
    #[serde(default)]
    open_segment: Option<OpenSegmentJs>,
    #[serde(default)]
    preload_hint: Option<String>,
    #[serde(default)]
    ended: bool,
    #[serde(default)]
    program_date_time: Option<PdtJs>,
    #[serde(default)]
    decimals: Option<u8>,
    #[serde(default)]
    independent_segments: Option<bool>,
}

fn timescale_of(ts: Option<u32>, field: &str) -> Result<Timescale, JsValue> {
    match ts {
        None => Ok(Timescale::MICROS),
        Some(t) => Timescale::new(t).ok_or_else(|| config_error(field, "must not be 0")),
    }
}

/// snake_case → camelCase, dropping a `_ms` unit suffix.
fn camel(s: &str) -> String {
    let s = s.strip_suffix("_ms").unwrap_or(s);
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The JS name of a core option field (`options.low_latency.part_hold_back`
/// → `partHoldBack`, `variant.codecs` → `variants.codecs`).
fn js_field(core: &str) -> String {
    let mapped = match core {
        "options.kind.window" => return "window".into(),
        "options.low_latency" => return "partTarget".into(),
        "preload_hint.uri" | "preload_hint.byte_range_length" => return "preloadHint".into(),
        _ => core,
    };
    let rest = mapped
        .strip_prefix("options.low_latency.")
        .or_else(|| mapped.strip_prefix("options."))
        .or_else(|| mapped.strip_prefix("mpd.kind."))
        .or_else(|| mapped.strip_prefix("mpd."))
        .map(str::to_string)
        .or_else(|| mapped.strip_prefix("variant.").map(|r| format!("variants.{r}")))
        .or_else(|| mapped.strip_prefix("representation.addressing.").map(|r| format!("representations.{r}")))
        .or_else(|| mapped.strip_prefix("representation.").map(|r| format!("representations.{r}")))
        .or_else(|| mapped.strip_prefix("adaptation_set.").map(|r| format!("adaptationSets.{r}")))
        .unwrap_or_else(|| mapped.to_string());
    rest.split('.').map(camel).collect::<Vec<_>>().join(".")
}

/// The JS field of a playlist error about the segment at `prefix` (e.g.
/// `segments[3]`), or of an option.
fn playlist_field(e: &PlaylistError, prefix: Option<&str>) -> Option<String> {
    use PlaylistError::*;
    let seg = |sub: &str| prefix.map(|p| if sub.is_empty() { p.to_string() } else { format!("{p}.{sub}") });
    match e {
        ZeroDuration { part: None, .. } | SegmentExceedsTarget { .. } | Overflow { .. } => seg("duration"),
        ZeroDuration { part: Some(i), .. } | PartExceedsTarget { part: i, .. } => seg(&format!("parts[{i}].duration")),
        DuplicateSequence { .. } | NonConsecutiveSequence { .. } => seg("sequence"),
        StartBeforePreviousEnd { .. } => seg("start"),
        PartsDurationMismatch { .. } => seg("parts"),
        MissingSize { .. } => seg("bytes"),
        DateOutOfRange { field, .. } if field.starts_with("segment.") => seg("programDateTime"),
        InvalidText { field, .. } | InvalidOption { field, .. } | DateOutOfRange { field, .. } => {
            match field.strip_prefix("segment.").or_else(|| field.strip_prefix("part.")) {
                Some(rest) if prefix.is_some() => {
                    let sub = if field.starts_with("part.") { "parts".to_string() } else { js_field(rest) };
                    seg(&sub)
                }
                _ => Some(js_field(field)),
            }
        }
        TemplateMismatch { .. } => seg("uri"),
        _ => prefix.map(str::to_string),
    }
}

fn playlist_error(e: &PlaylistError, prefix: Option<&str>) -> JsValue {
    match playlist_field(e, prefix) {
        Some(field) => FramecastError::at(e.code(), &field, e).into(),
        None => FramecastError::coded(e).into(),
    }
}

/// Renders an HLS media playlist (VOD, EVENT or live window, LL-HLS with
/// `partTarget`) from a list of segments: `HlsMediaPlaylistOptions` in,
/// playlist text out. Segment times are µs unless `timescale` is given.
/// Throws `code: "invalid-config"` for a malformed object and
/// `"playlist-error"` (with `field`, e.g. `segments[2].sequence`) for
/// segments or options the playlist cannot hold.
#[wasm_bindgen(js_name = hlsMediaPlaylist)]
pub fn hls_media_playlist(
    #[wasm_bindgen(unchecked_param_type = "HlsMediaPlaylistOptions")] options: JsValue,
) -> Result<String, JsValue> {
    let o: HlsMediaJs = from_js(options)?;
    let timescale = timescale_of(o.timescale, "timescale")?;
    let kind = o.kind.unwrap_or(HlsKindJs::Vod);
    if kind != HlsKindJs::Live && (o.window.is_some() || o.window_duration.is_some()) {
        let field = if o.window.is_some() { "window" } else { "windowDuration" };
        return Err(config_error(field, "applies to kind \"live\" only"));
    }
    let window = match (o.window, o.window_duration) {
        (Some(_), Some(_)) => return Err(config_error("windowDuration", "give either window or windowDuration")),
        (_, Some(ms)) => Window::Duration(millis(ms, "windowDuration")?),
        (n, None) => Window::Segments(n.unwrap_or(6)),
    };
    let mut options = MediaPlaylistOptions {
        kind: match kind {
            HlsKindJs::Vod => PlaylistKind::Vod,
            HlsKindJs::Event => PlaylistKind::Event,
            HlsKindJs::Live => PlaylistKind::Live(window),
        },
        target_duration: o.target_duration,
        ..Default::default()
    };
    if let Some(d) = o.decimals {
        options.decimals = d;
    }
    if let Some(b) = o.independent_segments {
        options.independent_segments = b;
    }
    if let Some(p) = o.program_date_time {
        options.program_date_time = match p {
            PdtJs::None => PdtPlacement::Off,
            PdtJs::Sparse => PdtPlacement::Sparse,
            PdtJs::Every => PdtPlacement::EverySegment,
        };
    }
    if let Some(ms) = o.part_target {
        let mut ll = LowLatencyOptions::new(millis(ms, "partTarget")?);
        ll.part_hold_back = o.part_hold_back.map(|v| millis(v, "partHoldBack")).transpose()?;
        ll.hold_back = o.hold_back.map(|v| millis(v, "holdBack")).transpose()?;
        ll.can_skip_until = o.can_skip_until.map(|v| millis(v, "canSkipUntil")).transpose()?;
        options.low_latency = Some(ll);
    } else if o.part_hold_back.is_some() || o.can_skip_until.is_some() || o.hold_back.is_some() {
        return Err(config_error("partTarget", "is required with partHoldBack, holdBack or canSkipUntil"));
    }
    let mut pl =
        MediaPlaylist::new(timescale, o.init.map(Into::into), options).map_err(|e| playlist_error(&e, None))?;
    for (i, s) in o.segments.into_iter().enumerate() {
        pl.push(s.into()).map_err(|e| playlist_error(&e, Some(&format!("segments[{i}]"))))?;
    }
    if let Some(open) = o.open_segment {
        for (i, p) in open.parts.into_iter().enumerate() {
            pl.push_part(open.sequence, p.into())
                .map_err(|e| playlist_error(&e, Some(&format!("openSegment.parts[{i}]"))))?;
        }
    }
    if let Some(uri) = o.preload_hint {
        pl.set_preload_hint(Some(PreloadHint::new(uri))).map_err(|e| playlist_error(&e, None))?;
    }
    if kind == HlsKindJs::Vod || o.ended {
        pl.finish().map_err(|e| playlist_error(&e, None))?;
    }
    pl.render().map_err(|e| playlist_error(&e, None))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FrameRateJs {
    Number(f64),
    Fraction(FractionJs),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FractionJs {
    num: u32,
    den: u32,
}

/// A frame rate as a fraction: integers as `n/1`, NTSC rates (29.97,
/// 59.94, 23.976) as `n*1000/1001`, others to the millisecond.
fn frame_rate(f: FrameRateJs, field: &str) -> Result<FrameRate, JsValue> {
    match f {
        FrameRateJs::Fraction(FractionJs { num, den }) => Ok(FrameRate::new(num, den)),
        FrameRateJs::Number(x) => {
            if !x.is_finite() || x <= 0.0 || x > 1.0e6 {
                return Err(config_error(field, format!("must be a positive number, got {x}")));
            }
            if x.fract() == 0.0 {
                return Ok(FrameRate::integer(x as u32));
            }
            let ntsc = (x * 1001.0 / 1000.0).round();
            if (ntsc * 1000.0 / 1001.0 - x).abs() < 0.001 {
                return Ok(FrameRate::new(ntsc as u32 * 1000, 1001));
            }
            Ok(FrameRate::new((x * 1000.0).round() as u32, 1000))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolutionJs {
    width: u32,
    height: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VariantJs {
    uri: String,
    bandwidth: u64,
    #[serde(default)]
    average_bandwidth: Option<u64>,
    codecs: Vec<String>,
    #[serde(default)]
    resolution: Option<ResolutionJs>,
    #[serde(default)]
    frame_rate: Option<FrameRateJs>,
    #[serde(default)]
    audio: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AudioJs {
    group_id: String,
    name: String,
    codec: String,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    autoselect: Option<bool>,
    #[serde(default)]
    channels: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MultivariantJs {
    variants: Vec<VariantJs>,
    #[serde(default)]
    audio: Vec<AudioJs>,
    #[serde(default)]
    independent_segments: Option<bool>,
}

/// Renders an HLS multivariant (master) playlist:
/// `HlsMultivariantPlaylistOptions` in, text out. Codec strings should
/// come from `Muxer.codecs()` (derived from the SPS / AudioSpecificConfig).
#[wasm_bindgen(js_name = hlsMultivariantPlaylist)]
pub fn hls_multivariant_playlist(
    #[wasm_bindgen(unchecked_param_type = "HlsMultivariantPlaylistOptions")] options: JsValue,
) -> Result<String, JsValue> {
    let o: MultivariantJs = from_js(options)?;
    let mut pl = MultivariantPlaylist::default();
    if let Some(b) = o.independent_segments {
        pl.independent_segments = b;
    }
    for (i, v) in o.variants.into_iter().enumerate() {
        let bw = Bandwidth { peak: v.bandwidth, average: v.average_bandwidth.unwrap_or(0) };
        let mut variant = Variant::new(v.uri, bw, v.codecs);
        variant.average_bandwidth = v.average_bandwidth;
        variant.resolution = v.resolution.map(|r| Resolution::new(r.width, r.height));
        variant.frame_rate = v.frame_rate.map(|f| frame_rate(f, &format!("variants[{i}].frameRate"))).transpose()?;
        variant.audio_group = v.audio;
        pl.variants.push(variant);
    }
    for a in o.audio {
        let mut r = AudioRendition::new(a.group_id, a.name, a.codec, String::new());
        r.uri = a.uri;
        r.language = a.language;
        r.default = a.default;
        if let Some(auto) = a.autoselect {
            r.autoselect = auto;
        }
        r.channels = a.channels;
        pl.audio.push(r);
    }
    pl.render().map_err(|e| playlist_error(&e, None))
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum MpdTypeJs {
    Static,
    Dynamic,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UtcTimingJs {
    scheme_id_uri: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RepresentationJs {
    id: String,
    #[serde(default)]
    bandwidth: Option<u64>,
    codecs: String,
    #[serde(default)]
    timescale: Option<u32>,
    init: InitJs,
    segments: Vec<SegmentJs>,
    #[serde(default)]
    media: Option<String>,
    #[serde(default)]
    segment_duration: Option<u64>,
    #[serde(default)]
    index_range: Option<ByteRangeJs>,
    #[serde(default)]
    presentation_time_offset: Option<u64>,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
    #[serde(default)]
    frame_rate: Option<FrameRateJs>,
    #[serde(default)]
    sample_rate: Option<u32>,
    #[serde(default)]
    channels: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AdaptationSetJs {
    #[serde(default)]
    id: Option<u32>,
    #[serde(default)]
    lang: Option<String>,
    representations: Vec<RepresentationJs>,
}

/// `DashMpdOptions`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MpdJs {
    #[serde(default, rename = "type")]
    kind: Option<MpdTypeJs>,
    #[serde(default)]
    availability_start_time: Option<i64>,
    #[serde(default)]
    publish_time: Option<i64>,
    #[serde(default)]
    minimum_update_period: Option<f64>,
    #[serde(default)]
    time_shift_buffer_depth: Option<f64>,
    #[serde(default)]
    suggested_presentation_delay: Option<f64>,
    #[serde(default)]
    min_buffer_time: Option<f64>,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    utc_timing: Vec<UtcTimingJs>,
    adaptation_sets: Vec<AdaptationSetJs>,
}

fn representation(r: RepresentationJs, at: &str) -> Result<Representation, JsValue> {
    let f = |name: &str| format!("{at}.{name}");
    let timescale = timescale_of(r.timescale, &f("timescale"))?;
    let media = match (r.width, r.height, r.sample_rate, r.channels) {
        (Some(w), Some(h), None, None) => {
            let fr = r.frame_rate.map(|x| frame_rate(x, &f("frameRate"))).transpose()?;
            MediaInfo::Video(VideoInfo::new(w, h, fr))
        }
        (None, None, Some(rate), Some(ch)) => MediaInfo::Audio(AudioInfo { sampling_rate: rate, channels: ch }),
        _ => return Err(config_error(&f("width"), "give width and height (video) or sampleRate and channels (audio)")),
    };
    let mut timeline = Timeline::new(timescale);
    timeline.init = Some(r.init.into());
    timeline.segments = r.segments.into_iter().map(Into::into).collect();
    if let Err(e) = timeline.validate() {
        // Find the first segment at fault.
        let mut prefix = timeline.clone();
        let bad = (1..=timeline.segments.len())
            .find(|&n| {
                prefix.segments = timeline.segments[..n].to_vec();
                prefix.validate().is_err()
            })
            .map(|n| f(&format!("segments[{}]", n - 1)));
        return Err(playlist_error(&e, Some(bad.as_deref().unwrap_or(&f("init")))));
    }
    let addressing = match (r.media, r.index_range) {
        (Some(_), Some(_)) => return Err(config_error(&f("indexRange"), "give either media or indexRange")),
        (Some(media), None) => Addressing::SegmentTemplate {
            media,
            timing: r.segment_duration.map_or(TemplateTiming::Timeline, TemplateTiming::Duration),
        },
        (None, Some(range)) => Addressing::SegmentBase { index_range: range.into() },
        (None, None) => return Err(config_error(&f("media"), "give a SegmentTemplate media or an indexRange")),
    };
    let bandwidth = match r.bandwidth {
        Some(b) => b,
        None => timeline.bandwidth().map_err(|e| playlist_error(&e, Some(&f("bandwidth"))))?.peak,
    };
    Ok(Representation {
        id: r.id,
        bandwidth,
        codecs: r.codecs,
        media,
        timeline,
        addressing,
        presentation_time_offset: r.presentation_time_offset.unwrap_or(0),
    })
}

/// Renders a DASH MPD, static (on demand: `indexRange`/SegmentBase, or
/// SegmentTemplate) or dynamic (live: SegmentTemplate + SegmentTimeline):
/// `DashMpdOptions` in, XML out.
#[wasm_bindgen(js_name = dashMpd)]
pub fn dash_mpd(#[wasm_bindgen(unchecked_param_type = "DashMpdOptions")] options: JsValue) -> Result<String, JsValue> {
    let o: MpdJs = from_js(options)?;
    let kind = match o.kind.unwrap_or(MpdTypeJs::Static) {
        MpdTypeJs::Static => MpdKind::Static,
        MpdTypeJs::Dynamic => {
            let ast = o
                .availability_start_time
                .ok_or_else(|| config_error("availabilityStartTime", "is required for a dynamic MPD"))?;
            let publish = o.publish_time.ok_or_else(|| config_error("publishTime", "is required for a dynamic MPD"))?;
            let mut live = LiveMpd::new(ast, publish);
            if let Some(ms) = o.minimum_update_period {
                live.minimum_update_period = millis(ms, "minimumUpdatePeriod")?;
            }
            if let Some(ms) = o.time_shift_buffer_depth {
                live.time_shift_buffer_depth = millis(ms, "timeShiftBufferDepth")?;
            }
            live.suggested_presentation_delay =
                o.suggested_presentation_delay.map(|ms| millis(ms, "suggestedPresentationDelay")).transpose()?;
            MpdKind::Dynamic(live)
        }
    };
    let mut mpd = Mpd { kind, base_url: o.base_url, ..Default::default() };
    if let Some(ms) = o.min_buffer_time {
        mpd.min_buffer_time = millis(ms, "minBufferTime")?;
    }
    mpd.utc_timing =
        o.utc_timing.into_iter().map(|u| UtcTiming { scheme_id_uri: u.scheme_id_uri, value: u.value }).collect();
    for (a, set) in o.adaptation_sets.into_iter().enumerate() {
        let mut reps = Vec::with_capacity(set.representations.len());
        for (r, rep) in set.representations.into_iter().enumerate() {
            reps.push(representation(rep, &format!("adaptationSets[{a}].representations[{r}]"))?);
        }
        let mut out = AdaptationSet::new(set.id.unwrap_or(a as u32), reps);
        out.lang = set.lang;
        mpd.adaptation_sets.push(out);
    }
    mpd.render().map_err(|e| playlist_error(&e, None))
}

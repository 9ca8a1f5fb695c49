//! The TypeScript declarations of the `Muxer` options and events and of the
//! playlist functions' options (hand-written: the option structs of this
//! binding are read through `Reflect` and serde with byte fields that the
//! derive cannot type yet).

use wasm_bindgen::prelude::*;

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

//! Plain data shared by the muxers, the segmenter and the reader: tracks
//! and samples with integer timestamps.

use crate::codec::CodecConfig;
use crate::time::Timescale;

/// One track of a presentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackConfig {
    /// Track ID, from 1. CMAF puts one track in each fragment stream.
    pub id: u32,
    /// Ticks per second of every timestamp and duration of this track.
    /// Video usually uses 90 000, audio its sample rate.
    pub timescale: Timescale,
    /// Codec and its decoder configuration.
    pub codec: CodecConfig,
    /// ISO 639-2/T language code; `"und"` when unknown.
    pub language: String,
}

impl TrackConfig {
    /// A track with language `"und"`.
    pub fn new(id: u32, timescale: Timescale, codec: CodecConfig) -> Self {
        TrackConfig { id, timescale, codec, language: "und".into() }
    }
}

/// One coded sample (an access unit or an audio frame), with times in its
/// track's timescale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Decode time in ticks. Never decreases within a track.
    pub decode_time: i64,
    /// Presentation time minus decode time, in ticks (0 without B-frames).
    pub composition_offset: i32,
    /// Duration in ticks.
    pub duration: u32,
    /// A random access point (IDR for video; every audio frame is one).
    pub keyframe: bool,
    /// The sample bytes as stored in MP4: length-prefixed NAL units for
    /// H.264, raw frames (no ADTS header) for AAC.
    pub data: Vec<u8>,
}

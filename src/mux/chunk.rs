//! Encoded chunks as an encoder hands them over (WebCodecs'
//! `EncodedVideoChunk`/`EncodedAudioChunk`: µs times, H.264 in either
//! framing, durations optional) made into the segmenter's [`Sample`]s.
//!
//! [`ChunkTrack`] keeps one track's rules:
//! - H.264 samples are length-prefixed NAL units with the avcC's length
//!   size. A sample that is not valid length-prefixed data but starts with
//!   a start code (`00 00 01` or `00 00 00 01`) is taken as Annex-B and
//!   converted; its SPS/PPS NAL units are dropped (the avcC carries them).
//! - Timestamps are µs, rescaled to the nearest tick of the track's
//!   timescale, finite, at most ±9·10¹⁵, and not negative.
//! - A sample's duration is its own (µs, when positive), else the last
//!   interval between two samples of the track, else one frame of the
//!   codec: 1/30 s of video, 1024 AAC samples, 20 ms of Opus, 4096 FLAC
//!   samples.
//!
//! The steps are separate methods ([`ChunkTrack::start_ticks`],
//! [`ChunkTrack::duration_ticks`], [`ChunkTrack::sample_data`]) so that a
//! binding reading a JS object can check its fields in the order it reads
//! them; [`ChunkTrack::sample`] does all three.

use std::fmt;

use super::{Sample, TrackConfig};
use crate::codec::h264::bitstream::{
    annex_b_nal_units, append_length_prefixed_nal, length_prefixed_nal_units, AvcDecoderConfigurationRecord,
    BitstreamError, NalUnitType,
};
use crate::codec::CodecConfig;
use crate::error::{Coded, ErrorCode};
use crate::time::{Timescale, Timestamp};

/// Largest timestamp magnitude taken, µs (about 285 years).
pub const MAX_CHUNK_MICROS: f64 = 9.0e15;

/// Why a chunk was refused (`invalid-frame`); `field` is the chunk's
/// property at fault (`data`, `timestamp`, `duration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkError {
    /// The chunk property at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl ChunkError {
    fn new(field: &'static str, reason: impl fmt::Display) -> Self {
        ChunkError { field, reason: reason.to_string() }
    }
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for ChunkError {}

impl Coded for ChunkError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidFrame
    }
    fn field(&self) -> Option<String> {
        Some(self.field.to_string())
    }
}

/// How an H.264 sample's NAL units are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvcFraming {
    /// Length-prefixed (MP4, WebCodecs `avc: { format: "avc" }`).
    LengthPrefixed,
    /// Start codes (Annex-B, WebCodecs `format: "annexb"`).
    AnnexB,
}

/// The framing of `data`: length-prefixed with `length_size`-byte
/// lengths if it parses so completely, else Annex-B if it starts with a
/// start code, else the length-prefixed parse error.
pub fn avc_framing(data: &[u8], length_size: u8) -> Result<AvcFraming, BitstreamError> {
    let prefixed = length_prefixed_nal_units(data, length_size).try_for_each(|r| r.map(|_| ()));
    match prefixed {
        Ok(()) if !data.is_empty() => Ok(AvcFraming::LengthPrefixed),
        Ok(()) => Err(BitstreamError::EmptyNalUnit { offset: 0 }),
        Err(e) => {
            let annex_b = data.starts_with(&[0, 0, 1]) || data.starts_with(&[0, 0, 0, 1]);
            if annex_b {
                Ok(AvcFraming::AnnexB)
            } else {
                Err(e)
            }
        }
    }
}

/// Annex-B → length-prefixed with `length_size`, without SPS/PPS (they are
/// in the avcC). A sample with no other NAL unit is an error.
pub fn annex_b_to_length_prefixed(data: &[u8], length_size: u8) -> Result<Vec<u8>, BitstreamError> {
    let mut out = Vec::with_capacity(data.len());
    for nal in annex_b_nal_units(data) {
        let nal = nal?;
        if nal.nal_type == NalUnitType::SPS || nal.nal_type == NalUnitType::PPS {
            continue;
        }
        append_length_prefixed_nal(&mut out, nal.data, length_size)?;
    }
    if out.is_empty() {
        return Err(BitstreamError::EmptyNalUnit { offset: 0 });
    }
    Ok(out)
}

/// One track's chunk rules (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkTrack {
    id: u32,
    timescale: Timescale,
    /// H.264: the avcC's NAL length size.
    avc_length_size: Option<u8>,
    /// Decode time of the last sample taken, ticks.
    last: Option<i64>,
    /// Duration of a sample without one, ticks: the last interval, else
    /// one frame.
    default_duration: u32,
}

impl ChunkTrack {
    /// The rules for `track` (its id, timescale and codec). Fails only for
    /// an H.264 track whose avcC does not parse.
    pub fn new(track: &TrackConfig) -> Result<ChunkTrack, BitstreamError> {
        let avc_length_size = match &track.codec {
            CodecConfig::Avc { avcc, .. } => Some(AvcDecoderConfigurationRecord::parse(avcc)?.length_size()),
            _ => None,
        };
        // One frame, for a sample without a duration before any interval.
        let frame = |num: i64, den: u32| Timestamp::new(num, Timescale::new(den).unwrap_or(Timescale::MILLIS));
        let one_frame = match &track.codec {
            CodecConfig::Aac { sample_rate, .. } => frame(1024, (*sample_rate).max(1)),
            CodecConfig::Opus { .. } => frame(20, 1000),
            CodecConfig::Flac { sample_rate, .. } => frame(4096, (*sample_rate).max(1)),
            _ => frame(1, 30),
        };
        let default_duration = u32::try_from(one_frame.rescale(track.timescale).ticks.max(1)).unwrap_or(1);
        Ok(ChunkTrack { id: track.id, timescale: track.timescale, avc_length_size, last: None, default_duration })
    }

    /// The track ID.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The duration given to a sample without one now, ticks.
    pub fn default_duration(&self) -> u32 {
        self.default_duration
    }

    /// µs → ticks, to the nearest tick; `field` names the value in errors.
    fn ticks(&self, us: f64, field: &'static str) -> Result<i64, ChunkError> {
        if !us.is_finite() || us.abs() > MAX_CHUNK_MICROS {
            return Err(ChunkError::new(field, format!("must be a finite number of µs, got {us}")));
        }
        Ok(Timestamp::from_micros(us.round() as i64).rescale(self.timescale).ticks)
    }

    /// A chunk's decode time in ticks from its timestamp (µs).
    pub fn start_ticks(&self, timestamp_us: f64) -> Result<i64, ChunkError> {
        let start = self.ticks(timestamp_us, "timestamp")?;
        if timestamp_us.round() < 0.0 {
            return Err(ChunkError::new("timestamp", format!("must not be negative, got {timestamp_us}")));
        }
        Ok(start)
    }

    /// A chunk's duration in ticks: its own (`duration_us` when positive;
    /// negative or NaN is an error) or the default.
    pub fn duration_ticks(&self, timestamp_us: f64, duration_us: Option<f64>) -> Result<u32, ChunkError> {
        match duration_us {
            Some(d) if d > 0.0 => {
                if !d.is_finite() {
                    return Err(ChunkError::new("duration", format!("must be a finite number of µs, got {d}")));
                }
                let start = self.ticks(timestamp_us, "timestamp")?;
                let end = self.ticks(timestamp_us + d, "duration")?;
                Ok(u32::try_from(end - start).ok().filter(|&d| d > 0).unwrap_or(self.default_duration))
            }
            Some(d) if d < 0.0 || d.is_nan() => {
                Err(ChunkError::new("duration", format!("must be a non-negative number of µs, got {d}")))
            }
            _ => Ok(self.default_duration),
        }
    }

    /// A chunk's bytes as the container stores them: H.264 in Annex-B
    /// becomes length-prefixed; other codecs are taken as they are.
    pub fn sample_data(&self, data: Vec<u8>) -> Result<Vec<u8>, ChunkError> {
        let Some(ls) = self.avc_length_size else { return Ok(data) };
        match avc_framing(&data, ls) {
            Ok(AvcFraming::LengthPrefixed) => Ok(data),
            Ok(AvcFraming::AnnexB) => annex_b_to_length_prefixed(&data, ls)
                .map_err(|e| ChunkError::new("data", format!("bad Annex-B H.264: {e}"))),
            Err(e) => {
                Err(ChunkError::new("data", format!("is neither {ls}-byte length-prefixed nor Annex-B H.264: {e}")))
            }
        }
    }

    /// A whole chunk as a [`Sample`]: `data` (not empty), `timestamp_us`,
    /// `duration_us` if known, `keyframe`. Call [`ChunkTrack::taken`] once
    /// the segmenter accepted it.
    pub fn sample(
        &self,
        data: Vec<u8>,
        timestamp_us: f64,
        duration_us: Option<f64>,
        keyframe: bool,
    ) -> Result<Sample, ChunkError> {
        if data.is_empty() {
            return Err(ChunkError::new("data", "must not be empty"));
        }
        let decode_time = self.start_ticks(timestamp_us)?;
        let duration = self.duration_ticks(timestamp_us, duration_us)?;
        let data = self.sample_data(data)?;
        Ok(Sample { decode_time, composition_offset: 0, duration, keyframe, data })
    }

    /// Notes that a sample at `decode_time` (ticks) went into the
    /// segmenter: the interval from the one before becomes the default
    /// duration.
    pub fn taken(&mut self, decode_time: i64) {
        if let Some(last) = self.last {
            if let Ok(d) = u32::try_from(decode_time - last) {
                self.default_duration = d;
            }
        }
        self.last = Some(decode_time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An avcC with 4-byte lengths and one SPS and PPS.
    fn avcc() -> Vec<u8> {
        let sps = [0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0x84, 0x00];
        let pps = [0x68, 0xce, 0x3c, 0x80];
        let mut v = vec![1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, sps.len() as u8];
        v.extend_from_slice(&sps);
        v.extend_from_slice(&[1, 0, pps.len() as u8]);
        v.extend_from_slice(&pps);
        v
    }

    fn video() -> ChunkTrack {
        let codec = CodecConfig::Avc { avcc: avcc(), width: 640, height: 360 };
        ChunkTrack::new(&TrackConfig::new(1, Timescale::new(90_000).unwrap(), codec)).unwrap()
    }

    fn aac(rate: u32) -> ChunkTrack {
        let codec = CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: rate, channels: 2 };
        ChunkTrack::new(&TrackConfig::new(2, Timescale::new(rate).unwrap(), codec)).unwrap()
    }

    #[test]
    fn annex_b_becomes_length_prefixed_without_parameter_sets() {
        let t = video();
        let annex_b = [&[0, 0, 0, 1, 0x67, 0x42][..], &[0, 0, 1, 0x68, 0xce], &[0, 0, 1, 0x65, 0x88, 0x84]].concat();
        assert_eq!(avc_framing(&annex_b, 4), Ok(AvcFraming::AnnexB));
        assert_eq!(t.sample_data(annex_b).unwrap(), vec![0, 0, 0, 3, 0x65, 0x88, 0x84]);
        // Length-prefixed is kept as it is.
        let prefixed = vec![0, 0, 0, 2, 0x41, 0x9a];
        assert_eq!(avc_framing(&prefixed, 4), Ok(AvcFraming::LengthPrefixed));
        assert_eq!(t.sample_data(prefixed.clone()).unwrap(), prefixed);
        // Neither.
        let e = t.sample_data(vec![0, 0, 9, 9, 1]).unwrap_err();
        assert_eq!(e.field, "data");
        assert!(e.reason.starts_with("is neither 4-byte length-prefixed nor Annex-B H.264"), "{e}");
        // Only parameter sets: nothing is left.
        let only_sps = vec![0, 0, 1, 0x67, 0x42];
        assert!(t.sample_data(only_sps).unwrap_err().reason.starts_with("bad Annex-B H.264"));
        // Other codecs are not looked at.
        assert_eq!(aac(48_000).sample_data(vec![0, 0, 1]).unwrap(), vec![0, 0, 1]);
    }

    #[test]
    fn durations_come_from_the_chunk_the_last_interval_or_one_frame() {
        let mut t = video();
        assert_eq!(t.default_duration(), 3000); // 1/30 s at 90 kHz
        assert_eq!(aac(48_000).default_duration(), 1024);
        assert_eq!(aac(44_100).default_duration(), 1024);
        let s = t.sample(vec![0, 0, 0, 1, 0x65], 0.0, None, true).unwrap();
        assert_eq!((s.decode_time, s.duration, s.keyframe), (0, 3000, true));
        t.taken(s.decode_time);
        // Its own duration, rounded to ticks.
        assert_eq!(t.duration_ticks(40_000.0, Some(20_000.0)), Ok(1800));
        // Zero means none.
        assert_eq!(t.duration_ticks(40_000.0, Some(0.0)), Ok(3000));
        t.taken(t.start_ticks(40_000.0).unwrap());
        assert_eq!(t.default_duration(), 3600);
        assert_eq!(t.duration_ticks(80_000.0, None), Ok(3600));
        // A duration too short for one tick falls back to the default.
        assert_eq!(t.duration_ticks(80_000.0, Some(0.001)), Ok(3600));
    }

    #[test]
    fn bad_times_name_their_field() {
        let t = video();
        let e = t.start_ticks(f64::NAN).unwrap_err();
        assert_eq!(
            (e.field, e.to_string().as_str()),
            ("timestamp", "timestamp: must be a finite number of µs, got NaN")
        );
        assert_eq!(t.start_ticks(-1.0).unwrap_err().reason, "must not be negative, got -1");
        assert_eq!(t.start_ticks(-0.4), Ok(0));
        assert_eq!(t.start_ticks(1e16).unwrap_err().field, "timestamp");
        assert_eq!(
            t.duration_ticks(0.0, Some(-5.0)).unwrap_err().reason,
            "must be a non-negative number of µs, got -5"
        );
        assert_eq!(t.duration_ticks(0.0, Some(f64::NAN)).unwrap_err().field, "duration");
        assert_eq!(t.duration_ticks(0.0, Some(f64::INFINITY)).unwrap_err().field, "duration");
        assert_eq!(t.duration_ticks(8.9e15, Some(2e14)).unwrap_err().field, "duration");
        let e = t.sample(Vec::new(), 0.0, None, true).unwrap_err();
        assert_eq!((e.field, e.code()), ("data", ErrorCode::InvalidFrame));
    }

    #[test]
    fn an_avcc_that_does_not_parse_is_refused() {
        let codec = CodecConfig::Avc { avcc: vec![1, 2], width: 16, height: 16 };
        assert!(ChunkTrack::new(&TrackConfig::new(1, Timescale::new(90_000).unwrap(), codec)).is_err());
    }
}

//! `Info` and `Tracks`: the segment's timestamp scale and duration, and
//! each track's codec, mapped to a [`CodecConfig`] where framecast has one.

use super::ebml::{self, Child};
use super::error::MkvError;
use crate::codec::aac::AudioSpecificConfig;
use crate::codec::h264::bitstream::AvcDecoderConfigurationRecord;
use crate::codec::opus::OpusHead;
use crate::codec::CodecConfig;
use crate::mux::TrackConfig;
use crate::time::Timescale;

/// The default `TimestampScale`: 1 ms per tick.
pub const DEFAULT_TIMESTAMP_SCALE: u64 = 1_000_000;

/// Segment information (`Info`).
#[derive(Debug, Clone, PartialEq)]
pub struct MkvInfo {
    /// Nanoseconds per timestamp tick (`TimestampScale`, default
    /// 1 000 000: milliseconds).
    pub timestamp_scale_ns: u64,
    /// The timescale frames are given in: `1e9 / TimestampScale` ticks per
    /// second when that divides exactly (1000 for the default scale), else
    /// nanoseconds (1e9), in which every tick is still exact.
    pub timescale: Timescale,
    /// The segment's duration in timestamp ticks, when `Info` gives it
    /// (MediaRecorder does not). A float, as stored.
    pub duration_ticks: Option<f64>,
}

impl MkvInfo {
    pub(super) fn parse(body: &[u8], offset: u64) -> Result<MkvInfo, MkvError> {
        let mut scale = DEFAULT_TIMESTAMP_SCALE;
        let mut duration = None;
        for child in ebml::children(body, offset) {
            let child = child?;
            match child.id {
                ebml::TIMESTAMP_SCALE => scale = child.uint()?,
                ebml::DURATION => duration = Some(child.float()?).filter(|d| d.is_finite() && *d >= 0.0),
                _ => {}
            }
        }
        if scale == 0 {
            return Err(MkvError::Malformed { id: ebml::INFO, offset, reason: "TimestampScale is 0" });
        }
        let timescale = timescale_for(scale);
        Ok(MkvInfo { timestamp_scale_ns: scale, timescale, duration_ticks: duration })
    }

    /// Info when the segment has none (every default).
    pub(super) fn default_info() -> MkvInfo {
        MkvInfo {
            timestamp_scale_ns: DEFAULT_TIMESTAMP_SCALE,
            timescale: timescale_for(DEFAULT_TIMESTAMP_SCALE),
            duration_ticks: None,
        }
    }

    /// Multiplier from timestamp ticks to [`MkvInfo::timescale`] ticks: 1,
    /// or the scale itself when frames are in nanoseconds.
    pub(super) fn tick_factor(&self) -> u64 {
        if Some(u64::from(self.timescale.get())) == NANOS.checked_div(self.timestamp_scale_ns) {
            1
        } else {
            self.timestamp_scale_ns
        }
    }
}

const NANOS: u64 = 1_000_000_000;

/// Nanoseconds as a timescale.
pub(super) const NANOSECONDS: Timescale = match Timescale::new(1_000_000_000) {
    Some(t) => t,
    None => Timescale::MICROS,
};

fn timescale_for(scale: u64) -> Timescale {
    let exact = (NANOS.checked_rem(scale) == Some(0)).then(|| NANOS.checked_div(scale)).flatten();
    exact.and_then(|t| u32::try_from(t).ok()).and_then(Timescale::new).unwrap_or(NANOSECONDS)
}

/// What a track carries (`TrackType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MkvTrackKind {
    /// 1: video.
    Video,
    /// 2: audio.
    Audio,
    /// 17: subtitles.
    Subtitle,
    /// Anything else (complex, logo, buttons, control, metadata), with its
    /// `TrackType` value.
    Other(u64),
}

/// `Video` settings of a track, pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MkvVideo {
    /// Coded width (`PixelWidth`).
    pub pixel_width: u32,
    /// Coded height (`PixelHeight`).
    pub pixel_height: u32,
    /// Display width (`DisplayWidth`; defaults to the pixel width).
    pub display_width: u32,
    /// Display height (`DisplayHeight`; defaults to the pixel height).
    pub display_height: u32,
}

/// `Audio` settings of a track.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MkvAudio {
    /// Sampling frequency, Hz (`SamplingFrequency`, default 8000).
    pub sampling_frequency: f64,
    /// Output sampling frequency, Hz, when it differs (SBR AAC).
    pub output_sampling_frequency: Option<f64>,
    /// Channels (`Channels`, default 1).
    pub channels: u64,
    /// Bits per sample, when given (`BitDepth`).
    pub bit_depth: Option<u64>,
}

/// One track (`TrackEntry`).
#[derive(Debug, Clone, PartialEq)]
pub struct MkvTrack {
    /// The number blocks refer to (`TrackNumber`), from 1.
    pub number: u64,
    /// What it carries.
    pub kind: MkvTrackKind,
    /// The codec as Matroska names it: `V_MPEG4/ISO/AVC`, `V_VP8`,
    /// `V_VP9`, `V_AV1`, `V_MPEGH/ISO/HEVC`, `A_AAC`, `A_OPUS`,
    /// `A_VORBIS`, `A_PCM/INT/LIT`, ...
    pub codec_id: String,
    /// The codec's private data as stored (`avcC`, AudioSpecificConfig,
    /// `OpusHead`, VP9 codec features, ...); empty when absent.
    pub codec_private: Vec<u8>,
    /// The decoder configuration, for the codecs framecast decodes
    /// (`V_MPEG4/ISO/AVC`, `A_AAC`, `A_OPUS`); `None` for every other
    /// codec, which only [`MkvTrack::codec_id`] names (a browser may still
    /// decode it with WebCodecs).
    pub config: Option<CodecConfig>,
    /// Nanoseconds per frame (`DefaultDuration`), when given.
    pub default_duration_ns: Option<u64>,
    /// Decoder delay, nanoseconds (`CodecDelay`, default 0; Opus's
    /// pre-skip).
    pub codec_delay_ns: u64,
    /// Nanoseconds to decode before a seek target (`SeekPreRoll`,
    /// default 0).
    pub seek_pre_roll_ns: u64,
    /// ISO 639-2 language (`Language`, default `eng`).
    pub language: String,
    /// Video settings, for video tracks.
    pub video: Option<MkvVideo>,
    /// Audio settings, for audio tracks.
    pub audio: Option<MkvAudio>,
    /// The track has `ContentEncodings` (compressed or encrypted frames):
    /// its frames are given as stored, which no decoder here reads.
    pub content_encoded: bool,
}

impl MkvTrack {
    /// A [`TrackConfig`] with ID `id` and timescale `timescale` for the MP4
    /// writers, when the codec is one framecast has a record for.
    pub fn track_config(&self, id: u32, timescale: Timescale) -> Option<TrackConfig> {
        let mut t = TrackConfig::new(id, timescale, self.config.clone()?);
        if self.language.len() == 3 && self.language.bytes().all(|b| b.is_ascii_lowercase()) {
            t.language = self.language.clone();
        }
        Some(t)
    }

    pub(super) fn parse(entry: &Child<'_>) -> Result<MkvTrack, MkvError> {
        let mut t = MkvTrack {
            number: 0,
            kind: MkvTrackKind::Other(0),
            codec_id: String::new(),
            codec_private: Vec::new(),
            config: None,
            default_duration_ns: None,
            codec_delay_ns: 0,
            seek_pre_roll_ns: 0,
            language: "eng".into(),
            video: None,
            audio: None,
            content_encoded: false,
        };
        let mut kind = None;
        for child in ebml::children(entry.body, entry.offset) {
            let child = child?;
            match child.id {
                ebml::TRACK_NUMBER => t.number = child.uint()?,
                ebml::TRACK_TYPE => kind = Some(child.uint()?),
                ebml::CODEC_ID => t.codec_id = child.string(),
                ebml::CODEC_PRIVATE => t.codec_private = child.body.to_vec(),
                ebml::DEFAULT_DURATION => t.default_duration_ns = Some(child.uint()?).filter(|&d| d > 0),
                ebml::CODEC_DELAY => t.codec_delay_ns = child.uint()?,
                ebml::SEEK_PRE_ROLL => t.seek_pre_roll_ns = child.uint()?,
                ebml::LANGUAGE => t.language = child.string(),
                ebml::CONTENT_ENCODINGS => t.content_encoded = true,
                ebml::VIDEO => t.video = Some(video(&child)?),
                ebml::AUDIO => t.audio = Some(audio(&child)?),
                _ => {}
            }
        }
        if t.number == 0 {
            return Err(entry.malformed("a TrackEntry without a TrackNumber"));
        }
        t.kind = match kind {
            Some(1) => MkvTrackKind::Video,
            Some(2) => MkvTrackKind::Audio,
            Some(17) => MkvTrackKind::Subtitle,
            Some(other) => MkvTrackKind::Other(other),
            None => return Err(entry.malformed("a TrackEntry without a TrackType")),
        };
        if !t.content_encoded {
            t.config = t.codec_config()?;
        }
        Ok(t)
    }

    /// The record of `V_MPEG4/ISO/AVC`, `A_AAC` and `A_OPUS` tracks.
    fn codec_config(&self) -> Result<Option<CodecConfig>, MkvError> {
        let bad =
            |reason: String| MkvError::CodecPrivate { track: self.number, codec_id: self.codec_id.clone(), reason };
        let private = &self.codec_private;
        match (self.kind, self.codec_id.as_str()) {
            (MkvTrackKind::Video, "V_MPEG4/ISO/AVC") => {
                AvcDecoderConfigurationRecord::parse(private).map_err(|e| bad(e.to_string()))?;
                let v = self.video.unwrap_or_default();
                if v.pixel_width == 0 || v.pixel_height == 0 {
                    return Err(bad("PixelWidth and PixelHeight must be given and not 0".into()));
                }
                Ok(Some(CodecConfig::Avc { avcc: private.clone(), width: v.pixel_width, height: v.pixel_height }))
            }
            (MkvTrackKind::Audio, "A_AAC") => {
                let asc = AudioSpecificConfig::parse(private).map_err(|e| bad(e.to_string()))?;
                let a = self.audio.unwrap_or_default();
                let rate = a.output_sampling_frequency.unwrap_or(a.sampling_frequency);
                let track_rate = (rate >= 1.0 && rate <= f64::from(u32::MAX)).then(|| rate.round() as u32);
                let sample_rate = track_rate.or(asc.sample_rate).unwrap_or(0);
                let channels = asc.channels.or_else(|| u16::try_from(a.channels).ok()).unwrap_or(0);
                if sample_rate == 0 || channels == 0 {
                    return Err(bad("no sample rate or channel count".into()));
                }
                Ok(Some(CodecConfig::Aac { asc: private.clone(), sample_rate, channels }))
            }
            (MkvTrackKind::Audio, "A_OPUS") => {
                let (head, _family) = OpusHead::parse(private).map_err(|e| bad(e.to_string()))?;
                if head.channels == 0 {
                    return Err(bad("0 channels".into()));
                }
                Ok(Some(head.codec_config()))
            }
            _ => Ok(None),
        }
    }
}

fn dimension(child: &Child<'_>) -> Result<u32, MkvError> {
    u32::try_from(child.uint()?).map_err(|_| child.malformed("a picture dimension over 2^32"))
}

fn video(element: &Child<'_>) -> Result<MkvVideo, MkvError> {
    let mut v = MkvVideo::default();
    let (mut dw, mut dh) = (None, None);
    for child in ebml::children(element.body, element.offset) {
        let child = child?;
        match child.id {
            ebml::PIXEL_WIDTH => v.pixel_width = dimension(&child)?,
            ebml::PIXEL_HEIGHT => v.pixel_height = dimension(&child)?,
            ebml::DISPLAY_WIDTH => dw = Some(dimension(&child)?),
            ebml::DISPLAY_HEIGHT => dh = Some(dimension(&child)?),
            _ => {}
        }
    }
    v.display_width = dw.unwrap_or(v.pixel_width);
    v.display_height = dh.unwrap_or(v.pixel_height);
    Ok(v)
}

fn audio(element: &Child<'_>) -> Result<MkvAudio, MkvError> {
    let mut a = MkvAudio { sampling_frequency: 8000.0, output_sampling_frequency: None, channels: 1, bit_depth: None };
    for child in ebml::children(element.body, element.offset) {
        let child = child?;
        match child.id {
            ebml::SAMPLING_FREQUENCY => a.sampling_frequency = child.float()?,
            ebml::OUTPUT_SAMPLING_FREQUENCY => a.output_sampling_frequency = Some(child.float()?),
            ebml::CHANNELS => a.channels = child.uint()?,
            ebml::BIT_DEPTH => a.bit_depth = Some(child.uint()?),
            _ => {}
        }
    }
    Ok(a)
}

/// The tracks of a `Tracks` body.
pub(super) fn parse_tracks(body: &[u8], offset: u64) -> Result<Vec<MkvTrack>, MkvError> {
    let mut tracks: Vec<MkvTrack> = Vec::new();
    for child in ebml::children(body, offset) {
        let child = child?;
        if child.id == ebml::TRACK_ENTRY {
            let t = MkvTrack::parse(&child)?;
            if tracks.iter().any(|other| other.number == t.number) {
                return Err(child.malformed("two tracks with the same TrackNumber"));
            }
            tracks.push(t);
        }
    }
    Ok(tracks)
}

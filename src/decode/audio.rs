//! Audio decoding with Symphonia: AAC-LC, MP3, FLAC, Vorbis, ALAC and PCM
//! in MP4/M4A, Matroska/WebM, Ogg, WAV, AIFF, CAF, and raw MP3, ADTS and
//! FLAC streams; and Opus in Ogg and Matroska/WebM with framecast's own
//! demuxers and Opus decoder (`opus.rs`, the `opus` feature), pre-skip
//! and end padding trimmed. The input is streamed: a bounded read buffer (64 KB) and
//! one packet's PCM at a time, whatever the input's length.
//!
//! # Timing and gapless trimming
//! Chunks are numbered in frames from 0, the first frame kept. Encoder
//! delay and padding are dropped where the input says how much: Symphonia
//! trims MP3 (LAME/Xing tag), Ogg Vorbis (granule positions), FLAC and ALAC
//! in CAF; for MP4 this module reads the audio track's edit list itself
//! (Symphonia's MP4 reader ignores it), which is how ffmpeg and Apple mark
//! AAC priming. ADTS and Matroska say nothing, so their AAC keeps its
//! priming (1024 frames from ffmpeg's and FDK's encoders).
//!
//! # Damaged input
//! - The container's structure (headers, sample tables, pages, frame
//!   sync) must be sound: damage there ends decoding with
//!   [`AudioDecodeError::Corrupt`], and data cut short with
//!   [`AudioDecodeError::Truncated`] (after the chunks decoded so far).
//! - A packet the codec rejects is skipped and counted
//!   ([`DecodeStats::bad_packets`]); when the container gives its duration
//!   in frames, that many frames of silence replace it so the timeline
//!   stays intact. More than [`DecodeOptions::max_bad_packets`] skipped
//!   packets fail with [`AudioDecodeError::TooManyBadPackets`]: a stream
//!   that is mostly damage is not worth transcoding.
//! - The stream must keep its sample rate and channel count
//!   ([`AudioDecodeError::FormatChange`] otherwise), have at most
//!   [`MAX_CHANNELS`] channels and a rate up to [`MAX_SAMPLE_RATE`].
//! - After an error the decoder is finished: further calls return
//!   `Ok(None)`.
//! - Before Symphonia sees the input, the headers of any WAV, CAF or AIFF
//!   in its first megabyte are checked for values Symphonia does unchecked
//!   arithmetic on (see `guard.rs`); the `audio_decode` fuzz target found
//!   those. Symphonia's Matroska reader ends the stream without an error
//!   at a damaged cluster, so a damaged Matroska file may decode short.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

use symphonia::core::audio::{Channels, GenericAudioBufferRef, Position};
use symphonia::core::codecs::audio::well_known as ids;
use symphonia::core::codecs::audio::{AudioCodecId, AudioCodecParameters, AudioDecoderOptions};
use symphonia::core::codecs::CodecParameters;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::well_known as formats;
use symphonia::core::formats::{FormatOptions, FormatReader, Track};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::TimeBase;

use super::guard;
use super::mp4_edits::{audio_edits, AudioEdit};
use crate::audio::{ChannelLayout, PcmChunk, SampleRate, MAX_CHANNELS, MAX_SAMPLE_RATE};
use crate::time::Timestamp;

/// Most frames a codec may declare per packet (Symphonia sizes its buffers
/// by it): 5.9 s at 44.1 kHz; FLAC's largest block is 65535.
pub const MAX_FRAMES_PER_PACKET: u64 = 1 << 18;

/// The codecs this build decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceCodec {
    /// AAC (LC; Symphonia has no SBR/PS, so HE-AAC decodes as its LC core).
    Aac,
    /// MPEG-1/2 Layer III.
    Mp3,
    /// FLAC.
    Flac,
    /// Vorbis.
    Vorbis,
    /// Apple Lossless.
    Alac,
    /// Uncompressed PCM, any integer or float sample format, A-law, mu-law.
    Pcm,
    /// Opus, in Ogg or Matroska/WebM (framecast's own decoder, not
    /// Symphonia's: the `opus` feature).
    Opus,
}

impl SourceCodec {
    /// Short lower-case name ("aac", "mp3", ...).
    pub fn name(self) -> &'static str {
        match self {
            SourceCodec::Aac => "aac",
            SourceCodec::Mp3 => "mp3",
            SourceCodec::Flac => "flac",
            SourceCodec::Vorbis => "vorbis",
            SourceCodec::Alac => "alac",
            SourceCodec::Pcm => "pcm",
            SourceCodec::Opus => "opus",
        }
    }

    fn from_id(id: AudioCodecId) -> Option<SourceCodec> {
        Some(match id {
            ids::CODEC_ID_AAC => SourceCodec::Aac,
            ids::CODEC_ID_MP3 => SourceCodec::Mp3,
            ids::CODEC_ID_FLAC => SourceCodec::Flac,
            ids::CODEC_ID_VORBIS => SourceCodec::Vorbis,
            ids::CODEC_ID_ALAC => SourceCodec::Alac,
            id if pcm_id(id) => SourceCodec::Pcm,
            _ => return None,
        })
    }
}

/// Whether `id` is one of Symphonia's PCM codec IDs (0x100..=0x125).
fn pcm_id(id: AudioCodecId) -> bool {
    (ids::CODEC_ID_PCM_S32LE..=ids::CODEC_ID_PCM_MULAW).contains(&id)
}

/// A name for codecs framecast does not decode, for error messages.
fn foreign_codec_name(id: AudioCodecId) -> String {
    let known = [
        (ids::CODEC_ID_OPUS, "opus"),
        (ids::CODEC_ID_AC3, "ac3"),
        (ids::CODEC_ID_EAC3, "eac3"),
        (ids::CODEC_ID_AC4, "ac4"),
        (ids::CODEC_ID_DCA, "dts"),
        (ids::CODEC_ID_MP1, "mp1"),
        (ids::CODEC_ID_MP2, "mp2"),
        (ids::CODEC_ID_SPEEX, "speex"),
        (ids::CODEC_ID_WAVPACK, "wavpack"),
        (ids::CODEC_ID_TRUEHD, "truehd"),
        (ids::CODEC_ID_WMA, "wma"),
        (ids::CODEC_ID_ADPCM_MS, "adpcm_ms"),
        (ids::CODEC_ID_ADPCM_IMA_WAV, "adpcm_ima_wav"),
        (ids::CODEC_ID_ADPCM_IMA_QT, "adpcm_ima_qt"),
    ];
    match known.iter().find(|(k, _)| *k == id) {
        Some((_, name)) => (*name).to_string(),
        None if id == symphonia::core::codecs::audio::CODEC_ID_NULL_AUDIO => "unknown".to_string(),
        None => format!("codec id {id}"),
    }
}

/// Container formats this build reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceContainer {
    /// RIFF WAVE.
    Wav,
    /// AIFF / AIFF-C.
    Aiff,
    /// Apple Core Audio Format.
    Caf,
    /// ISO base media: MP4, M4A, MOV.
    Mp4,
    /// Matroska and WebM.
    Matroska,
    /// Ogg.
    Ogg,
    /// A native FLAC stream.
    Flac,
    /// A raw MPEG audio stream (.mp3).
    Mpeg,
    /// A raw AAC stream in ADTS frames (.aac).
    Adts,
}

impl SourceContainer {
    /// Short lower-case name ("wav", "mp4", ...).
    pub fn name(self) -> &'static str {
        match self {
            SourceContainer::Wav => "wav",
            SourceContainer::Aiff => "aiff",
            SourceContainer::Caf => "caf",
            SourceContainer::Mp4 => "mp4",
            SourceContainer::Matroska => "matroska",
            SourceContainer::Ogg => "ogg",
            SourceContainer::Flac => "flac",
            SourceContainer::Mpeg => "mpeg",
            SourceContainer::Adts => "adts",
        }
    }

    fn from_reader(reader: &dyn FormatReader) -> Option<SourceContainer> {
        Some(match reader.format_info().format {
            formats::FORMAT_ID_WAVE => SourceContainer::Wav,
            formats::FORMAT_ID_AIFF => SourceContainer::Aiff,
            formats::FORMAT_ID_CAF => SourceContainer::Caf,
            formats::FORMAT_ID_ISOMP4 => SourceContainer::Mp4,
            formats::FORMAT_ID_MKV => SourceContainer::Matroska,
            formats::FORMAT_ID_OGG => SourceContainer::Ogg,
            formats::FORMAT_ID_FLAC => SourceContainer::Flac,
            formats::FORMAT_ID_MP1 | formats::FORMAT_ID_MP2 | formats::FORMAT_ID_MP3 => SourceContainer::Mpeg,
            formats::FORMAT_ID_ADTS => SourceContainer::Adts,
            _ => return None,
        })
    }
}

/// What an input holds, known once it is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// The container.
    pub container: SourceContainer,
    /// The codec of the decoded track.
    pub codec: SourceCodec,
    /// Symphonia's name for the exact codec ("aac", "pcm_s16le",
    /// "pcm_f32le", ...).
    pub codec_name: &'static str,
    /// ID of the decoded track in the container.
    pub track_id: u32,
    /// Sample rate of the decoded PCM.
    pub sample_rate: SampleRate,
    /// Channel layout of the decoded PCM.
    pub layout: ChannelLayout,
    /// Bits per sample of the source, for PCM and lossless codecs.
    pub bits_per_sample: Option<u32>,
    /// Frames the container declares (after gapless trimming when the
    /// container describes it); `None` when it does not say (Matroska,
    /// unseekable inputs). The decoded count may differ by a codec frame
    /// of padding.
    pub frames: Option<u64>,
}

impl SourceInfo {
    /// [`SourceInfo::frames`] as a duration in the sample rate's timescale.
    pub fn duration(&self) -> Option<Timestamp> {
        let frames = i64::try_from(self.frames?).ok()?;
        Some(Timestamp::new(frames, self.sample_rate.timescale()))
    }
}

/// Counters of a decode so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Packets of the decoded track read.
    pub packets: u64,
    /// Packets the codec rejected and that were skipped.
    pub bad_packets: u64,
    /// Frames of silence put in place of skipped packets.
    pub concealed_frames: u64,
    /// Frames returned.
    pub frames: u64,
}

/// How to open and decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    /// File name extension, without the dot ("mp3", "m4a"), if known.
    /// Handed to Symphonia's probe as a hint (Symphonia 0.6.1 does not use
    /// it yet: the content decides). Default `None`.
    pub extension: Option<String>,
    /// MIME type ("audio/mpeg"), if known; a hint like `extension`.
    /// Default `None`.
    pub mime_type: Option<String>,
    /// Damaged packets that may be skipped before decoding fails with
    /// [`AudioDecodeError::TooManyBadPackets`]; 0 fails on the first.
    /// Default 100.
    pub max_bad_packets: u64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions { extension: None, mime_type: None, max_bad_packets: 100 }
    }
}

/// Why an input cannot be decoded. Every variant is final for that input:
/// retrying the same bytes gives the same error (except [`Io`](Self::Io)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioDecodeError {
    /// The input holds no bytes.
    Empty,
    /// No container this build reads was recognised (Symphonia searches
    /// the first megabyte).
    UnsupportedFormat,
    /// The container has no audio track.
    NoAudioTrack,
    /// The audio track's codec has no decoder in this build.
    UnsupportedCodec {
        /// Short name of the codec, e.g. `opus` or `ac3`.
        codec: String,
    },
    /// The stream uses something the decoder does not implement (Symphonia's
    /// description).
    UnsupportedFeature {
        /// What is not implemented, in words.
        feature: &'static str,
    },
    /// A track parameter is missing or out of range.
    BadParameter {
        /// The parameter, e.g. `sample rate`, `channels` or
        /// `CAF bytes per packet`.
        field: &'static str,
        /// Its value as text, or `missing`.
        value: String,
    },
    /// More than [`MAX_CHANNELS`] channels.
    TooManyChannels {
        /// The channel count the stream declares.
        channels: usize,
    },
    /// The data is damaged (Symphonia's description); `packet` counts the
    /// decoded track's packets from 0 when the damage is in one.
    Corrupt {
        /// What is damaged, in words.
        reason: &'static str,
        /// 0-based index of the damaged packet in the decoded track, or
        /// `None` when the damage is in the container's headers.
        packet: Option<u64>,
    },
    /// The input ends inside its data, after `packet` packets.
    Truncated {
        /// Number of packets read before the input ended.
        packet: u64,
    },
    /// More than [`DecodeOptions::max_bad_packets`] packets were damaged;
    /// `reason` is the last one's.
    TooManyBadPackets {
        /// Damaged packets so far (one more than the allowed maximum).
        count: u64,
        /// Why the last of them did not decode.
        reason: &'static str,
    },
    /// The sample rate or channel count changes at packet `packet`.
    FormatChange {
        /// 0-based index of the packet whose format differs.
        packet: u64,
        /// That packet's sample rate, in Hz.
        sample_rate: u32,
        /// That packet's channel count.
        channels: usize,
    },
    /// A resource limit of Symphonia or framecast was reached.
    Limit {
        /// Which limit, in words.
        what: &'static str,
    },
    /// Reading the source failed.
    Io {
        /// The I/O error's kind.
        kind: io::ErrorKind,
        /// The I/O error's message.
        message: String,
    },
}

impl fmt::Display for AudioDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AudioDecodeError::*;
        match self {
            Empty => f.write_str("the audio input is empty"),
            UnsupportedFormat => {
                f.write_str("no supported audio container found (wav, aiff, caf, mp4, matroska, ogg, flac, mp3, adts)")
            }
            NoAudioTrack => f.write_str("the input has no audio track"),
            UnsupportedCodec { codec } => write!(f, "no decoder for the audio codec {codec}"),
            UnsupportedFeature { feature } => write!(f, "unsupported audio feature: {feature}"),
            BadParameter { field, value } => write!(f, "invalid audio {field}: {value}"),
            TooManyChannels { channels } => {
                write!(f, "{channels} audio channels, at most {MAX_CHANNELS} are supported")
            }
            Corrupt { reason, packet: Some(p) } => write!(f, "corrupt audio in packet {p}: {reason}"),
            Corrupt { reason, packet: None } => write!(f, "corrupt audio container: {reason}"),
            Truncated { packet } => write!(f, "audio input truncated after {packet} packets"),
            TooManyBadPackets { count, reason } => write!(f, "{count} damaged audio packets (last: {reason})"),
            FormatChange { packet, sample_rate, channels } => {
                write!(f, "audio format changes to {sample_rate} Hz, {channels} channels at packet {packet}")
            }
            Limit { what } => write!(f, "audio input exceeds a limit: {what}"),
            Io { kind, message } => write!(f, "reading audio failed ({kind:?}): {message}"),
        }
    }
}

impl std::error::Error for AudioDecodeError {}

impl crate::error::Coded for AudioDecodeError {
    /// An input framecast does not read (empty, an unknown format, no
    /// audio track, a codec or feature it lacks) is `unsupported-input`;
    /// anything else is `decode-error`.
    fn code(&self) -> crate::error::ErrorCode {
        use crate::error::ErrorCode;
        match self {
            AudioDecodeError::Empty
            | AudioDecodeError::UnsupportedFormat
            | AudioDecodeError::NoAudioTrack
            | AudioDecodeError::UnsupportedCodec { .. }
            | AudioDecodeError::UnsupportedFeature { .. } => ErrorCode::UnsupportedInput,
            _ => ErrorCode::DecodeError,
        }
    }
}

impl AudioDecodeError {
    /// Maps an error of Symphonia's reader or decoder; `packet` is the
    /// packet being read, `None` while opening.
    fn from_symphonia(e: SymphoniaError, packet: Option<u64>) -> Self {
        match e {
            SymphoniaError::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => match packet {
                Some(packet) => AudioDecodeError::Truncated { packet },
                None => AudioDecodeError::Corrupt { reason: "the input ends inside its headers", packet: None },
            },
            SymphoniaError::IoError(io) => AudioDecodeError::Io { kind: io.kind(), message: io.to_string() },
            SymphoniaError::DecodeError(reason) => AudioDecodeError::Corrupt { reason, packet },
            SymphoniaError::Unsupported(feature) => AudioDecodeError::UnsupportedFeature { feature },
            SymphoniaError::LimitError(what) => AudioDecodeError::Limit { what },
            SymphoniaError::ResetRequired => {
                AudioDecodeError::UnsupportedFeature { feature: "track parameters change mid-stream" }
            }
            _ => AudioDecodeError::UnsupportedFeature { feature: "unknown Symphonia error" },
        }
    }
}

pub(super) fn io_error(e: io::Error) -> AudioDecodeError {
    AudioDecodeError::Io { kind: e.kind(), message: e.to_string() }
}

/// Reads the first [`guard::WINDOW`] bytes of `source` and checks them
/// ([`guard::check`]); refuses an empty input.
fn read_prefix<R: Read>(source: &mut R) -> Result<Vec<u8>, AudioDecodeError> {
    let mut prefix = Vec::new();
    source.take(guard::WINDOW as u64).read_to_end(&mut prefix).map_err(io_error)?;
    if prefix.is_empty() {
        return Err(AudioDecodeError::Empty);
    }
    guard::check(&prefix)?;
    Ok(prefix)
}

/// A seekable source for Symphonia, with its length measured once.
struct SeekableSource<R> {
    inner: R,
    len: Option<u64>,
}

impl<R: Read + Seek> SeekableSource<R> {
    fn new(mut inner: R) -> io::Result<Self> {
        let here = inner.stream_position()?;
        let end = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(here))?;
        Ok(SeekableSource { inner, len: Some(end) })
    }
}

impl<R: Read> Read for SeekableSource<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for SeekableSource<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl<R: Read + Seek + Send + Sync> MediaSource for SeekableSource<R> {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        self.len
    }
}

/// Frames to drop at the start and the count to keep, from an MP4 edit.
#[derive(Debug, Clone, Copy, Default)]
struct Trim {
    skip: u64,
    keep: Option<u64>,
}

impl Trim {
    fn from_edit(edit: &AudioEdit, rate: u32) -> Trim {
        let scale = |ticks: u64, timescale: u32| {
            (u128::from(ticks) * u128::from(rate) + u128::from(timescale) / 2) / u128::from(timescale)
        };
        Trim {
            skip: scale(edit.media_time, edit.media_timescale).min(u128::from(u64::MAX)) as u64,
            keep: (edit.duration > 0)
                .then(|| scale(edit.duration, edit.movie_timescale).min(u128::from(u64::MAX)) as u64),
        }
    }
}

/// Who demuxes and decodes.
enum Backend<'s> {
    /// Symphonia's reader and decoder.
    Symphonia { reader: Box<dyn FormatReader + 's>, decoder: Box<dyn symphonia::core::codecs::audio::AudioDecoder> },
    /// Opus in Ogg or Matroska: framecast's demuxers and decoder.
    #[cfg(feature = "opus")]
    Opus(Box<super::opus::OpusSource<'s>>),
}

/// A streaming audio decoder over one input; see the module documentation.
pub struct AudioDecoder<'s> {
    backend: Backend<'s>,
    info: SourceInfo,
    options: DecodeOptions,
    /// Whether the track's time base is one over the sample rate, so that
    /// packet durations are counted in frames.
    durations_in_frames: bool,
    trim: Trim,
    /// Frames decoded, before the MP4 trim.
    decoded: u64,
    /// Frames of the last packet that decoded.
    last_packet_frames: u64,
    /// A chunk decoded while opening.
    pending: Option<PcmChunk>,
    stats: DecodeStats,
    done: bool,
}

impl fmt::Debug for AudioDecoder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioDecoder").field("info", &self.info).field("stats", &self.stats).finish_non_exhaustive()
    }
}

impl<'s> AudioDecoder<'s> {
    /// Opens a seekable source (a file, a `Cursor<Vec<u8>>`, ...) from its
    /// current position. The first megabyte is read once for the header
    /// checks, then again by Symphonia; an MP4's box headers are read once
    /// more for its edit list.
    pub fn open<R: Read + Seek + Send + Sync + 's>(
        mut source: R,
        options: &DecodeOptions,
    ) -> Result<Self, AudioDecodeError> {
        let start = source.stream_position().map_err(io_error)?;
        let _prefix = read_prefix(&mut source)?;
        source.seek(SeekFrom::Start(start)).map_err(io_error)?;
        #[cfg(feature = "opus")]
        if let Some(container) = super::opus::detect(&_prefix) {
            return Self::open_opus(Box::new(source), container, options);
        }
        let edits = audio_edits(&mut source);
        let source = SeekableSource::new(source).map_err(io_error)?;
        Self::open_source(Box::new(source), options, &edits)
    }

    /// Opens an input held in memory.
    pub fn from_bytes(bytes: &'s [u8], options: &DecodeOptions) -> Result<Self, AudioDecodeError> {
        Self::open(io::Cursor::new(bytes), options)
    }

    /// Opens a source that cannot seek (a pipe, a network stream). MP4
    /// files then need their `moov` before the media data, and MP4 edit
    /// lists are not applied.
    pub fn open_unseekable<R: Read + Send + Sync + 's>(
        mut source: R,
        options: &DecodeOptions,
    ) -> Result<Self, AudioDecodeError> {
        let prefix = read_prefix(&mut source)?;
        #[cfg(feature = "opus")]
        if let Some(container) = super::opus::detect(&prefix) {
            return Self::open_opus(Box::new(io::Cursor::new(prefix).chain(source)), container, options);
        }
        Self::open_source(Box::new(ReadOnlySource::new(io::Cursor::new(prefix).chain(source))), options, &[])
    }

    /// Opens Opus in Ogg or Matroska with framecast's demuxers and decoder.
    #[cfg(feature = "opus")]
    fn open_opus(
        source: Box<dyn Read + Send + Sync + 's>,
        container: super::opus::OpusContainer,
        options: &DecodeOptions,
    ) -> Result<Self, AudioDecodeError> {
        let (source, channels) = super::opus::OpusSource::open(source, container)?;
        let layout = ChannelLayout::for_count(usize::from(channels))
            .ok_or(AudioDecodeError::TooManyChannels { channels: usize::from(channels) })?;
        let sample_rate = SampleRate::new(48_000).ok_or(AudioDecodeError::Limit { what: "sample rate" })?;
        let (container, track_id) = match container {
            super::opus::OpusContainer::Ogg => (SourceContainer::Ogg, 0),
            super::opus::OpusContainer::Matroska(n) => (SourceContainer::Matroska, u32::try_from(n).unwrap_or(0)),
        };
        let info = SourceInfo {
            container,
            codec: SourceCodec::Opus,
            codec_name: "opus",
            track_id,
            sample_rate,
            layout,
            bits_per_sample: None,
            frames: None,
        };
        Self::start(Backend::Opus(Box::new(source)), info, options, true, Trim::default())
    }

    fn open_source(
        source: Box<dyn MediaSource + 's>,
        options: &DecodeOptions,
        edits: &[AudioEdit],
    ) -> Result<Self, AudioDecodeError> {
        let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
        let mut hint = Hint::new();
        if let Some(ext) = &options.extension {
            hint.with_extension(ext);
        }
        if let Some(mime) = &options.mime_type {
            hint.mime_type(mime);
        }
        let probe =
            symphonia::default::get_probe().probe(&hint, mss, FormatOptions::default(), MetadataOptions::default());
        let reader = match probe {
            Ok(reader) => reader,
            // Symphonia's probe found no container at all.
            Err(SymphoniaError::Unsupported(what)) if what.starts_with("core (probe)") => {
                return Err(AudioDecodeError::UnsupportedFormat)
            }
            // A container was recognised but lacks a mandatory part (an MP4
            // cut before its moov, a Matroska file cut inside its segment).
            Err(SymphoniaError::Unsupported(what)) if what.contains("missing") => {
                return Err(AudioDecodeError::Corrupt { reason: what, packet: None });
            }
            Err(e) => return Err(AudioDecodeError::from_symphonia(e, None)),
        };
        let container = SourceContainer::from_reader(reader.as_ref()).ok_or(AudioDecodeError::UnsupportedFormat)?;
        let track = pick_track(reader.tracks())?.clone();
        let Some(CodecParameters::Audio(params)) = &track.codec_params else {
            return Err(AudioDecodeError::NoAudioTrack);
        };
        let (codec, sample_rate, layout) = check_params(params)?;
        let decoder = symphonia::default::get_codecs()
            .get_audio_decoder(params.codec)
            .ok_or_else(|| AudioDecodeError::UnsupportedCodec { codec: codec.name().to_string() })
            .and_then(|registered| {
                (registered.factory)(params, &AudioDecoderOptions::default())
                    .map_err(|e| AudioDecodeError::from_symphonia(e, None))
            })?;
        let trim = match container {
            SourceContainer::Mp4 => edits
                .iter()
                .find(|e| e.track_id == track.id)
                .map(|e| Trim::from_edit(e, sample_rate.hz()))
                .unwrap_or_default(),
            _ => Trim::default(),
        };
        let frames = match trim.keep {
            Some(keep) => Some(keep),
            None => track.num_frames.map(|n| n.saturating_sub(trim.skip)),
        };
        let info = SourceInfo {
            container,
            codec,
            codec_name: decoder.codec_info().short_name,
            track_id: track.id,
            sample_rate,
            layout,
            bits_per_sample: params.bits_per_sample,
            frames,
        };
        let durations_in_frames = track.time_base == TimeBase::try_from_recip(sample_rate.hz());
        Self::start(Backend::Symphonia { reader, decoder }, info, options, durations_in_frames, trim)
    }

    /// The decoder over `backend`, decoded up to the first audio now, so
    /// that an input that is not really audio fails here rather than on
    /// the first read.
    fn start(
        backend: Backend<'s>,
        info: SourceInfo,
        options: &DecodeOptions,
        durations_in_frames: bool,
        trim: Trim,
    ) -> Result<Self, AudioDecodeError> {
        let mut d = AudioDecoder {
            backend,
            info,
            options: options.clone(),
            durations_in_frames,
            trim,
            decoded: 0,
            last_packet_frames: 0,
            pending: None,
            stats: DecodeStats::default(),
            done: false,
        };
        d.pending = d.decode_next()?;
        d.done = d.pending.is_none();
        Ok(d)
    }

    /// What the input holds.
    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Counters so far.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// The next chunk of PCM (one codec packet's worth, in the stream's own
    /// rate and layout), or `None` at the end of the stream. After an error
    /// every call returns `Ok(None)`.
    pub fn next_chunk(&mut self) -> Result<Option<PcmChunk>, AudioDecodeError> {
        if let Some(chunk) = self.pending.take() {
            return Ok(Some(chunk));
        }
        if self.done {
            return Ok(None);
        }
        let result = self.decode_next();
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    /// Reads and decodes packets until one gives frames to return.
    fn decode_next(&mut self) -> Result<Option<PcmChunk>, AudioDecodeError> {
        match &self.backend {
            Backend::Symphonia { .. } => self.symphonia_next(),
            #[cfg(feature = "opus")]
            Backend::Opus(_) => self.opus_next(),
        }
    }

    /// [`Self::decode_next`] through framecast's Opus decoder.
    #[cfg(feature = "opus")]
    fn opus_next(&mut self) -> Result<Option<PcmChunk>, AudioDecodeError> {
        use super::opus::Decoded;
        loop {
            let Backend::Opus(source) = &mut self.backend else { return Ok(None) };
            let packet = self.stats.packets;
            let decoded = match source.next() {
                Ok(Some(d)) => d,
                Ok(None) => return Ok(None),
                Err(AudioDecodeError::Truncated { .. }) => return Err(AudioDecodeError::Truncated { packet }),
                Err(e) => return Err(e),
            };
            self.stats.packets += 1;
            let samples = match decoded {
                Decoded::Samples(samples) => samples,
                Decoded::Bad { reason, frames } => {
                    self.stats.bad_packets += 1;
                    if self.stats.bad_packets > self.options.max_bad_packets {
                        return Err(AudioDecodeError::TooManyBadPackets { count: self.stats.bad_packets, reason });
                    }
                    self.stats.concealed_frames += frames as u64;
                    vec![0.0; frames * self.info.layout.channels()]
                }
            };
            if let Some(chunk) = self.trimmed_chunk(samples) {
                return Ok(Some(chunk));
            }
        }
    }

    /// [`Self::decode_next`] through Symphonia.
    fn symphonia_next(&mut self) -> Result<Option<PcmChunk>, AudioDecodeError> {
        loop {
            let (reader, decoder) = match &mut self.backend {
                Backend::Symphonia { reader, decoder } => (reader, decoder),
                #[cfg(feature = "opus")]
                Backend::Opus(_) => return Ok(None),
            };
            let packet_index = self.stats.packets;
            let packet = match reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(None),
                Err(e) => return Err(AudioDecodeError::from_symphonia(e, Some(packet_index))),
            };
            if packet.track_id != self.info.track_id {
                continue;
            }
            self.stats.packets += 1;
            let samples = match decoder.decode(&packet) {
                Ok(buffer) => {
                    check_spec(&buffer, &self.info, packet_index)?;
                    let mut samples = Vec::new();
                    buffer.copy_to_vec_interleaved::<f32>(&mut samples);
                    self.last_packet_frames = buffer.frames() as u64;
                    samples
                }
                Err(e) => {
                    let reason = self.bad_packet_reason(e, packet_index)?;
                    self.stats.bad_packets += 1;
                    if self.stats.bad_packets > self.options.max_bad_packets {
                        return Err(AudioDecodeError::TooManyBadPackets { count: self.stats.bad_packets, reason });
                    }
                    let frames = self.concealment(packet.dur.get());
                    self.stats.concealed_frames += frames as u64;
                    vec![0.0; frames * self.info.layout.channels()]
                }
            };
            if let Some(chunk) = self.trimmed_chunk(samples) {
                return Ok(Some(chunk));
            }
        }
    }

    /// Why the codec rejected a packet, when that is damage to skip: a
    /// decode error, a packet that ends early, or (once packets have
    /// decoded) a feature the codec lacks, which in a stream that decoded
    /// so far means garbage. Other errors are returned as final.
    fn bad_packet_reason(&self, e: SymphoniaError, packet: u64) -> Result<&'static str, AudioDecodeError> {
        let decoded_before = packet > self.stats.bad_packets;
        match e {
            SymphoniaError::DecodeError(reason) => Ok(reason),
            SymphoniaError::IoError(_) => Ok("the packet ends early"),
            SymphoniaError::Unsupported(feature) if decoded_before => Ok(feature),
            e => Err(AudioDecodeError::from_symphonia(e, Some(packet))),
        }
    }

    /// Frames of silence for a skipped packet lasting `dur` ticks of the
    /// track's time base: `dur` when ticks are frames; otherwise, for codecs
    /// whose packets all have one size (AAC, MP3), the last good packet's
    /// size; else none. At most a second.
    fn concealment(&self, dur: u64) -> usize {
        let frames = if self.durations_in_frames {
            dur
        } else if matches!(self.info.codec, SourceCodec::Aac | SourceCodec::Mp3) {
            self.last_packet_frames
        } else {
            0
        };
        frames.min(u64::from(self.info.sample_rate.hz())).min(MAX_FRAMES_PER_PACKET) as usize
    }

    /// Applies the MP4 trim to a packet's samples and wraps what is left.
    fn trimmed_chunk(&mut self, mut samples: Vec<f32>) -> Option<PcmChunk> {
        let channels = self.info.layout.channels();
        let frames = (samples.len() / channels) as u64;
        let start = self.decoded;
        self.decoded += frames;
        let keep_from = self.trim.skip.saturating_sub(start).min(frames);
        let keep_to = match self.trim.keep {
            Some(keep) => (self.trim.skip.saturating_add(keep)).saturating_sub(start).min(frames),
            None => frames,
        };
        if keep_to <= keep_from {
            return None;
        }
        samples.truncate(keep_to as usize * channels);
        samples.drain(..keep_from as usize * channels);
        let pts = self.stats.frames as i64;
        self.stats.frames += keep_to - keep_from;
        PcmChunk::new(samples, self.info.sample_rate, self.info.layout, pts).ok()
    }
}

impl Iterator for AudioDecoder<'_> {
    type Item = Result<PcmChunk, AudioDecodeError>;

    /// [`AudioDecoder::next_chunk`] as an iterator.
    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}

/// The first audio track with a decoder in this build; errors name the
/// first audio track's codec when none has one.
fn pick_track(tracks: &[Track]) -> Result<&Track, AudioDecodeError> {
    let audio = |t: &&Track| matches!(t.codec_params, Some(CodecParameters::Audio(_)));
    let codec = |t: &Track| match &t.codec_params {
        Some(CodecParameters::Audio(p)) => p.codec,
        _ => symphonia::core::codecs::audio::CODEC_ID_NULL_AUDIO,
    };
    let registry = symphonia::default::get_codecs();
    if let Some(t) = tracks
        .iter()
        .filter(audio)
        .find(|t| SourceCodec::from_id(codec(t)).is_some() && registry.get_audio_decoder(codec(t)).is_some())
    {
        return Ok(t);
    }
    match tracks.iter().find(audio) {
        Some(t) => Err(AudioDecodeError::UnsupportedCodec { codec: foreign_codec_name(codec(t)) }),
        None => Err(AudioDecodeError::NoAudioTrack),
    }
}

/// Validates a track's parameters before Symphonia sizes buffers by them.
fn check_params(p: &AudioCodecParameters) -> Result<(SourceCodec, SampleRate, ChannelLayout), AudioDecodeError> {
    let codec = SourceCodec::from_id(p.codec)
        .ok_or_else(|| AudioDecodeError::UnsupportedCodec { codec: foreign_codec_name(p.codec) })?;
    let hz = p.sample_rate.ok_or(AudioDecodeError::BadParameter { field: "sample rate", value: "missing".into() })?;
    let rate = SampleRate::new(hz).ok_or_else(|| AudioDecodeError::BadParameter {
        field: "sample rate",
        value: format!("{hz} Hz (1 to {MAX_SAMPLE_RATE})"),
    })?;
    let channels =
        p.channels.as_ref().ok_or(AudioDecodeError::BadParameter { field: "channels", value: "missing".into() })?;
    let layout = layout_of(channels)?;
    if let Some(n) = p.max_frames_per_packet.filter(|&n| n > MAX_FRAMES_PER_PACKET) {
        return Err(AudioDecodeError::BadParameter {
            field: "frames per packet",
            value: format!("{n} (at most {MAX_FRAMES_PER_PACKET})"),
        });
    }
    Ok((codec, rate, layout))
}

/// Our layout for Symphonia's channels: positioned mono, stereo and 5.1
/// (back or side surrounds) map to their layouts, a discrete count through
/// [`ChannelLayout::for_count`], anything else to
/// [`ChannelLayout::Discrete`].
fn layout_of(channels: &Channels) -> Result<ChannelLayout, AudioDecodeError> {
    let count = channels.count();
    if count == 0 {
        return Err(AudioDecodeError::BadParameter { field: "channels", value: "0".into() });
    }
    if count > MAX_CHANNELS {
        return Err(AudioDecodeError::TooManyChannels { channels: count });
    }
    let front = Position::FRONT_LEFT | Position::FRONT_RIGHT;
    let fives = [
        front | Position::FRONT_CENTER | Position::LFE1 | Position::REAR_LEFT | Position::REAR_RIGHT,
        front | Position::FRONT_CENTER | Position::LFE1 | Position::SIDE_LEFT | Position::SIDE_RIGHT,
    ];
    Ok(match channels {
        Channels::Positioned(_) if count == 1 => ChannelLayout::Mono,
        Channels::Positioned(p) if *p == front => ChannelLayout::Stereo,
        Channels::Positioned(p) if fives.contains(p) => ChannelLayout::Surround51,
        Channels::Discrete(n) => ChannelLayout::for_count(usize::from(*n)).unwrap_or(ChannelLayout::Discrete(*n)),
        _ => ChannelLayout::Discrete(count as u16),
    })
}

/// A decoded buffer must keep the stream's rate and channel count, and hold
/// at most [`MAX_FRAMES_PER_PACKET`] frames.
fn check_spec(buffer: &GenericAudioBufferRef<'_>, info: &SourceInfo, packet: u64) -> Result<(), AudioDecodeError> {
    if buffer.frames() as u64 > MAX_FRAMES_PER_PACKET {
        return Err(AudioDecodeError::Limit { what: "more than 2^18 frames in one packet" });
    }
    let spec = buffer.spec();
    let channels = spec.channels().count();
    if spec.rate() != info.sample_rate.hz() || channels != info.layout.channels() {
        return Err(AudioDecodeError::FormatChange { packet, sample_rate: spec.rate(), channels });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit PCM WAV of `frames` frames of `channels` channels: sample
    /// `i` of the file is `i * 7 - 3000` (wrapping), so every value is known.
    fn wav(rate: u32, channels: u16, frames: usize) -> Vec<u8> {
        let data: Vec<u8> =
            (0..frames * usize::from(channels)).flat_map(|i| ((i as i32 * 7 - 3000) as i16).to_le_bytes()).collect();
        let mut w = b"RIFF".to_vec();
        w.extend((36 + data.len() as u32).to_le_bytes());
        w.extend(b"WAVEfmt ");
        w.extend(16u32.to_le_bytes());
        w.extend(1u16.to_le_bytes());
        w.extend(channels.to_le_bytes());
        w.extend(rate.to_le_bytes());
        w.extend((rate * u32::from(channels) * 2).to_le_bytes());
        w.extend((channels * 2).to_le_bytes());
        w.extend(16u16.to_le_bytes());
        w.extend(b"data");
        w.extend((data.len() as u32).to_le_bytes());
        w.extend(data);
        w
    }

    /// Decodes a WAV made in memory (also in wasm, where this is the check
    /// that Symphonia's probe and PCM decoder work): format, exact samples,
    /// contiguous timestamps.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn wav_in_memory() {
        for (channels, layout) in [
            (1u16, ChannelLayout::Mono),
            (2, ChannelLayout::Stereo),
            (6, ChannelLayout::Surround51),
            (3, ChannelLayout::Discrete(3)),
        ] {
            let bytes = wav(22_050, channels, 5000);
            let dec = AudioDecoder::from_bytes(&bytes, &DecodeOptions::default()).unwrap();
            let info = dec.info().clone();
            assert_eq!(
                (info.container, info.codec, info.codec_name),
                (SourceContainer::Wav, SourceCodec::Pcm, "pcm_s16le")
            );
            assert_eq!(
                (info.sample_rate.hz(), info.layout, info.frames, info.bits_per_sample),
                (22_050, layout, Some(5000), Some(16))
            );
            assert_eq!(info.duration().map(|d| d.ticks), Some(5000));
            let mut samples = Vec::new();
            for chunk in dec {
                let chunk = chunk.unwrap();
                assert_eq!(chunk.pts() as usize * usize::from(channels), samples.len());
                samples.extend_from_slice(chunk.samples());
            }
            let expected: Vec<f32> =
                (0..5000 * usize::from(channels)).map(|i| f32::from((i as i32 * 7 - 3000) as i16) / 32768.0).collect();
            assert_eq!(samples, expected);
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn refusals_are_typed() {
        let opts = DecodeOptions::default();
        assert_eq!(AudioDecoder::from_bytes(&[], &opts).unwrap_err(), AudioDecodeError::Empty);
        assert_eq!(AudioDecoder::from_bytes(&[0u8; 3000], &opts).unwrap_err(), AudioDecodeError::UnsupportedFormat);
        // 9 channels.
        assert_eq!(
            AudioDecoder::from_bytes(&wav(8000, 9, 10), &opts).unwrap_err(),
            AudioDecodeError::TooManyChannels { channels: 9 }
        );
        // A sample rate of 0 and of 1 MHz.
        for (rate, shown) in [(0u32, "0 Hz"), (1_000_000, "1000000 Hz")] {
            let e = AudioDecoder::from_bytes(&wav(rate, 2, 10), &opts).unwrap_err();
            assert!(e.to_string().contains(shown) || matches!(e, AudioDecodeError::Corrupt { .. }), "{rate}: {e}");
        }
        // Cut inside the data: the frames before, then Truncated.
        let bytes = wav(8000, 2, 4000);
        let mut dec = AudioDecoder::from_bytes(&bytes[..bytes.len() - 1001], &opts).unwrap();
        let mut frames = 0;
        let err = loop {
            match dec.next_chunk() {
                Ok(Some(c)) => frames += c.frames(),
                Ok(None) => panic!("no error"),
                Err(e) => break e,
            }
        };
        assert!(matches!(err, AudioDecodeError::Truncated { .. }), "{err}");
        assert!(frames > 3000 && frames < 4000, "{frames}");
        assert_eq!(dec.next_chunk(), Ok(None));
        assert_eq!(dec.stats().frames, frames as u64);
    }

    #[test]
    fn layouts_from_symphonia_channels() {
        use symphonia::core::audio::layouts;
        assert_eq!(layout_of(&layouts::CHANNEL_LAYOUT_MONO).unwrap(), ChannelLayout::Mono);
        assert_eq!(layout_of(&layouts::CHANNEL_LAYOUT_STEREO).unwrap(), ChannelLayout::Stereo);
        assert_eq!(layout_of(&layouts::CHANNEL_LAYOUT_5P1).unwrap(), ChannelLayout::Surround51);
        assert_eq!(layout_of(&layouts::CHANNEL_LAYOUT_5P1_SIDE).unwrap(), ChannelLayout::Surround51);
        assert_eq!(layout_of(&layouts::CHANNEL_LAYOUT_5P0).unwrap(), ChannelLayout::Discrete(5));
        assert_eq!(layout_of(&Channels::Discrete(2)).unwrap(), ChannelLayout::Stereo);
        assert_eq!(layout_of(&layouts::CHANNEL_LAYOUT_7P1).unwrap(), ChannelLayout::Discrete(8));
        assert_eq!(
            layout_of(&layouts::CHANNEL_LAYOUT_22P2).unwrap_err(),
            AudioDecodeError::TooManyChannels { channels: 24 }
        );
        assert!(layout_of(&Channels::None).is_err());
    }
}

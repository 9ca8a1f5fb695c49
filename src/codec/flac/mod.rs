//! FLAC (RFC 9639) encoder over `flacenc` (cargo feature `flac`):
//! interleaved `i16`, 24-bit or `f32` PCM in, FLAC frames out, plus the
//! metadata (STREAMINFO) that a `.flac` file (`mux::flac`) and MP4's
//! `fLaC` / `dfLa` sample entry need ([`metadata`], no codec needed).
//!
//! ```
//! use framecast::codec::flac::{FlacEncoder, FlacEncoderConfig};
//! use framecast::mux::flac::file_header;
//!
//! let mut enc = FlacEncoder::new(FlacEncoderConfig::new(48_000, 2))?;
//! let mut file = file_header(&enc.dfla_metadata()); // placeholder STREAMINFO
//! let pcm = vec![0i16; 48_000 * 2];
//! for frame in enc.encode_i16(&pcm)? {
//!     file.extend_from_slice(&frame.data);
//! }
//! for frame in enc.finish()? {
//!     file.extend_from_slice(&frame.data);
//! }
//! // Now that totals and MD5 are known, rewrite the header in place.
//! let header = file_header(&enc.dfla_metadata());
//! file[..header.len()].copy_from_slice(&header);
//! # Ok::<(), framecast::codec::flac::FlacError>(())
//! ```
//!
//! Streaming with bounded memory: the encoder holds one block of input
//! (default 4096 samples per channel) and returns each FLAC frame as soon
//! as its block is full, so a file can be written as it goes; only its
//! 42-byte header changes at the end (total samples, frame sizes and the
//! MD5 of the audio, all "unknown" = 0 until [`FlacEncoder::finish`]). A
//! live stream (fMP4) can keep the first header: FLAC allows the unknowns.
//!
//! The stream uses a fixed block size, so every frame but the last holds
//! `block_size` samples; with the default 4096 and 16 or 24 bits at up to
//! 48 kHz it stays within FLAC's streamable subset.

use std::fmt;

#[cfg(feature = "flac")]
use flacenc::component::{BitRepr, StreamInfo as FlacencStreamInfo};
#[cfg(feature = "flac")]
use flacenc::error::{Verified, Verify};
#[cfg(feature = "flac")]
use flacenc::source::{Context, Fill, FrameBuf};

#[cfg(feature = "flac")]
use crate::codec::CodecConfig;
use crate::error::{Coded, ErrorCode};

pub mod metadata;

pub use metadata::{
    check_metadata, metadata_blocks, with_last_flag, BlockHeader, FlacMetadataError, FlacStreamInfo, MetadataBlock,
    MetadataBlocks, FORBIDDEN_BLOCK_TYPE, STREAMINFO, STREAMINFO_LEN,
};

/// Block sizes flacenc accepts (FLAC allows 16 to 65535).
pub const BLOCK_SIZE_RANGE: std::ops::RangeInclusive<u16> = 32..=32_767;

/// What went wrong in the FLAC encoder.
///
/// `InvalidConfig`, `PartialSampleFrame` and `SampleOutOfRange` are caller
/// errors: the call consumed nothing and the encoder stays usable.
/// `Finished` means [`FlacEncoder::finish`] was called. `Encoder` is an
/// internal flacenc failure: drop the encoder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlacError {
    /// A configuration field is out of range. Names the field, what it must
    /// be and what it was.
    InvalidConfig {
        /// The [`FlacEncoderConfig`] field, e.g. `channels` or `block_size`.
        field: &'static str,
        /// What is allowed, e.g. `between 1 and 8`.
        expected: String,
        /// The value given, as text.
        got: String,
    },
    /// Interleaved input whose length is not a multiple of the channel
    /// count.
    PartialSampleFrame {
        /// Length of the interleaved input, in samples (all channels).
        len: usize,
        /// The configured channel count, 1 to 8.
        channels: u8,
    },
    /// An integer sample does not fit the configured bits per sample.
    SampleOutOfRange {
        /// 0-based index of the first offending sample in the interleaved
        /// input.
        index: usize,
        /// The sample's value.
        value: i32,
        /// The configured bits per sample (16 or 24): values must lie in
        /// `-2^(bits-1) ..= 2^(bits-1) - 1`.
        bits_per_sample: u8,
    },
    /// Input after `finish`.
    Finished,
    /// flacenc refused a block.
    Encoder(String),
}

impl fmt::Display for FlacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlacError::InvalidConfig { field, expected, got } => {
                write!(f, "flac.{field} must be {expected}, got {got}")
            }
            FlacError::PartialSampleFrame { len, channels } => {
                write!(f, "{len} interleaved samples is not a whole number of {channels}-channel sample frames")
            }
            FlacError::SampleOutOfRange { index, value, bits_per_sample } => {
                write!(f, "sample {index} is {value}, outside the {bits_per_sample}-bit range")
            }
            FlacError::Finished => write!(f, "the FLAC encoder was already finished"),
            FlacError::Encoder(why) => write!(f, "FLAC encoder failed: {why}"),
        }
    }
}

impl std::error::Error for FlacError {}

impl Coded for FlacError {
    fn code(&self) -> ErrorCode {
        match self {
            FlacError::InvalidConfig { .. } => ErrorCode::InvalidConfig,
            FlacError::PartialSampleFrame { .. } | FlacError::SampleOutOfRange { .. } => ErrorCode::InvalidFrame,
            FlacError::Finished => ErrorCode::InvalidState,
            FlacError::Encoder(_) => ErrorCode::EncodeError,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            FlacError::InvalidConfig { field, .. } => Some((*field).to_string()),
            _ => None,
        }
    }
}

/// Encoder settings; [`FlacEncoder::new`] validates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlacEncoderConfig {
    /// Samples per second, 1 to 655350 Hz.
    pub sample_rate: u32,
    /// 1 to 8, interleaved in FLAC's channel order (L R C LFE ...).
    pub channels: u8,
    /// 16 or 24. Default 16.
    pub bits_per_sample: u8,
    /// Samples per channel per frame, in [`BLOCK_SIZE_RANGE`]. Default 4096.
    pub block_size: u16,
}

impl FlacEncoderConfig {
    /// 16-bit, 4096-sample blocks, `channels` at `sample_rate` Hz.
    pub fn new(sample_rate: u32, channels: u8) -> Self {
        FlacEncoderConfig { sample_rate, channels, bits_per_sample: 16, block_size: 4096 }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), FlacError> {
        let bad = |field, expected: &str, got: String| {
            Err(FlacError::InvalidConfig { field, expected: expected.into(), got })
        };
        if !(1..=655_350).contains(&self.sample_rate) {
            return bad("sample_rate", "between 1 and 655350 Hz", self.sample_rate.to_string());
        }
        if !(1..=8).contains(&self.channels) {
            return bad("channels", "between 1 and 8", self.channels.to_string());
        }
        if self.bits_per_sample != 16 && self.bits_per_sample != 24 {
            return bad("bits_per_sample", "16 or 24", self.bits_per_sample.to_string());
        }
        if !BLOCK_SIZE_RANGE.contains(&self.block_size) {
            return bad("block_size", "between 32 and 32767 samples", self.block_size.to_string());
        }
        Ok(())
    }
}

/// One FLAC frame: an MP4 sample, or the next bytes of a `.flac` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlacFrame {
    /// The frame, header to CRC-16.
    pub data: Vec<u8>,
    /// Time of its first sample, in samples (timescale = sample rate).
    pub pts: u64,
    /// Samples per channel.
    pub duration: u32,
}

/// A streaming FLAC encoder. See the module docs.
#[cfg(feature = "flac")]
pub struct FlacEncoder {
    config: FlacEncoderConfig,
    encoder: Verified<flacenc::config::Encoder>,
    stream_info: FlacencStreamInfo,
    /// One block of interleaved samples being filled.
    block: Vec<i32>,
    filled: usize,
    framebuf: FrameBuf,
    /// MD5 and sample count of everything encoded.
    context: Context,
    frames: u64,
    /// Smallest and largest frame, bytes.
    frame_bytes: Option<(usize, usize)>,
    finished: bool,
}

#[cfg(feature = "flac")]
impl fmt::Debug for FlacEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlacEncoder")
            .field("config", &self.config)
            .field("frames", &self.frames)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "flac")]
impl FlacEncoder {
    /// An encoder for `config`, validated first.
    pub fn new(config: FlacEncoderConfig) -> Result<Self, FlacError> {
        config.validate()?;
        let internal = |e: &dyn fmt::Display| FlacError::Encoder(e.to_string());
        let (channels, bits, block) =
            (usize::from(config.channels), usize::from(config.bits_per_sample), usize::from(config.block_size));
        let mut encoder_config = flacenc::config::Encoder::default();
        encoder_config.block_size = block;
        let encoder = encoder_config.into_verified().map_err(|(_, e)| internal(&e))?;
        let stream_info =
            FlacencStreamInfo::new(config.sample_rate as usize, channels, bits).map_err(|e| internal(&e))?;
        let framebuf = FrameBuf::with_size(channels, block).map_err(|e| internal(&e))?;
        Ok(FlacEncoder {
            config,
            encoder,
            stream_info,
            block: vec![0; block * channels],
            filled: 0,
            framebuf,
            context: Context::new(bits, channels),
            frames: 0,
            frame_bytes: None,
            finished: false,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &FlacEncoderConfig {
        &self.config
    }

    /// Encodes 16-bit samples (shifted up to 24 bits when so configured).
    pub fn encode_i16(&mut self, pcm: &[i16]) -> Result<Vec<FlacFrame>, FlacError> {
        let shift = self.config.bits_per_sample - 16;
        self.encode_with(pcm.len(), |i| i32::from(pcm[i]) << shift)
    }

    /// Encodes integer samples already at the configured bits per sample
    /// (24-bit audio in `i32`, -8388608..=8388607). A sample out of range
    /// is an error and nothing of the call is encoded.
    pub fn encode_i32(&mut self, pcm: &[i32]) -> Result<Vec<FlacFrame>, FlacError> {
        let bits_per_sample = self.config.bits_per_sample;
        let max = (1i32 << (bits_per_sample - 1)) - 1;
        if let Some((index, &value)) = pcm.iter().enumerate().find(|(_, &v)| v > max || v < -max - 1) {
            return Err(FlacError::SampleOutOfRange { index, value, bits_per_sample });
        }
        self.encode_with(pcm.len(), |i| pcm[i])
    }

    /// Encodes float samples, full scale -1..1: scaled by 2^(bits-1),
    /// rounded, clipped; NaN becomes 0. Lossless for floats that came from
    /// integers of the configured width.
    pub fn encode_f32(&mut self, pcm: &[f32]) -> Result<Vec<FlacFrame>, FlacError> {
        let scale = f64::from(1u32 << (self.config.bits_per_sample - 1));
        let quantize = |x: f32| {
            if x.is_nan() {
                0
            } else {
                (f64::from(x) * scale).round().clamp(-scale, scale - 1.0) as i32
            }
        };
        self.encode_with(pcm.len(), |i| quantize(pcm[i]))
    }

    /// Encodes the buffered partial block, if any, and ends the stream.
    /// Afterwards [`Self::stream_info`] and [`Self::dfla_metadata`] hold
    /// the final totals and MD5.
    pub fn finish(&mut self) -> Result<Vec<FlacFrame>, FlacError> {
        if self.finished {
            return Err(FlacError::Finished);
        }
        self.finished = true;
        if self.filled == 0 {
            return Ok(Vec::new());
        }
        Ok(vec![self.encode_block()?])
    }

    /// Total samples per channel encoded so far.
    pub fn total_samples(&self) -> u64 {
        self.context.total_samples() as u64
    }

    /// The STREAMINFO block body (RFC 9639 section 8.2). Before
    /// [`Self::finish`] total samples, frame sizes and MD5 are 0
    /// ("unknown").
    pub fn stream_info(&self) -> [u8; STREAMINFO_LEN] {
        self.stream_info_record().to_bytes()
    }

    fn stream_info_record(&self) -> FlacStreamInfo {
        let c = &self.config;
        let done = self.finished;
        let (min_frame, max_frame) = if done { self.frame_bytes.unwrap_or((0, 0)) } else { (0, 0) };
        FlacStreamInfo {
            min_block_size: c.block_size,
            max_block_size: c.block_size,
            min_frame_size: min_frame as u32,
            max_frame_size: max_frame as u32,
            sample_rate: c.sample_rate,
            channels: c.channels,
            bits_per_sample: c.bits_per_sample,
            total_samples: if done { self.total_samples() } else { 0 },
            md5: if done { self.context.md5_digest() } else { [0; 16] },
        }
    }

    /// The metadata MP4's `dfLa` carries (and [`CodecConfig::Flac`]), which
    /// a `.flac` file puts after its `fLaC` marker: the STREAMINFO block
    /// with its header, flagged as the last block (38 bytes, whatever the
    /// state).
    pub fn dfla_metadata(&self) -> Vec<u8> {
        self.stream_info_record().to_block(true)
    }

    /// The track configuration for the MP4 muxers (`fLaC` + `dfLa`).
    pub fn codec_config(&self) -> CodecConfig {
        CodecConfig::Flac {
            metadata: self.dfla_metadata(),
            sample_rate: self.config.sample_rate,
            channels: u16::from(self.config.channels),
            bits_per_sample: u16::from(self.config.bits_per_sample),
        }
    }

    /// Appends `len` samples given by `sample(i)` to the block, encoding
    /// each block as it fills.
    fn encode_with(&mut self, len: usize, sample: impl Fn(usize) -> i32) -> Result<Vec<FlacFrame>, FlacError> {
        if self.finished {
            return Err(FlacError::Finished);
        }
        let channels = self.config.channels;
        if len % usize::from(channels) != 0 {
            return Err(FlacError::PartialSampleFrame { len, channels });
        }
        let mut frames = Vec::with_capacity((self.filled + len) / self.block.len());
        let mut i = 0;
        while i < len {
            let take = (self.block.len() - self.filled).min(len - i);
            for (k, dst) in self.block[self.filled..self.filled + take].iter_mut().enumerate() {
                *dst = sample(i + k);
            }
            self.filled += take;
            i += take;
            if self.filled == self.block.len() {
                frames.push(self.encode_block()?);
            }
        }
        Ok(frames)
    }

    /// Encodes the first `filled` samples of the block as one frame.
    fn encode_block(&mut self) -> Result<FlacFrame, FlacError> {
        let internal = |e: &dyn fmt::Display| FlacError::Encoder(e.to_string());
        let samples = &self.block[..self.filled];
        self.framebuf.fill_interleaved(samples).map_err(|e| internal(&e))?;
        self.context.fill_interleaved(samples).map_err(|e| internal(&e))?;
        let frame_number = usize::try_from(self.frames).map_err(|e| internal(&e))?;
        let frame = flacenc::encode_fixed_size_frame(&self.encoder, &self.framebuf, frame_number, &self.stream_info)
            .map_err(|e| internal(&e))?;
        let mut sink = flacenc::bitsink::ByteSink::with_capacity(frame.count_bits());
        frame.write(&mut sink).map_err(|e| internal(&e))?;
        let data = sink.into_inner();
        let duration = (self.filled / usize::from(self.config.channels)) as u32;
        let pts = self.frames * u64::from(self.config.block_size);
        self.frames += 1;
        self.filled = 0;
        self.frame_bytes = Some(match self.frame_bytes {
            None => (data.len(), data.len()),
            Some((lo, hi)) => (lo.min(data.len()), hi.max(data.len())),
        });
        Ok(FlacFrame { data, pts, duration })
    }
}

#[cfg(all(test, feature = "flac"))]
mod tests {
    use super::*;

    fn config(rate: u32, channels: u8) -> FlacEncoderConfig {
        FlacEncoderConfig::new(rate, channels)
    }

    #[test]
    fn validation_names_the_field_value_and_range() {
        let field = |c: FlacEncoderConfig| match c.validate() {
            Err(FlacError::InvalidConfig { field, got, .. }) => (field, got),
            other => panic!("expected InvalidConfig, got {other:?}"),
        };
        assert_eq!(field(config(0, 2)), ("sample_rate", "0".into()));
        assert_eq!(field(config(700_000, 2)).0, "sample_rate");
        assert_eq!(field(config(48_000, 0)).0, "channels");
        assert_eq!(field(config(48_000, 9)).0, "channels");
        assert_eq!(
            field(FlacEncoderConfig { bits_per_sample: 20, ..config(48_000, 2) }),
            ("bits_per_sample", "20".into())
        );
        assert_eq!(field(FlacEncoderConfig { block_size: 16, ..config(48_000, 2) }).0, "block_size");
        let e = FlacEncoder::new(FlacEncoderConfig { block_size: 40_000, ..config(48_000, 2) }).unwrap_err();
        assert_eq!(e.to_string(), "flac.block_size must be between 32 and 32767 samples, got 40000");
        assert_eq!(e.code(), "invalid-config");
    }

    #[test]
    fn stream_info_packs_the_fields() {
        let mut enc = FlacEncoder::new(FlacEncoderConfig { bits_per_sample: 24, ..config(44_100, 2) }).unwrap();
        let before = enc.stream_info();
        assert_eq!(&before[0..4], &[0x10, 0x00, 0x10, 0x00]);
        assert_eq!(&before[4..10], &[0; 6], "frame sizes unknown while streaming");
        // 0000 1010 1100 0100 0100 (44100), 001 (2 channels), 1 0111 (24 bits).
        assert_eq!(&before[10..14], &[0x0a, 0xc4, 0x43, 0x70]);
        assert_eq!(&before[14..34], &[0; 20]);
        let frames = enc.encode_i32(&vec![5; 5000 * 2]).unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!((frames[0].pts, frames[0].duration), (0, 4096));
        let last = enc.finish().unwrap();
        assert_eq!((last[0].pts, last[0].duration), (4096, 904));
        let after = enc.stream_info();
        assert_eq!(u64::from_be_bytes(after[10..18].try_into().unwrap()) & 0xf_ffff_ffff, 5000);
        assert_ne!(&after[18..34], &[0; 16], "MD5 known at the end");
        let max = u32::from_be_bytes([0, after[7], after[8], after[9]]) as usize;
        assert_eq!(max, frames[0].data.len().max(last[0].data.len()));
        assert_eq!(&enc.dfla_metadata()[..4], &[0x80, 0, 0, 34]);
        assert_eq!(enc.finish(), Err(FlacError::Finished));
        assert_eq!(enc.encode_i16(&[0, 0]), Err(FlacError::Finished));
    }

    #[test]
    fn input_errors_consume_nothing() {
        let mut enc = FlacEncoder::new(config(48_000, 2)).unwrap();
        assert_eq!(enc.encode_i16(&[1, 2, 3]), Err(FlacError::PartialSampleFrame { len: 3, channels: 2 }));
        assert_eq!(
            enc.encode_i32(&[0, 32_768]),
            Err(FlacError::SampleOutOfRange { index: 1, value: 32_768, bits_per_sample: 16 })
        );
        assert!(enc.encode_i32(&[-32_768, 32_767]).unwrap().is_empty());
        assert_eq!(enc.total_samples(), 0);
        enc.finish().unwrap();
        assert_eq!(enc.total_samples(), 1);
    }
}

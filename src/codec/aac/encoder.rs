//! AAC-LC audio encoding with Fraunhofer's FDK AAC, natively and in wasm32.
//!
//! Browsers' WebCodecs cannot encode AAC on every platform (Chromium on
//! Linux has no AAC encoder), so framecast carries its own: FDK AAC's
//! fixed-point encoder, compiled by build.rs from the `fdk-aac-sys` crate
//! package. Input is interleaved 16-bit PCM (or `f32`, converted with
//! saturation) in chunks of any size; output is raw AAC access units of 1024
//! samples per channel, with the AudioSpecificConfig that MP4's `esds`
//! carries. [`super::AdtsFormat::write_adts_frame`] frames them
//! as an ADTS stream.
//!
//! Licence: FDK AAC is under the Fraunhofer FDK AAC licence (the `NOTICE`
//! file of the `fdk-aac-sys` package), which grants no patent licence; AAC
//! is patent-encumbered.
//!
//! ```no_run
//! use framecast::codec::aac::{AacEncoder, AacEncoderConfig};
//!
//! let mut enc = AacEncoder::new(AacEncoderConfig::new(48_000, 2))?;
//! let silence = vec![0i16; 4800 * 2]; // 100 ms, interleaved stereo
//! let mut packets = enc.encode(&silence)?;
//! packets.extend(enc.flush()?);
//! println!("esds config {:02x?}, {} packets, priming {} samples",
//!     enc.audio_specific_config(), packets.len(), enc.encoder_delay());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ffi;

use std::fmt;

use serde::{Deserialize, Serialize};

use self::ffi::{Param, RawEncoder, AACENC_ENCODE_EOF};
use super::adts::AdtsFormat;
use super::config::SAMPLE_RATES;
use crate::error::{Coded, ErrorCode};
use crate::time::{Timescale, Timestamp};

/// Which FDK AAC build is linked: `native`, `wasm` or `wasm-simd128`, and
/// the optimisation level, e.g. `"wasm-simd128 -O3"`.
pub const FDK_AAC_BUILD: &str = env!("FRAMECAST_FDK_AAC_BUILD");

/// The crate package that the linked FDK AAC was compiled from, e.g.
/// `"fdk-aac-sys 0.5.0"`.
pub const FDK_AAC_SOURCE: &str = env!("FRAMECAST_FDK_AAC_VERSION");

/// Sample rates the encoder accepts, in Hz.
pub const ENCODER_SAMPLE_RATES: [u32; 12] =
    [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000];

/// Samples per channel in one AAC-LC access unit.
pub const FRAME_SIZE: usize = 1024;

/// AAC audio object type. Only AAC-LC for now; HE-AAC (SBR, PS) would be
/// further variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AacProfile {
    /// AAC Low Complexity (audio object type 2, `mp4a.40.2`). The default.
    #[default]
    Lc,
}

impl AacProfile {
    /// MPEG-4 audio object type, as written in the AudioSpecificConfig.
    pub fn object_type(self) -> u8 {
        match self {
            AacProfile::Lc => 2,
        }
    }

    /// RFC 6381 codec string, e.g. `mp4a.40.2`.
    pub fn codec_string(self) -> String {
        format!("mp4a.40.{}", self.object_type())
    }
}

/// Everything the AAC encoder needs. Build with [`AacEncoderConfig::new`]
/// and adjust fields; [`AacEncoder::new`] validates it. Field names are
/// camelCase in JSON and JS (`sampleRate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AacEncoderConfig {
    /// Samples per second per channel: one of [`ENCODER_SAMPLE_RATES`].
    pub sample_rate: u32,
    /// 1 (mono), 2 (stereo) or 6 (5.1 in WAVE order: L, R, C, LFE, Ls, Rs).
    pub channels: u16,
    /// Target bitrate in bits per second (constant bitrate with a bit
    /// reservoir). Default 128_000. See [`AacEncoderConfig::bitrate_range`].
    #[serde(default = "default_bitrate")]
    pub bitrate: u32,
    /// Audio object type. Default AAC-LC.
    #[serde(default)]
    pub profile: AacProfile,
    /// FDK's analysis-by-synthesis refinement: better quality for more CPU.
    /// Default `true`.
    #[serde(default = "default_afterburner")]
    pub afterburner: bool,
}

fn default_bitrate() -> u32 {
    128_000
}

fn default_afterburner() -> bool {
    true
}

impl AacEncoderConfig {
    /// AAC-LC at `sample_rate` Hz with `channels` channels, 128 kbit/s,
    /// afterburner on.
    pub fn new(sample_rate: u32, channels: u16) -> Self {
        AacEncoderConfig {
            sample_rate,
            channels,
            bitrate: default_bitrate(),
            profile: AacProfile::default(),
            afterburner: default_afterburner(),
        }
    }

    /// The bitrates (bits per second, inclusive) that this sample rate and
    /// channel count allow, or `None` when the channel count is unsupported.
    ///
    /// The floor is the larger of 8 kbit/s per channel and FDK's own floor,
    /// 40 bits per channel plus 208 bits of headroom per 1024-sample frame
    /// (below it FDK silently raises the bitrate). The ceiling is AAC-LC's
    /// 6144 bits per channel per frame, i.e. 6 x the sample rate per channel;
    /// the LFE channel of 5.1 does not count.
    pub fn bitrate_range(&self) -> Option<(u32, u32)> {
        let (coded, effective) = match self.channels {
            1 => (1u64, 1u64),
            2 => (2, 2),
            6 => (6, 5),
            _ => return None,
        };
        let rate = u64::from(self.sample_rate);
        let fdk_floor = ((40 * coded + 208) * rate).div_ceil(FRAME_SIZE as u64);
        let min = (8_000 * coded).max(fdk_floor);
        let max = (6 * rate * effective).max(min);
        Some((min.min(u64::from(u32::MAX)) as u32, max.min(u64::from(u32::MAX)) as u32))
    }

    /// Checks every field; the error names the field, the allowed values and
    /// the value given.
    pub fn validate(&self) -> Result<(), AacEncodeError> {
        if !ENCODER_SAMPLE_RATES.contains(&self.sample_rate) {
            let list = ENCODER_SAMPLE_RATES.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            return Err(invalid("sampleRate", format!("one of {list}"), self.sample_rate));
        }
        let Some((min, max)) = self.bitrate_range() else {
            return Err(invalid("channels", "1, 2 or 6".into(), self.channels));
        };
        if !(min..=max).contains(&self.bitrate) {
            return Err(invalid(
                "bitrate",
                format!("between {min} and {max} bits/s for {} channel(s) at {} Hz", self.channels, self.sample_rate),
                self.bitrate,
            ));
        }
        Ok(())
    }

    /// The stream format in ADTS/AudioSpecificConfig terms; `None` for an
    /// invalid configuration.
    pub fn format(&self) -> Option<AdtsFormat> {
        self.validate().ok()?;
        let sample_rate_index = SAMPLE_RATES.iter().position(|&r| r == self.sample_rate)? as u8;
        Some(AdtsFormat {
            object_type: self.profile.object_type(),
            sample_rate_index,
            channel_config: channel_config(self.channels)?,
        })
    }
}

fn invalid(field: &'static str, expected: String, got: impl fmt::Display) -> AacEncodeError {
    AacEncodeError::InvalidConfig { field, expected, got: got.to_string() }
}

/// MPEG-4 channel configuration (and FDK `CHANNEL_MODE`) for a channel
/// count.
fn channel_config(channels: u16) -> Option<u8> {
    match channels {
        1 => Some(1),
        2 => Some(2),
        6 => Some(6),
        _ => None,
    }
}

/// An error reported by FDK AAC (`AACENC_ERROR`, `aacenc_lib.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FdkError {
    /// `AACENC_INVALID_HANDLE`.
    InvalidHandle,
    /// `AACENC_MEMORY_ERROR`: an allocation failed.
    Memory,
    /// `AACENC_UNSUPPORTED_PARAMETER`.
    UnsupportedParameter,
    /// `AACENC_INVALID_CONFIG`.
    InvalidConfig,
    /// `AACENC_INIT_ERROR` and the module-specific `AACENC_INIT_*_ERROR`s;
    /// `module` is `"aac"`, `"sbr"`, `"transport"`, `"metadata"`, `"mps"`
    /// or `"general"`.
    Init {
        /// The FDK module that failed: `"aac"`, `"sbr"`, `"transport"`,
        /// `"metadata"`, `"mps"` or `"general"`.
        module: &'static str,
    },
    /// `AACENC_ENCODE_ERROR`: encoding a frame failed.
    Encode,
    /// A code this wrapper does not know.
    Other(u32),
}

impl FdkError {
    /// Names an `AACENC_ERROR` code.
    pub fn from_code(code: u32) -> FdkError {
        match code {
            0x20 => FdkError::InvalidHandle,
            0x21 => FdkError::Memory,
            0x22 => FdkError::UnsupportedParameter,
            0x23 => FdkError::InvalidConfig,
            0x40 => FdkError::Init { module: "general" },
            0x41 => FdkError::Init { module: "aac" },
            0x42 => FdkError::Init { module: "sbr" },
            0x43 => FdkError::Init { module: "transport" },
            0x44 => FdkError::Init { module: "metadata" },
            0x45 => FdkError::Init { module: "mps" },
            0x60 => FdkError::Encode,
            other => FdkError::Other(other),
        }
    }
}

impl fmt::Display for FdkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FdkError::InvalidHandle => write!(f, "invalid handle"),
            FdkError::Memory => write!(f, "out of memory"),
            FdkError::UnsupportedParameter => write!(f, "unsupported parameter"),
            FdkError::InvalidConfig => write!(f, "invalid configuration"),
            FdkError::Init { module } => write!(f, "{module} initialisation failed"),
            FdkError::Encode => write!(f, "encoding failed"),
            FdkError::Other(code) => write!(f, "error 0x{code:x}"),
        }
    }
}

/// What went wrong in the AAC encoder.
///
/// `InvalidConfig` and `InvalidInput` are caller errors: the encoder (if
/// one was made) is unchanged and stays usable. `Finished` means
/// [`AacEncoder::flush`] was called; make a new encoder. `Fdk` reports a
/// failure inside FDK AAC; drop the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AacEncodeError {
    /// A configuration field is out of range. The message names the field,
    /// the allowed values and the value given.
    InvalidConfig {
        /// The field, e.g. `sampleRate` or `channels`.
        field: &'static str,
        /// What is allowed, e.g. `1, 2 or 6`.
        expected: String,
        /// The value given, as text.
        got: String,
    },
    /// The input does not hold whole sample frames: `samples` interleaved
    /// values are not a multiple of `channels`.
    InvalidInput {
        /// Number of interleaved samples given (all channels counted).
        samples: usize,
        /// The configured channel count.
        channels: u16,
    },
    /// `encode` after `flush`: the stream is complete.
    Finished,
    /// FDK AAC refused an operation.
    Fdk {
        /// The FDK AAC call that failed, e.g. `aacEncEncode`.
        op: &'static str,
        /// FDK AAC's error code, named.
        error: FdkError,
    },
}

impl fmt::Display for AacEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AacEncodeError::InvalidConfig { field, expected, got } => {
                write!(f, "{field} must be {expected}, got {got}")
            }
            AacEncodeError::InvalidInput { samples, channels } => {
                write!(f, "interleaved input must hold whole frames of {channels} channel(s), got {samples} samples")
            }
            AacEncodeError::Finished => write!(f, "the AAC encoder was flushed; create a new one to encode more"),
            AacEncodeError::Fdk { op, error } => write!(f, "FDK AAC {op} failed: {error}"),
        }
    }
}

impl std::error::Error for AacEncodeError {}

impl Coded for AacEncodeError {
    fn code(&self) -> ErrorCode {
        match self {
            AacEncodeError::InvalidConfig { .. } => ErrorCode::InvalidConfig,
            AacEncodeError::InvalidInput { .. } => ErrorCode::InvalidFrame,
            AacEncodeError::Finished => ErrorCode::InvalidState,
            AacEncodeError::Fdk { .. } => ErrorCode::EncodeError,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            AacEncodeError::InvalidConfig { field, .. } => Some((*field).to_string()),
            _ => None,
        }
    }
}

fn fdk(op: &'static str) -> impl Fn(u32) -> AacEncodeError {
    move |code| AacEncodeError::Fdk { op, error: FdkError::from_code(code) }
}

/// One encoded access unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AacPacket {
    /// A raw AAC access unit (`raw_data_block`), no ADTS header: an MP4
    /// sample as is.
    pub data: Vec<u8>,
    /// Position of the packet in the encoded stream, in samples per channel
    /// (timescale = the sample rate): packet `k` starts at `k * 1024`, the
    /// decode time an MP4 muxer writes. Decoded, input sample `n` comes out
    /// at stream sample `n + encoder_delay`.
    pub pts: Timestamp,
    /// Samples per channel that the packet decodes to: [`FRAME_SIZE`].
    pub duration: u32,
}

/// The FDK AAC encoder. One instance encodes one stream on the calling
/// thread; input of any length is buffered until a frame is complete.
pub struct AacEncoder {
    raw: RawEncoder,
    config: AacEncoderConfig,
    format: AdtsFormat,
    timescale: Timescale,
    asc: Vec<u8>,
    delay: u32,
    out: Vec<u8>,
    scratch: Vec<i16>,
    packets_out: u64,
    finished: bool,
}

impl fmt::Debug for AacEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AacEncoder")
            .field("config", &self.config)
            .field("packets_out", &self.packets_out)
            .field("finished", &self.finished)
            .finish()
    }
}

impl AacEncoder {
    /// Validates `config` and creates an encoder.
    pub fn new(config: AacEncoderConfig) -> Result<Self, AacEncodeError> {
        config.validate()?;
        let invalid = |op| AacEncodeError::Fdk { op, error: FdkError::InvalidConfig };
        let format = config.format().ok_or(invalid("format"))?;
        let timescale = Timescale::new(config.sample_rate).ok_or(invalid("timescale"))?;
        let mut raw = RawEncoder::open(u32::from(config.channels)).map_err(fdk("aacEncOpen"))?;
        let params = [
            (Param::Aot, u32::from(config.profile.object_type()), "SetParam(AOT)"),
            (Param::SampleRate, config.sample_rate, "SetParam(SAMPLERATE)"),
            (Param::ChannelMode, u32::from(format.channel_config), "SetParam(CHANNELMODE)"),
            (Param::ChannelOrder, 1, "SetParam(CHANNELORDER)"), // WAVE order
            (Param::BitrateMode, 0, "SetParam(BITRATEMODE)"),   // CBR
            (Param::Bitrate, config.bitrate, "SetParam(BITRATE)"),
            (Param::Afterburner, u32::from(config.afterburner), "SetParam(AFTERBURNER)"),
            (Param::Transmux, 0, "SetParam(TRANSMUX)"), // raw access units
            (Param::SignalingMode, 0, "SetParam(SIGNALING_MODE)"),
        ];
        for (param, value, op) in params {
            raw.set_param(param, value).map_err(fdk(op))?;
        }
        raw.initialize().map_err(fdk("initialise"))?;
        let info = raw.info().map_err(fdk("aacEncInfo"))?;
        if info.frame_length as usize != FRAME_SIZE || info.input_channels != u32::from(config.channels) {
            return Err(invalid("aacEncInfo (unexpected frame length or channels)"));
        }
        let asc = info.conf_buf.get(..info.conf_size as usize).unwrap_or_default().to_vec();
        if asc != format.audio_specific_config() {
            return Err(invalid("aacEncInfo (AudioSpecificConfig differs from the configuration)"));
        }
        Ok(AacEncoder {
            raw,
            config,
            format,
            timescale,
            asc,
            delay: info.n_delay,
            out: vec![0; (info.max_out_buf_bytes as usize).max(768 * 8)],
            scratch: Vec::new(),
            packets_out: 0,
            finished: false,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &AacEncoderConfig {
        &self.config
    }

    /// The AudioSpecificConfig (ISO/IEC 14496-3) for MP4's `esds`, as FDK
    /// wrote it: 2 bytes for AAC-LC.
    pub fn audio_specific_config(&self) -> &[u8] {
        &self.asc
    }

    /// Object type, sample rate index and channel configuration, for ADTS
    /// framing with [`AdtsFormat::write_adts_frame`].
    pub fn format(&self) -> AdtsFormat {
        self.format
    }

    /// RFC 6381 codec string, e.g. `mp4a.40.2`.
    pub fn codec_string(&self) -> String {
        self.config.profile.codec_string()
    }

    /// Samples per channel in each packet: 1024.
    pub fn frame_size(&self) -> usize {
        FRAME_SIZE
    }

    /// Priming samples per channel: the decoded stream starts with this many
    /// samples that precede the input. An MP4 edit list (`elst`
    /// `media_time`) or a decoder trims them.
    pub fn encoder_delay(&self) -> u32 {
        self.delay
    }

    /// The bitrate FDK encodes at, in bits per second.
    pub fn bitrate(&self) -> u32 {
        self.raw.get_param(Param::Bitrate)
    }

    /// The audio bandwidth in Hz that FDK chose for this bitrate per
    /// channel: it codes nothing above it (e.g. 15500 for 128 kbit/s
    /// stereo, 17000 for 128 kbit/s mono). A perceptual choice from FDK's
    /// tables, not a fault: content above it is dropped.
    pub fn bandwidth(&self) -> u32 {
        self.raw.get_param(Param::Bandwidth)
    }

    /// Encodes interleaved 16-bit samples (any number of whole sample
    /// frames, including none) and returns the packets completed so far,
    /// in order.
    pub fn encode(&mut self, pcm: &[i16]) -> Result<Vec<AacPacket>, AacEncodeError> {
        self.check_input(pcm.len())?;
        let mut packets = Vec::new();
        let mut rest = pcm;
        loop {
            let step = self.raw.encode(Some(rest), &mut self.out).map_err(fdk("aacEncEncode"))?;
            rest = &rest[step.consumed..];
            if step.written > 0 {
                packets.push(self.packet(step.written));
            } else if step.consumed == 0 {
                // Nothing taken and nothing made: FDK holds less than a frame.
                break;
            }
        }
        if !rest.is_empty() {
            return Err(AacEncodeError::Fdk { op: "aacEncEncode (input not consumed)", error: FdkError::Encode });
        }
        Ok(packets)
    }

    /// Encodes interleaved `f32` samples in [-1, 1]; values beyond are
    /// clipped and NaN reads as silence.
    pub fn encode_f32(&mut self, pcm: &[f32]) -> Result<Vec<AacPacket>, AacEncodeError> {
        self.check_input(pcm.len())?;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        scratch.extend(pcm.iter().map(|&x| f32_to_i16(x)));
        let result = self.encode(&scratch);
        self.scratch = scratch;
        result
    }

    /// Encodes what is buffered, pads with silence until the encoder's
    /// delay is out, and returns the last packets. The stream then holds at
    /// least `encoder_delay + input samples` samples. Later calls to
    /// `encode` fail with [`AacEncodeError::Finished`]; later calls to
    /// `flush` return nothing.
    pub fn flush(&mut self) -> Result<Vec<AacPacket>, AacEncodeError> {
        let mut packets = Vec::new();
        if self.finished {
            return Ok(packets);
        }
        self.finished = true;
        // FDK pads at most its delay plus one frame, one frame per call,
        // then reports the end; the bound only guards against a library
        // that never does.
        let limit = 8 + self.delay as usize / FRAME_SIZE;
        for _ in 0..limit {
            match self.raw.encode(None, &mut self.out) {
                Ok(step) if step.written > 0 => packets.push(self.packet(step.written)),
                Ok(_) => {}
                Err(AACENC_ENCODE_EOF) => return Ok(packets),
                Err(code) => return Err(fdk("aacEncEncode (flush)")(code)),
            }
        }
        Err(AacEncodeError::Fdk { op: "aacEncEncode (flush did not end)", error: FdkError::Encode })
    }

    fn check_input(&self, samples: usize) -> Result<(), AacEncodeError> {
        if self.finished {
            return Err(AacEncodeError::Finished);
        }
        if samples % usize::from(self.config.channels) != 0 {
            return Err(AacEncodeError::InvalidInput { samples, channels: self.config.channels });
        }
        Ok(())
    }

    fn packet(&mut self, len: usize) -> AacPacket {
        let pts = Timestamp::new((self.packets_out * FRAME_SIZE as u64) as i64, self.timescale);
        self.packets_out += 1;
        AacPacket { data: self.out[..len].to_vec(), pts, duration: FRAME_SIZE as u32 }
    }
}

/// `x * 32768`, rounded, saturated to `i16`; NaN is 0.
fn f32_to_i16(x: f32) -> i16 {
    // `as` saturates and maps NaN to 0.
    (x * 32768.0).round() as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field_the_range_and_the_value() {
        let mut c = AacEncoderConfig::new(7000, 2);
        let e = c.validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "sampleRate must be one of 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000, got 7000"
        );
        assert_eq!(e.code(), "invalid-config");
        c.sample_rate = 48_000;
        c.channels = 3;
        assert_eq!(c.validate().unwrap_err().to_string(), "channels must be 1, 2 or 6, got 3");
        c.channels = 2;
        c.bitrate = 1_000_000;
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "bitrate must be between 16000 and 576000 bits/s for 2 channel(s) at 48000 Hz, got 1000000"
        );
        c.bitrate = 15_999;
        assert!(matches!(c.validate(), Err(AacEncodeError::InvalidConfig { field: "bitrate", .. })));
        c.bitrate = 128_000;
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(AacEncoderConfig::new(8000, 1).bitrate_range(), Some((8000, 48_000)));
        assert_eq!(AacEncoderConfig::new(96_000, 1).bitrate_range(), Some((23_250, 576_000)));
        assert_eq!(AacEncoderConfig::new(48_000, 6).bitrate_range(), Some((48_000, 1_440_000)));
        assert!(AacEncoder::new(AacEncoderConfig::new(7350, 1)).is_err(), "ADTS rate that FDK cannot encode");
    }

    #[test]
    fn config_reads_camel_case_json_with_defaults() {
        let c: AacEncoderConfig = serde_json::from_str(r#"{"sampleRate":44100,"channels":1}"#).unwrap();
        assert_eq!(c, AacEncoderConfig::new(44_100, 1));
        let c: AacEncoderConfig = serde_json::from_str(
            r#"{"sampleRate":48000,"channels":2,"bitrate":96000,"profile":"lc","afterburner":false}"#,
        )
        .unwrap();
        assert_eq!((c.bitrate, c.profile, c.afterburner), (96_000, AacProfile::Lc, false));
        assert!(
            serde_json::from_str::<AacEncoderConfig>(r#"{"sampleRate":48000,"channels":2,"profile":"he"}"#).is_err()
        );
        assert!(serde_json::from_str::<AacEncoderConfig>(r#"{"sampleRate":48000,"channels":2,"bitRate":1}"#).is_err());
    }

    #[test]
    fn f32_conversion_saturates() {
        let cases = [(0.0, 0), (1.0, 32767), (-1.0, -32768), (2.5, 32767), (-7.0, -32768), (0.5, 16384), (f32::NAN, 0)];
        for (x, want) in cases {
            assert_eq!(f32_to_i16(x), want, "{x}");
        }
        assert_eq!(f32_to_i16(f32::INFINITY), 32767);
        assert_eq!(f32_to_i16(f32::NEG_INFINITY), -32768);
    }

    #[test]
    fn every_rate_and_layout_opens_at_both_ends_of_the_bitrate_range() {
        for &rate in &ENCODER_SAMPLE_RATES {
            for channels in [1u16, 2, 6] {
                let mut c = AacEncoderConfig::new(rate, channels);
                let (min, max) = c.bitrate_range().unwrap();
                for bitrate in [min, max] {
                    c.bitrate = bitrate;
                    let enc = AacEncoder::new(c.clone())
                        .unwrap_or_else(|e| panic!("{rate} Hz x{channels} at {bitrate}: {e}"));
                    assert_eq!(enc.audio_specific_config(), c.format().unwrap().audio_specific_config().as_slice());
                    assert_eq!(enc.frame_size(), 1024);
                    assert_eq!(enc.bitrate(), bitrate, "{rate} Hz x{channels}: FDK encodes at the bitrate asked for");
                    assert!(
                        (1..=rate / 2).contains(&enc.bandwidth()),
                        "{rate} Hz x{channels} at {bitrate}: {}",
                        enc.bandwidth()
                    );
                }
            }
        }
    }

    #[test]
    fn bad_input_is_an_error_and_leaves_the_encoder_usable() {
        let mut enc = AacEncoder::new(AacEncoderConfig::new(48_000, 2)).unwrap();
        assert_eq!(enc.encode(&[1, 2, 3]), Err(AacEncodeError::InvalidInput { samples: 3, channels: 2 }));
        assert_eq!(enc.encode_f32(&[0.5]).unwrap_err().code(), "invalid-frame");
        assert_eq!(enc.encode(&[]), Ok(vec![]));
        // 1.5 frames in odd-sized pieces: one packet once a frame is complete.
        let pcm: Vec<i16> = (0..1536 * 2).map(|i| ((i * 37) % 2000) as i16 - 1000).collect();
        let mut packets = Vec::new();
        for chunk in pcm.chunks(2 * 301) {
            packets.extend(enc.encode(chunk).unwrap());
        }
        assert_eq!(packets.len(), 1);
        assert_eq!(packets[0].pts, Timestamp::new(0, Timescale::new(48_000).unwrap()));
        let tail = enc.flush().unwrap();
        let total = packets.len() + tail.len();
        let needed = (1536 + enc.encoder_delay() as usize).div_ceil(1024);
        assert!(
            (needed..=needed + 1).contains(&total),
            "{total} packets for 1536 samples + delay {}",
            enc.encoder_delay()
        );
        for (k, p) in packets.iter().chain(&tail).enumerate() {
            assert_eq!(p.pts.ticks, k as i64 * 1024);
            assert!(!p.data.is_empty());
        }
        assert_eq!(enc.encode(&[0, 0]), Err(AacEncodeError::Finished));
        assert_eq!(enc.flush(), Ok(vec![]));
    }
}

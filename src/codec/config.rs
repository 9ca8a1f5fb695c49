//! What a decoder needs to decode a track, per codec ([`CodecConfig`]),
//! and its RFC 6381 codec string. The containers carry these records;
//! each codec's own folder parses and writes them.

use std::fmt;

use super::aac::AudioSpecificConfig;
use super::h264::bitstream::{AvcDecoderConfigurationRecord, BitstreamError};

/// Video or audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackKind {
    /// A video track (H.264).
    Video,
    /// An audio track (AAC, Opus or FLAC).
    Audio,
}

/// Why a codec configuration is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecConfigError {
    /// The `avcC` record does not parse.
    Avc(BitstreamError),
    /// The AAC AudioSpecificConfig is too short or malformed.
    AudioSpecificConfig(&'static str),
    /// A field is out of range (e.g. zero channels).
    Invalid {
        /// Name of the out-of-range field, e.g. `channels`.
        field: &'static str,
        /// The rejected value, as text.
        value: String,
    },
}

impl fmt::Display for CodecConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecConfigError::Avc(e) => write!(f, "bad avcC: {e}"),
            CodecConfigError::AudioSpecificConfig(why) => write!(f, "bad AAC AudioSpecificConfig: {why}"),
            CodecConfigError::Invalid { field, value } => write!(f, "invalid {field}: {value}"),
        }
    }
}

impl std::error::Error for CodecConfigError {}

/// What a decoder needs to decode a track, per codec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecConfig {
    /// H.264: the AVCDecoderConfigurationRecord (`avcC`) and the picture
    /// size in pixels.
    Avc {
        /// The `avcC` record bytes (ISO/IEC 14496-15), SPS and PPS inside.
        avcc: Vec<u8>,
        /// Picture width in pixels (as written to `avc1` and `tkhd`).
        width: u32,
        /// Picture height in pixels.
        height: u32,
    },
    /// AAC: the AudioSpecificConfig (ISO/IEC 14496-3) as carried in `esds`.
    Aac {
        /// The AudioSpecificConfig bytes (usually 2).
        asc: Vec<u8>,
        /// Output sample rate in Hz, e.g. 48000.
        sample_rate: u32,
        /// Number of output channels (1 = mono, 2 = stereo); not 0.
        channels: u16,
    },
    /// Opus: the fields of the `dOps` box (the Ogg Opus ID header without
    /// its magic and version). Opus tracks always run at 48 kHz.
    Opus {
        /// Output channel count; 1 or 2 (channel mapping family 0).
        channels: u8,
        /// Samples to discard from the start of the decoded stream, in
        /// 48 kHz samples (per channel).
        pre_skip: u16,
        /// Sample rate of the original input in Hz, for information only
        /// (decoding is always at 48 kHz).
        input_sample_rate: u32,
        /// Gain to apply on output, in dB as Q7.8 fixed point (256 =
        /// +1 dB); 0 for none.
        output_gain: i16,
    },
    /// FLAC: the metadata blocks as in `dfLa` (STREAMINFO first, each with
    /// its 4-byte block header).
    Flac {
        /// The metadata blocks, STREAMINFO first, each with its 4-byte
        /// header; the last one has the last-block flag set.
        metadata: Vec<u8>,
        /// Sample rate in Hz, as in STREAMINFO.
        sample_rate: u32,
        /// Number of channels, 1 to 8.
        channels: u16,
        /// Bits per sample, as in STREAMINFO (4 to 32; framecast writes 16
        /// or 24).
        bits_per_sample: u16,
    },
}

impl CodecConfig {
    /// Video or audio.
    pub fn kind(&self) -> TrackKind {
        match self {
            CodecConfig::Avc { .. } => TrackKind::Video,
            _ => TrackKind::Audio,
        }
    }

    /// The RFC 6381 codec string, derived from the configuration itself:
    /// `avc1.PPCCLL` from the SPS in `avcC`, `mp4a.40.N` from the AAC
    /// object type, `opus`, `flac`.
    pub fn codec_string(&self) -> Result<String, CodecConfigError> {
        match self {
            CodecConfig::Avc { avcc, .. } => {
                let record = AvcDecoderConfigurationRecord::parse(avcc).map_err(CodecConfigError::Avc)?;
                Ok(record.codec_string())
            }
            CodecConfig::Aac { asc, .. } => Ok(format!("mp4a.40.{}", AudioSpecificConfig::parse(asc)?.object_type)),
            CodecConfig::Opus { .. } => Ok("opus".into()),
            CodecConfig::Flac { .. } => Ok("flac".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aac_codec_strings_come_from_the_object_type() {
        // AAC-LC 48 kHz stereo: 00010 0011 0010 000
        let lc = CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: 48_000, channels: 2 };
        assert_eq!(lc.codec_string().unwrap(), "mp4a.40.2");
        // HE-AAC (SBR, object type 5) and escaped object type 42 (USAC).
        let he = CodecConfig::Aac { asc: vec![0x2b, 0x92], sample_rate: 48_000, channels: 2 };
        assert_eq!(he.codec_string().unwrap(), "mp4a.40.5");
        let usac = CodecConfig::Aac { asc: vec![0xf9, 0x40], sample_rate: 48_000, channels: 2 };
        assert_eq!(usac.codec_string().unwrap(), "mp4a.40.42");
        for bad in [vec![], vec![0x00]] {
            assert!(CodecConfig::Aac { asc: bad, sample_rate: 48_000, channels: 2 }.codec_string().is_err());
        }
    }

    #[test]
    fn kinds() {
        let opus = CodecConfig::Opus { channels: 2, pre_skip: 312, input_sample_rate: 48_000, output_gain: 0 };
        assert_eq!(opus.kind(), TrackKind::Audio);
        assert_eq!(opus.codec_string().unwrap(), "opus");
    }
}

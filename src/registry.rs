//! Encoders by preset, for both flows: live publishing (`crate::publish`)
//! and file transcoding (`crate::transcode`) ask here, so neither imports
//! the other.
//!
//! - [`audio_encoder`]: the encoder an audio preset asks for (AAC, Opus,
//!   FLAC, PCM, MP3 with the `mp3` feature), at the rate and channel count
//!   it gives for an input;
//! - [`default_live_audio`]: the audio settings a live stream gets when its
//!   preset has none.

use std::fmt;

use crate::codec::audio_encode::AudioEncode;
use crate::error::{Coded, ErrorCode};
use crate::preset::{AudioCodec, AudioPreset, Channels, PresetSampleRate};

/// Why a preset's audio section has no encoder here: the field and the
/// reason, for an `invalid-preset` error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderChoiceError {
    /// Path of the preset field at fault: `audio.codecOptions.profile`,
    /// or `audio` when the encoder refused the derived settings.
    pub field: &'static str,
    /// What is wrong, in words (the encoder's message when it refused).
    pub reason: String,
}

impl fmt::Display for EncoderChoiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.reason)
    }
}

impl std::error::Error for EncoderChoiceError {}

impl Coded for EncoderChoiceError {
    /// `invalid-config`, as the live session reports it
    /// (`publish::AudioPipelineError::InvalidConfig`).
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidConfig
    }

    /// The preset field, e.g. `audio.codec`.
    fn field(&self) -> Option<String> {
        Some(self.field.to_string())
    }
}

/// The channel count `preset` asks for, given an input of `input` channels:
/// `"auto"` keeps the input's, at most two.
pub fn output_channels(preset: &AudioPreset, input: u16) -> u16 {
    match preset.channels {
        Channels::Mono => 1,
        Channels::Stereo => 2,
        Channels::Auto => input.clamp(1, 2),
    }
}

/// The audio a preset without audio settings gets when publishing: AAC-LC
/// (plays everywhere), 48 kHz, 128 kbit/s, the microphone's channels (at
/// most two).
pub fn default_live_audio() -> AudioPreset {
    AudioPreset {
        codec: AudioCodec::Aac,
        sample_rate: PresetSampleRate::Hz(48_000),
        bit_rate: Some(128),
        channels: Channels::Auto,
        codec_options: Default::default(),
    }
}

/// The encoder `preset` asks for, for input at `input_rate` Hz with
/// `input_channels` channels:
/// - AAC (FDK AAC, AAC-LC; `"auto"` rate: the input's when FDK encodes it
///   at the bit rate asked, else 48 kHz), Opus (always 48 kHz), FLAC and PCM (16 or 24 bits,
///   `"auto"` rate: the input's), MP3 with the `mp3` cargo feature;
/// - channels `"auto"`: the input's, at most two;
/// - bit rates from `bitRate` (kbit/s), else the codec's default.
///
/// A codec whose cargo feature this build leaves out (`aac`, `opus`,
/// `flac`, `mp3`) is refused with an error on `audio.codec`.
pub fn audio_encoder(
    preset: &AudioPreset,
    input_rate: u32,
    input_channels: u16,
) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    let channels = output_channels(preset, input_channels);
    let rate = |auto: u32| match preset.sample_rate {
        PresetSampleRate::Hz(hz) => hz,
        PresetSampleRate::Auto => auto,
    };
    match preset.codec {
        AudioCodec::Aac => aac_encoder(preset, input_rate, channels),
        AudioCodec::Opus => opus_encoder(preset, channels),
        AudioCodec::Flac => flac_encoder(preset, rate(input_rate), channels),
        AudioCodec::Pcm => pcm_encoder(preset, rate(input_rate), channels),
        AudioCodec::Mp3 => mp3_encoder(preset, rate(input_rate), channels),
    }
}

/// An error on `field` (`audio`: the encoder refused the settings).
fn invalid(field: &'static str, reason: impl fmt::Display) -> EncoderChoiceError {
    EncoderChoiceError { field, reason: reason.to_string() }
}

/// The refusal of a codec whose cargo feature this build leaves out.
#[cfg(not(all(feature = "aac", feature = "opus", feature = "flac")))]
fn not_built(codec: &str, feature: &str) -> EncoderChoiceError {
    invalid("audio.codec", format!("{codec} needs framecast built with the `{feature}` cargo feature"))
}

/// The 16 or 24 bits a lossless preset asks for (default 16).
fn bit_depth(preset: &AudioPreset) -> u32 {
    preset.codec_options.bit_depth.unwrap_or(16)
}

#[cfg(feature = "aac")]
fn aac_encoder(
    preset: &AudioPreset,
    input_rate: u32,
    channels: u16,
) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    use crate::codec::aac::{AacEncoder, AacEncoderConfig, ENCODER_SAMPLE_RATES};
    use crate::preset::PresetAacProfile;
    if let Some(p @ (PresetAacProfile::HeAac | PresetAacProfile::HeAacV2)) = preset.codec_options.profile {
        return Err(invalid(
            "audio.codecOptions.profile",
            format!("must be AAC-LC or auto: this build's FDK AAC encodes AAC-LC only, got {p:?}"),
        ));
    }
    let config_at = |rate: u32| {
        let mut config = AacEncoderConfig::new(rate, channels);
        if let Some(kbps) = preset.bit_rate {
            config.bitrate = kbps.saturating_mul(1000);
        }
        config
    };
    // "auto": the input's rate when FDK encodes it at the bit rate asked
    // (low rates cap the bit rate), else 48 kHz.
    let auto = if ENCODER_SAMPLE_RATES.contains(&input_rate) && config_at(input_rate).validate().is_ok() {
        input_rate
    } else {
        48_000
    };
    let rate = match preset.sample_rate {
        PresetSampleRate::Hz(hz) => hz,
        PresetSampleRate::Auto => auto,
    };
    Ok(Box::new(AacEncoder::new(config_at(rate)).map_err(|e| invalid("audio", e))?))
}

#[cfg(not(feature = "aac"))]
fn aac_encoder(_: &AudioPreset, _: u32, _: u16) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    Err(not_built("AAC", "aac"))
}

#[cfg(feature = "opus")]
fn opus_encoder(preset: &AudioPreset, channels: u16) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    use crate::codec::opus::{OpusEncoder, OpusEncoderConfig};
    let mut config = OpusEncoderConfig::new(48_000, channels as u8);
    if let Some(kbps) = preset.bit_rate {
        config.bitrate = kbps.saturating_mul(1000);
    }
    Ok(Box::new(OpusEncoder::new(config).map_err(|e| invalid("audio", e))?))
}

#[cfg(not(feature = "opus"))]
fn opus_encoder(_: &AudioPreset, _: u16) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    Err(not_built("Opus", "opus"))
}

#[cfg(feature = "flac")]
fn flac_encoder(preset: &AudioPreset, rate: u32, channels: u16) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    use crate::codec::flac::{FlacEncoder, FlacEncoderConfig};
    let mut config = FlacEncoderConfig::new(rate, channels as u8);
    config.bits_per_sample = bit_depth(preset) as u8;
    Ok(Box::new(FlacEncoder::new(config).map_err(|e| invalid("audio", e))?))
}

#[cfg(not(feature = "flac"))]
fn flac_encoder(_: &AudioPreset, _: u32, _: u16) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    Err(not_built("FLAC", "flac"))
}

fn pcm_encoder(preset: &AudioPreset, rate: u32, channels: u16) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    use crate::audio::ChannelLayout;
    use crate::codec::pcm::PcmEncoder;
    let layout = ChannelLayout::for_count(usize::from(channels)).unwrap_or(ChannelLayout::Stereo);
    Ok(Box::new(PcmEncoder::new(rate, layout, bit_depth(preset) as u16).map_err(|e| invalid("audio", e))?))
}

#[cfg(feature = "mp3")]
fn mp3_encoder(preset: &AudioPreset, rate: u32, channels: u16) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    use crate::codec::mp3::{Mp3Encoder, Mp3EncoderConfig};
    let mut config = Mp3EncoderConfig::new(rate, channels as u8);
    if let Some(kbps) = preset.bit_rate {
        config.bitrate = kbps.saturating_mul(1000);
    }
    Ok(Box::new(Mp3Encoder::new(config).map_err(|e| invalid("audio", e))?))
}

#[cfg(not(feature = "mp3"))]
fn mp3_encoder(_: &AudioPreset, _: u32, _: u16) -> Result<Box<dyn AudioEncode>, EncoderChoiceError> {
    let reason =
        "mp3 needs framecast built with the `mp3` cargo feature (off by default; see the README on its licence)";
    Err(invalid("audio.codec", reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_audio_presets_survive_json_as_a_separate_encoder_module_reads_them() {
        let opus = AudioPreset {
            codec: AudioCodec::Opus,
            sample_rate: PresetSampleRate::Hz(48_000),
            bit_rate: Some(64),
            channels: Channels::Stereo,
            codec_options: Default::default(),
        };
        for preset in [default_live_audio(), opus] {
            let json = serde_json::to_value(&preset).unwrap();
            assert_eq!(serde_json::from_value::<AudioPreset>(json).unwrap(), preset);
        }
    }

    #[test]
    fn encoder_choice_errors_are_invalid_config_on_their_field() {
        let e = invalid("audio.codec", "no");
        assert_eq!(
            (e.code(), e.field().as_deref(), e.to_string().as_str()),
            (ErrorCode::InvalidConfig, Some("audio.codec"), "audio.codec no")
        );
    }
}

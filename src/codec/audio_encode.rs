//! One interface over the audio encoders, for the live pipeline
//! (`publish::AudioPipeline`) and file transcoding (`transcode`):
//! interleaved `f32` PCM in, packets out; and the configuration records
//! that carry an encoder's [`CodecConfig`] between wasm modules
//! ([`config_record`], [`config_from_record`]).

use std::fmt;

use crate::audio::ChannelLayout;
use crate::codec::aac::AudioSpecificConfig;
use crate::codec::opus::OpusHead;
use crate::codec::{CodecConfig, CodecConfigError};

/// One encoded audio frame: its bytes as MP4 stores them and its duration
/// in samples at the encoder's rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPacket {
    /// The encoded frame as MP4 stores it (no ADTS or Ogg framing).
    pub data: Vec<u8>,
    /// Duration in samples per channel, at the encoder's sample rate.
    pub duration: u32,
}

/// An encoder failure, with the codec's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioEncodeFailure {
    /// Name of the codec that failed, e.g. `"PCM"`.
    pub codec: &'static str,
    /// The codec's own error message.
    pub message: String,
}

impl fmt::Display for AudioEncodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} encoder: {}", self.codec, self.message)
    }
}

impl std::error::Error for AudioEncodeFailure {}

/// What the pipelines need from an audio encoder.
pub trait AudioEncode: fmt::Debug {
    /// The codec's name in messages ("AAC", "Opus", ...).
    fn codec_name(&self) -> &'static str;
    /// The MP4 sample entry (for init segments and `moov`); `None` for a
    /// codec framecast only writes as its own stream (MP3, PCM). FLAC's
    /// metadata in it is final after [`Self::flush`].
    fn codec_config(&self) -> Option<CodecConfig>;
    /// For uncompressed PCM, the bits of each little-endian signed integer
    /// sample of its packets (16 or 24), which a WAV header states; `None`
    /// (the default) for compressed codecs.
    fn pcm_bits(&self) -> Option<u16> {
        None
    }
    /// Samples per second per channel of its input and output.
    fn sample_rate(&self) -> u32;
    /// Input channel layout (interleaved).
    fn layout(&self) -> ChannelLayout;
    /// Priming samples at the start of its decoded output.
    fn delay(&self) -> u32;
    /// Encodes interleaved PCM of any length (it buffers partial frames).
    fn encode(&mut self, pcm: &[f32]) -> Result<Vec<AudioPacket>, AudioEncodeFailure>;
    /// Encodes what is buffered (padding the last frame) and ends the
    /// stream.
    fn flush(&mut self) -> Result<Vec<AudioPacket>, AudioEncodeFailure>;
}

/// The configuration record of an audio track, as bytes another module
/// reads back with [`config_from_record`]: AAC's AudioSpecificConfig, Opus'
/// Ogg `OpusHead` packet (19 bytes). `None` for other codecs.
pub fn config_record(config: &CodecConfig) -> Option<Vec<u8>> {
    match config {
        CodecConfig::Aac { asc, .. } => Some(asc.clone()),
        CodecConfig::Opus { .. } => OpusHead::from_codec_config(config).map(|h| h.to_bytes()),
        _ => None,
    }
}

/// The track configuration from an encoder's codec name
/// ([`AudioEncode::codec_name`]: `"AAC"` or `"Opus"`) and its
/// [`config_record`], read by the codec's own parser; with the name as a
/// `'static` string. AAC's rate and channels come from the record.
pub fn config_from_record(codec: &str, record: &[u8]) -> Result<(&'static str, CodecConfig), CodecConfigError> {
    match codec {
        "AAC" => {
            let asc = AudioSpecificConfig::parse(record)?;
            let (Some(sample_rate), Some(channels)) = (asc.sample_rate, asc.channels) else {
                return Err(CodecConfigError::AudioSpecificConfig("no sample rate or channel configuration"));
            };
            Ok(("AAC", CodecConfig::Aac { asc: record.to_vec(), sample_rate, channels }))
        }
        "Opus" => match OpusHead::parse(record) {
            Ok((head, 0)) => Ok(("Opus", head.codec_config())),
            Ok((_, family)) => {
                Err(CodecConfigError::Invalid { field: "OpusHead channel mapping family", value: family.to_string() })
            }
            Err(e) => Err(CodecConfigError::Invalid { field: "OpusHead", value: e.to_string() }),
        },
        other => Err(CodecConfigError::Invalid { field: "codec", value: other.to_string() }),
    }
}

/// An encoder's result as [`AudioPacket`]s; `parts` gives a packet's bytes
/// and duration.
#[cfg(any(feature = "opus", feature = "aac", feature = "flac", feature = "mp3"))]
fn packets<P, E: fmt::Display>(
    codec: &'static str,
    result: Result<Vec<P>, E>,
    parts: impl Fn(P) -> (Vec<u8>, u32),
) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
    match result {
        Ok(list) => Ok(list.into_iter().map(parts).map(|(data, duration)| AudioPacket { data, duration }).collect()),
        Err(e) => Err(AudioEncodeFailure { codec, message: e.to_string() }),
    }
}

/// A layout for `channels`, as the encoders number them.
#[cfg(any(feature = "opus", feature = "aac", feature = "flac", feature = "mp3"))]
fn layout_of(channels: u16) -> ChannelLayout {
    ChannelLayout::for_count(usize::from(channels)).unwrap_or(ChannelLayout::Discrete(channels))
}

#[cfg(feature = "opus")]
impl AudioEncode for super::opus::OpusEncoder {
    fn codec_name(&self) -> &'static str {
        "Opus"
    }
    fn codec_config(&self) -> Option<CodecConfig> {
        Some(self.head().codec_config())
    }
    fn sample_rate(&self) -> u32 {
        self.config().sample_rate
    }
    fn layout(&self) -> ChannelLayout {
        layout_of(u16::from(self.config().channels))
    }
    fn delay(&self) -> u32 {
        // In 48 kHz ticks; the pipelines feed Opus at 48 kHz.
        u32::from(self.pre_skip())
    }
    fn encode(&mut self, pcm: &[f32]) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        packets("Opus", super::opus::OpusEncoder::encode(self, pcm), |p| (p.data, p.duration))
    }
    fn flush(&mut self) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        packets("Opus", super::opus::OpusEncoder::flush(self).map(|end| end.packets), |p| (p.data, p.duration))
    }
}

#[cfg(feature = "aac")]
impl AudioEncode for super::aac::AacEncoder {
    fn codec_name(&self) -> &'static str {
        "AAC"
    }
    fn codec_config(&self) -> Option<CodecConfig> {
        let c = self.config();
        Some(CodecConfig::Aac {
            asc: self.audio_specific_config().to_vec(),
            sample_rate: c.sample_rate,
            channels: c.channels,
        })
    }
    fn sample_rate(&self) -> u32 {
        self.config().sample_rate
    }
    fn layout(&self) -> ChannelLayout {
        layout_of(self.config().channels)
    }
    fn delay(&self) -> u32 {
        self.encoder_delay()
    }
    fn encode(&mut self, pcm: &[f32]) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        packets("AAC", self.encode_f32(pcm), |p| (p.data, p.duration))
    }
    fn flush(&mut self) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        packets("AAC", super::aac::AacEncoder::flush(self), |p| (p.data, p.duration))
    }
}

#[cfg(feature = "flac")]
impl AudioEncode for super::flac::FlacEncoder {
    fn codec_name(&self) -> &'static str {
        "FLAC"
    }
    fn codec_config(&self) -> Option<CodecConfig> {
        Some(super::flac::FlacEncoder::codec_config(self))
    }
    fn sample_rate(&self) -> u32 {
        self.config().sample_rate
    }
    fn layout(&self) -> ChannelLayout {
        layout_of(u16::from(self.config().channels))
    }
    fn delay(&self) -> u32 {
        0
    }
    fn encode(&mut self, pcm: &[f32]) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        packets("FLAC", self.encode_f32(pcm), |f| (f.data, f.duration))
    }
    fn flush(&mut self) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        packets("FLAC", self.finish(), |f| (f.data, f.duration))
    }
}

#[cfg(feature = "mp3")]
impl AudioEncode for super::mp3::Mp3Encoder {
    fn codec_name(&self) -> &'static str {
        "MP3"
    }
    fn codec_config(&self) -> Option<CodecConfig> {
        None
    }
    fn sample_rate(&self) -> u32 {
        self.config().sample_rate
    }
    fn layout(&self) -> ChannelLayout {
        layout_of(u16::from(self.config().channels))
    }
    fn delay(&self) -> u32 {
        self.encoder_delay()
    }
    fn encode(&mut self, pcm: &[f32]) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        packets("MP3", self.encode_f32(pcm), |f| (f.data, f.duration))
    }
    fn flush(&mut self) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        packets("MP3", super::mp3::Mp3Encoder::flush(self), |f| (f.data, f.duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_records_round_trip_through_their_parsers() {
        let aac = CodecConfig::Aac { asc: vec![0x11, 0x88], sample_rate: 48_000, channels: 1 };
        let record = config_record(&aac).unwrap();
        assert_eq!(config_from_record("AAC", &record).unwrap(), ("AAC", aac));
        let opus = CodecConfig::Opus { channels: 2, pre_skip: 312, input_sample_rate: 48_000, output_gain: 0 };
        let record = config_record(&opus).unwrap();
        assert_eq!(record.len(), 19);
        assert_eq!(config_from_record("Opus", &record).unwrap(), ("Opus", opus));
        let flac = CodecConfig::Flac { metadata: vec![], sample_rate: 48_000, channels: 2, bits_per_sample: 16 };
        assert_eq!(config_record(&flac), None);
    }

    #[test]
    fn bad_config_records_are_refused() {
        assert!(matches!(config_from_record("AAC", &[]), Err(CodecConfigError::AudioSpecificConfig(_))));
        // Object type 2, sampling frequency index 15 with no explicit rate.
        assert!(config_from_record("AAC", &[0x17, 0x80]).is_err());
        assert!(matches!(
            config_from_record("Opus", b"OpusTags"),
            Err(CodecConfigError::Invalid { field: "OpusHead", .. })
        ));
        let mut head = OpusHead { channels: 2, pre_skip: 312, input_sample_rate: 48_000, output_gain: 0 }.to_bytes();
        head[18] = 1;
        assert!(config_from_record("Opus", &head).is_err());
        assert!(matches!(config_from_record("MP3", &[1]), Err(CodecConfigError::Invalid { field: "codec", .. })));
    }
}

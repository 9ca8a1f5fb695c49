//! Uncompressed PCM: [`PcmEncoder`] turns `f32` samples into
//! little-endian signed 16- or 24-bit integers (rounded, clipped, NaN as
//! 0). The WAV file around them is `mux::wav`'s.

use std::fmt;

use super::audio_encode::{AudioEncode, AudioEncodeFailure, AudioPacket};
use crate::audio::ChannelLayout;
use crate::codec::CodecConfig;

/// A PCM "encoder": quantizes interleaved `f32` to little-endian integers.
#[derive(Debug, Clone)]
pub struct PcmEncoder {
    sample_rate: u32,
    layout: ChannelLayout,
    bits: u16,
    /// Whether the stream has ended.
    flushed: bool,
}

/// Why a PCM format cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcmFormatError(pub String);

impl fmt::Display for PcmFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PcmEncoder {
    /// `bits` 16 or 24.
    pub fn new(sample_rate: u32, layout: ChannelLayout, bits: u16) -> Result<Self, PcmFormatError> {
        if bits != 16 && bits != 24 {
            return Err(PcmFormatError(format!("bits per sample must be 16 or 24, got {bits}")));
        }
        if sample_rate == 0 {
            return Err(PcmFormatError("the sample rate must be positive".into()));
        }
        Ok(PcmEncoder { sample_rate, layout, bits, flushed: false })
    }

    /// Bits per sample.
    pub fn bits(&self) -> u16 {
        self.bits
    }
}

impl AudioEncode for PcmEncoder {
    fn codec_name(&self) -> &'static str {
        if self.bits == 24 {
            "pcm_s24le"
        } else {
            "pcm_s16le"
        }
    }
    fn pcm_bits(&self) -> Option<u16> {
        Some(self.bits)
    }
    fn codec_config(&self) -> Option<CodecConfig> {
        None
    }
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }
    fn layout(&self) -> ChannelLayout {
        self.layout
    }
    fn delay(&self) -> u32 {
        0
    }
    fn encode(&mut self, pcm: &[f32]) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        let channels = self.layout.channels();
        if pcm.len() % channels != 0 {
            let message = format!("{} samples are not whole frames of {channels} channels", pcm.len());
            return Err(AudioEncodeFailure { codec: "PCM", message });
        }
        if self.flushed {
            return Err(AudioEncodeFailure { codec: "PCM", message: "the stream has ended".into() });
        }
        if pcm.is_empty() {
            return Ok(Vec::new());
        }
        let bytes = usize::from(self.bits / 8);
        let scale = f64::from(1u32 << (self.bits - 1));
        let mut data = Vec::with_capacity(pcm.len() * bytes);
        for &x in pcm {
            let v = if x.is_nan() { 0 } else { (f64::from(x) * scale).round().clamp(-scale, scale - 1.0) as i32 };
            data.extend_from_slice(&v.to_le_bytes()[..bytes]);
        }
        let frames = pcm.len() / channels;
        Ok(vec![AudioPacket { data, duration: frames as u32 }])
    }
    fn flush(&mut self) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        self.flushed = true;
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples() {
        let mut enc = PcmEncoder::new(44_100, ChannelLayout::Stereo, 16).unwrap();
        let p = enc.encode(&[0.0, 1.0, -1.0, 0.5, f32::NAN, -2.0]).unwrap();
        assert_eq!(p[0].duration, 3);
        assert_eq!(p[0].data, [0, 0, 0xFF, 0x7F, 0, 0x80, 0, 0x40, 0, 0, 0, 0x80]);
        assert!(enc.encode(&[0.0]).is_err());
        assert_eq!(enc.codec_name(), "pcm_s16le");
        assert_eq!(enc.pcm_bits(), Some(16));
        enc.flush().unwrap();
        assert!(enc.encode(&[0.0, 0.0]).is_err());
        let mut e24 = PcmEncoder::new(48_000, ChannelLayout::Mono, 24).unwrap();
        assert_eq!(e24.encode(&[0.5]).unwrap()[0].data, [0, 0, 0x40]);
        assert!(PcmEncoder::new(48_000, ChannelLayout::Mono, 20).is_err());
    }
}

//! Uncompressed PCM and its RIFF WAVE file header, the `wav` container.
//!
//! [`PcmEncoder`] turns `f32` samples into little-endian signed 16- or
//! 24-bit integers (rounded, clipped, NaN as 0); [`wav_header`] is the
//! canonical header: `WAVE_FORMAT_PCM` up to two channels,
//! `WAVE_FORMAT_EXTENSIBLE` with a channel mask above.

use std::fmt;

use super::audio_encode::{AudioEncode, AudioEncodeFailure, AudioPacket};
use crate::audio::ChannelLayout;
use crate::codec::CodecConfig;

/// Sizes of a stream whose length is not known yet (the RIFF and `data`
/// sizes of a header written before the samples); ffmpeg and browsers
/// then read to the end of the file.
pub const UNKNOWN_SIZE: u32 = u32::MAX;

/// A PCM "encoder": quantizes interleaved `f32` to little-endian integers.
#[derive(Debug, Clone)]
pub struct PcmEncoder {
    sample_rate: u32,
    layout: ChannelLayout,
    bits: u16,
    /// Samples per channel encoded, and whether the stream has ended.
    frames: u64,
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
        Ok(PcmEncoder { sample_rate, layout, bits, frames: 0, flushed: false })
    }

    /// Bits per sample.
    pub fn bits(&self) -> u16 {
        self.bits
    }

    /// The file header for `frames` samples per channel (`None`: not known
    /// yet, [`UNKNOWN_SIZE`]).
    pub fn header(&self, frames: Option<u64>) -> Vec<u8> {
        wav_header(self.sample_rate, self.layout.channels() as u16, self.bits, frames)
    }
}

/// A canonical WAVE header (44 bytes, or 68 with `WAVE_FORMAT_EXTENSIBLE`
/// for more than two channels). Sizes beyond 4 GiB, or unknown, are
/// written as [`UNKNOWN_SIZE`].
pub fn wav_header(sample_rate: u32, channels: u16, bits: u16, frames: Option<u64>) -> Vec<u8> {
    let block = u32::from(channels) * u32::from(bits / 8);
    let extensible = channels > 2;
    let fmt_len: u32 = if extensible { 40 } else { 16 };
    let header_len = 12 + 8 + fmt_len + 8;
    let data = frames
        .and_then(|f| u32::try_from(f.saturating_mul(u64::from(block))).ok())
        .filter(|&d| d <= u32::MAX - header_len);
    let mut h = Vec::with_capacity(header_len as usize);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&data.map_or(UNKNOWN_SIZE, |d| d + header_len - 8).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&fmt_len.to_le_bytes());
    h.extend_from_slice(&(if extensible { 0xFFFEu16 } else { 1 }).to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&sample_rate.to_le_bytes());
    h.extend_from_slice(&(sample_rate.saturating_mul(block)).to_le_bytes());
    h.extend_from_slice(&(block as u16).to_le_bytes());
    h.extend_from_slice(&bits.to_le_bytes());
    if extensible {
        h.extend_from_slice(&22u16.to_le_bytes());
        h.extend_from_slice(&bits.to_le_bytes()); // valid bits
                                                  // Channel mask: the first `channels` speaker positions (FL FR FC
                                                  // LFE BL BR ...), the order framecast's layouts use.
        h.extend_from_slice(&((1u32 << channels.min(18)) - 1).to_le_bytes());
        // KSDATAFORMAT_SUBTYPE_PCM.
        h.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
    }
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data.unwrap_or(UNKNOWN_SIZE).to_le_bytes());
    h
}

impl AudioEncode for PcmEncoder {
    fn codec_name(&self) -> &'static str {
        if self.bits == 24 {
            "pcm_s24le"
        } else {
            "pcm_s16le"
        }
    }
    /// The WAV header: sizes unknown until [`AudioEncode::flush`], then
    /// those of everything encoded.
    fn stream_header(&self) -> Option<Vec<u8>> {
        Some(self.header(self.flushed.then_some(self.frames)))
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
        self.frames += frames as u64;
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
    fn header_fields_and_samples() {
        let mut enc = PcmEncoder::new(44_100, ChannelLayout::Stereo, 16).unwrap();
        let h = enc.header(Some(3));
        assert_eq!(h.len(), 44);
        assert_eq!(&h[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(h[4..8].try_into().unwrap()), 36 + 12);
        assert_eq!(u32::from_le_bytes(h[24..28].try_into().unwrap()), 44_100);
        assert_eq!(u32::from_le_bytes(h[28..32].try_into().unwrap()), 44_100 * 4);
        assert_eq!(u32::from_le_bytes(h[40..44].try_into().unwrap()), 12);
        assert_eq!(u32::from_le_bytes(enc.header(None)[40..44].try_into().unwrap()), UNKNOWN_SIZE);
        let p = enc.encode(&[0.0, 1.0, -1.0, 0.5, f32::NAN, -2.0]).unwrap();
        assert_eq!(p[0].duration, 3);
        assert_eq!(p[0].data, [0, 0, 0xFF, 0x7F, 0, 0x80, 0, 0x40, 0, 0, 0, 0x80]);
        assert!(enc.encode(&[0.0]).is_err());
        assert_eq!(enc.codec_name(), "pcm_s16le");
        assert_eq!(u32::from_le_bytes(enc.stream_header().unwrap()[40..44].try_into().unwrap()), UNKNOWN_SIZE);
        enc.flush().unwrap();
        assert_eq!(u32::from_le_bytes(enc.stream_header().unwrap()[40..44].try_into().unwrap()), 12);
        assert!(enc.encode(&[0.0, 0.0]).is_err());
        let mut e24 = PcmEncoder::new(48_000, ChannelLayout::Mono, 24).unwrap();
        assert_eq!(e24.encode(&[0.5]).unwrap()[0].data, [0, 0, 0x40]);
        assert!(PcmEncoder::new(48_000, ChannelLayout::Mono, 20).is_err());
        let six = wav_header(48_000, 6, 24, Some(1));
        assert_eq!((six.len(), u16::from_le_bytes([six[20], six[21]])), (68, 0xFFFE));
    }
}

//! The AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) that MP4 carries in
//! `esds`, and the one table of sampling frequencies. The 2-byte form of an
//! ADTS stream's format is written by
//! [`AdtsFormat::audio_specific_config`](super::AdtsFormat::audio_specific_config).

use crate::codec::bits::BitReader;
use crate::codec::CodecConfigError;

/// Sampling frequencies by `sampling_frequency_index` (ISO/IEC 14496-3).
pub const SAMPLE_RATES: [u32; 13] =
    [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/// What an AudioSpecificConfig says about its stream. Only the object type
/// is required; the rest is read as far as the config says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioSpecificConfig {
    /// The audio object type (2 for AAC-LC, 5 SBR, 29 PS, 42 USAC, ...),
    /// the escape value 31 resolved (5 bits, or 6 more after it).
    pub object_type: u8,
    /// The decoder's output rate in Hz: for explicitly signalled SBR or PS
    /// (object type 5 or 29) the extension's rate, else the core's. `None`
    /// when the config does not say (a reserved index, an explicit 0) or
    /// ends before its rate and channel fields are complete.
    pub sample_rate: Option<u32>,
    /// Channels from the channel configuration (1 to 6; 7 means 8). `None`
    /// for configuration 0 (a program config element), reserved values, or
    /// a config that ends before its rate and channel fields are complete.
    pub channels: Option<u16>,
}

impl AudioSpecificConfig {
    /// Reads `asc`. Fails only when the object type cannot be read: empty
    /// input, the reserved object type 0, or an escape cut short. HE-AAC
    /// with implicit SBR signals only its core rate here.
    pub fn parse(asc: &[u8]) -> Result<Self, CodecConfigError> {
        let mut r = BitReader::new(asc);
        let aot = r.read_bits(5).map_err(|_| CodecConfigError::AudioSpecificConfig("empty"))?;
        let object_type = match aot {
            0 => return Err(CodecConfigError::AudioSpecificConfig("object type 0 is reserved")),
            31 => {
                let escaped = r
                    .read_bits(6)
                    .map_err(|_| CodecConfigError::AudioSpecificConfig("truncated escaped object type"))?;
                32 + escaped as u8
            }
            n => n as u8,
        };
        let (sample_rate, channels) = rate_and_channels(&mut r, object_type).unwrap_or((None, None));
        Ok(AudioSpecificConfig { object_type, sample_rate, channels })
    }
}

/// The fields after the object type; `None` when the config ends first.
fn rate_and_channels(r: &mut BitReader<'_>, object_type: u8) -> Option<(Option<u32>, Option<u16>)> {
    let mut sample_rate = sampling_frequency(r)?;
    let channels = match r.read_bits(4).ok()? {
        c @ 1..=6 => Some(c as u16),
        7 => Some(8),
        _ => None,
    };
    if object_type == 5 || object_type == 29 {
        sample_rate = sampling_frequency(r)?;
    }
    Some((sample_rate, channels))
}

/// `samplingFrequencyIndex` and, for index 15, the explicit 24-bit
/// `samplingFrequency`; `Some(None)` for a reserved index or 0 Hz.
fn sampling_frequency(r: &mut BitReader<'_>) -> Option<Option<u32>> {
    let index = r.read_bits(4).ok()?;
    let rate = if index == 15 { r.read_bits(24).ok()? } else { SAMPLE_RATES.get(index as usize).copied().unwrap_or(0) };
    Some(Some(rate).filter(|&r| r != 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::aac::AdtsFormat;

    fn object_type(asc: &[u8]) -> Result<u8, CodecConfigError> {
        AudioSpecificConfig::parse(asc).map(|c| c.object_type)
    }

    fn rate_and_channels(asc: &[u8]) -> (Option<u32>, Option<u16>) {
        AudioSpecificConfig::parse(asc).map(|c| (c.sample_rate, c.channels)).unwrap_or((None, None))
    }

    #[test]
    fn object_types() {
        // AAC-LC 48 kHz stereo: 00010 0011 0010 000
        assert_eq!(object_type(&[0x11, 0x90]).unwrap(), 2);
        // HE-AAC (SBR, object type 5).
        assert_eq!(object_type(&[0x2b, 0x92]).unwrap(), 5);
        // Escaped object type 42 (USAC): 11111 001010 ...
        assert_eq!(object_type(&[0xf9, 0x40]).unwrap(), 42);
        assert!(object_type(&[]).is_err());
        assert!(object_type(&[0x00]).is_err());
        assert_eq!(object_type(&[0xf8]), Err(CodecConfigError::AudioSpecificConfig("truncated escaped object type")));
    }

    #[test]
    fn rates_and_channels() {
        // AAC-LC 48 kHz stereo.
        assert_eq!(rate_and_channels(&[0x11, 0x90]), (Some(48000), Some(2)));
        // AAC-LC 44.1 kHz mono.
        assert_eq!(rate_and_channels(&[0x12, 0x08]), (Some(44100), Some(1)));
        // HE-AAC, explicit: core 24 kHz stereo, extension 48 kHz.
        assert_eq!(rate_and_channels(&[0x2b, 0x11, 0x88]), (Some(48000), Some(2)));
        // Truncated.
        assert_eq!(rate_and_channels(&[0x11]), (None, None));
        assert_eq!(rate_and_channels(&[]), (None, None));
        // Explicit rate (index 15): 00010 1111 0000 0000 1010 1100 0100 0100 0010 000 = 44 100 Hz, stereo.
        assert_eq!(rate_and_channels(&[0x17, 0x80, 0x56, 0x22, 0x10]), (Some(44100), Some(2)));
        // Reserved index 13, channel configuration 0 (a program config element).
        assert_eq!(rate_and_channels(&[0x16, 0x80]), (None, None));
    }

    #[test]
    fn the_adts_writer_round_trips() {
        for (index, rate) in SAMPLE_RATES.iter().enumerate() {
            for channel_config in 1..=7u8 {
                let format = AdtsFormat { object_type: 2, sample_rate_index: index as u8, channel_config };
                let asc = AudioSpecificConfig::parse(&format.audio_specific_config()).unwrap();
                assert_eq!(
                    (asc.object_type, asc.sample_rate, asc.channels),
                    (2, Some(*rate), Some(format.channels())),
                    "{format:?}"
                );
            }
        }
    }
}

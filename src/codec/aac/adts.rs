//! ADTS framing (ISO/IEC 13818-7 / 14496-3 Annex 1.A): raw AAC frames
//! with a 7-byte header each, and the 2-byte AudioSpecificConfig of their
//! format.

use std::fmt;

use super::config::SAMPLE_RATES;

/// Why an ADTS stream cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdtsError {
    /// No 0xFFF syncword where a frame header should start.
    NoSync {
        /// Byte offset in the input where a frame header was expected.
        offset: usize,
    },
    /// The stream ends inside a header or a frame.
    Truncated {
        /// Byte offset in the input of the truncated frame's header.
        offset: usize,
    },
    /// A header field holds a value ADTS does not allow.
    Invalid {
        /// Byte offset of the frame header (in the input when reading, in
        /// the output buffer when writing).
        offset: usize,
        /// The ADTS header field, e.g. `sampling_frequency_index`.
        field: &'static str,
        /// The value it holds (or would hold).
        value: u32,
    },
    /// A frame's format differs from the first frame's (object type,
    /// sample rate or channels).
    FormatChange {
        /// Byte offset in the input of the first frame whose format differs.
        offset: usize,
    },
    /// No frames at all.
    Empty,
}

impl fmt::Display for AdtsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdtsError::NoSync { offset } => write!(f, "no ADTS syncword at byte {offset}"),
            AdtsError::Truncated { offset } => write!(f, "ADTS stream truncated in the frame at byte {offset}"),
            AdtsError::Invalid { offset, field, value } => {
                write!(f, "invalid ADTS {field} {value} in the frame at byte {offset}")
            }
            AdtsError::FormatChange { offset } => write!(f, "ADTS format changes at byte {offset}"),
            AdtsError::Empty => write!(f, "no ADTS frames"),
        }
    }
}

impl std::error::Error for AdtsError {}

/// The format shared by every frame of an ADTS stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdtsFormat {
    /// Audio object type (2 for AAC-LC).
    pub object_type: u8,
    /// Index into [`SAMPLE_RATES`].
    pub sample_rate_index: u8,
    /// Channel configuration (1 mono, 2 stereo, ... 7 for 7.1).
    pub channel_config: u8,
}

impl AdtsFormat {
    /// Samples per second.
    pub fn sample_rate(&self) -> u32 {
        SAMPLE_RATES[self.sample_rate_index as usize]
    }

    /// Channel count (channel configuration 7 is 8 channels).
    pub fn channels(&self) -> u16 {
        if self.channel_config == 7 {
            8
        } else {
            self.channel_config as u16
        }
    }

    /// The 2-byte AudioSpecificConfig for `esds`.
    pub fn audio_specific_config(&self) -> Vec<u8> {
        let v = (u16::from(self.object_type) << 11)
            | (u16::from(self.sample_rate_index) << 7)
            | (u16::from(self.channel_config) << 3);
        v.to_be_bytes().to_vec()
    }

    /// Appends one ADTS frame to `out`: a 7-byte header (MPEG-4, no CRC,
    /// one raw data block, buffer fullness 0x7FF "variable") and `payload`,
    /// one raw AAC access unit. Fails, writing nothing, when the format or
    /// the frame length does not fit ADTS's fields.
    pub fn write_adts_frame(&self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), AdtsError> {
        let offset = out.len();
        let invalid = |field, value| AdtsError::Invalid { offset, field, value };
        if !(1..=4).contains(&self.object_type) {
            return Err(invalid("profile (audio object type 1..4)", self.object_type.into()));
        }
        if usize::from(self.sample_rate_index) >= SAMPLE_RATES.len() {
            return Err(invalid("sampling_frequency_index", self.sample_rate_index.into()));
        }
        if !(1..=7).contains(&self.channel_config) {
            return Err(invalid("channel_configuration", self.channel_config.into()));
        }
        let len = payload.len() + 7;
        if len > 0x1fff {
            return Err(invalid("frame_length", u32::try_from(len).unwrap_or(u32::MAX)));
        }
        let len = len as u32;
        out.extend_from_slice(&[
            0xff,
            0xf1,
            ((self.object_type - 1) << 6) | (self.sample_rate_index << 2) | (self.channel_config >> 2),
            ((self.channel_config & 3) << 6) | ((len >> 11) & 0x03) as u8,
            (len >> 3) as u8,
            (((len & 7) << 5) | 0x1f) as u8,
            0xfc,
        ]);
        out.extend_from_slice(payload);
        Ok(())
    }
}

/// Splits an ADTS stream into raw AAC frames (headers and CRCs removed).
/// Every frame holds 1024 samples. All frames must share one format.
pub fn parse_adts(data: &[u8]) -> Result<(AdtsFormat, Vec<&[u8]>), AdtsError> {
    let mut frames = Vec::new();
    let mut format: Option<AdtsFormat> = None;
    let mut pos = 0usize;
    while pos < data.len() {
        let h = data.get(pos..pos + 7).ok_or(AdtsError::Truncated { offset: pos })?;
        if h[0] != 0xff || h[1] & 0xf0 != 0xf0 {
            return Err(AdtsError::NoSync { offset: pos });
        }
        let protection_absent = h[1] & 0x01 == 1;
        let object_type = (h[2] >> 6) + 1;
        let sample_rate_index = (h[2] >> 2) & 0x0f;
        let channel_config = ((h[2] & 0x01) << 2) | (h[3] >> 6);
        let frame_len = (usize::from(h[3] & 0x03) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
        let raw_blocks = h[6] & 0x03;
        let header_len = if protection_absent { 7 } else { 9 };
        if usize::from(sample_rate_index) >= SAMPLE_RATES.len() {
            return Err(AdtsError::Invalid {
                offset: pos,
                field: "sampling_frequency_index",
                value: sample_rate_index.into(),
            });
        }
        if channel_config == 0 {
            return Err(AdtsError::Invalid { offset: pos, field: "channel_configuration (0: in-band PCE)", value: 0 });
        }
        if raw_blocks != 0 {
            return Err(AdtsError::Invalid {
                offset: pos,
                field: "number_of_raw_data_blocks",
                value: u32::from(raw_blocks) + 1,
            });
        }
        if frame_len <= header_len {
            return Err(AdtsError::Invalid { offset: pos, field: "frame_length", value: frame_len as u32 });
        }
        let this = AdtsFormat { object_type, sample_rate_index, channel_config };
        match format {
            None => format = Some(this),
            Some(f) if f != this => return Err(AdtsError::FormatChange { offset: pos }),
            Some(_) => {}
        }
        let end =
            pos.checked_add(frame_len).filter(|&e| e <= data.len()).ok_or(AdtsError::Truncated { offset: pos })?;
        frames.push(&data[pos + header_len..end]);
        pos = end;
    }
    let format = format.ok_or(AdtsError::Empty)?;
    Ok((format, frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: usize) -> [u8; 7] {
        // AAC-LC (profile 1), 48 kHz (index 3), stereo, no CRC, one block.
        let len = len as u32;
        [0xff, 0xf1, 0x4c, 0x80 | ((len >> 11) & 0x03) as u8, (len >> 3) as u8, (((len & 7) << 5) | 0x1f) as u8, 0xfc]
    }

    #[test]
    fn splits_frames_and_builds_the_config() {
        let mut s = Vec::new();
        for payload in [&[1u8, 2, 3][..], &[4, 5]] {
            s.extend_from_slice(&header(7 + payload.len()));
            s.extend_from_slice(payload);
        }
        let (fmt, frames) = parse_adts(&s).unwrap();
        assert_eq!(frames, vec![&[1u8, 2, 3][..], &[4, 5][..]]);
        assert_eq!((fmt.sample_rate(), fmt.channels(), fmt.object_type), (48_000, 2, 2));
        assert_eq!(fmt.audio_specific_config(), vec![0x11, 0x90]);
    }

    #[test]
    fn written_adts_frames_parse_back() {
        let mut s = Vec::new();
        for (i, fmt) in [(2u8, 3u8, 2u8), (2, 4, 1), (2, 3, 6), (1, 11, 7)].into_iter().enumerate() {
            let fmt = AdtsFormat { object_type: fmt.0, sample_rate_index: fmt.1, channel_config: fmt.2 };
            let payload: Vec<u8> = (0..300 * i + 1).map(|k| k as u8).collect();
            s.clear();
            fmt.write_adts_frame(&payload, &mut s).unwrap();
            fmt.write_adts_frame(&[9], &mut s).unwrap();
            let (parsed, frames) = parse_adts(&s).unwrap();
            assert_eq!(parsed, fmt);
            assert_eq!(frames, vec![&payload[..], &[9][..]]);
        }
        // The header the hand-written test helper builds, byte for byte.
        let mut one = Vec::new();
        AdtsFormat { object_type: 2, sample_rate_index: 3, channel_config: 2 }
            .write_adts_frame(&[0; 13], &mut one)
            .unwrap();
        assert_eq!(one[..7], header(20));
    }

    #[test]
    fn adts_writer_rejects_what_adts_cannot_carry() {
        let lc = AdtsFormat { object_type: 2, sample_rate_index: 3, channel_config: 2 };
        let mut out = vec![1, 2];
        let too_long = vec![0u8; 0x1fff - 6];
        assert_eq!(
            lc.write_adts_frame(&too_long, &mut out),
            Err(AdtsError::Invalid { offset: 2, field: "frame_length", value: 0x2000 })
        );
        for bad in [
            AdtsFormat { object_type: 5, ..lc },
            AdtsFormat { sample_rate_index: 13, ..lc },
            AdtsFormat { channel_config: 0, ..lc },
            AdtsFormat { channel_config: 8, ..lc },
        ] {
            assert!(matches!(bad.write_adts_frame(&[1], &mut out), Err(AdtsError::Invalid { .. })), "{bad:?}");
        }
        assert_eq!(out, vec![1, 2], "nothing written on error");
    }

    #[test]
    fn rejects_bad_streams_without_panicking() {
        assert_eq!(parse_adts(&[]), Err(AdtsError::Empty));
        assert_eq!(parse_adts(&[0, 1, 2, 3, 4, 5, 6]), Err(AdtsError::NoSync { offset: 0 }));
        let mut s = header(20).to_vec();
        s.extend_from_slice(&[0; 5]);
        assert_eq!(parse_adts(&s), Err(AdtsError::Truncated { offset: 0 }));
        assert!(matches!(parse_adts(&header(3)), Err(AdtsError::Invalid { field: "frame_length", .. })));
        // Every truncation and byte value at each header position.
        let mut good = header(9).to_vec();
        good.extend_from_slice(&[7, 7]);
        for cut in 0..good.len() {
            let _ = parse_adts(&good[..cut]);
        }
        for i in 0..7 {
            for b in 0..=255u8 {
                let mut m = good.clone();
                m[i] = b;
                let _ = parse_adts(&m);
            }
        }
    }
}

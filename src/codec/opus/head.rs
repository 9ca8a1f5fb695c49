//! The Opus identification header (RFC 7845 section 5.1) and MP4's `dOps`
//! box (Encapsulation of Opus in ISOBMFF, 4.3.2), which carries the same
//! fields: one record, written and parsed in both forms here.
//!
//! | form | bytes | integers | version |
//! | --- | --- | --- | --- |
//! | Ogg `OpusHead` packet | `OpusHead` magic, then 11 | little-endian | 1 (upper four bits 0 accepted) |
//! | `dOps` box body | 11 | big-endian | 0 |
//!
//! Both end with the channel mapping family; families other than 0 (mono
//! or stereo) are followed by a [`ChannelMappingTable`].

use std::fmt;

use crate::codec::CodecConfig;

/// Bytes of an Ogg `OpusHead` packet with channel mapping family 0.
pub const OPUS_HEAD_LEN: usize = 19;

/// Bytes of a `dOps` body with channel mapping family 0.
pub const DOPS_LEN: usize = 11;

/// The Opus identification header: the fields of the Ogg `OpusHead`
/// packet and of MP4's `dOps`. framecast writes channel mapping family 0
/// (mono or stereo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusHead {
    /// Output channels: 1 or 2 with mapping family 0.
    pub channels: u8,
    /// 48 kHz samples to drop from the start of the decoded audio.
    pub pre_skip: u16,
    /// The encoder's input rate, Hz (informational: Opus decodes at 48 kHz).
    pub input_sample_rate: u32,
    /// Gain to apply when decoding, Q7.8 dB.
    pub output_gain: i16,
}

/// Why an Opus header does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpusHeadError {
    /// Not an Ogg `OpusHead` packet: shorter than 19 bytes, or without the
    /// `OpusHead` magic.
    NotOpusHead,
    /// A `dOps` body shorter than its fields.
    Truncated,
    /// A `dOps` version other than 0.
    UnsupportedVersion(u8),
    /// A channel mapping table that is cut short or contradicts itself
    /// (RFC 7845 section 5.1.1).
    BadChannelMapping(&'static str),
}

impl fmt::Display for OpusHeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpusHeadError::NotOpusHead => f.write_str("must be an OpusHead (19+ bytes starting with \"OpusHead\")"),
            OpusHeadError::Truncated => f.write_str("the dOps box is shorter than its fields"),
            OpusHeadError::UnsupportedVersion(v) => write!(f, "dOps version {v} is not supported"),
            OpusHeadError::BadChannelMapping(why) => write!(f, "bad Opus channel mapping table: {why}"),
        }
    }
}

impl std::error::Error for OpusHeadError {}

impl OpusHead {
    /// The 19-byte Ogg `OpusHead` packet (version 1, mapping family 0).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(OPUS_HEAD_LEN);
        h.extend_from_slice(b"OpusHead");
        h.push(1); // version
        h.push(self.channels);
        h.extend_from_slice(&self.pre_skip.to_le_bytes());
        h.extend_from_slice(&self.input_sample_rate.to_le_bytes());
        h.extend_from_slice(&self.output_gain.to_le_bytes());
        h.push(0); // channel mapping family 0
        h
    }

    /// The 11-byte `dOps` body (version 0, mapping family 0).
    pub fn to_dops(&self) -> Vec<u8> {
        let mut d = Vec::with_capacity(DOPS_LEN);
        d.push(0); // version
        d.push(self.channels);
        d.extend_from_slice(&self.pre_skip.to_be_bytes());
        d.extend_from_slice(&self.input_sample_rate.to_be_bytes());
        d.extend_from_slice(&self.output_gain.to_be_bytes());
        d.push(0); // channel mapping family 0
        d
    }

    /// Reads an Ogg `OpusHead` packet: the header and its channel mapping
    /// family. The version byte is not checked; what follows the family
    /// (a mapping table, or more) is left to the caller.
    pub fn parse(packet: &[u8]) -> Result<(OpusHead, u8), OpusHeadError> {
        match packet.get(..OPUS_HEAD_LEN) {
            Some(h) if &h[..8] == b"OpusHead" => Ok((
                OpusHead {
                    channels: h[9],
                    pre_skip: u16::from_le_bytes([h[10], h[11]]),
                    input_sample_rate: u32::from_le_bytes([h[12], h[13], h[14], h[15]]),
                    output_gain: i16::from_le_bytes([h[16], h[17]]),
                },
                h[18],
            )),
            _ => Err(OpusHeadError::NotOpusHead),
        }
    }

    /// Reads a `dOps` body: version 0, the header, and the channel mapping
    /// family with its table, which is checked ([`ChannelMappingTable::parse`])
    /// but not kept. Bytes after the fields are ignored.
    pub fn parse_dops(body: &[u8]) -> Result<(OpusHead, u8), OpusHeadError> {
        let version = *body.first().ok_or(OpusHeadError::Truncated)?;
        if version != 0 {
            return Err(OpusHeadError::UnsupportedVersion(version));
        }
        let d = body.get(..DOPS_LEN).ok_or(OpusHeadError::Truncated)?;
        let head = OpusHead {
            channels: d[1],
            pre_skip: u16::from_be_bytes([d[2], d[3]]),
            input_sample_rate: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
            output_gain: i16::from_be_bytes([d[8], d[9]]),
        };
        let family = d[10];
        if family != 0 {
            ChannelMappingTable::parse(&body[DOPS_LEN..], head.channels)?;
        }
        Ok((head, family))
    }

    /// The header of an Opus track configuration; `None` for other codecs.
    pub fn from_codec_config(config: &CodecConfig) -> Option<OpusHead> {
        match *config {
            CodecConfig::Opus { channels, pre_skip, input_sample_rate, output_gain } => {
                Some(OpusHead { channels, pre_skip, input_sample_rate, output_gain })
            }
            _ => None,
        }
    }

    /// The track configuration for the MP4 muxers (`Opus` + `dOps`).
    pub fn codec_config(&self) -> CodecConfig {
        CodecConfig::Opus {
            channels: self.channels,
            pre_skip: self.pre_skip,
            input_sample_rate: self.input_sample_rate,
            output_gain: self.output_gain,
        }
    }
}

/// The channel mapping table that follows a mapping family other than 0
/// (RFC 7845 section 5.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMappingTable {
    /// Opus streams in each packet, at least 1.
    pub stream_count: u8,
    /// How many of them are coupled (stereo); they come first.
    pub coupled_count: u8,
    /// The decoded channel feeding each output channel, or 255 for
    /// silence; one entry per output channel.
    pub mapping: Vec<u8>,
}

impl ChannelMappingTable {
    /// Reads and checks the table for `channels` output channels from the
    /// start of `data`: stream and coupled counts that fit, one entry per
    /// channel, every entry a decoded channel or 255.
    pub fn parse(data: &[u8], channels: u8) -> Result<ChannelMappingTable, OpusHeadError> {
        let bad = OpusHeadError::BadChannelMapping;
        let (&stream_count, rest) = data.split_first().ok_or(OpusHeadError::Truncated)?;
        let (&coupled_count, rest) = rest.split_first().ok_or(OpusHeadError::Truncated)?;
        let mapping = rest.get(..usize::from(channels)).ok_or(OpusHeadError::Truncated)?.to_vec();
        if channels == 0 {
            return Err(bad("the output channel count is zero"));
        }
        if stream_count == 0 {
            return Err(bad("the stream count is zero"));
        }
        if coupled_count > stream_count {
            return Err(bad("more coupled streams than streams"));
        }
        let decoded = u16::from(stream_count) + u16::from(coupled_count);
        if decoded > 255 {
            return Err(bad("the streams decode to more than 255 channels"));
        }
        if mapping.iter().any(|&i| i != 255 && u16::from(i) >= decoded) {
            return Err(bad("an entry names a channel past the decoded ones"));
        }
        Ok(ChannelMappingTable { stream_count, coupled_count, mapping })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: OpusHead = OpusHead { channels: 2, pre_skip: 312, input_sample_rate: 48_000, output_gain: -2 };

    #[test]
    fn both_forms_round_trip() {
        assert_eq!(OpusHead::parse(&HEAD.to_bytes()), Ok((HEAD, 0)));
        assert_eq!(OpusHead::parse_dops(&HEAD.to_dops()), Ok((HEAD, 0)));
        // The bytes mp4-atom writes for the same stereo dOps: 312, 48 kHz, -2.
        assert_eq!(HEAD.to_dops(), [0x00, 0x02, 0x01, 0x38, 0x00, 0x00, 0xbb, 0x80, 0xff, 0xfe, 0x00]);
        assert_eq!(OpusHead::from_codec_config(&HEAD.codec_config()), Some(HEAD));
    }

    #[test]
    fn bad_headers_are_refused() {
        assert_eq!(OpusHead::parse(&HEAD.to_bytes()[..18]), Err(OpusHeadError::NotOpusHead));
        assert_eq!(OpusHead::parse(b"OpusTags\x01\x02\x38\x01\x80\xbb\0\0\0\0\0"), Err(OpusHeadError::NotOpusHead));
        let mut surround = HEAD.to_bytes();
        surround[18] = 1;
        assert_eq!(OpusHead::parse(&surround).map(|(_, family)| family), Ok(1));
        assert_eq!(OpusHead::parse_dops(&[]), Err(OpusHeadError::Truncated));
        assert_eq!(OpusHead::parse_dops(&HEAD.to_dops()[..10]), Err(OpusHeadError::Truncated));
        assert_eq!(OpusHead::parse_dops(&[1; 11]), Err(OpusHeadError::UnsupportedVersion(1)));
    }

    #[test]
    fn mapping_tables_are_checked() {
        // 5.1 in Vorbis order (family 1): 4 streams, 2 coupled.
        let mut dops = OpusHead { channels: 6, ..HEAD }.to_dops();
        dops[10] = 1;
        dops.extend([4, 2, 0, 4, 1, 2, 3, 5]);
        assert_eq!(OpusHead::parse_dops(&dops).map(|(h, family)| (h.channels, family)), Ok((6, 1)));
        assert!(OpusHead::parse_dops(&dops[..dops.len() - 1]).is_err());
        let table = |data: &[u8], channels| ChannelMappingTable::parse(data, channels);
        assert_eq!(table(&[4, 2, 0, 4, 1, 2, 3, 5], 6).unwrap().mapping, [0, 4, 1, 2, 3, 5]);
        assert!(matches!(table(&[0, 0, 0], 1), Err(OpusHeadError::BadChannelMapping(_))));
        assert!(matches!(table(&[1, 2, 0], 1), Err(OpusHeadError::BadChannelMapping(_))));
        assert!(matches!(table(&[1, 0, 1], 1), Err(OpusHeadError::BadChannelMapping(_))));
        assert!(table(&[1, 0, 255], 1).is_ok());
        assert!(matches!(table(&[200, 100, 0], 1), Err(OpusHeadError::BadChannelMapping(_))));
        assert!(matches!(table(&[1, 0], 0), Err(OpusHeadError::BadChannelMapping(_))));
    }
}

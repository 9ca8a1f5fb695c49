//! The RIFF WAVE file around uncompressed PCM (`codec::pcm`): its
//! canonical header, `WAVE_FORMAT_PCM` up to two channels,
//! `WAVE_FORMAT_EXTENSIBLE` with a channel mask above. The samples follow
//! the header as they are.

/// Sizes of a stream whose length is not known yet (the RIFF and `data`
/// sizes of a header written before the samples); ffmpeg and browsers
/// then read to the end of the file.
pub const UNKNOWN_SIZE: u32 = u32::MAX;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let h = wav_header(44_100, 2, 16, Some(3));
        assert_eq!(h.len(), 44);
        assert_eq!(&h[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(h[4..8].try_into().unwrap()), 36 + 12);
        assert_eq!(u32::from_le_bytes(h[24..28].try_into().unwrap()), 44_100);
        assert_eq!(u32::from_le_bytes(h[28..32].try_into().unwrap()), 44_100 * 4);
        assert_eq!(u32::from_le_bytes(h[40..44].try_into().unwrap()), 12);
        assert_eq!(u32::from_le_bytes(wav_header(44_100, 2, 16, None)[40..44].try_into().unwrap()), UNKNOWN_SIZE);
        let six = wav_header(48_000, 6, 24, Some(1));
        assert_eq!((six.len(), u16::from_le_bytes([six[20], six[21]])), (68, 0xFFFE));
    }
}

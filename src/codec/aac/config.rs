//! The AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) that MP4 carries in
//! `esds`, and the one table of sampling frequencies.

use crate::codec::CodecConfigError;

/// Sampling frequencies by `sampling_frequency_index` (ISO/IEC 14496-3).
pub const SAMPLE_RATES: [u32; 13] =
    [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/// The audio object type of an AudioSpecificConfig (5 bits, or 6 more
/// after the escape value 31).
pub fn aac_object_type(asc: &[u8]) -> Result<u8, CodecConfigError> {
    let first = *asc.first().ok_or(CodecConfigError::AudioSpecificConfig("empty"))?;
    let aot = first >> 3;
    if aot == 0 {
        return Err(CodecConfigError::AudioSpecificConfig("object type 0 is reserved"));
    }
    if aot != 31 {
        return Ok(aot);
    }
    let second = *asc.get(1).ok_or(CodecConfigError::AudioSpecificConfig("truncated escaped object type"))?;
    Ok(32 + (((first & 0x07) << 3) | (second >> 5)))
}

//! RFC 6381 codec strings (`avc1.PPCCLL`) from an SPS.

use super::error::BitstreamError;
use super::sps::Sps;

pub(super) fn avc1_codec_string(profile: u8, constraints: u8, level: u8) -> String {
    format!("avc1.{profile:02x}{constraints:02x}{level:02x}")
}

/// Parses an SPS NAL unit (see [`Sps::parse`]) and returns its RFC 6381 codec string
/// (`avc1.PPCCLL`, see [`Sps::codec_string`]).
pub fn codec_string_from_sps(nal: &[u8]) -> Result<String, BitstreamError> {
    Ok(Sps::parse(nal)?.codec_string())
}

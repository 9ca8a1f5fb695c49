//! Length-prefixed framing ("AVCC", ISO/IEC 14496-15): each NAL unit preceded by its size
//! as a big-endian integer of 1, 2 or 4 bytes, as in MP4/CMAF samples; and conversion to and
//! from Annex B.

use std::iter::FusedIterator;

use super::annex_b::{annex_b_nal_units, check_annex_b_safe};
use super::error::BitstreamError;
use super::nal::NalRef;

/// Validates a length-prefix size in bytes (1, 2 or 4) and returns it as `usize`.
fn check_length_size(length_size: u8) -> Result<usize, BitstreamError> {
    match length_size {
        1 | 2 | 4 => Ok(usize::from(length_size)),
        other => Err(BitstreamError::InvalidLengthSize(other)),
    }
}

/// Appends `nal` to `out` preceded by its big-endian length in `length_size` bytes
/// (1, 2 or 4).
///
/// Fails (leaving `out` unchanged) for an invalid `length_size`, an empty NAL unit, or a NAL
/// unit longer than the prefix can express (255, 65 535 or 4 294 967 295 bytes).
pub fn append_length_prefixed_nal(out: &mut Vec<u8>, nal: &[u8], length_size: u8) -> Result<(), BitstreamError> {
    check_length_size(length_size)?;
    if nal.is_empty() {
        return Err(BitstreamError::EmptyNalUnit { offset: 0 });
    }
    let too_large = BitstreamError::NalUnitTooLarge { len: nal.len(), length_size };
    match length_size {
        1 => out.push(u8::try_from(nal.len()).map_err(|_| too_large)?),
        2 => out.extend_from_slice(&u16::try_from(nal.len()).map_err(|_| too_large)?.to_be_bytes()),
        _ => out.extend_from_slice(&u32::try_from(nal.len()).map_err(|_| too_large)?.to_be_bytes()),
    }
    out.extend_from_slice(nal);
    Ok(())
}

/// Iterator over the NAL units of length-prefixed data; created by
/// [`length_prefixed_nal_units`].
///
/// After the first `Err` the iterator is exhausted.
#[derive(Debug, Clone)]
pub struct LengthPrefixedNalUnits<'a> {
    data: &'a [u8],
    pos: usize,
    length_size: u8,
    done: bool,
}

/// Iterates over NAL units that are each preceded by a big-endian length of `length_size`
/// bytes (1, 2 or 4; MP4 files usually use 4).
///
/// Errors: [`BitstreamError::InvalidLengthSize`] (first item) for other sizes,
/// [`BitstreamError::Truncated`] if a length prefix or NAL unit runs past the end of `data`,
/// [`BitstreamError::EmptyNalUnit`] for a zero length, and
/// [`BitstreamError::ForbiddenZeroBit`]. Empty input yields no NAL units.
pub fn length_prefixed_nal_units(data: &[u8], length_size: u8) -> LengthPrefixedNalUnits<'_> {
    LengthPrefixedNalUnits { data, pos: 0, length_size, done: false }
}

impl<'a> LengthPrefixedNalUnits<'a> {
    fn next_inner(&mut self) -> Option<Result<NalRef<'a>, BitstreamError>> {
        let ls = match check_length_size(self.length_size) {
            Ok(ls) => ls,
            Err(e) => return Some(Err(e)),
        };
        let rest = self.data.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let prefix = match rest.get(..ls) {
            Some(p) => p,
            None => return Some(Err(BitstreamError::Truncated { what: "NAL unit length prefix" })),
        };
        let len = prefix.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let offset = self.pos;
        if len == 0 {
            return Some(Err(BitstreamError::EmptyNalUnit { offset }));
        }
        let truncated = BitstreamError::Truncated { what: "NAL unit" };
        let len = match usize::try_from(len) {
            Ok(len) => len,
            Err(_) => return Some(Err(truncated)),
        };
        let body_start = ls;
        let body_end = match body_start.checked_add(len) {
            Some(end) => end,
            None => return Some(Err(truncated)),
        };
        let body = match rest.get(body_start..body_end) {
            Some(body) => body,
            None => return Some(Err(truncated)),
        };
        self.pos = offset.saturating_add(body_end);
        Some(NalRef::parse_at(body, offset.saturating_add(ls)))
    }
}

impl<'a> Iterator for LengthPrefixedNalUnits<'a> {
    type Item = Result<NalRef<'a>, BitstreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_inner();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl FusedIterator for LengthPrefixedNalUnits<'_> {}

/// Splits length-prefixed data (`length_size` = 1, 2 or 4 bytes per big-endian prefix) into
/// NAL units borrowing from `data`. Empty input gives `Ok(vec![])`.
///
/// See [`length_prefixed_nal_units`] for the errors.
pub fn split_length_prefixed(data: &[u8], length_size: u8) -> Result<Vec<NalRef<'_>>, BitstreamError> {
    check_length_size(length_size)?;
    length_prefixed_nal_units(data, length_size).collect()
}

/// Converts an Annex B byte stream into length-prefixed NAL units (`length_size` = 1, 2 or 4
/// bytes per big-endian prefix; MP4/CMAF samples normally use 4).
///
/// Start codes and trailing zero bytes are dropped; NAL unit bytes are copied unchanged.
/// Fails with the errors of [`split_annex_b`](super::split_annex_b), [`BitstreamError::InvalidLengthSize`], or
/// [`BitstreamError::NalUnitTooLarge`] if a NAL unit does not fit the prefix.
pub fn annex_b_to_length_prefixed(data: &[u8], length_size: u8) -> Result<Vec<u8>, BitstreamError> {
    check_length_size(length_size)?;
    let mut out = Vec::with_capacity(data.len());
    for nal in annex_b_nal_units(data) {
        append_length_prefixed_nal(&mut out, nal?.data, length_size)?;
    }
    Ok(out)
}

/// Converts length-prefixed NAL units (`length_size` = 1, 2 or 4 bytes) into an Annex B byte
/// stream, writing a 4-byte start code (`00 00 00 01`) before every NAL unit.
///
/// Fails with the errors of [`split_length_prefixed`], or
/// [`BitstreamError::StartCodeEmulation`] if a NAL unit contains `00 00 00`, `00 00 01` or
/// `00 00 02`, or ends with a zero byte (such data would not survive Annex B framing).
pub fn length_prefixed_to_annex_b(data: &[u8], length_size: u8) -> Result<Vec<u8>, BitstreamError> {
    let ls = check_length_size(length_size)?;
    let mut out = Vec::with_capacity(data.len().saturating_add(data.len() / 2));
    // Byte offset of the current NAL unit within `data`, for error reporting.
    let mut offset = 0usize;
    for nal in length_prefixed_nal_units(data, length_size) {
        let nal = nal?;
        offset = offset.saturating_add(ls);
        check_annex_b_safe(nal.data, offset)?;
        offset = offset.saturating_add(nal.data.len());
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal.data);
    }
    Ok(out)
}

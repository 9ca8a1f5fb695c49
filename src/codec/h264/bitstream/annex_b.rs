//! Annex B framing (ITU-T H.264 Annex B): NAL units separated by `00 00 01` or
//! `00 00 00 01` start codes.

use std::iter::FusedIterator;

use super::error::BitstreamError;
use super::nal::NalRef;

/// Finds the first `00 00 01` in `hay`, returning the index of its first zero byte.
fn find_start_code(hay: &[u8]) -> Option<usize> {
    let mut from = 2usize;
    loop {
        let tail = hay.get(from..)?;
        let rel = tail.iter().position(|&b| b == 1)?;
        let one = from.checked_add(rel)?;
        let start = one.checked_sub(2)?;
        if hay.get(start..one) == Some(&[0u8, 0u8][..]) {
            return Some(start);
        }
        from = one.checked_add(1)?;
    }
}

/// Returns `bytes` without its trailing zero bytes.
fn trim_trailing_zeros(bytes: &[u8]) -> &[u8] {
    let keep = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i.saturating_add(1));
    bytes.get(..keep).unwrap_or(&[])
}

/// Iterator over the NAL units of an Annex B byte stream; created by [`annex_b_nal_units`].
///
/// Yields `Ok(NalRef)` for each NAL unit. After the first `Err` the iterator is exhausted.
#[derive(Debug, Clone)]
pub struct AnnexBNalUnits<'a> {
    data: &'a [u8],
    /// Byte offset of the start of the next NAL unit (valid once `started`).
    pos: usize,
    started: bool,
    done: bool,
}

/// Iterates over the NAL units of an Annex B byte stream.
///
/// Rules (see [`split_annex_b`] for the collecting variant):
/// * zero bytes before the first start code (`leading_zero_8bits`) are skipped; any other
///   byte there yields [`BitstreamError::BadStartCode`];
/// * both 3-byte (`00 00 01`) and 4-byte (`00 00 00 01`) start codes are accepted;
/// * zero bytes after a NAL unit (`trailing_zero_8bits`, including the leading zero of a
///   following 4-byte start code) are not part of the NAL unit;
/// * empty NAL units (e.g. two start codes in a row) are skipped;
/// * empty input or input made only of zero bytes yields no NAL units;
/// * a NAL unit whose forbidden bit is set yields [`BitstreamError::ForbiddenZeroBit`].
pub fn annex_b_nal_units(data: &[u8]) -> AnnexBNalUnits<'_> {
    AnnexBNalUnits { data, pos: 0, started: false, done: false }
}

impl<'a> Iterator for AnnexBNalUnits<'a> {
    type Item = Result<NalRef<'a>, BitstreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if !self.started {
            self.started = true;
            let zeros = self.data.iter().take_while(|&&b| b == 0).count();
            match self.data.get(zeros) {
                None => {
                    self.done = true;
                    return None;
                }
                Some(1) if zeros >= 2 => self.pos = zeros.saturating_add(1),
                Some(_) => {
                    self.done = true;
                    return Some(Err(BitstreamError::BadStartCode { offset: zeros }));
                }
            }
        }
        loop {
            let rest = match self.data.get(self.pos..) {
                Some(rest) if !rest.is_empty() => rest,
                _ => {
                    self.done = true;
                    return None;
                }
            };
            let start = self.pos;
            let raw = match find_start_code(rest) {
                Some(i) => {
                    self.pos = start.saturating_add(i).saturating_add(3);
                    rest.get(..i).unwrap_or(&[])
                }
                None => {
                    self.pos = self.data.len();
                    self.done = true;
                    rest
                }
            };
            let nal = trim_trailing_zeros(raw);
            if nal.is_empty() {
                if self.done {
                    return None;
                }
                continue;
            }
            let result = NalRef::parse_at(nal, start);
            if result.is_err() {
                self.done = true;
            }
            return Some(result);
        }
    }
}

impl FusedIterator for AnnexBNalUnits<'_> {}

/// Splits an Annex B byte stream into NAL units (borrowing from `data`).
///
/// Empty input gives `Ok(vec![])`. See [`annex_b_nal_units`] for the exact framing rules.
pub fn split_annex_b(data: &[u8]) -> Result<Vec<NalRef<'_>>, BitstreamError> {
    annex_b_nal_units(data).collect()
}

/// Checks that `nal` can be carried in Annex B framing unchanged; `offset` is added to the
/// reported error position.
pub(super) fn check_annex_b_safe(nal: &[u8], offset: usize) -> Result<(), BitstreamError> {
    if nal.is_empty() {
        return Err(BitstreamError::EmptyNalUnit { offset });
    }
    if let Some(i) = nal.windows(3).position(|w| matches!(w, [0, 0, 0..=2])) {
        return Err(BitstreamError::StartCodeEmulation { offset: offset.saturating_add(i) });
    }
    if nal.last() == Some(&0) {
        return Err(BitstreamError::StartCodeEmulation { offset: offset.saturating_add(nal.len().saturating_sub(1)) });
    }
    Ok(())
}

/// Appends one NAL unit to `out` with a 4-byte start code (`00 00 00 01`).
///
/// Fails (leaving `out` unchanged) if the NAL unit is empty or contains a pattern that would
/// corrupt Annex B framing ([`BitstreamError::StartCodeEmulation`]).
pub fn append_annex_b_nal(out: &mut Vec<u8>, nal: &[u8]) -> Result<(), BitstreamError> {
    check_annex_b_safe(nal, 0)?;
    out.extend_from_slice(&[0, 0, 0, 1]);
    out.extend_from_slice(nal);
    Ok(())
}

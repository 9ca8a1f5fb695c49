//! The RBSP of a NAL unit: emulation prevention (`00 00 03` → `00 00`) both ways.

use super::error::BitstreamError;
use super::nal::NalRef;

/// Removes emulation-prevention bytes: every `03` that follows two zero bytes
/// (`00 00 03` → `00 00`). Never fails; the result is at most as long as the input.
pub fn remove_emulation_prevention(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut zeros = 0u8;
    for &b in data {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        out.push(b);
        zeros = if b == 0 { zeros.saturating_add(1) } else { 0 };
    }
    out
}

/// Inserts emulation-prevention bytes so that `rbsp` can be stored in a NAL unit: a `03` is
/// inserted after every two zero bytes that are followed by a byte `<= 03`, and appended if
/// the data ends with two zero bytes.
///
/// This is the exact inverse of [`remove_emulation_prevention`]. The result is at most
/// `len * 3 / 2 + 1` bytes long.
pub fn add_emulation_prevention(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len().saturating_add(rbsp.len() / 64).saturating_add(4));
    let mut zeros = 0u8;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros.saturating_add(1) } else { 0 };
    }
    if zeros >= 2 {
        out.push(3);
    }
    out
}

/// Returns the RBSP of a NAL unit: its header (1 byte, or 4 bytes for types 14, 20 and 21) is
/// stripped and emulation-prevention bytes are removed.
///
/// Fails for an empty NAL unit, a set forbidden bit, or a header extension that is cut short.
pub fn nal_to_rbsp(nal: &[u8]) -> Result<Vec<u8>, BitstreamError> {
    let nal = NalRef::parse(nal)?;
    if nal.data.len() < nal.header_len() {
        return Err(BitstreamError::Truncated { what: "NAL unit header extension" });
    }
    Ok(remove_emulation_prevention(nal.payload()))
}

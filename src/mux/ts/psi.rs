//! Program-specific information: the PAT and PMT sections (ISO/IEC
//! 13818-1 2.4.4), their CRC, and reading them back.

use crate::mux::ogg::crc32_update;

/// The MPEG-2 CRC-32 of a section (initial value 0xffff_ffff, no final
/// XOR); 0 over a section that includes its own CRC.
pub(super) fn crc32_mpeg(data: &[u8]) -> u32 {
    crc32_update(0xffff_ffff, data)
}

/// Appends one long-form section: `table_id`, the syntax fields with
/// version 0 and `current_next_indicator` 1, `body` and the CRC.
fn section(table_id: u8, table_id_extension: u16, body: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    // section_length counts from after itself to the end of the CRC.
    let len = 5 + body.len() + 4;
    out.push(table_id);
    out.extend_from_slice(&(0xb000 | (len as u16 & 0x0fff)).to_be_bytes());
    out.extend_from_slice(&table_id_extension.to_be_bytes());
    out.extend_from_slice(&[0xc1, 0x00, 0x00]);
    out.extend_from_slice(body);
    let crc = crc32_mpeg(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// The PAT section of one program: `program_number` 1 on `pmt_pid`.
pub(super) fn pat(pmt_pid: u16, out: &mut Vec<u8>) {
    let mut body = 1u16.to_be_bytes().to_vec();
    body.extend_from_slice(&(0xe000 | pmt_pid).to_be_bytes());
    section(0x00, 1, &body, out);
}

/// The PMT section of program 1: `(stream_type, pid)` per stream, no
/// descriptors.
pub(super) fn pmt(pcr_pid: u16, streams: &[(u8, u16)], out: &mut Vec<u8>) {
    let mut body = Vec::with_capacity(4 + 5 * streams.len());
    body.extend_from_slice(&(0xe000 | pcr_pid).to_be_bytes());
    body.extend_from_slice(&0xf000u16.to_be_bytes());
    for &(stream_type, pid) in streams {
        body.push(stream_type);
        body.extend_from_slice(&(0xe000 | pid).to_be_bytes());
        body.extend_from_slice(&0xf000u16.to_be_bytes());
    }
    section(0x02, 1, &body, out);
}

/// A long-form section checked and cut down to its body: `None` when it
/// is short, its CRC is wrong, or it is not `current_next`.
pub(super) struct Section<'a> {
    /// `table_id`.
    pub table_id: u8,
    /// The bytes between the syntax fields and the CRC.
    pub body: &'a [u8],
}

/// Reads the section at the start of `data` (after the pointer field).
/// `Ok(None)`: more bytes are needed. `Err(())`: the section is corrupt.
pub(super) fn read_section(data: &[u8]) -> Result<Option<Section<'_>>, ()> {
    let Some(&[table_id, hi, lo]) = data.get(..3) else {
        return Ok(None);
    };
    if table_id == 0xff {
        return Err(());
    }
    let len = usize::from(u16::from_be_bytes([hi, lo]) & 0x0fff);
    let Some(whole) = data.get(..len.saturating_add(3)) else {
        return Ok(None);
    };
    if len < 9 || hi & 0x80 == 0 || crc32_mpeg(whole) != 0 {
        return Err(());
    }
    let current = whole.get(5).is_some_and(|b| b & 1 == 1);
    if !current {
        return Err(());
    }
    let body = whole.get(8..whole.len().saturating_sub(4)).ok_or(())?;
    Ok(Some(Section { table_id, body }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_carry_a_crc_that_checks() {
        let mut out = Vec::new();
        pat(0x1000, &mut out);
        // The PAT ffmpeg writes for the same program (its PMT PID is 0x1000
        // too), from an `-f mpegts` file.
        assert_eq!(
            out,
            [0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xf0, 0x00, 0x2a, 0xb1, 0x04, 0xb2]
        );
        let s = read_section(&out).unwrap().unwrap();
        assert_eq!((s.table_id, s.body), (0, &[0x00, 0x01, 0xf0, 0x00][..]));
        let mut bad = out.clone();
        bad[9] ^= 1;
        assert!(read_section(&bad).is_err());
        assert!(matches!(read_section(&out[..10]), Ok(None)));
        let mut pm = Vec::new();
        pmt(0x100, &[(0x1b, 0x100), (0x0f, 0x101)], &mut pm);
        assert_eq!(read_section(&pm).unwrap().unwrap().body.len(), 4 + 10);
    }
}

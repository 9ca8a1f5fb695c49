//! Big-endian fields of a box's body, every one bounds-checked; the rules
//! for boxes that must or may appear once; and the bridge to `mp4-atom` for
//! the leaf boxes it decodes. Boxes themselves are walked with
//! [`crate::mux::walk`].

use super::error::{FourCc, ReadError};
pub(super) use crate::mux::walk::{be_u16, be_u32, be_u64, top_level, Bx};
#[cfg(test)]
use crate::mux::walk::{end_of_first, split_before};

impl<'a> Bx<'a> {
    /// A field reader over the body.
    pub(super) fn reader(&self) -> Reader<'a> {
        Reader { data: self.body, fourcc: self.fourcc }
    }

    /// A field reader over the body of a full box (ISO/IEC 14496-12 4.2),
    /// with its version and flags read.
    pub(super) fn full(&self) -> Result<(u8, u32, Reader<'a>), ReadError> {
        let mut r = self.reader();
        let vf = r.u32("version and flags")?;
        Ok(((vf >> 24) as u8, vf & 0x00ff_ffff, r))
    }
}

/// Big-endian fields of one box's body, each read with a bounds check.
pub(super) struct Reader<'a> {
    data: &'a [u8],
    fourcc: FourCc,
}

impl<'a> Reader<'a> {
    pub fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], ReadError> {
        if n > self.data.len() {
            return Err(ReadError::ShortBox { fourcc: self.fourcc, field });
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ReadError> {
        let fourcc = self.fourcc;
        self.bytes(N, field)?.try_into().map_err(|_| ReadError::ShortBox { fourcc, field })
    }

    pub fn fourcc(&mut self, field: &'static str) -> Result<FourCc, ReadError> {
        Ok(FourCc(self.array(field)?))
    }

    /// Four-character codes filling the rest (a trailing partial one is
    /// ignored), as in `ftyp` and `styp`.
    pub fn fourccs(&mut self) -> Vec<FourCc> {
        let rest = std::mem::take(&mut self.data);
        rest.chunks_exact(4).filter_map(|c| c.try_into().ok().map(FourCc)).collect()
    }

    pub fn u8(&mut self, field: &'static str) -> Result<u8, ReadError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub fn u16(&mut self, field: &'static str) -> Result<u16, ReadError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub fn u32(&mut self, field: &'static str) -> Result<u32, ReadError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    pub fn i32(&mut self, field: &'static str) -> Result<i32, ReadError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    pub fn u64(&mut self, field: &'static str) -> Result<u64, ReadError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    pub fn skip(&mut self, n: usize, field: &'static str) -> Result<(), ReadError> {
        self.bytes(n, field).map(|_| ())
    }

    /// `count` entries of `entry_size` bytes each, checked to fit before
    /// anything is read.
    pub fn table(&mut self, count: u32, entry_size: usize, field: &'static str) -> Result<&'a [u8], ReadError> {
        let len = (count as u64).checked_mul(entry_size as u64);
        match len.and_then(|l| usize::try_from(l).ok()) {
            Some(l) => self.bytes(l, field),
            None => Err(ReadError::ShortBox { fourcc: self.fourcc, field }),
        }
    }

    /// What is left.
    pub fn rest(&self) -> &'a [u8] {
        self.data
    }
}

/// Decodes a leaf box with `mp4-atom`. Only boxes without children go
/// through here, so `mp4-atom`'s recursive `Any` decoding never sees
/// untrusted nesting; bytes after the fields are ignored.
pub(super) fn leaf<T: mp4_atom::Atom>(bx: &Bx<'_>) -> Result<T, ReadError> {
    let mut body: &[u8] = bx.body;
    T::decode_body(&mut body).map_err(|e| {
        use mp4_atom::Error as E;
        let fourcc = bx.fourcc;
        match e {
            E::UnknownVersion(version) => ReadError::UnsupportedVersion { fourcc, version },
            E::OutOfBounds | E::ShortRead | E::OverDecode(_) | E::UnderDecode(_) | E::UnexpectedEof => {
                ReadError::ShortBox { fourcc, field: "fields" }
            }
            E::InvalidString(_) => ReadError::Malformed { fourcc, reason: "a string is not valid UTF-8" },
            _ => ReadError::Malformed { fourcc, reason: "invalid field values" },
        }
    })
}

/// Records a box that may appear once.
pub(super) fn once<'a>(slot: &mut Option<Bx<'a>>, bx: Bx<'a>, parent: Option<FourCc>) -> Result<(), ReadError> {
    if slot.is_some() {
        return Err(ReadError::DuplicateBox { fourcc: bx.fourcc, parent });
    }
    *slot = Some(bx);
    Ok(())
}

/// A box that must be there.
pub(super) fn required<'a>(slot: Option<Bx<'a>>, fourcc: &[u8; 4], parent: FourCc) -> Result<Bx<'a>, ReadError> {
    slot.ok_or(ReadError::MissingBox { fourcc: FourCc(*fourcc), parent: Some(parent) })
}

/// Payload ranges of the top-level `mdat` boxes, in input order, for
/// checking that sample data lies inside one.
#[derive(Debug, Default, Clone)]
pub(super) struct MdatRanges {
    ranges: Vec<(u64, u64)>,
}

impl MdatRanges {
    pub fn push(&mut self, bx: &Bx<'_>) {
        self.ranges.push((bx.body_offset, bx.end()));
    }

    /// Whether `[offset, offset + size)` lies inside one payload.
    pub fn contains(&self, offset: u64, size: u64) -> bool {
        let Some(end) = offset.checked_add(size) else {
            return false;
        };
        // Top-level boxes do not overlap and are in order, so the candidate
        // is the last payload starting at or before `offset`.
        let i = self.ranges.partition_point(|&(start, _)| start <= offset);
        match i.checked_sub(1).and_then(|i| self.ranges.get(i)) {
            Some(&(_, payload_end)) => end <= payload_end,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mux::walk::build::*;

    #[test]
    fn reader_box_walker_checks_every_size() {
        let data = cat(&[&bx(b"free", &[1, 2]), &bx(b"skip", &[])]);
        let boxes: Vec<_> = top_level(&data).collect::<Result<_, _>>().unwrap();
        assert_eq!(boxes.len(), 2);
        assert_eq!(boxes[0].body, &[1, 2]);
        assert_eq!(boxes[1].offset, 10);

        // Size larger than the input.
        let mut bad = bx(b"moov", &[0; 4]);
        bad[3] = 200;
        assert!(matches!(top_level(&bad).next(), Some(Err(ReadError::Truncated { needed: 200, .. }))));
        // Size smaller than the header.
        bad[3] = 7;
        assert!(matches!(top_level(&bad).next(), Some(Err(ReadError::BadBoxSize { size: 7, .. }))));
        // 64-bit size that lies.
        let mut large = vec![0, 0, 0, 1];
        large.extend_from_slice(b"mdat");
        large.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(top_level(&large).next(), Some(Err(ReadError::Truncated { .. }))));
        // Size 0 runs to the end at the top level only.
        let mut to_end = vec![0, 0, 0, 0];
        to_end.extend_from_slice(b"mdat");
        to_end.extend_from_slice(&[9; 5]);
        let mdat = top_level(&to_end).next().unwrap().unwrap();
        assert_eq!(mdat.body.len(), 5);
        let parent = bx(b"moov", &to_end);
        let moov = top_level(&parent).next().unwrap().unwrap();
        assert!(matches!(moov.children().next(), Some(Err(ReadError::BadBoxSize { size: 0, .. }))));
        // A partial header at the top level is an error, zero padding inside
        // a box is not.
        assert!(matches!(top_level(&[0, 0, 0]).next(), Some(Err(ReadError::Truncated { .. }))));
        let padded = bx(b"udta", &[0, 0, 0, 0]);
        let udta = top_level(&padded).next().unwrap().unwrap();
        assert!(udta.children().next().is_none());
    }

    #[test]
    fn reader_tables_must_fit_before_reading() {
        let data = full(b"stsz", 0, 0, &u32s(&[0, u32::MAX]));
        let b = top_level(&data).next().unwrap().unwrap();
        let (_, _, mut r) = b.full().unwrap();
        r.u32("sample_size").unwrap();
        let count = r.u32("sample_count").unwrap();
        assert!(matches!(r.table(count, 4, "entries"), Err(ReadError::ShortBox { .. })));
    }

    #[test]
    fn reader_mdat_ranges() {
        let data = cat(&[&bx(b"ftyp", &[0; 8]), &bx(b"mdat", &[1; 10]), &bx(b"free", &[]), &bx(b"mdat", &[2; 4])]);
        let mut m = MdatRanges::default();
        for b in top_level(&data) {
            let b = b.unwrap();
            if b.fourcc == b"mdat" {
                m.push(&b);
            }
        }
        assert!(m.contains(24, 10));
        assert!(!m.contains(24, 11));
        assert!(!m.contains(23, 1));
        assert!(m.contains(50, 4));
        assert!(m.contains(34, 0));
        assert!(!m.contains(u64::MAX, 2));
        assert_eq!(split_before(&data, *b"mdat").len(), 3);
        assert_eq!(end_of_first(&data, *b"free"), Some(42));
    }
}

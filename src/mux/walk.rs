//! The one MP4 box walker (ISO/IEC 14496-12 4.2): box headers with 32- or
//! 64-bit sizes, size 0 ("to the end", top level only) and `uuid` extended
//! types, every box checked to lie inside its parent. Every MP4 reader in
//! framecast walks with it: the MP4 reader ([`super::reader`]) over bytes in
//! memory ([`top_level`], [`Bx::children`]), the audio decoder's edit-list
//! scan over a seekable source without reading media data
//! ([`SeekChildren`]), and the transcoder's look at the top-level box order
//! ([`BoxHeader::parse`]).
//!
//! Errors are the reader's [`ReadError`]s: `Truncated` when a box runs past
//! its parent or the data, `BadBoxSize` for a size smaller than its header
//! (or 0 below the top level).

// Outside tests, no indexing that could panic and no unchecked arithmetic.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::arithmetic_side_effects))]

use std::io::{Read, Seek, SeekFrom};

use super::reader::{FourCc, ReadError};

/// The `uuid` box type, whose header carries a 16-byte extended type.
const UUID: FourCc = FourCc(*b"uuid");

/// A box header as read: where the box is and how long it says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxHeader {
    /// The box type.
    pub fourcc: FourCc,
    /// Offset of the box's first byte.
    pub offset: u64,
    /// Bytes before the body: 8, 16 with a 64-bit size, 16 more for `uuid`.
    pub header_len: u64,
    /// The size field, header included; `None` for size 0, "to the end of
    /// the file" (valid at the top level only).
    pub size: Option<u64>,
}

impl BoxHeader {
    /// Reads the header of the box at `offset` from `bytes`, its first
    /// bytes (8 are needed, 16 for a 64-bit size; a `uuid`'s extended type
    /// is counted in [`Self::header_len`] but not read). `parent` is `None`
    /// at the top level; errors name it when the header itself is cut.
    pub fn parse(bytes: &[u8], offset: u64, parent: Option<FourCc>) -> Result<BoxHeader, ReadError> {
        let available = bytes.len() as u64;
        let truncated = |fourcc, needed| ReadError::Truncated { fourcc, offset, needed, available };
        let (Some(size32), Some(fourcc)) = (be_u32(bytes, 0), bytes_at(bytes, 4).map(FourCc)) else {
            return Err(truncated(parent.unwrap_or(FourCc(*b"????")), 8));
        };
        let (size, mut header_len) = match size32 {
            0 => (None, 8u64),
            1 => match be_u64(bytes, 8) {
                Some(large) => (Some(large), 16),
                None => return Err(truncated(fourcc, 16)),
            },
            n => (Some(u64::from(n)), 8),
        };
        if fourcc == UUID {
            header_len = header_len.saturating_add(16);
        }
        Ok(BoxHeader { fourcc, offset, header_len, size })
    }

    /// The box's size when `available` bytes are left from its start in
    /// its parent (or the file, at the top level): size 0 takes them all at
    /// the top level and is an error below it; a size smaller than the
    /// header or larger than `available` is an error.
    pub fn size_within(&self, available: u64, top_level: bool) -> Result<u64, ReadError> {
        let (fourcc, offset) = (self.fourcc, self.offset);
        let size = match self.size {
            None if top_level => available,
            None => return Err(ReadError::BadBoxSize { fourcc, offset, size: 0 }),
            Some(size) => size,
        };
        if size < self.header_len {
            return Err(ReadError::BadBoxSize { fourcc, offset, size });
        }
        if size > available {
            return Err(ReadError::Truncated { fourcc, offset, needed: size, available });
        }
        Ok(size)
    }

    /// Offset of the body's first byte.
    pub fn body_offset(&self) -> u64 {
        self.offset.saturating_add(self.header_len)
    }
}

/// One box in memory: its type, where it is, and its body.
#[derive(Debug, Clone, Copy)]
pub struct Bx<'a> {
    /// The box type.
    pub fourcc: FourCc,
    /// Offset of the box's first byte in the input.
    pub offset: u64,
    /// The body: everything after the header (and the `uuid` extended type).
    pub body: &'a [u8],
    /// Offset of the body's first byte in the input.
    pub body_offset: u64,
}

impl<'a> Bx<'a> {
    /// Offset just past the box.
    pub fn end(&self) -> u64 {
        self.body_offset.saturating_add(self.body.len() as u64)
    }

    /// The children of a container box.
    pub fn children(&self) -> Children<'a> {
        Children { data: self.body, pos: 0, base: self.body_offset, parent: Some(self.fourcc), done: false }
    }
}

/// The boxes of a byte range, in order. Stops at the first error.
#[derive(Debug, Clone)]
pub struct Children<'a> {
    data: &'a [u8],
    pos: usize,
    /// Offset of `data[0]` in the input.
    base: u64,
    /// `None` at the top level.
    parent: Option<FourCc>,
    done: bool,
}

/// The top-level boxes of `data`, a whole file or segment.
pub fn top_level(data: &[u8]) -> Children<'_> {
    Children { data, pos: 0, base: 0, parent: None, done: false }
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Bx<'a>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        let result = self.bx(rest);
        match &result {
            Ok(bx) => {
                // bx() checked that the box fits in `rest`.
                let size = bx.end().saturating_sub(bx.offset);
                self.pos = self.pos.saturating_add(usize::try_from(size).unwrap_or(usize::MAX));
            }
            Err(_) => self.done = true,
        }
        match result {
            Ok(bx) => Some(Ok(bx)),
            // A few zero bytes after the last child of a box are padding
            // (QuickTime writes a 32-bit zero terminator), not a box.
            Err(_) if self.parent.is_some() && rest.len() < 8 && rest.iter().all(|&b| b == 0) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

impl<'a> Children<'a> {
    fn bx(&self, rest: &'a [u8]) -> Result<Bx<'a>, ReadError> {
        let offset = self.base.saturating_add(self.pos as u64);
        let header = BoxHeader::parse(rest, offset, self.parent)?;
        let size = header.size_within(rest.len() as u64, self.parent.is_none())?;
        let truncated =
            ReadError::Truncated { fourcc: header.fourcc, offset, needed: size, available: rest.len() as u64 };
        // Both fit in `rest`, hence in usize.
        let (Ok(h), Ok(s)) = (usize::try_from(header.header_len), usize::try_from(size)) else {
            return Err(truncated);
        };
        let body = rest.get(h..s).ok_or(truncated)?;
        Ok(Bx { fourcc: header.fourcc, offset, body, body_offset: header.body_offset() })
    }
}

/// The boxes between two offsets of a seekable source, by their headers:
/// bodies are not read, so a file's media data is skipped, not loaded.
/// Offsets count from `origin`, the source position of the file's first
/// byte. Stops at the first error (or when the source fails).
#[derive(Debug)]
pub struct SeekChildren<'r, R> {
    source: &'r mut R,
    origin: u64,
    pos: u64,
    end: u64,
    parent: Option<FourCc>,
    done: bool,
}

impl<'r, R: Read + Seek> SeekChildren<'r, R> {
    /// The boxes from `start` to `end` (a parent's body, or `0..length` for
    /// the top level when `parent` is `None`).
    pub fn new(source: &'r mut R, origin: u64, start: u64, end: u64, parent: Option<FourCc>) -> Self {
        SeekChildren { source, origin, pos: start, end, parent, done: false }
    }

    /// Reads up to `buf.len()` bytes at offset `pos`; how many were read.
    fn read_at(&mut self, pos: u64, buf: &mut [u8]) -> Option<usize> {
        self.source.seek(SeekFrom::Start(self.origin.checked_add(pos)?)).ok()?;
        let mut filled = 0;
        while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
            match self.source.read(rest) {
                Ok(0) => break,
                Ok(n) => filled = filled.saturating_add(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        Some(filled)
    }
}

/// A box of a seekable source: its header and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxSpan {
    /// The header.
    pub header: BoxHeader,
    /// Offset just past the box.
    pub end: u64,
}

impl<R: Read + Seek> Iterator for SeekChildren<'_, R> {
    type Item = Result<BoxSpan, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.end {
            return None;
        }
        let available = self.end.saturating_sub(self.pos);
        let mut buf = [0u8; 16];
        let want = usize::try_from(available).unwrap_or(usize::MAX).min(buf.len());
        let head = match self.read_at(self.pos, buf.get_mut(..want).unwrap_or_default()) {
            Some(n) => buf.get(..n).unwrap_or_default(),
            None => {
                self.done = true;
                return None;
            }
        };
        let span = BoxHeader::parse(head, self.pos, self.parent).and_then(|header| {
            let size = header.size_within(available, self.parent.is_none())?;
            Ok(BoxSpan { header, end: self.pos.saturating_add(size) })
        });
        match &span {
            Ok(s) => self.pos = s.end,
            Err(_) => self.done = true,
        }
        Some(span)
    }
}

/// Offset just past the first top-level box of type `fourcc`, if the boxes
/// up to it parse.
pub fn end_of_first(data: &[u8], fourcc: [u8; 4]) -> Option<usize> {
    top_level(data).map_while(Result::ok).find(|bx| bx.fourcc.0 == fourcc).and_then(|bx| usize::try_from(bx.end()).ok())
}

/// Splits `data` before every top-level box of type `fourcc` (the first
/// piece keeps whatever precedes the first such box). Stops splitting at the
/// first box that does not parse; the rest goes into the last piece.
pub fn split_before(data: &[u8], fourcc: [u8; 4]) -> Vec<&[u8]> {
    let mut cuts: Vec<usize> = top_level(data)
        .map_while(Result::ok)
        .filter(|bx| bx.fourcc.0 == fourcc)
        .filter_map(|bx| usize::try_from(bx.offset).ok())
        .filter(|&o| o > 0)
        .collect();
    cuts.push(data.len());
    let mut pieces = Vec::with_capacity(cuts.len());
    let mut start = 0;
    for cut in cuts {
        if let Some(piece) = data.get(start..cut) {
            if !piece.is_empty() {
                pieces.push(piece);
            }
        }
        start = cut;
    }
    pieces
}

/// The `N` bytes at `pos` of `data`; `None` past the end.
fn bytes_at<const N: usize>(data: &[u8], pos: usize) -> Option<[u8; N]> {
    data.get(pos..pos.checked_add(N)?)?.try_into().ok()
}

/// Big-endian u16 at byte `pos` of `data`.
pub(crate) fn be_u16(data: &[u8], pos: usize) -> Option<u16> {
    bytes_at(data, pos).map(u16::from_be_bytes)
}

/// Big-endian u32 at byte `pos` of `data`.
pub(crate) fn be_u32(data: &[u8], pos: usize) -> Option<u32> {
    bytes_at(data, pos).map(u32::from_be_bytes)
}

/// Big-endian u64 at byte `pos` of `data`.
pub(crate) fn be_u64(data: &[u8], pos: usize) -> Option<u64> {
    bytes_at(data, pos).map(u64::from_be_bytes)
}

#[cfg(test)]
pub(crate) mod build {
    //! Box builders for unit tests of MP4 readers.

    /// A box: size, type, body.
    pub fn bx(fourcc: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(fourcc);
        v.extend_from_slice(body);
        v
    }

    /// A full box: size, type, version, flags, body.
    pub fn full(fourcc: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut b = ((u32::from(version) << 24) | (flags & 0xff_ffff)).to_be_bytes().to_vec();
        b.extend_from_slice(body);
        bx(fourcc, &b)
    }

    /// Big-endian u32s.
    pub fn u32s(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    /// Concatenation.
    pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::build::bx;
    use super::*;
    use std::io::Cursor;

    #[test]
    fn headers() {
        let h = BoxHeader::parse(&bx(b"free", &[1, 2]), 100, None).unwrap();
        assert_eq!(
            (h.fourcc, h.offset, h.header_len, h.size, h.body_offset()),
            (FourCc(*b"free"), 100, 8, Some(10), 108)
        );
        let mut large = vec![0, 0, 0, 1];
        large.extend_from_slice(b"mdat");
        large.extend_from_slice(&20u64.to_be_bytes());
        let h = BoxHeader::parse(&large, 0, None).unwrap();
        assert_eq!((h.header_len, h.size), (16, Some(20)));
        assert!(matches!(BoxHeader::parse(&large[..12], 0, None), Err(ReadError::Truncated { needed: 16, .. })));
        assert!(matches!(BoxHeader::parse(&large[..7], 0, None), Err(ReadError::Truncated { needed: 8, .. })));
        let uuid = BoxHeader::parse(&bx(b"uuid", &[0; 16]), 0, None).unwrap();
        assert_eq!(uuid.header_len, 24);
        let to_end = BoxHeader::parse(&[0, 0, 0, 0, b'm', b'd', b'a', b't'], 0, None).unwrap();
        assert_eq!(to_end.size, None);
        assert_eq!(to_end.size_within(50, true), Ok(50));
        assert!(matches!(to_end.size_within(50, false), Err(ReadError::BadBoxSize { size: 0, .. })));
        assert!(matches!(h.size_within(19, true), Err(ReadError::Truncated { needed: 20, available: 19, .. })));
        assert_eq!(uuid.size_within(100, true), Ok(24));
        let short_uuid = BoxHeader::parse(&bx(b"uuid", &[0; 12]), 0, None).unwrap();
        assert!(matches!(short_uuid.size_within(100, true), Err(ReadError::BadBoxSize { size: 20, .. })));
    }

    #[test]
    fn seekable_walk_skips_bodies() {
        let moov = bx(b"moov", &[bx(b"mvhd", &[1; 4]), bx(b"trak", &[2; 8])].concat());
        let file = [bx(b"ftyp", b"isom"), bx(b"mdat", &[0; 1000]), moov].concat();
        let mut cursor = Cursor::new([vec![9; 5], file.clone()].concat());
        let top: Vec<_> = SeekChildren::new(&mut cursor, 5, 0, file.len() as u64, None).map(Result::unwrap).collect();
        assert_eq!(
            top.iter().map(|s| (s.header.fourcc.0, s.end)).collect::<Vec<_>>(),
            [(*b"ftyp", 12), (*b"mdat", 1020), (*b"moov", 1056)]
        );
        let moov = top[2];
        let inner: Vec<_> =
            SeekChildren::new(&mut cursor, 5, moov.header.body_offset(), moov.end, Some(FourCc(*b"moov")))
                .map(Result::unwrap)
                .collect();
        assert_eq!(inner.iter().map(|s| s.header.fourcc.0).collect::<Vec<_>>(), [*b"mvhd", *b"trak"]);
        // A box that runs past its parent ends the walk with an error.
        let cut = file.len() as u64 - 1;
        let last = SeekChildren::new(&mut cursor, 5, 0, cut, None).last();
        assert!(matches!(last, Some(Err(ReadError::Truncated { .. }))));
    }
}

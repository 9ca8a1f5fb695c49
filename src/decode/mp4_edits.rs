//! The edit lists of an MP4's audio tracks, read ahead of Symphonia (whose
//! MP4 reader ignores `elst`), so that the decoder can drop an AAC
//! encoder's priming samples and padding (ISO/IEC 14496-12 8.6.6; ffmpeg
//! and Apple write one media edit that starts after the priming and lasts
//! as long as the original audio).
//!
//! Only box headers and the few small boxes needed are read: `moov` >
//! `mvhd`, `trak` > `tkhd`, `edts` > `elst`, `mdia` > `mdhd`, `hdlr`; the
//! sample tables and media data are skipped by seeking (boxes are walked
//! with [`crate::mux::walk::SeekChildren`]). Anything malformed just ends
//! the scan (Symphonia then reports the damage), and the number of boxes
//! visited is bounded.

use std::io::{Read, Seek, SeekFrom};

use crate::mux::reader::FourCc;
use crate::mux::walk::SeekChildren;

/// Boxes visited at most, over the whole scan.
const MAX_BOXES: u32 = 4096;

/// The one media edit of an audio track, in the common form: optional
/// empty edits, then a single edit at normal rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AudioEdit {
    /// `tkhd` track ID.
    pub track_id: u32,
    /// Where the presentation starts in the media, in `media_timescale`
    /// ticks (the priming to drop).
    pub media_time: u64,
    /// The `mdhd` timescale.
    pub media_timescale: u32,
    /// How long the presentation lasts, in `movie_timescale` ticks; 0 when
    /// unknown (fragmented files).
    pub duration: u64,
    /// The `mvhd` timescale.
    pub movie_timescale: u32,
}

/// What the scan collects per `trak`.
#[derive(Default)]
struct TrakInfo {
    track_id: Option<u32>,
    handler: Option<[u8; 4]>,
    media_timescale: Option<u32>,
    /// `(segment_duration, media_time, rate)` per `elst` entry.
    edits: Vec<(u64, i64, i32)>,
}

struct Scanner<'r, R> {
    r: &'r mut R,
    /// Stream position of byte 0 of the file.
    origin: u64,
    boxes: u32,
}

impl<R: Read + Seek> Scanner<'_, R> {
    fn read_at(&mut self, pos: u64, buf: &mut [u8]) -> Option<()> {
        self.r.seek(SeekFrom::Start(self.origin.checked_add(pos)?)).ok()?;
        self.r.read_exact(buf).ok()
    }

    /// Children of `parent` (`None`: the top level), whose body spans
    /// `start..end`, as `(type, body start, end)`; up to the first box that
    /// does not parse or fit, or the box budget.
    fn children(&mut self, start: u64, end: u64, parent: Option<&[u8; 4]>) -> Vec<([u8; 4], u64, u64)> {
        let mut out = Vec::new();
        for child in SeekChildren::new(&mut *self.r, self.origin, start, end, parent.map(FourCc::from)) {
            self.boxes += 1;
            match child {
                Ok(c) if self.boxes <= MAX_BOXES => out.push((c.header.fourcc.0, c.header.body_offset(), c.end)),
                _ => break,
            }
        }
        out
    }

    fn u32_at(&mut self, pos: u64, end: u64) -> Option<u32> {
        let mut b = [0u8; 4];
        (pos + 4 <= end).then_some(())?;
        self.read_at(pos, &mut b)?;
        Some(u32::from_be_bytes(b))
    }

    /// The timescale of an `mvhd` or `mdhd` body (same layout up to it).
    fn timescale(&mut self, body: u64, end: u64) -> Option<u32> {
        let version = self.u32_at(body, end)? >> 24;
        let at = if version == 1 { body + 20 } else { body + 12 };
        self.u32_at(at, end).filter(|&t| t != 0)
    }

    fn track_id(&mut self, body: u64, end: u64) -> Option<u32> {
        let version = self.u32_at(body, end)? >> 24;
        self.u32_at(if version == 1 { body + 20 } else { body + 12 }, end)
    }

    fn elst(&mut self, body: u64, end: u64) -> Vec<(u64, i64, i32)> {
        let mut out = Vec::new();
        let (Some(vf), Some(count)) = (self.u32_at(body, end), self.u32_at(body + 4, end)) else { return out };
        let wide = vf >> 24 == 1;
        let entry = if wide { 20 } else { 12 };
        let mut pos = body + 8;
        for _ in 0..count.min(16) {
            let mut e = [0u8; 20];
            if pos + entry > end || self.read_at(pos, &mut e[..entry as usize]).is_none() {
                break;
            }
            let be4 = |o: usize| [e[o], e[o + 1], e[o + 2], e[o + 3]];
            let be8 = |o: usize| [e[o], e[o + 1], e[o + 2], e[o + 3], e[o + 4], e[o + 5], e[o + 6], e[o + 7]];
            out.push(if wide {
                (u64::from_be_bytes(be8(0)), i64::from_be_bytes(be8(8)), i32::from_be_bytes(be4(16)))
            } else {
                (
                    u64::from(u32::from_be_bytes(be4(0))),
                    i64::from(i32::from_be_bytes(be4(4))),
                    i32::from_be_bytes(be4(8)),
                )
            });
            pos += entry;
        }
        out
    }

    fn trak(&mut self, body: u64, end: u64) -> TrakInfo {
        let mut t = TrakInfo::default();
        for (fourcc, b, e) in self.children(body, end, Some(b"trak")) {
            match &fourcc {
                b"tkhd" => t.track_id = self.track_id(b, e),
                b"edts" => {
                    for (f, b2, e2) in self.children(b, e, Some(b"edts")) {
                        if &f == b"elst" {
                            t.edits = self.elst(b2, e2);
                        }
                    }
                }
                b"mdia" => {
                    for (f, b2, e2) in self.children(b, e, Some(b"mdia")) {
                        match &f {
                            b"mdhd" => t.media_timescale = self.timescale(b2, e2),
                            b"hdlr" => t.handler = self.u32_at(b2 + 8, e2).map(u32::to_be_bytes),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        t
    }
}

/// The single media edit of each audio track that has one, read from the
/// MP4 starting at the current position of `r`. `r` is left at that
/// position again. Empty when the input is not an MP4, has no edit lists,
/// or anything about them is unusual.
pub(crate) fn audio_edits<R: Read + Seek>(r: &mut R) -> Vec<AudioEdit> {
    let Ok(origin) = r.stream_position() else { return Vec::new() };
    let len = r.seek(SeekFrom::End(0)).ok().and_then(|end| end.checked_sub(origin));
    let mut edits = Vec::new();
    if let Some(len) = len {
        let mut s = Scanner { r: &mut *r, origin, boxes: 0 };
        if let Some((_, body, end)) = s.children(0, len, None).into_iter().find(|(f, _, _)| f == b"moov") {
            let mut movie_timescale = None;
            let mut traks = Vec::new();
            for (fourcc, b, e) in s.children(body, end, Some(b"moov")) {
                match &fourcc {
                    b"mvhd" => movie_timescale = s.timescale(b, e),
                    b"trak" => traks.push(s.trak(b, e)),
                    _ => {}
                }
            }
            edits = traks.into_iter().filter_map(|t| single_media_edit(t, movie_timescale?)).collect();
        }
    }
    // Leave the source where it was, whatever happened.
    let _ = r.seek(SeekFrom::Start(origin));
    edits
}

fn single_media_edit(t: TrakInfo, movie_timescale: u32) -> Option<AudioEdit> {
    if t.handler != Some(*b"soun") {
        return None;
    }
    let mut media = t.edits.iter().filter(|e| e.1 != -1);
    let &(duration, media_time, rate) = media.next()?;
    if media.next().is_some() || rate != 0x0001_0000 || media_time < 0 {
        return None;
    }
    Some(AudioEdit {
        track_id: t.track_id?,
        media_time: media_time as u64,
        media_timescale: t.media_timescale?,
        duration,
        movie_timescale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mux::walk::build::{bx, u32s};
    use std::io::Cursor;

    fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }

    /// A file with `ftyp`, an `mdat`, and a `moov` with one sound track
    /// (ID 2) whose `elst` has an empty edit then a media edit.
    fn file(handler: &[u8; 4], entries: &[(u32, i32)]) -> Vec<u8> {
        let mvhd = bx(b"mvhd", &u32s(&[0, 0, 0, 1000, 3000]));
        let tkhd = bx(b"tkhd", &u32s(&[0, 0, 0, 2, 0, 3000]));
        let mut elst = u32s(&[0, entries.len() as u32]);
        for &(d, t) in entries {
            elst.extend(u32s(&[d, t as u32, 0x0001_0000]));
        }
        let edts = bx(b"edts", &bx(b"elst", &elst));
        let mdhd = bx(b"mdhd", &u32s(&[0, 0, 0, 44_100, 133_324]));
        let mut hdlr_body = u32s(&[0, 0]);
        hdlr_body.extend_from_slice(handler);
        let mdia = bx(b"mdia", &cat(&[mdhd, bx(b"hdlr", &hdlr_body)]));
        let trak = bx(b"trak", &cat(&[tkhd, edts, mdia]));
        cat(&[bx(b"ftyp", b"M4A \0\0\0\0"), bx(b"mdat", &[0u8; 100]), bx(b"moov", &cat(&[mvhd, trak]))])
    }

    #[test]
    fn finds_the_priming_and_duration() {
        let data = file(b"soun", &[(500, -1), (3000, 1024)]);
        let mut c = Cursor::new(data);
        c.set_position(0);
        let edits = audio_edits(&mut c);
        assert_eq!(
            edits,
            [AudioEdit {
                track_id: 2,
                media_time: 1024,
                media_timescale: 44_100,
                duration: 3000,
                movie_timescale: 1000
            }]
        );
        assert_eq!(c.position(), 0);
    }

    #[test]
    fn ignores_what_it_does_not_handle() {
        // Video, two media edits, no moov, garbage, truncated.
        assert!(audio_edits(&mut Cursor::new(file(b"vide", &[(3000, 1024)]))).is_empty());
        assert!(audio_edits(&mut Cursor::new(file(b"soun", &[(1000, 0), (2000, 5000)]))).is_empty());
        assert!(audio_edits(&mut Cursor::new(bx(b"ftyp", b"M4A \0\0\0\0"))).is_empty());
        let data = file(b"soun", &[(3000, 1024)]);
        for cut in [0, 7, 20, data.len() / 2, data.len() - 1] {
            let mut c = Cursor::new(&data[..cut]);
            assert!(audio_edits(&mut c).is_empty(), "cut at {cut}");
        }
        let mut rng = crate::xorshift::XorShift::new(7);
        let mut noise = Cursor::new((0..5000).map(|_| rng.next_u64() as u8).collect::<Vec<_>>());
        assert!(audio_edits(&mut noise).is_empty());
        // A moov of nothing but tiny boxes stops at the box budget.
        let many = bx(b"moov", &[0, 0, 0, 8, b'f', b'r', b'e', b'e'].repeat(10_000));
        assert!(audio_edits(&mut Cursor::new(many)).is_empty());
    }
}

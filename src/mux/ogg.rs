//! Ogg page writer (RFC 3533): packs the packets of one logical stream into
//! pages with lacing values, granule positions and the page CRC; and the
//! Ogg Opus mapping on top of it ([`OggOpusWriter`], RFC 7845).
//!
//! framecast writes Ogg to offer Ogg Opus as an output format that every
//! player and ffmpeg read, and reads it ([`OggPageReader`]: pages back into
//! the packets of one logical stream) to transcode Ogg Opus input. The
//! reader takes untrusted bytes: every page's CRC is checked, a page is at
//! most 65 307 bytes, and a packet larger than its limit is an error, not
//! an allocation.
//!
//! A page holds at most 255 segments of at most 255 bytes. A packet is cut
//! into 255-byte segments and ends with a shorter one (a zero-length one
//! when its size is a multiple of 255); a packet longer than what is left on
//! a page continues on the next page. A page's granule position is that of
//! the last packet that ends on it, or -1 when none does.

use std::fmt;

use crate::codec::opus::{OpusHead, OpusPacket};

/// Header type flag: the page starts with the rest of a packet begun on
/// the previous page.
const CONTINUED: u8 = 0x01;
/// Header type flag: first page of the logical stream.
const BEGIN_OF_STREAM: u8 = 0x02;
/// Header type flag: last page of the logical stream.
const END_OF_STREAM: u8 = 0x04;
/// Granule position of a page on which no packet ends.
const NO_GRANULE: u64 = u64::MAX;
/// Lacing values per page (the segment count is one byte).
const MAX_SEGMENTS: usize = 255;
/// A page is closed once its body reaches this many bytes. libogg's default
/// is similar (4 KiB); small pages let a player start and seek sooner.
pub const DEFAULT_PAGE_BYTES: usize = 4096;

/// CRC-32 of Ogg pages: polynomial 0x04c11db7, initial value 0, no bit
/// reflection, no final XOR (RFC 3533 section 6).
const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            r = if r & 0x8000_0000 != 0 { (r << 1) ^ 0x04c1_1db7 } else { r << 1 };
            bit += 1;
        }
        table[i] = r;
        i += 1;
    }
    table
}

/// The Ogg CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    crc32_update(0, data)
}

/// This CRC-32 (polynomial 0x04c11db7, unreflected) continued from `crc`
/// over `data`. MPEG-2 sections use it from 0xffff_ffff
/// (`mux::ts`), Ogg from 0.
pub(crate) fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    data.iter().fold(crc, |crc, &b| (crc << 8) ^ CRC_TABLE[usize::from((crc >> 24) as u8 ^ b)])
}

/// Why a packet cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OggError {
    /// The stream was already ended with [`PacketEnd::EndOfStream`]. Not
    /// recoverable: start a new writer (and serial number) for more data.
    Finished,
    /// A granule position of -1 (`u64::MAX`) was given for a packet; it
    /// means "no packet ends on this page" and cannot be a packet's own.
    ReservedGranule,
}

impl fmt::Display for OggError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OggError::Finished => write!(f, "the Ogg stream has already ended"),
            OggError::ReservedGranule => write!(f, "granule position -1 is reserved for pages with no packet end"),
        }
    }
}

impl std::error::Error for OggError {}

/// What to do after a packet is queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketEnd {
    /// Keep filling the current page.
    Continue,
    /// Close the page after this packet (header packets, or to bound the
    /// time a page spans).
    FlushPage,
    /// This is the stream's last packet: close the page and mark it end of
    /// stream.
    EndOfStream,
}

/// Writes the pages of one logical Ogg stream.
///
/// ```
/// use framecast::mux::ogg::{OggPageWriter, PacketEnd};
///
/// let mut ogg = OggPageWriter::new(0x1234);
/// let mut out = Vec::new();
/// ogg.write_packet(b"header", 0, PacketEnd::FlushPage, &mut out)?;
/// ogg.write_packet(&[7; 300], 960, PacketEnd::EndOfStream, &mut out)?;
/// assert_eq!(&out[..4], b"OggS");
/// # Ok::<(), framecast::mux::ogg::OggError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OggPageWriter {
    serial: u32,
    sequence: u32,
    page_bytes: usize,
    /// Lacing values of the page being filled.
    lacing: Vec<u8>,
    /// Body of the page being filled.
    body: Vec<u8>,
    /// Granule position of the last packet that ended on the open page.
    granule: u64,
    /// Granule position of the last packet queued (0 before any).
    last_granule: u64,
    /// The open page starts with the tail of a packet.
    continued: bool,
    /// No page has been written yet (the next one gets the BOS flag).
    first: bool,
    finished: bool,
}

impl OggPageWriter {
    /// A writer for the logical stream `serial`, closing pages at
    /// [`DEFAULT_PAGE_BYTES`].
    pub fn new(serial: u32) -> Self {
        Self::with_page_bytes(serial, DEFAULT_PAGE_BYTES)
    }

    /// A writer that closes a page once its body holds `page_bytes` (at
    /// least 1; a page never exceeds 255 * 255 bytes whatever the value).
    pub fn with_page_bytes(serial: u32, page_bytes: usize) -> Self {
        OggPageWriter {
            serial,
            sequence: 0,
            page_bytes: page_bytes.clamp(1, MAX_SEGMENTS * 255),
            lacing: Vec::with_capacity(MAX_SEGMENTS),
            body: Vec::new(),
            granule: NO_GRANULE,
            last_granule: 0,
            continued: false,
            first: true,
            finished: false,
        }
    }

    /// The stream's serial number.
    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// Pages written so far.
    pub fn pages_written(&self) -> u32 {
        self.sequence
    }

    /// Queues `packet`, whose last sample has granule position `granule`
    /// (codec-defined; for Opus, 48 kHz samples including pre-skip), and
    /// appends every page completed on the way to `out`.
    pub fn write_packet(
        &mut self,
        packet: &[u8],
        granule: u64,
        end: PacketEnd,
        out: &mut Vec<u8>,
    ) -> Result<(), OggError> {
        if self.finished {
            return Err(OggError::Finished);
        }
        if granule == NO_GRANULE {
            return Err(OggError::ReservedGranule);
        }
        let mut rest = packet;
        loop {
            if self.lacing.len() == MAX_SEGMENTS {
                // The packet goes on: this page closes with no packet end
                // unless an earlier packet ended on it.
                self.emit_page(false, out);
                self.continued = true;
            }
            let take = rest.len().min(255);
            self.lacing.push(take as u8);
            self.body.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if take < 255 {
                break;
            }
        }
        self.granule = granule;
        self.last_granule = granule;
        match end {
            PacketEnd::Continue if self.body.len() < self.page_bytes => {}
            PacketEnd::Continue | PacketEnd::FlushPage => self.emit_page(false, out),
            PacketEnd::EndOfStream => {
                self.emit_page(true, out);
                self.finished = true;
            }
        }
        Ok(())
    }

    /// Closes the open page, if it holds anything.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        if !self.lacing.is_empty() {
            self.emit_page(false, out);
        }
    }

    /// Ends the stream: closes the open page flagged end of stream or, when
    /// no page is open, writes an empty end-of-stream page carrying the
    /// last packet's granule position (as libogg does). Does nothing if the
    /// stream has already ended.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        if self.lacing.is_empty() {
            self.granule = self.last_granule;
        }
        self.emit_page(true, out);
        self.finished = true;
    }

    /// Whether the stream has ended.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Appends the open page to `out` and starts a new one.
    fn emit_page(&mut self, eos: bool, out: &mut Vec<u8>) {
        let start = out.len();
        let mut flags = 0;
        if self.continued {
            flags |= CONTINUED;
        }
        if self.first {
            flags |= BEGIN_OF_STREAM;
        }
        if eos {
            flags |= END_OF_STREAM;
        }
        out.extend_from_slice(b"OggS");
        out.push(0); // stream_structure_version
        out.push(flags);
        out.extend_from_slice(&self.granule.to_le_bytes());
        out.extend_from_slice(&self.serial.to_le_bytes());
        out.extend_from_slice(&self.sequence.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // CRC, patched below
        out.push(self.lacing.len() as u8);
        out.extend_from_slice(&self.lacing);
        out.extend_from_slice(&self.body);
        let crc = crc32(&out[start..]);
        out[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
        self.sequence = self.sequence.wrapping_add(1);
        self.first = false;
        self.continued = false;
        self.granule = NO_GRANULE;
        self.lacing.clear();
        self.body.clear();
    }
}

/// Why Ogg input cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OggReadError {
    /// A page does not start with the `OggS` capture pattern and version 0
    /// (the input is not Ogg, or is damaged there).
    NotOgg {
        /// Where the page should start, in input bytes.
        offset: u64,
    },
    /// A page's CRC does not match its bytes.
    BadCrc {
        /// Where the page starts.
        offset: u64,
    },
    /// A packet is larger than the reader's limit, bytes.
    PacketTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The input ends inside a page or a packet.
    Truncated {
        /// Where the unfinished page starts.
        offset: u64,
    },
}

impl fmt::Display for OggReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OggReadError::NotOgg { offset } => write!(f, "no Ogg page at byte {offset}"),
            OggReadError::BadCrc { offset } => write!(f, "the Ogg page at byte {offset} fails its CRC"),
            OggReadError::PacketTooLarge { limit } => write!(f, "an Ogg packet is larger than {limit} bytes"),
            OggReadError::Truncated { offset } => write!(f, "the Ogg input ends inside the page at byte {offset}"),
        }
    }
}

impl std::error::Error for OggReadError {}

/// One packet read back from Ogg pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OggPacket {
    /// The packet bytes.
    pub data: Vec<u8>,
    /// The page's granule position when this packet is the last one that
    /// ends on its page; `None` otherwise.
    pub granule: Option<u64>,
    /// This is the last packet of a page flagged end of stream.
    pub end_of_stream: bool,
}

/// Reads the packets of the first logical stream of an Ogg input (the
/// serial number of its first page; pages of other streams are skipped):
/// push bytes in any chunking, take packets out.
#[derive(Debug, Clone)]
pub struct OggPageReader {
    buf: Vec<u8>,
    /// Input offset of `buf[0]`.
    offset: u64,
    serial: Option<u32>,
    /// A packet continued from the previous page.
    partial: Vec<u8>,
    max_packet: usize,
    packets: std::collections::VecDeque<OggPacket>,
}

impl OggPageReader {
    /// A reader refusing packets over `max_packet` bytes.
    pub fn new(max_packet: usize) -> Self {
        OggPageReader {
            buf: Vec::new(),
            offset: 0,
            serial: None,
            partial: Vec::new(),
            max_packet,
            packets: Default::default(),
        }
    }

    /// Takes the next input bytes and splits every complete page.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), OggReadError> {
        self.buf.extend_from_slice(bytes);
        let mut at = 0usize;
        while let Some(len) = self.page(at)? {
            at = at.saturating_add(len);
        }
        self.buf.drain(..at.min(self.buf.len()));
        self.offset = self.offset.saturating_add(at as u64);
        Ok(())
    }

    /// Ends the input: an unfinished page is [`OggReadError::Truncated`].
    pub fn finish(&mut self) -> Result<(), OggReadError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(OggReadError::Truncated { offset: self.offset })
        }
    }

    /// The next packet, if any.
    pub fn next_packet(&mut self) -> Option<OggPacket> {
        self.packets.pop_front()
    }

    /// Reads the page at `buf[at..]`: its length, or `None` when it is not
    /// all there yet.
    fn page(&mut self, at: usize) -> Result<Option<usize>, OggReadError> {
        let offset = self.offset.saturating_add(at as u64);
        let data = self.buf.get(at..).unwrap_or(&[]);
        let Some(head) = data.get(..27) else {
            return if data.get(..4).is_some_and(|m| m != b"OggS") {
                Err(OggReadError::NotOgg { offset })
            } else {
                Ok(None)
            };
        };
        if head.get(..5) != Some(b"OggS\0".as_slice()) {
            return Err(OggReadError::NotOgg { offset });
        }
        let field = |r: std::ops::Range<usize>| head.get(r).unwrap_or(&[]);
        let flags = head.get(5).copied().unwrap_or(0);
        let granule = u64::from_le_bytes(field(6..14).try_into().unwrap_or([0; 8]));
        let serial = u32::from_le_bytes(field(14..18).try_into().unwrap_or([0; 4]));
        let crc = u32::from_le_bytes(field(22..26).try_into().unwrap_or([0; 4]));
        let segments = usize::from(head.get(26).copied().unwrap_or(0));
        let Some(lacing) = data.get(27..27 + segments) else { return Ok(None) };
        let body_len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
        let len = 27 + segments + body_len;
        let Some(page) = data.get(..len) else { return Ok(None) };
        let mut check = page.to_vec();
        if let Some(c) = check.get_mut(22..26) {
            c.fill(0);
        }
        if crc32(&check) != crc {
            return Err(OggReadError::BadCrc { offset });
        }
        if *self.serial.get_or_insert(serial) != serial {
            return Ok(Some(len));
        }
        let lacing = lacing.to_vec();
        let body = page.get(27 + segments..).unwrap_or(&[]).to_vec();
        if flags & CONTINUED == 0 {
            // A packet left unfinished by the previous page is dropped.
            self.partial.clear();
        }
        // Which lacing value ends the page's last complete packet.
        let last_end = lacing.iter().rposition(|&l| l < 255);
        let mut pos = 0usize;
        for (i, &l) in lacing.iter().enumerate() {
            let end = pos.saturating_add(usize::from(l));
            self.partial.extend_from_slice(body.get(pos..end).unwrap_or(&[]));
            pos = end;
            if self.partial.len() > self.max_packet {
                return Err(OggReadError::PacketTooLarge { limit: self.max_packet });
            }
            if l < 255 {
                let last = Some(i) == last_end;
                self.packets.push_back(OggPacket {
                    data: std::mem::take(&mut self.partial),
                    granule: (last && granule != NO_GRANULE).then_some(granule),
                    end_of_stream: last && flags & END_OF_STREAM != 0,
                });
            }
        }
        Ok(Some(len))
    }
}

/// Writes an Ogg Opus stream (RFC 7845): the OpusHead and OpusTags pages,
/// then the packets with granule positions counted in 48 kHz samples from
/// the start of decoding (pre-skip included), pages of at most about a
/// second or 4 KiB, and the last granule position trimmed to the input's
/// real end.
#[derive(Debug, Clone)]
pub struct OggOpusWriter {
    ogg: OggPageWriter,
    pre_skip: u16,
    /// The last packet, held back until we know whether it ends the stream.
    held: Option<(Vec<u8>, u64)>,
    /// Granule position where the open page's audio starts.
    page_start: u64,
    /// Granule position of the last packet written.
    last_granule: u64,
}

/// Longest audio on one page, 48 kHz ticks. Players start and seek by page,
/// so pages of low-bitrate streams are closed at this duration even when
/// small (opusenc's default limit is also 1 s).
const MAX_PAGE_TICKS: u64 = 48_000;

impl OggOpusWriter {
    /// Starts logical stream `serial`: appends the header pages to `out`.
    pub fn new(serial: u32, head: OpusHead, out: &mut Vec<u8>) -> Self {
        let mut ogg = OggPageWriter::new(serial);
        // Neither header can fail: the writer is fresh and granule 0 is valid.
        let _ = ogg.write_packet(&head.to_bytes(), 0, PacketEnd::FlushPage, out);
        let _ = ogg.write_packet(&opus_tags(), 0, PacketEnd::FlushPage, out);
        OggOpusWriter { ogg, pre_skip: head.pre_skip, held: None, page_start: 0, last_granule: 0 }
    }

    /// Queues `packet`; complete pages are appended to `out`.
    pub fn write_packet(&mut self, packet: &OpusPacket, out: &mut Vec<u8>) -> Result<(), OggError> {
        if self.ogg.is_finished() {
            return Err(OggError::Finished);
        }
        let end = packet.pts + i64::from(packet.duration) + i64::from(self.pre_skip);
        let granule = (end.max(0) as u64).max(self.last_granule);
        if let Some((data, g)) = self.held.take() {
            self.write_held(&data, g, false, out)?;
        }
        self.held = Some((packet.data.clone(), granule));
        Ok(())
    }

    /// Ends the stream: writes the last packet on a page flagged end of
    /// stream, with the granule position of `end_pts` (from
    /// [`OpusEncoder::flush`]) so decoders drop the padding.
    ///
    /// [`OpusEncoder::flush`]: crate::codec::opus::OpusEncoder::flush
    pub fn finish(&mut self, end_pts: i64, out: &mut Vec<u8>) -> Result<(), OggError> {
        if self.ogg.is_finished() {
            return Err(OggError::Finished);
        }
        let end = (end_pts.saturating_add(i64::from(self.pre_skip))).max(0) as u64;
        match self.held.take() {
            Some((data, granule)) => {
                // Trim only within the last packet: never before the end of
                // the packets already written.
                let trimmed = end.clamp(self.last_granule, granule);
                self.write_held(&data, trimmed, true, out)
            }
            None => {
                self.ogg.finish(out);
                Ok(())
            }
        }
    }

    fn write_held(&mut self, data: &[u8], granule: u64, last: bool, out: &mut Vec<u8>) -> Result<(), OggError> {
        let end = if last {
            PacketEnd::EndOfStream
        } else if granule.saturating_sub(self.page_start) >= MAX_PAGE_TICKS {
            PacketEnd::FlushPage
        } else {
            PacketEnd::Continue
        };
        let pages = self.ogg.pages_written();
        self.ogg.write_packet(data, granule, end, out)?;
        self.last_granule = granule;
        if self.ogg.pages_written() != pages {
            self.page_start = granule;
        }
        Ok(())
    }
}

/// The `OpusTags` packet (RFC 7845 section 5.2) with our vendor string and
/// no comments.
fn opus_tags() -> Vec<u8> {
    let vendor = concat!("framecast ", env!("CARGO_PKG_VERSION"), " (opus-rs)").as_bytes();
    let mut t = Vec::with_capacity(16 + vendor.len());
    t.extend_from_slice(b"OpusTags");
    t.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    t.extend_from_slice(vendor);
    t.extend_from_slice(&0u32.to_le_bytes()); // user comment list length
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page as read back: (flags, granule, sequence, lacing, body).
    type Page = (u8, u64, u32, Vec<u8>, Vec<u8>);

    /// Splits pages written by the writer, checking the capture pattern,
    /// the serial and the CRC of each.
    fn pages(mut data: &[u8], serial: u32) -> Vec<Page> {
        let mut out = Vec::new();
        while !data.is_empty() {
            assert_eq!(&data[..4], b"OggS");
            assert_eq!(data[4], 0);
            let n = data[26] as usize;
            let lacing = data[27..27 + n].to_vec();
            let len = 27 + n + lacing.iter().map(|&l| l as usize).sum::<usize>();
            let mut copy = data[..len].to_vec();
            copy[22..26].fill(0);
            assert_eq!(crc32(&copy), u32::from_le_bytes(data[22..26].try_into().unwrap()), "page CRC");
            assert_eq!(u32::from_le_bytes(data[14..18].try_into().unwrap()), serial);
            out.push((
                data[5],
                u64::from_le_bytes(data[6..14].try_into().unwrap()),
                u32::from_le_bytes(data[18..22].try_into().unwrap()),
                lacing,
                data[27 + n..len].to_vec(),
            ));
            data = &data[len..];
        }
        out
    }

    #[test]
    fn crc_matches_the_reference_check_value() {
        // The Ogg CRC is CRC-32/POSIX (check value 0x765e7680) without
        // its final XOR: 0x765e7680 ^ 0xffffffff.
        assert_eq!(crc32(b"123456789"), 0x89a1_897f);
        assert_eq!(crc32(&[]), 0);
    }

    #[test]
    fn lays_out_flags_lacing_and_granules() {
        let mut w = OggPageWriter::new(7);
        let mut out = Vec::new();
        w.write_packet(b"head", 0, PacketEnd::FlushPage, &mut out).unwrap();
        w.write_packet(&[1; 255], 10, PacketEnd::Continue, &mut out).unwrap();
        w.write_packet(&[2; 3], 20, PacketEnd::EndOfStream, &mut out).unwrap();
        let p = pages(&out, 7);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].0, p[0].1, p[0].2, p[0].3.clone()), (BEGIN_OF_STREAM, 0, 0, vec![4]));
        // A 255-byte packet needs a terminating zero lacing value.
        assert_eq!((p[1].0, p[1].1, p[1].2, p[1].3.clone()), (END_OF_STREAM, 20, 1, vec![255, 0, 3]));
        assert_eq!(p[1].4.len(), 258);
        assert_eq!(w.write_packet(b"x", 30, PacketEnd::Continue, &mut out), Err(OggError::Finished));
    }

    #[test]
    fn long_packets_continue_on_the_next_page() {
        let mut w = OggPageWriter::new(1);
        let mut out = Vec::new();
        let big: Vec<u8> = (0..255 * 255 + 600).map(|i| i as u8).collect();
        w.write_packet(&big, 5, PacketEnd::EndOfStream, &mut out).unwrap();
        let p = pages(&out, 1);
        assert_eq!(p.len(), 2);
        // The first page ends no packet: granule -1.
        assert_eq!((p[0].0, p[0].1, p[0].3.len()), (BEGIN_OF_STREAM, NO_GRANULE, 255));
        assert_eq!((p[1].0, p[1].1, p[1].3.clone()), (CONTINUED | END_OF_STREAM, 5, vec![255, 255, 90]));
        let joined: Vec<u8> = p.iter().flat_map(|x| x.4.clone()).collect();
        assert_eq!(joined, big);
    }

    #[test]
    fn pages_close_at_the_size_limit_and_on_flush() {
        let mut w = OggPageWriter::with_page_bytes(3, 100);
        let mut out = Vec::new();
        for i in 0..5u64 {
            w.write_packet(&[i as u8; 60], i * 960, PacketEnd::Continue, &mut out).unwrap();
        }
        w.flush(&mut out);
        w.flush(&mut out); // nothing open: no empty page
        let p = pages(&out, 3);
        assert_eq!(p.iter().map(|x| x.3.len()).collect::<Vec<_>>(), vec![2, 2, 1]);
        assert_eq!(p.iter().map(|x| x.1).collect::<Vec<_>>(), vec![960, 2880, 3840]);
        assert_eq!(p.iter().map(|x| x.2).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(w.pages_written(), 3);
        assert_eq!(w.write_packet(b"", NO_GRANULE, PacketEnd::Continue, &mut out), Err(OggError::ReservedGranule));
        // Nothing open: the end of stream is an empty page.
        let before = out.len();
        w.finish(&mut out);
        w.finish(&mut out);
        let p = pages(&out[before..], 3);
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].0, p[0].1, p[0].2, p[0].3.len()), (END_OF_STREAM, 3840, 3, 0));
        assert!(w.is_finished());
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn pages_read_back_into_packets_in_any_chunking() {
        let mut w = OggPageWriter::with_page_bytes(9, 100);
        let mut out = Vec::new();
        let big: Vec<u8> = (0..255 * 255 + 600).map(|i| i as u8).collect();
        w.write_packet(b"head", 0, PacketEnd::FlushPage, &mut out).unwrap();
        for i in 1..6u64 {
            w.write_packet(&[i as u8; 60], i * 960, PacketEnd::Continue, &mut out).unwrap();
        }
        w.write_packet(&big, 7000, PacketEnd::EndOfStream, &mut out).unwrap();
        for chunk in [1, 13, out.len()] {
            let mut r = OggPageReader::new(1 << 20);
            for c in out.chunks(chunk) {
                r.push(c).unwrap();
            }
            r.finish().unwrap();
            let packets: Vec<OggPacket> = std::iter::from_fn(|| r.next_packet()).collect();
            assert_eq!(packets.len(), 7);
            assert_eq!((packets[0].data.as_slice(), packets[0].granule), (&b"head"[..], Some(0)));
            assert_eq!(packets[2].data, vec![2; 60]);
            assert_eq!(packets[6].data, big);
            assert_eq!((packets[6].granule, packets[6].end_of_stream), (Some(7000), true));
            assert!(packets[1..6].iter().all(|p| !p.end_of_stream));
        }
        // Limits, damage and truncation are typed errors.
        let mut r = OggPageReader::new(1000);
        assert_eq!(r.push(&out), Err(OggReadError::PacketTooLarge { limit: 1000 }));
        let mut bad = out.clone();
        bad[40] ^= 1;
        assert_eq!(OggPageReader::new(1 << 20).push(&bad), Err(OggReadError::BadCrc { offset: 32 }));
        assert!(matches!(OggPageReader::new(10).push(b"RIFF0000WAVEfmt "), Err(OggReadError::NotOgg { offset: 0 })));
        let mut r = OggPageReader::new(1 << 20);
        r.push(&out[..out.len() - 3]).unwrap();
        assert!(matches!(r.finish(), Err(OggReadError::Truncated { .. })));
    }
}

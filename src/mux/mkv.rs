//! Matroska and WebM demuxer (RFC 9559, over EBML, RFC 8794): push bytes
//! in any chunking, pull tracks and frames out. Sans-I/O and streaming: it
//! reads what browsers' MediaRecorder writes (a Segment and Clusters of
//! unknown size, no Cues, no SeekHead, no Duration) front to back, and
//! never seeks.
//!
//! # Use
//!
//! ```
//! use framecast::mux::mkv::{MkvDemuxer, MkvEvent};
//!
//! # fn run(chunks: &[&[u8]]) -> Result<(), framecast::mux::mkv::MkvError> {
//! let mut demuxer = MkvDemuxer::new();
//! for chunk in chunks {
//!     demuxer.push(chunk)?;
//!     while let Some(event) = demuxer.next_event() {
//!         match event {
//!             MkvEvent::Tracks(tracks) => { /* pick the tracks to decode */ }
//!             MkvEvent::Frame(frame) => { /* frame.track, frame.timestamp, frame.data */ }
//!             _ => {}
//!         }
//!     }
//! }
//! demuxer.finish()?;
//! while let Some(event) = demuxer.next_event() { /* the last frames */ }
//! # Ok(()) }
//! ```
//!
//! Events come in input order: [`MkvEvent::Info`] (when the segment has an
//! `Info`), [`MkvEvent::Tracks`] once, then [`MkvEvent::Frame`]s. Drain
//! them after every push: the queue holds what one push produced.
//!
//! # Time
//!
//! A frame's [`MkvFrame::timestamp`] is the cluster's `Timestamp` plus the
//! block's relative timestamp, exact, in [`MkvInfo::timescale`]: `1e9 /
//! TimestampScale` ticks per second (1000, milliseconds, for the usual
//! scale of 1 ms) or nanoseconds when the scale does not divide a second.
//! Frames after the first of a laced block add the track's
//! `DefaultDuration` per frame, rounded to the timescale. Times are
//! presentation times, as Matroska stores them.
//!
//! # Structure
//!
//! - The EBML header must name the document type `webm` or `matroska`;
//!   only the first Segment is read, and bytes after it are ignored.
//! - An element of unknown size (a Segment or a Cluster, as MediaRecorder
//!   writes them) ends at the first element that cannot be its child: a
//!   Cluster at the next Cluster, `Cues`, `Tags` or any other Segment
//!   child; a Segment at the next EBML header or Segment; both at the end
//!   of the input.
//! - `SeekHead`, `Cues`, `Tags`, `Chapters`, `Attachments`, `Void`,
//!   `CRC-32` and unknown elements are skipped as they stream past,
//!   without being held.
//! - `SimpleBlock` and `BlockGroup` (`Block`, `BlockDuration`,
//!   `ReferenceBlock`: a block with a reference is not a keyframe,
//!   `DiscardPadding`), in all three lacings (Xiph, EBML, fixed).
//! - Blocks of a track number that `Tracks` does not list are skipped, as
//!   ffmpeg does.
//!
//! # Codecs
//!
//! `V_MPEG4/ISO/AVC` (CodecPrivate: `avcC`), `A_AAC` (CodecPrivate:
//! AudioSpecificConfig) and `A_OPUS` (CodecPrivate: `OpusHead`) tracks get
//! a [`CodecConfig`](crate::codec::CodecConfig) in [`MkvTrack::config`],
//! parsed by the codecs' own parsers; every other codec (`V_VP8`, `V_VP9`,
//! `V_AV1`, `V_MPEGH/ISO/HEVC`, `A_VORBIS`, PCM, ...) is named by
//! [`MkvTrack::codec_id`] for the caller to route (to WebCodecs in a
//! browser) or refuse.
//!
//! # Hostile input
//!
//! Elements the demuxer must hold whole (`Info`, `Tracks`, a block, a
//! `BlockGroup`) may not exceed [`MkvOptions::max_element_bytes`]
//! ([`MkvError::ElementTooLarge`], before anything is allocated for
//! them); everything else streams past. Sizes are checked against their
//! parents, arithmetic is checked, and nothing panics. The `mkv_demux`
//! fuzz target (`tests/fuzz/`) runs every input through
//! `tests/fuzz/harness/mkv_demux.rs`.

// Outside tests, no indexing that could panic and no unchecked arithmetic.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::arithmetic_side_effects))]

mod block;
mod ebml;
mod error;
mod tracks;

use std::collections::VecDeque;

pub use block::MAX_LACED_FRAMES;
pub use error::MkvError;
pub use tracks::{MkvAudio, MkvInfo, MkvTrack, MkvTrackKind, MkvVideo};

use crate::time::{Timescale, Timestamp};

/// How the demuxer bounds its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MkvOptions {
    /// Largest element held whole (a block with its frames, a
    /// `BlockGroup`, `Tracks`, `Info`), bytes. Default
    /// [`MkvOptions::DEFAULT_MAX_ELEMENT_BYTES`] (64 MiB: a 4K keyframe is
    /// a few MB).
    pub max_element_bytes: u64,
}

impl MkvOptions {
    /// The default of [`MkvOptions::max_element_bytes`], 64 MiB.
    pub const DEFAULT_MAX_ELEMENT_BYTES: u64 = 64 << 20;

    /// Options with [`MkvOptions::max_element_bytes`] set.
    pub fn with_max_element_bytes(max_element_bytes: u64) -> Self {
        MkvOptions { max_element_bytes }
    }
}

impl Default for MkvOptions {
    fn default() -> Self {
        MkvOptions { max_element_bytes: Self::DEFAULT_MAX_ELEMENT_BYTES }
    }
}

/// One frame of one track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MkvFrame {
    /// The track's number ([`MkvTrack::number`]).
    pub track: u64,
    /// Presentation time in [`MkvInfo::timescale`]; see the module
    /// documentation.
    pub timestamp: Timestamp,
    /// Duration in the same timescale: the `BlockDuration` of a
    /// `BlockGroup` (split evenly over laced frames), else the track's
    /// `DefaultDuration`, else `None`.
    pub duration: Option<Timestamp>,
    /// A random access point: the `SimpleBlock` keyframe flag, or a
    /// `BlockGroup` without `ReferenceBlock`.
    pub keyframe: bool,
    /// Nanoseconds of audio to drop from the end of this frame
    /// (`DiscardPadding`; Opus writes it on its last block), on the last
    /// frame of a block that has it.
    pub discard_padding_ns: Option<i64>,
    /// The frame as stored (for `V_MPEG4/ISO/AVC`: length-prefixed NAL
    /// units, as in MP4).
    pub data: Vec<u8>,
}

/// What the demuxer found, in input order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MkvEvent {
    /// The segment's `Info`.
    Info(MkvInfo),
    /// The tracks (once, before any frame).
    Tracks(Vec<MkvTrack>),
    /// A frame.
    Frame(MkvFrame),
}

/// Where the demuxer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading: before, in, or (ignoring bytes) after the first Segment.
    Reading,
    /// The first Segment has ended: the rest is ignored.
    AfterSegment,
    /// `finish` was called or an error happened.
    Stopped,
}

/// A master element being read child by child.
#[derive(Debug, Clone, Copy)]
struct Open {
    id: u32,
    offset: u64,
    /// Where it ends; `None` for an unknown size.
    end: Option<u64>,
}

/// A skipped element streaming past.
#[derive(Debug, Clone, Copy)]
struct Skip {
    id: u32,
    offset: u64,
    left: u64,
}

/// The Matroska/WebM demuxer; see the module documentation.
#[derive(Debug)]
pub struct MkvDemuxer {
    options: MkvOptions,
    /// Unread input; `buf[start..]` starts at input offset `pos`.
    buf: Vec<u8>,
    start: usize,
    pos: u64,
    stack: Vec<Open>,
    skip: Option<Skip>,
    state: State,
    seen_ebml: bool,
    info: Option<MkvInfo>,
    tracks: Option<Vec<MkvTrack>>,
    /// The open Cluster's `Timestamp`, in timestamp ticks.
    cluster_timestamp: Option<i64>,
    events: VecDeque<MkvEvent>,
}

impl Default for MkvDemuxer {
    fn default() -> Self {
        Self::new()
    }
}

impl MkvDemuxer {
    /// A demuxer with the default [`MkvOptions`].
    pub fn new() -> Self {
        Self::with_options(MkvOptions::default())
    }

    /// A demuxer with `options`.
    pub fn with_options(options: MkvOptions) -> Self {
        MkvDemuxer {
            options,
            buf: Vec::new(),
            start: 0,
            pos: 0,
            stack: Vec::new(),
            skip: None,
            state: State::Reading,
            seen_ebml: false,
            info: None,
            tracks: None,
            cluster_timestamp: None,
            events: VecDeque::new(),
        }
    }

    /// Takes the next input bytes and parses as far as they go. After an
    /// error the demuxer is stopped ([`MkvError::Finished`] from then on);
    /// events queued before it can still be taken.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), MkvError> {
        if self.state == State::Stopped {
            return Err(MkvError::Finished);
        }
        if self.state == State::AfterSegment {
            return Ok(());
        }
        self.buf.extend_from_slice(bytes);
        let result = self.run(false);
        self.compact();
        self.stop_on_error(result)
    }

    /// Ends the input: parses what is left and checks that nothing was cut
    /// short ([`MkvError::Truncated`]) and that there were tracks
    /// ([`MkvError::NoTracks`]).
    pub fn finish(&mut self) -> Result<(), MkvError> {
        if self.state == State::Stopped {
            return Err(MkvError::Finished);
        }
        let result = if self.state == State::AfterSegment { Ok(()) } else { self.run(true) };
        self.state = State::Stopped;
        self.buf = Vec::new();
        self.start = 0;
        result?;
        if !self.seen_ebml {
            return Err(MkvError::NotEbml);
        }
        if self.tracks.is_none() {
            return Err(MkvError::NoTracks);
        }
        Ok(())
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<MkvEvent> {
        self.events.pop_front()
    }

    /// The segment's `Info`, once read (or defaulted at the first
    /// Cluster when the segment has none).
    pub fn info(&self) -> Option<&MkvInfo> {
        self.info.as_ref()
    }

    /// The tracks, once `Tracks` was read.
    pub fn tracks(&self) -> Option<&[MkvTrack]> {
        self.tracks.as_deref()
    }

    /// Input bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    fn stop_on_error(&mut self, result: Result<(), MkvError>) -> Result<(), MkvError> {
        if result.is_err() {
            self.state = State::Stopped;
            self.buf = Vec::new();
            self.start = 0;
        }
        result
    }

    /// Drops the consumed bytes from the buffer.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start.min(self.buf.len()));
            self.start = 0;
        }
    }

    fn available(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or(&[])
    }

    /// Consumes `n` bytes (at most what is buffered).
    fn consume(&mut self, n: usize) {
        let n = n.min(self.available().len());
        self.start = self.start.saturating_add(n);
        self.pos = self.pos.saturating_add(n as u64);
    }

    /// Parses elements until the buffer runs dry (or, with `eof`, to the
    /// end).
    fn run(&mut self, eof: bool) -> Result<(), MkvError> {
        while self.state == State::Reading {
            if let Some(skip) = self.skip {
                let n = usize::try_from(skip.left).unwrap_or(usize::MAX).min(self.available().len());
                self.consume(n);
                let left = skip.left.saturating_sub(n as u64);
                if left > 0 {
                    self.skip = Some(Skip { left, ..skip });
                    return if eof { Err(MkvError::Truncated { id: skip.id, offset: skip.offset }) } else { Ok(()) };
                }
                self.skip = None;
            }
            self.close_ended();
            if self.state != State::Reading {
                break;
            }
            if self.available().is_empty() {
                return if eof { self.end_of_input() } else { Ok(()) };
            }
            let Some(h) = ebml::header(self.available(), self.pos)? else {
                return if eof { Err(MkvError::Truncated { id: 0, offset: self.pos }) } else { Ok(()) };
            };
            if !self.seen_ebml && h.id != ebml::EBML {
                return Err(MkvError::NotEbml);
            }
            self.close_unknown_sized(h.id);
            if self.state != State::Reading {
                break;
            }
            let offset = self.pos;
            let end = if h.size == ebml::UNKNOWN_SIZE {
                None
            } else {
                let end = offset.checked_add(h.len as u64).and_then(|e| e.checked_add(h.size));
                Some(end.ok_or(MkvError::BadSize { id: h.id, offset })?)
            };
            if let (Some(end), Some(parent_end)) = (end, self.stack.last().and_then(|p| p.end)) {
                if end > parent_end {
                    return Err(MkvError::BadSize { id: h.id, offset });
                }
            }
            if !self.element(h, offset, end, eof)? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Handles the element whose header `h` starts at `offset`; `false`
    /// when it needs more input first.
    fn element(&mut self, h: ebml::Header, offset: u64, end: Option<u64>, eof: bool) -> Result<bool, MkvError> {
        let parent = self.stack.last().map(|p| p.id);
        let master = match (parent, h.id) {
            (None, ebml::SEGMENT) => true,
            (Some(ebml::SEGMENT), ebml::CLUSTER) => {
                if self.tracks.is_none() {
                    return Err(MkvError::Malformed { id: h.id, offset, reason: "a Cluster before the Tracks" });
                }
                if self.info.is_none() {
                    self.info = Some(MkvInfo::default_info());
                }
                self.cluster_timestamp = None;
                true
            }
            _ => false,
        };
        if master {
            self.stack.push(Open { id: h.id, offset, end });
            self.consume(h.len);
            return Ok(true);
        }
        if end.is_none() {
            return Err(MkvError::BadSize { id: h.id, offset });
        }
        let held = matches!(
            (parent, h.id),
            (None, ebml::EBML)
                | (Some(ebml::SEGMENT), ebml::INFO | ebml::TRACKS)
                | (Some(ebml::CLUSTER), ebml::TIMESTAMP | ebml::SIMPLE_BLOCK | ebml::BLOCK_GROUP)
        );
        if !held {
            self.skip = Some(Skip { id: h.id, offset, left: (h.len as u64).saturating_add(h.size) });
            return Ok(true);
        }
        if h.size > self.options.max_element_bytes {
            let limit = self.options.max_element_bytes;
            return Err(MkvError::ElementTooLarge { id: h.id, offset, size: h.size, limit });
        }
        let total = usize::try_from(h.size).ok().and_then(|s| s.checked_add(h.len));
        let total = total.ok_or(MkvError::ElementTooLarge {
            id: h.id,
            offset,
            size: h.size,
            limit: self.options.max_element_bytes,
        })?;
        if self.available().len() < total {
            return if eof { Err(MkvError::Truncated { id: h.id, offset }) } else { Ok(false) };
        }
        let body_offset = offset.saturating_add(h.len as u64);
        let body = self.available().get(h.len..total).unwrap_or(&[]).to_vec();
        self.consume(total);
        match h.id {
            ebml::EBML => self.ebml_header(&body, body_offset)?,
            ebml::INFO => {
                // Frames are timed by the first Info; a late one is ignored.
                if self.info.is_none() {
                    let info = MkvInfo::parse(&body, offset)?;
                    self.events.push_back(MkvEvent::Info(info.clone()));
                    self.info = Some(info);
                }
            }
            ebml::TRACKS => {
                if self.tracks.is_none() {
                    let tracks = tracks::parse_tracks(&body, body_offset)?;
                    self.events.push_back(MkvEvent::Tracks(tracks.clone()));
                    self.tracks = Some(tracks);
                }
            }
            ebml::TIMESTAMP => {
                let child = ebml::Child { id: h.id, offset, body: &body };
                let ts = i64::try_from(child.uint()?).map_err(|_| MkvError::TimestampOverflow { offset })?;
                self.cluster_timestamp = Some(ts);
            }
            ebml::SIMPLE_BLOCK => self.block(&body, body_offset, None)?,
            _ => self.block_group(&body, body_offset)?,
        }
        Ok(true)
    }

    /// Checks the EBML header: reader versions and the document type.
    fn ebml_header(&mut self, body: &[u8], offset: u64) -> Result<(), MkvError> {
        let mut doc_type = None;
        for child in ebml::children(body, offset) {
            let child = child?;
            let (field, max) = match child.id {
                ebml::DOC_TYPE => {
                    doc_type = Some(child.string());
                    continue;
                }
                ebml::EBML_READ_VERSION => ("EBMLReadVersion", 1),
                ebml::EBML_MAX_ID_LENGTH => ("EBMLMaxIDLength", 4),
                ebml::EBML_MAX_SIZE_LENGTH => ("EBMLMaxSizeLength", 8),
                _ => continue,
            };
            let value = child.uint()?;
            if value > max {
                return Err(MkvError::UnsupportedEbml { field, value });
            }
        }
        // The default DocType is "matroska" (RFC 8794 section 11.2.6).
        let doc_type = doc_type.unwrap_or_else(|| "matroska".into());
        if doc_type != "webm" && doc_type != "matroska" {
            return Err(MkvError::UnsupportedDocType { doc_type });
        }
        self.seen_ebml = true;
        Ok(())
    }

    /// Closes the open elements whose known end has been reached (and any
    /// unknown-sized ones inside them).
    fn close_ended(&mut self) {
        let pos = self.pos;
        if let Some(i) = self.stack.iter().position(|o| o.end.is_some_and(|e| pos >= e)) {
            while self.stack.len() > i {
                self.close_top();
            }
        }
    }

    /// Closes unknown-sized elements that `id` cannot be a child of.
    fn close_unknown_sized(&mut self, id: u32) {
        while let Some(top) = self.stack.last() {
            let ends = top.end.is_none()
                && match top.id {
                    ebml::CLUSTER => ebml::is_segment_child(id) || ebml::is_top_level(id),
                    _ => ebml::is_top_level(id),
                };
            if !ends {
                break;
            }
            self.close_top();
        }
    }

    fn close_top(&mut self) {
        if let Some(closed) = self.stack.pop() {
            match closed.id {
                ebml::CLUSTER => self.cluster_timestamp = None,
                ebml::SEGMENT => self.state = State::AfterSegment,
                _ => {}
            }
        }
    }

    /// At the end of the input: an element of known size still open was
    /// cut short.
    fn end_of_input(&mut self) -> Result<(), MkvError> {
        if let Some(open) = self.stack.iter().find(|o| o.end.is_some()) {
            return Err(MkvError::Truncated { id: open.id, offset: open.offset });
        }
        while !self.stack.is_empty() {
            self.close_top();
        }
        Ok(())
    }

    /// A `BlockGroup`: its `Block`, `BlockDuration`, `ReferenceBlock`s and
    /// `DiscardPadding`.
    fn block_group(&mut self, body: &[u8], offset: u64) -> Result<(), MkvError> {
        let mut block = None;
        let mut group = Group { duration: None, reference: false, discard_padding_ns: None };
        for child in ebml::children(body, offset) {
            let child = child?;
            match child.id {
                ebml::BLOCK if block.is_some() => return Err(child.malformed("two Blocks in a BlockGroup")),
                ebml::BLOCK => block = Some((child.body, child.offset)),
                ebml::BLOCK_DURATION => group.duration = Some(child.uint()?),
                ebml::REFERENCE_BLOCK => group.reference = true,
                ebml::DISCARD_PADDING => group.discard_padding_ns = Some(child.int()?),
                _ => {}
            }
        }
        let (data, block_offset) = block.ok_or(MkvError::Malformed {
            id: ebml::BLOCK_GROUP,
            offset,
            reason: "a BlockGroup without a Block",
        })?;
        self.block(data, block_offset, Some(group))
    }

    /// A block's frames as events (`group` for a `Block` in a `BlockGroup`).
    fn block(&mut self, body: &[u8], offset: u64, group: Option<Group>) -> Result<(), MkvError> {
        let b = block::parse(body, offset)?;
        let Some(track) = self.tracks.as_ref().and_then(|t| t.iter().find(|t| t.number == b.track)) else {
            return Ok(());
        };
        let default_duration_ns = track.default_duration_ns;
        let cluster = self.cluster_timestamp.ok_or(MkvError::Malformed {
            id: ebml::CLUSTER,
            offset,
            reason: "a block before the Cluster's Timestamp",
        })?;
        let info = self.info.clone().unwrap_or_else(MkvInfo::default_info);
        let (timescale, factor) = (info.timescale, info.tick_factor());
        let overflow = MkvError::TimestampOverflow { offset };
        let ticks = |t: i64| -> Result<i64, MkvError> {
            i64::try_from(factor).ok().and_then(|f| t.checked_mul(f)).ok_or(overflow.clone())
        };
        let base = ticks(cluster.checked_add(i64::from(b.relative)).ok_or(overflow.clone())?)?;
        let count = b.frames.len();
        let default_duration = default_duration_ns.map(|ns| ns_to(ns, timescale));
        let duration = match group.as_ref().and_then(|g| g.duration) {
            Some(d) => {
                let d = ticks(i64::try_from(d).map_err(|_| overflow.clone())?)?;
                Some(d.checked_div(i64::try_from(count).unwrap_or(1)).unwrap_or(d))
            }
            None => default_duration,
        };
        let keyframe = match &group {
            Some(g) => !g.reference,
            None => b.keyframe,
        };
        let discard = group.and_then(|g| g.discard_padding_ns);
        for (i, range) in b.frames.into_iter().enumerate() {
            let step = default_duration.unwrap_or(0);
            let at = i64::try_from(i).ok().and_then(|i| step.checked_mul(i)).and_then(|d| base.checked_add(d));
            let last = i.saturating_add(1) == count;
            self.events.push_back(MkvEvent::Frame(MkvFrame {
                track: b.track,
                timestamp: Timestamp::new(at.ok_or(overflow.clone())?, timescale),
                duration: duration.map(|d| Timestamp::new(d, timescale)),
                keyframe,
                discard_padding_ns: if last { discard } else { None },
                data: body.get(range).unwrap_or(&[]).to_vec(),
            }));
        }
        Ok(())
    }
}

/// The `BlockGroup` elements around a `Block`.
#[derive(Debug, Clone, Copy)]
struct Group {
    duration: Option<u64>,
    reference: bool,
    discard_padding_ns: Option<i64>,
}

/// `ns` nanoseconds in `timescale` ticks, rounded.
fn ns_to(ns: u64, timescale: Timescale) -> i64 {
    let ns = i64::try_from(ns).unwrap_or(i64::MAX);
    Timestamp::new(ns, tracks::NANOSECONDS).rescale(timescale).ticks
}

#[cfg(test)]
mod tests;

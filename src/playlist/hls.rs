//! HLS writers: media playlists (VOD, EVENT, live sliding window and
//! LL-HLS, RFC 8216 and its successor rfc8216bis), multivariant (master)
//! playlists, and the bookkeeping for LL-HLS blocking playlist reload.
//!
//! A [`MediaPlaylist`] listens to a segmenter: [`MediaPlaylist::push`] a
//! finished segment, [`MediaPlaylist::push_part`] a finished part (LL-HLS),
//! [`MediaPlaylist::finish`] at the end, [`MediaPlaylist::render`] whenever
//! the text is needed. The output is deterministic: wall-clock times come
//! only from the segments (`program_date_time_ms`).
//!
//! Choices, with the spec rules behind them:
//! - `EXT-X-VERSION:7` (fMP4 with `EXT-X-MAP` needs 6); 9 in delta updates
//!   that carry `EXT-X-SKIP`.
//! - `EXT-X-TARGETDURATION` is the configured value, else the longest
//!   `EXTINF` rounded to the nearest second (halves up) over every segment
//!   ever pushed, at least 1. The rounding is applied to the *written*
//!   `EXTINF` text, so a checker that re-reads the playlist always finds
//!   every rounded `EXTINF` ≤ the target (RFC 8216 §4.3.3.1). With a
//!   configured target, a longer segment is refused.
//! - `EXT-X-PROGRAM-DATE-TIME` placement is a [`PdtPlacement`]; by default
//!   on the first listed segment, after each discontinuity, and wherever a
//!   given time departs from the one extrapolated from the previous tag.
//! - Live windows never drop below three target durations (RFC 8216
//!   §6.2.2); `EXT-X-DISCONTINUITY-SEQUENCE` counts the `EXT-X-DISCONTINUITY`
//!   tags that slid out.
//! - LL-HLS parts are listed for the open segment and for complete segments
//!   that end within the last three target durations of the live edge;
//!   older parts are dropped from the text (rfc8216bis §6.2.2).
//!
//! ```
//! use framecast::playlist::hls::{MediaPlaylist, MediaPlaylistOptions, PlaylistKind, Window};
//! use framecast::playlist::{InitSegmentRef, Segment};
//! use framecast::time::Timescale;
//!
//! let options = MediaPlaylistOptions {
//!     kind: PlaylistKind::Live(Window::Segments(3)),
//!     target_duration: Some(2),
//!     ..Default::default()
//! };
//! let mut pl = MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("init.mp4")), options).unwrap();
//! for n in 0..5u64 {
//!     let mut seg = Segment::new(n, n as i64 * 180_000, 180_000, format!("seg{n}.m4s"));
//!     seg.program_date_time_ms = Some(1_700_000_000_000 + n as i64 * 2_000);
//!     pl.push(seg).unwrap();
//! }
//! let text = pl.render().unwrap();
//! assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:2\n"));
//! assert!(text.contains("#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24.000Z\n"));
//! ```

use std::collections::VecDeque;
use std::fmt::Write as _;

use super::model::{check_segment, check_successor, check_uri, seconds};
use super::text::{
    cmp_durations, codec_string, decimal_seconds, div_ceil, div_round, duration_ticks, format_scaled, hls_quoted,
    hls_quoted_nonempty, hls_uri_line, iso8601, language_tag, pow10, scaled_seconds,
};
use super::{
    Bandwidth, DirectiveError, FrameRate, InitSegmentRef, PlaylistError, PlaylistPart, Resolution, Segment, Timeline,
};
use crate::time::{Timescale, Timestamp};

/// `EXT-X-VERSION` of every playlist this module writes, except delta
/// updates.
pub const VERSION: u32 = 7;
/// `EXT-X-VERSION` of delta updates (playlists with `EXT-X-SKIP`).
pub const DELTA_VERSION: u32 = 9;

/// What kind of media playlist to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlaylistKind {
    /// Video on demand: every segment is known; `EXT-X-PLAYLIST-TYPE:VOD`
    /// and `EXT-X-ENDLIST` are always written. The default.
    #[default]
    Vod,
    /// A growing event: segments are only appended;
    /// `EXT-X-PLAYLIST-TYPE:EVENT`, `EXT-X-ENDLIST` once finished.
    Event,
    /// Live with a sliding window: old segments leave the playlist,
    /// `EXT-X-MEDIA-SEQUENCE` and `EXT-X-DISCONTINUITY-SEQUENCE` advance.
    Live(Window),
}

/// How much of a live stream a sliding-window playlist keeps. In both
/// cases at least three target durations are kept (RFC 8216 §6.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `n` segments; `n` must be at least 1.
    Segments(usize),
    /// The shortest run of last segments lasting at least this long
    /// (a duration in any timescale; must be positive).
    Duration(Timestamp),
}

/// Where `EXT-X-PROGRAM-DATE-TIME` tags go. Times come from
/// [`Segment::program_date_time_ms`], or are extrapolated from the last
/// segment that had one; a segment with no known time never gets a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PdtPlacement {
    /// No tags.
    Off,
    /// On the first listed segment, on the first segment after each
    /// discontinuity, and on any segment whose given time differs from
    /// the time extrapolated from the previous one. Players extrapolate the
    /// rest. The default.
    #[default]
    Sparse,
    /// On every segment (bigger playlists, simplest for clients).
    EverySegment,
}

/// LL-HLS settings (rfc8216bis). All durations are [`Timestamp`]s used as
/// durations, in any timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowLatencyOptions {
    /// `EXT-X-PART-INF:PART-TARGET`: the longest a part may last. Usually
    /// 0.2–1 s; must be positive and below the target duration.
    pub part_target: Timestamp,
    /// `PART-HOLD-BACK`: how far behind the live edge players start.
    /// Default `None`: three part targets. At least two part targets.
    pub part_hold_back: Option<Timestamp>,
    /// `HOLD-BACK` for players not in low-latency mode. Default `None`:
    /// not written (players then use three target durations). At least
    /// three target durations.
    pub hold_back: Option<Timestamp>,
    /// `CAN-SKIP-UNTIL`: advertise delta updates (`_HLS_skip`) skipping
    /// segments older than this from the end. Default `None`: no delta
    /// updates. At least six target durations.
    pub can_skip_until: Option<Timestamp>,
}

impl LowLatencyOptions {
    /// Parts of at most `part_target`, every other setting at its default.
    pub fn new(part_target: Timestamp) -> Self {
        LowLatencyOptions { part_target, part_hold_back: None, hold_back: None, can_skip_until: None }
    }
}

/// Options of a [`MediaPlaylist`], with their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaPlaylistOptions {
    /// VOD, EVENT or live window. Default [`PlaylistKind::Vod`].
    pub kind: PlaylistKind,
    /// `EXT-X-TARGETDURATION` in whole seconds. Default `None`: computed
    /// from the segments (see the module docs). Live and event playlists
    /// should set it, since the spec forbids it to change; LL-HLS requires
    /// it.
    pub target_duration: Option<u32>,
    /// Digits after the decimal point in `EXTINF` and other durations,
    /// 3 to 6. Default 3.
    pub decimals: u8,
    /// Write `EXT-X-INDEPENDENT-SEGMENTS` (every segment starts with a key
    /// frame). Default `true`.
    pub independent_segments: bool,
    /// `EXT-X-PROGRAM-DATE-TIME` placement. Default [`PdtPlacement::Sparse`].
    pub program_date_time: PdtPlacement,
    /// LL-HLS; only for EVENT and live playlists. Default `None`. Without
    /// it [`MediaPlaylist::push_part`] is refused, and the parts carried by
    /// pushed segments are kept but not written.
    pub low_latency: Option<LowLatencyOptions>,
}

impl Default for MediaPlaylistOptions {
    fn default() -> Self {
        MediaPlaylistOptions {
            kind: PlaylistKind::Vod,
            target_duration: None,
            decimals: 3,
            independent_segments: true,
            program_date_time: PdtPlacement::Sparse,
            low_latency: None,
        }
    }
}

/// `EXT-X-PRELOAD-HINT:TYPE=PART`: the part that will be published next,
/// so players can request it before it exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PreloadHint {
    /// URI of the next part.
    pub uri: String,
    /// `BYTERANGE-START`: where the part starts within `uri`. Default
    /// `None` (0).
    pub byte_range_start: Option<u64>,
    /// `BYTERANGE-LENGTH`: its length, when known. Default `None` (to the
    /// end of the resource).
    pub byte_range_length: Option<u64>,
}

impl PreloadHint {
    /// A hint for the whole resource at `uri`.
    pub fn new(uri: impl Into<String>) -> Self {
        PreloadHint { uri: uri.into(), byte_range_start: None, byte_range_length: None }
    }
}

/// `EXT-X-RENDITION-REPORT`: where another rendition of the same stream
/// stands, so LL-HLS players can switch without an extra request.
/// [`MediaPlaylist::rendition_report`] builds one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RenditionReport {
    /// URI of the other rendition's media playlist, relative to this one.
    pub uri: String,
    /// `LAST-MSN`: its last media sequence number.
    pub last_msn: u64,
    /// `LAST-PART`: its last part index within `last_msn`, if it has parts.
    pub last_part: Option<u64>,
}

/// A position in a live stream: a media sequence number and, for LL-HLS,
/// a part index within that segment (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// Media sequence number.
    pub msn: u64,
    /// Part index within the segment; `None` for the whole segment.
    pub part: Option<u64>,
}

/// `_HLS_skip`: the client asks for a delta update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipRequest {
    /// `_HLS_skip=YES`: skip old segments.
    Yes,
    /// `_HLS_skip=v2`: skip old segments and date ranges (this writer has
    /// no date ranges, so it is treated as `Yes`).
    V2,
}

/// The delivery directives of an LL-HLS playlist request
/// (rfc8216bis §6.2.5): `_HLS_msn`, `_HLS_part`, `_HLS_skip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DeliveryDirectives {
    /// `_HLS_msn`: hold the response until this segment exists.
    pub msn: Option<u64>,
    /// `_HLS_part`: hold the response until this part of `msn` exists.
    pub part: Option<u64>,
    /// `_HLS_skip`: the client accepts a delta update.
    pub skip: Option<SkipRequest>,
}

impl DeliveryDirectives {
    /// Parses the directives from a query string (`_HLS_msn=12&_HLS_part=3`,
    /// with or without the leading `?`) or a whole request target
    /// (`/live/v.m3u8?_HLS_msn=12`). Other parameters are ignored; the
    /// values are not percent-decoded (valid ones never need it).
    pub fn parse_query(query: &str) -> Result<Self, DirectiveError> {
        let query = match query.split_once('?') {
            Some((_, q)) => q,
            None => query,
        };
        let query = query.split('#').next().unwrap_or("");
        let mut out = DeliveryDirectives::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "_HLS_msn" => {
                    if out.msn.is_some() {
                        return Err(DirectiveError::Repeated("_HLS_msn"));
                    }
                    out.msn = Some(parse_decimal(value).ok_or_else(|| DirectiveError::InvalidMsn(value.into()))?);
                }
                "_HLS_part" => {
                    if out.part.is_some() {
                        return Err(DirectiveError::Repeated("_HLS_part"));
                    }
                    out.part = Some(parse_decimal(value).ok_or_else(|| DirectiveError::InvalidPart(value.into()))?);
                }
                "_HLS_skip" => {
                    if out.skip.is_some() {
                        return Err(DirectiveError::Repeated("_HLS_skip"));
                    }
                    out.skip = Some(match value {
                        "YES" => SkipRequest::Yes,
                        "v2" => SkipRequest::V2,
                        _ => return Err(DirectiveError::InvalidSkip(value.into())),
                    });
                }
                _ => {}
            }
        }
        if out.part.is_some() && out.msn.is_none() {
            return Err(DirectiveError::PartWithoutMsn);
        }
        Ok(out)
    }
}

/// A decimal-integer (digits only) that fits in `u64`.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What a server should do with a blocking playlist request
/// ([`MediaPlaylist::blocking_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockingStatus {
    /// Answer now with the current playlist.
    Ready,
    /// Hold the request and ask again when a segment or part is pushed.
    /// (The spec lets a server give up with 503 after three target
    /// durations.)
    Hold,
    /// The request is too far ahead of the live edge: answer
    /// `400 Bad Request` (rfc8216bis §6.2.5.2).
    BadRequest,
}

/// A segment as listed, with its resolved wall-clock time.
#[derive(Debug, Clone)]
struct Entry {
    /// The segment, with `discontinuity` set when its start left a gap.
    seg: Segment,
    /// Its wall-clock time, given or extrapolated.
    pdt_ms: Option<i64>,
    /// The given time differs from the extrapolated one.
    pdt_jump: bool,
}

/// The segment being built, of which some parts are published.
#[derive(Debug, Clone)]
struct OpenSegment {
    msn: u64,
    parts: Vec<PlaylistPart>,
}

/// A media playlist of one rendition, kept up to date from segment and
/// part events and rendered on demand. See the module docs.
#[derive(Debug, Clone)]
pub struct MediaPlaylist {
    timescale: Timescale,
    init: Option<InitSegmentRef>,
    options: MediaPlaylistOptions,
    entries: VecDeque<Entry>,
    /// Sum of the listed segments' durations, in ticks.
    listed_ticks: i128,
    open: Option<OpenSegment>,
    discontinuity_sequence: u64,
    /// Sequence number and end (ticks) of the last segment pushed.
    last: Option<(u64, i128)>,
    /// Start (ticks) and wall-clock time of the last segment with a
    /// given time.
    pdt_anchor: Option<(i128, i64)>,
    /// Longest rounded EXTINF pushed, in seconds.
    max_rounded: u64,
    preload_hint: Option<PreloadHint>,
    rendition_reports: Vec<RenditionReport>,
    finished: bool,
}

impl MediaPlaylist {
    /// An empty playlist of segments timed in `timescale`, with the init
    /// segment written as `EXT-X-MAP` (`None`: no map, e.g. for MPEG-TS).
    /// Checks the options; see [`MediaPlaylistOptions`] for the ranges.
    pub fn new(
        timescale: Timescale,
        init: Option<InitSegmentRef>,
        options: MediaPlaylistOptions,
    ) -> Result<Self, PlaylistError> {
        check_options(&options)?;
        if let Some(init) = &init {
            check_uri(&init.uri, "init.uri")?;
            hls_quoted(&init.uri, "init.uri")?;
            if let Some(r) = init.byte_range {
                r.check("init.byte_range")?;
            }
        }
        Ok(MediaPlaylist {
            timescale,
            init,
            options,
            entries: VecDeque::new(),
            listed_ticks: 0,
            open: None,
            discontinuity_sequence: 0,
            last: None,
            pdt_anchor: None,
            max_rounded: 0,
            preload_hint: None,
            rendition_reports: Vec::new(),
            finished: false,
        })
    }

    /// A playlist holding every segment of `timeline` (its timescale and
    /// init segment included). VOD playlists come out finished.
    pub fn from_timeline(timeline: &Timeline, options: MediaPlaylistOptions) -> Result<Self, PlaylistError> {
        let mut pl = MediaPlaylist::new(timeline.timescale, timeline.init.clone(), options)?;
        for seg in &timeline.segments {
            pl.push(seg.clone())?;
        }
        if options.kind == PlaylistKind::Vod {
            pl.finish()?;
        }
        Ok(pl)
    }

    /// Adds a complete segment. Its sequence number must follow the last
    /// one's and it must not start before the last one ended; starting
    /// later makes it a discontinuity. If it has no parts, the parts
    /// published with [`push_part`](Self::push_part) for it become its
    /// parts. Clears the preload hint.
    ///
    /// Returns the segments that slid out of a live window; their files
    /// must stay available a while longer (RFC 8216 §6.2.2: for the
    /// segment's duration plus the playlist's). On error nothing changes.
    pub fn push(&mut self, segment: Segment) -> Result<Vec<Segment>, PlaylistError> {
        if self.finished {
            return Err(PlaylistError::Finished);
        }
        let mut seg = segment;
        if let Some(open) = &self.open {
            if open.msn != seg.sequence {
                return Err(PlaylistError::NonConsecutiveSequence { expected: open.msn, found: seg.sequence });
            }
            if seg.parts.is_empty() {
                seg.parts = open.parts.clone();
            }
        }
        check_segment(&seg)?;
        hls_uri_line(&seg.uri, "segment.uri")?;
        for (i, part) in seg.parts.iter().enumerate() {
            self.check_part(seg.sequence, i, part)?;
        }
        let gap = check_successor(self.last, &seg)?;
        seg.discontinuity |= gap;
        let rounded = self.rounded_extinf(seg.duration as i128);
        if let Some(target) = self.options.target_duration {
            if rounded > target as u64 {
                return Err(PlaylistError::SegmentExceedsTarget {
                    sequence: seg.sequence,
                    rounded_seconds: rounded,
                    target_seconds: target,
                });
            }
        }
        let start = seg.start as i128;
        let extrapolated = match self.pdt_anchor {
            Some((t0, ms0)) => Some(self.extrapolate(t0, ms0, start)?),
            None => None,
        };
        let (pdt_ms, pdt_jump, anchor) = match seg.program_date_time_ms {
            Some(ms) => (Some(ms), extrapolated != Some(ms), Some((start, ms))),
            None => (extrapolated, false, self.pdt_anchor),
        };
        if let Some(ms) = pdt_ms {
            iso8601(ms, "segment.program_date_time_ms")?;
        }

        // Everything is checked: commit.
        self.last = Some((seg.sequence, seg.end()));
        self.pdt_anchor = anchor;
        self.max_rounded = self.max_rounded.max(rounded);
        self.open = None;
        self.preload_hint = None;
        self.listed_ticks += seg.duration as i128;
        self.entries.push_back(Entry { seg, pdt_ms, pdt_jump });
        Ok(self.slide_window())
    }

    /// Publishes the next part of the open segment `msn` (LL-HLS). The
    /// first part opens segment `msn`, which must be the one after the last
    /// pushed segment. Clears the preload hint. On error nothing changes.
    pub fn push_part(&mut self, msn: u64, part: PlaylistPart) -> Result<(), PlaylistError> {
        if self.finished {
            return Err(PlaylistError::Finished);
        }
        if self.options.low_latency.is_none() {
            return Err(PlaylistError::InvalidOption {
                field: "options.low_latency",
                reason: "must be set to publish parts".into(),
            });
        }
        let expected = match (&self.open, self.last) {
            (Some(open), _) => Some(open.msn),
            (None, Some((seq, _))) => {
                Some(seq.checked_add(1).ok_or(PlaylistError::Overflow { field: "segment.sequence" })?)
            }
            (None, None) => None,
        };
        if let Some(expected) = expected {
            if msn != expected {
                return Err(PlaylistError::NonConsecutiveSequence { expected, found: msn });
            }
        }
        let index = self.open.as_ref().map_or(0, |o| o.parts.len());
        if part.duration == 0 {
            return Err(PlaylistError::ZeroDuration { sequence: msn, part: Some(index) });
        }
        self.check_part(msn, index, &part)?;
        let so_far: i128 = self.open.as_ref().map_or(0, |o| o.parts.iter().map(|p| p.duration as i128).sum());
        let rounded = self.rounded_extinf(so_far + part.duration as i128);
        let target = self.target_duration();
        if rounded > target as u64 {
            return Err(PlaylistError::SegmentExceedsTarget {
                sequence: msn,
                rounded_seconds: rounded,
                target_seconds: target,
            });
        }
        self.open.get_or_insert(OpenSegment { msn, parts: Vec::new() }).parts.push(part);
        self.preload_hint = None;
        Ok(())
    }

    /// Sets the `EXT-X-PRELOAD-HINT` for the next part (LL-HLS), or
    /// removes it. It is cleared by every push; set it again after each.
    pub fn set_preload_hint(&mut self, hint: Option<PreloadHint>) -> Result<(), PlaylistError> {
        if let Some(h) = &hint {
            if self.options.low_latency.is_none() {
                return Err(PlaylistError::InvalidOption {
                    field: "options.low_latency",
                    reason: "must be set to write a preload hint".into(),
                });
            }
            check_uri(&h.uri, "preload_hint.uri")?;
            hls_quoted(&h.uri, "preload_hint.uri")?;
            if h.byte_range_length == Some(0) {
                return Err(PlaylistError::InvalidOption {
                    field: "preload_hint.byte_range_length",
                    reason: "must be greater than zero, got 0".into(),
                });
            }
        }
        self.preload_hint = hint;
        Ok(())
    }

    /// Sets the `EXT-X-RENDITION-REPORT` tags written at the end of the
    /// playlist (LL-HLS), replacing earlier ones.
    pub fn set_rendition_reports(&mut self, reports: Vec<RenditionReport>) -> Result<(), PlaylistError> {
        for r in &reports {
            check_uri(&r.uri, "rendition_report.uri")?;
            hls_quoted(&r.uri, "rendition_report.uri")?;
        }
        self.rendition_reports = reports;
        Ok(())
    }

    /// Ends the stream: `EXT-X-ENDLIST` is written and nothing more can be
    /// pushed. Fails if a segment is still open (it has parts but was never
    /// pushed). Calling it twice is harmless.
    pub fn finish(&mut self) -> Result<(), PlaylistError> {
        if let Some(open) = &self.open {
            return Err(PlaylistError::IncompleteSegment { sequence: open.msn });
        }
        self.finished = true;
        self.preload_hint = None;
        Ok(())
    }

    /// Whether [`finish`](Self::finish) was called.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Ticks per second of segment times.
    pub fn timescale(&self) -> Timescale {
        self.timescale
    }

    /// `EXT-X-MEDIA-SEQUENCE`: the sequence number of the first listed
    /// segment (or of the open segment when none is listed; 0 when empty).
    pub fn media_sequence(&self) -> u64 {
        match (self.entries.front(), &self.open) {
            (Some(e), _) => e.seg.sequence,
            (None, Some(o)) => o.msn,
            (None, None) => self.last.map_or(0, |(s, _)| s.saturating_add(1)),
        }
    }

    /// `EXT-X-DISCONTINUITY-SEQUENCE`: how many discontinuities slid out of
    /// the window.
    pub fn discontinuity_sequence(&self) -> u64 {
        self.discontinuity_sequence
    }

    /// `EXT-X-TARGETDURATION` in seconds: the configured one, else the
    /// longest rounded `EXTINF` so far (at least 1).
    pub fn target_duration(&self) -> u32 {
        self.options.target_duration.unwrap_or_else(|| self.max_rounded.clamp(1, u32::MAX as u64) as u32)
    }

    /// The listed segments, oldest first.
    pub fn segments(&self) -> impl Iterator<Item = &Segment> + '_ {
        self.entries.iter().map(|e| &e.seg)
    }

    /// The full playlist text.
    pub fn render(&self) -> Result<String, PlaylistError> {
        self.write(0)
    }

    /// The playlist text for a request with these directives: a delta
    /// update (`EXT-X-SKIP`) when the client asked for one with `_HLS_skip`
    /// and `can_skip_until` is set, else the full playlist. Check
    /// [`blocking_status`](Self::blocking_status) first.
    pub fn render_for(&self, directives: &DeliveryDirectives) -> Result<String, PlaylistError> {
        let skip = match (directives.skip, self.options.low_latency.and_then(|ll| ll.can_skip_until)) {
            (Some(_), Some(until)) => self.skippable(until)?,
            _ => 0,
        };
        self.write(skip)
    }

    /// The last published position: the last part of the open segment,
    /// else the last segment (with its last part index when it has parts
    /// and the playlist is LL-HLS). `None` before anything is published.
    pub fn last_position(&self) -> Option<Position> {
        if let Some(open) = &self.open {
            return Some(Position { msn: open.msn, part: Some(open.parts.len().saturating_sub(1) as u64) });
        }
        let (msn, _) = self.last?;
        let parts = self.entries.back().filter(|e| e.seg.sequence == msn).map_or(0, |e| e.seg.parts.len());
        let part = (self.options.low_latency.is_some() && parts > 0).then(|| parts as u64 - 1);
        Some(Position { msn, part })
    }

    /// The next position to be published: the next part of the open
    /// segment, else the first part (LL-HLS) or the whole (otherwise) of
    /// the segment after the last. `None` before anything is published,
    /// since the first sequence number is not known yet.
    pub fn next_position(&self) -> Option<Position> {
        if let Some(open) = &self.open {
            return Some(Position { msn: open.msn, part: Some(open.parts.len() as u64) });
        }
        let (msn, _) = self.last?;
        let msn = msn.checked_add(1)?;
        Some(Position { msn, part: self.options.low_latency.map(|_| 0) })
    }

    /// Whether the playlist already satisfies a blocking request for
    /// segment `msn` (`_HLS_msn`) or its part `part` (`_HLS_part`): that
    /// segment or part, or anything later, is published. A request for a
    /// part index past the end of a complete segment waits for the next
    /// segment's first part. A finished or VOD playlist satisfies
    /// everything.
    pub fn can_serve(&self, msn: u64, part: Option<u64>) -> bool {
        if self.finished || self.options.kind == PlaylistKind::Vod {
            return true;
        }
        let open_parts = self.open.as_ref().map(|o| (o.msn, o.parts.len() as u64));
        let Some(part) = part else {
            return self.last.is_some_and(|(l, _)| msn <= l);
        };
        if let Some((last, _)) = self.last {
            if msn < last {
                return true;
            }
            if msn == last {
                let parts = self.entries.back().filter(|e| e.seg.sequence == last).map_or(0, |e| e.seg.parts.len());
                return part < parts as u64 || open_parts.is_some_and(|(_, n)| n > 0);
            }
        }
        open_parts.is_some_and(|(open_msn, n)| open_msn == msn && part < n)
    }

    /// What to do with a playlist request carrying these directives: serve
    /// it, hold it until a later push, or refuse it as too far ahead
    /// (`_HLS_msn` beyond the last segment plus two, or `_HLS_part` more
    /// than the Advance Part Limit past the last part: three seconds of
    /// parts, at least three parts).
    pub fn blocking_status(&self, directives: &DeliveryDirectives) -> BlockingStatus {
        let Some(msn) = directives.msn else {
            return BlockingStatus::Ready;
        };
        if self.can_serve(msn, directives.part) {
            return BlockingStatus::Ready;
        }
        if let Some((last, _)) = self.last {
            if msn > last.saturating_add(2) {
                return BlockingStatus::BadRequest;
            }
        }
        if let (Some(part), Some(next)) = (directives.part, self.next_position()) {
            let limit = self.advance_part_limit();
            let next_part = next.part.unwrap_or(0);
            // Parts between the next one to be published and the request.
            let ahead = if msn == next.msn {
                part.saturating_sub(next_part)
            } else if msn > next.msn {
                part.saturating_add(1)
            } else {
                0
            };
            if ahead >= limit {
                return BlockingStatus::BadRequest;
            }
        }
        BlockingStatus::Hold
    }

    /// This playlist's `EXT-X-RENDITION-REPORT`, as seen from a sibling
    /// playlist that reaches it at `uri`. `None` before anything is
    /// published.
    pub fn rendition_report(&self, uri: impl Into<String>) -> Option<RenditionReport> {
        let pos = self.last_position()?;
        Some(RenditionReport { uri: uri.into(), last_msn: pos.msn, last_part: pos.part })
    }

    // ---- internals ----

    fn decimals(&self) -> u32 {
        self.options.decimals as u32
    }

    /// The EXTINF of `ticks` as written, rounded to whole seconds.
    fn rounded_extinf(&self, ticks: i128) -> u64 {
        let scaled = scaled_seconds(ticks, self.timescale, self.decimals());
        div_round(scaled, pow10(self.decimals())).clamp(0, u64::MAX as i128) as u64
    }

    /// Wall-clock time of tick `t`, extrapolated from `ms0` at tick `t0`.
    fn extrapolate(&self, t0: i128, ms0: i64, t: i128) -> Result<i64, PlaylistError> {
        let ms = ms0 as i128 + div_round((t - t0) * 1_000, self.timescale.get() as i128);
        i64::try_from(ms).map_err(|_| PlaylistError::Overflow { field: "segment.program_date_time_ms" })
    }

    fn check_part(&self, msn: u64, index: usize, part: &PlaylistPart) -> Result<(), PlaylistError> {
        check_uri(&part.uri, "part.uri")?;
        hls_quoted(&part.uri, "part.uri")?;
        if let Some(r) = part.byte_range {
            r.check("part.byte_range")?;
        }
        if let Some(ll) = self.options.low_latency {
            let part_len = Timestamp::new(i64::try_from(part.duration).unwrap_or(i64::MAX), self.timescale);
            if cmp_durations(part_len, ll.part_target) == std::cmp::Ordering::Greater {
                return Err(PlaylistError::PartExceedsTarget { sequence: msn, part: index });
            }
        }
        Ok(())
    }

    /// Drops segments from the front of a live window; returns them.
    fn slide_window(&mut self) -> Vec<Segment> {
        let PlaylistKind::Live(window) = self.options.kind else {
            return Vec::new();
        };
        let ts = self.timescale;
        let min_keep = 3 * self.target_duration() as i128 * ts.get() as i128;
        // Checked positive in `check_options`.
        let keep_ticks = match window {
            Window::Duration(d) => duration_ticks(d, ts, "options.kind.window").unwrap_or(0),
            Window::Segments(_) => 0,
        };
        let mut evicted = Vec::new();
        while let Some(front) = self.entries.front() {
            if self.entries.len() <= 1 {
                break;
            }
            let rest = self.listed_ticks - front.seg.duration as i128;
            let window_ok = match window {
                Window::Segments(n) => self.entries.len() > n,
                Window::Duration(_) => rest >= keep_ticks,
            };
            if !window_ok || rest < min_keep {
                break;
            }
            let Some(gone) = self.entries.pop_front() else { break };
            self.listed_ticks = rest;
            if gone.seg.discontinuity {
                self.discontinuity_sequence += 1;
            }
            evicted.push(gone.seg);
        }
        evicted
    }

    /// How many listed segments a delta update may skip: those ending at
    /// least `until` before the end of the last segment.
    fn skippable(&self, until: Timestamp) -> Result<usize, PlaylistError> {
        let Some((_, end)) = self.last else { return Ok(0) };
        let boundary = end - duration_ticks(until, self.timescale, "options.low_latency.can_skip_until")?;
        Ok(self.entries.iter().take_while(|e| e.seg.end() <= boundary).count())
    }

    /// Advance Part Limit: the number of parts in three seconds, at least
    /// three.
    fn advance_part_limit(&self) -> u64 {
        let Some(ll) = self.options.low_latency else { return 3 };
        let pt = ll.part_target;
        if pt.ticks <= 0 {
            return 3;
        }
        let parts = div_ceil(3 * pt.timescale.get() as i128, pt.ticks as i128);
        parts.clamp(3, u64::MAX as i128) as u64
    }

    fn seconds_text(&self, ticks: i128) -> String {
        decimal_seconds(ticks, self.timescale, self.decimals())
    }

    /// A duration option written rounded up, so that it never comes out
    /// shorter than configured.
    fn option_text(&self, d: Timestamp) -> String {
        let dec = self.decimals();
        format_scaled(div_ceil(d.ticks as i128 * pow10(dec), d.timescale.get() as i128), dec)
    }

    fn write(&self, skip: usize) -> Result<String, PlaylistError> {
        let has_parts = self.options.low_latency.is_some() && self.open.as_ref().is_some_and(|o| !o.parts.is_empty());
        if self.entries.is_empty() && !has_parts {
            return Err(PlaylistError::NoSegments);
        }
        let target = self.target_duration();
        let ts = self.timescale;
        let mut out = String::with_capacity(256 + 96 * self.entries.len());
        let mut line = |s: &str| {
            out.push_str(s);
            out.push('\n');
        };
        line("#EXTM3U");
        line(&format!("#EXT-X-VERSION:{}", if skip > 0 { DELTA_VERSION } else { VERSION }));
        line(&format!("#EXT-X-TARGETDURATION:{target}"));
        if let Some(ll) = self.options.low_latency {
            let part_hold_back = ll
                .part_hold_back
                .unwrap_or(Timestamp::new(ll.part_target.ticks.saturating_mul(3), ll.part_target.timescale));
            let mut sc = String::from("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES");
            if let Some(until) = ll.can_skip_until {
                let _ = write!(sc, ",CAN-SKIP-UNTIL={}", self.option_text(until));
            }
            let _ = write!(sc, ",PART-HOLD-BACK={}", self.option_text(part_hold_back));
            if let Some(hb) = ll.hold_back {
                let _ = write!(sc, ",HOLD-BACK={}", self.option_text(hb));
            }
            line(&sc);
            line(&format!("#EXT-X-PART-INF:PART-TARGET={}", self.option_text(ll.part_target)));
        }
        line(&format!("#EXT-X-MEDIA-SEQUENCE:{}", self.media_sequence()));
        if self.discontinuity_sequence > 0 {
            line(&format!("#EXT-X-DISCONTINUITY-SEQUENCE:{}", self.discontinuity_sequence));
        }
        match self.options.kind {
            PlaylistKind::Vod => line("#EXT-X-PLAYLIST-TYPE:VOD"),
            PlaylistKind::Event => line("#EXT-X-PLAYLIST-TYPE:EVENT"),
            PlaylistKind::Live(_) => {}
        }
        if self.options.independent_segments {
            line("#EXT-X-INDEPENDENT-SEGMENTS");
        }
        if skip > 0 {
            line(&format!("#EXT-X-SKIP:SKIPPED-SEGMENTS={skip}"));
        }
        if let Some(init) = &self.init {
            let mut map = format!("#EXT-X-MAP:URI=\"{}\"", init.uri);
            if let Some(r) = init.byte_range {
                let _ = write!(map, ",BYTERANGE=\"{}@{}\"", r.length, r.offset);
            }
            line(&map);
        }

        // Parts are listed for segments ending within three target
        // durations of the live edge.
        let edge = self.last.map_or(0, |(_, end)| end)
            + self.open.as_ref().map_or(0, |o| o.parts.iter().map(|p| p.duration as i128).sum::<i128>());
        let parts_after = edge - 3 * target as i128 * ts.get() as i128;
        let low_latency = self.options.low_latency.is_some();

        for (i, e) in self.entries.iter().enumerate().skip(skip) {
            let seg = &e.seg;
            if seg.discontinuity {
                line("#EXT-X-DISCONTINUITY");
            }
            if let Some(ms) = e.pdt_ms {
                let tag = match self.options.program_date_time {
                    PdtPlacement::Off => false,
                    PdtPlacement::EverySegment => true,
                    PdtPlacement::Sparse => i == skip || seg.discontinuity || e.pdt_jump,
                };
                if tag {
                    line(&format!("#EXT-X-PROGRAM-DATE-TIME:{}", iso8601(ms, "segment.program_date_time_ms")?));
                }
            }
            if low_latency && !seg.gap && seg.end() > parts_after {
                for part in &seg.parts {
                    line(&self.part_tag(part));
                }
            }
            line(&format!("#EXTINF:{},", self.seconds_text(seg.duration as i128)));
            if let Some(r) = seg.byte_range {
                line(&format!("#EXT-X-BYTERANGE:{}@{}", r.length, r.offset));
            }
            if seg.gap {
                line("#EXT-X-GAP");
            }
            line(&seg.uri);
        }
        if low_latency {
            if let Some(open) = &self.open {
                for part in &open.parts {
                    line(&self.part_tag(part));
                }
            }
            if let Some(hint) = &self.preload_hint {
                let mut tag = format!("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"{}\"", hint.uri);
                if let Some(start) = hint.byte_range_start {
                    let _ = write!(tag, ",BYTERANGE-START={start}");
                }
                if let Some(len) = hint.byte_range_length {
                    let _ = write!(tag, ",BYTERANGE-LENGTH={len}");
                }
                line(&tag);
            }
        }
        for r in &self.rendition_reports {
            let mut tag = format!("#EXT-X-RENDITION-REPORT:URI=\"{}\",LAST-MSN={}", r.uri, r.last_msn);
            if let Some(p) = r.last_part {
                let _ = write!(tag, ",LAST-PART={p}");
            }
            line(&tag);
        }
        if self.finished || self.options.kind == PlaylistKind::Vod {
            line("#EXT-X-ENDLIST");
        }
        Ok(out)
    }

    fn part_tag(&self, part: &PlaylistPart) -> String {
        let mut tag = format!("#EXT-X-PART:DURATION={},URI=\"{}\"", self.seconds_text(part.duration as i128), part.uri);
        if part.independent {
            tag.push_str(",INDEPENDENT=YES");
        }
        if let Some(r) = part.byte_range {
            let _ = write!(tag, ",BYTERANGE=\"{}@{}\"", r.length, r.offset);
        }
        tag
    }
}

fn invalid(field: &'static str, reason: String) -> PlaylistError {
    PlaylistError::InvalidOption { field, reason }
}

fn check_options(o: &MediaPlaylistOptions) -> Result<(), PlaylistError> {
    if !(3..=6).contains(&o.decimals) {
        return Err(invalid("options.decimals", format!("must be between 3 and 6, got {}", o.decimals)));
    }
    if o.target_duration == Some(0) {
        return Err(invalid("options.target_duration", "must be at least 1 s, got 0".into()));
    }
    match o.kind {
        PlaylistKind::Live(Window::Segments(0)) => {
            return Err(invalid("options.kind.window", "must keep at least 1 segment, got 0".into()));
        }
        PlaylistKind::Live(Window::Duration(d)) if d.ticks <= 0 => {
            return Err(invalid("options.kind.window", format!("must be a positive duration, got {d}")));
        }
        _ => {}
    }
    if let Some(ll) = o.low_latency {
        if o.kind == PlaylistKind::Vod {
            return Err(invalid("options.low_latency", "applies to EVENT and live playlists, not VOD".into()));
        }
        let Some(target) = o.target_duration else {
            return Err(invalid("options.target_duration", "must be set for low-latency playlists".into()));
        };
        check_low_latency(&ll, seconds(target as i64))?;
    }
    Ok(())
}

/// The LL-HLS duration rules of rfc8216bis, `target` being the target
/// duration.
fn check_low_latency(ll: &LowLatencyOptions, target: Timestamp) -> Result<(), PlaylistError> {
    use std::cmp::Ordering::Less;
    let times = |d: Timestamp, k: i64| Timestamp::new(d.ticks.saturating_mul(k), d.timescale);
    let pt = ll.part_target;
    if pt.ticks <= 0 || cmp_durations(pt, target) != Less {
        return Err(invalid(
            "options.low_latency.part_target",
            format!("must be positive and shorter than the target duration of {} s, got {pt}", target.ticks),
        ));
    }
    if let Some(phb) = ll.part_hold_back {
        if cmp_durations(phb, times(pt, 2)) == Less {
            return Err(invalid(
                "options.low_latency.part_hold_back",
                format!("must be at least twice the part target, got {phb}"),
            ));
        }
    }
    if let Some(hb) = ll.hold_back {
        if cmp_durations(hb, times(target, 3)) == Less {
            return Err(invalid(
                "options.low_latency.hold_back",
                format!("must be at least three target durations, got {hb}"),
            ));
        }
    }
    if let Some(until) = ll.can_skip_until {
        if cmp_durations(until, times(target, 6)) == Less {
            return Err(invalid(
                "options.low_latency.can_skip_until",
                format!("must be at least six target durations, got {until}"),
            ));
        }
    }
    Ok(())
}

/// An `EXT-X-MEDIA:TYPE=AUDIO` rendition of a multivariant playlist.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AudioRendition {
    /// `GROUP-ID`, referenced by [`Variant::audio_group`].
    pub group_id: String,
    /// `NAME`, shown to users; unique within the group.
    pub name: String,
    /// `LANGUAGE`, an RFC 5646 tag such as `en`. Default `None`.
    pub language: Option<String>,
    /// `DEFAULT=YES`: play this one unless the user chooses. At most one
    /// per group. Default `false`.
    pub default: bool,
    /// `AUTOSELECT=YES`: the player may choose it by language. Always
    /// written as YES for the default rendition. Default `true`.
    pub autoselect: bool,
    /// `CHANNELS`: the number of audio channels. Default `None`.
    pub channels: Option<u32>,
    /// RFC 6381 codec string (`mp4a.40.2`, `opus`), added to the `CODECS`
    /// of the variants using the group.
    pub codec: String,
    /// `URI` of its media playlist; `None` when the audio is in the
    /// variant's own segments.
    pub uri: Option<String>,
}

impl AudioRendition {
    /// A rendition of `group_id` named `name`, with codec `codec`, played
    /// from `uri`; not default, autoselect.
    pub fn new(
        group_id: impl Into<String>,
        name: impl Into<String>,
        codec: impl Into<String>,
        uri: impl Into<String>,
    ) -> Self {
        AudioRendition {
            group_id: group_id.into(),
            name: name.into(),
            language: None,
            default: false,
            autoselect: true,
            channels: None,
            codec: codec.into(),
            uri: Some(uri.into()),
        }
    }
}

/// An `EXT-X-STREAM-INF` variant stream of a multivariant playlist.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Variant {
    /// URI of its media playlist.
    pub uri: String,
    /// `BANDWIDTH`: peak bit rate in bits per second, including the audio
    /// group's (see [`Bandwidth`]). Greater than zero.
    pub bandwidth: u64,
    /// `AVERAGE-BANDWIDTH` in bits per second; at most `bandwidth`.
    /// Default `None`.
    pub average_bandwidth: Option<u64>,
    /// RFC 6381 codec strings of the variant's own segments (usually the
    /// video codec, e.g. from the SPS). The audio group's codecs are added.
    pub codecs: Vec<String>,
    /// `RESOLUTION`. Default `None`.
    pub resolution: Option<Resolution>,
    /// `FRAME-RATE`, written with three decimals. Default `None`.
    pub frame_rate: Option<FrameRate>,
    /// `AUDIO`: the `GROUP-ID` of its audio renditions. Default `None`.
    pub audio_group: Option<String>,
}

impl Variant {
    /// A variant at `uri` with the peak and average of `bandwidth` and the
    /// given codecs; no resolution, frame rate or audio group.
    pub fn new(uri: impl Into<String>, bandwidth: Bandwidth, codecs: Vec<String>) -> Self {
        Variant {
            uri: uri.into(),
            bandwidth: bandwidth.peak,
            average_bandwidth: Some(bandwidth.average),
            codecs,
            resolution: None,
            frame_rate: None,
            audio_group: None,
        }
    }
}

/// A multivariant (master) playlist: the variant streams of a
/// presentation and their audio renditions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultivariantPlaylist {
    /// The variants, written in this order (players usually start with the
    /// first). At least one.
    pub variants: Vec<Variant>,
    /// Audio renditions, grouped by `group_id`. Default empty.
    pub audio: Vec<AudioRendition>,
    /// Write `EXT-X-INDEPENDENT-SEGMENTS`. Default `true`.
    pub independent_segments: bool,
}

/// RFC 8216's name for [`MultivariantPlaylist`].
pub type MasterPlaylist = MultivariantPlaylist;

impl Default for MultivariantPlaylist {
    fn default() -> Self {
        MultivariantPlaylist { variants: Vec::new(), audio: Vec::new(), independent_segments: true }
    }
}

impl MultivariantPlaylist {
    /// The playlist text. Checks that there is a variant, that every
    /// `AUDIO` group exists, that a group has at most one default and no
    /// repeated names, and every string.
    pub fn render(&self) -> Result<String, PlaylistError> {
        if self.variants.is_empty() {
            return Err(PlaylistError::NoSegments);
        }
        let mut out = String::from("#EXTM3U\n");
        if self.independent_segments {
            out.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
        }
        for (i, a) in self.audio.iter().enumerate() {
            hls_quoted_nonempty(&a.group_id, "audio.group_id")?;
            hls_quoted_nonempty(&a.name, "audio.name")?;
            codec_string(&a.codec, "audio.codec")?;
            let earlier = &self.audio[..i];
            if earlier.iter().any(|b| b.group_id == a.group_id && b.name == a.name) {
                return Err(PlaylistError::InvalidText {
                    field: "audio.name",
                    value: a.name.clone(),
                    reason: "is used twice in the same group",
                });
            }
            if a.default && earlier.iter().any(|b| b.group_id == a.group_id && b.default) {
                return Err(PlaylistError::InvalidOption {
                    field: "audio.default",
                    reason: format!("is set on two renditions of group {:?}", a.group_id),
                });
            }
            let yes_no = |b: bool| if b { "YES" } else { "NO" };
            let _ = write!(out, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"{}\",NAME=\"{}\"", a.group_id, a.name);
            if let Some(lang) = &a.language {
                let _ = write!(out, ",LANGUAGE=\"{}\"", language_tag(lang, "audio.language")?);
            }
            let _ = write!(out, ",DEFAULT={},AUTOSELECT={}", yes_no(a.default), yes_no(a.autoselect || a.default));
            if let Some(ch) = a.channels {
                if ch == 0 {
                    return Err(PlaylistError::InvalidOption {
                        field: "audio.channels",
                        reason: "must be at least 1, got 0".into(),
                    });
                }
                let _ = write!(out, ",CHANNELS=\"{ch}\"");
            }
            if let Some(uri) = &a.uri {
                check_uri(uri, "audio.uri")?;
                let _ = write!(out, ",URI=\"{}\"", hls_quoted(uri, "audio.uri")?);
            }
            out.push('\n');
        }
        for v in &self.variants {
            if v.bandwidth == 0 {
                return Err(PlaylistError::InvalidOption {
                    field: "variant.bandwidth",
                    reason: "must be greater than zero, got 0".into(),
                });
            }
            let _ = write!(out, "#EXT-X-STREAM-INF:BANDWIDTH={}", v.bandwidth);
            if let Some(avg) = v.average_bandwidth {
                if avg == 0 || avg > v.bandwidth {
                    return Err(PlaylistError::InvalidOption {
                        field: "variant.average_bandwidth",
                        reason: format!("must be between 1 and the peak {}, got {avg}", v.bandwidth),
                    });
                }
                let _ = write!(out, ",AVERAGE-BANDWIDTH={avg}");
            }
            let mut codecs: Vec<&str> = Vec::new();
            for c in &v.codecs {
                codecs.push(codec_string(c, "variant.codecs")?);
            }
            if let Some(group) = &v.audio_group {
                let members: Vec<&AudioRendition> = self.audio.iter().filter(|a| &a.group_id == group).collect();
                if members.is_empty() {
                    return Err(PlaylistError::InvalidText {
                        field: "variant.audio_group",
                        value: group.clone(),
                        reason: "names no EXT-X-MEDIA audio group",
                    });
                }
                for a in members {
                    codecs.push(&a.codec);
                }
            }
            let mut unique: Vec<&str> = Vec::with_capacity(codecs.len());
            for c in codecs {
                if !unique.contains(&c) {
                    unique.push(c);
                }
            }
            if unique.is_empty() {
                return Err(PlaylistError::InvalidOption {
                    field: "variant.codecs",
                    reason: "must name at least one codec (own or through the audio group)".into(),
                });
            }
            let _ = write!(out, ",CODECS=\"{}\"", unique.join(","));
            if let Some(r) = v.resolution {
                r.check("variant.resolution")?;
                let _ = write!(out, ",RESOLUTION={}x{}", r.width, r.height);
            }
            if let Some(fr) = v.frame_rate {
                fr.check("variant.frame_rate")?;
                let scaled = div_round(fr.num as i128 * 1000, fr.den as i128);
                let _ = write!(out, ",FRAME-RATE={}", format_scaled(scaled, 3));
            }
            if let Some(group) = &v.audio_group {
                let _ = write!(out, ",AUDIO=\"{group}\"");
            }
            out.push('\n');
            check_uri(&v.uri, "variant.uri")?;
            out.push_str(hls_uri_line(&v.uri, "variant.uri")?);
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xorshift::XorShift;

    const T0: i64 = 1_700_000_000_000;
    const S: u64 = 90_000; // one second at 90 kHz

    fn seg(n: u64, secs: u64) -> Segment {
        Segment::new(n, (n * secs * S) as i64, secs * S, format!("seg{n}.m4s"))
    }

    fn live(window: usize) -> MediaPlaylist {
        let options = MediaPlaylistOptions {
            kind: PlaylistKind::Live(Window::Segments(window)),
            target_duration: Some(2),
            ..Default::default()
        };
        MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("init.mp4")), options).unwrap()
    }

    fn ll(part_ms: i64) -> MediaPlaylist {
        let options = MediaPlaylistOptions {
            kind: PlaylistKind::Live(Window::Segments(6)),
            target_duration: Some(2),
            low_latency: Some(LowLatencyOptions::new(Timestamp::from_millis(part_ms))),
            ..Default::default()
        };
        MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("init.mp4")), options).unwrap()
    }

    #[test]
    fn vod_has_type_and_endlist() {
        let mut t = Timeline::new(Timescale::MPEG);
        t.init = Some(InitSegmentRef::new("init.mp4"));
        t.segments = (0..3).map(|n| seg(n, 2)).collect();
        t.segments[2].duration = 135_000; // 1.5 s
        let text = MediaPlaylist::from_timeline(&t, MediaPlaylistOptions::default()).unwrap().render().unwrap();
        assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n"));
        assert!(text.contains("#EXT-X-PLAYLIST-TYPE:VOD\n"));
        assert!(text.contains("#EXT-X-MAP:URI=\"init.mp4\"\n"));
        assert!(text.contains("#EXTINF:1.500,\nseg2.m4s\n"));
        assert!(text.ends_with("#EXT-X-ENDLIST\n"));
    }

    #[test]
    fn vod_needs_segments() {
        let t = Timeline::new(Timescale::MPEG);
        let pl = MediaPlaylist::from_timeline(&t, MediaPlaylistOptions::default()).unwrap();
        assert_eq!(pl.render(), Err(PlaylistError::NoSegments));
    }

    #[test]
    fn target_duration_follows_written_extinf() {
        // 2.4996 s: EXTINF "2.500" rounds to 3, though 2.4996 rounds to 2.
        let mut pl =
            MediaPlaylist::new(Timescale::new(10_000).unwrap(), None, MediaPlaylistOptions::default()).unwrap();
        pl.push(Segment::new(0, 0, 24_996, "a.ts")).unwrap();
        assert_eq!(pl.target_duration(), 3);
        let text = pl.render().unwrap();
        assert!(text.contains("#EXT-X-TARGETDURATION:3\n"));
        assert!(text.contains("#EXTINF:2.500,\n"));
        // 2.49949 s is written 2.499 and rounds to 2.
        let mut pl =
            MediaPlaylist::new(Timescale::new(100_000).unwrap(), None, MediaPlaylistOptions::default()).unwrap();
        pl.push(Segment::new(0, 0, 249_949, "a.ts")).unwrap();
        assert_eq!(pl.target_duration(), 2);
    }

    #[test]
    fn configured_target_refuses_long_segments() {
        let mut pl = live(3);
        let err = pl.push(seg(0, 3)).unwrap_err();
        assert_eq!(err, PlaylistError::SegmentExceedsTarget { sequence: 0, rounded_seconds: 3, target_seconds: 2 });
        // 2.4 s rounds to 2: accepted.
        pl.push(Segment::new(0, 0, 216_000, "a.m4s")).unwrap();
    }

    #[test]
    fn push_checks_order_and_leaves_state_alone() {
        let mut pl = live(3);
        pl.push(seg(0, 2)).unwrap();
        assert_eq!(pl.push(seg(0, 2)), Err(PlaylistError::DuplicateSequence { sequence: 0 }));
        assert_eq!(pl.push(seg(2, 2)), Err(PlaylistError::NonConsecutiveSequence { expected: 1, found: 2 }));
        let mut back = seg(1, 2);
        back.start = 10;
        assert!(matches!(pl.push(back), Err(PlaylistError::StartBeforePreviousEnd { .. })));
        let mut bad = seg(1, 2);
        bad.uri = "#oops".into();
        assert!(matches!(pl.push(bad), Err(PlaylistError::InvalidText { field: "segment.uri", .. })));
        assert_eq!(pl.segments().count(), 1);
        pl.push(seg(1, 2)).unwrap();
        pl.finish().unwrap();
        assert_eq!(pl.push(seg(2, 2)), Err(PlaylistError::Finished));
    }

    #[test]
    fn sliding_window_counts_discontinuities() {
        let mut pl = live(3);
        let mut evicted = Vec::new();
        for n in 0..8u64 {
            let mut s = seg(n, 2);
            if n >= 3 {
                s.start += 90_000; // a one-second gap before segment 3
            }
            evicted.extend(pl.push(s).unwrap().into_iter().map(|s| s.sequence));
        }
        assert_eq!(evicted, vec![0, 1, 2, 3, 4]);
        assert_eq!(pl.media_sequence(), 5);
        assert_eq!(pl.discontinuity_sequence(), 1);
        let text = pl.render().unwrap();
        assert!(text.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"));
        assert!(!text.contains("#EXT-X-DISCONTINUITY\n"));
        assert!(!text.contains("ENDLIST"));
        assert!(!text.contains("PLAYLIST-TYPE"));
    }

    #[test]
    fn window_keeps_three_target_durations() {
        let mut pl = live(1);
        for n in 0..6 {
            pl.push(seg(n, 1)).unwrap(); // 1 s segments, target 2 s: keep 6 s
        }
        assert_eq!(pl.segments().count(), 6);
        pl.push(seg(6, 1)).unwrap();
        assert_eq!(pl.media_sequence(), 1);
        // A duration window.
        let options = MediaPlaylistOptions {
            kind: PlaylistKind::Live(Window::Duration(Timestamp::from_millis(9_000))),
            target_duration: Some(2),
            ..Default::default()
        };
        let mut pl = MediaPlaylist::new(Timescale::MPEG, None, options).unwrap();
        for n in 0..10 {
            pl.push(seg(n, 2)).unwrap();
        }
        assert_eq!(pl.segments().count(), 5); // 10 s >= 9 s, 8 s would not be
    }

    #[test]
    fn program_date_time_sparse_and_every() {
        let mut pl = live(10);
        for n in 0..4u64 {
            let mut s = seg(n, 2);
            if n == 0 {
                s.program_date_time_ms = Some(T0);
            }
            if n == 2 {
                s.program_date_time_ms = Some(T0 + 4_000); // as extrapolated: no tag
            }
            if n == 3 {
                s.program_date_time_ms = Some(T0 + 6_500); // drift: tag
            }
            pl.push(s).unwrap();
        }
        let text = pl.render().unwrap();
        let tags: Vec<&str> = text.lines().filter(|l| l.starts_with("#EXT-X-PROGRAM-DATE-TIME")).collect();
        assert_eq!(
            tags,
            vec![
                "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z",
                "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:26.500Z"
            ]
        );
        pl.options.program_date_time = PdtPlacement::EverySegment;
        assert_eq!(pl.render().unwrap().matches("#EXT-X-PROGRAM-DATE-TIME").count(), 4);
        pl.options.program_date_time = PdtPlacement::Off;
        assert_eq!(pl.render().unwrap().matches("#EXT-X-PROGRAM-DATE-TIME").count(), 0);
    }

    #[test]
    fn program_date_time_after_gap_is_extrapolated_across_it() {
        let mut pl = live(10);
        let mut s = seg(0, 2);
        s.program_date_time_ms = Some(T0);
        pl.push(s).unwrap();
        let mut s = seg(1, 2);
        s.start += 45_000; // half a second gap
        pl.push(s).unwrap();
        let text = pl.render().unwrap();
        assert!(text.contains("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:22.500Z\n"));
    }

    #[test]
    fn date_out_of_range_is_refused() {
        let mut pl = live(3);
        let mut s = seg(0, 2);
        s.program_date_time_ms = Some(i64::MAX);
        assert!(matches!(pl.push(s), Err(PlaylistError::DateOutOfRange { .. })));
    }

    #[test]
    fn options_are_checked() {
        let bad = |o: MediaPlaylistOptions| MediaPlaylist::new(Timescale::MPEG, None, o).unwrap_err();
        let base = MediaPlaylistOptions::default();
        assert!(matches!(
            bad(MediaPlaylistOptions { decimals: 2, ..base }),
            PlaylistError::InvalidOption { field: "options.decimals", .. }
        ));
        assert!(matches!(
            bad(MediaPlaylistOptions { target_duration: Some(0), ..base }),
            PlaylistError::InvalidOption { .. }
        ));
        let ll = Some(LowLatencyOptions::new(Timestamp::from_millis(500)));
        assert!(matches!(
            bad(MediaPlaylistOptions { low_latency: ll, ..base }),
            PlaylistError::InvalidOption { field: "options.low_latency", .. }
        ));
        let live = PlaylistKind::Live(Window::Segments(3));
        assert!(matches!(
            bad(MediaPlaylistOptions { kind: live, low_latency: ll, ..base }),
            PlaylistError::InvalidOption { field: "options.target_duration", .. }
        ));
        let mut llo = LowLatencyOptions::new(Timestamp::from_millis(500));
        llo.part_hold_back = Some(Timestamp::from_millis(900));
        assert!(matches!(
            bad(MediaPlaylistOptions { kind: live, target_duration: Some(2), low_latency: Some(llo), ..base }),
            PlaylistError::InvalidOption { field: "options.low_latency.part_hold_back", .. }
        ));
        let mut llo = LowLatencyOptions::new(Timestamp::from_millis(500));
        llo.can_skip_until = Some(Timestamp::from_millis(11_999));
        assert!(matches!(
            bad(MediaPlaylistOptions { kind: live, target_duration: Some(2), low_latency: Some(llo), ..base }),
            PlaylistError::InvalidOption { field: "options.low_latency.can_skip_until", .. }
        ));
        assert!(matches!(
            bad(MediaPlaylistOptions { kind: PlaylistKind::Live(Window::Segments(0)), ..base }),
            PlaylistError::InvalidOption { field: "options.kind.window", .. }
        ));
    }

    /// Publishes parts `parts` (0.5 s each, the first independent) of
    /// segment `n`, and completes it (2 s) after part 3.
    fn push_ll_segment(pl: &mut MediaPlaylist, n: u64, parts: std::ops::Range<usize>) {
        for p in parts {
            pl.push_part(n, PlaylistPart::new(format!("seg{n}.{p}.m4s"), 45_000, p == 0)).unwrap();
            if p == 3 {
                pl.push(seg(n, 2)).unwrap();
            }
        }
    }

    #[test]
    fn ll_parts_hint_and_retention() {
        let mut pl = ll(500);
        for n in 0..6 {
            push_ll_segment(&mut pl, n, 0..4);
        }
        push_ll_segment(&mut pl, 6, 0..2);
        pl.set_preload_hint(Some(PreloadHint::new("seg6.2.m4s"))).unwrap();
        let text = pl.render().unwrap();
        assert!(text.contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500\n"));
        assert!(text.contains("#EXT-X-PART-INF:PART-TARGET=0.500\n"));
        assert!(text.contains(
            "#EXT-X-PART:DURATION=0.500,URI=\"seg6.1.m4s\"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg6.2.m4s\"\n"
        ));
        assert!(text.contains("#EXT-X-PART:DURATION=0.500,URI=\"seg6.0.m4s\",INDEPENDENT=YES\n"));
        // Edge at 13 s, parts kept for segments ending after 7 s: 3, 4, 5.
        assert!(!text.contains("seg2.3.m4s"));
        assert!(text.contains("seg3.0.m4s"));
        assert!(text.contains("seg5.3.m4s"));
        // Pushing a part clears the hint.
        pl.push_part(6, PlaylistPart::new("seg6.2.m4s", 45_000, false)).unwrap();
        assert!(!pl.render().unwrap().contains("PRELOAD-HINT"));
    }

    #[test]
    fn ll_part_checks() {
        let mut pl = ll(500);
        assert_eq!(
            pl.push_part(0, PlaylistPart::new("a", 45_001, true)),
            Err(PlaylistError::PartExceedsTarget { sequence: 0, part: 0 })
        );
        assert_eq!(
            pl.push_part(0, PlaylistPart::new("a", 0, true)),
            Err(PlaylistError::ZeroDuration { sequence: 0, part: Some(0) })
        );
        pl.push_part(0, PlaylistPart::new("a", 45_000, true)).unwrap();
        assert_eq!(
            pl.push_part(1, PlaylistPart::new("b", 45_000, true)),
            Err(PlaylistError::NonConsecutiveSequence { expected: 0, found: 1 })
        );
        assert_eq!(pl.finish(), Err(PlaylistError::IncompleteSegment { sequence: 0 }));
        // Completing with a wrong duration fails: parts last 0.5 s.
        assert!(matches!(pl.push(seg(0, 2)), Err(PlaylistError::PartsDurationMismatch { .. })));
        let mut s = seg(0, 2);
        s.duration = 45_000;
        pl.push(s).unwrap();
        assert_eq!(pl.segments().next().unwrap().parts.len(), 1);
        let mut plain = live(3);
        assert!(matches!(
            plain.push_part(0, PlaylistPart::new("a", 1, true)),
            Err(PlaylistError::InvalidOption { .. })
        ));
    }

    #[test]
    fn blocking_reload_positions() {
        let mut pl = ll(500);
        assert_eq!(pl.next_position(), None);
        assert!(!pl.can_serve(0, None));
        push_ll_segment(&mut pl, 0, 0..4);
        push_ll_segment(&mut pl, 1, 0..2);
        assert_eq!(pl.last_position(), Some(Position { msn: 1, part: Some(1) }));
        assert_eq!(pl.next_position(), Some(Position { msn: 1, part: Some(2) }));
        assert!(pl.can_serve(0, None));
        assert!(pl.can_serve(0, Some(3)));
        assert!(pl.can_serve(0, Some(7))); // past the end of 0: satisfied by 1.0
        assert!(pl.can_serve(1, Some(1)));
        assert!(!pl.can_serve(1, Some(2)));
        assert!(!pl.can_serve(1, None));
        let d = |msn, part| DeliveryDirectives { msn: Some(msn), part, skip: None };
        assert_eq!(pl.blocking_status(&d(1, Some(2))), BlockingStatus::Hold);
        assert_eq!(pl.blocking_status(&d(2, Some(0))), BlockingStatus::Hold);
        assert_eq!(pl.blocking_status(&d(1, Some(8))), BlockingStatus::BadRequest); // 6 parts = 3 s ahead
        assert_eq!(pl.blocking_status(&d(1, Some(7))), BlockingStatus::Hold);
        assert_eq!(pl.blocking_status(&d(3, None)), BlockingStatus::BadRequest);
        assert_eq!(pl.blocking_status(&d(2, None)), BlockingStatus::Hold);
        assert_eq!(pl.blocking_status(&DeliveryDirectives::default()), BlockingStatus::Ready);
        push_ll_segment(&mut pl, 1, 2..4);
        assert!(pl.can_serve(1, None));
        assert!(!pl.can_serve(1, Some(4))); // waits for 2.0
        assert_eq!(pl.next_position(), Some(Position { msn: 2, part: Some(0) }));
        assert_eq!(
            pl.rendition_report("a.m3u8").unwrap(),
            RenditionReport { uri: "a.m3u8".into(), last_msn: 1, last_part: Some(3) }
        );
        pl.finish().unwrap();
        assert!(pl.can_serve(100, Some(0)));
    }

    #[test]
    fn delta_updates_skip_old_segments() {
        let mut llo = LowLatencyOptions::new(Timestamp::from_millis(500));
        llo.can_skip_until = Some(Timestamp::from_millis(12_000));
        let options = MediaPlaylistOptions {
            kind: PlaylistKind::Live(Window::Segments(10)),
            target_duration: Some(2),
            low_latency: Some(llo),
            ..Default::default()
        };
        let mut pl = MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("init.mp4")), options).unwrap();
        for n in 0..10 {
            let mut s = seg(n, 2);
            s.program_date_time_ms = (n == 0).then_some(T0);
            pl.push(s).unwrap();
        }
        let full = pl.render_for(&DeliveryDirectives::default()).unwrap();
        assert!(full.contains("CAN-SKIP-UNTIL=12.000"));
        let delta =
            pl.render_for(&DeliveryDirectives { msn: Some(10), part: None, skip: Some(SkipRequest::Yes) }).unwrap();
        // End at 20 s; segments ending by 8 s are skipped: 0..=3.
        assert!(delta.contains("#EXT-X-VERSION:9\n"));
        assert!(delta.contains("#EXT-X-MEDIA-SEQUENCE:0\n"));
        assert!(delta.contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n"));
        assert!(!delta.contains("seg3.m4s"));
        assert!(delta.contains("#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:28.000Z\n#EXTINF:2.000,\nseg4.m4s\n"));
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut rng = XorShift::new(0x9E37_79B9_7F4A_7C15);
        let ints = [0i64, 1, -1, 2, 45_000, 180_000, i64::MAX, i64::MIN, i64::MAX / 2];
        let uris = ["a.m4s", "", "#x", "a\"b", "a\nb", " a", "seg.m4s"];
        for round in 0..300 {
            let ll =
                (round % 2 == 0).then(|| LowLatencyOptions::new(Timestamp::from_millis(*rng.pick(&[1, 500, 2000]))));
            let options = MediaPlaylistOptions {
                kind: *rng.pick(&[PlaylistKind::Vod, PlaylistKind::Event, PlaylistKind::Live(Window::Segments(2))]),
                target_duration: *rng.pick(&[None, Some(1), Some(2), Some(u32::MAX)]),
                low_latency: ll,
                program_date_time: *rng.pick(&[PdtPlacement::Sparse, PdtPlacement::EverySegment]),
                ..Default::default()
            };
            let ts = Timescale::new(*rng.pick(&[1, 1000, 90_000, u32::MAX])).unwrap();
            let Ok(mut pl) = MediaPlaylist::new(ts, Some(InitSegmentRef::new("init.mp4")), options) else { continue };
            for _ in 0..20 {
                let seq = *rng.pick(&[0u64, 1, 2, 3, u64::MAX]);
                match rng.next_u64() % 6 {
                    0 => {
                        let _ = pl.push_part(
                            seq,
                            PlaylistPart::new(
                                *rng.pick(&uris),
                                rng.pick(&ints).unsigned_abs(),
                                rng.next_u64() % 2 == 0,
                            ),
                        );
                    }
                    1 => {
                        let _ = pl.set_preload_hint(Some(PreloadHint::new(*rng.pick(&uris))));
                    }
                    2 => {
                        let _ = pl.finish();
                    }
                    _ => {
                        let mut s =
                            Segment::new(seq, *rng.pick(&ints), rng.pick(&ints).unsigned_abs(), *rng.pick(&uris));
                        s.program_date_time_ms = *rng.pick(&[None, Some(0), Some(i64::MAX), Some(T0)]);
                        s.discontinuity = rng.next_u64() % 3 == 0;
                        let _ = pl.push(s);
                    }
                }
                let _ = pl.render();
                let d = DeliveryDirectives {
                    msn: Some(seq),
                    part: Some(*rng.pick(&[0, 1, u64::MAX])),
                    skip: Some(SkipRequest::Yes),
                };
                let _ = pl.blocking_status(&d);
                let _ = pl.render_for(&d);
                let _ = pl.next_position();
                let _ = pl.rendition_report("x.m3u8");
            }
        }
        let pieces = [
            "_HLS_msn",
            "_HLS_part",
            "_HLS_skip",
            "=",
            "&",
            "?",
            "#",
            "1",
            "-",
            "YES",
            "v2",
            "99999999999999999999",
            "é",
        ];
        for _ in 0..2000 {
            let q: String = (0..rng.next_u64() % 8).map(|_| *rng.pick(&pieces)).collect();
            let _ = DeliveryDirectives::parse_query(&q);
        }
    }

    #[test]
    fn query_parsing() {
        let p = DeliveryDirectives::parse_query;
        assert_eq!(
            p("_HLS_msn=12&_HLS_part=3").unwrap(),
            DeliveryDirectives { msn: Some(12), part: Some(3), skip: None }
        );
        assert_eq!(
            p("/live/v.m3u8?foo=1&_HLS_msn=0&_HLS_skip=v2").unwrap(),
            DeliveryDirectives { msn: Some(0), part: None, skip: Some(SkipRequest::V2) }
        );
        assert_eq!(p("?_HLS_skip=YES").unwrap().skip, Some(SkipRequest::Yes));
        assert_eq!(p("").unwrap(), DeliveryDirectives::default());
        assert_eq!(p("_HLS_msn=-1"), Err(DirectiveError::InvalidMsn("-1".into())));
        assert_eq!(p("_HLS_msn=+1"), Err(DirectiveError::InvalidMsn("+1".into())));
        assert_eq!(p("_HLS_msn="), Err(DirectiveError::InvalidMsn("".into())));
        assert_eq!(p("_HLS_msn=18446744073709551616"), Err(DirectiveError::InvalidMsn("18446744073709551616".into())));
        assert_eq!(p("_HLS_msn=1&_HLS_part=x"), Err(DirectiveError::InvalidPart("x".into())));
        assert_eq!(p("_HLS_part=1"), Err(DirectiveError::PartWithoutMsn));
        assert_eq!(p("_HLS_msn=1&_HLS_msn=2"), Err(DirectiveError::Repeated("_HLS_msn")));
        assert_eq!(p("_HLS_msn=1&_HLS_skip=yes"), Err(DirectiveError::InvalidSkip("yes".into())));
        assert_eq!(p("_HLS_msn=5#frag").unwrap().msn, Some(5));
    }

    fn master() -> MultivariantPlaylist {
        let mut en = AudioRendition::new("aud", "English", "mp4a.40.2", "audio/en.m3u8");
        en.language = Some("en".into());
        en.default = true;
        en.channels = Some(2);
        let mut v = Variant::new(
            "video/720p.m3u8",
            Bandwidth { peak: 2_500_000, average: 2_000_000 },
            vec!["avc1.64001f".into()],
        );
        v.resolution = Some(Resolution::new(1280, 720));
        v.frame_rate = Some(FrameRate::new(30_000, 1001));
        v.audio_group = Some("aud".into());
        MultivariantPlaylist { variants: vec![v], audio: vec![en], ..Default::default() }
    }

    #[test]
    fn multivariant_playlist() {
        let text = master().render().unwrap();
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/en.m3u8\"\n\
             #EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,FRAME-RATE=29.970,AUDIO=\"aud\"\n\
             video/720p.m3u8\n"
        );
    }

    #[test]
    fn multivariant_checks() {
        let mut m = master();
        m.variants[0].audio_group = Some("nope".into());
        assert!(matches!(m.render(), Err(PlaylistError::InvalidText { field: "variant.audio_group", .. })));
        let mut m = master();
        let mut second = m.audio[0].clone();
        second.name = "Other".into();
        m.audio.push(second);
        assert!(matches!(m.render(), Err(PlaylistError::InvalidOption { field: "audio.default", .. })));
        let mut m = master();
        m.audio[0].name = "Eng\"lish".into();
        assert!(matches!(m.render(), Err(PlaylistError::InvalidText { field: "audio.name", .. })));
        let mut m = master();
        m.variants[0].average_bandwidth = Some(3_000_000);
        assert!(matches!(m.render(), Err(PlaylistError::InvalidOption { field: "variant.average_bandwidth", .. })));
        assert_eq!(MultivariantPlaylist::default().render(), Err(PlaylistError::NoSegments));
    }
}

//! The input model shared by the HLS and DASH writers: segments, parts and
//! init segments of one rendition, with times as integer ticks.

use super::text::{div_ceil, div_round};
use super::PlaylistError;
use crate::time::{Timescale, Timestamp};

/// A byte range within a resource: `length` bytes from `offset`.
/// HLS writes it as `length@offset`, DASH as `offset-(offset+length-1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// First byte, counted from 0.
    pub offset: u64,
    /// Number of bytes; must be greater than zero.
    pub length: u64,
}

impl ByteRange {
    /// `length` bytes from `offset`.
    pub const fn new(offset: u64, length: u64) -> Self {
        ByteRange { offset, length }
    }

    /// The last byte (inclusive), as DASH writes ranges; `None` for an
    /// empty or overflowing range.
    pub fn last_byte(&self) -> Option<u64> {
        if self.length == 0 {
            return None;
        }
        self.offset.checked_add(self.length - 1)
    }

    pub(crate) fn check(&self, field: &'static str) -> Result<(), PlaylistError> {
        match self.last_byte() {
            Some(_) => Ok(()),
            None => Err(PlaylistError::InvalidOption {
                field,
                reason: format!("must be a non-empty range within 64 bits, got {}@{}", self.length, self.offset),
            }),
        }
    }
}

/// The initialization segment (CMAF header: `ftyp` + `moov`) of a
/// rendition: `EXT-X-MAP` in HLS, `Initialization` in DASH.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InitSegmentRef {
    /// URI, relative to the playlist or absolute.
    pub uri: String,
    /// The bytes of `uri` holding the init segment; `None` (the default)
    /// means the whole resource. DASH on-demand needs it (the
    /// `Initialization@range`).
    pub byte_range: Option<ByteRange>,
}

impl InitSegmentRef {
    /// A whole-file init segment at `uri`.
    pub fn new(uri: impl Into<String>) -> Self {
        InitSegmentRef { uri: uri.into(), byte_range: None }
    }
}

/// A partial segment (CMAF chunk) for LL-HLS: `EXT-X-PART`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlaylistPart {
    /// URI, relative to the playlist or absolute.
    pub uri: String,
    /// Duration in ticks of the rendition's timescale; greater than zero
    /// and at most the part target duration.
    pub duration: u64,
    /// The part starts with an independent frame (an IDR): written as
    /// `INDEPENDENT=YES`. Default `false`.
    pub independent: bool,
    /// The bytes of `uri` holding the part; `None` (the default) means
    /// the whole resource.
    pub byte_range: Option<ByteRange>,
}

impl PlaylistPart {
    /// A whole-file part of `duration` ticks.
    pub fn new(uri: impl Into<String>, duration: u64, independent: bool) -> Self {
        PlaylistPart { uri: uri.into(), duration, independent, byte_range: None }
    }
}

/// One media segment (a CMAF fragment, or a group of them) of a rendition.
///
/// Times are ticks in the timescale of the [`Timeline`] or playlist that
/// holds the segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment {
    /// Media sequence number (HLS) / segment number (DASH `$Number$`).
    /// Each segment's is the previous one's plus one.
    pub sequence: u64,
    /// Presentation start, in ticks (the `tfdt` of its first fragment).
    pub start: i64,
    /// Duration in ticks; greater than zero.
    pub duration: u64,
    /// URI, relative to the playlist or absolute.
    pub uri: String,
    /// Size in bytes, used for bandwidth. Default `None`; when `None`, the
    /// length of `byte_range` is used.
    pub bytes: Option<u64>,
    /// The bytes of `uri` holding the segment (`EXT-X-BYTERANGE`), for
    /// single-file renditions. Default `None`: the whole resource.
    pub byte_range: Option<ByteRange>,
    /// A discontinuity precedes this segment (new encoder, timestamps
    /// reset, format change). Default `false`. A segment whose `start` is
    /// after the previous segment's end is marked as one too.
    pub discontinuity: bool,
    /// Wall-clock time of `start`, in milliseconds since the Unix epoch
    /// (`EXT-X-PROGRAM-DATE-TIME`). Default `None`: extrapolated from the
    /// last segment that had one, by the difference of the `start`s.
    pub program_date_time_ms: Option<i64>,
    /// Its parts, in order, for LL-HLS. Default empty. When present they
    /// must add up to `duration`.
    pub parts: Vec<PlaylistPart>,
    /// The segment is missing (`EXT-X-GAP`): listed for its duration but
    /// not to be loaded. Default `false`.
    pub gap: bool,
}

impl Segment {
    /// A segment with the defaults above: whole file, no size, no
    /// discontinuity, no wall-clock time, no parts, not a gap.
    pub fn new(sequence: u64, start: i64, duration: u64, uri: impl Into<String>) -> Self {
        Segment {
            sequence,
            start,
            duration,
            uri: uri.into(),
            bytes: None,
            byte_range: None,
            discontinuity: false,
            program_date_time_ms: None,
            parts: Vec::new(),
            gap: false,
        }
    }

    /// End of the segment in ticks (`start + duration`), without overflow.
    pub fn end(&self) -> i128 {
        self.start as i128 + self.duration as i128
    }

    /// Size in bytes: `bytes`, else the length of `byte_range`.
    pub fn size(&self) -> Option<u64> {
        self.bytes.or(self.byte_range.map(|r| r.length))
    }
}

/// Checks a URI for either format: non-empty, no control characters, no
/// surrounding white space.
pub(crate) fn check_uri(uri: &str, field: &'static str) -> Result<(), PlaylistError> {
    let reason = if uri.is_empty() {
        Some("must not be empty")
    } else if uri.trim() != uri {
        Some("must not start or end with white space")
    } else if uri.chars().any(char::is_control) {
        Some("must not contain line breaks or control characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(PlaylistError::InvalidText { field, value: uri.into(), reason }),
        None => Ok(()),
    }
}

/// Checks what can be checked on a segment alone: durations, URIs,
/// ranges, parts adding up, end within `i64`.
pub(crate) fn check_segment(seg: &Segment) -> Result<(), PlaylistError> {
    if seg.duration == 0 {
        return Err(PlaylistError::ZeroDuration { sequence: seg.sequence, part: None });
    }
    if seg.end() > i64::MAX as i128 {
        return Err(PlaylistError::Overflow { field: "segment.start + segment.duration" });
    }
    check_uri(&seg.uri, "segment.uri")?;
    if let Some(r) = seg.byte_range {
        r.check("segment.byte_range")?;
    }
    let mut total: u128 = 0;
    for (i, part) in seg.parts.iter().enumerate() {
        if part.duration == 0 {
            return Err(PlaylistError::ZeroDuration { sequence: seg.sequence, part: Some(i) });
        }
        check_uri(&part.uri, "part.uri")?;
        if let Some(r) = part.byte_range {
            r.check("part.byte_range")?;
        }
        total += part.duration as u128;
    }
    if !seg.parts.is_empty() && total != seg.duration as u128 {
        return Err(PlaylistError::PartsDurationMismatch {
            sequence: seg.sequence,
            parts: total.min(u64::MAX as u128) as u64,
            segment: seg.duration,
        });
    }
    Ok(())
}

/// Checks that `seg` may follow a segment numbered `prev_seq` that ended
/// at `prev_end` ticks. Returns whether there is a gap in time (which
/// makes a discontinuity).
pub(crate) fn check_successor(prev: Option<(u64, i128)>, seg: &Segment) -> Result<bool, PlaylistError> {
    let Some((prev_seq, prev_end)) = prev else {
        return Ok(false);
    };
    if seg.sequence == prev_seq {
        return Err(PlaylistError::DuplicateSequence { sequence: seg.sequence });
    }
    let expected = prev_seq.checked_add(1).ok_or(PlaylistError::Overflow { field: "segment.sequence" })?;
    if seg.sequence != expected {
        return Err(PlaylistError::NonConsecutiveSequence { expected, found: seg.sequence });
    }
    if (seg.start as i128) < prev_end {
        return Err(PlaylistError::StartBeforePreviousEnd {
            sequence: seg.sequence,
            start: seg.start,
            previous_end: prev_end.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
        });
    }
    Ok(seg.start as i128 > prev_end)
}

/// The segments of one rendition (an HLS media playlist, a DASH
/// Representation) with their timescale and init segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// Ticks per second of every segment and part time.
    pub timescale: Timescale,
    /// The init segment; `None` only for formats that need none (HLS
    /// without `EXT-X-MAP`). Default `None`.
    pub init: Option<InitSegmentRef>,
    /// Segments in order. Default empty.
    pub segments: Vec<Segment>,
}

impl Timeline {
    /// An empty timeline in `timescale`.
    pub fn new(timescale: Timescale) -> Self {
        Timeline { timescale, init: None, segments: Vec::new() }
    }

    /// Checks every segment and the order between them: durations above
    /// zero, consecutive sequence numbers, starts never before the
    /// previous end, parts adding up, well-formed URIs and ranges.
    pub fn validate(&self) -> Result<(), PlaylistError> {
        if let Some(init) = &self.init {
            check_uri(&init.uri, "init.uri")?;
            if let Some(r) = init.byte_range {
                r.check("init.byte_range")?;
            }
        }
        let mut prev = None;
        for seg in &self.segments {
            check_segment(seg)?;
            check_successor(prev, seg)?;
            prev = Some((seg.sequence, seg.end()));
        }
        Ok(())
    }

    /// Whether each segment starts a new discontinuity: its own flag, or a
    /// gap after the previous segment. (Call [`Timeline::validate`] first.)
    pub fn discontinuities(&self) -> Vec<bool> {
        let mut prev_end: Option<i128> = None;
        self.segments
            .iter()
            .map(|s| {
                let gap = prev_end.is_some_and(|e| s.start as i128 > e);
                prev_end = Some(s.end());
                s.discontinuity || gap
            })
            .collect()
    }

    /// Total duration in ticks (the sum of the segment durations).
    pub fn duration(&self) -> u128 {
        self.segments.iter().map(|s| s.duration as u128).sum()
    }

    /// Peak and average bit rates of the segments. See [`Bandwidth`].
    pub fn bandwidth(&self) -> Result<Bandwidth, PlaylistError> {
        Bandwidth::of_segments(&self.segments, self.timescale)
    }
}

/// Bit rates of a rendition, in bits per second, rounded up.
///
/// `peak` follows the HLS definition of the peak segment bit rate: the
/// highest bit rate of any run of consecutive segments lasting between 0.5
/// and 1.5 target durations (the target being the longest segment rounded
/// to whole seconds). When no run qualifies, the highest single-segment
/// rate is used. `average` is all bytes over all durations. Gap segments
/// are skipped and break runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bandwidth {
    /// Peak segment bit rate (HLS `BANDWIDTH`), bits per second.
    pub peak: u64,
    /// Average segment bit rate (HLS `AVERAGE-BANDWIDTH`), bits per second.
    pub average: u64,
}

impl Bandwidth {
    /// Computes peak and average from each segment's size (`bytes`, or the
    /// `byte_range` length) and duration in `timescale` ticks.
    /// Errors: [`PlaylistError::NoSegments`] when every segment is a gap
    /// or none is given, [`PlaylistError::MissingSize`] when a size is
    /// unknown, [`PlaylistError::ZeroDuration`].
    pub fn of_segments(segments: &[Segment], timescale: Timescale) -> Result<Bandwidth, PlaylistError> {
        let ts = timescale.get() as i128;
        let mut sized: Vec<Option<(i128, i128)>> = Vec::with_capacity(segments.len());
        let (mut total_bits, mut total_ticks) = (0i128, 0i128);
        let mut longest = 0i128;
        for s in segments {
            if s.duration == 0 {
                return Err(PlaylistError::ZeroDuration { sequence: s.sequence, part: None });
            }
            if s.gap {
                sized.push(None);
                continue;
            }
            let bytes = s.size().ok_or(PlaylistError::MissingSize { sequence: s.sequence })?;
            let bits = bytes as i128 * 8;
            let ticks = s.duration as i128;
            sized.push(Some((bits, ticks)));
            total_bits += bits;
            total_ticks += ticks;
            longest = longest.max(ticks);
        }
        if total_ticks == 0 {
            return Err(PlaylistError::NoSegments);
        }
        let rate = |bits: i128, ticks: i128| div_ceil(bits * ts, ticks);
        // Target duration as HLS rounds it, in ticks.
        let target = div_round(longest, ts).max(1) * ts;
        let (lo, hi) = (target, 3 * target); // 0.5 T and 1.5 T, doubled
        let mut peak: Option<i128> = None;
        for i in 0..sized.len() {
            let (mut bits, mut ticks) = (0i128, 0i128);
            for entry in &sized[i..] {
                let Some((b, t)) = entry else { break };
                bits += b;
                ticks += t;
                if 2 * ticks > hi {
                    break;
                }
                if 2 * ticks >= lo {
                    let r = rate(bits, ticks);
                    peak = Some(peak.map_or(r, |p| p.max(r)));
                }
            }
        }
        let peak = peak.unwrap_or_else(|| sized.iter().flatten().map(|&(b, t)| rate(b, t)).max().unwrap_or(0));
        let clamp = |v: i128| v.clamp(0, u64::MAX as i128) as u64;
        Ok(Bandwidth { peak: clamp(peak), average: clamp(rate(total_bits, total_ticks)) })
    }

    /// The bit rates of two renditions played together (e.g. video plus
    /// its audio), an upper bound: peaks and averages are summed.
    pub fn combined(self, other: Bandwidth) -> Bandwidth {
        Bandwidth { peak: self.peak.saturating_add(other.peak), average: self.average.saturating_add(other.average) }
    }
}

/// A frame rate as the exact fraction `num / den` frames per second, e.g.
/// 30000/1001 for NTSC's 29.97.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameRate {
    /// Frames, greater than zero.
    pub num: u32,
    /// Per this many seconds, greater than zero.
    pub den: u32,
}

impl FrameRate {
    /// `num / den` frames per second.
    pub const fn new(num: u32, den: u32) -> Self {
        FrameRate { num, den }
    }

    /// A whole number of frames per second.
    pub const fn integer(fps: u32) -> Self {
        FrameRate { num: fps, den: 1 }
    }

    pub(crate) fn check(&self, field: &'static str) -> Result<(), PlaylistError> {
        if self.num == 0 || self.den == 0 {
            return Err(PlaylistError::InvalidOption {
                field,
                reason: format!("must be a positive fraction, got {}/{}", self.num, self.den),
            });
        }
        Ok(())
    }

    /// The fraction in lowest terms.
    pub(crate) fn reduced(&self) -> (u32, u32) {
        let (mut a, mut b) = (self.num, self.den);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        let g = a.max(1);
        (self.num / g, self.den / g)
    }
}

/// A picture size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resolution {
    /// Width in pixels, greater than zero.
    pub width: u32,
    /// Height in pixels, greater than zero.
    pub height: u32,
}

impl Resolution {
    /// `width` × `height` pixels.
    pub const fn new(width: u32, height: u32) -> Self {
        Resolution { width, height }
    }

    pub(crate) fn check(&self, field: &'static str) -> Result<(), PlaylistError> {
        if self.width == 0 || self.height == 0 {
            return Err(PlaylistError::InvalidOption {
                field,
                reason: format!("must be at least 1x1, got {}x{}", self.width, self.height),
            });
        }
        Ok(())
    }
}

/// A [`Timestamp`] from whole seconds, for option durations.
pub(crate) const fn seconds(s: i64) -> Timestamp {
    Timestamp::new(s, Timescale::new(1).unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(seq: u64, start: i64, dur: u64, bytes: u64) -> Segment {
        Segment { bytes: Some(bytes), ..Segment::new(seq, start, dur, format!("s{seq}.m4s")) }
    }

    #[test]
    fn validation_catches_order_errors() {
        let mut t = Timeline::new(Timescale::MPEG);
        t.segments = vec![seg(1, 0, 90_000, 1), seg(1, 90_000, 90_000, 1)];
        assert_eq!(t.validate(), Err(PlaylistError::DuplicateSequence { sequence: 1 }));
        t.segments[1].sequence = 3;
        assert_eq!(t.validate(), Err(PlaylistError::NonConsecutiveSequence { expected: 2, found: 3 }));
        t.segments[1].sequence = 2;
        t.segments[1].start = 10;
        assert!(matches!(t.validate(), Err(PlaylistError::StartBeforePreviousEnd { sequence: 2, .. })));
        t.segments[1].start = 100_000;
        assert_eq!(t.validate(), Ok(()));
        assert_eq!(t.discontinuities(), vec![false, true]);
        t.segments[1].duration = 0;
        assert_eq!(t.validate(), Err(PlaylistError::ZeroDuration { sequence: 2, part: None }));
    }

    #[test]
    fn parts_must_add_up() {
        let mut s = seg(0, 0, 1000, 1);
        s.parts = vec![PlaylistPart::new("a", 500, true), PlaylistPart::new("b", 400, false)];
        assert!(matches!(check_segment(&s), Err(PlaylistError::PartsDurationMismatch { parts: 900, .. })));
        s.parts[1].duration = 500;
        assert_eq!(check_segment(&s), Ok(()));
        s.parts[1].duration = 0;
        assert_eq!(check_segment(&s), Err(PlaylistError::ZeroDuration { sequence: 0, part: Some(1) }));
    }

    #[test]
    fn end_overflow_is_an_error() {
        let s = seg(0, i64::MAX, 1, 1);
        assert!(matches!(check_segment(&s), Err(PlaylistError::Overflow { .. })));
    }

    #[test]
    fn bandwidth_peak_and_average() {
        // 2 s segments at 90 kHz: 1, 1, 4 Mbit/s, and a 0.2 s tail that
        // would read as 8 Mbit/s on its own.
        let segs = vec![
            seg(0, 0, 180_000, 250_000),
            seg(1, 180_000, 180_000, 250_000),
            seg(2, 360_000, 180_000, 1_000_000),
            seg(3, 540_000, 18_000, 200_000),
        ];
        let bw = Bandwidth::of_segments(&segs, Timescale::MPEG).unwrap();
        // Target 2 s: runs of 1..3 s qualify. [2, 3] = 9.6 Mbit over 2.2 s.
        assert_eq!(bw.peak, 4_363_637);
        // 13.6 Mbit over 6.2 s.
        assert_eq!(bw.average, 2_193_549);
        let both = bw.combined(Bandwidth { peak: 128_000, average: 128_000 });
        assert_eq!(both.peak, 4_491_637);
    }

    #[test]
    fn bandwidth_needs_sizes() {
        let mut s = seg(0, 0, 1000, 1);
        s.bytes = None;
        assert_eq!(
            Bandwidth::of_segments(&[s.clone()], Timescale::MILLIS),
            Err(PlaylistError::MissingSize { sequence: 0 })
        );
        s.byte_range = Some(ByteRange::new(0, 125));
        assert_eq!(Bandwidth::of_segments(&[s], Timescale::MILLIS).unwrap(), Bandwidth { peak: 1000, average: 1000 });
        assert_eq!(Bandwidth::of_segments(&[], Timescale::MILLIS), Err(PlaylistError::NoSegments));
    }

    #[test]
    fn frame_rate_reduces() {
        assert_eq!(FrameRate::new(60, 2).reduced(), (30, 1));
        assert_eq!(FrameRate::new(30_000, 1001).reduced(), (30_000, 1001));
        assert!(FrameRate::new(0, 1).check("f").is_err());
    }

    #[test]
    fn byte_ranges() {
        assert_eq!(ByteRange::new(10, 5).last_byte(), Some(14));
        assert!(ByteRange::new(10, 0).check("r").is_err());
        assert!(ByteRange::new(u64::MAX, 2).check("r").is_err());
    }
}

//! Typed errors of the playlist writers.
//!
//! Every error is about the caller's input and is recoverable: a writer that
//! returns one is left exactly as it was before the call, so the caller can
//! fix the input and retry, or drop the offending segment.

use std::fmt;

use crate::error::{Coded, ErrorCode};

/// Why a playlist could not be built or written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaylistError {
    /// Nothing to list: a media playlist or a DASH Representation needs at
    /// least one segment (an LL-HLS playlist at least one part), a
    /// multivariant playlist at least one variant.
    NoSegments,
    /// A segment (`part: None`) or one of its parts (`part: Some(index)`)
    /// lasts zero ticks.
    ZeroDuration {
        /// Sequence number of the segment.
        sequence: u64,
        /// Index of the part within its segment, when the part is at fault.
        part: Option<usize>,
    },
    /// A segment repeats the sequence number of the one before it.
    DuplicateSequence {
        /// The repeated sequence number.
        sequence: u64,
    },
    /// Sequence numbers must grow by exactly one from segment to segment.
    NonConsecutiveSequence {
        /// The number that was expected (previous + 1).
        expected: u64,
        /// The number that was given.
        found: u64,
    },
    /// A segment starts before the previous one ends: start times went
    /// back, or two segments overlap. (A start *after* the previous end is
    /// a gap and becomes a discontinuity instead.)
    StartBeforePreviousEnd {
        /// Sequence number of the segment.
        sequence: u64,
        /// Its start, in ticks.
        start: i64,
        /// End of the previous segment, in ticks (saturated to `i64`).
        previous_end: i64,
    },
    /// The parts of a segment do not add up to its duration.
    PartsDurationMismatch {
        /// Sequence number of the segment.
        sequence: u64,
        /// Sum of the part durations, in ticks.
        parts: u64,
        /// Duration of the segment, in ticks.
        segment: u64,
    },
    /// A segment's EXTINF, rounded to the nearest integer, exceeds the
    /// configured target duration (RFC 8216 §4.3.3.1).
    SegmentExceedsTarget {
        /// Sequence number of the segment.
        sequence: u64,
        /// Its duration rounded to whole seconds.
        rounded_seconds: u64,
        /// The configured `EXT-X-TARGETDURATION`, in seconds.
        target_seconds: u32,
    },
    /// A part is longer than the LL-HLS part target duration.
    PartExceedsTarget {
        /// Sequence number of the parent segment.
        sequence: u64,
        /// Index of the part within its segment.
        part: usize,
    },
    /// A string cannot be written: e.g. a URI with a line break, a quoted
    /// HLS attribute containing `"`, a character XML does not allow.
    InvalidText {
        /// The field, e.g. `"segment.uri"`.
        field: &'static str,
        /// The offending value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An option or structural input is out of range or inconsistent.
    InvalidOption {
        /// The field, e.g. `"options.low_latency.part_hold_back"`.
        field: &'static str,
        /// What is wrong, with the value.
        reason: String,
    },
    /// Bandwidth needs the size of every segment: neither `bytes` nor
    /// `byte_range` is known for this one.
    MissingSize {
        /// Sequence number of the segment.
        sequence: u64,
    },
    /// A wall-clock time is outside the years 0000–9999 that ISO 8601
    /// date-times without expansion can express.
    DateOutOfRange {
        /// The field, e.g. `"segment.program_date_time_ms"`.
        field: &'static str,
        /// The value, in milliseconds since the Unix epoch.
        ms: i64,
    },
    /// The playlist has been finished (`EXT-X-ENDLIST`); nothing more can
    /// be added.
    Finished,
    /// `finish` was called while a segment was still open (it has parts but
    /// was never completed with `push`).
    IncompleteSegment {
        /// Sequence number of the open segment.
        sequence: u64,
    },
    /// A DASH `SegmentTemplate@media` does not expand to the segment's URI.
    TemplateMismatch {
        /// Sequence number of the segment.
        sequence: u64,
        /// What the template expands to.
        expanded: String,
        /// The segment's URI.
        uri: String,
    },
    /// A time computation left the range of 64-bit ticks.
    Overflow {
        /// The field whose value overflowed.
        field: &'static str,
    },
}

impl fmt::Display for PlaylistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PlaylistError::*;
        match self {
            NoSegments => write!(f, "the playlist has no segments"),
            ZeroDuration { sequence, part: None } => {
                write!(f, "segment {sequence}.duration must be greater than zero, got 0")
            }
            ZeroDuration { sequence, part: Some(p) } => {
                write!(f, "segment {sequence} part {p}.duration must be greater than zero, got 0")
            }
            DuplicateSequence { sequence } => write!(f, "segment.sequence {sequence} is repeated"),
            NonConsecutiveSequence { expected, found } => {
                write!(f, "segment.sequence must be {expected} (previous + 1), got {found}")
            }
            StartBeforePreviousEnd { sequence, start, previous_end } => write!(
                f,
                "segment {sequence}.start must be at or after the previous segment's end {previous_end}, got {start}"
            ),
            PartsDurationMismatch { sequence, parts, segment } => write!(
                f,
                "segment {sequence}: its parts last {parts} ticks but the segment lasts {segment} ticks"
            ),
            SegmentExceedsTarget { sequence, rounded_seconds, target_seconds } => write!(
                f,
                "segment {sequence} lasts {rounded_seconds} s after rounding, more than the target duration of {target_seconds} s"
            ),
            PartExceedsTarget { sequence, part } => {
                write!(f, "segment {sequence} part {part} is longer than the part target duration")
            }
            InvalidText { field, value, reason } => write!(f, "{field} {reason}, got {value:?}"),
            InvalidOption { field, reason } => write!(f, "{field} {reason}"),
            MissingSize { sequence } => {
                write!(f, "segment {sequence} has neither bytes nor byte_range, so its bit rate is unknown")
            }
            DateOutOfRange { field, ms } => {
                write!(f, "{field} must be within the years 0000-9999, got {ms} ms since the epoch")
            }
            Finished => write!(f, "the playlist is finished; nothing can be added"),
            IncompleteSegment { sequence } => {
                write!(f, "segment {sequence} has parts but was never completed; push it before finishing")
            }
            TemplateMismatch { sequence, expanded, uri } => write!(
                f,
                "SegmentTemplate@media expands to {expanded:?} for segment {sequence}, but its uri is {uri:?}"
            ),
            Overflow { field } => write!(f, "{field} overflows 64-bit ticks"),
        }
    }
}

impl std::error::Error for PlaylistError {}

impl Coded for PlaylistError {
    fn code(&self) -> ErrorCode {
        ErrorCode::PlaylistError
    }
}

/// Why an LL-HLS blocking-reload query (`_HLS_msn`, `_HLS_part`,
/// `_HLS_skip`) is malformed. A server answers these with
/// `400 Bad Request`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DirectiveError {
    /// `_HLS_msn` is not a decimal integer that fits in 64 bits.
    InvalidMsn(String),
    /// `_HLS_part` is not a decimal integer that fits in 64 bits.
    InvalidPart(String),
    /// `_HLS_skip` is neither `YES` nor `v2`.
    InvalidSkip(String),
    /// `_HLS_part` without `_HLS_msn` (rfc8216bis §6.2.5.2 makes it a bad
    /// request).
    PartWithoutMsn,
    /// The same directive appears twice.
    Repeated(&'static str),
}

impl fmt::Display for DirectiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectiveError::InvalidMsn(v) => write!(f, "_HLS_msn must be a decimal integer, got {v:?}"),
            DirectiveError::InvalidPart(v) => write!(f, "_HLS_part must be a decimal integer, got {v:?}"),
            DirectiveError::InvalidSkip(v) => write!(f, "_HLS_skip must be YES or v2, got {v:?}"),
            DirectiveError::PartWithoutMsn => write!(f, "_HLS_part requires _HLS_msn"),
            DirectiveError::Repeated(name) => write!(f, "{name} appears more than once"),
        }
    }
}

impl std::error::Error for DirectiveError {}

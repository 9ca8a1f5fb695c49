//! The Matroska demuxer's error type, [`MkvError`].

use std::fmt;

use crate::error::{Coded, ErrorCode};

/// Why the Matroska/WebM demuxer rejected its input.
///
/// Every variant but [`MkvError::Finished`] is final for the input: the
/// demuxer stops, and frames it gave out before the error stay valid (a
/// recording cut short ends in [`MkvError::Truncated`] after every frame
/// that was complete). Offsets are byte positions from the start of the
/// input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MkvError {
    /// The input does not start with an EBML header (it is not Matroska,
    /// WebM or any EBML document), or it is empty.
    NotEbml,
    /// The EBML header names a document type other than `webm` or
    /// `matroska`.
    UnsupportedDocType {
        /// The `DocType` string read (lossy UTF-8).
        doc_type: String,
    },
    /// An EBML header field asks for a reader this one is not: a read
    /// version above 1, IDs longer than 4 bytes or sizes longer than 8.
    UnsupportedEbml {
        /// The field, e.g. `EBMLMaxIDLength`.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// An element ID or size is not a valid variable-size integer (a first
    /// byte of 0, or an ID longer than 4 bytes).
    BadVint {
        /// Where the integer starts.
        offset: u64,
    },
    /// An element is larger than [`MkvOptions::max_element_bytes`]
    /// (an element the demuxer must hold whole: a block, `Tracks`,
    /// `Info`, a `BlockGroup`).
    ///
    /// [`MkvOptions::max_element_bytes`]: super::MkvOptions::max_element_bytes
    ElementTooLarge {
        /// The element's ID.
        id: u32,
        /// Where it starts.
        offset: u64,
        /// Its declared body size, bytes.
        size: u64,
        /// The limit, bytes.
        limit: u64,
    },
    /// An element's size is impossible: it ends past its parent, or it is
    /// "unknown" on an element that must have a size (only `Segment` and
    /// `Cluster` may be of unknown size).
    BadSize {
        /// The element's ID.
        id: u32,
        /// Where it starts.
        offset: u64,
    },
    /// An element's content is invalid in a way the other variants do not
    /// name.
    Malformed {
        /// The element's ID.
        id: u32,
        /// Where it starts.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A block's lacing does not add up: frame sizes past the block's end,
    /// a fixed-size lace that does not divide, a negative EBML lace size.
    BadLacing {
        /// Where the block starts.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A track's `CodecPrivate` does not parse as its codec's record
    /// (`avcC`, AudioSpecificConfig, `OpusHead`).
    CodecPrivate {
        /// The track number.
        track: u64,
        /// The track's `CodecID`.
        codec_id: String,
        /// Why the record does not parse.
        reason: String,
    },
    /// A timestamp does not fit in 64 bits.
    TimestampOverflow {
        /// Where the block or cluster starts.
        offset: u64,
    },
    /// The input ended inside an element (or before any `Tracks`): a
    /// recording cut short. Frames before the cut were given out.
    Truncated {
        /// The element being read (0 when the cut is inside an element
        /// header).
        id: u32,
        /// Where it starts.
        offset: u64,
    },
    /// The input ended without a `Tracks` element.
    NoTracks,
    /// [`MkvDemuxer::push`] or [`MkvDemuxer::finish`] after `finish` or an
    /// error.
    ///
    /// [`MkvDemuxer::push`]: super::MkvDemuxer::push
    /// [`MkvDemuxer::finish`]: super::MkvDemuxer::finish
    Finished,
}

impl fmt::Display for MkvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MkvError::NotEbml => f.write_str("not a Matroska or WebM file (no EBML header)"),
            MkvError::UnsupportedDocType { doc_type } => {
                write!(f, "EBML document type '{doc_type}' is not webm or matroska")
            }
            MkvError::UnsupportedEbml { field, value } => write!(f, "EBML {field} {value} is not supported"),
            MkvError::BadVint { offset } => write!(f, "invalid EBML variable-size integer at byte {offset}"),
            MkvError::ElementTooLarge { id, offset, size, limit } => {
                write!(f, "Matroska element 0x{id:X} at byte {offset} holds {size} bytes, more than the limit {limit}")
            }
            MkvError::BadSize { id, offset } => {
                write!(f, "Matroska element 0x{id:X} at byte {offset} has an impossible size")
            }
            MkvError::Malformed { id, offset, reason } => {
                write!(f, "malformed Matroska element 0x{id:X} at byte {offset}: {reason}")
            }
            MkvError::BadLacing { offset, reason } => write!(f, "bad lacing in the block at byte {offset}: {reason}"),
            MkvError::CodecPrivate { track, codec_id, reason } => {
                write!(f, "track {track} ({codec_id}): bad CodecPrivate: {reason}")
            }
            MkvError::TimestampOverflow { offset } => write!(f, "timestamp overflow at byte {offset}"),
            MkvError::Truncated { id, offset } => {
                write!(f, "the input ends inside Matroska element 0x{id:X} at byte {offset}")
            }
            MkvError::NoTracks => f.write_str("the Matroska input has no Tracks element"),
            MkvError::Finished => f.write_str("the demuxer has finished"),
        }
    }
}

impl std::error::Error for MkvError {}

impl Coded for MkvError {
    fn code(&self) -> ErrorCode {
        match self {
            MkvError::NotEbml | MkvError::UnsupportedDocType { .. } | MkvError::UnsupportedEbml { .. } => {
                ErrorCode::UnsupportedInput
            }
            MkvError::Finished => ErrorCode::InvalidState,
            _ => ErrorCode::DecodeError,
        }
    }
}

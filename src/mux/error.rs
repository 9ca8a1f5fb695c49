//! Errors of the muxers and the segmenter: one typed, `#[non_exhaustive]`
//! enum, [`MuxError`].

use std::fmt;

use crate::codec::CodecConfigError;
use crate::error::{Coded, ErrorCode};

/// Why a muxer or the segmenter refused its input.
///
/// Every variant is **recoverable**: the call that returned it changed no
/// state (no sequence number or decode time was consumed), so the caller may
/// fix its input and call again. Only [`MuxError::Encode`] points at a bug in
/// framecast rather than in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MuxError {
    /// No tracks were given (to a writer or to a fragment).
    NoTracks,
    /// A track was given without any sample.
    NoSamples { track_id: u32 },
    /// A track ID that the writer was not created with.
    UnknownTrack { track_id: u32 },
    /// Two tracks share an ID, or a fragment names a track twice.
    DuplicateTrack { track_id: u32 },
    /// A track field is out of range; `reason` says what was expected.
    InvalidTrack { track_id: u32, field: &'static str, reason: String },
    /// The codec configuration of a track does not parse.
    Codec { track_id: u32, error: CodecConfigError },
    /// A decode time is negative (MP4 decode times start at zero).
    NegativeDecodeTime { track_id: u32, decode_time: i64 },
    /// A decode time is smaller than the one before it (in the same call or
    /// the end of the previous fragment of that track).
    DecodeTimeDecreased { track_id: u32, previous: i64, found: i64 },
    /// Inside one fragment, a sample does not start where the previous one
    /// ended (`decode_time + duration`). A fragment cannot hold a gap.
    DurationMismatch { track_id: u32, index: usize, expected: i64, found: i64 },
    /// `mfhd` sequence numbers must increase from fragment to fragment.
    SequenceNotIncreasing { previous: u32, found: u32 },
    /// A video stream must start with a keyframe.
    FirstSampleNotKeyframe { track_id: u32 },
    /// A size or count does not fit the field that stores it.
    TooLarge { what: &'static str },
    /// Valid input that this muxer cannot write yet.
    Unsupported { what: String },
    /// An option is out of range; `reason` says what was expected.
    InvalidOption { field: &'static str, reason: String },
    /// `push` or `finish` was called after `finish`.
    Finished,
    /// A box failed to encode (a framecast bug; please report it).
    Encode { fourcc: String, reason: String },
}

impl fmt::Display for MuxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MuxError::NoTracks => write!(f, "no tracks"),
            MuxError::NoSamples { track_id } => write!(f, "track {track_id} has no samples"),
            MuxError::UnknownTrack { track_id } => write!(f, "unknown track id {track_id}"),
            MuxError::DuplicateTrack { track_id } => write!(f, "track id {track_id} appears twice"),
            MuxError::InvalidTrack { track_id, field, reason } => {
                write!(f, "track {track_id}: {field} {reason}")
            }
            MuxError::Codec { track_id, error } => write!(f, "track {track_id}: {error}"),
            MuxError::NegativeDecodeTime { track_id, decode_time } => {
                write!(f, "track {track_id}: decode time {decode_time} is negative")
            }
            MuxError::DecodeTimeDecreased { track_id, previous, found } => {
                write!(f, "track {track_id}: decode time went back from {previous} to {found}")
            }
            MuxError::DurationMismatch { track_id, index, expected, found } => write!(
                f,
                "track {track_id}: sample {index} starts at {found}, but the previous sample ends at {expected}"
            ),
            MuxError::SequenceNotIncreasing { previous, found } => {
                write!(f, "sequence number {found} does not follow {previous}")
            }
            MuxError::FirstSampleNotKeyframe { track_id } => {
                write!(f, "track {track_id}: the first sample must be a keyframe")
            }
            MuxError::TooLarge { what } => write!(f, "{what} is too large"),
            MuxError::Unsupported { what } => write!(f, "unsupported: {what}"),
            MuxError::InvalidOption { field, reason } => write!(f, "{field} {reason}"),
            MuxError::Finished => write!(f, "already finished"),
            MuxError::Encode { fourcc, reason } => write!(f, "cannot encode '{fourcc}': {reason}"),
        }
    }
}

impl std::error::Error for MuxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MuxError::Codec { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl Coded for MuxError {
    /// Set-up problems are `invalid-config`; a sample that does not fit the
    /// stream (unknown track, negative or decreasing time, no keyframe
    /// first) is `invalid-frame`; a call after `finish` is `invalid-state`;
    /// what the container cannot hold is `mux-error`.
    fn code(&self) -> ErrorCode {
        match self {
            MuxError::NoTracks
            | MuxError::DuplicateTrack { .. }
            | MuxError::InvalidTrack { .. }
            | MuxError::Codec { .. }
            | MuxError::InvalidOption { .. } => ErrorCode::InvalidConfig,
            MuxError::UnknownTrack { .. }
            | MuxError::NegativeDecodeTime { .. }
            | MuxError::DecodeTimeDecreased { .. }
            | MuxError::FirstSampleNotKeyframe { .. } => ErrorCode::InvalidFrame,
            MuxError::Finished => ErrorCode::InvalidState,
            MuxError::NoSamples { .. }
            | MuxError::DurationMismatch { .. }
            | MuxError::SequenceNotIncreasing { .. }
            | MuxError::TooLarge { .. }
            | MuxError::Unsupported { .. }
            | MuxError::Encode { .. } => ErrorCode::MuxError,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            MuxError::InvalidTrack { field, .. } | MuxError::InvalidOption { field, .. } => Some((*field).to_string()),
            _ => None,
        }
    }
}

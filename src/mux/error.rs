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
    NoSamples {
        /// ID of the track that came without samples.
        track_id: u32,
    },
    /// A track ID that the writer was not created with.
    UnknownTrack {
        /// The track ID given, which no configured track has.
        track_id: u32,
    },
    /// Two tracks share an ID, or a fragment names a track twice.
    DuplicateTrack {
        /// The track ID that appears twice.
        track_id: u32,
    },
    /// A track field is out of range; `reason` says what was expected.
    InvalidTrack {
        /// ID of the offending track.
        track_id: u32,
        /// Path of the offending field in the track configuration, e.g.
        /// `codec.sample_rate`; also reported by [`Coded::field`].
        field: &'static str,
        /// What the field must be, e.g. `must not be 0`.
        reason: String,
    },
    /// The codec configuration of a track does not parse.
    Codec {
        /// ID of the track whose codec configuration is bad.
        track_id: u32,
        /// Why the configuration does not parse.
        error: CodecConfigError,
    },
    /// A decode time is negative (MP4 decode times start at zero).
    NegativeDecodeTime {
        /// ID of the track the sample belongs to.
        track_id: u32,
        /// The negative decode time, in ticks of the track's timescale.
        decode_time: i64,
    },
    /// A decode time is smaller than the one before it (in the same call or
    /// the end of the previous fragment of that track).
    DecodeTimeDecreased {
        /// ID of the track the sample belongs to.
        track_id: u32,
        /// The earliest decode time allowed: the previous sample's decode
        /// time, or the end of the track's previous fragment; in ticks of
        /// the track's timescale.
        previous: i64,
        /// The decode time given, smaller than `previous`, in ticks.
        found: i64,
    },
    /// Inside one fragment, a sample does not start where the previous one
    /// ended (`decode_time + duration`). A fragment cannot hold a gap.
    DurationMismatch {
        /// ID of the track the samples belong to.
        track_id: u32,
        /// 0-based index of the sample that does not follow on, in the
        /// samples given for this track (never 0: the first sample has no
        /// predecessor).
        index: usize,
        /// Where the sample had to start: the previous sample's decode time
        /// plus its duration, in ticks of the track's timescale.
        expected: i64,
        /// The sample's decode time, in ticks.
        found: i64,
    },
    /// `mfhd` sequence numbers must increase from fragment to fragment.
    SequenceNotIncreasing {
        /// Sequence number of the last fragment written.
        previous: u32,
        /// The sequence number given, not greater than `previous`.
        found: u32,
    },
    /// A video stream must start with a keyframe.
    FirstSampleNotKeyframe {
        /// ID of the video track whose first sample is not a keyframe.
        track_id: u32,
    },
    /// A size or count does not fit the field that stores it.
    TooLarge {
        /// What overflowed, e.g. `trun data offset` or `sidx reference count`.
        what: &'static str,
    },
    /// Valid input that this muxer cannot write yet.
    Unsupported {
        /// The input feature this muxer cannot write.
        what: String,
    },
    /// An option is out of range; `reason` says what was expected.
    InvalidOption {
        /// Name of the offending option; also reported by [`Coded::field`].
        field: &'static str,
        /// What the option must be.
        reason: String,
    },
    /// `push` or `finish` was called after `finish`.
    Finished,
    /// A box failed to encode (a framecast bug; please report it).
    Encode {
        /// Four-character code of the box that failed, e.g. `esds`.
        fourcc: String,
        /// The encoder's message.
        reason: String,
    },
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

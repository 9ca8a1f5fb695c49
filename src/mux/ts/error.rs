//! Errors of the MPEG-TS muxer and demuxer: [`TsError`].

use std::fmt;

use crate::codec::CodecConfigError;
use crate::error::{Coded, ErrorCode};

/// Why the MPEG-TS muxer or demuxer refused a call.
///
/// Every variant is **recoverable**: the call that returned it wrote
/// nothing and changed no state, so the caller may fix its input and call
/// again. Damage inside a transport stream is not an error: the demuxer
/// counts it in its [`TsWarnings`](super::TsWarnings) and goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsError {
    /// The muxer was given no tracks.
    NoTracks,
    /// More tracks than the muxer's PMT carries.
    TooManyTracks {
        /// The number of tracks given.
        count: usize,
        /// The most the muxer takes.
        max: usize,
    },
    /// Two tracks share an ID.
    DuplicateTrack {
        /// The track ID that appears twice.
        track_id: u32,
    },
    /// A codec that HLS transport streams do not carry here (only H.264
    /// and AAC with object types 1 to 4 are written).
    UnsupportedCodec {
        /// The track whose codec is refused.
        track_id: u32,
        /// The codec, e.g. `opus`, or `AAC object type 5`.
        codec: String,
    },
    /// A track's codec configuration does not parse.
    Codec {
        /// The track whose configuration is bad.
        track_id: u32,
        /// Why it does not parse.
        error: CodecConfigError,
    },
    /// A sample names a track the muxer was not created with.
    UnknownTrack {
        /// The track ID given.
        track_id: u32,
    },
    /// `write_sample` before the first `begin_segment`.
    NoSegment,
    /// A sample's time, rescaled to 90 kHz and shifted by the timestamp
    /// offset, is negative.
    NegativeTime {
        /// The track the sample belongs to.
        track_id: u32,
        /// The shifted time in 90 kHz ticks.
        time: i64,
    },
    /// A sample's bytes are not what its codec needs (length-prefixed
    /// H.264 NAL units that do not parse, an AAC frame too long for ADTS).
    BadSample {
        /// The track the sample belongs to.
        track_id: u32,
        /// What is wrong with it.
        reason: String,
    },
    /// `push` or `finish` after `finish`.
    Finished,
}

impl fmt::Display for TsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TsError::NoTracks => write!(f, "no tracks"),
            TsError::TooManyTracks { count, max } => write!(f, "{count} tracks, at most {max} go into one program"),
            TsError::DuplicateTrack { track_id } => write!(f, "track id {track_id} appears twice"),
            TsError::UnsupportedCodec { track_id, codec } => {
                write!(f, "track {track_id}: MPEG-TS carries H.264 and AAC (object types 1-4), not {codec}")
            }
            TsError::Codec { track_id, error } => write!(f, "track {track_id}: {error}"),
            TsError::UnknownTrack { track_id } => write!(f, "unknown track id {track_id}"),
            TsError::NoSegment => write!(f, "write_sample before begin_segment"),
            TsError::NegativeTime { track_id, time } => {
                write!(f, "track {track_id}: time {time} (90 kHz, after the offset) is negative")
            }
            TsError::BadSample { track_id, reason } => write!(f, "track {track_id}: {reason}"),
            TsError::Finished => write!(f, "already finished"),
        }
    }
}

impl std::error::Error for TsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TsError::Codec { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl Coded for TsError {
    /// Track set-up problems are `invalid-config`; a sample that does not
    /// fit (unknown track, negative time, bad bytes) is `invalid-frame`;
    /// calls out of order are `invalid-state`.
    fn code(&self) -> ErrorCode {
        match self {
            TsError::NoTracks
            | TsError::TooManyTracks { .. }
            | TsError::DuplicateTrack { .. }
            | TsError::UnsupportedCodec { .. }
            | TsError::Codec { .. } => ErrorCode::InvalidConfig,
            TsError::UnknownTrack { .. } | TsError::NegativeTime { .. } | TsError::BadSample { .. } => {
                ErrorCode::InvalidFrame
            }
            TsError::NoSegment | TsError::Finished => ErrorCode::InvalidState,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            TsError::UnsupportedCodec { .. } | TsError::Codec { .. } => Some("codec".into()),
            TsError::UnknownTrack { .. } => Some("trackId".into()),
            TsError::NegativeTime { .. } => Some("decodeTime".into()),
            TsError::BadSample { .. } => Some("data".into()),
            _ => None,
        }
    }
}

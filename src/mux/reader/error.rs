//! The reader's error type and the four-character codes it names boxes by.

use std::fmt;

use crate::codec::CodecConfigError;

/// A four-character code: a box type, brand, handler or sample entry name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// The code as bytes.
    pub const fn bytes(self) -> [u8; 4] {
        self.0
    }
}

impl From<&[u8; 4]> for FourCc {
    fn from(b: &[u8; 4]) -> Self {
        FourCc(*b)
    }
}

impl PartialEq<&[u8; 4]> for FourCc {
    fn eq(&self, other: &&[u8; 4]) -> bool {
        self.0 == **other
    }
}

impl fmt::Display for FourCc {
    /// Printable ASCII as is (`moov`, `Opus`, `url `); anything else as hex
    /// (`0x00ff1020`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.iter().all(|b| (0x20..0x7f).contains(b)) {
            for &b in &self.0 {
                write!(f, "{}", char::from(b))?;
            }
            Ok(())
        } else {
            write!(f, "0x{:08x}", u32::from_be_bytes(self.0))
        }
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc(\"{self}\")")
    }
}

/// Why the reader rejected an input.
///
/// **Recoverable** errors ([`ReadError::is_recoverable`]) mean the bytes
/// are a well-formed MP4 that an option, a limit or the stream's state
/// rejected: parsing again with
/// [`ReadOptions::skip_unsupported_tracks`](super::ReadOptions::skip_unsupported_tracks),
/// raising a [`FragmentRules`](super::FragmentRules) limit, or (for a stream
/// server) re-sending the init segment or resetting the
/// [`FragmentValidator`](super::FragmentValidator) can succeed. Every other
/// error means the input is malformed or truncated: no option makes it
/// readable, and a server should reject the upload.
///
/// Offsets are byte positions in the input given to the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError {
    /// A box extends past the end of its parent or of the input: the input
    /// was cut short, or a size field lies. Not recoverable.
    Truncated {
        /// The box (the parent, when not even its header is complete).
        fourcc: FourCc,
        /// Where the box starts.
        offset: u64,
        /// Bytes the box needs.
        needed: u64,
        /// Bytes there are from `offset` to the end of the parent.
        available: u64,
    },
    /// A box's size field is impossible: smaller than its header, or 0
    /// ("to the end of the file") inside another box. Not recoverable.
    BadBoxSize {
        /// The box.
        fourcc: FourCc,
        /// Where the box starts.
        offset: u64,
        /// The size it declares.
        size: u64,
    },
    /// A box's body ends inside one of its fields, or a table's entry count
    /// does not fit in the box. Not recoverable.
    ShortBox {
        /// The box.
        fourcc: FourCc,
        /// The field being read, e.g. `"sample_count"` or `"entries"`.
        field: &'static str,
    },
    /// A box's content is invalid in a way the other variants do not name.
    /// Not recoverable.
    Malformed {
        /// The box.
        fourcc: FourCc,
        /// What is wrong.
        reason: &'static str,
    },
    /// A mandatory box is missing. Not recoverable.
    MissingBox {
        /// The missing box.
        fourcc: FourCc,
        /// Where it should be; `None` at the top level.
        parent: Option<FourCc>,
    },
    /// A box that may appear once appears again. Not recoverable.
    DuplicateBox {
        /// The repeated box.
        fourcc: FourCc,
        /// Its parent; `None` at the top level.
        parent: Option<FourCc>,
    },
    /// A box where it may not be, e.g. `mdat` in an init segment or `moof`
    /// in a file whose `moov` has no `mvex`. Not recoverable.
    UnexpectedBox {
        /// The box.
        fourcc: FourCc,
        /// Why it may not be there.
        reason: &'static str,
    },
    /// A box version this reader does not know. Not recoverable.
    UnsupportedVersion {
        /// The box.
        fourcc: FourCc,
        /// Its version.
        version: u8,
    },
    /// A valid feature this reader does not implement, e.g. several sample
    /// descriptions in one track or external data references. Not
    /// recoverable.
    Unsupported {
        /// The box that uses it.
        fourcc: FourCc,
        /// The feature.
        feature: &'static str,
    },
    /// A video or audio track whose sample entry this reader cannot decode
    /// (`hvc1`, `av01`, `mp3 `, `encv`, ...). Recoverable: the rest of the
    /// file is fine; parse with `skip_unsupported_tracks` to read it.
    UnsupportedCodec {
        /// The track.
        track_id: u32,
        /// The sample entry type.
        fourcc: FourCc,
    },
    /// An `mp4a` track whose `esds` object type is not AAC (e.g. `0x6b`,
    /// MP3). Recoverable, like [`ReadError::UnsupportedCodec`].
    UnsupportedObjectType {
        /// The track.
        track_id: u32,
        /// The `objectTypeIndication` of the DecoderConfigDescriptor.
        object_type: u8,
    },
    /// A track that is neither video nor audio (handler `text`, `tmcd`,
    /// `meta`, ...). Recoverable, like [`ReadError::UnsupportedCodec`].
    UnsupportedTrack {
        /// The track.
        track_id: u32,
        /// Its `hdlr` handler type.
        handler: FourCc,
    },
    /// A field holds a value that makes no sense (a zero timescale, track ID
    /// 0, a zero picture size, ...). Not recoverable.
    InvalidField {
        /// The box.
        fourcc: FourCc,
        /// The field.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// A codec configuration record (`avcC`, AudioSpecificConfig) does not
    /// parse. Not recoverable.
    CodecConfig {
        /// The track.
        track_id: u32,
        /// The box holding the record.
        fourcc: FourCc,
        /// What is wrong with it.
        error: CodecConfigError,
    },
    /// A track's sample tables disagree with each other (e.g. `stts` covers
    /// fewer samples than `stsz`). Not recoverable.
    SampleTable {
        /// The track.
        track_id: u32,
        /// The table found inconsistent.
        fourcc: FourCc,
        /// How.
        reason: &'static str,
    },
    /// A sample's bytes are not inside the payload of an `mdat` box of the
    /// input. Not recoverable (for a media segment parsed on its own, an
    /// explicit `base_data_offset` must be relative to the segment's start).
    DataOutOfBounds {
        /// The track.
        track_id: u32,
        /// The sample's index in its table or track run.
        sample: u64,
        /// Where its bytes would start.
        offset: u64,
        /// Its size in bytes.
        size: u64,
    },
    /// A value exceeds a limit: more samples than the input has bytes, a
    /// fragment larger than [`FragmentRules::max_bytes`](super::FragmentRules::max_bytes),
    /// a time that overflows 63 bits. Recoverable only for the fragment size
    /// limit (`what == "fragment bytes"`), which the caller chose.
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// Its value.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// A `traf` names a track the movie does not have. Recoverable for a
    /// stream server: the producer may have changed its init segment
    /// without re-sending it.
    UnknownTrack {
        /// The track ID.
        track_id: u32,
    },
    /// Two tracks have the same ID. Not recoverable.
    DuplicateTrack {
        /// The track ID.
        track_id: u32,
    },
    /// A fragment starts before the end of the previous fragment of the same
    /// track (its first decode time is less than the previous last decode
    /// time plus that sample's duration). Recoverable: the fragment may be
    /// fine on its own and only arrive out of order or twice (for uploads);
    /// within one file it means the file's fragments are out of order.
    DecodeTimeBackwards {
        /// The track.
        track_id: u32,
        /// The earliest acceptable decode time: the previous fragment's end.
        expected_at_least: i64,
        /// The decode time found.
        found: i64,
    },
    /// A movie fragment sequence number (`mfhd`) is not greater than the
    /// previous one. Recoverable like [`ReadError::DecodeTimeBackwards`].
    SequenceNotIncreasing {
        /// The previous sequence number.
        previous: u32,
        /// The sequence number found.
        found: u32,
    },
    /// A video track's run in an uploaded fragment does not start with a sync
    /// sample, so a player cannot start there. Not recoverable (the fragment
    /// must be cut at a keyframe).
    NotSyncSample {
        /// The track.
        track_id: u32,
        /// Decode time of the offending first sample.
        decode_time: i64,
    },
    /// An uploaded fragment holds no samples. Not recoverable.
    EmptyFragment,
}

impl ReadError {
    /// Whether the input is well formed and only an option, a limit or the
    /// stream state rejected it; see the type's documentation.
    pub fn is_recoverable(&self) -> bool {
        match self {
            ReadError::UnsupportedCodec { .. }
            | ReadError::UnsupportedObjectType { .. }
            | ReadError::UnsupportedTrack { .. }
            | ReadError::UnknownTrack { .. }
            | ReadError::DecodeTimeBackwards { .. }
            | ReadError::SequenceNotIncreasing { .. } => true,
            ReadError::TooLarge { what, .. } => *what == FRAGMENT_BYTES,
            _ => false,
        }
    }

    /// Whether this error is about one track the reader cannot decode, so
    /// that `skip_unsupported_tracks` skips the track instead.
    pub(super) fn is_unsupported_track(&self) -> bool {
        matches!(
            self,
            ReadError::UnsupportedCodec { .. }
                | ReadError::UnsupportedObjectType { .. }
                | ReadError::UnsupportedTrack { .. }
        )
    }
}

/// The `what` of [`ReadError::TooLarge`] for the fragment size limit.
pub(super) const FRAGMENT_BYTES: &str = "fragment bytes";

fn parent_name(parent: &Option<FourCc>) -> String {
    match parent {
        Some(p) => format!("'{p}'"),
        None => "the top level".into(),
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Truncated { fourcc, offset, needed, available } => write!(
                f,
                "'{fourcc}' box at byte {offset} is truncated: it needs {needed} bytes, {available} are left"
            ),
            ReadError::BadBoxSize { fourcc, offset, size } => {
                write!(f, "'{fourcc}' box at byte {offset} declares an impossible size {size}")
            }
            ReadError::ShortBox { fourcc, field } => write!(f, "'{fourcc}' box is too short for its {field}"),
            ReadError::Malformed { fourcc, reason } => write!(f, "malformed '{fourcc}' box: {reason}"),
            ReadError::MissingBox { fourcc, parent } => {
                write!(f, "missing '{fourcc}' box in {}", parent_name(parent))
            }
            ReadError::DuplicateBox { fourcc, parent } => {
                write!(f, "more than one '{fourcc}' box in {}", parent_name(parent))
            }
            ReadError::UnexpectedBox { fourcc, reason } => write!(f, "unexpected '{fourcc}' box: {reason}"),
            ReadError::UnsupportedVersion { fourcc, version } => {
                write!(f, "'{fourcc}' box version {version} is not supported")
            }
            ReadError::Unsupported { fourcc, feature } => write!(f, "'{fourcc}': {feature} is not supported"),
            ReadError::UnsupportedCodec { track_id, fourcc } => {
                write!(f, "track {track_id}: codec '{fourcc}' is not supported")
            }
            ReadError::UnsupportedObjectType { track_id, object_type } => {
                write!(f, "track {track_id}: esds object type 0x{object_type:02x} is not AAC")
            }
            ReadError::UnsupportedTrack { track_id, handler } => {
                write!(f, "track {track_id}: handler '{handler}' is neither video nor audio")
            }
            ReadError::InvalidField { fourcc, field, value } => write!(f, "'{fourcc}' {field} is invalid: {value}"),
            ReadError::CodecConfig { track_id, fourcc, error } => write!(f, "track {track_id}: bad '{fourcc}': {error}"),
            ReadError::SampleTable { track_id, fourcc, reason } => {
                write!(f, "track {track_id}: sample table '{fourcc}' is inconsistent: {reason}")
            }
            ReadError::DataOutOfBounds { track_id, sample, offset, size } => write!(
                f,
                "track {track_id}: sample {sample} ({size} bytes at byte {offset}) is outside every mdat"
            ),
            ReadError::TooLarge { what, value, limit } => write!(f, "{what} {value} exceeds the limit {limit}"),
            ReadError::UnknownTrack { track_id } => write!(f, "track {track_id} is not in the movie"),
            ReadError::DuplicateTrack { track_id } => write!(f, "track ID {track_id} is used twice"),
            ReadError::DecodeTimeBackwards { track_id, expected_at_least, found } => write!(
                f,
                "track {track_id}: decode time goes back to {found}, before the previous fragment's end {expected_at_least}"
            ),
            ReadError::SequenceNotIncreasing { previous, found } => {
                write!(f, "fragment sequence number {found} does not follow {previous}")
            }
            ReadError::NotSyncSample { track_id, decode_time } => {
                write!(f, "track {track_id}: fragment starts at decode time {decode_time} with a non-sync sample")
            }
            ReadError::EmptyFragment => write!(f, "the fragment holds no samples"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::CodecConfig { error, .. } => Some(error),
            _ => None,
        }
    }
}

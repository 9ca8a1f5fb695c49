//! MP4 reader: parses and validates fMP4 init segments, fMP4 media segments
//! and progressive MP4 files into tracks and samples, and checks uploaded
//! fragments for the stream server. Hostile input is normal here: every
//! size, offset and count is checked against the input before use, nothing
//! is allocated in proportion to a count the input merely claims, and no
//! input makes it panic.
//!
//! # Entry points
//!
//! | input | call | gives |
//! | --- | --- | --- |
//! | an init segment (`ftyp` + `moov` with `mvex`) | [`Movie::from_init_segment`] | [`Movie`]: the tracks, their [`TrackConfig`](crate::mux::TrackConfig) and `trex` defaults |
//! | a media segment (`styp`? `sidx`* `prft`* `emsg`* then `moof`+`mdat` pairs) | [`MediaSegment::parse`] | the [`MovieFragment`]s and every track's samples |
//! | any MP4 file: progressive (`moov`/`stbl`), fragmented, or both | [`Mp4File::parse`] | the [`Movie`] and [`Mp4File::samples`] per track |
//! | an upload to the stream server | [`validate_fragment`] or [`FragmentValidator`] | a [`FragmentSummary`] or the reason to reject it |
//!
//! Samples are [`SampleRef`]s that borrow their bytes from the input: reading
//! a file never copies its media data. [`SampleRef::to_sample`] makes an owned
//! [`Sample`] when one is needed.
//!
//! # What is validated
//!
//! Parsing validates everything before it returns, so iterating samples
//! afterwards cannot fail:
//!
//! - **Boxes.** Every box lies inside its parent and the input; sizes smaller
//!   than the header are rejected; a size of 0 ("to the end") is accepted at
//!   the top level only. Boxes that must be unique (`mvhd`, `tkhd`, `stsz`,
//!   `tfhd`, ...) must not repeat, and mandatory boxes must be present.
//! - **Counts.** A table's entry count must fit in its box before anything is
//!   read. The number of samples, over all tracks, may not exceed the input's
//!   length in bytes: a 100-byte file that claims 4 billion samples is
//!   rejected up front, and validation time is linear in the input size.
//! - **Sample tables** (`stts`, `ctts`, `stss`, `stsc`, `stsz`/`stz2`,
//!   `stco`/`co64`) must agree on the number of samples; `stsc` chunk numbers
//!   start at 1, increase and stay within `stco`; `stss` sample numbers
//!   increase and stay within the sample count.
//! - **Data.** Every sample's bytes lie inside the payload of an `mdat` box
//!   of the input ([`ReadError::DataOutOfBounds`] otherwise).
//! - **Fragments.** Every `traf` names a known track; `trun` tables fit their
//!   box; data offsets resolve (explicit base data offset, default-base-is-moof
//!   or the implicit rules of ISO/IEC 14496-12 8.8.7) into an `mdat`; per
//!   track, a fragment's first decode time is not before the previous
//!   fragment's end (the last decode time plus its duration).
//! - **Codecs.** `avcC` parses as an AVCDecoderConfigurationRecord, `esds`
//!   holds an AAC AudioSpecificConfig, `dOps` and `dfLa` are well formed.
//!   Other codecs fail with [`ReadError::UnsupportedCodec`].
//!
//! Edit lists are read into [`Track::edits`], and [`Track::presentation_offset`]
//! gives the shift they define for the common case (an optional empty edit,
//! then one media edit); samples themselves keep their media timeline times.
//!
//! Errors say which box is wrong and how; [`ReadError::is_recoverable`] tells
//! a well-formed input that an option or the stream state rejected (an
//! unsupported codec, a limit, a fragment out of order) from corrupt bytes.

// Outside tests, no indexing that could panic and no unchecked arithmetic.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::arithmetic_side_effects))]

mod boxes;
mod codec;
mod error;
mod file;
mod fragment;
mod movie;
mod table;
#[cfg(test)]
mod tests;
mod validate;

pub use error::{FourCc, ReadError};
pub use file::{Mp4File, Samples};
pub use fragment::{FragmentSamples, MediaSegment, MovieFragment, TrackFragment};
pub use movie::{Edit, Movie, SkippedTrack, Track, TrackDefaults};
pub use validate::{validate_fragment, FragmentRules, FragmentSummary, FragmentValidator, TrackSummary};

use crate::mux::Sample;

/// How strictly to read. The default is strict: any track the reader cannot
/// decode fails the whole parse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Skip tracks whose handler is not video or audio (`text`, `tmcd`,
    /// `meta`, ...) or whose codec is unsupported (HEVC, MP3, encrypted
    /// entries, ...) instead of failing with [`ReadError::UnsupportedTrack`]
    /// or [`ReadError::UnsupportedCodec`]. Skipped tracks are listed in
    /// [`Movie::skipped_tracks`], and their fragments are ignored. Malformed
    /// boxes still fail. Default: `false`.
    pub skip_unsupported_tracks: bool,
}

impl ReadOptions {
    /// The default options with [`ReadOptions::skip_unsupported_tracks`] set.
    pub fn skipping_unsupported_tracks() -> Self {
        ReadOptions { skip_unsupported_tracks: true }
    }
}

/// One sample as stored in the input: times in its track's timescale, and
/// its bytes borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleRef<'a> {
    /// Decode time in ticks on the media timeline (before edit lists; see
    /// [`Track::presentation_offset`]). Never decreases within a track.
    pub decode_time: i64,
    /// Presentation time minus decode time, in ticks. `ctts` and version-0
    /// `trun` offsets are read as signed 32-bit values, as ffmpeg and most
    /// players do.
    pub composition_offset: i32,
    /// Duration in ticks.
    pub duration: u32,
    /// A sync sample: listed in `stss` (every sample when there is no
    /// `stss`), or, in fragments, a sample whose flags have neither
    /// `sample_is_non_sync_sample` nor `sample_depends_on == 1`.
    pub keyframe: bool,
    /// Position of the first byte of the sample in the input.
    pub offset: u64,
    /// The sample bytes (length-prefixed NAL units for H.264, raw frames
    /// for audio).
    pub data: &'a [u8],
}

impl SampleRef<'_> {
    /// Decode time plus composition offset, in ticks.
    pub fn presentation_time(&self) -> i64 {
        self.decode_time.saturating_add(i64::from(self.composition_offset))
    }

    /// An owned copy.
    pub fn to_sample(&self) -> Sample {
        Sample {
            decode_time: self.decode_time,
            composition_offset: self.composition_offset,
            duration: self.duration,
            keyframe: self.keyframe,
            data: self.data.to_vec(),
        }
    }
}

/// `decode_time + duration`, or [`ReadError::TooLarge`] when the sum does
/// not fit a decode time.
fn advance_decode_time(decode_time: i64, duration: u32) -> Result<i64, ReadError> {
    decode_time.checked_add(duration.into()).ok_or(ReadError::TooLarge {
        what: "decode time",
        value: u64::MAX,
        limit: i64::MAX as u64,
    })
}

//! Checks on uploaded fragments, for the stream server: a media segment
//! must belong to the stream's init segment, continue its timeline, start
//! video at a sync sample and respect a size limit.

use super::error::{ReadError, FRAGMENT_BYTES};
use super::fragment::{parse_segment, TrackEnds};
use super::movie::Movie;
use crate::codec::TrackKind;

/// What an uploaded fragment must satisfy beyond being well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FragmentRules {
    /// Largest accepted upload in bytes. Default 50 000 000 (the Kinesis
    /// Video Streams fragment limit).
    pub max_bytes: usize,
    /// Every `traf` must have a `tfdt`, so that the fragment places itself
    /// on the timeline. Default `true`.
    pub require_tfdt: bool,
    /// The first sample of every video track in the upload must be a sync
    /// sample. Default `true`.
    pub video_starts_with_keyframe: bool,
    /// `mfhd` sequence numbers must be greater than the previous upload's.
    /// (Within one upload they must increase regardless.) Default `true`.
    pub increasing_sequence_numbers: bool,
}

impl Default for FragmentRules {
    fn default() -> Self {
        FragmentRules {
            max_bytes: 50_000_000,
            require_tfdt: true,
            video_starts_with_keyframe: true,
            increasing_sequence_numbers: true,
        }
    }
}

impl FragmentRules {
    /// The defaults with another size limit.
    pub fn with_max_bytes(max_bytes: usize) -> Self {
        FragmentRules { max_bytes, ..Self::default() }
    }
}

/// What an accepted upload holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FragmentSummary {
    /// Size of the upload in bytes.
    pub bytes: usize,
    /// Number of movie fragments (`moof`).
    pub fragments: usize,
    /// `mfhd` sequence number of the first movie fragment.
    pub first_sequence_number: u32,
    /// `mfhd` sequence number of the last movie fragment.
    pub last_sequence_number: u32,
    /// Per track, in order of first appearance.
    pub tracks: Vec<TrackSummary>,
}

impl FragmentSummary {
    /// The summary of track `track_id`.
    pub fn track(&self, track_id: u32) -> Option<&TrackSummary> {
        self.tracks.iter().find(|t| t.track_id == track_id)
    }
}

/// One track's part of an upload. Times are in the track's timescale.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackSummary {
    /// The track.
    pub track_id: u32,
    /// Video or audio.
    pub kind: TrackKind,
    /// Decode time of the first sample.
    pub start: i64,
    /// Decode time of the last sample plus its duration: where the next
    /// upload must start (at the earliest).
    pub end: i64,
    /// Number of samples.
    pub samples: u64,
    /// Number of sync samples.
    pub keyframes: u64,
    /// Whether the first sample is a sync sample.
    pub starts_with_keyframe: bool,
    /// Total size of the samples in bytes.
    pub data_bytes: u64,
}

/// Checks one uploaded media segment (one or more `moof` + `mdat`, with
/// optional `styp`/`sidx`/`prft`/`emsg`) of the stream whose init segment
/// gave `movie`, and summarises it.
///
/// Besides everything [`MediaSegment::parse`](super::MediaSegment::parse)
/// checks, the upload must: be at most `rules.max_bytes` long; name only
/// tracks of `movie`; hold at least one sample; give every `traf` a `tfdt`
/// (`rules.require_tfdt`); start every video track with a sync sample
/// (`rules.video_starts_with_keyframe`). With `previous` (the summary of
/// the stream's previous upload), each track present in both must start at
/// or after its previous end ([`ReadError::DecodeTimeBackwards`]), and the
/// first sequence number must exceed the previous last one
/// (`rules.increasing_sequence_numbers`). Gaps are allowed: compare `start`
/// with the previous `end` to detect one.
///
/// For a stream whose tracks arrive in separate uploads, keep one previous
/// summary per track, or use a [`FragmentValidator`].
pub fn validate_fragment(
    movie: &Movie,
    data: &[u8],
    rules: &FragmentRules,
    previous: Option<&FragmentSummary>,
) -> Result<FragmentSummary, ReadError> {
    let mut ends = TrackEnds::new(movie);
    let mut last_sequence = None;
    if let Some(p) = previous {
        for t in &p.tracks {
            if let Some(index) = movie.track_index(t.track_id) {
                ends.set(index, t.end);
            }
        }
        if rules.increasing_sequence_numbers {
            last_sequence = Some(p.last_sequence_number);
        }
    }
    check(movie, data, rules, &mut ends, &mut last_sequence)
}

/// Validates the uploads of one stream in order, remembering each track's
/// end and the last sequence number between calls. A rejected upload does
/// not change that state, so the producer can retry or send the next one.
#[derive(Debug, Clone)]
pub struct FragmentValidator {
    movie: Movie,
    rules: FragmentRules,
    ends: TrackEnds,
    last_sequence: Option<u32>,
}

impl FragmentValidator {
    /// A validator for the stream whose init segment gave `movie`.
    pub fn new(movie: Movie, rules: FragmentRules) -> Self {
        let ends = TrackEnds::new(&movie);
        FragmentValidator { movie, rules, ends, last_sequence: None }
    }

    /// Checks the next upload as [`validate_fragment`] does, against every
    /// track's end so far; on success remembers the new ends.
    pub fn validate(&mut self, data: &[u8]) -> Result<FragmentSummary, ReadError> {
        let mut ends = self.ends.clone();
        let mut last_sequence = if self.rules.increasing_sequence_numbers { self.last_sequence } else { None };
        let summary = check(&self.movie, data, &self.rules, &mut ends, &mut last_sequence)?;
        self.ends = ends;
        self.last_sequence = last_sequence;
        Ok(summary)
    }

    /// Forgets the stream position, e.g. after a producer restart: the next
    /// upload may start anywhere.
    pub fn reset(&mut self) {
        self.ends = TrackEnds::new(&self.movie);
        self.last_sequence = None;
    }

    /// The movie of the stream.
    pub fn movie(&self) -> &Movie {
        &self.movie
    }

    /// The rules applied.
    pub fn rules(&self) -> &FragmentRules {
        &self.rules
    }
}

fn check(
    movie: &Movie,
    data: &[u8],
    rules: &FragmentRules,
    ends: &mut TrackEnds,
    last_sequence: &mut Option<u32>,
) -> Result<FragmentSummary, ReadError> {
    if data.len() > rules.max_bytes {
        return Err(ReadError::TooLarge {
            what: FRAGMENT_BYTES,
            value: data.len() as u64,
            limit: rules.max_bytes as u64,
        });
    }
    let segment = parse_segment(movie, data, ends, last_sequence)?;
    let mut tracks: Vec<TrackSummary> = Vec::new();
    // Index in `tracks` of each movie track seen so far.
    let mut slots: Vec<Option<usize>> = vec![None; movie.tracks().len()];
    for tf in segment.fragments.iter().flat_map(|f| &f.track_fragments) {
        if rules.require_tfdt && tf.base_media_decode_time.is_none() {
            return Err(ReadError::MissingBox {
                fourcc: super::FourCc(*b"tfdt"),
                parent: Some(super::FourCc(*b"traf")),
            });
        }
        let unknown = ReadError::UnknownTrack { track_id: tf.track_id };
        let index = movie.track_index(tf.track_id).ok_or(unknown.clone())?;
        let kind = movie.tracks().get(index).map(|t| t.kind).ok_or(unknown.clone())?;
        let slot = slots.get_mut(index).ok_or(unknown)?;
        match slot.and_then(|i| tracks.get_mut(i)) {
            Some(t) => {
                if t.samples == 0 {
                    t.start = tf.start;
                    t.starts_with_keyframe = tf.starts_with_keyframe;
                }
                t.end = tf.end;
                t.samples = t.samples.saturating_add(tf.sample_count);
                t.keyframes = t.keyframes.saturating_add(tf.keyframes);
                t.data_bytes = t.data_bytes.saturating_add(tf.data_bytes);
            }
            None => {
                *slot = Some(tracks.len());
                tracks.push(TrackSummary {
                    track_id: tf.track_id,
                    kind,
                    start: tf.start,
                    end: tf.end,
                    samples: tf.sample_count,
                    keyframes: tf.keyframes,
                    starts_with_keyframe: tf.starts_with_keyframe,
                    data_bytes: tf.data_bytes,
                })
            }
        }
    }
    if tracks.iter().all(|t| t.samples == 0) {
        return Err(ReadError::EmptyFragment);
    }
    if rules.video_starts_with_keyframe {
        if let Some(t) = tracks.iter().find(|t| t.kind == TrackKind::Video && t.samples > 0 && !t.starts_with_keyframe)
        {
            return Err(ReadError::NotSyncSample { track_id: t.track_id, decode_time: t.start });
        }
    }
    let first = segment.fragments.first().map_or(0, |f| f.sequence_number);
    let last = segment.fragments.last().map_or(0, |f| f.sequence_number);
    Ok(FragmentSummary {
        bytes: data.len(),
        fragments: segment.fragments.len(),
        first_sequence_number: first,
        last_sequence_number: last,
        tracks,
    })
}

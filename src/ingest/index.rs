//! The fragment index of a stream: one [`FragmentRecord`] per stored
//! fragment, the rules that decide where an upload goes
//! ([`TrackIndex::slot`], [`TrackIndex::admit`]), and [`IndexEntry`], the
//! line format of the server's append-only index log.

use serde::{Deserialize, Serialize};

use super::messages::{FragmentAck, IngestError, IngestErrorCode};
use super::names::{StreamName, TrackName};
use super::routes::MAX_SEQUENCE;
use crate::mux::reader::{validate_fragment, FragmentRules, Movie};
use crate::time::{Timescale, Timestamp};

/// One stored fragment. Media times are ticks of the track's `timescale`
/// (exact, for playlists); the derived microsecond and millisecond values
/// are what acknowledgements carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FragmentRecord {
    /// The track.
    pub track: TrackName,
    /// The fragment number chosen by the publisher (the URL's `{seq}`).
    pub sequence: u64,
    /// Decode time of the first sample (the `tfdt`), in ticks.
    pub start: i64,
    /// Duration in ticks (last decode time plus its duration, minus
    /// `start`); greater than zero.
    pub duration: u64,
    /// Ticks per second of `start` and `duration` (the track's).
    pub timescale: u32,
    /// `start` in microseconds.
    pub producer_timestamp: i64,
    /// When the server accepted the fragment, in ms since the Unix epoch.
    pub server_timestamp: i64,
    /// Size in bytes.
    pub bytes: u64,
    /// The first sample is a sync sample.
    pub keyframe: bool,
    /// Number of samples.
    pub samples: u64,
    /// A fragment number or a stretch of time is missing before this one.
    pub discontinuity: bool,
}

impl FragmentRecord {
    /// `start + duration`, in ticks.
    pub fn end(&self) -> i128 {
        i128::from(self.start) + i128::from(self.duration)
    }

    /// The duration in microseconds (rounded).
    pub fn duration_us(&self) -> u64 {
        rescale_u64(self.duration, self.timescale, 1_000_000)
    }

    /// The acknowledgement for this record.
    pub fn ack(&self, stream: &StreamName, persisted: bool, duplicate: bool) -> FragmentAck {
        FragmentAck {
            stream: stream.clone(),
            track: self.track.clone(),
            sequence: self.sequence,
            producer_timestamp: self.producer_timestamp,
            server_timestamp: self.server_timestamp,
            duration: self.duration_us(),
            bytes: self.bytes,
            keyframe: self.keyframe,
            persisted,
            duplicate,
            discontinuity: self.discontinuity,
        }
    }
}

/// `ticks` of `from` ticks per second in units of `to` per second,
/// rounded to nearest, saturating.
pub(crate) fn rescale_u64(ticks: u64, from: u32, to: u32) -> u64 {
    if from == 0 {
        return 0;
    }
    let num = u128::from(ticks) * u128::from(to) + u128::from(from / 2);
    (num / u128::from(from)).min(u128::from(u64::MAX)) as u64
}

/// One line of the index log: a stored fragment, or the end of the
/// stream. Serialised with a `"type"` member: `{"type":"fragment",...}`,
/// `{"type":"end","serverTimestamp":...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum IndexEntry {
    /// A fragment was stored.
    Fragment(FragmentRecord),
    /// The publisher ended the stream. A later fragment reopens it.
    End {
        /// When, in ms since the Unix epoch.
        #[serde(rename = "serverTimestamp")]
        server_timestamp: i64,
    },
}

/// What an uploaded fragment holds, read and checked by the core reader
/// against its track's init segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FragmentFacts {
    /// Decode time of the first sample, in ticks of `timescale`.
    pub start: i64,
    /// Duration in ticks (greater than zero).
    pub duration: u64,
    /// The track's timescale.
    pub timescale: Timescale,
    /// Number of samples.
    pub samples: u64,
    /// The first sample is a sync sample.
    pub keyframe: bool,
    /// Size of the upload in bytes.
    pub bytes: u64,
}

impl FragmentFacts {
    /// Validates `data` as one upload of the single track of `movie` (from
    /// the track's init segment) with [`validate_fragment`] under `rules`:
    /// well formed, only that track, a `tfdt` in every `traf`, video
    /// starting with a sync sample, at most `rules.max_bytes`, samples that
    /// last some time. The order against earlier fragments is checked by
    /// [`TrackIndex::admit`].
    pub fn inspect(movie: &Movie, data: &[u8], rules: &FragmentRules) -> Result<FragmentFacts, IngestError> {
        let [track] = movie.tracks() else {
            return Err(IngestError::new(
                IngestErrorCode::NotSingleTrack,
                format!("the init segment has {} tracks; a track path takes one", movie.tracks().len()),
            ));
        };
        let summary = validate_fragment(movie, data, rules, None).map_err(|e| IngestError::from_fragment_error(&e))?;
        let Some(t) = summary.track(track.config.id) else {
            return Err(IngestError::new(IngestErrorCode::EmptyFragment, "the fragment holds no samples of the track")
                .with_field("body"));
        };
        let duration = u64::try_from(i128::from(t.end) - i128::from(t.start)).unwrap_or(0);
        if duration == 0 {
            return Err(IngestError::new(IngestErrorCode::EmptyFragment, "the fragment's samples last no time")
                .with_field("body"));
        }
        Ok(FragmentFacts {
            start: t.start,
            duration,
            timescale: track.config.timescale,
            samples: t.samples,
            keyframe: t.starts_with_keyframe,
            bytes: data.len() as u64,
        })
    }

    /// Facts given directly (tests, or a publisher that knows them).
    pub fn new(start: i64, duration: u64, timescale: Timescale, samples: u64, keyframe: bool, bytes: u64) -> Self {
        FragmentFacts { start, duration, timescale, samples, keyframe, bytes }
    }
}

/// Where an upload with a given fragment number goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot<'a> {
    /// That number is stored already: the upload is a duplicate if its
    /// bytes are the stored ones, else a conflict.
    Stored(&'a FragmentRecord),
    /// A new fragment after the last stored one; `gap` when numbers are
    /// missing in between.
    Next {
        /// Fragment numbers are missing before this one.
        gap: bool,
    },
}

/// The stored fragments of one track, in fragment-number order (which is
/// also time order), with running totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackIndex {
    track: TrackName,
    timescale: Timescale,
    records: Vec<FragmentRecord>,
    bytes: u64,
    ticks: u128,
    discontinuities: u64,
}

impl TrackIndex {
    /// An empty index for `track`, timed in `timescale`.
    pub fn new(track: TrackName, timescale: Timescale) -> Self {
        TrackIndex { track, timescale, records: Vec::new(), bytes: 0, ticks: 0, discontinuities: 0 }
    }

    /// The track.
    pub fn track(&self) -> &TrackName {
        &self.track
    }

    /// The track's timescale.
    pub fn timescale(&self) -> Timescale {
        self.timescale
    }

    /// The records, oldest first.
    pub fn records(&self) -> &[FragmentRecord] {
        &self.records
    }

    /// The last record.
    pub fn last(&self) -> Option<&FragmentRecord> {
        self.records.last()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Sum of the fragment sizes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Sum of the fragment durations, in ticks.
    pub fn duration_ticks(&self) -> u128 {
        self.ticks
    }

    /// Number of records that start a discontinuity.
    pub fn discontinuities(&self) -> u64 {
        self.discontinuities
    }

    /// Fragment numbers missing between the first and last record.
    pub fn missing(&self) -> u64 {
        match (self.records.first(), self.records.last()) {
            (Some(a), Some(b)) => (b.sequence - a.sequence + 1).saturating_sub(self.records.len() as u64),
            _ => 0,
        }
    }

    /// The record of fragment `sequence`.
    pub fn get(&self, sequence: u64) -> Option<&FragmentRecord> {
        self.records.binary_search_by_key(&sequence, |r| r.sequence).ok().and_then(|i| self.records.get(i))
    }

    /// The record of the fragment starting at `start` ticks.
    pub fn find_by_start(&self, start: i64) -> Option<&FragmentRecord> {
        self.records.binary_search_by_key(&start, |r| r.start).ok().and_then(|i| self.records.get(i))
    }

    /// Where fragment `sequence` goes. Numbers below the last stored one
    /// that are not stored are refused with [`IngestErrorCode::OutOfOrder`]: the
    /// track has moved past them.
    pub fn slot(&self, sequence: u64) -> Result<Slot<'_>, IngestError> {
        if sequence > MAX_SEQUENCE {
            return Err(IngestError::new(
                IngestErrorCode::BadSequence,
                format!("fragment number {sequence} is above {MAX_SEQUENCE}"),
            )
            .with_field("sequence"));
        }
        if let Some(r) = self.get(sequence) {
            return Ok(Slot::Stored(r));
        }
        match self.records.last() {
            None => Ok(Slot::Next { gap: false }),
            Some(last) if sequence > last.sequence => Ok(Slot::Next { gap: sequence != last.sequence + 1 }),
            Some(last) => Err(IngestError::new(
                IngestErrorCode::OutOfOrder,
                format!(
                    "fragment {sequence} of track {} arrived after fragment {}; it can no longer be placed",
                    self.track, last.sequence
                ),
            )
            .with_field("sequence")),
        }
    }

    /// Checks that a new fragment `sequence` with `facts` may be stored
    /// next (a new number after the last, starting at or after the last
    /// fragment's end, in the track's timescale) and returns its record,
    /// stamped `server_timestamp` (ms since the Unix epoch). Nothing
    /// changes until [`TrackIndex::push`].
    pub fn admit(
        &self,
        sequence: u64,
        facts: &FragmentFacts,
        server_timestamp: i64,
    ) -> Result<FragmentRecord, IngestError> {
        let gap = match self.slot(sequence)? {
            Slot::Next { gap } => gap,
            Slot::Stored(_) => {
                return Err(IngestError::new(
                    IngestErrorCode::Conflict,
                    format!("fragment {sequence} is already stored"),
                )
                .with_field("sequence"))
            }
        };
        if facts.timescale != self.timescale {
            return Err(IngestError::new(
                IngestErrorCode::UnknownTrack,
                format!("the fragment is timed in {} but track {} in {}", facts.timescale, self.track, self.timescale),
            ));
        }
        if facts.duration == 0 {
            return Err(IngestError::new(IngestErrorCode::EmptyFragment, "the fragment's samples last no time")
                .with_field("body"));
        }
        let mut time_gap = false;
        if let Some(last) = self.records.last() {
            let start = i128::from(facts.start);
            if start < last.end() {
                return Err(IngestError::new(
                    IngestErrorCode::NonMonotonic,
                    format!(
                        "fragment {sequence} of track {} starts at {} ticks ({} µs), before the end of fragment {} at {} ticks; decode times must not go back",
                        self.track,
                        facts.start,
                        Timestamp::new(facts.start, self.timescale).rescale(Timescale::MICROS).ticks,
                        last.sequence,
                        last.end()
                    ),
                )
                .with_field("body"));
            }
            time_gap = start > last.end();
        }
        Ok(FragmentRecord {
            track: self.track.clone(),
            sequence,
            start: facts.start,
            duration: facts.duration,
            timescale: self.timescale.get(),
            producer_timestamp: Timestamp::new(facts.start, self.timescale).rescale(Timescale::MICROS).ticks,
            server_timestamp,
            bytes: facts.bytes,
            keyframe: facts.keyframe,
            samples: facts.samples,
            discontinuity: gap || time_gap,
        })
    }

    /// Appends a record: one returned by [`TrackIndex::admit`], or one read
    /// back from the index log (checked again: the same track and
    /// timescale, a higher number, no overlap in time, a duration).
    pub fn push(&mut self, record: FragmentRecord) -> Result<(), IngestError> {
        if record.track != self.track || record.timescale != self.timescale.get() {
            return Err(IngestError::new(
                IngestErrorCode::Internal,
                format!("record of track {} ({}/s) in the index of {}", record.track, record.timescale, self.track),
            ));
        }
        if record.duration == 0 {
            return Err(IngestError::new(
                IngestErrorCode::EmptyFragment,
                format!("fragment {} lasts no time", record.sequence),
            ));
        }
        if let Some(last) = self.records.last() {
            if record.sequence <= last.sequence {
                return Err(IngestError::new(
                    IngestErrorCode::OutOfOrder,
                    format!("fragment {} after fragment {}", record.sequence, last.sequence),
                ));
            }
            if i128::from(record.start) < last.end() {
                return Err(IngestError::new(
                    IngestErrorCode::NonMonotonic,
                    format!("fragment {} starts before fragment {} ends", record.sequence, last.sequence),
                ));
            }
        }
        self.bytes = self.bytes.saturating_add(record.bytes);
        self.ticks += u128::from(record.duration);
        if record.discontinuity {
            self.discontinuities += 1;
        }
        self.records.push(record);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(start: i64, duration: u64) -> FragmentFacts {
        FragmentFacts::new(start, duration, Timescale::MPEG, 60, true, 1000)
    }

    fn index() -> TrackIndex {
        TrackIndex::new(TrackName::new("video").unwrap(), Timescale::MPEG)
    }

    #[test]
    fn admission_rules() {
        let mut ix = index();
        assert_eq!(ix.slot(1), Ok(Slot::Next { gap: false }));
        let r1 = ix.admit(1, &facts(0, 180_000), 1_000).unwrap();
        assert_eq!(r1.producer_timestamp, 0);
        assert_eq!(r1.duration_us(), 2_000_000);
        assert!(!r1.discontinuity);
        ix.push(r1.clone()).unwrap();
        assert_eq!(ix.slot(1), Ok(Slot::Stored(&r1)));

        // Next in line, contiguous.
        let r2 = ix.admit(2, &facts(180_000, 180_000), 3_000).unwrap();
        assert_eq!(r2.producer_timestamp, 2_000_000);
        assert!(!r2.discontinuity);
        ix.push(r2).unwrap();

        // Going back in time.
        let e = ix.admit(3, &facts(100, 180_000), 5_000).unwrap_err();
        assert_eq!(e.code, IngestErrorCode::NonMonotonic);
        // A gap in numbers (fragments 3 and 4 dropped) and in time.
        let r5 = ix.admit(5, &facts(900_000, 180_000), 11_000).unwrap();
        assert!(r5.discontinuity);
        ix.push(r5).unwrap();
        // The dropped ones cannot come later.
        assert_eq!(ix.slot(3).unwrap_err().code, IngestErrorCode::OutOfOrder);
        assert_eq!(ix.missing(), 2);
        assert_eq!(ix.discontinuities(), 1);
        assert_eq!(ix.len(), 3);
        assert_eq!(ix.duration_ticks(), 540_000);
        assert_eq!(ix.find_by_start(900_000).map(|r| r.sequence), Some(5));
        assert!(ix.find_by_start(900_001).is_none());
        // A time gap without a number gap is a discontinuity too.
        let r6 = ix.admit(6, &facts(1_100_000, 180_000), 13_000).unwrap();
        assert!(r6.discontinuity);
        // Already stored, or past the JavaScript-safe range.
        assert_eq!(ix.admit(5, &facts(2_000_000, 1), 0).unwrap_err().code, IngestErrorCode::Conflict);
        assert_eq!(ix.slot(MAX_SEQUENCE + 1).unwrap_err().code, IngestErrorCode::BadSequence);
        // Zero duration, other timescale.
        assert_eq!(ix.admit(9, &facts(9_000_000, 0), 0).unwrap_err().code, IngestErrorCode::EmptyFragment);
        let other = FragmentFacts::new(9_000_000, 1, Timescale::MILLIS, 1, true, 1);
        assert_eq!(ix.admit(9, &other, 0).unwrap_err().code, IngestErrorCode::UnknownTrack);
    }

    #[test]
    fn push_rechecks_replayed_records() {
        let mut ix = index();
        let r1 = ix.admit(1, &facts(0, 180_000), 1).unwrap();
        ix.push(r1.clone()).unwrap();
        assert_eq!(ix.push(r1.clone()).unwrap_err().code, IngestErrorCode::OutOfOrder);
        let mut overlapping = r1.clone();
        overlapping.sequence = 2;
        assert_eq!(ix.push(overlapping).unwrap_err().code, IngestErrorCode::NonMonotonic);
        let mut other_track = r1;
        other_track.track = TrackName::new("audio").unwrap();
        assert_eq!(ix.push(other_track).unwrap_err().code, IngestErrorCode::Internal);
        assert_eq!(ix.len(), 1);
    }

    #[test]
    fn index_lines_round_trip() {
        let record = index().admit(3, &facts(360_000, 180_000), 1_700_000_000_000).unwrap();
        let line = serde_json::to_string(&IndexEntry::Fragment(record.clone())).unwrap();
        assert!(line.starts_with("{\"type\":\"fragment\",\"track\":\"video\",\"sequence\":3,"), "{line}");
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<IndexEntry>(&line).unwrap(), IndexEntry::Fragment(record));
        let end = IndexEntry::End { server_timestamp: 42 };
        let line = serde_json::to_string(&end).unwrap();
        assert_eq!(line, r#"{"type":"end","serverTimestamp":42}"#);
        assert_eq!(serde_json::from_str::<IndexEntry>(&line).unwrap(), end);
        // A torn line does not parse.
        assert!(serde_json::from_str::<IndexEntry>(&line[..line.len() - 3]).is_err());
    }

    #[test]
    fn ack_from_record() {
        let record = index().admit(3, &facts(360_000, 180_000), 77).unwrap();
        let ack = record.ack(&StreamName::new("s").unwrap(), true, true);
        assert_eq!(
            (ack.sequence, ack.producer_timestamp, ack.duration, ack.server_timestamp),
            (3, 4_000_000, 2_000_000, 77)
        );
        assert!(ack.persisted && ack.duplicate);
    }

    #[test]
    fn rescaling() {
        assert_eq!(rescale_u64(1024, 48_000, 1_000_000), 21_333);
        assert_eq!(rescale_u64(u64::MAX, 1, 1_000_000), u64::MAX);
        assert_eq!(rescale_u64(5, 0, 1), 0);
    }
}

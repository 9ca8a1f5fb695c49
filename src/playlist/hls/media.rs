//! [`MediaPlaylist`]: the segments and parts of one rendition, kept from
//! segmenter events (push, sliding window, discontinuities, wall-clock
//! times).

use std::collections::VecDeque;

use super::super::model::{check_segment, check_successor, check_uri};
use super::super::text::{
    cmp_durations, div_round, duration_ticks, hls_quoted, hls_uri_line, iso8601, pow10, scaled_seconds,
};
use super::super::{InitSegmentRef, PlaylistError, PlaylistPart, Segment, Timeline};
use super::directives::{PreloadHint, RenditionReport};
use super::options::{check_options, MediaPlaylistOptions, PlaylistKind, Window};
use crate::time::{Timescale, Timestamp};

/// A segment as listed, with its resolved wall-clock time.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The segment, with `discontinuity` set when its start left a gap.
    pub(super) seg: Segment,
    /// Its wall-clock time, given or extrapolated.
    pub(super) pdt_ms: Option<i64>,
    /// The given time differs from the extrapolated one.
    pub(super) pdt_jump: bool,
}

/// The segment being built, of which some parts are published.
#[derive(Debug, Clone)]
pub(super) struct OpenSegment {
    pub(super) msn: u64,
    pub(super) parts: Vec<PlaylistPart>,
}

/// A media playlist of one rendition, kept up to date from segment and
/// part events and rendered on demand. See the module docs.
#[derive(Debug, Clone)]
pub struct MediaPlaylist {
    pub(super) timescale: Timescale,
    pub(super) init: Option<InitSegmentRef>,
    pub(super) options: MediaPlaylistOptions,
    pub(super) entries: VecDeque<Entry>,
    /// Sum of the listed segments' durations, in ticks.
    pub(super) listed_ticks: i128,
    pub(super) open: Option<OpenSegment>,
    pub(super) discontinuity_sequence: u64,
    /// Sequence number and end (ticks) of the last segment pushed.
    pub(super) last: Option<(u64, i128)>,
    /// Start (ticks) and wall-clock time of the last segment with a
    /// given time.
    pub(super) pdt_anchor: Option<(i128, i64)>,
    /// Longest rounded EXTINF pushed, in seconds.
    pub(super) max_rounded: u64,
    pub(super) preload_hint: Option<PreloadHint>,
    pub(super) rendition_reports: Vec<RenditionReport>,
    pub(super) finished: bool,
}

impl MediaPlaylist {
    /// An empty playlist of segments timed in `timescale`, with the init
    /// segment written as `EXT-X-MAP` (`None`: no map, e.g. for MPEG-TS).
    /// Checks the options; see [`MediaPlaylistOptions`] for the ranges.
    pub fn new(
        timescale: Timescale,
        init: Option<InitSegmentRef>,
        options: MediaPlaylistOptions,
    ) -> Result<Self, PlaylistError> {
        check_options(&options)?;
        if let Some(init) = &init {
            check_uri(&init.uri, "init.uri")?;
            hls_quoted(&init.uri, "init.uri")?;
            if let Some(r) = init.byte_range {
                r.check("init.byte_range")?;
            }
        }
        Ok(MediaPlaylist {
            timescale,
            init,
            options,
            entries: VecDeque::new(),
            listed_ticks: 0,
            open: None,
            discontinuity_sequence: 0,
            last: None,
            pdt_anchor: None,
            max_rounded: 0,
            preload_hint: None,
            rendition_reports: Vec::new(),
            finished: false,
        })
    }

    /// A playlist holding every segment of `timeline` (its timescale and
    /// init segment included). VOD playlists come out finished.
    pub fn from_timeline(timeline: &Timeline, options: MediaPlaylistOptions) -> Result<Self, PlaylistError> {
        let mut pl = MediaPlaylist::new(timeline.timescale, timeline.init.clone(), options)?;
        for seg in &timeline.segments {
            pl.push(seg.clone())?;
        }
        if options.kind == PlaylistKind::Vod {
            pl.finish()?;
        }
        Ok(pl)
    }

    /// Adds a complete segment. Its sequence number must follow the last
    /// one's and it must not start before the last one ended; starting
    /// later makes it a discontinuity. If it has no parts, the parts
    /// published with [`push_part`](Self::push_part) for it become its
    /// parts. Clears the preload hint.
    ///
    /// Returns the segments that slid out of a live window; their files
    /// must stay available a while longer (RFC 8216 §6.2.2: for the
    /// segment's duration plus the playlist's). On error nothing changes.
    pub fn push(&mut self, segment: Segment) -> Result<Vec<Segment>, PlaylistError> {
        if self.finished {
            return Err(PlaylistError::Finished);
        }
        let mut seg = segment;
        if let Some(open) = &self.open {
            if open.msn != seg.sequence {
                return Err(PlaylistError::NonConsecutiveSequence { expected: open.msn, found: seg.sequence });
            }
            if seg.parts.is_empty() {
                seg.parts = open.parts.clone();
            }
        }
        check_segment(&seg)?;
        hls_uri_line(&seg.uri, "segment.uri")?;
        for (i, part) in seg.parts.iter().enumerate() {
            self.check_part(seg.sequence, i, part)?;
        }
        let gap = check_successor(self.last, &seg)?;
        seg.discontinuity |= gap;
        let rounded = self.rounded_extinf(seg.duration as i128);
        if let Some(target) = self.options.target_duration {
            if rounded > target as u64 {
                return Err(PlaylistError::SegmentExceedsTarget {
                    sequence: seg.sequence,
                    rounded_seconds: rounded,
                    target_seconds: target,
                });
            }
        }
        let start = seg.start as i128;
        let extrapolated = match self.pdt_anchor {
            Some((t0, ms0)) => Some(self.extrapolate(t0, ms0, start)?),
            None => None,
        };
        let (pdt_ms, pdt_jump, anchor) = match seg.program_date_time_ms {
            Some(ms) => (Some(ms), extrapolated != Some(ms), Some((start, ms))),
            None => (extrapolated, false, self.pdt_anchor),
        };
        if let Some(ms) = pdt_ms {
            iso8601(ms, "segment.program_date_time_ms")?;
        }

        // Everything is checked: commit.
        self.last = Some((seg.sequence, seg.end()));
        self.pdt_anchor = anchor;
        self.max_rounded = self.max_rounded.max(rounded);
        self.open = None;
        self.preload_hint = None;
        self.listed_ticks += seg.duration as i128;
        self.entries.push_back(Entry { seg, pdt_ms, pdt_jump });
        Ok(self.slide_window())
    }

    /// Publishes the next part of the open segment `msn` (LL-HLS). The
    /// first part opens segment `msn`, which must be the one after the last
    /// pushed segment. Clears the preload hint. On error nothing changes.
    pub fn push_part(&mut self, msn: u64, part: PlaylistPart) -> Result<(), PlaylistError> {
        if self.finished {
            return Err(PlaylistError::Finished);
        }
        if self.options.low_latency.is_none() {
            return Err(PlaylistError::InvalidOption {
                field: "options.low_latency",
                reason: "must be set to publish parts".into(),
            });
        }
        let expected = match (&self.open, self.last) {
            (Some(open), _) => Some(open.msn),
            (None, Some((seq, _))) => {
                Some(seq.checked_add(1).ok_or(PlaylistError::Overflow { field: "segment.sequence" })?)
            }
            (None, None) => None,
        };
        if let Some(expected) = expected {
            if msn != expected {
                return Err(PlaylistError::NonConsecutiveSequence { expected, found: msn });
            }
        }
        let index = self.open.as_ref().map_or(0, |o| o.parts.len());
        if part.duration == 0 {
            return Err(PlaylistError::ZeroDuration { sequence: msn, part: Some(index) });
        }
        self.check_part(msn, index, &part)?;
        let so_far: i128 = self.open.as_ref().map_or(0, |o| o.parts.iter().map(|p| p.duration as i128).sum());
        let rounded = self.rounded_extinf(so_far + part.duration as i128);
        let target = self.target_duration();
        if rounded > target as u64 {
            return Err(PlaylistError::SegmentExceedsTarget {
                sequence: msn,
                rounded_seconds: rounded,
                target_seconds: target,
            });
        }
        self.open.get_or_insert(OpenSegment { msn, parts: Vec::new() }).parts.push(part);
        self.preload_hint = None;
        Ok(())
    }

    /// Sets the `EXT-X-PRELOAD-HINT` for the next part (LL-HLS), or
    /// removes it. It is cleared by every push; set it again after each.
    pub fn set_preload_hint(&mut self, hint: Option<PreloadHint>) -> Result<(), PlaylistError> {
        if let Some(h) = &hint {
            if self.options.low_latency.is_none() {
                return Err(PlaylistError::InvalidOption {
                    field: "options.low_latency",
                    reason: "must be set to write a preload hint".into(),
                });
            }
            check_uri(&h.uri, "preload_hint.uri")?;
            hls_quoted(&h.uri, "preload_hint.uri")?;
            if h.byte_range_length == Some(0) {
                return Err(PlaylistError::InvalidOption {
                    field: "preload_hint.byte_range_length",
                    reason: "must be greater than zero, got 0".into(),
                });
            }
        }
        self.preload_hint = hint;
        Ok(())
    }

    /// Sets the `EXT-X-RENDITION-REPORT` tags written at the end of the
    /// playlist (LL-HLS), replacing earlier ones.
    pub fn set_rendition_reports(&mut self, reports: Vec<RenditionReport>) -> Result<(), PlaylistError> {
        for r in &reports {
            check_uri(&r.uri, "rendition_report.uri")?;
            hls_quoted(&r.uri, "rendition_report.uri")?;
        }
        self.rendition_reports = reports;
        Ok(())
    }

    /// Ends the stream: `EXT-X-ENDLIST` is written and nothing more can be
    /// pushed. Fails if a segment is still open (it has parts but was never
    /// pushed). Calling it twice is harmless.
    pub fn finish(&mut self) -> Result<(), PlaylistError> {
        if let Some(open) = &self.open {
            return Err(PlaylistError::IncompleteSegment { sequence: open.msn });
        }
        self.finished = true;
        self.preload_hint = None;
        Ok(())
    }

    /// Whether [`finish`](Self::finish) was called.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The options it was made with.
    pub fn options(&self) -> &MediaPlaylistOptions {
        &self.options
    }

    /// Ticks per second of segment times.
    pub fn timescale(&self) -> Timescale {
        self.timescale
    }

    /// `EXT-X-MEDIA-SEQUENCE`: the sequence number of the first listed
    /// segment (or of the open segment when none is listed; 0 when empty).
    pub fn media_sequence(&self) -> u64 {
        match (self.entries.front(), &self.open) {
            (Some(e), _) => e.seg.sequence,
            (None, Some(o)) => o.msn,
            (None, None) => self.last.map_or(0, |(s, _)| s.saturating_add(1)),
        }
    }

    /// `EXT-X-DISCONTINUITY-SEQUENCE`: how many discontinuities slid out of
    /// the window.
    pub fn discontinuity_sequence(&self) -> u64 {
        self.discontinuity_sequence
    }

    /// `EXT-X-TARGETDURATION` in seconds: the configured one, else the
    /// longest rounded `EXTINF` so far (at least 1).
    pub fn target_duration(&self) -> u32 {
        self.options.target_duration.unwrap_or_else(|| self.max_rounded.clamp(1, u32::MAX as u64) as u32)
    }

    /// The listed segments, oldest first.
    pub fn segments(&self) -> impl Iterator<Item = &Segment> + '_ {
        self.entries.iter().map(|e| &e.seg)
    }

    pub(super) fn decimals(&self) -> u32 {
        self.options.decimals as u32
    }

    /// The EXTINF of `ticks` as written, rounded to whole seconds.
    pub(super) fn rounded_extinf(&self, ticks: i128) -> u64 {
        let scaled = scaled_seconds(ticks, self.timescale, self.decimals());
        div_round(scaled, pow10(self.decimals())).clamp(0, u64::MAX as i128) as u64
    }

    /// Wall-clock time of tick `t`, extrapolated from `ms0` at tick `t0`.
    pub(super) fn extrapolate(&self, t0: i128, ms0: i64, t: i128) -> Result<i64, PlaylistError> {
        let ms = ms0 as i128 + div_round((t - t0) * 1_000, self.timescale.get() as i128);
        i64::try_from(ms).map_err(|_| PlaylistError::Overflow { field: "segment.program_date_time_ms" })
    }

    pub(super) fn check_part(&self, msn: u64, index: usize, part: &PlaylistPart) -> Result<(), PlaylistError> {
        check_uri(&part.uri, "part.uri")?;
        hls_quoted(&part.uri, "part.uri")?;
        if let Some(r) = part.byte_range {
            r.check("part.byte_range")?;
        }
        if let Some(ll) = self.options.low_latency {
            let part_len = Timestamp::new(i64::try_from(part.duration).unwrap_or(i64::MAX), self.timescale);
            if cmp_durations(part_len, ll.part_target) == std::cmp::Ordering::Greater {
                return Err(PlaylistError::PartExceedsTarget { sequence: msn, part: index });
            }
        }
        Ok(())
    }

    /// Drops segments from the front of a live window; returns them.
    pub(super) fn slide_window(&mut self) -> Vec<Segment> {
        let PlaylistKind::Live(window) = self.options.kind else {
            return Vec::new();
        };
        let ts = self.timescale;
        let min_keep = 3 * self.target_duration() as i128 * ts.get() as i128;
        // Checked positive in `check_options`.
        let keep_ticks = match window {
            Window::Duration(d) => duration_ticks(d, ts, "options.kind.window").unwrap_or(0),
            Window::Segments(_) => 0,
        };
        let mut evicted = Vec::new();
        while let Some(front) = self.entries.front() {
            if self.entries.len() <= 1 {
                break;
            }
            let rest = self.listed_ticks - front.seg.duration as i128;
            let window_ok = match window {
                Window::Segments(n) => self.entries.len() > n,
                Window::Duration(_) => rest >= keep_ticks,
            };
            if !window_ok || rest < min_keep {
                break;
            }
            let Some(gone) = self.entries.pop_front() else { break };
            self.listed_ticks = rest;
            if gone.seg.discontinuity {
                self.discontinuity_sequence += 1;
            }
            evicted.push(gone.seg);
        }
        evicted
    }
}

//! Playlists kept by listening to a segmenter: an [`HlsListener`] keeps
//! one stream's HLS media playlist (a segment per fragment; with LL-HLS
//! options its parts and preload hints as they come), a [`DashListener`]
//! keeps its DASH segment timeline. Both name the objects as
//! [`crate::mux::sink::Naming`] does, so a segmenter can feed a
//! [`crate::mux::sink::SinkListener`] and its playlists at once (a tuple of
//! listeners is a fan-out).
//!
//! A [`BandwidthListener`] keeps every fragment's size and span, for the
//! peak and average bit rate of a track ([`Bandwidth`], HLS `BANDWIDTH`
//! rules) as it grows.
//!
//! A listener cannot fail: the first playlist error is kept until
//! [`HlsListener::check`] returns it.

use super::dash::{Addressing, MediaInfo, Representation, TemplateTiming};
use super::hls::{MediaPlaylist, MediaPlaylistOptions, PreloadHint};
use super::{Bandwidth, InitSegmentRef, PlaylistError, PlaylistPart, Segment, Timeline};
use crate::mux::segmenter::{Fragment, FragmentListener, InitSegment, Part};
use crate::mux::sink::Naming;
use crate::time::{Timescale, Timestamp};

/// The playlist segment of `fragment` at `uri`: its bytes (for bandwidth)
/// and, given the wall-clock time of media time 0, its program date-time.
fn segment(fragment: &Fragment, uri: String, wall_origin_ms: Option<i64>) -> Segment {
    let mut seg = Segment::new(fragment.sequence_number.into(), fragment.start.ticks, fragment.duration, uri);
    seg.bytes = Some(fragment.bytes.len() as u64);
    seg.program_date_time_ms = wall_origin_ms.map(|o| o + fragment.start.rescale(Timescale::MILLIS).ticks);
    seg
}

/// One stream's HLS media playlist, kept from segmenter events. The stream
/// is the one whose first track is `track_id`; its init segment is
/// `{stream}/init.mp4`, its segments `{stream}/{N}.m4s`. Parts
/// (`{stream}/{N}.{I}.m4s`) and preload hints are listed when the
/// playlist has low-latency options.
#[derive(Debug, Clone)]
pub struct HlsListener {
    track_id: u32,
    stream: String,
    playlist: MediaPlaylist,
    wall_origin_ms: Option<i64>,
    error: Option<PlaylistError>,
}

impl HlsListener {
    /// A playlist of `stream` (track `track_id`, segment times in
    /// `timescale`), with `options`.
    pub fn new(
        track_id: u32,
        timescale: Timescale,
        stream: impl Into<String>,
        options: MediaPlaylistOptions,
    ) -> Result<Self, PlaylistError> {
        let stream = stream.into();
        let init = InitSegmentRef::new(Naming::init_name(&stream));
        let playlist = MediaPlaylist::new(timescale, Some(init), options)?;
        Ok(HlsListener { track_id, stream, playlist, wall_origin_ms: None, error: None })
    }

    /// Dates the segments (`EXT-X-PROGRAM-DATE-TIME`): media time 0 was at
    /// `origin_ms` (ms since the Unix epoch). Default: undated.
    pub fn with_program_date_time(mut self, origin_ms: i64) -> Self {
        self.wall_origin_ms = Some(origin_ms);
        self
    }

    /// The playlist.
    pub fn playlist(&self) -> &MediaPlaylist {
        &self.playlist
    }

    /// The playlist, mutably (to finish it, or to set rendition reports).
    pub fn playlist_mut(&mut self) -> &mut MediaPlaylist {
        &mut self.playlist
    }

    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The first error since the last call.
    pub fn check(&mut self) -> Result<(), PlaylistError> {
        self.error.take().map_or(Ok(()), Err)
    }

    fn mine(&self, track_ids: &[u32]) -> bool {
        track_ids.first() == Some(&self.track_id)
    }

    fn keep(&mut self, result: Result<(), PlaylistError>) {
        if let (Err(e), None) = (result, &self.error) {
            self.error = Some(e);
        }
    }

    fn low_latency(&self) -> bool {
        self.playlist.options().low_latency.is_some()
    }
}

impl FragmentListener for HlsListener {
    fn on_init(&mut self, _init: &InitSegment) {}

    fn on_part(&mut self, part: &Part) {
        if !self.mine(&part.track_ids) || !self.low_latency() {
            return;
        }
        let sequence = u64::from(part.sequence_number);
        let uri = Naming::part_name(&self.stream, sequence, part.index);
        let next = Naming::part_name(&self.stream, sequence, part.index + 1);
        let result = self
            .playlist
            .push_part(sequence, PlaylistPart::new(uri, part.duration, part.independent))
            .and_then(|()| self.playlist.set_preload_hint(Some(PreloadHint::new(next))));
        self.keep(result);
    }

    fn on_fragment(&mut self, fragment: &Fragment) {
        if !self.mine(&fragment.track_ids) {
            return;
        }
        let sequence = u64::from(fragment.sequence_number);
        let uri = Naming::fragment_name(&self.stream, sequence);
        let mut result = self.playlist.push(segment(fragment, uri, self.wall_origin_ms)).map(|_| ());
        if result.is_ok() && self.low_latency() && !fragment.parts.is_empty() {
            let next = Naming::part_name(&self.stream, sequence + 1, 0);
            result = self.playlist.set_preload_hint(Some(PreloadHint::new(next)));
        }
        self.keep(result);
    }
}

/// One stream's DASH segment timeline, kept from segmenter events (the
/// stream and names as for [`HlsListener`]); [`DashListener::representation`]
/// makes its `Representation` with a `SegmentTemplate`
/// (`{stream}/$Number$.m4s`) and a `SegmentTimeline`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashListener {
    track_id: u32,
    stream: String,
    timeline: Timeline,
    wall_origin_ms: Option<i64>,
}

impl DashListener {
    /// A timeline of `stream` (track `track_id`, times in `timescale`).
    pub fn new(track_id: u32, timescale: Timescale, stream: impl Into<String>) -> Self {
        let stream = stream.into();
        let mut timeline = Timeline::new(timescale);
        timeline.init = Some(InitSegmentRef::new(Naming::init_name(&stream)));
        DashListener { track_id, stream, timeline, wall_origin_ms: None }
    }

    /// Dates the segments as [`HlsListener::with_program_date_time`] does.
    pub fn with_program_date_time(mut self, origin_ms: i64) -> Self {
        self.wall_origin_ms = Some(origin_ms);
        self
    }

    /// The segments so far.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The stream as a `Representation` named `id`: `SegmentTemplate`
    /// addressing with a `SegmentTimeline`, its bandwidth the timeline's
    /// peak.
    pub fn representation(
        &self,
        id: impl Into<String>,
        codecs: impl Into<String>,
        media: MediaInfo,
    ) -> Result<Representation, PlaylistError> {
        Ok(Representation {
            id: id.into(),
            bandwidth: self.timeline.bandwidth()?.peak,
            codecs: codecs.into(),
            media,
            timeline: self.timeline.clone(),
            addressing: Addressing::SegmentTemplate {
                media: format!("{}/$Number$.m4s", self.stream),
                timing: TemplateTiming::Timeline,
            },
            presentation_time_offset: 0,
        })
    }
}

impl FragmentListener for DashListener {
    fn on_init(&mut self, _init: &InitSegment) {}

    fn on_fragment(&mut self, fragment: &Fragment) {
        if fragment.track_ids.first() != Some(&self.track_id) {
            return;
        }
        let uri = Naming::fragment_name(&self.stream, fragment.sequence_number.into());
        self.timeline.segments.push(segment(fragment, uri, self.wall_origin_ms));
    }
}

/// One fragment as [`BandwidthListener`] keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sized {
    track_ids: Vec<u32>,
    sequence: u64,
    start: Timestamp,
    duration: u64,
    bytes: u64,
}

/// Every fragment's tracks, span and size, for the bit rate of a track's
/// fragments so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BandwidthListener {
    fragments: Vec<Sized>,
}

impl BandwidthListener {
    /// Peak and average bit rate (bits/s) of the fragments holding track
    /// `track_id`; `None` before the first (or when they have no
    /// duration).
    pub fn bandwidth(&self, track_id: u32) -> Option<Bandwidth> {
        let mine: Vec<&Sized> = self.fragments.iter().filter(|f| f.track_ids.contains(&track_id)).collect();
        let timescale = mine.first()?.start.timescale;
        let segments: Vec<Segment> = mine
            .iter()
            .map(|f| {
                let mut s = Segment::new(f.sequence, f.start.ticks, f.duration, "-");
                s.bytes = Some(f.bytes);
                s
            })
            .collect();
        Bandwidth::of_segments(&segments, timescale).ok()
    }
}

impl FragmentListener for BandwidthListener {
    fn on_init(&mut self, _init: &InitSegment) {}
    fn on_fragment(&mut self, f: &Fragment) {
        self.fragments.push(Sized {
            track_ids: f.track_ids.clone(),
            sequence: f.sequence_number.into(),
            start: f.start,
            duration: f.duration,
            bytes: f.bytes.len() as u64,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::CodecConfig;
    use crate::mux::segmenter::{Segmenter, SegmenterConfig};
    use crate::mux::sink::{MemorySink, SinkListener};
    use crate::mux::{Sample, TrackConfig};
    use crate::playlist::dash::{AudioInfo, Mpd};
    use crate::playlist::hls::{LowLatencyOptions, PlaylistKind, Window};

    fn track() -> TrackConfig {
        let codec = CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: 48_000, channels: 2 };
        TrackConfig::new(2, Timescale::new(48_000).unwrap(), codec)
    }

    /// 3 s of AAC frames in 1 s fragments (0.5 s parts with `parts`),
    /// through a sink and both playlists at once.
    fn run(options: MediaPlaylistOptions, parts: bool) -> (MemorySink, HlsListener, DashListener) {
        let t = track();
        let config = SegmenterConfig {
            fragment_duration: Timestamp::from_millis(1000),
            part_duration: parts.then(|| Timestamp::from_millis(500)),
            ..SegmenterConfig::default()
        };
        let sink = SinkListener::new(MemorySink::default(), Naming::new().with(2, "audio"));
        let hls = HlsListener::new(2, t.timescale, "audio", options).unwrap().with_program_date_time(1_700_000_000_000);
        let dash = DashListener::new(2, t.timescale, "audio").with_program_date_time(1_700_000_000_000);
        let mut seg = Segmenter::new(vec![t], config, (sink, hls, dash)).unwrap();
        for i in 0..141 {
            let s = Sample {
                decode_time: i * 1024,
                composition_offset: 0,
                duration: 1024,
                keyframe: true,
                data: vec![1; 9],
            };
            seg.push(2, s).unwrap();
        }
        seg.finish().unwrap();
        let (mut sink, mut hls, dash) = seg.into_listener();
        sink.check().unwrap();
        hls.check().unwrap();
        (sink.into_sink(), hls, dash)
    }

    #[test]
    fn the_bandwidth_listener_rates_a_tracks_fragments() {
        let t = track();
        let config = SegmenterConfig { fragment_duration: Timestamp::from_millis(1000), ..SegmenterConfig::default() };
        let dash = DashListener::new(2, t.timescale, "audio");
        let mut seg = Segmenter::new(vec![t], config, (BandwidthListener::default(), dash)).unwrap();
        for i in 0..100 {
            if i <= 47 {
                assert_eq!(seg.listener().0.bandwidth(2), None, "no fragment before the first second");
            }
            let data = vec![1; 9 + (i as usize % 7)];
            seg.push(2, Sample { decode_time: i * 1024, composition_offset: 0, duration: 1024, keyframe: true, data })
                .unwrap();
        }
        seg.finish().unwrap();
        let (bw, dash) = seg.into_listener();
        let got = bw.bandwidth(2).unwrap();
        assert_eq!(got, dash.timeline().bandwidth().unwrap());
        assert!(got.peak >= got.average && got.average > 0, "{got:?}");
        assert_eq!(bw.bandwidth(1), None, "no fragment holds track 1");
    }

    #[test]
    fn playlists_list_what_the_sink_received() {
        let (sink, mut hls, dash) = run(MediaPlaylistOptions::default(), false);
        hls.playlist_mut().finish().unwrap();
        let text = hls.playlist().render().unwrap();
        assert!(text.contains("#EXT-X-MAP:URI=\"audio/init.mp4\"\n"), "{text}");
        assert!(text.contains("#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z\n"), "{text}");
        let listed: Vec<&str> = text.lines().filter(|l| l.ends_with(".m4s")).collect();
        assert_eq!(listed, ["audio/1.m4s", "audio/2.m4s", "audio/3.m4s"]);
        for name in &listed {
            assert!(sink.get(name).is_some(), "{name} was written");
        }
        // The DASH timeline holds the same segments, sized for bandwidth.
        let timeline = dash.timeline();
        assert_eq!(timeline.segments.len(), 3);
        assert_eq!(timeline.segments[1].bytes, Some(sink.get("audio/2.m4s").unwrap().len() as u64));
        let vod = MediaPlaylist::from_timeline(timeline, MediaPlaylistOptions::default()).unwrap();
        assert_eq!(vod.render().unwrap(), text, "one timeline, two formats");
        let rep = dash.representation(
            "audio",
            "mp4a.40.2",
            MediaInfo::Audio(AudioInfo { sampling_rate: 48_000, channels: 2 }),
        );
        let rep = rep.unwrap();
        assert_eq!(rep.bandwidth, timeline.bandwidth().unwrap().peak);
        let set = crate::playlist::dash::AdaptationSet::new(0, vec![rep]);
        let mpd = Mpd { adaptation_sets: vec![set], ..Default::default() }.render().unwrap();
        assert!(mpd.contains("media=\"audio/$Number$.m4s\""), "{mpd}");
        assert!(mpd.contains("initialization=\"audio/init.mp4\""), "{mpd}");
    }

    #[test]
    fn low_latency_playlists_list_parts_and_hint_the_next() {
        let mut options = MediaPlaylistOptions { kind: PlaylistKind::Live(Window::Segments(6)), ..Default::default() };
        let mut ll = LowLatencyOptions::new(Timestamp::from_millis(522));
        ll.part_hold_back = Some(Timestamp::from_millis(1600));
        options.low_latency = Some(ll);
        options.target_duration = Some(2);
        let (sink, hls, _) = run(options, true);
        let text = hls.playlist().render().unwrap();
        assert!(text.contains("#EXT-X-PART:DURATION=0.5"), "{text}");
        assert!(text.contains("URI=\"audio/3.0.m4s\""), "{text}");
        assert!(text.contains("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"audio/4.0.m4s\""), "{text}");
        assert!(sink.get("audio/3.0.m4s").is_some());
        // Without low-latency options the parts are written but not listed.
        let (sink, hls, _) = run(MediaPlaylistOptions::default(), true);
        assert!(sink.get("audio/1.1.m4s").is_some());
        assert!(!hls.playlist().render().unwrap().contains("EXT-X-PART"));
    }

    #[test]
    fn a_playlist_error_is_kept_until_checked() {
        let options = MediaPlaylistOptions { target_duration: Some(1), ..Default::default() };
        let t = track();
        let mut hls = HlsListener::new(2, t.timescale, "audio", options).unwrap();
        let long = Fragment {
            track_ids: vec![2],
            sequence_number: 1,
            start: Timestamp::new(0, t.timescale),
            duration: 48_000 * 3,
            keyframe: true,
            bytes: vec![0; 4],
            parts: Vec::new(),
            tracks: Vec::new(),
        };
        hls.on_fragment(&long);
        assert!(matches!(hls.check(), Err(PlaylistError::SegmentExceedsTarget { .. })));
        assert_eq!(hls.check(), Ok(()));
        let mut other = long.clone();
        other.track_ids = vec![1];
        hls.on_fragment(&other);
        assert_eq!(hls.playlist().segments().count(), 0, "another stream's fragment is not listed");
    }
}

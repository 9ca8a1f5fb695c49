//! Live playlists of an ingested stream, built from its fragment index:
//! an HLS multivariant playlist, one live HLS media playlist per track
//! (sliding window, `EXT-X-PROGRAM-DATE-TIME`, `EXT-X-DISCONTINUITY` on
//! gaps) and a dynamic DASH MPD (`SegmentTimeline`, `$Time$` addressing).
//!
//! [`StreamPlaylists`] is fed the stream's [`FragmentRecord`]s in index
//! order (on every accepted fragment, and from the log after a restart),
//! and renders on demand. It keeps only the window per track, so memory
//! and rendering time do not grow with the stream.
//!
//! Numbering and times:
//! - HLS media sequence numbers count the listed fragments: the first
//!   fragment's number, plus one per later fragment. Without missing
//!   fragments they equal the fragment numbers in the URIs; after one is
//!   missing they run behind, since HLS numbers must be consecutive.
//! - DASH addresses segments by start time (`{track}/t$Time$.m4s`), which
//!   stays exact across missing fragments.
//! - Wall-clock times come from the server timestamps. The stream's first
//!   fragment fixes when media time 0 was "now": its server timestamp
//!   minus its end in milliseconds. That instant is the DASH
//!   `availabilityStartTime`, and every HLS segment's
//!   `EXT-X-PROGRAM-DATE-TIME` is it plus the segment's start.
//! - Codec strings come from the init segments (`CodecConfig::codec_string`).

use std::collections::VecDeque;

use super::index::FragmentRecord;
use super::names::TrackName;
use super::routes;
use crate::codec::{CodecConfig, TrackKind};
use crate::mux::TrackConfig;
use crate::playlist::dash::{
    AdaptationSet, Addressing, AudioInfo, LiveMpd, MediaInfo, Mpd, MpdKind, Representation, TemplateTiming, UtcTiming,
    VideoInfo,
};
use crate::playlist::hls::{
    AudioRendition, MediaPlaylist, MediaPlaylistOptions, MultivariantPlaylist, PlaylistKind, Variant, Window,
};
use crate::playlist::{Bandwidth, FrameRate, InitSegmentRef, PlaylistError, Resolution, Segment, Timeline};
use crate::time::{Timescale, Timestamp};

/// The `GROUP-ID` of the audio renditions in the multivariant playlist.
pub const AUDIO_GROUP: &str = "audio";

/// Options of [`StreamPlaylists`], with their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlaylistOptions {
    /// Fragments listed per track: in HLS media playlists (which keep at
    /// least three target durations regardless) and in the DASH MPD (whose
    /// `timeShiftBufferDepth` is the listed span). Default 6; at least 1.
    pub window: usize,
    /// Appended to init and fragment URIs as `?v={token}`, so that caches
    /// never serve the fragments of a deleted stream for a new stream of
    /// the same name (fragments are cached as immutable). `[A-Za-z0-9_-]`,
    /// 1 to 64 characters. Default `None`: no query.
    pub cache_token: Option<String>,
    /// DASH `minimumUpdatePeriod`. Default 2 s.
    pub minimum_update_period: Timestamp,
}

impl Default for PlaylistOptions {
    fn default() -> Self {
        PlaylistOptions { window: 6, cache_token: None, minimum_update_period: Timestamp::from_millis(2_000) }
    }
}

impl PlaylistOptions {
    /// The defaults with a window of `window` fragments.
    pub fn with_window(window: usize) -> Self {
        PlaylistOptions { window, ..Self::default() }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> PlaylistError {
    PlaylistError::InvalidOption { field, reason: reason.into() }
}

/// The channel count of an audio codec configuration (`CHANNELS` in HLS,
/// `AudioChannelConfiguration` in DASH); `None` for video.
pub fn channels(codec: &CodecConfig) -> Option<u32> {
    match codec {
        CodecConfig::Aac { channels, .. } | CodecConfig::Flac { channels, .. } => Some(u32::from(*channels)),
        CodecConfig::Opus { channels, .. } => Some(u32::from(*channels)),
        CodecConfig::Avc { .. } => None,
    }
}

/// The DASH media attributes of a track: size and frame rate for video,
/// sampling rate and channels for audio (Opus always runs at 48 kHz).
pub fn media_info(codec: &CodecConfig, frame_rate: Option<FrameRate>) -> MediaInfo {
    match codec {
        CodecConfig::Avc { width, height, .. } => MediaInfo::Video(VideoInfo::new(*width, *height, frame_rate)),
        CodecConfig::Aac { sample_rate, channels, .. } | CodecConfig::Flac { sample_rate, channels, .. } => {
            MediaInfo::Audio(AudioInfo { sampling_rate: *sample_rate, channels: u32::from(*channels) })
        }
        CodecConfig::Opus { channels, .. } => {
            MediaInfo::Audio(AudioInfo { sampling_rate: 48_000, channels: u32::from(*channels) })
        }
    }
}

/// One track's playlist state.
#[derive(Debug, Clone)]
struct TrackPlaylist {
    name: TrackName,
    config: TrackConfig,
    codec: String,
    /// The live HLS media playlist (it slides its own window).
    hls: MediaPlaylist,
    /// The last `window` segments, with `$Time$` URIs, for DASH.
    dash: VecDeque<Segment>,
    /// Media sequence number of the next segment.
    next_msn: Option<u64>,
    /// Fragments pushed, and their samples and ticks (for the frame rate).
    count: u64,
    samples: u128,
    ticks: u128,
}

impl TrackPlaylist {
    fn kind(&self) -> TrackKind {
        self.config.codec.kind()
    }

    fn timescale(&self) -> Timescale {
        self.config.timescale
    }

    fn hls_bandwidth(&self) -> Result<Bandwidth, PlaylistError> {
        let listed: Vec<Segment> = self.hls.segments().cloned().collect();
        Bandwidth::of_segments(&listed, self.timescale())
    }

    /// Mean frames per second over every fragment, to three decimals.
    fn frame_rate(&self) -> Option<FrameRate> {
        if self.ticks == 0 || self.kind() != TrackKind::Video {
            return None;
        }
        let millis = (self.samples * u128::from(self.timescale().get()) * 1000 + self.ticks / 2) / self.ticks;
        u32::try_from(millis).ok().filter(|&m| m > 0).map(|m| FrameRate::new(m, 1000))
    }

    fn channels(&self) -> Option<u32> {
        channels(&self.config.codec)
    }

    fn media_info(&self) -> MediaInfo {
        media_info(&self.config.codec, self.frame_rate())
    }

    /// From the start of the first listed DASH segment to the end of the
    /// last, gaps included, in milliseconds (rounded up).
    fn dash_span_ms(&self) -> i64 {
        let (Some(first), Some(last)) = (self.dash.front(), self.dash.back()) else { return 0 };
        let ticks = (last.end() - i128::from(first.start)).max(0);
        let ts = i128::from(self.timescale().get());
        i64::try_from((ticks * 1000 + ts - 1) / ts).unwrap_or(i64::MAX)
    }

    fn longest_dash_ms(&self) -> i64 {
        let ts = u128::from(self.timescale().get());
        let longest = self.dash.iter().map(|s| u128::from(s.duration)).max().unwrap_or(0);
        i64::try_from((longest * 1000).div_ceil(ts)).unwrap_or(i64::MAX)
    }
}

/// The live playlists of one stream. See the module documentation.
#[derive(Debug, Clone)]
pub struct StreamPlaylists {
    options: PlaylistOptions,
    /// By name.
    tracks: Vec<TrackPlaylist>,
    ended: bool,
    availability_start_ms: Option<i64>,
}

/// `ticks` of `timescale` in milliseconds, rounded to nearest.
fn ticks_to_ms(ticks: i128, timescale: Timescale) -> i128 {
    let ts = i128::from(timescale.get());
    let num = ticks * 1000;
    if num >= 0 {
        (num + ts / 2) / ts
    } else {
        (num - ts / 2) / ts
    }
}

impl StreamPlaylists {
    /// No tracks yet. Checks the options.
    pub fn new(options: PlaylistOptions) -> Result<Self, PlaylistError> {
        if options.window == 0 {
            return Err(invalid("options.window", "must be at least 1, got 0"));
        }
        if let Some(token) = &options.cache_token {
            let ok = (1..=64).contains(&token.len())
                && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(invalid("options.cache_token", format!("must be 1 to 64 of [A-Za-z0-9_-], got {token:?}")));
            }
        }
        if options.minimum_update_period.ticks <= 0 {
            return Err(invalid("options.minimum_update_period", "must be positive"));
        }
        Ok(StreamPlaylists { options, tracks: Vec::new(), ended: false, availability_start_ms: None })
    }

    /// The options.
    pub fn options(&self) -> &PlaylistOptions {
        &self.options
    }

    fn with_token(&self, uri: String) -> String {
        match &self.options.cache_token {
            Some(t) => format!("{uri}?v={t}"),
            None => uri,
        }
    }

    fn track(&self, name: &str) -> Option<&TrackPlaylist> {
        self.tracks.iter().find(|t| t.name == name)
    }

    /// Declares track `name` with the configuration read from its init
    /// segment, or replaces it while it has no fragments yet. Fails for a
    /// codec without a codec string, or a track that has fragments.
    pub fn set_track(&mut self, name: &TrackName, config: TrackConfig) -> Result<(), PlaylistError> {
        if self.track(name.as_str()).is_some_and(|t| t.count > 0) {
            return Err(invalid("track", format!("{name} already has fragments; its configuration cannot change")));
        }
        let codec =
            config.codec.codec_string().map_err(|e| invalid("track.codec", format!("has no codec string: {e}")))?;
        let options = MediaPlaylistOptions {
            kind: PlaylistKind::Live(Window::Segments(self.options.window)),
            ..Default::default()
        };
        let init = InitSegmentRef::new(self.with_token(routes::init_uri(name)));
        let hls = MediaPlaylist::new(config.timescale, Some(init), options)?;
        let track = TrackPlaylist {
            name: name.clone(),
            config,
            codec,
            hls,
            dash: VecDeque::new(),
            next_msn: None,
            count: 0,
            samples: 0,
            ticks: 0,
        };
        match self.tracks.iter().position(|t| t.name == *name) {
            Some(i) => self.tracks[i] = track,
            None => {
                let at = self.tracks.partition_point(|t| t.name < *name);
                self.tracks.insert(at, track);
            }
        }
        Ok(())
    }

    /// Adds the next fragment of `record.track` (declared with
    /// [`StreamPlaylists::set_track`]). Records must come in index order,
    /// as [`crate::ingest::TrackIndex`] admits them. Reopens an ended
    /// stream. On error nothing changes.
    pub fn push(&mut self, record: &FragmentRecord) -> Result<(), PlaylistError> {
        let window = self.options.window;
        let token_uri = |uri: String| match &self.options.cache_token {
            Some(t) => format!("{uri}?v={t}"),
            None => uri,
        };
        let hls_uri = token_uri(routes::fragment_uri(&record.track, record.sequence));
        let dash_uri = token_uri(routes::timed_fragment_uri(&record.track, record.start));
        let i = self
            .tracks
            .iter()
            .position(|t| t.name == record.track)
            .ok_or_else(|| invalid("record.track", format!("{} has no init segment", record.track)))?;
        let track = &mut self.tracks[i];
        if record.timescale != track.timescale().get() {
            return Err(invalid(
                "record.timescale",
                format!("{} is not the track's {}", record.timescale, track.timescale()),
            ));
        }
        let ts = track.timescale();
        let ast = self.availability_start_ms.unwrap_or_else(|| {
            let end_ms = ticks_to_ms(record.end(), ts);
            i64::try_from(i128::from(record.server_timestamp) - end_ms).unwrap_or(record.server_timestamp)
        });
        let msn = track.next_msn.unwrap_or(record.sequence);
        let mut seg = Segment::new(msn, record.start, record.duration, hls_uri);
        seg.bytes = Some(record.bytes);
        seg.discontinuity = record.discontinuity && track.count > 0;
        if track.count == 0 || record.discontinuity {
            let pdt = i128::from(ast) + ticks_to_ms(i128::from(record.start), ts);
            seg.program_date_time_ms =
                Some(i64::try_from(pdt).map_err(|_| PlaylistError::Overflow { field: "program_date_time_ms" })?);
        }
        let mut dash_seg = seg.clone();
        dash_seg.uri = dash_uri;
        dash_seg.program_date_time_ms = None;
        track.hls.push(seg)?;

        // Committed.
        track.dash.push_back(dash_seg);
        while track.dash.len() > window {
            track.dash.pop_front();
        }
        track.next_msn = Some(msn + 1);
        track.count += 1;
        track.samples += u128::from(record.samples);
        track.ticks += u128::from(record.duration);
        self.availability_start_ms = Some(ast);
        self.ended = false;
        Ok(())
    }

    /// Marks the stream as ended (`EXT-X-ENDLIST`, static MPD) or live
    /// again.
    pub fn set_ended(&mut self, ended: bool) {
        self.ended = ended;
    }

    /// Whether the stream is marked as ended.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The wall-clock time of media time 0 (ms since the Unix epoch), known
    /// after the first fragment.
    pub fn availability_start_ms(&self) -> Option<i64> {
        self.availability_start_ms
    }

    /// Whether any track has a fragment.
    pub fn has_fragments(&self) -> bool {
        self.tracks.iter().any(|t| t.count > 0)
    }

    /// The HLS multivariant playlist: a variant per video track (with the
    /// audio tracks as an `AUDIO` group), or per audio track when there is
    /// no video. Tracks without fragments are left out;
    /// [`PlaylistError::NoSegments`] when no track has any.
    pub fn master(&self) -> Result<String, PlaylistError> {
        let live: Vec<&TrackPlaylist> = self.tracks.iter().filter(|t| t.count > 0).collect();
        let video: Vec<&&TrackPlaylist> = live.iter().filter(|t| t.kind() == TrackKind::Video).collect();
        let audio: Vec<&&TrackPlaylist> = live.iter().filter(|t| t.kind() == TrackKind::Audio).collect();
        let mut master = MultivariantPlaylist::default();
        if video.is_empty() {
            for a in &audio {
                let bw = a.hls_bandwidth()?;
                master.variants.push(Variant::new(routes::media_playlist_uri(&a.name), bw, vec![a.codec.clone()]));
            }
        } else {
            let mut audio_bw: Option<Bandwidth> = None;
            for (i, a) in audio.iter().enumerate() {
                let bw = a.hls_bandwidth()?;
                if audio_bw.is_none_or(|b| bw.peak > b.peak) {
                    audio_bw = Some(bw);
                }
                let mut r = AudioRendition::new(
                    AUDIO_GROUP,
                    a.name.as_str(),
                    a.codec.clone(),
                    routes::media_playlist_uri(&a.name),
                );
                r.default = i == 0;
                r.channels = a.channels();
                master.audio.push(r);
            }
            for v in &video {
                let mut bw = v.hls_bandwidth()?;
                if let Some(a) = audio_bw {
                    bw = bw.combined(a);
                }
                let mut variant = Variant::new(routes::media_playlist_uri(&v.name), bw, vec![v.codec.clone()]);
                if let CodecConfig::Avc { width, height, .. } = v.config.codec {
                    variant.resolution = Some(Resolution::new(width, height));
                }
                variant.frame_rate = v.frame_rate();
                if !audio.is_empty() {
                    variant.audio_group = Some(AUDIO_GROUP.into());
                }
                master.variants.push(variant);
            }
        }
        master.render()
    }

    /// The live HLS media playlist of `track`; `None` for an unknown track,
    /// [`PlaylistError::NoSegments`] before its first fragment.
    pub fn media(&self, track: &str) -> Option<Result<String, PlaylistError>> {
        let t = self.track(track)?;
        Some(if self.ended {
            let mut finished = t.hls.clone();
            finished.finish().and_then(|_| finished.render())
        } else {
            t.hls.render()
        })
    }

    /// The DASH MPD: dynamic while live (published at `now_ms`, with a
    /// `UTCTiming` carrying `now_ms`), static once ended. An AdaptationSet
    /// per track with fragments; [`PlaylistError::NoSegments`] when none
    /// has any.
    pub fn mpd(&self, now_ms: i64) -> Result<String, PlaylistError> {
        let mut live: Vec<&TrackPlaylist> = self.tracks.iter().filter(|t| !t.dash.is_empty()).collect();
        // Video first: some players take the first AdaptationSet's timing.
        live.sort_by_key(|t| (t.kind() != TrackKind::Video, t.name.clone()));
        let Some(ast) = self.availability_start_ms.filter(|_| !live.is_empty()) else {
            return Err(PlaylistError::NoSegments);
        };
        let mut sets = Vec::with_capacity(live.len());
        for (i, t) in live.iter().enumerate() {
            let segments: Vec<Segment> = t.dash.iter().cloned().collect();
            let bandwidth = Bandwidth::of_segments(&segments, t.timescale())?.peak;
            let first_start = segments.first().map_or(0, |s| s.start.max(0) as u64);
            let mut timeline = Timeline::new(t.timescale());
            timeline.init = Some(InitSegmentRef::new(self.with_token(routes::init_uri(&t.name))));
            timeline.segments = segments;
            let rep = Representation {
                id: t.name.to_string(),
                bandwidth,
                codecs: t.codec.clone(),
                media: t.media_info(),
                timeline,
                addressing: Addressing::SegmentTemplate {
                    media: self.with_token(routes::timed_fragment_template(&t.name)),
                    timing: TemplateTiming::Timeline,
                },
                presentation_time_offset: if self.ended { first_start } else { 0 },
            };
            let id = u32::try_from(i).map_err(|_| PlaylistError::Overflow { field: "adaptation_set.id" })?;
            let mut set = AdaptationSet::new(id, vec![rep]);
            if t.config.language != "und" && !t.config.language.is_empty() {
                set.lang = Some(t.config.language.clone());
            }
            sets.push(set);
        }
        let kind = if self.ended {
            MpdKind::Static
        } else {
            let depth_ms = live.iter().map(|t| t.dash_span_ms()).max().unwrap_or(0).max(1);
            let longest_ms = live.iter().map(|t| t.longest_dash_ms()).max().unwrap_or(0);
            let mut l = LiveMpd::new(ast, now_ms);
            l.minimum_update_period = self.options.minimum_update_period;
            l.time_shift_buffer_depth = Timestamp::from_millis(depth_ms);
            // Three fragments behind the live edge, within what is listed.
            let delay = longest_ms.saturating_mul(3).min(depth_ms);
            if delay > 0 {
                l.suggested_presentation_delay = Some(Timestamp::from_millis(delay));
            }
            MpdKind::Dynamic(l)
        };
        let utc_timing = if self.ended { Vec::new() } else { vec![UtcTiming::direct(now_ms)?] };
        Mpd { kind, adaptation_sets: sets, utc_timing, ..Default::default() }.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::index::{FragmentFacts, TrackIndex};

    /// A High profile avcC made by x264 (the reader's test record); the
    /// codec string comes from its SPS: avc1.64000a.
    const AVCC: &str = "0164000affe100186764000aacd94426c044000003000400000300c83c48965801000668ebe3cb22c0fdf8f800";
    const T0: i64 = 1_700_000_000_000;

    fn video_config() -> TrackConfig {
        TrackConfig::new(1, Timescale::MPEG, CodecConfig::Avc { avcc: hex(AVCC), width: 320, height: 240 })
    }

    fn audio_config() -> TrackConfig {
        crate::mux::test_tracks::aac_track(2)
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn name(s: &str) -> TrackName {
        TrackName::new(s).unwrap()
    }

    /// Fragments `seqs` of 2 s video at 30 fps, each arriving 100 ms after
    /// its end, 50 kB each.
    fn video_records(seqs: &[u64]) -> Vec<FragmentRecord> {
        let mut ix = TrackIndex::new(name("video"), Timescale::MPEG);
        for &n in seqs {
            let start = (n as i64 - 1) * 180_000;
            let facts = FragmentFacts::new(start, 180_000, Timescale::MPEG, 60, true, 50_000);
            let r = ix.admit(n, &facts, T0 + start / 90 + 2_100).unwrap();
            ix.push(r).unwrap();
        }
        ix.records().to_vec()
    }

    fn audio_records(count: u64) -> Vec<FragmentRecord> {
        let ts = Timescale::new(48_000).unwrap();
        let mut ix = TrackIndex::new(name("audio"), ts);
        for n in 1..=count {
            let start = (n as i64 - 1) * 96_000;
            let facts = FragmentFacts::new(start, 96_000, ts, 94, true, 32_000);
            let r = ix.admit(n, &facts, T0 + start / 48 + 2_050).unwrap();
            ix.push(r).unwrap();
        }
        ix.records().to_vec()
    }

    fn playlists(window: usize) -> StreamPlaylists {
        let mut options = PlaylistOptions::with_window(window);
        options.cache_token = Some("k1".into());
        let mut p = StreamPlaylists::new(options).unwrap();
        p.set_track(&name("video"), video_config()).unwrap();
        p.set_track(&name("audio"), audio_config()).unwrap();
        p
    }

    #[test]
    fn nothing_to_list_before_the_first_fragment() {
        let p = playlists(3);
        assert_eq!(p.master(), Err(PlaylistError::NoSegments));
        assert_eq!(p.media("video"), Some(Err(PlaylistError::NoSegments)));
        assert_eq!(p.media("nope"), None);
        assert_eq!(p.mpd(T0), Err(PlaylistError::NoSegments));
    }

    #[test]
    fn live_media_playlist_slides_and_marks_gaps() {
        let mut p = playlists(3);
        // Fragment 5 was dropped by the publisher.
        for r in video_records(&[1, 2, 3, 4, 6, 7]) {
            p.push(&r).unwrap();
        }
        let text = p.media("video").unwrap().unwrap();
        // Six fragments, window 3: three listed. Fragment 6 starts a
        // discontinuity and is media sequence 5, since numbers are
        // consecutive in HLS.
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:4\n\
             #EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"video/init.mp4?v=k1\"\n\
             #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:26.100Z\n#EXTINF:2.000,\nvideo/4.m4s?v=k1\n\
             #EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:30.100Z\n#EXTINF:2.000,\nvideo/6.m4s?v=k1\n\
             #EXTINF:2.000,\nvideo/7.m4s?v=k1\n"
        );
        p.set_ended(true);
        assert!(p.media("video").unwrap().unwrap().ends_with("video/7.m4s?v=k1\n#EXT-X-ENDLIST\n"));
        // A new fragment reopens the stream.
        let more = video_records(&[1, 2, 3, 4, 6, 7, 8]);
        p.push(more.last().unwrap()).unwrap();
        assert!(!p.is_ended());
        assert!(!p.media("video").unwrap().unwrap().contains("ENDLIST"));
    }

    #[test]
    fn discontinuity_sequence_counts_what_slid_out() {
        let mut p = playlists(2);
        for r in video_records(&[1, 3, 4, 5, 6]) {
            p.push(&r).unwrap();
        }
        let text = p.media("video").unwrap().unwrap();
        assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), "{text}");
        assert!(!text.contains("#EXT-X-DISCONTINUITY\n"), "{text}");
    }

    #[test]
    fn master_lists_video_with_its_audio_group() {
        let mut p = playlists(6);
        // Audio first: the master lists only tracks with fragments.
        for r in audio_records(3) {
            p.push(&r).unwrap();
        }
        let audio_only = p.master().unwrap();
        assert!(audio_only.contains("CODECS=\"mp4a.40.2\"\naudio.m3u8\n"), "{audio_only}");
        for r in video_records(&[1, 2, 3]) {
            p.push(&r).unwrap();
        }
        let text = p.master().unwrap();
        assert!(
            text.contains("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio.m3u8\""),
            "{text}"
        );
        // 50 kB per 2 s is 200 kbit/s, audio 128 kbit/s.
        assert!(
            text.contains("#EXT-X-STREAM-INF:BANDWIDTH=328000,AVERAGE-BANDWIDTH=328000,CODECS=\"avc1.64000a,mp4a.40.2\",RESOLUTION=320x240,FRAME-RATE=30.000,AUDIO=\"audio\"\nvideo.m3u8\n"),
            "{text}"
        );
    }

    #[test]
    fn dynamic_mpd_uses_time_addressing() {
        let mut p = playlists(4);
        for r in video_records(&[1, 2, 4, 5, 6]) {
            p.push(&r).unwrap();
        }
        for r in audio_records(2) {
            p.push(&r).unwrap();
        }
        // The first fragment (video 1, 0-2 s) arrived at T0 + 2.1 s.
        assert_eq!(p.availability_start_ms(), Some(T0 + 100));
        let mpd = p.mpd(T0 + 20_000).unwrap();
        assert!(mpd.contains("type=\"dynamic\""), "{mpd}");
        assert!(mpd.contains("availabilityStartTime=\"2023-11-14T22:13:20.100Z\""), "{mpd}");
        assert!(mpd.contains("publishTime=\"2023-11-14T22:13:40.000Z\""), "{mpd}");
        assert!(mpd.contains("timeShiftBufferDepth=\"PT10S\""), "{mpd}");
        assert!(mpd.contains("suggestedPresentationDelay=\"PT6S\""), "{mpd}");
        assert!(mpd.contains("media=\"video/t$Time$.m4s?v=k1\""), "{mpd}");
        assert!(mpd.contains("initialization=\"video/init.mp4?v=k1\""), "{mpd}");
        // Window of 4: fragments 2, 4, 5, 6; a gap after 2.
        assert!(mpd.contains("<S t=\"180000\" d=\"180000\"/>\n"), "{mpd}");
        assert!(mpd.contains("<S t=\"540000\" d=\"180000\" r=\"2\"/>\n"), "{mpd}");
        assert!(mpd.contains("codecs=\"avc1.64000a\""), "{mpd}");
        assert!(mpd.contains("codecs=\"mp4a.40.2\""), "{mpd}");
        assert!(mpd.contains("frameRate=\"30\""), "{mpd}");
        assert!(mpd.contains("urn:mpeg:dash:utc:direct:2014"), "{mpd}");
        p.set_ended(true);
        let ended = p.mpd(T0 + 20_000).unwrap();
        assert!(ended.contains("type=\"static\""), "{ended}");
        assert!(ended.contains("presentationTimeOffset=\"180000\""), "{ended}");
    }

    #[test]
    fn tracks_cannot_change_once_they_have_fragments() {
        let mut p = playlists(3);
        p.set_track(&name("video"), video_config()).unwrap();
        p.push(&video_records(&[1])[0]).unwrap();
        assert!(p.set_track(&name("video"), video_config()).is_err());
        let mut unknown = video_records(&[2])[0].clone();
        unknown.track = name("other");
        assert!(p.push(&unknown).is_err());
    }

    #[test]
    fn options_are_checked() {
        assert!(StreamPlaylists::new(PlaylistOptions::with_window(0)).is_err());
        let bad_token = PlaylistOptions { cache_token: Some("a b".into()), ..PlaylistOptions::default() };
        assert!(StreamPlaylists::new(bad_token).is_err());
    }
}

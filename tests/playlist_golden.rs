//! Golden-file tests of every playlist kind (HLS VOD, EVENT, live window,
//! discontinuities, multivariant, LL-HLS; DASH on-demand, static template,
//! dynamic timeline), with a fake clock. Every output is also checked by an
//! independent reader written here: a line-by-line HLS grammar checker and
//! an XML well-formedness checker.
//!
//! Regenerate the files in `tests/golden/playlist/` with
//! `UPDATE_GOLDEN=1 cargo test --release --test playlist_golden`. Without
//! that flag a missing golden file is a failure.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use framecast::playlist::dash::{
    AdaptationSet, Addressing, AudioInfo, LiveMpd, MediaInfo, Mpd, MpdKind, Representation, TemplateTiming, UtcTiming,
    VideoInfo,
};
use framecast::playlist::hls::{
    AudioRendition, DeliveryDirectives, LowLatencyOptions, MediaPlaylist, MediaPlaylistOptions, MultivariantPlaylist,
    PdtPlacement, PlaylistKind, PreloadHint, RenditionReport, Variant, Window,
};
use framecast::playlist::{ByteRange, FrameRate, InitSegmentRef, PlaylistPart, Resolution, Segment, Timeline};
use framecast::time::{Timescale, Timestamp};

/// The fake clock: 2023-11-14T22:13:20.000Z.
const T0: i64 = 1_700_000_000_000;
/// 2.002 s at 90 kHz: 60 frames at 30000/1001 fps.
const VIDEO_SEG: u64 = 180_180;
/// One frame at 30000/1001 fps, 90 kHz.
const FRAME: u64 = 3_003;

// ---------------------------------------------------------------- golden

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/playlist")
}

/// Compares `actual` with the golden file `name`, or writes it when
/// `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => panic!(
            "golden file {} cannot be read ({e}); create it with UPDATE_GOLDEN=1 cargo test --release --test playlist_golden",
            path.display()
        ),
    };
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its golden file at line {}:\n  golden: {:?}\n  actual: {:?}\n--- actual output ---\n{actual}",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

// -------------------------------------------------------------- fixtures

/// A deterministic size for segment `n` around `base` bytes.
fn size(n: u64, base: u64) -> u64 {
    base + (n * 7_919 + 13) % (base / 8)
}

fn video_segment(n: u64) -> Segment {
    let mut s = Segment::new(n, (n * VIDEO_SEG) as i64, VIDEO_SEG, format!("video/seg{n}.m4s"));
    s.bytes = Some(size(n, 500_000));
    s
}

/// AAC at 48 kHz, 1024-sample frames, cut at the first frame boundary at
/// or after each video boundary: segments of 93 or 94 frames.
fn audio_timeline(count: u64) -> Timeline {
    let mut t = Timeline::new(Timescale::new(48_000).unwrap());
    t.init = Some(InitSegmentRef::new("audio/init.mp4"));
    let frame_at = |n: u64| (n * VIDEO_SEG * 48_000).div_ceil(90_000 * 1024);
    for n in 0..count {
        let (a, b) = (frame_at(n), frame_at(n + 1));
        let mut s = Segment::new(n + 1, (a * 1024) as i64, (b - a) * 1024, format!("audio/{}.m4s", n + 1));
        s.bytes = Some((b - a) * 372);
        t.segments.push(s);
    }
    t
}

fn video_timeline(count: u64) -> Timeline {
    let mut t = Timeline::new(Timescale::MPEG);
    t.init = Some(InitSegmentRef::new("video/init.mp4"));
    t.segments = (0..count).map(video_segment).collect();
    t
}

fn live_options(window: usize) -> MediaPlaylistOptions {
    MediaPlaylistOptions {
        kind: PlaylistKind::Live(Window::Segments(window)),
        target_duration: Some(2),
        ..Default::default()
    }
}

fn hls_vod() -> String {
    let mut t = video_timeline(5);
    let last = t.segments.last_mut().unwrap();
    last.duration = 30 * FRAME; // a shorter last segment: 1.001 s
    last.bytes = last.bytes.map(|b| b / 2);
    t.segments[0].program_date_time_ms = Some(T0);
    MediaPlaylist::from_timeline(&t, MediaPlaylistOptions::default()).unwrap().render().unwrap()
}

/// One file with byte ranges: the HLS twin of the DASH on-demand MPD.
fn hls_vod_byterange() -> String {
    let mut t = Timeline::new(Timescale::MPEG);
    t.init = Some(InitSegmentRef { uri: "video.mp4".into(), byte_range: Some(ByteRange::new(0, 812)) });
    let mut offset = 812 + 80;
    for n in 0..4 {
        let len = size(n, 500_000);
        let mut s = Segment::new(n, (n * VIDEO_SEG) as i64, VIDEO_SEG, "video.mp4");
        s.byte_range = Some(ByteRange::new(offset, len));
        offset += len;
        t.segments.push(s);
    }
    let options = MediaPlaylistOptions { decimals: 5, program_date_time: PdtPlacement::Off, ..Default::default() };
    MediaPlaylist::from_timeline(&t, options).unwrap().render().unwrap()
}

fn hls_event() -> String {
    let options = MediaPlaylistOptions { kind: PlaylistKind::Event, target_duration: Some(2), ..Default::default() };
    let mut pl = MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("video/init.mp4")), options).unwrap();
    for n in 0..4 {
        let mut s = video_segment(n);
        s.program_date_time_ms = Some(T0 + (n * 2_002) as i64);
        pl.push(s).unwrap();
    }
    pl.render().unwrap()
}

fn hls_event_finished() -> String {
    let options = MediaPlaylistOptions {
        kind: PlaylistKind::Event,
        target_duration: Some(2),
        program_date_time: PdtPlacement::EverySegment,
        ..Default::default()
    };
    let mut pl = MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("video/init.mp4")), options).unwrap();
    for n in 0..3 {
        let mut s = video_segment(n);
        s.program_date_time_ms = (n == 0).then_some(T0);
        pl.push(s).unwrap();
    }
    pl.finish().unwrap();
    pl.render().unwrap()
}

/// Ten segments pushed into a window of four; a wall-clock time on each.
fn hls_live_window() -> String {
    let mut pl =
        MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("video/init.mp4")), live_options(4)).unwrap();
    for n in 0..10 {
        let mut s = video_segment(n);
        s.program_date_time_ms = Some(T0 + (n * 2_002) as i64);
        pl.push(s).unwrap();
    }
    pl.render().unwrap()
}

/// A live stream with a 1.5 s capture gap before segment 4 and an explicit
/// discontinuity (encoder restart) on segment 7, after `pushed` segments
/// into a window of four.
fn hls_live_with_gaps(pushed: u64) -> String {
    let mut pl =
        MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("video/init.mp4")), live_options(4)).unwrap();
    for n in 0..pushed {
        let mut s = video_segment(n);
        if n >= 4 {
            s.start += 135_000;
        }
        if n == 0 {
            s.program_date_time_ms = Some(T0);
        }
        s.discontinuity = n == 7;
        pl.push(s).unwrap();
    }
    pl.render().unwrap()
}

fn variant_bandwidths() -> (framecast::playlist::Bandwidth, framecast::playlist::Bandwidth) {
    let video = video_timeline(6).bandwidth().unwrap();
    let audio = audio_timeline(6).bandwidth().unwrap();
    (video, audio)
}

fn hls_master() -> String {
    let (video, audio) = variant_bandwidths();
    let mut en = AudioRendition::new("aac", "English", "mp4a.40.2", "audio/en.m3u8");
    en.language = Some("en".into());
    en.default = true;
    en.channels = Some(2);
    let mut fr = AudioRendition::new("aac", "Français", "mp4a.40.2", "audio/fr.m3u8");
    fr.language = Some("fr".into());
    fr.channels = Some(2);
    let mut hd = Variant::new("video/720p.m3u8", video.combined(audio), vec!["avc1.64001f".into()]);
    hd.resolution = Some(Resolution::new(1280, 720));
    hd.frame_rate = Some(FrameRate::new(30_000, 1001));
    hd.audio_group = Some("aac".into());
    let half = framecast::playlist::Bandwidth { peak: video.peak / 2, average: video.average / 2 };
    let mut sd = Variant::new("video/360p.m3u8", half.combined(audio), vec!["avc1.42c01e".into()]);
    sd.resolution = Some(Resolution::new(640, 360));
    sd.frame_rate = Some(FrameRate::new(30_000, 1001));
    sd.audio_group = Some("aac".into());
    MultivariantPlaylist { variants: vec![hd, sd], audio: vec![en, fr], ..Default::default() }.render().unwrap()
}

/// LL-HLS: 2 s segments of four 0.5 s parts (byte ranges of the
/// segment's file), 15 segments and 2 parts of the 16th published, in a
/// window of 12; preload hint and an audio rendition report.
fn ll_playlist() -> MediaPlaylist {
    let mut ll = LowLatencyOptions::new(Timestamp::from_millis(500));
    ll.hold_back = Some(Timestamp::from_millis(6_000));
    ll.can_skip_until = Some(Timestamp::from_millis(12_000));
    let options = MediaPlaylistOptions {
        kind: PlaylistKind::Live(Window::Segments(12)),
        target_duration: Some(2),
        low_latency: Some(ll),
        ..Default::default()
    };
    let mut pl = MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("ll/init.mp4")), options).unwrap();
    let part = 45_000u64; // 0.5 s
    for n in 0..16u64 {
        let parts = if n == 15 { 2 } else { 4 };
        for p in 0..parts {
            let mut pt = PlaylistPart::new(format!("ll/seg{n}.m4s"), part, p == 0);
            pt.byte_range = Some(ByteRange::new(p * 60_000, 60_000));
            pl.push_part(n, pt).unwrap();
        }
        if parts == 4 {
            let mut s = Segment::new(n, (n * 4 * part) as i64, 4 * part, format!("ll/seg{n}.m4s"));
            s.program_date_time_ms = (n == 0).then_some(T0);
            pl.push(s).unwrap();
        }
    }
    let mut hint = PreloadHint::new("ll/seg15.m4s");
    hint.byte_range_start = Some(120_000);
    pl.set_preload_hint(Some(hint)).unwrap();
    let audio = RenditionReport { uri: "../audio/ll.m3u8".into(), last_msn: 15, last_part: Some(1) };
    pl.set_rendition_reports(vec![audio]).unwrap();
    pl
}

fn hls_ll() -> String {
    ll_playlist().render().unwrap()
}

fn hls_ll_delta() -> String {
    let pl = ll_playlist();
    // The server side of blocking reload: 15.2 is the next part, so hold.
    let next = DeliveryDirectives::parse_query("_HLS_msn=15&_HLS_part=2").unwrap();
    assert_eq!(pl.blocking_status(&next), framecast::playlist::hls::BlockingStatus::Hold);
    assert!(pl.can_serve(15, Some(1)));
    let directives = DeliveryDirectives::parse_query("?_HLS_msn=15&_HLS_part=2&_HLS_skip=YES").unwrap();
    pl.render_for(&directives).unwrap()
}

fn video_representation(timeline: Timeline, addressing: Addressing) -> Representation {
    Representation {
        id: "v720".into(),
        bandwidth: timeline.bandwidth().unwrap().peak,
        codecs: "avc1.64001f".into(),
        media: MediaInfo::Video(VideoInfo::new(1280, 720, Some(FrameRate::new(30_000, 1001)))),
        timeline,
        addressing,
        presentation_time_offset: 0,
    }
}

fn audio_representation(timeline: Timeline, addressing: Addressing) -> Representation {
    Representation {
        id: "aac".into(),
        bandwidth: timeline.bandwidth().unwrap().peak,
        codecs: "mp4a.40.2".into(),
        media: MediaInfo::Audio(AudioInfo { sampling_rate: 48_000, channels: 2 }),
        timeline,
        addressing,
        presentation_time_offset: 0,
    }
}

fn sets(video: Representation, audio: Representation) -> Vec<AdaptationSet> {
    let mut a = AdaptationSet::new(2, vec![audio]);
    a.lang = Some("en".into());
    vec![AdaptationSet::new(1, vec![video]), a]
}

/// One file per Representation: init at 0, `sidx` after it, then the
/// fragments.
fn on_demand(mut t: Timeline, file: &str, init_len: u64, sidx_len: u64) -> (Timeline, ByteRange) {
    t.init = Some(InitSegmentRef { uri: file.into(), byte_range: Some(ByteRange::new(0, init_len)) });
    let mut offset = init_len + sidx_len;
    for s in &mut t.segments {
        let len = s.bytes.unwrap();
        s.uri = file.into();
        s.byte_range = Some(ByteRange::new(offset, len));
        offset += len;
    }
    (t, ByteRange::new(init_len, sidx_len))
}

fn dash_static_segment_base() -> String {
    let (v, v_sidx) = on_demand(video_timeline(5), "video.mp4", 812, 92);
    let (a, a_sidx) = on_demand(audio_timeline(5), "audio.mp4", 640, 92);
    let mpd = Mpd {
        adaptation_sets: sets(
            video_representation(v, Addressing::SegmentBase { index_range: v_sidx }),
            audio_representation(a, Addressing::SegmentBase { index_range: a_sidx }),
        ),
        ..Default::default()
    };
    mpd.render().unwrap()
}

fn renumbered(mut t: Timeline, dir: &str) -> Timeline {
    for s in &mut t.segments {
        s.uri = format!("{dir}/{:05}.m4s", s.sequence);
    }
    t
}

fn dash_static_template() -> String {
    let mut v = renumbered(video_timeline(5), "video");
    let last = v.segments.last_mut().unwrap();
    last.duration = 30 * FRAME;
    last.bytes = last.bytes.map(|b| b / 2);
    let a = renumbered(audio_timeline(5), "audio");
    let media = |dir: &str| Addressing::SegmentTemplate {
        media: format!("{dir}/$Number%05d$.m4s"),
        timing: TemplateTiming::Timeline,
    };
    let mpd = Mpd {
        adaptation_sets: sets(video_representation(v, media("video")), audio_representation(a, media("audio"))),
        ..Default::default()
    };
    mpd.render().unwrap()
}

fn dash_static_template_duration() -> String {
    let v = renumbered(video_timeline(4), "video");
    let mut a = renumbered(Timeline::new(Timescale::new(48_000).unwrap()), "audio");
    a.init = Some(InitSegmentRef::new("audio/init.mp4"));
    for n in 0..4u64 {
        let mut s = Segment::new(n + 1, (n * 96_000) as i64, 96_000, format!("audio/{:05}.m4s", n + 1));
        s.bytes = Some(32_000);
        a.segments.push(s);
    }
    let media = |dir: &str, d| Addressing::SegmentTemplate {
        media: format!("{dir}/$Number%05d$.m4s"),
        timing: TemplateTiming::Duration(d),
    };
    let mpd = Mpd {
        min_buffer_time: Timestamp::from_millis(1_500),
        adaptation_sets: sets(
            video_representation(v, media("video", VIDEO_SEG)),
            audio_representation(a, media("audio", 96_000)),
        ),
        ..Default::default()
    };
    mpd.render().unwrap()
}

/// Live: 40 segments published (about 80 s since availabilityStartTime),
/// a 30 s time-shift window; video by `$Number$`, audio by `$Time$`.
fn dash_dynamic_timeline() -> String {
    let v = renumbered(video_timeline(40), "video");
    let mut a = audio_timeline(40);
    for s in &mut a.segments {
        s.uri = format!("audio/t{}.m4s", s.start);
    }
    let now = T0 + 40 * 2_002 + 500;
    let mut live = LiveMpd::new(T0, now);
    live.suggested_presentation_delay = Some(Timestamp::from_millis(6_000));
    live.minimum_update_period = Timestamp::from_millis(2_002);
    let mpd = Mpd {
        kind: MpdKind::Dynamic(live),
        adaptation_sets: sets(
            video_representation(
                v,
                Addressing::SegmentTemplate {
                    media: "video/$Number%05d$.m4s".into(),
                    timing: TemplateTiming::Timeline,
                },
            ),
            audio_representation(
                a,
                Addressing::SegmentTemplate { media: "audio/t$Time$.m4s".into(), timing: TemplateTiming::Timeline },
            ),
        ),
        utc_timing: vec![UtcTiming::http_iso("https://time.example/iso?fmt=ms&z=1"), UtcTiming::direct(now).unwrap()],
        ..Default::default()
    };
    mpd.render().unwrap()
}

fn hls_cases() -> Vec<(&'static str, String)> {
    vec![
        ("vod.m3u8", hls_vod()),
        ("vod_byterange.m3u8", hls_vod_byterange()),
        ("event.m3u8", hls_event()),
        ("event_finished.m3u8", hls_event_finished()),
        ("live_window.m3u8", hls_live_window()),
        ("live_discontinuity.m3u8", hls_live_with_gaps(8)),
        ("live_discontinuity_slid_out.m3u8", hls_live_with_gaps(12)),
        ("master.m3u8", hls_master()),
        ("ll.m3u8", hls_ll()),
        ("ll_delta.m3u8", hls_ll_delta()),
    ]
}

fn dash_cases() -> Vec<(&'static str, String)> {
    vec![
        ("dash_static_segment_base.mpd", dash_static_segment_base()),
        ("dash_static_template.mpd", dash_static_template()),
        ("dash_static_template_duration.mpd", dash_static_template_duration()),
        ("dash_dynamic_timeline.mpd", dash_dynamic_timeline()),
    ]
}

// ------------------------------------------------------------ the tests

#[test]
fn hls_vod_golden() {
    golden("vod.m3u8", &hls_vod());
    golden("vod_byterange.m3u8", &hls_vod_byterange());
}

#[test]
fn hls_event_golden() {
    golden("event.m3u8", &hls_event());
    golden("event_finished.m3u8", &hls_event_finished());
}

#[test]
fn hls_live_window_golden() {
    golden("live_window.m3u8", &hls_live_window());
}

#[test]
fn hls_live_discontinuity_golden() {
    let inside = hls_live_with_gaps(8);
    assert!(inside.contains("#EXT-X-DISCONTINUITY\n"));
    golden("live_discontinuity.m3u8", &inside);
    let slid_out = hls_live_with_gaps(12);
    assert!(slid_out.contains("#EXT-X-DISCONTINUITY-SEQUENCE:2\n"));
    golden("live_discontinuity_slid_out.m3u8", &slid_out);
}

#[test]
fn hls_master_golden() {
    golden("master.m3u8", &hls_master());
}

#[test]
fn hls_ll_golden() {
    golden("ll.m3u8", &hls_ll());
    let delta = hls_ll_delta();
    assert!(delta.contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=6\n"));
    golden("ll_delta.m3u8", &delta);
}

#[test]
fn dash_static_segment_base_golden() {
    golden("dash_static_segment_base.mpd", &dash_static_segment_base());
}

#[test]
fn dash_static_template_golden() {
    golden("dash_static_template.mpd", &dash_static_template());
    golden("dash_static_template_duration.mpd", &dash_static_template_duration());
}

#[test]
fn dash_dynamic_timeline_golden() {
    golden("dash_dynamic_timeline.mpd", &dash_dynamic_timeline());
}

#[test]
fn every_golden_file_is_produced() {
    // No stale files: each one in the folder is written by a case here.
    let names: HashSet<&str> = hls_cases().iter().chain(dash_cases().iter()).map(|(n, _)| *n).collect();
    if let Ok(dir) = std::fs::read_dir(golden_dir()) {
        for entry in dir {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(names.contains(name.as_str()), "stale golden file {name}");
        }
    }
}

#[test]
fn hls_outputs_follow_the_grammar() {
    for (name, text) in hls_cases() {
        if let Err(e) = check_hls(&text) {
            panic!("{name}: {e}\n{text}");
        }
    }
}

#[test]
fn mpds_are_well_formed_xml() {
    for (name, text) in dash_cases() {
        let root = match parse_xml(&text) {
            Ok(root) => root,
            Err(e) => panic!("{name}: {e}\n{text}"),
        };
        if let Err(e) = check_mpd(&root) {
            panic!("{name}: {e}\n{text}");
        }
    }
}

#[test]
fn the_checkers_catch_errors() {
    let ok = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:2.499,\na.m4s\n#EXT-X-ENDLIST\n";
    assert_eq!(check_hls(ok), Ok(()));
    for (bad, why) in [
        (ok.replace("2.499", "2.500"), "EXTINF over the target"),
        (ok.replace("URI=\"i.mp4\"", "URI=i.mp4"), "unquoted URI"),
        (ok.replace("URI=\"i.mp4\"", "URI=\"i.mp4"), "unterminated quote"),
        (ok.replace("a.m4s\n", ""), "EXTINF without URI"),
        (ok.replace("#EXT-X-VERSION:7", "#EXT-X-VERSION:5"), "version too low for MAP"),
        (ok.replace("#EXTM3U\n", ""), "no header"),
        (ok.replace("URI=\"i.mp4\"", "URI=\"i.mp4\",URI=\"j.mp4\""), "repeated attribute"),
        (format!("{ok}#EXTINF:1.000,\nb.m4s\n"), "segment after ENDLIST"),
    ] {
        assert!(check_hls(&bad).is_err(), "not caught: {why}");
    }
    assert!(parse_xml("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/></a>\n").is_ok());
    for (bad, why) in [
        ("<a><b></a></b>", "crossed tags"),
        ("<a x=\"1\" x=\"2\"/>", "repeated attribute"),
        ("<a x=\"<\"/>", "raw < in a value"),
        ("<a x=\"&foo;\"/>", "unknown entity"),
        ("<a>&</a>", "raw &"),
        ("<a/><b/>", "two roots"),
        ("<a>", "unclosed"),
        ("<a x=1/>", "unquoted value"),
    ] {
        assert!(parse_xml(bad).is_err(), "not caught: {why}");
    }
}

// ------------------------------------------------- HLS grammar checker

/// A decimal number read exactly, in millionths.
fn micros(s: &str) -> Result<u128, String> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (s.contains('.') && !digits(frac)) || frac.len() > 6 {
        return Err(format!("{s:?} is not a decimal-floating-point"));
    }
    let frac = format!("{frac:0<6}");
    Ok(int.parse::<u128>().map_err(|e| e.to_string())? * 1_000_000 + frac.parse::<u128>().map_err(|e| e.to_string())?)
}

fn integer(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a decimal-integer"));
    }
    s.parse().map_err(|e| format!("{s:?}: {e}"))
}

/// Parses an attribute list (RFC 8216 §4.2) into name → raw value (quotes
/// kept), checking names, quoting and separators.
fn attributes(list: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let mut rest = list;
    loop {
        let eq = rest.find('=').ok_or_else(|| format!("attribute without '=' in {list:?}"))?;
        let name = &rest[..eq];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-') {
            return Err(format!("bad attribute name {name:?}"));
        }
        rest = &rest[eq + 1..];
        let value_len = if let Some(q) = rest.strip_prefix('"') {
            let close = q.find('"').ok_or_else(|| format!("unterminated quoted string in {list:?}"))?;
            close + 2
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let v = &rest[..end];
            if v.is_empty() || v.contains('"') || v.contains(char::is_whitespace) {
                return Err(format!("bad unquoted value {v:?}"));
            }
            end
        };
        let value = &rest[..value_len];
        if out.insert(name.to_string(), value.to_string()).is_some() {
            return Err(format!("attribute {name} repeated"));
        }
        rest = &rest[value_len..];
        if rest.is_empty() {
            return Ok(out);
        }
        rest = rest.strip_prefix(',').ok_or_else(|| format!("expected ',' before {rest:?}"))?;
        if rest.is_empty() {
            return Err("trailing comma".into());
        }
    }
}

/// Checks one attribute's value against the type RFC 8216 gives it.
fn check_attribute(name: &str, value: &str) -> Result<(), String> {
    let quoted = value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
    let inner = if quoted { &value[1..value.len() - 1] } else { value };
    match name {
        "URI" | "GROUP-ID" | "NAME" | "LANGUAGE" | "CODECS" | "AUDIO" | "CHANNELS" | "BYTERANGE" => {
            if !quoted {
                return Err(format!("{name} must be a quoted-string, got {value}"));
            }
            if name == "BYTERANGE" {
                let (n, o) = inner.split_once('@').ok_or("BYTERANGE needs n@o")?;
                integer(n)?;
                integer(o)?;
            }
            if name == "URI" && inner.is_empty() {
                return Err("empty URI".into());
            }
            Ok(())
        }
        "BANDWIDTH" | "AVERAGE-BANDWIDTH" | "LAST-MSN" | "LAST-PART" | "SKIPPED-SEGMENTS" | "BYTERANGE-START"
        | "BYTERANGE-LENGTH" => integer(value).map(|_| ()),
        "FRAME-RATE" | "DURATION" | "PART-TARGET" | "PART-HOLD-BACK" | "HOLD-BACK" | "CAN-SKIP-UNTIL" => {
            micros(value).map(|_| ())
        }
        "DEFAULT" | "AUTOSELECT" | "INDEPENDENT" | "CAN-BLOCK-RELOAD" => match value {
            "YES" | "NO" => Ok(()),
            _ => Err(format!("{name} must be YES or NO, got {value}")),
        },
        "TYPE" => match value {
            "AUDIO" | "VIDEO" | "SUBTITLES" | "CLOSED-CAPTIONS" | "PART" | "MAP" => Ok(()),
            _ => Err(format!("bad TYPE {value}")),
        },
        "RESOLUTION" => {
            let (w, h) = value.split_once('x').ok_or("RESOLUTION needs WxH")?;
            integer(w)?;
            integer(h)?;
            Ok(())
        }
        _ => Err(format!("unexpected attribute {name}")),
    }
}

fn require(attrs: &BTreeMap<String, String>, tag: &str, names: &[&str]) -> Result<(), String> {
    for n in names {
        if !attrs.contains_key(*n) {
            return Err(format!("{tag} lacks {n}"));
        }
    }
    Ok(())
}

fn unquote(v: &str) -> &str {
    v.trim_matches('"')
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn check_date_time(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ".as_bytes();
    let ok = b.len() == shape.len()
        && b.iter().zip(shape).all(|(c, p)| if *p == b'd' { c.is_ascii_digit() } else { c == p });
    if ok {
        Ok(())
    } else {
        Err(format!("bad date-time {s:?}"))
    }
}

/// Reads a media or multivariant playlist line by line and checks the tag
/// grammar and the rules this writer must keep.
fn check_hls(text: &str) -> Result<(), String> {
    if !text.ends_with('\n') {
        return Err("no final newline".into());
    }
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "#EXTM3U")) => {}
        _ => return Err("first line is not #EXTM3U".into()),
    }
    let mut once: HashSet<String> = HashSet::new();
    let mut version = 1u64;
    let mut target: Option<u64> = None;
    let mut part_target: Option<u128> = None;
    let mut part_hold_back: Option<u128> = None;
    let mut pending_extinf = false;
    let mut pending_stream_inf = false;
    let mut segments = 0usize;
    let mut ended = false;
    let mut has_map = false;
    let mut has_skip = false;
    let mut groups: HashSet<String> = HashSet::new();
    let mut used_groups: Vec<String> = Vec::new();
    let mut is_master = false;
    let mut is_media = false;
    for (n, line) in lines {
        let at = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if line.is_empty() || line.trim() != line {
            return Err(at("blank line or surrounding white space".into()));
        }
        if ended {
            return Err(at("content after EXT-X-ENDLIST".into()));
        }
        if !line.starts_with('#') {
            if !(pending_extinf || pending_stream_inf) {
                return Err(at("URI line without EXTINF or EXT-X-STREAM-INF".into()));
            }
            pending_extinf = false;
            pending_stream_inf = false;
            segments += 1;
            continue;
        }
        if !line.starts_with("#EXT") {
            return Err(at("comment lines are not expected".into()));
        }
        let (tag, value) = match line.split_once(':') {
            Some((t, v)) => (t, Some(v)),
            None => (line, None),
        };
        if pending_stream_inf {
            return Err(at("EXT-X-STREAM-INF must be followed by its URI".into()));
        }
        let header = matches!(
            tag,
            "#EXT-X-VERSION"
                | "#EXT-X-TARGETDURATION"
                | "#EXT-X-MEDIA-SEQUENCE"
                | "#EXT-X-DISCONTINUITY-SEQUENCE"
                | "#EXT-X-PLAYLIST-TYPE"
                | "#EXT-X-SERVER-CONTROL"
                | "#EXT-X-PART-INF"
                | "#EXT-X-INDEPENDENT-SEGMENTS"
                | "#EXT-X-SKIP"
        );
        if header {
            if !once.insert(tag.to_string()) {
                return Err(at("tag repeated".into()));
            }
            if segments > 0 || pending_extinf {
                return Err(at("playlist tag after the first segment".into()));
            }
        }
        let attrs = |v: Option<&str>| -> Result<BTreeMap<String, String>, String> {
            let a = attributes(v.ok_or("missing attribute list")?)?;
            for (k, v) in &a {
                check_attribute(k, v)?;
            }
            Ok(a)
        };
        match tag {
            "#EXT-X-VERSION" => version = integer(value.unwrap_or_default()).map_err(at)?,
            "#EXT-X-TARGETDURATION" => {
                is_media = true;
                target = Some(integer(value.unwrap_or_default()).map_err(at)?)
            }
            "#EXT-X-MEDIA-SEQUENCE" | "#EXT-X-DISCONTINUITY-SEQUENCE" => {
                integer(value.unwrap_or_default()).map_err(at)?;
            }
            "#EXT-X-PLAYLIST-TYPE" => {
                if !matches!(value, Some("VOD") | Some("EVENT")) {
                    return Err(at("bad playlist type".into()));
                }
            }
            "#EXT-X-INDEPENDENT-SEGMENTS" | "#EXT-X-DISCONTINUITY" | "#EXT-X-GAP" => {
                if value.is_some() {
                    return Err(at("tag takes no value".into()));
                }
            }
            "#EXT-X-ENDLIST" => {
                if pending_extinf {
                    return Err(at("EXTINF without URI".into()));
                }
                ended = true;
            }
            "#EXT-X-PROGRAM-DATE-TIME" => check_date_time(value.unwrap_or_default()).map_err(at)?,
            "#EXTINF" => {
                let v = value.ok_or_else(|| at("EXTINF without duration".into()))?;
                let (d, _title) = v.split_once(',').ok_or_else(|| at("EXTINF without comma".into()))?;
                let d = micros(d).map_err(at)?;
                let t = target.ok_or_else(|| at("EXTINF before EXT-X-TARGETDURATION".into()))?;
                let rounded = (d + 500_000) / 1_000_000;
                if rounded > t as u128 {
                    return Err(at(format!("EXTINF rounds to {rounded} s, over the target duration {t} s")));
                }
                if pending_extinf {
                    return Err(at("two EXTINF without URI".into()));
                }
                pending_extinf = true;
            }
            "#EXT-X-BYTERANGE" => {
                let (n, o) = value.unwrap_or_default().split_once('@').ok_or_else(|| at("needs n@o".into()))?;
                integer(n).map_err(at)?;
                integer(o).map_err(at)?;
                if !pending_extinf {
                    return Err(at("BYTERANGE outside a segment".into()));
                }
            }
            "#EXT-X-MAP" => {
                let a = attrs(value).map_err(at)?;
                require(&a, tag, &["URI"]).map_err(at)?;
                has_map = true;
            }
            "#EXT-X-SERVER-CONTROL" => {
                let a = attrs(value).map_err(at)?;
                if let Some(phb) = a.get("PART-HOLD-BACK") {
                    part_hold_back = Some(micros(phb).map_err(at)?);
                }
            }
            "#EXT-X-PART-INF" => {
                let a = attrs(value).map_err(at)?;
                require(&a, tag, &["PART-TARGET"]).map_err(at)?;
                part_target = Some(micros(&a["PART-TARGET"]).map_err(at)?);
            }
            "#EXT-X-PART" => {
                let a = attrs(value).map_err(at)?;
                require(&a, tag, &["DURATION", "URI"]).map_err(at)?;
                let pt = part_target.ok_or_else(|| at("EXT-X-PART without EXT-X-PART-INF".into()))?;
                if micros(&a["DURATION"]).map_err(at)? > pt {
                    return Err(at("part longer than PART-TARGET".into()));
                }
            }
            "#EXT-X-PRELOAD-HINT" => {
                let a = attrs(value).map_err(at)?;
                require(&a, tag, &["TYPE", "URI"]).map_err(at)?;
            }
            "#EXT-X-RENDITION-REPORT" => {
                let a = attrs(value).map_err(at)?;
                require(&a, tag, &["URI", "LAST-MSN"]).map_err(at)?;
            }
            "#EXT-X-SKIP" => {
                let a = attrs(value).map_err(at)?;
                require(&a, tag, &["SKIPPED-SEGMENTS"]).map_err(at)?;
                has_skip = true;
            }
            "#EXT-X-MEDIA" => {
                is_master = true;
                let a = attrs(value).map_err(at)?;
                require(&a, tag, &["TYPE", "GROUP-ID", "NAME"]).map_err(at)?;
                if a.get("DEFAULT").map(String::as_str) == Some("YES")
                    && a.get("AUTOSELECT").map(String::as_str) == Some("NO")
                {
                    return Err(at("DEFAULT=YES needs AUTOSELECT=YES".into()));
                }
                groups.insert(unquote(&a["GROUP-ID"]).to_string());
            }
            "#EXT-X-STREAM-INF" => {
                is_master = true;
                let a = attrs(value).map_err(at)?;
                require(&a, tag, &["BANDWIDTH", "CODECS"]).map_err(at)?;
                if let Some(avg) = a.get("AVERAGE-BANDWIDTH") {
                    if integer(avg).map_err(at)? > integer(&a["BANDWIDTH"]).map_err(at)? {
                        return Err(at("AVERAGE-BANDWIDTH above BANDWIDTH".into()));
                    }
                }
                if let Some(g) = a.get("AUDIO") {
                    used_groups.push(unquote(g).to_string());
                }
                pending_stream_inf = true;
            }
            _ => return Err(at(format!("unknown tag {tag}"))),
        }
    }
    if pending_extinf || pending_stream_inf {
        return Err("last tag has no URI".into());
    }
    if is_master == is_media {
        return Err("neither or both of a media and a multivariant playlist".into());
    }
    if is_media && target.is_none() {
        return Err("no EXT-X-TARGETDURATION".into());
    }
    if has_map && version < 6 {
        return Err(format!("EXT-X-MAP needs EXT-X-VERSION 6, got {version}"));
    }
    if has_skip && version < 9 {
        return Err(format!("EXT-X-SKIP needs EXT-X-VERSION 9, got {version}"));
    }
    if let (Some(pt), Some(phb)) = (part_target, part_hold_back) {
        if phb < 2 * pt {
            return Err("PART-HOLD-BACK below twice PART-TARGET".into());
        }
    }
    for g in used_groups {
        if !groups.contains(&g) {
            return Err(format!("AUDIO group {g} is not declared"));
        }
    }
    Ok(())
}

// ------------------------------------------------ XML checker for MPDs

#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn walk<'a>(&'a self, out: &mut Vec<&'a Element>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.'
}

/// Replaces entity and character references, refusing unknown ones and raw
/// `<` or `&`.
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '<']) {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with('<') {
            return Err(format!("raw '<' in {raw:?}"));
        }
        let end = rest[i..].find(';').ok_or_else(|| format!("raw '&' in {raw:?}"))?;
        let entity = &rest[i + 1..i + end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e if e.starts_with("#x") => {
                u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32).ok_or(format!("bad reference &{e};"))?
            }
            e if e.starts_with('#') => {
                e[1..].parse().ok().and_then(char::from_u32).ok_or(format!("bad reference &{e};"))?
            }
            e => return Err(format!("unknown entity &{e};")),
        };
        out.push(c);
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A small XML 1.0 reader for what an MPD uses: an optional declaration,
/// elements, attributes, text and references (no DTD, CDATA or comments).
/// Returns the root element.
fn parse_xml(text: &str) -> Result<Element, String> {
    let mut rest = text;
    if let Some(after) = rest.strip_prefix("<?xml") {
        let end = after.find("?>").ok_or("unterminated XML declaration")?;
        rest = &after[end + 2..];
    }
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let lt = rest.find('<').unwrap_or(rest.len());
        let chunk = &rest[..lt];
        let chunk_text = unescape(chunk)?;
        match stack.last_mut() {
            Some(top) => top.text.push_str(&chunk_text),
            None if !chunk.trim().is_empty() => return Err(format!("text outside the root: {chunk:?}")),
            None => {}
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        if root.is_some() {
            return Err("content after the root element".into());
        }
        if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').ok_or("unterminated end tag")?;
            let name = after[..end].trim_end();
            let el = stack.pop().ok_or_else(|| format!("end tag </{name}> without start"))?;
            if el.name != name {
                return Err(format!("</{name}> closes <{}>", el.name));
            }
            rest = &after[end + 1..];
            match stack.last_mut() {
                Some(parent) => parent.children.push(el),
                None => root = Some(el),
            }
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            return Err("comments, DTDs, CDATA and processing instructions are not expected".into());
        }
        // A start tag.
        let mut s = &rest[1..];
        let name_len = s.find(|c: char| !is_name_char(c)).unwrap_or(s.len());
        let name = &s[..name_len];
        if !name.starts_with(is_name_start) {
            return Err(format!("bad element name at {:?}", &rest[..rest.len().min(20)]));
        }
        let mut el = Element { name: name.to_string(), ..Default::default() };
        s = &s[name_len..];
        let self_closing;
        loop {
            let trimmed = s.trim_start();
            let had_space = trimmed.len() < s.len();
            s = trimmed;
            if let Some(after) = s.strip_prefix("/>") {
                self_closing = true;
                s = after;
                break;
            }
            if let Some(after) = s.strip_prefix('>') {
                self_closing = false;
                s = after;
                break;
            }
            if !had_space {
                return Err(format!("attributes of <{name}> must be separated by white space"));
            }
            let an_len = s.find(|c: char| !is_name_char(c)).unwrap_or(s.len());
            let an = &s[..an_len];
            if !an.starts_with(is_name_start) {
                return Err(format!("bad attribute name in <{name}>"));
            }
            s = s[an_len..]
                .trim_start()
                .strip_prefix('=')
                .ok_or_else(|| format!("attribute {an} of <{name}> has no '='"))?
                .trim_start();
            let quote = s
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'')
                .ok_or_else(|| format!("attribute {an} of <{name}> is not quoted"))?;
            let close = s[1..].find(quote).ok_or_else(|| format!("unterminated value of {an}"))?;
            let value = unescape(&s[1..1 + close])?;
            if el.attrs.iter().any(|(k, _)| k == an) {
                return Err(format!("attribute {an} repeated in <{name}>"));
            }
            el.attrs.push((an.to_string(), value));
            s = &s[close + 2..];
        }
        rest = s;
        if self_closing {
            match stack.last_mut() {
                Some(parent) => parent.children.push(el),
                None => root = Some(el),
            }
        } else {
            stack.push(el);
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{}> is never closed", open.name));
    }
    root.ok_or_else(|| "no root element".into())
}

/// `PT[nH][nM][n[.n]S]` with at least one component.
fn check_xs_duration(s: &str) -> Result<(), String> {
    let body = s.strip_prefix("PT").ok_or_else(|| format!("bad xs:duration {s:?}"))?;
    let mut rest = body;
    let mut parts = 0;
    for unit in ['H', 'M', 'S'] {
        if let Some(i) = rest.find(unit) {
            let n = &rest[..i];
            if unit == 'S' {
                micros(n)?;
            } else {
                integer(n)?;
            }
            rest = &rest[i + 1..];
            parts += 1;
        }
    }
    if parts == 0 || !rest.is_empty() {
        return Err(format!("bad xs:duration {s:?}"));
    }
    Ok(())
}

/// MPD structure: the attributes players need, in the forms the schema
/// gives them.
fn check_mpd(root: &Element) -> Result<(), String> {
    if root.name != "MPD" || root.attr("xmlns") != Some("urn:mpeg:dash:schema:mpd:2011") {
        return Err("root is not an MPD in the 2011 namespace".into());
    }
    let dynamic = match root.attr("type") {
        Some("static") => {
            check_xs_duration(
                root.attr("mediaPresentationDuration").ok_or("static MPD without mediaPresentationDuration")?,
            )?;
            false
        }
        Some("dynamic") => {
            for a in ["availabilityStartTime", "publishTime"] {
                check_date_time(root.attr(a).ok_or(format!("dynamic MPD without {a}"))?)?;
            }
            for a in ["minimumUpdatePeriod", "timeShiftBufferDepth"] {
                check_xs_duration(root.attr(a).ok_or(format!("dynamic MPD without {a}"))?)?;
            }
            true
        }
        _ => return Err("MPD@type must be static or dynamic".into()),
    };
    check_xs_duration(root.attr("minBufferTime").ok_or("no minBufferTime")?)?;
    let mut all = Vec::new();
    root.walk(&mut all);
    let mut ids = HashSet::new();
    for el in all {
        match el.name.as_str() {
            "Representation" => {
                for a in ["id", "bandwidth", "codecs"] {
                    el.attr(a).ok_or(format!("Representation without {a}"))?;
                }
                if !ids.insert(el.attr("id").unwrap_or_default().to_string()) {
                    return Err("Representation ids repeat".into());
                }
                integer(el.attr("bandwidth").unwrap_or_default())?;
                let has_base = el.children.iter().any(|c| c.name == "SegmentBase");
                let has_template = el.children.iter().any(|c| c.name == "SegmentTemplate");
                if has_base == has_template {
                    return Err("a Representation needs exactly one of SegmentBase and SegmentTemplate".into());
                }
                if dynamic && has_base {
                    return Err("SegmentBase in a dynamic MPD".into());
                }
            }
            "SegmentTemplate" => {
                for a in ["timescale", "initialization", "media"] {
                    el.attr(a).ok_or(format!("SegmentTemplate without {a}"))?;
                }
                let timeline = el.children.iter().any(|c| c.name == "SegmentTimeline");
                if timeline == el.attr("duration").is_some() {
                    return Err("SegmentTemplate needs exactly one of SegmentTimeline and @duration".into());
                }
                if dynamic && !timeline {
                    return Err("dynamic MPDs here always use SegmentTimeline".into());
                }
            }
            "SegmentTimeline" => {
                let first = el.children.first().ok_or("empty SegmentTimeline")?;
                first.attr("t").ok_or("the first S has no @t")?;
                for s in &el.children {
                    if s.name != "S" {
                        return Err(format!("<{}> in a SegmentTimeline", s.name));
                    }
                    integer(s.attr("d").ok_or("S without @d")?)?;
                }
            }
            "SegmentBase" => {
                let r = el.attr("indexRange").ok_or("SegmentBase without indexRange")?;
                let (a, b) = r.split_once('-').ok_or("bad indexRange")?;
                if integer(a)? > integer(b)? {
                    return Err("reversed indexRange".into());
                }
                el.children
                    .iter()
                    .find(|c| c.name == "Initialization")
                    .and_then(|c| c.attr("range"))
                    .ok_or("SegmentBase without Initialization@range")?;
            }
            "AudioChannelConfiguration"
                if el.attr("schemeIdUri") != Some("urn:mpeg:dash:23003:3:audio_channel_configuration:2011") =>
            {
                return Err("unexpected AudioChannelConfiguration scheme".into());
            }
            _ => {}
        }
    }
    Ok(())
}

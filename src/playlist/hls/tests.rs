//! Unit tests of the HLS writers.

use super::*;
use crate::playlist::{
    Bandwidth, DirectiveError, FrameRate, InitSegmentRef, PlaylistError, PlaylistPart, Resolution, Segment, Timeline,
};
use crate::time::{Timescale, Timestamp};
use crate::xorshift::XorShift;

const T0: i64 = 1_700_000_000_000;
const S: u64 = 90_000; // one second at 90 kHz

fn seg(n: u64, secs: u64) -> Segment {
    Segment::new(n, (n * secs * S) as i64, secs * S, format!("seg{n}.m4s"))
}

fn live(window: usize) -> MediaPlaylist {
    let options = MediaPlaylistOptions {
        kind: PlaylistKind::Live(Window::Segments(window)),
        target_duration: Some(2),
        ..Default::default()
    };
    MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("init.mp4")), options).unwrap()
}

fn ll(part_ms: i64) -> MediaPlaylist {
    let options = MediaPlaylistOptions {
        kind: PlaylistKind::Live(Window::Segments(6)),
        target_duration: Some(2),
        low_latency: Some(LowLatencyOptions::new(Timestamp::from_millis(part_ms))),
        ..Default::default()
    };
    MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("init.mp4")), options).unwrap()
}

#[test]
fn vod_has_type_and_endlist() {
    let mut t = Timeline::new(Timescale::MPEG);
    t.init = Some(InitSegmentRef::new("init.mp4"));
    t.segments = (0..3).map(|n| seg(n, 2)).collect();
    t.segments[2].duration = 135_000; // 1.5 s
    let text = MediaPlaylist::from_timeline(&t, MediaPlaylistOptions::default()).unwrap().render().unwrap();
    assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n"));
    assert!(text.contains("#EXT-X-PLAYLIST-TYPE:VOD\n"));
    assert!(text.contains("#EXT-X-MAP:URI=\"init.mp4\"\n"));
    assert!(text.contains("#EXTINF:1.500,\nseg2.m4s\n"));
    assert!(text.ends_with("#EXT-X-ENDLIST\n"));
}

#[test]
fn vod_needs_segments() {
    let t = Timeline::new(Timescale::MPEG);
    let pl = MediaPlaylist::from_timeline(&t, MediaPlaylistOptions::default()).unwrap();
    assert_eq!(pl.render(), Err(PlaylistError::NoSegments));
}

#[test]
fn target_duration_follows_written_extinf() {
    // 2.4996 s: EXTINF "2.500" rounds to 3, though 2.4996 rounds to 2.
    let mut pl = MediaPlaylist::new(Timescale::new(10_000).unwrap(), None, MediaPlaylistOptions::default()).unwrap();
    pl.push(Segment::new(0, 0, 24_996, "a.ts")).unwrap();
    assert_eq!(pl.target_duration(), 3);
    let text = pl.render().unwrap();
    assert!(text.contains("#EXT-X-TARGETDURATION:3\n"));
    assert!(text.contains("#EXTINF:2.500,\n"));
    // 2.49949 s is written 2.499 and rounds to 2.
    let mut pl = MediaPlaylist::new(Timescale::new(100_000).unwrap(), None, MediaPlaylistOptions::default()).unwrap();
    pl.push(Segment::new(0, 0, 249_949, "a.ts")).unwrap();
    assert_eq!(pl.target_duration(), 2);
}

#[test]
fn configured_target_refuses_long_segments() {
    let mut pl = live(3);
    let err = pl.push(seg(0, 3)).unwrap_err();
    assert_eq!(err, PlaylistError::SegmentExceedsTarget { sequence: 0, rounded_seconds: 3, target_seconds: 2 });
    // 2.4 s rounds to 2: accepted.
    pl.push(Segment::new(0, 0, 216_000, "a.m4s")).unwrap();
}

#[test]
fn push_checks_order_and_leaves_state_alone() {
    let mut pl = live(3);
    pl.push(seg(0, 2)).unwrap();
    assert_eq!(pl.push(seg(0, 2)), Err(PlaylistError::DuplicateSequence { sequence: 0 }));
    assert_eq!(pl.push(seg(2, 2)), Err(PlaylistError::NonConsecutiveSequence { expected: 1, found: 2 }));
    let mut back = seg(1, 2);
    back.start = 10;
    assert!(matches!(pl.push(back), Err(PlaylistError::StartBeforePreviousEnd { .. })));
    let mut bad = seg(1, 2);
    bad.uri = "#oops".into();
    assert!(matches!(pl.push(bad), Err(PlaylistError::InvalidText { field: "segment.uri", .. })));
    assert_eq!(pl.segments().count(), 1);
    pl.push(seg(1, 2)).unwrap();
    pl.finish().unwrap();
    assert_eq!(pl.push(seg(2, 2)), Err(PlaylistError::Finished));
}

#[test]
fn sliding_window_counts_discontinuities() {
    let mut pl = live(3);
    let mut evicted = Vec::new();
    for n in 0..8u64 {
        let mut s = seg(n, 2);
        if n >= 3 {
            s.start += 90_000; // a one-second gap before segment 3
        }
        evicted.extend(pl.push(s).unwrap().into_iter().map(|s| s.sequence));
    }
    assert_eq!(evicted, vec![0, 1, 2, 3, 4]);
    assert_eq!(pl.media_sequence(), 5);
    assert_eq!(pl.discontinuity_sequence(), 1);
    let text = pl.render().unwrap();
    assert!(text.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"));
    assert!(!text.contains("#EXT-X-DISCONTINUITY\n"));
    assert!(!text.contains("ENDLIST"));
    assert!(!text.contains("PLAYLIST-TYPE"));
}

#[test]
fn window_keeps_three_target_durations() {
    let mut pl = live(1);
    for n in 0..6 {
        pl.push(seg(n, 1)).unwrap(); // 1 s segments, target 2 s: keep 6 s
    }
    assert_eq!(pl.segments().count(), 6);
    pl.push(seg(6, 1)).unwrap();
    assert_eq!(pl.media_sequence(), 1);
    // A duration window.
    let options = MediaPlaylistOptions {
        kind: PlaylistKind::Live(Window::Duration(Timestamp::from_millis(9_000))),
        target_duration: Some(2),
        ..Default::default()
    };
    let mut pl = MediaPlaylist::new(Timescale::MPEG, None, options).unwrap();
    for n in 0..10 {
        pl.push(seg(n, 2)).unwrap();
    }
    assert_eq!(pl.segments().count(), 5); // 10 s >= 9 s, 8 s would not be
}

#[test]
fn program_date_time_sparse_and_every() {
    let mut pl = live(10);
    for n in 0..4u64 {
        let mut s = seg(n, 2);
        if n == 0 {
            s.program_date_time_ms = Some(T0);
        }
        if n == 2 {
            s.program_date_time_ms = Some(T0 + 4_000); // as extrapolated: no tag
        }
        if n == 3 {
            s.program_date_time_ms = Some(T0 + 6_500); // drift: tag
        }
        pl.push(s).unwrap();
    }
    let text = pl.render().unwrap();
    let tags: Vec<&str> = text.lines().filter(|l| l.starts_with("#EXT-X-PROGRAM-DATE-TIME")).collect();
    assert_eq!(
        tags,
        vec!["#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z", "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:26.500Z"]
    );
    pl.options.program_date_time = PdtPlacement::EverySegment;
    assert_eq!(pl.render().unwrap().matches("#EXT-X-PROGRAM-DATE-TIME").count(), 4);
    pl.options.program_date_time = PdtPlacement::Off;
    assert_eq!(pl.render().unwrap().matches("#EXT-X-PROGRAM-DATE-TIME").count(), 0);
}

#[test]
fn program_date_time_after_gap_is_extrapolated_across_it() {
    let mut pl = live(10);
    let mut s = seg(0, 2);
    s.program_date_time_ms = Some(T0);
    pl.push(s).unwrap();
    let mut s = seg(1, 2);
    s.start += 45_000; // half a second gap
    pl.push(s).unwrap();
    let text = pl.render().unwrap();
    assert!(text.contains("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:22.500Z\n"));
}

#[test]
fn date_out_of_range_is_refused() {
    let mut pl = live(3);
    let mut s = seg(0, 2);
    s.program_date_time_ms = Some(i64::MAX);
    assert!(matches!(pl.push(s), Err(PlaylistError::DateOutOfRange { .. })));
}

#[test]
fn options_are_checked() {
    let bad = |o: MediaPlaylistOptions| MediaPlaylist::new(Timescale::MPEG, None, o).unwrap_err();
    let base = MediaPlaylistOptions::default();
    assert!(matches!(
        bad(MediaPlaylistOptions { decimals: 2, ..base }),
        PlaylistError::InvalidOption { field: "options.decimals", .. }
    ));
    assert!(matches!(
        bad(MediaPlaylistOptions { target_duration: Some(0), ..base }),
        PlaylistError::InvalidOption { .. }
    ));
    let ll = Some(LowLatencyOptions::new(Timestamp::from_millis(500)));
    assert!(matches!(
        bad(MediaPlaylistOptions { low_latency: ll, ..base }),
        PlaylistError::InvalidOption { field: "options.low_latency", .. }
    ));
    let live = PlaylistKind::Live(Window::Segments(3));
    assert!(matches!(
        bad(MediaPlaylistOptions { kind: live, low_latency: ll, ..base }),
        PlaylistError::InvalidOption { field: "options.target_duration", .. }
    ));
    let mut llo = LowLatencyOptions::new(Timestamp::from_millis(500));
    llo.part_hold_back = Some(Timestamp::from_millis(900));
    assert!(matches!(
        bad(MediaPlaylistOptions { kind: live, target_duration: Some(2), low_latency: Some(llo), ..base }),
        PlaylistError::InvalidOption { field: "options.low_latency.part_hold_back", .. }
    ));
    let mut llo = LowLatencyOptions::new(Timestamp::from_millis(500));
    llo.can_skip_until = Some(Timestamp::from_millis(11_999));
    assert!(matches!(
        bad(MediaPlaylistOptions { kind: live, target_duration: Some(2), low_latency: Some(llo), ..base }),
        PlaylistError::InvalidOption { field: "options.low_latency.can_skip_until", .. }
    ));
    assert!(matches!(
        bad(MediaPlaylistOptions { kind: PlaylistKind::Live(Window::Segments(0)), ..base }),
        PlaylistError::InvalidOption { field: "options.kind.window", .. }
    ));
}

/// Publishes parts `parts` (0.5 s each, the first independent) of
/// segment `n`, and completes it (2 s) after part 3.
fn push_ll_segment(pl: &mut MediaPlaylist, n: u64, parts: std::ops::Range<usize>) {
    for p in parts {
        pl.push_part(n, PlaylistPart::new(format!("seg{n}.{p}.m4s"), 45_000, p == 0)).unwrap();
        if p == 3 {
            pl.push(seg(n, 2)).unwrap();
        }
    }
}

#[test]
fn ll_parts_hint_and_retention() {
    let mut pl = ll(500);
    for n in 0..6 {
        push_ll_segment(&mut pl, n, 0..4);
    }
    push_ll_segment(&mut pl, 6, 0..2);
    pl.set_preload_hint(Some(PreloadHint::new("seg6.2.m4s"))).unwrap();
    let text = pl.render().unwrap();
    assert!(text.contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500\n"));
    assert!(text.contains("#EXT-X-PART-INF:PART-TARGET=0.500\n"));
    assert!(text
        .contains("#EXT-X-PART:DURATION=0.500,URI=\"seg6.1.m4s\"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg6.2.m4s\"\n"));
    assert!(text.contains("#EXT-X-PART:DURATION=0.500,URI=\"seg6.0.m4s\",INDEPENDENT=YES\n"));
    // Edge at 13 s, parts kept for segments ending after 7 s: 3, 4, 5.
    assert!(!text.contains("seg2.3.m4s"));
    assert!(text.contains("seg3.0.m4s"));
    assert!(text.contains("seg5.3.m4s"));
    // Pushing a part clears the hint.
    pl.push_part(6, PlaylistPart::new("seg6.2.m4s", 45_000, false)).unwrap();
    assert!(!pl.render().unwrap().contains("PRELOAD-HINT"));
}

#[test]
fn ll_part_checks() {
    let mut pl = ll(500);
    assert_eq!(
        pl.push_part(0, PlaylistPart::new("a", 45_001, true)),
        Err(PlaylistError::PartExceedsTarget { sequence: 0, part: 0 })
    );
    assert_eq!(
        pl.push_part(0, PlaylistPart::new("a", 0, true)),
        Err(PlaylistError::ZeroDuration { sequence: 0, part: Some(0) })
    );
    pl.push_part(0, PlaylistPart::new("a", 45_000, true)).unwrap();
    assert_eq!(
        pl.push_part(1, PlaylistPart::new("b", 45_000, true)),
        Err(PlaylistError::NonConsecutiveSequence { expected: 0, found: 1 })
    );
    assert_eq!(pl.finish(), Err(PlaylistError::IncompleteSegment { sequence: 0 }));
    // Completing with a wrong duration fails: parts last 0.5 s.
    assert!(matches!(pl.push(seg(0, 2)), Err(PlaylistError::PartsDurationMismatch { .. })));
    let mut s = seg(0, 2);
    s.duration = 45_000;
    pl.push(s).unwrap();
    assert_eq!(pl.segments().next().unwrap().parts.len(), 1);
    let mut plain = live(3);
    assert!(matches!(plain.push_part(0, PlaylistPart::new("a", 1, true)), Err(PlaylistError::InvalidOption { .. })));
}

#[test]
fn blocking_reload_positions() {
    let mut pl = ll(500);
    assert_eq!(pl.next_position(), None);
    assert!(!pl.can_serve(0, None));
    push_ll_segment(&mut pl, 0, 0..4);
    push_ll_segment(&mut pl, 1, 0..2);
    assert_eq!(pl.last_position(), Some(Position { msn: 1, part: Some(1) }));
    assert_eq!(pl.next_position(), Some(Position { msn: 1, part: Some(2) }));
    assert!(pl.can_serve(0, None));
    assert!(pl.can_serve(0, Some(3)));
    assert!(pl.can_serve(0, Some(7))); // past the end of 0: satisfied by 1.0
    assert!(pl.can_serve(1, Some(1)));
    assert!(!pl.can_serve(1, Some(2)));
    assert!(!pl.can_serve(1, None));
    let d = |msn, part| DeliveryDirectives { msn: Some(msn), part, skip: None };
    assert_eq!(pl.blocking_status(&d(1, Some(2))), BlockingStatus::Hold);
    assert_eq!(pl.blocking_status(&d(2, Some(0))), BlockingStatus::Hold);
    assert_eq!(pl.blocking_status(&d(1, Some(8))), BlockingStatus::BadRequest); // 6 parts = 3 s ahead
    assert_eq!(pl.blocking_status(&d(1, Some(7))), BlockingStatus::Hold);
    assert_eq!(pl.blocking_status(&d(3, None)), BlockingStatus::BadRequest);
    assert_eq!(pl.blocking_status(&d(2, None)), BlockingStatus::Hold);
    assert_eq!(pl.blocking_status(&DeliveryDirectives::default()), BlockingStatus::Ready);
    push_ll_segment(&mut pl, 1, 2..4);
    assert!(pl.can_serve(1, None));
    assert!(!pl.can_serve(1, Some(4))); // waits for 2.0
    assert_eq!(pl.next_position(), Some(Position { msn: 2, part: Some(0) }));
    assert_eq!(
        pl.rendition_report("a.m3u8").unwrap(),
        RenditionReport { uri: "a.m3u8".into(), last_msn: 1, last_part: Some(3) }
    );
    pl.finish().unwrap();
    assert!(pl.can_serve(100, Some(0)));
}

#[test]
fn delta_updates_skip_old_segments() {
    let mut llo = LowLatencyOptions::new(Timestamp::from_millis(500));
    llo.can_skip_until = Some(Timestamp::from_millis(12_000));
    let options = MediaPlaylistOptions {
        kind: PlaylistKind::Live(Window::Segments(10)),
        target_duration: Some(2),
        low_latency: Some(llo),
        ..Default::default()
    };
    let mut pl = MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("init.mp4")), options).unwrap();
    for n in 0..10 {
        let mut s = seg(n, 2);
        s.program_date_time_ms = (n == 0).then_some(T0);
        pl.push(s).unwrap();
    }
    let full = pl.render_for(&DeliveryDirectives::default()).unwrap();
    assert!(full.contains("CAN-SKIP-UNTIL=12.000"));
    let delta = pl.render_for(&DeliveryDirectives { msn: Some(10), part: None, skip: Some(SkipRequest::Yes) }).unwrap();
    // End at 20 s; segments ending by 8 s are skipped: 0..=3.
    assert!(delta.contains("#EXT-X-VERSION:9\n"));
    assert!(delta.contains("#EXT-X-MEDIA-SEQUENCE:0\n"));
    assert!(delta.contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n"));
    assert!(!delta.contains("seg3.m4s"));
    assert!(delta.contains("#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:28.000Z\n#EXTINF:2.000,\nseg4.m4s\n"));
}

#[test]
fn hostile_input_never_panics() {
    let mut rng = XorShift::new(0x9E37_79B9_7F4A_7C15);
    let ints = [0i64, 1, -1, 2, 45_000, 180_000, i64::MAX, i64::MIN, i64::MAX / 2];
    let uris = ["a.m4s", "", "#x", "a\"b", "a\nb", " a", "seg.m4s"];
    for round in 0..300 {
        let ll = (round % 2 == 0).then(|| LowLatencyOptions::new(Timestamp::from_millis(*rng.pick(&[1, 500, 2000]))));
        let options = MediaPlaylistOptions {
            kind: *rng.pick(&[PlaylistKind::Vod, PlaylistKind::Event, PlaylistKind::Live(Window::Segments(2))]),
            target_duration: *rng.pick(&[None, Some(1), Some(2), Some(u32::MAX)]),
            low_latency: ll,
            program_date_time: *rng.pick(&[PdtPlacement::Sparse, PdtPlacement::EverySegment]),
            ..Default::default()
        };
        let ts = Timescale::new(*rng.pick(&[1, 1000, 90_000, u32::MAX])).unwrap();
        let Ok(mut pl) = MediaPlaylist::new(ts, Some(InitSegmentRef::new("init.mp4")), options) else { continue };
        for _ in 0..20 {
            let seq = *rng.pick(&[0u64, 1, 2, 3, u64::MAX]);
            match rng.next_u64() % 6 {
                0 => {
                    let _ = pl.push_part(
                        seq,
                        PlaylistPart::new(*rng.pick(&uris), rng.pick(&ints).unsigned_abs(), rng.next_u64() % 2 == 0),
                    );
                }
                1 => {
                    let _ = pl.set_preload_hint(Some(PreloadHint::new(*rng.pick(&uris))));
                }
                2 => {
                    let _ = pl.finish();
                }
                _ => {
                    let mut s = Segment::new(seq, *rng.pick(&ints), rng.pick(&ints).unsigned_abs(), *rng.pick(&uris));
                    s.program_date_time_ms = *rng.pick(&[None, Some(0), Some(i64::MAX), Some(T0)]);
                    s.discontinuity = rng.next_u64() % 3 == 0;
                    let _ = pl.push(s);
                }
            }
            let _ = pl.render();
            let d = DeliveryDirectives {
                msn: Some(seq),
                part: Some(*rng.pick(&[0, 1, u64::MAX])),
                skip: Some(SkipRequest::Yes),
            };
            let _ = pl.blocking_status(&d);
            let _ = pl.render_for(&d);
            let _ = pl.next_position();
            let _ = pl.rendition_report("x.m3u8");
        }
    }
    let pieces =
        ["_HLS_msn", "_HLS_part", "_HLS_skip", "=", "&", "?", "#", "1", "-", "YES", "v2", "99999999999999999999", "é"];
    for _ in 0..2000 {
        let q: String = (0..rng.next_u64() % 8).map(|_| *rng.pick(&pieces)).collect();
        let _ = DeliveryDirectives::parse_query(&q);
    }
}

#[test]
fn query_parsing() {
    let p = DeliveryDirectives::parse_query;
    assert_eq!(p("_HLS_msn=12&_HLS_part=3").unwrap(), DeliveryDirectives { msn: Some(12), part: Some(3), skip: None });
    assert_eq!(
        p("/live/v.m3u8?foo=1&_HLS_msn=0&_HLS_skip=v2").unwrap(),
        DeliveryDirectives { msn: Some(0), part: None, skip: Some(SkipRequest::V2) }
    );
    assert_eq!(p("?_HLS_skip=YES").unwrap().skip, Some(SkipRequest::Yes));
    assert_eq!(p("").unwrap(), DeliveryDirectives::default());
    assert_eq!(p("_HLS_msn=-1"), Err(DirectiveError::InvalidMsn("-1".into())));
    assert_eq!(p("_HLS_msn=+1"), Err(DirectiveError::InvalidMsn("+1".into())));
    assert_eq!(p("_HLS_msn="), Err(DirectiveError::InvalidMsn("".into())));
    assert_eq!(p("_HLS_msn=18446744073709551616"), Err(DirectiveError::InvalidMsn("18446744073709551616".into())));
    assert_eq!(p("_HLS_msn=1&_HLS_part=x"), Err(DirectiveError::InvalidPart("x".into())));
    assert_eq!(p("_HLS_part=1"), Err(DirectiveError::PartWithoutMsn));
    assert_eq!(p("_HLS_msn=1&_HLS_msn=2"), Err(DirectiveError::Repeated("_HLS_msn")));
    assert_eq!(p("_HLS_msn=1&_HLS_skip=yes"), Err(DirectiveError::InvalidSkip("yes".into())));
    assert_eq!(p("_HLS_msn=5#frag").unwrap().msn, Some(5));
}

fn master() -> MultivariantPlaylist {
    let mut en = AudioRendition::new("aud", "English", "mp4a.40.2", "audio/en.m3u8");
    en.language = Some("en".into());
    en.default = true;
    en.channels = Some(2);
    let mut v =
        Variant::new("video/720p.m3u8", Bandwidth { peak: 2_500_000, average: 2_000_000 }, vec!["avc1.64001f".into()]);
    v.resolution = Some(Resolution::new(1280, 720));
    v.frame_rate = Some(FrameRate::new(30_000, 1001));
    v.audio_group = Some("aud".into());
    MultivariantPlaylist { variants: vec![v], audio: vec![en], ..Default::default() }
}

#[test]
fn multivariant_playlist() {
    let text = master().render().unwrap();
    assert_eq!(
        text,
        "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n\
         #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/en.m3u8\"\n\
         #EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,FRAME-RATE=29.970,AUDIO=\"aud\"\n\
         video/720p.m3u8\n"
    );
}

#[test]
fn multivariant_checks() {
    let mut m = master();
    m.variants[0].audio_group = Some("nope".into());
    assert!(matches!(m.render(), Err(PlaylistError::InvalidText { field: "variant.audio_group", .. })));
    let mut m = master();
    let mut second = m.audio[0].clone();
    second.name = "Other".into();
    m.audio.push(second);
    assert!(matches!(m.render(), Err(PlaylistError::InvalidOption { field: "audio.default", .. })));
    let mut m = master();
    m.audio[0].name = "Eng\"lish".into();
    assert!(matches!(m.render(), Err(PlaylistError::InvalidText { field: "audio.name", .. })));
    let mut m = master();
    m.variants[0].average_bandwidth = Some(3_000_000);
    assert!(matches!(m.render(), Err(PlaylistError::InvalidOption { field: "variant.average_bandwidth", .. })));
    assert_eq!(MultivariantPlaylist::default().render(), Err(PlaylistError::NoSegments));
}

//! The stream server end to end: the real binary on 127.0.0.1, real HTTP,
//! real H.264/AAC fragments from the core's encoder and segmenter, and
//! ffprobe as the outside referee for the playlists.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use framecast::ingest::{ErrorBody, FragmentAck, InitAck, StreamInfo, StreamList};
use serde_json::Value;

fn ack(reply: &Reply) -> FragmentAck {
    serde_json::from_slice(&reply.body).unwrap_or_else(|e| panic!("not an ack ({e}): {}", reply.text()))
}

fn describe(server: &Server, stream: &str) -> StreamInfo {
    let r = get(&server.url(&format!("/streams/{stream}")));
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_slice(&r.body).unwrap()
}

/// Checks an error answer: status, code, JSON content type, CORS header.
fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!((r.status, r.code().as_str()), (status, code), "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let body: ErrorBody = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body.error.code.http_status(), status);
    assert!(!body.error.message.is_empty());
}

/// The `.m4s` files and init segments stored for a stream.
fn stored_files(server: &Server, stream: &str) -> Vec<String> {
    files(&server.data.join("streams").join(stream))
}

fn fragment_lines(server: &Server, stream: &str) -> Vec<Value> {
    index_lines(&server.data, stream).into_iter().filter(|l| l["type"] == "fragment").collect()
}

/// The URIs (non-tag lines) of a playlist.
fn uris(playlist: &str) -> Vec<String> {
    playlist.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

#[test]
fn publish_describe_play_and_end() {
    let m = media();
    // A window of 8 of the 10 fragments: live playlists slide, ended ones list everything.
    let server = Server::start(&data_dir("publish"), &["--window", "8"]);
    let s = |p: &str| server.url(&format!("/streams/live{p}"));

    let r = request("PUT", &s(""), &[], &[]);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("location"), Some("/streams/live"));
    assert_eq!(request("PUT", &s(""), &[], &[]).status, 200);

    let r = put_media(&s("/video/init.mp4"), "video/mp4", &m.video_init);
    assert_eq!(r.status, 201, "{}", r.text());
    let init: InitAck = serde_json::from_slice(&r.body).unwrap();
    assert!(init.codec.starts_with("avc1."), "{}", init.codec);
    assert_eq!((init.timescale, init.persisted, init.duplicate), (90_000, true, false));
    let r = put_media(&s("/audio/init.mp4"), "audio/mp4", &m.audio_init);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["codec"], "mp4a.40.2");

    // Fragments in order, video by PUT and audio by POST.
    let before = log_now_ms();
    for (v, a) in m.video.iter().zip(&m.audio) {
        let r = put_media(&s(&format!("/video/{}.m4s", v.seq)), "video/mp4", &v.bytes);
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let k = ack(&r);
        assert_eq!((k.stream.as_str(), k.track.as_str(), k.sequence), ("live", "video", v.seq));
        assert_eq!(k.producer_timestamp, v.start_us);
        assert_eq!(k.duration, 2_000_000);
        assert_eq!(k.bytes, v.bytes.len() as u64);
        assert!(k.persisted && k.keyframe && !k.duplicate && !k.discontinuity);
        assert!(k.server_timestamp >= before && k.server_timestamp <= log_now_ms());
        let r = request("POST", &s(&format!("/audio/{}.m4s", a.seq)), &[("Content-Type", "audio/mp4")], &a.bytes);
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(ack(&r).producer_timestamp, a.start_us);
    }

    let info = describe(&server, "live");
    let video = info.tracks.iter().find(|t| t.name == "video").unwrap();
    assert_eq!((video.fragments, video.first_sequence, video.last_sequence, video.missing), (10, Some(1), Some(10), 0));
    assert_eq!((video.width, video.height, video.duration), (Some(320), Some(240), 20_000_000));
    assert_eq!(video.bytes, m.video.iter().map(|f| f.bytes.len() as u64).sum::<u64>());
    let audio = info.tracks.iter().find(|t| t.name == "audio").unwrap();
    assert_eq!((audio.sample_rate, audio.channels, audio.fragments), (Some(48_000), Some(2), 10));
    assert_eq!(info.fragments, 20);
    assert_eq!(info.playback.hls, "/streams/live/master.m3u8");
    let list: StreamList = serde_json::from_slice(&get(&server.url("/streams")).body).unwrap();
    assert_eq!(list.streams.len(), 1);

    // HLS: master, media playlists, and every listed file.
    let master = get(&s("/master.m3u8"));
    assert_eq!(master.status, 200);
    assert_eq!(master.header("content-type"), Some("application/vnd.apple.mpegurl"));
    assert_eq!(master.header("cache-control"), Some("no-cache"));
    assert_eq!(master.header("access-control-allow-origin"), Some("*"));
    let text = master.text();
    assert!(text.contains(&format!("CODECS=\"{},mp4a.40.2\"", init.codec)), "{text}");
    assert!(text.contains("RESOLUTION=320x240,FRAME-RATE=30.000,AUDIO=\"audio\""), "{text}");
    assert!(text.contains("URI=\"audio.m3u8\""), "{text}");
    let playlist = get(&s("/video.m3u8")).text();
    assert!(playlist.contains("#EXT-X-MEDIA-SEQUENCE:3\n"), "{playlist}");
    assert!(playlist.contains("#EXT-X-PROGRAM-DATE-TIME:"), "{playlist}");
    assert!(!playlist.contains("#EXT-X-DISCONTINUITY\n") && !playlist.contains("#EXT-X-ENDLIST"), "{playlist}");
    let listed = uris(&playlist);
    assert_eq!(listed.len(), 8, "{playlist}");
    for (uri, f) in listed.iter().zip(&m.video[2..]) {
        assert!(uri.starts_with(&format!("video/{}.m4s?v=", f.seq)), "{uri}");
        let r = get(&s(&format!("/{uri}")));
        assert_eq!((r.status, r.header("content-type")), (200, Some("video/mp4")));
        assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
        assert!(r.body == f.bytes, "fragment {} differs", f.seq);
    }
    let map = playlist.lines().find(|l| l.starts_with("#EXT-X-MAP:URI=\"")).unwrap();
    let init_uri = map.trim_start_matches("#EXT-X-MAP:URI=\"").trim_end_matches('"');
    let r = get(&s(&format!("/{init_uri}")));
    assert!(r.status == 200 && r.body == m.video_init);
    let audio_list = get(&s("/audio.m3u8"));
    assert_eq!(uris(&audio_list.text()).len(), 8);
    let r = get(&s(&format!("/{}", uris(&audio_list.text())[0])));
    assert_eq!((r.status, r.header("content-type")), (200, Some("audio/mp4")));
    let head = request("HEAD", &s("/video/3.m4s"), &[], &[]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some(m.video[2].bytes.len().to_string().as_str()));

    // DASH: dynamic while live, segments by time.
    let mpd = get(&s("/manifest.mpd"));
    assert_eq!((mpd.status, mpd.header("content-type")), (200, Some("application/dash+xml")));
    let mpd = mpd.text();
    assert!(mpd.contains("type=\"dynamic\"") && mpd.contains("<SegmentTimeline>"), "{mpd}");
    assert!(mpd.contains("<S t=\"360000\" d=\"180000\" r=\"7\"/>"), "{mpd}");
    let template = mpd.split("media=\"video/").nth(1).unwrap().split('"').next().unwrap();
    let by_time = get(&s(&format!("/video/{}", template.replace("$Time$", "360000"))));
    assert!(by_time.status == 200 && by_time.body == m.video[2].bytes);
    assert_eq!(get(&s("/video/t1.m4s")).code(), "not-found");

    // The end: playlists close, and ffprobe reads the whole stream.
    let r = request("POST", &s("/end"), &[], &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["ended"], true);
    let ended = get(&s("/video.m3u8")).text();
    assert!(ended.ends_with("#EXT-X-ENDLIST\n"), "{ended}");
    assert!(ended.contains("#EXT-X-MEDIA-SEQUENCE:1\n"), "the whole recording: {ended}");
    assert_eq!(uris(&ended).len(), 10, "{ended}");
    assert_eq!(uris(&get(&s("/audio.m3u8")).text()).len(), 10);
    let mpd = get(&s("/manifest.mpd")).text();
    assert!(mpd.contains("type=\"static\"") && mpd.contains("<S t=\"0\" d=\"180000\" r=\"9\"/>"), "{mpd}");
    assert!(describe(&server, "live").ended);

    let probe = ffprobe(&s("/master.m3u8"));
    let streams = probe["streams"].as_array().unwrap();
    let v = streams.iter().find(|s| s["codec_type"] == "video").expect("a video stream");
    assert_eq!(
        (v["codec_name"].as_str(), v["width"].as_u64(), v["height"].as_u64()),
        (Some("h264"), Some(320), Some(240))
    );
    assert!(streams.iter().any(|s| s["codec_name"] == "aac"), "{probe}");
    let duration: f64 = probe["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!((duration - 20.0).abs() < 0.2, "duration {duration}");
    let probe = ffprobe(&s("/manifest.mpd"));
    let v = probe["streams"].as_array().unwrap().iter().find(|s| s["codec_type"] == "video").cloned().unwrap();
    assert_eq!((v["codec_name"].as_str(), v["width"].as_u64()), (Some("h264"), Some(320)));

    // On disk: the init segments, 20 fragments, and 20 index lines plus the end.
    let stored = stored_files(&server, "live");
    assert_eq!(stored.iter().filter(|f| f.ends_with(".m4s")).count(), 20, "{stored:?}");
    assert!(stored.contains(&"video/init.mp4".to_string()) && stored.contains(&"audio/init.mp4".to_string()));
    let lines = index_lines(&server.data, "live");
    assert_eq!(lines.len(), 21);
    assert_eq!(lines[20]["type"], "end");

    // One structured log line per request.
    let logs = server.logs();
    let line = logs
        .iter()
        .find(|l| l.contains("\"path\":\"/streams/live/video/3.m4s\"") && l.contains("\"method\":\"PUT\""))
        .unwrap();
    let line: Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["status"], 201);
    assert_eq!(line["bytesIn"], m.video[2].bytes.len());
    assert!(line["ms"].is_number() && line["ts"].is_string() && line["level"] == "info");
}

fn log_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[test]
fn retries_are_acknowledged_once_and_conflicts_refused() {
    let m = media();
    let server = Server::start(&data_dir("retries"), &["--auto-create"]);
    let s = |p: &str| server.url(&format!("/streams/dup{p}"));
    assert_eq!(put_media(&s("/video/init.mp4"), "video/mp4", &m.video_init).status, 201);
    let mut first = Vec::new();
    for f in &m.video[..3] {
        let r = put_media(&s(&format!("/video/{}.m4s", f.seq)), "video/mp4", &f.bytes);
        assert_eq!(r.status, 201, "{}", r.text());
        first.push(ack(&r));
    }
    let files_before = stored_files(&server, "dup");
    let lines_before = index_lines(&server.data, "dup");

    // The same fragment again: acknowledged again, stored once.
    std::thread::sleep(Duration::from_millis(5));
    let r = put_media(&s("/video/2.m4s"), "video/mp4", &m.video[1].bytes);
    assert_eq!(r.status, 200, "{}", r.text());
    let again = ack(&r);
    assert!(again.duplicate && again.persisted);
    assert_eq!(again.server_timestamp, first[1].server_timestamp);
    assert_eq!(again.producer_timestamp, first[1].producer_timestamp);
    // The init segment again (a reconnecting publisher).
    let r = put_media(&s("/video/init.mp4"), "video/mp4", &m.video_init);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["duplicate"], true);

    // Other bytes under a stored number, another init for a track with fragments.
    assert_error(&put_media(&s("/video/2.m4s"), "video/mp4", &m.video[2].bytes), 409, "conflict");
    assert_error(&put_media(&s("/video/init.mp4"), "video/mp4", &m.other_video_init), 409, "conflict");

    assert_eq!(stored_files(&server, "dup"), files_before);
    assert_eq!(index_lines(&server.data, "dup"), lines_before);
    let stored = std::fs::read(server.data.join("streams/dup/video/2.m4s")).unwrap();
    assert!(stored == m.video[1].bytes);

    // A gap is allowed and recorded: fragments 4 and 5 were dropped.
    let r = put_media(&s("/video/6.m4s"), "video/mp4", &m.video[5].bytes);
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(ack(&r).discontinuity);
    // ... and they cannot come late.
    assert_error(&put_media(&s("/video/4.m4s"), "video/mp4", &m.video[3].bytes), 409, "out-of-order");
    let info = describe(&server, "dup");
    assert_eq!((info.tracks[0].fragments, info.tracks[0].missing, info.tracks[0].discontinuities), (4, 2, 1));
    let playlist = get(&s("/video.m3u8")).text();
    assert!(playlist.contains("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:"), "{playlist}");
    assert!(uris(&playlist).last().unwrap().starts_with("video/6.m4s"), "{playlist}");
}

#[test]
fn bad_uploads_are_refused_and_leave_no_trace() {
    let m = media();
    let largest = m.video.iter().chain(&m.audio).map(|f| f.bytes.len()).max().unwrap();
    let limit = largest + 1000;
    let data = data_dir("bad");
    let server = Server::start(
        &data,
        &["--auto-create", "--max-fragment-bytes", &limit.to_string(), "--body-timeout-ms", "1500"],
    );
    let s = |p: &str| server.url(&format!("/streams/bad{p}"));
    assert_eq!(put_media(&s("/video/init.mp4"), "video/mp4", &m.video_init).status, 201);
    for f in &m.video[..3] {
        assert_eq!(put_media(&s(&format!("/video/{}.m4s", f.seq)), "video/mp4", &f.bytes).status, 201);
    }
    let files_before = files(&data);
    let lines_before = index_lines(&data, "bad");
    let f4 = &m.video[3].bytes;

    // Truncated fragment (honest Content-Length).
    assert_error(&put_media(&s("/video/4.m4s"), "video/mp4", &f4[..f4.len() / 2]), 400, "malformed-fragment");
    // Content-Length larger than the body, then the client stops sending.
    let head = |len: usize| {
        format!("PUT /streams/bad/video/4.m4s HTTP/1.1\r\nContent-Type: video/mp4\r\nContent-Length: {len}")
    };
    assert_error(&raw(server.addr, &head(f4.len() + 100), f4, true), 400, "incomplete-body");
    // ... or keeps the connection open without sending the rest.
    let started = Instant::now();
    assert_error(&raw(server.addr, &head(f4.len() + 100), f4, false), 408, "body-timeout");
    assert!(started.elapsed() >= Duration::from_millis(1400));
    // Content-Length smaller than the body: the fragment is cut short.
    assert_error(&raw(server.addr, &head(f4.len() - 100), f4, false), 400, "malformed-fragment");
    // Decode times going back (fragment 1's media as number 4).
    assert_error(&put_media(&s("/video/4.m4s"), "video/mp4", &m.video[0].bytes), 409, "non-monotonic");
    // A video fragment that starts with a P-frame.
    assert_error(&put_media(&s("/video/4.m4s"), "video/mp4", &m.non_keyframe), 422, "not-keyframe");
    // Another track's fragment on this track's path.
    assert_error(&put_media(&s("/video/4.m4s"), "audio/mp4", &m.audio[3].bytes), 422, "unknown-track");
    // Not MP4 at all, by type and by content.
    assert_error(&put_media(&s("/video/4.m4s"), "text/plain", f4), 415, "unsupported-media-type");
    assert_error(&put_media(&s("/video/4.m4s"), "video/mp4", b"hello"), 400, "malformed-fragment");
    assert_error(&put_media(&s("/other/init.mp4"), "video/mp4", b"not an init segment"), 400, "malformed-init");
    // A track without its init segment, and a stream without any.
    assert_error(&put_media(&s("/audio/4.m4s"), "audio/mp4", &m.audio[3].bytes), 412, "init-required");
    let r = put_media(&server.url("/streams/other/video/1.m4s"), "video/mp4", &m.video[0].bytes);
    assert_error(&r, 412, "init-required");
    // Oversize, announced or chunked.
    let big = vec![0u8; limit + 1];
    assert_error(&put_media(&s("/video/4.m4s"), "video/mp4", &big), 413, "oversize");
    let mut chunked = Vec::new();
    for piece in big.chunks(16 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = raw(
        server.addr,
        "PUT /streams/bad/video/4.m4s HTTP/1.1\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked",
        &chunked,
        false,
    );
    assert_error(&r, 413, "oversize");
    let r = raw(server.addr, "PUT /streams/bad/video/4.m4s HTTP/1.1\r\nContent-Type: video/mp4", b"", false);
    assert_error(&r, 411, "length-required");
    // Fragment numbers must be canonical.
    assert_error(&put_media(&s("/video/04.m4s"), "video/mp4", f4), 400, "bad-sequence");
    assert_error(&put_media(&s("/video/-1.m4s"), "video/mp4", f4), 400, "bad-sequence");

    // Names that try to leave the data directory.
    let init = &m.video_init;
    let put = |path: &str| {
        raw(
            server.addr,
            &format!("PUT {path} HTTP/1.1\r\nContent-Type: video/mp4\r\nContent-Length: {}", init.len()),
            init,
            false,
        )
    };
    assert_error(&put("/streams/../video/init.mp4"), 400, "bad-stream-name");
    assert_error(&put("/streams/%2e%2e/video/init.mp4"), 400, "bad-stream-name");
    assert_error(&put("/streams/..%2F..%2Ftmp/video/init.mp4"), 400, "bad-stream-name");
    assert_error(&put("/streams/a/b/video/init.mp4"), 404, "not-found");
    assert_error(&put("/streams/bad/../init.mp4"), 400, "bad-track-name");
    assert_error(&put("/streams/bad/%2e%2e/init.mp4"), 400, "bad-track-name");
    assert_error(&put("/streams/a%2Fb"), 400, "bad-stream-name");
    assert_error(&put("/streams/.hidden"), 400, "bad-stream-name");
    assert_error(&put(&format!("/streams/{}", "x".repeat(129))), 400, "bad-stream-name");
    assert_error(&put("/../../etc/passwd"), 404, "not-found");

    // Nothing of that was stored, and nothing escaped.
    assert_eq!(files(&data), files_before);
    assert_eq!(index_lines(&data, "bad"), lines_before);
    let parent = data.parent().unwrap();
    for name in ["video", "init.mp4", "b"] {
        assert!(!parent.join(name).exists(), "{name} escaped the data directory");
    }
    // The stream still takes the next fragment.
    let r = put_media(&s("/video/4.m4s"), "video/mp4", f4);
    assert_eq!(r.status, 201, "{}", r.text());
    let info = describe(&server, "bad");
    assert_eq!((info.tracks[0].fragments, info.tracks[0].last_sequence, info.tracks[0].missing), (4, Some(4), 0));
}

#[test]
fn killed_mid_publish_then_restarted() {
    let m = media();
    let data = data_dir("restart");
    let server = Server::start(&data, &["--auto-create", "--window", "30"]);
    let base = Arc::new(Mutex::new(server.url("/streams/cam")));
    let acked = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));

    // A publisher that retries like the browser's: transport errors and
    // 5xx are retried after a pause, the init segments are sent again
    // after a reconnect, and 412 asks for them too.
    let publisher = {
        let (base, acked, done) = (base.clone(), acked.clone(), done.clone());
        std::thread::spawn(move || {
            let m = media();
            let tracks =
                [("video", "video/mp4", &m.video_init, &m.video), ("audio", "audio/mp4", &m.audio_init, &m.audio)];
            let mut need_init = [true, true];
            let mut retries = 0;
            let mut acks: Vec<FragmentAck> = Vec::new();
            for i in 0..10 {
                for (t, (track, ctype, init, frags)) in tracks.iter().enumerate() {
                    let f = &frags[i];
                    let deadline = Instant::now() + Duration::from_secs(30);
                    loop {
                        assert!(Instant::now() < deadline, "publisher gave up on {track} {}", f.seq);
                        let url = base.lock().unwrap().clone();
                        if need_init[t] {
                            match try_request(
                                "PUT",
                                &format!("{url}/{track}/init.mp4"),
                                &[("Content-Type", ctype)],
                                init,
                            ) {
                                Ok(r) if r.status == 200 || r.status == 201 => need_init[t] = false,
                                Ok(r) if r.status >= 500 => {}
                                Ok(r) => panic!("init refused: {}", r.text()),
                                Err(_) => {}
                            }
                            if need_init[t] {
                                retries += 1;
                                std::thread::sleep(Duration::from_millis(20));
                                continue;
                            }
                        }
                        let url = format!("{url}/{track}/{}.m4s", f.seq);
                        match try_request("PUT", &url, &[("Content-Type", ctype)], &f.bytes) {
                            Ok(r) if r.status == 200 || r.status == 201 => {
                                let a = ack(&r);
                                assert!(a.persisted && a.sequence == f.seq);
                                acks.push(a);
                                acked.fetch_add(1, Ordering::SeqCst);
                                break;
                            }
                            Ok(r) if r.status == 412 => need_init[t] = true,
                            Ok(r) if r.status >= 500 => {}
                            Ok(r) => panic!("{url} refused: {}", r.text()),
                            // The server went away: reconnect, init first.
                            Err(_) => need_init = [true, true],
                        }
                        retries += 1;
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    std::thread::sleep(Duration::from_millis(15));
                }
            }
            done.store(true, Ordering::SeqCst);
            (acks, retries)
        })
    };

    // Kill the server after a few acknowledgements, mid-publish.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.load(Ordering::SeqCst) < 7 {
        assert!(Instant::now() < deadline, "no acknowledgements");
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill();
    let acked_before_restart = acked.load(Ordering::SeqCst);
    assert!(acked_before_restart < 20 && !done.load(Ordering::SeqCst), "the kill came too late to test anything");
    std::thread::sleep(Duration::from_millis(100));
    let server = Server::start(&data, &["--auto-create", "--window", "30"]);
    *base.lock().unwrap() = server.url("/streams/cam");
    let (acks, retries) = publisher.join().unwrap();
    assert!(retries > 0, "the publisher never saw the server go away");
    assert_eq!(acks.len(), 20);

    // Every fragment exactly once, numbers contiguous, bytes intact.
    let info = describe(&server, "cam");
    for t in &info.tracks {
        assert_eq!(
            (t.fragments, t.first_sequence, t.last_sequence, t.missing, t.discontinuities),
            (10, Some(1), Some(10), 0, 0),
            "{}",
            t.name
        );
    }
    let lines = fragment_lines(&server, "cam");
    assert_eq!(lines.len(), 20);
    for track in ["video", "audio"] {
        let seqs: Vec<u64> =
            lines.iter().filter(|l| l["track"] == track).map(|l| l["sequence"].as_u64().unwrap()).collect();
        assert_eq!(seqs, (1..=10).collect::<Vec<u64>>(), "{track}");
    }
    let stored = stored_files(&server, "cam");
    assert_eq!(stored.len(), 24, "20 fragments, 2 init segments, index and metadata: {stored:?}");
    assert_eq!(stored.iter().filter(|f| f.ends_with(".m4s")).count(), 20, "{stored:?}");
    for (i, f) in m.video.iter().enumerate() {
        let on_disk = std::fs::read(data.join(format!("streams/cam/video/{}.m4s", f.seq))).unwrap();
        assert!(on_disk == f.bytes, "video fragment {i} differs on disk");
    }
    // The playlists are complete and continuous.
    let playlist = get(&server.url("/streams/cam/video.m3u8")).text();
    assert_eq!(uris(&playlist).len(), 10, "{playlist}");
    assert!(!playlist.contains("#EXT-X-DISCONTINUITY\n"), "{playlist}");
    assert!(playlist.contains("#EXT-X-MEDIA-SEQUENCE:1\n"), "{playlist}");
    assert!(server.logs().iter().any(|l| l.contains("\"msg\":\"stream loaded\"") && l.contains("\"stream\":\"cam\"")));
}

#[test]
fn torn_index_and_unacknowledged_files_are_recovered() {
    let m = media();
    let data = data_dir("torn");
    let server = Server::start(&data, &["--auto-create"]);
    let s = |server: &Server, p: &str| server.url(&format!("/streams/torn{p}"));
    assert_eq!(put_media(&s(&server, "/video/init.mp4"), "video/mp4", &m.video_init).status, 201);
    for f in &m.video[..3] {
        assert_eq!(put_media(&s(&server, &format!("/video/{}.m4s", f.seq)), "video/mp4", &f.bytes).status, 201);
    }
    // Graceful stop.
    let status = server.terminate();
    assert!(status.success(), "{status:?}");

    // What a crash while storing fragment 4 can leave: its file renamed into
    // place, a temporary file, and half of its index line.
    let dir = data.join("streams/torn");
    std::fs::write(dir.join("video/4.m4s"), &m.video[3].bytes).unwrap();
    std::fs::write(dir.join("video/.5.m4s.tmp-1"), b"partial").unwrap();
    let mut index = std::fs::read(dir.join("index.jsonl")).unwrap();
    let intact = index.len();
    index.extend_from_slice(b"{\"type\":\"fragment\",\"track\":\"video\",\"seq");
    std::fs::write(dir.join("index.jsonl"), &index).unwrap();

    let server = Server::start(&data, &["--auto-create"]);
    let info = describe(&server, "torn");
    assert_eq!((info.tracks[0].fragments, info.tracks[0].last_sequence), (3, Some(3)));
    assert_eq!(std::fs::read(dir.join("index.jsonl")).unwrap().len(), intact);
    assert_eq!(
        stored_files(&server, "torn"),
        ["index.jsonl", "stream.json", "video/1.m4s", "video/2.m4s", "video/3.m4s", "video/init.mp4"]
    );
    assert!(server.logs().iter().any(|l| l.contains("torn last line")));

    // The publisher sends fragment 4 again: stored once, as new.
    let r = put_media(&s(&server, "/video/4.m4s"), "video/mp4", &m.video[3].bytes);
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(!ack(&r).duplicate);
    assert_eq!(fragment_lines(&server, "torn").len(), 4);
    assert_eq!(index_lines(&data, "torn").len(), 4);
}

#[test]
fn graceful_shutdown_finishes_writes_in_flight() {
    let m = media();
    let data = data_dir("shutdown");
    let server = Server::start(&data, &["--auto-create"]);
    assert_eq!(put_media(&server.url("/streams/sd/video/init.mp4"), "video/mp4", &m.video_init).status, 201);
    // A fragment upload is half sent when SIGTERM arrives.
    let f = &m.video[0].bytes;
    let mut conn = TcpStream::connect(server.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "PUT /streams/sd/video/1.m4s HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\nContent-Length: {}\r\n\r\n",
        f.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(&f[..f.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.signal_terminate();
    std::thread::sleep(Duration::from_millis(300));
    // New writes are refused meanwhile (the listener is closed, or 503)...
    match try_request(
        "PUT",
        &server.url("/streams/sd/video/2.m4s"),
        &[("Content-Type", "video/mp4")],
        &m.video[1].bytes,
    ) {
        Err(_) => {}
        Ok(r) => assert_error(&r, 503, "shutting-down"),
    }
    // ... and the one in flight completes.
    conn.write_all(&f[f.len() / 2..]).unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains("\"persisted\":true"), "{answer}");
    let logs_before_exit = server.logs();
    let status = server.wait();
    assert!(status.success(), "{status:?}");
    assert!(logs_before_exit.iter().any(|l| l.contains("\"msg\":\"shutting down\"")));
    assert_eq!(index_lines(&data, "sd").len(), 1);
}

#[test]
fn stream_lifecycle() {
    let m = media();
    let data = data_dir("lifecycle");
    let server = Server::start(&data, &[]);
    let list: StreamList = serde_json::from_slice(&get(&server.url("/streams")).body).unwrap();
    assert!(list.streams.is_empty());

    // Without --auto-create, streams are made first.
    let r = put_media(&server.url("/streams/cam/video/init.mp4"), "video/mp4", &m.video_init);
    assert_error(&r, 404, "stream-not-found");
    assert_eq!(files(&data.join("streams")), Vec::<String>::new());
    let r = request("PUT", &server.url("/streams/cam"), &[], &[]);
    assert_eq!(r.status, 201);
    let info: StreamInfo = serde_json::from_slice(&r.body).unwrap();
    assert_eq!((info.name.as_str(), info.fragments, info.ended), ("cam", 0, false));
    assert_error(&get(&server.url("/streams/nope")), 404, "stream-not-found");
    assert_error(&request("PUT", &server.url("/streams/bad.name"), &[], &[]), 400, "bad-stream-name");
    let r = request("POST", &server.url("/streams/cam"), &[], &[]);
    assert_error(&r, 405, "method-not-allowed");
    assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, DELETE, OPTIONS"));
    assert_error(&get(&server.url("/")), 404, "not-found");
    // No fragment yet: no playlists.
    assert_error(&get(&server.url("/streams/cam/master.m3u8")), 404, "not-found");
    assert_error(&get(&server.url("/streams/cam/manifest.mpd")), 404, "not-found");

    let token = |server: &Server| {
        assert_eq!(put_media(&server.url("/streams/cam/video/init.mp4"), "video/mp4", &m.video_init).status, 201);
        assert_eq!(put_media(&server.url("/streams/cam/video/1.m4s"), "video/mp4", &m.video[0].bytes).status, 201);
        let playlist = get(&server.url("/streams/cam/video.m3u8")).text();
        uris(&playlist)[0].split("?v=").nth(1).unwrap().to_owned()
    };
    let first = token(&server);

    // Delete: gone from the API and from disk.
    let r = request("DELETE", &server.url("/streams/cam"), &[], &[]);
    assert_eq!(r.status, 204, "{}", r.text());
    assert_error(&get(&server.url("/streams/cam")), 404, "stream-not-found");
    assert_error(&get(&server.url("/streams/cam/video/1.m4s")), 404, "stream-not-found");
    assert_error(&request("DELETE", &server.url("/streams/cam"), &[], &[]), 404, "stream-not-found");
    assert!(!data.join("streams/cam").exists());
    let list: StreamList = serde_json::from_slice(&get(&server.url("/streams")).body).unwrap();
    assert!(list.streams.is_empty());

    // The same name again gets new cache-busting URIs: cached fragments
    // of the old stream never mix with the new one.
    assert_eq!(request("PUT", &server.url("/streams/cam"), &[], &[]).status, 201);
    let second = token(&server);
    assert_ne!(first, second);
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_dir(data.join("trash")).unwrap().count() > 0 {
        assert!(Instant::now() < deadline, "trash not emptied");
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = server.terminate();
    assert!(status.success());
}

#[test]
fn cors_preflight_and_bearer_token() {
    let m = media();
    let server = Server::start(&data_dir("cors"), &["--auto-create", "--token", "s3cret"]);
    let r = request(
        "OPTIONS",
        &server.url("/streams/web/video/1.m4s"),
        &[
            ("Origin", "http://localhost:5173"),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "authorization,content-type"),
        ],
        &[],
    );
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let methods = r.header("access-control-allow-methods").unwrap();
    for m in ["GET", "PUT", "POST", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    assert_eq!(r.header("access-control-allow-headers"), Some("authorization,content-type"));
    assert!(r.header("access-control-max-age").is_some());

    // Writes need the token; reads do not.
    let url = server.url("/streams/web/video/init.mp4");
    let r = put_media(&url, "video/mp4", &m.video_init);
    assert_error(&r, 401, "unauthorized");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let r = request("PUT", &url, &[("Content-Type", "video/mp4"), ("Authorization", "Bearer wrong!")], &m.video_init);
    assert_error(&r, 401, "unauthorized");
    assert_eq!(files(&server.data.join("streams")), Vec::<String>::new());
    let r = request("PUT", &url, &[("Content-Type", "video/mp4"), ("Authorization", "Bearer s3cret")], &m.video_init);
    assert_eq!(r.status, 201, "{}", r.text());
    let r = get(&url);
    assert_eq!((r.status, r.header("access-control-allow-origin")), (200, Some("*")));
    let e = get(&server.url("/streams/web/video/9.m4s"));
    assert_eq!(e.header("access-control-expose-headers"), Some("Content-Length, Content-Type, Location, Retry-After"));
}

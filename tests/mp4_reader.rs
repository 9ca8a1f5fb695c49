//! The MP4 reader (`framecast::mux::reader`) against files made by ffmpeg,
//! with ffprobe as the referee, and against hostile input: truncations,
//! bit flips, lying sizes and counts, the fuzz corpus. Every hostile case
//! must return (an error or a valid parse) without panicking, quickly, and
//! with memory bounded by the input size.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{ffprobe, testdata_dir};
use framecast::codec::{CodecConfig, TrackKind};
use framecast::mux::reader::{
    validate_fragment, FragmentRules, FragmentSummary, FragmentValidator, MediaSegment, Movie, Mp4File, ReadError,
    ReadOptions, SampleRef, Track,
};
use serde_json::Value;

// The fuzz harness: every entry point and the invariants parsing promises.
#[path = "fuzz/harness/mp4_reader.rs"]
mod harness;
use harness::fuzz_entry;

// ---------------------------------------------------------------------------
// Memory accounting: a per-thread count of live heap bytes and its peak, so
// that tests running in parallel do not see each other's allocations.
// ---------------------------------------------------------------------------

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(delta);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        account(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result and the peak of extra heap bytes it held.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get);
    (out, (peak - base).max(0) as usize)
}

// ---------------------------------------------------------------------------
// Test files made by ffmpeg, cached in target/testdata/mp4_reader.
// ---------------------------------------------------------------------------

fn dir() -> PathBuf {
    let d = testdata_dir().join("mp4_reader");
    std::fs::create_dir_all(&d).expect("create target/testdata/mp4_reader");
    d
}

/// `name` in this suite's folder, made once by ffmpeg with `args`.
fn make(name: &str, args: &[&str]) -> PathBuf {
    common::ffmpeg_make(&dir(), name, args)
}

const VIDEO_IN: [&str; 4] = ["-f", "lavfi", "-i", "testsrc2=size=64x64:rate=25"];
const AUDIO_IN: [&str; 4] = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"];
/// H.264 with two B-frames (so `ctts`), a keyframe every 12 frames.
const X264: [&str; 8] = ["-c:v", "libx264", "-bf", "2", "-g", "12", "-pix_fmt", "yuv420p"];

fn h264_aac(name: &str, duration: &str, movflags: Option<&str>) -> PathBuf {
    let mut args: Vec<&str> = Vec::new();
    args.extend(VIDEO_IN);
    args.extend(AUDIO_IN);
    args.extend(["-t", duration]);
    args.extend(X264);
    args.extend(["-c:a", "aac", "-b:a", "48k"]);
    if let Some(flags) = movflags {
        args.extend(["-movflags", flags]);
    }
    make(name, &args)
}

fn progressive() -> PathBuf {
    h264_aac("h264_aac.mp4", "2", None)
}

fn faststart() -> PathBuf {
    h264_aac("h264_aac_faststart.mp4", "2", Some("+faststart"))
}

fn fragmented() -> PathBuf {
    h264_aac("h264_aac_frag.mp4", "2", Some("frag_keyframe+empty_moov+default_base_moof"))
}

/// Fragmented without default-base-is-moof: ffmpeg writes explicit
/// `base_data_offset`s (absolute file offsets).
fn fragmented_explicit_base() -> PathBuf {
    h264_aac("h264_aac_frag_base.mp4", "2", Some("frag_keyframe+empty_moov"))
}

/// Video only, fragmented, with negative composition offsets (version 1
/// `trun`s) instead of an edit list.
fn fragmented_negative_cts() -> PathBuf {
    let mut args: Vec<&str> = VIDEO_IN.to_vec();
    args.extend(["-t", "2"]);
    args.extend(X264);
    args.extend(["-movflags", "frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets"]);
    make("h264_frag_negative_cts.mp4", &args)
}

/// A QuickTime file (`qt  ` brand, QuickTime sample entries).
fn quicktime() -> PathBuf {
    let mut args: Vec<&str> = Vec::new();
    args.extend(VIDEO_IN);
    args.extend(AUDIO_IN);
    args.extend(["-t", "2"]);
    args.extend(X264);
    args.extend(["-c:a", "aac", "-b:a", "48k", "-f", "mov"]);
    make("h264_aac.mov", &args)
}

fn has_encoder(name: &str) -> bool {
    let out = Command::new("ffmpeg").args(["-hide_banner", "-encoders"]).output().expect("run ffmpeg -encoders");
    String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().nth(1) == Some(name))
}

fn opus() -> Option<PathBuf> {
    if !has_encoder("libopus") {
        return None;
    }
    let mut args: Vec<&str> = AUDIO_IN.to_vec();
    args.extend(["-t", "1", "-c:a", "libopus", "-b:a", "32k"]);
    Some(make("opus.mp4", &args))
}

fn flac() -> PathBuf {
    let mut args: Vec<&str> = vec!["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"];
    args.extend(["-t", "2", "-c:a", "flac", "-strict", "-2"]);
    make("flac.mp4", &args)
}

/// HLS with fMP4 segments: the init segment and the media segments.
fn hls() -> (PathBuf, Vec<PathBuf>) {
    // Made once per test process: tests run in parallel threads.
    static MADE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = MADE.lock().unwrap_or_else(|e| e.into_inner());
    let hls_dir = dir().join("hls");
    let playlist = hls_dir.join("index.m3u8");
    if !playlist.exists() {
        let tmp = dir().join(format!("hls.tmp{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let mut args: Vec<String> = Vec::new();
        args.extend(VIDEO_IN.iter().map(|s| s.to_string()));
        args.extend(AUDIO_IN.iter().map(|s| s.to_string()));
        args.extend(["-t", "3"].map(String::from));
        args.extend(X264.iter().map(|s| s.to_string()));
        args.extend(
            ["-c:a", "aac", "-b:a", "48k", "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", "1"]
                .map(String::from),
        );
        args.extend(["-hls_playlist_type", "vod", "-hls_fmp4_init_filename", "init.mp4"].map(String::from));
        args.push("-hls_segment_filename".into());
        args.push(tmp.join("seg%d.m4s").display().to_string());
        args.push(tmp.join("index.m3u8").display().to_string());
        let status = Command::new("ffmpeg").args(["-v", "error", "-y"]).args(&args).status().expect("run ffmpeg");
        assert!(status.success(), "ffmpeg failed to make the HLS test stream");
        // Another test may have won the race.
        if std::fs::rename(&tmp, &hls_dir).is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
    }
    let mut segments: Vec<PathBuf> = std::fs::read_dir(&hls_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "m4s"))
        .collect();
    segments
        .sort_by_key(|p| p.file_stem().unwrap().to_str().unwrap().trim_start_matches("seg").parse::<u32>().unwrap());
    assert!(segments.len() >= 2, "expected several HLS segments, got {segments:?}");
    (hls_dir.join("init.mp4"), segments)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// ffprobe as the referee.
// ---------------------------------------------------------------------------

/// One packet as ffprobe reports it, in its stream's time base.
#[derive(Debug)]
struct Packet {
    pts: i64,
    dts: i64,
    /// `None` when ffmpeg's demuxer sets none (`-fflags +nofillin` stops
    /// ffprobe from inventing one from the frame rate or frame size).
    duration: Option<i64>,
    size: u64,
    pos: u64,
    keyframe: bool,
}

/// The packets of every stream, keyed by MP4 track ID.
fn probe_packets(file: &Path) -> Vec<(u32, Vec<Packet>)> {
    let streams: Value =
        serde_json::from_str(&ffprobe(&["-show_entries", "stream=index,id", "-of", "json"], file)).unwrap();
    let mut out: Vec<(u32, Vec<Packet>)> = streams["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let id = s["id"].as_str().unwrap();
            (u32::from_str_radix(id.trim_start_matches("0x"), 16).unwrap(), Vec::new())
        })
        .collect();
    let args =
        ["-fflags", "+nofillin", "-show_entries", "packet=stream_index,pts,dts,duration,size,pos,flags", "-of", "json"];
    let packets: Value = serde_json::from_str(&ffprobe(&args, file)).unwrap();
    for p in packets["packets"].as_array().unwrap() {
        let index = p["stream_index"].as_u64().unwrap() as usize;
        let num = |k: &str| -> Option<i64> {
            match &p[k] {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            }
        };
        out[index].1.push(Packet {
            pts: num("pts").expect("pts"),
            dts: num("dts").expect("dts"),
            duration: num("duration"),
            size: num("size").unwrap() as u64,
            pos: num("pos").unwrap() as u64,
            keyframe: p["flags"].as_str().unwrap().starts_with('K'),
        });
    }
    out
}

/// What ffprobe says of each stream's codec: `(track ID, fields)`.
fn probe_streams(file: &Path) -> Vec<(u32, Value)> {
    let args = [
        "-show_data_hash",
        "adler32",
        "-show_entries",
        "stream=index,id,codec_name,width,height,sample_rate,channels,extradata_size,extradata_hash",
        "-of",
        "json",
    ];
    let v: Value = serde_json::from_str(&ffprobe(&args, file)).unwrap();
    v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (u32::from_str_radix(s["id"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap(), s.clone()))
        .collect()
}

fn adler32(data: &[u8]) -> String {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    format!("adler32:{:08x}", (b << 16) | a)
}

/// The bytes ffmpeg keeps as a stream's extradata for our codec config.
fn ffmpeg_extradata(codec: &CodecConfig) -> Vec<u8> {
    match codec {
        CodecConfig::Avc { avcc, .. } => avcc.clone(),
        CodecConfig::Aac { asc, .. } => asc.clone(),
        // ffmpeg stores the bare STREAMINFO (after its block header).
        CodecConfig::Flac { metadata, .. } => metadata[4..38].to_vec(),
        // ffmpeg turns dOps back into an OpusHead.
        CodecConfig::Opus { channels, pre_skip, input_sample_rate, output_gain } => {
            let mut h = b"OpusHead".to_vec();
            h.push(1);
            h.push(*channels);
            h.extend(pre_skip.to_le_bytes());
            h.extend(input_sample_rate.to_le_bytes());
            h.extend(output_gain.to_le_bytes());
            h.push(0);
            h
        }
        other => panic!("unexpected codec {other:?}"),
    }
}

/// Checks a movie's codec configurations against ffprobe's streams.
fn compare_codecs(movie: &Movie, file: &Path) {
    let streams = probe_streams(file);
    assert_eq!(streams.len(), movie.tracks().len(), "track count");
    for (id, s) in streams {
        let track = movie.track(id).unwrap_or_else(|| panic!("ffprobe's track {id} is missing"));
        let name = s["codec_name"].as_str().unwrap();
        match &track.config.codec {
            CodecConfig::Avc { width, height, .. } => {
                assert_eq!(name, "h264");
                assert_eq!(s["width"].as_u64(), Some(u64::from(*width)));
                assert_eq!(s["height"].as_u64(), Some(u64::from(*height)));
                assert_eq!(track.kind, TrackKind::Video);
                track.config.codec.codec_string().expect("codec string from avcC");
            }
            CodecConfig::Aac { sample_rate, channels, .. } => {
                assert_eq!(name, "aac");
                assert_eq!(s["sample_rate"].as_str(), Some(sample_rate.to_string().as_str()));
                assert_eq!(s["channels"].as_u64(), Some(u64::from(*channels)));
                assert_eq!(track.config.codec.codec_string().unwrap(), "mp4a.40.2");
            }
            CodecConfig::Opus { channels, .. } => {
                assert_eq!(name, "opus");
                assert_eq!(s["channels"].as_u64(), Some(u64::from(*channels)));
            }
            CodecConfig::Flac { sample_rate, channels, .. } => {
                assert_eq!(name, "flac");
                assert_eq!(s["sample_rate"].as_str(), Some(sample_rate.to_string().as_str()));
                assert_eq!(s["channels"].as_u64(), Some(u64::from(*channels)));
            }
            other => panic!("unexpected codec {other:?}"),
        }
        let extradata = ffmpeg_extradata(&track.config.codec);
        assert_eq!(s["extradata_size"].as_u64(), Some(extradata.len() as u64), "track {id} extradata size");
        assert_eq!(s["extradata_hash"].as_str(), Some(adler32(&extradata).as_str()), "track {id} extradata");
    }
}

/// Compares one track's samples with ffprobe's packets, exactly: decode and
/// presentation times, size, byte position (ours plus `pos_base`), sync
/// flag, and duration wherever ffprobe has one from the container: its own
/// duration field, else the next packet's dts minus this one's. Returns how
/// many samples were compared.
///
/// ffmpeg applies the edit list ([`Track::presentation_offset`]) to both
/// times, and delays presentation times by the largest negative composition
/// offset (its `dts_shift`) so that no pts precedes its dts.
fn compare_track(track: &Track, samples: &[SampleRef<'_>], packets: &[Packet], pos_base: u64) -> usize {
    let id = track.config.id;
    assert_eq!(samples.len(), packets.len(), "track {id}: sample count");
    let shift = track.presentation_offset;
    let dts_shift = samples.iter().map(|s| -i64::from(s.composition_offset)).max().unwrap_or(0).max(0);
    for (i, (s, p)) in samples.iter().zip(packets).enumerate() {
        let what = format!(
            "track {id} sample {i}: ours dts {} cts {} duration {} size {} at {} key {}, ffprobe {p:?}",
            s.decode_time,
            s.composition_offset,
            s.duration,
            s.data.len(),
            s.offset,
            s.keyframe
        );
        assert_eq!(s.decode_time + shift, p.dts, "dts of {what}");
        assert_eq!(s.presentation_time() + shift + dts_shift, p.pts, "pts of {what}");
        assert_eq!(s.data.len() as u64, p.size, "size of {what}");
        assert_eq!(s.offset + pos_base, p.pos, "pos of {what}");
        assert_eq!(s.keyframe, p.keyframe, "keyframe flag of {what}");
        match (p.duration, packets.get(i + 1)) {
            (Some(d), _) => assert_eq!(i64::from(s.duration), d, "duration of {what}"),
            (None, Some(next)) => assert_eq!(i64::from(s.duration), next.dts - p.dts, "duration of {what}"),
            (None, None) => {}
        }
    }
    samples.len()
}

/// Parses `file` with [`Mp4File`] and compares every track with ffprobe.
fn check_file(path: &Path) -> Vec<u8> {
    let data = read(path);
    let file = Mp4File::parse(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    compare_codecs(file.movie(), path);
    let packets = probe_packets(path);
    for (id, packets) in &packets {
        let track = file.movie().track(*id).unwrap();
        let samples: Vec<SampleRef<'_>> = file.samples(*id).unwrap().collect();
        assert_eq!(file.sample_count(*id), Some(samples.len() as u64));
        let n = compare_track(track, &samples, packets, 0);
        assert!(n > 10, "{}: track {id} has only {n} samples", path.display());
    }
    data
}

// ---------------------------------------------------------------------------
// ffmpeg-made files.
// ---------------------------------------------------------------------------

#[test]
fn progressive_h264_aac_matches_ffprobe() {
    let path = progressive();
    let data = check_file(&path);
    let file = Mp4File::parse(&data).unwrap();
    assert!(!file.movie().is_fragmented());
    assert!(file.fragments().is_empty());
    let video = &file.movie().tracks()[0];
    // B-frames: composition offsets, and an edit list hiding the delay.
    assert!(file.samples(video.config.id).unwrap().any(|s| s.composition_offset > 0));
    assert!(video.presentation_offset < 0, "{video:?}");
    assert!(file.samples(video.config.id).unwrap().filter(|s| s.keyframe).count() >= 4);
    // The owned form copies the bytes.
    let first = file.samples(video.config.id).unwrap().next().unwrap();
    assert_eq!(first.to_sample().data, first.data);
}

#[test]
fn faststart_h264_aac_matches_ffprobe() {
    let data = check_file(&faststart());
    // moov before mdat, and the same samples as without faststart.
    assert_eq!(&data[4..8], b"ftyp");
    let slow = read(&progressive());
    let (a, b) = (Mp4File::parse(&data).unwrap(), Mp4File::parse(&slow).unwrap());
    for t in a.movie().tracks() {
        let x: Vec<_> =
            a.samples(t.config.id).unwrap().map(|s| (s.decode_time, s.composition_offset, s.data)).collect();
        let y: Vec<_> =
            b.samples(t.config.id).unwrap().map(|s| (s.decode_time, s.composition_offset, s.data)).collect();
        assert_eq!(x, y);
    }
}

#[test]
fn fragmented_h264_aac_matches_ffprobe() {
    for path in [fragmented(), fragmented_explicit_base()] {
        let data = check_file(&path);
        let file = Mp4File::parse(&data).unwrap();
        assert!(file.movie().is_fragmented());
        assert!(file.fragments().len() >= 4, "{} fragments", file.fragments().len());
        for t in file.movie().tracks() {
            assert!(t.defaults.is_some());
        }
        // The init part alone is an init segment.
        let moov_end = top_level_boxes(&data).into_iter().find(|b| &b.1 == b"moov").map(|b| b.0 + b.2).unwrap();
        let movie = Movie::from_init_segment(&data[..moov_end]).unwrap();
        assert_eq!(movie.tracks(), file.movie().tracks());
    }
}

#[test]
fn negative_composition_offsets_match_ffprobe() {
    let data = check_file(&fragmented_negative_cts());
    let file = Mp4File::parse(&data).unwrap();
    assert!(file.samples(1).unwrap().any(|s| s.composition_offset < 0));
}

#[test]
fn quicktime_mov_matches_ffprobe() {
    let data = check_file(&quicktime());
    let file = Mp4File::parse(&data).unwrap();
    assert_eq!(file.movie().major_brand().map(|b| b.to_string()).as_deref(), Some("qt  "));
}

#[test]
fn hls_fmp4_segments_match_ffprobe_and_validate() {
    let (init_path, segment_paths) = hls();
    let init = read(&init_path);
    let movie = Movie::from_init_segment(&init).unwrap();
    assert_eq!(movie.tracks().len(), 2);
    compare_codecs(&movie, &init_path);

    let mut validator = FragmentValidator::new(movie.clone(), FragmentRules::default());
    let mut previous = None;
    let mut total = 0;
    for path in &segment_paths {
        let segment_bytes = read(path);
        let segment = MediaSegment::parse(&movie, &segment_bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // ffprobe reads the init segment and the media segment together.
        let joined = dir().join(format!("hls_joined_{}.mp4", path.file_stem().unwrap().to_str().unwrap()));
        std::fs::write(&joined, [init.as_slice(), segment_bytes.as_slice()].concat()).unwrap();
        for (id, packets) in probe_packets(&joined) {
            let track = movie.track(id).unwrap();
            let samples: Vec<_> = segment.samples(id).collect();
            assert_eq!(segment.sample_count(id), samples.len() as u64);
            total += compare_track(track, &samples, &packets, init.len() as u64);
        }

        // The stream server's checks pass, in order.
        let summary = validator.validate(&segment_bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let alone = validate_fragment(&movie, &segment_bytes, &FragmentRules::default(), previous.as_ref()).unwrap();
        assert_eq!(alone, summary);
        for t in &summary.tracks {
            let expected_start = segment.track_fragments(t.track_id).next().unwrap().start;
            assert_eq!(t.start, expected_start);
            if t.kind == TrackKind::Video {
                assert!(t.starts_with_keyframe);
            }
            if let Some(p) = previous.as_ref().and_then(|p: &FragmentSummary| p.track(t.track_id)) {
                assert!(t.start >= p.end);
            }
        }
        // Re-sending the same upload is out of order.
        let err = validator.validate(&segment_bytes).unwrap_err();
        assert!(err.is_recoverable(), "{err}");
        assert!(matches!(err, ReadError::SequenceNotIncreasing { .. } | ReadError::DecodeTimeBackwards { .. }));
        previous = Some(summary);
    }
    assert!(total > 100);

    // Segments out of order are rejected; after a reset they are accepted.
    let last = read(segment_paths.last().unwrap());
    let first = read(&segment_paths[0]);
    assert!(validator.validate(&first).is_err());
    validator.reset();
    validator.validate(&first).unwrap();

    // A size limit below the segment size rejects it, recoverably.
    let err = validate_fragment(&movie, &last, &FragmentRules::with_max_bytes(1000), None).unwrap_err();
    assert!(matches!(err, ReadError::TooLarge { .. }) && err.is_recoverable(), "{err}");
}

#[test]
fn validation_rejects_bad_uploads() {
    let (init_path, segment_paths) = hls();
    let movie = Movie::from_init_segment(&read(&init_path)).unwrap();
    let segment = read(&segment_paths[1]);
    let rules = FragmentRules::default();
    validate_fragment(&movie, &segment, &rules, None).unwrap();

    // A track the init segment does not have.
    let mut unknown = segment.clone();
    for b in top_level_boxes(&segment).into_iter().filter(|b| &b.1 == b"moof") {
        for tfhd in find_all(&segment[b.0..b.0 + b.2], b"tfhd") {
            let at = b.0 + tfhd + 12;
            unknown[at..at + 4].copy_from_slice(&7u32.to_be_bytes());
        }
    }
    let err = validate_fragment(&movie, &unknown, &rules, None).unwrap_err();
    assert!(matches!(err, ReadError::UnknownTrack { track_id: 7 }), "{err}");

    // The video run starting with a non-sync sample: set the non-sync bit in
    // the first sample's flags of every video run.
    let mut not_sync = segment.clone();
    let video_tfhd = find_all(&segment, b"tfhd")[0];
    assert_eq!(u32::from_be_bytes(segment[video_tfhd + 12..video_tfhd + 16].try_into().unwrap()), 1);
    let trun = find_all(&segment, b"trun")[0];
    let flags = u32::from_be_bytes(segment[trun + 8..trun + 12].try_into().unwrap()) & 0xff_ffff;
    // After sample_count: data_offset, first_sample_flags, then the table
    // (duration, size, flags, composition offset per sample).
    let mut at = trun + 16 + if flags & 1 != 0 { 4 } else { 0 };
    if flags & 0x400 == 0 {
        assert!(flags & 0x4 != 0, "the video run has sample flags");
    } else {
        at += if flags & 0x4 != 0 { 4 } else { 0 };
        at += if flags & 0x100 != 0 { 4 } else { 0 };
        at += if flags & 0x200 != 0 { 4 } else { 0 };
    }
    not_sync[at + 1] |= 0x01; // sample_is_non_sync_sample
    let err = validate_fragment(&movie, &not_sync, &rules, None).unwrap_err();
    assert!(matches!(err, ReadError::NotSyncSample { .. }), "{err}");
    let mut lenient = FragmentRules::default();
    lenient.video_starts_with_keyframe = false;
    validate_fragment(&movie, &not_sync, &lenient, None).unwrap();

    // A segment without tfdt: rejected by the default rules.
    let mut no_tfdt = segment.clone();
    for at in find_all(&segment, b"tfdt") {
        no_tfdt[at + 4..at + 8].copy_from_slice(b"free");
    }
    let err = validate_fragment(&movie, &no_tfdt, &rules, None).unwrap_err();
    assert!(matches!(err, ReadError::MissingBox { .. }), "{err}");

    // Data offset pointing outside the mdat.
    let mut outside = segment.clone();
    let trun = find_all(&segment, b"trun")[0];
    outside[trun + 16..trun + 20].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
    let err = validate_fragment(&movie, &outside, &rules, None).unwrap_err();
    assert!(matches!(err, ReadError::DataOutOfBounds { .. }), "{err}");

    // An init segment or a progressive file is not an upload.
    assert!(validate_fragment(&movie, &read(&init_path), &rules, None).is_err());
    assert!(matches!(validate_fragment(&movie, &[], &rules, None), Err(ReadError::MissingBox { .. })));
}

#[test]
fn opus_in_mp4_matches_ffprobe() {
    let Some(path) = opus() else {
        println!("note: ffmpeg has no libopus encoder; skipping the Opus-in-MP4 case");
        return;
    };
    let data = check_file(&path);
    let file = Mp4File::parse(&data).unwrap();
    let track = &file.movie().tracks()[0];
    let CodecConfig::Opus { channels, pre_skip, .. } = track.config.codec else { panic!("{track:?}") };
    assert_eq!(channels, 1);
    assert_eq!(track.presentation_offset, -i64::from(pre_skip));
}

#[test]
fn flac_in_mp4_matches_ffprobe() {
    let data = check_file(&flac());
    let file = Mp4File::parse(&data).unwrap();
    let CodecConfig::Flac { sample_rate, channels, bits_per_sample, .. } = file.movie().tracks()[0].config.codec else {
        panic!()
    };
    assert_eq!((sample_rate, channels, bits_per_sample), (44100, 1, 16));
}

#[test]
fn init_segment_rules() {
    let data = read(&fragmented());
    let boxes = top_level_boxes(&data);
    let moov = boxes.iter().find(|b| &b.1 == b"moov").unwrap();
    let init = &data[..moov.0 + moov.2];
    Movie::from_init_segment(init).unwrap();
    // Media data is not part of an init segment.
    assert!(matches!(Movie::from_init_segment(&data), Err(ReadError::UnexpectedBox { .. })));
    // Without ftyp.
    assert!(matches!(Movie::from_init_segment(&data[moov.0..moov.0 + moov.2]), Err(ReadError::MissingBox { .. })));
    // A progressive file's moov has no mvex.
    let prog = read(&progressive());
    let b = top_level_boxes(&prog);
    let pm = b.iter().find(|b| &b.1 == b"moov").unwrap();
    let mut fake_init = prog[..b[0].2].to_vec();
    fake_init.extend_from_slice(&prog[pm.0..pm.0 + pm.2]);
    assert!(Movie::from_init_segment(&fake_init).is_err());
}

#[test]
fn unsupported_codecs_are_typed_and_skippable() {
    let mut data = read(&progressive());
    // Rename the video sample entry to hvc1.
    let at = all_boxes(&data).into_iter().find(|b| &b.3 == b"avc1").unwrap().0 + 4;
    data[at..at + 4].copy_from_slice(b"hvc1");
    let err = Mp4File::parse(&data).unwrap_err();
    assert!(matches!(err, ReadError::UnsupportedCodec { track_id: 1, fourcc } if fourcc == b"hvc1"), "{err}");
    assert!(err.is_recoverable());
    let file = Mp4File::parse_with(&data, &ReadOptions::skipping_unsupported_tracks()).unwrap();
    assert_eq!(file.movie().tracks().len(), 1);
    assert_eq!(file.movie().skipped_tracks()[0].track_id, 1);
    assert!(file.samples(1).is_none());
    assert!(file.samples(2).unwrap().count() > 10);

    // A text handler.
    let mut data = read(&progressive());
    let hdlr = all_boxes(&data).into_iter().find(|b| &b.3 == b"hdlr").unwrap().0;
    let at = hdlr + 16;
    assert_eq!(&data[at..at + 4], b"vide");
    data[at..at + 4].copy_from_slice(b"text");
    let err = Mp4File::parse(&data).unwrap_err();
    assert!(matches!(err, ReadError::UnsupportedTrack { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// Hostile input.
// ---------------------------------------------------------------------------

/// Top-level boxes as (offset, type, size).
fn top_level_boxes(data: &[u8]) -> Vec<(usize, [u8; 4], usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = data[pos + 4..pos + 8].try_into().unwrap();
        if size < 8 || pos + size > data.len() {
            break;
        }
        out.push((pos, kind, size));
        pos += size;
    }
    out
}

const CONTAINERS: [&[u8; 4]; 11] =
    [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf", b"edts", b"dinf", b"udta"];

/// Every box of a well-formed file, recursively through the usual
/// containers and sample entries: (offset, header size, size, type).
fn all_boxes(data: &[u8]) -> Vec<(usize, usize, usize, [u8; 4])> {
    fn walk(data: &[u8], mut pos: usize, end: usize, out: &mut Vec<(usize, usize, usize, [u8; 4])>) {
        while pos + 8 <= end {
            let size = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = data[pos + 4..pos + 8].try_into().unwrap();
            if size < 8 || pos + size > end {
                return;
            }
            out.push((pos, 8, size, kind));
            if CONTAINERS.contains(&&kind) {
                walk(data, pos + 8, pos + size, out);
            } else if &kind == b"stsd" {
                walk(data, pos + 16, pos + size, out);
            } else if matches!(&kind, b"avc1" | b"avc3") {
                walk(data, pos + 8 + 78, pos + size, out);
            } else if matches!(&kind, b"mp4a" | b"Opus" | b"fLaC") {
                walk(data, pos + 8 + 28, pos + size, out);
            }
            pos += size;
        }
    }
    let mut out = Vec::new();
    walk(data, 0, data.len(), &mut out);
    out
}

/// Offsets of every occurrence of a box type (pointing at its size field).
fn find_all(data: &[u8], kind: &[u8; 4]) -> Vec<usize> {
    data.windows(4).enumerate().filter(|(_, w)| w == kind).map(|(i, _)| i.saturating_sub(4)).collect()
}

/// A deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Runs every entry point on `input` (through the fuzz entry, which also
/// checks the iterators' invariants) and checks time and memory bounds.
fn hostile(input: &[u8], label: &str) {
    let start = Instant::now();
    let ((), peak) = peak_heap(|| fuzz_entry(input));
    let elapsed = start.elapsed();
    // Whatever is parsed, nothing holds much more than the input.
    let limit = 32 * input.len() + 256 * 1024;
    assert!(peak <= limit, "{label}: {peak} heap bytes for a {}-byte input", input.len());
    assert!(elapsed < Duration::from_secs(2), "{label}: took {elapsed:?}");
}

/// The small ffmpeg files every hostile test starts from.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        progressive(),
        faststart(),
        fragmented(),
        fragmented_explicit_base(),
        fragmented_negative_cts(),
        quicktime(),
        flac(),
    ];
    files.extend(opus());
    let (init, segments) = hls();
    let mut seeds: Vec<(String, Vec<u8>)> =
        files.iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), read(p))).collect();
    let mut joined = read(&init);
    joined.extend(read(&segments[0]));
    seeds.push(("hls init+seg0".into(), joined));
    seeds
}

#[test]
fn truncations_at_every_box_boundary_and_random_positions() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut cases = 0;
    for (name, data) in seeds() {
        let mut cuts: Vec<usize> = Vec::new();
        for (pos, header, size, _) in all_boxes(&data) {
            for c in [pos, pos + 1, pos + 4, pos + 7, pos + header, pos + header + 1, pos + size - 1, pos + size] {
                cuts.push(c);
            }
        }
        for _ in 0..300 {
            cuts.push(rng.below(data.len()));
        }
        cuts.sort_unstable();
        cuts.dedup();
        let progressive = !name.contains("frag") && !name.contains("hls");
        for cut in cuts.into_iter().filter(|&c| c < data.len()) {
            let input = &data[..cut];
            hostile(input, &format!("{name} cut at {cut}"));
            if progressive {
                // Both the moov and the media are needed: every strict
                // prefix of a progressive file is an error.
                assert!(Mp4File::parse(input).is_err(), "{name} cut at {cut} parsed");
            }
            cases += 1;
        }
    }
    println!("{cases} truncations");
    assert!(cases > 1000);
}

#[test]
fn bit_flips_and_byte_overwrites() {
    let mut rng = Rng(0x0bad_f00d_dead_beef);
    let mut cases = 0;
    let mut rejected = 0;
    for (name, data) in seeds() {
        // Flip bits and overwrite bytes mostly in the metadata (moov,
        // moof), where they change the structure, sometimes anywhere.
        let meta: Vec<(usize, usize)> = all_boxes(&data)
            .into_iter()
            .filter(|b| matches!(&b.3, b"moov" | b"moof"))
            .map(|b| (b.0, b.0 + b.2))
            .collect();
        for i in 0..400 {
            let mut input = data.clone();
            let flips = 1 + rng.below(4);
            for _ in 0..flips {
                let at = if i % 4 == 0 || meta.is_empty() {
                    rng.below(input.len())
                } else {
                    let (s, e) = meta[rng.below(meta.len())];
                    s + rng.below(e - s)
                };
                match rng.below(3) {
                    0 => input[at] ^= 1 << rng.below(8),
                    1 => input[at] = [0x00, 0xff, 0x7f, 0x80, 0x01][rng.below(5)],
                    _ => input[at] = rng.next() as u8,
                }
            }
            hostile(&input, &format!("{name} mutation {i}"));
            rejected += usize::from(Mp4File::parse(&input).is_err());
            cases += 1;
        }
    }
    println!("{cases} mutated inputs, {rejected} rejected by Mp4File::parse");
    assert!(rejected > cases / 4);
}

/// Count and size fields that ask for huge allocations or loops, in every
/// table and run of the real files.
#[test]
fn huge_counts_are_rejected_before_allocating() {
    // (box type, offset of the count in the box, what it counts)
    const COUNTS: [(&[u8; 4], usize); 12] = [
        (b"stsz", 16),
        (b"stsz", 12),
        (b"stts", 12),
        (b"ctts", 12),
        (b"stss", 12),
        (b"stsc", 12),
        (b"stco", 12),
        (b"stsd", 12),
        (b"elst", 12),
        (b"dref", 12),
        (b"trun", 12),
        (b"trex", 20),
    ];
    let mut cases = 0;
    for (name, data) in seeds() {
        for (pos, _, size, kind) in all_boxes(&data) {
            for (k, at) in COUNTS {
                if &kind != k || at + 4 > size {
                    continue;
                }
                for value in [u32::MAX, 0x8000_0000, 0x7fff_ffff, 0x0100_0000, 0x10000, 1, 0] {
                    let mut input = data.clone();
                    input[pos + at..pos + at + 4].copy_from_slice(&value.to_be_bytes());
                    hostile(&input, &format!("{name}: {} count at {pos} = {value}", String::from_utf8_lossy(k)));
                    cases += 1;
                }
            }
        }
    }
    println!("{cases} count changes");
    assert!(cases > 200);
}

#[test]
fn tiny_files_claiming_billions_of_samples() {
    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }
    fn full(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        bx(kind, &[&[0u8; 4][..], body].concat())
    }
    let u32s = |v: &[u32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_be_bytes()).collect() };

    // stsz with a uniform size of 1 and 4 billion samples; stts, stsc and
    // stco claim the same. About 100 bytes of tables, with a valid FLAC
    // sample entry so that only the counts are wrong.
    let mut streaminfo = vec![0x80, 0, 0, 34];
    streaminfo.extend([0x10, 0, 0x10, 0, 0, 0, 0, 0, 0, 0]);
    streaminfo.extend(((44100u64 << 44) | (15 << 36)).to_be_bytes()); // 44100 Hz, mono, 16 bits
    streaminfo.extend([0; 16]);
    let mut flac_entry = vec![0u8; 6];
    flac_entry.extend([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 16, 0, 0, 0, 0, 0xac, 0x44, 0, 0]);
    flac_entry.extend(full(b"dfLa", &streaminfo));
    let stbl = bx(
        b"stbl",
        &[
            full(b"stsd", &[u32s(&[1]), bx(b"fLaC", &flac_entry)].concat()),
            full(b"stsz", &u32s(&[1, 4_000_000_000])),
            full(b"stts", &u32s(&[1, 4_000_000_000, 1])),
            full(b"stsc", &u32s(&[1, 1, 4_000_000_000, 1])),
            full(b"stco", &u32s(&[1, 0xdead_beef])), // patched below
        ]
        .concat(),
    );
    let moov = bx(
        b"moov",
        &[
            full(b"mvhd", &[&[0u8; 8][..], &u32s(&[1000]), &[0u8; 84]].concat()),
            bx(
                b"trak",
                &[
                    full(b"tkhd", &[&[0u8; 8][..], &u32s(&[1]), &[0u8; 68]].concat()),
                    bx(
                        b"mdia",
                        &[
                            full(b"mdhd", &[&[0u8; 8][..], &u32s(&[44100, 0]), &[0x55, 0xc4, 0, 0]].concat()),
                            full(b"hdlr", &[&[0u8; 4][..], b"soun", &[0u8; 13]].concat()),
                            bx(b"minf", &stbl),
                        ]
                        .concat(),
                    ),
                ]
                .concat(),
            ),
        ]
        .concat(),
    );
    let mut file = moov.clone();
    file.extend(bx(b"mdat", &[0; 16]));
    let chunk = find_all(&file, &0xdead_beefu32.to_be_bytes())[0] + 4;
    let mdat_payload = (moov.len() + 8) as u32;
    file[chunk..chunk + 4].copy_from_slice(&mdat_payload.to_be_bytes());
    assert!(file.len() < 600, "{} bytes", file.len());
    let start = Instant::now();
    let (result, peak) = peak_heap(|| Mp4File::parse(&file).map(|_| ()));
    assert!(matches!(result, Err(ReadError::TooLarge { what: "sample count", .. })), "{result:?}");
    assert!(peak < 64 * 1024, "{peak} heap bytes");
    assert!(start.elapsed() < Duration::from_millis(100));
    hostile(&file, "tiny moov");
    let mut sane = file.clone();
    for (from, to) in [(4_000_000_000u32, 16u32)] {
        let (f, t) = (from.to_be_bytes(), to.to_be_bytes());
        let mut i = 0;
        while i + 4 <= sane.len() {
            if sane[i..i + 4] == f {
                sane[i..i + 4].copy_from_slice(&t);
            }
            i += 1;
        }
    }
    let parsed = Mp4File::parse(&sane).unwrap();
    assert_eq!(parsed.samples(1).unwrap().count(), 16);

    // A trun of 4 billion samples without per-sample fields (sizes and
    // durations from the defaults): zero bytes per sample in the box.
    let data = read(&fragmented());
    let trun = find_all(&data, b"trun")[0];
    let mut input = data.clone();
    input[trun + 9..trun + 12].copy_from_slice(&[0, 0, 0x05]); // data offset + first sample flags only
    input[trun + 12..trun + 16].copy_from_slice(&4_000_000_000u32.to_be_bytes());
    let start = Instant::now();
    let (result, peak) = peak_heap(|| Mp4File::parse(&input).map(|_| ()));
    assert!(matches!(result, Err(ReadError::TooLarge { .. })), "{result:?}");
    assert!(peak < 64 * 1024 + 8 * input.len(), "{peak}");
    assert!(start.elapsed() < Duration::from_millis(200));
}

#[test]
fn lying_box_sizes_and_deep_nesting() {
    let mut cases = 0;
    for (name, data) in seeds() {
        for (pos, _, size, kind) in all_boxes(&data) {
            let kind = String::from_utf8_lossy(&kind).into_owned();
            for lie in
                [0u32, 1, 4, 7, 8, 9, (size as u32).wrapping_sub(1), size as u32 + 1, size as u32 + 4096, u32::MAX]
            {
                let mut input = data.clone();
                input[pos..pos + 4].copy_from_slice(&lie.to_be_bytes());
                hostile(&input, &format!("{name}: {kind} at {pos} size {lie}"));
                cases += 1;
            }
            // A 64-bit size that lies.
            if &kind != "mdat" {
                let mut input = data.clone();
                input[pos..pos + 4].copy_from_slice(&1u32.to_be_bytes());
                hostile(&input, &format!("{name}: {kind} at {pos} with a largesize"));
                cases += 1;
            }
        }
    }
    // Boxes nested 100 000 deep, in containers the reader walks.
    for kind in [b"moov", b"trak", b"moof", b"traf", b"stsd"] {
        let depth = 100_000usize;
        let mut input = Vec::with_capacity(depth * 8);
        for level in 0..depth {
            input.extend_from_slice(&(((depth - level) * 8) as u32).to_be_bytes());
            input.extend_from_slice(kind);
        }
        hostile(&input, &format!("{} nested", String::from_utf8_lossy(kind)));
        cases += 1;
    }
    println!("{cases} size lies");
    assert!(cases > 1000);
}

/// Replays the fuzz corpus (`make test` runs this): every input must go
/// through every entry point without a panic.
#[test]
fn fuzz_corpus_replays_without_panics() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/mp4_reader");
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).unwrap_or_else(|e| panic!("{}: {e}", corpus.display())) {
        let path = entry.unwrap().path();
        let data = read(&path);
        hostile(&data, &path.display().to_string());
        n += 1;
    }
    println!("replayed {n} corpus inputs");
    assert!(n >= 10, "the corpus has only {n} inputs");
}

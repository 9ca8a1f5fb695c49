//! The Matroska/WebM demuxer against ffprobe: files made by ffmpeg (VP8 +
//! Opus WebM, H.264 + Opus Matroska, live mode, small clusters, one
//! cluster) give the frames `ffprobe -show_packets` lists, in any
//! chunking; and the fuzz corpus replays without a panic.

mod common;

#[path = "fuzz/harness/mkv_demux.rs"]
mod harness;

use std::path::{Path, PathBuf};

use framecast::codec::CodecConfig;
use framecast::mux::mkv::{MkvEvent, MkvOptions, MkvTrack};

/// Makes `name` with ffmpeg (2 s of testsrc2 at 15 fps and a 440 Hz sine)
/// and the given codec and muxer arguments, once.
fn make(name: &str, args: &[&str]) -> PathBuf {
    let mut all = vec!["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15"];
    all.extend(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2"]);
    all.extend(args);
    common::ffmpeg_output(name, &all)
}

/// One packet: (track number, pts in ms, keyframe, size).
type Packet = (u64, i64, bool, usize);

/// ffprobe's packets, with stream index + 1 as the track number (ffmpeg's
/// Matroska muxer numbers tracks so). ffmpeg's demuxer shifts the times of
/// a track with a CodecDelay back by that delay; `delays_ms` undoes it.
fn ffprobe_packets(file: &Path, delays_ms: &[i64]) -> Vec<Packet> {
    let out = common::ffprobe(&["-show_entries", "packet=stream_index,pts,flags,size", "-of", "csv=p=0"], file);
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let index: usize = f[0].parse().unwrap();
            let pts: i64 = f[1].parse().unwrap();
            (index as u64 + 1, pts + delays_ms[index], f[3].starts_with('K'), f[2].parse().unwrap())
        })
        .collect()
}

/// The demuxer's frames and tracks for `data` in chunks of `chunk`.
fn demux(data: &[u8], chunk: usize) -> (Vec<Packet>, Vec<MkvTrack>) {
    let (events, result) = harness::demux(data, chunk, MkvOptions::default());
    result.unwrap_or_else(|e| panic!("demux in chunks of {chunk}: {e}"));
    let mut tracks = Vec::new();
    let mut packets = Vec::new();
    for e in events {
        match e {
            MkvEvent::Tracks(t) => tracks = t,
            MkvEvent::Frame(f) => {
                assert_eq!(f.timestamp.timescale.get(), 1000);
                packets.push((f.track, f.timestamp.ticks, f.keyframe, f.data.len()));
            }
            _ => {}
        }
    }
    (packets, tracks)
}

/// Checks `file` against ffprobe, whole, byte by byte and in odd chunks;
/// returns its tracks.
fn check(file: &Path) -> Vec<MkvTrack> {
    let data = std::fs::read(file).unwrap();
    let (packets, tracks) = demux(&data, 0);
    let delays: Vec<i64> = tracks.iter().map(|t| (t.codec_delay_ns as i64 + 500_000) / 1_000_000).collect();
    let want = ffprobe_packets(file, &delays);
    assert!(want.len() > 40, "{}: only {} packets", file.display(), want.len());
    // ffprobe lists packets in its own interleaving: compare per track.
    for track in [1, 2] {
        let ours: Vec<_> = packets.iter().filter(|p| p.0 == track).collect();
        let theirs: Vec<_> = want.iter().filter(|p| p.0 == track).collect();
        assert_eq!(ours, theirs, "{} track {track}", file.display());
    }
    for chunk in [1, 1000] {
        assert_eq!(demux(&data, chunk).0, packets, "{} in chunks of {chunk}", file.display());
    }
    tracks
}

fn opus_track(tracks: &[MkvTrack]) {
    let opus = &tracks[1];
    assert_eq!(opus.codec_id, "A_OPUS");
    assert!(matches!(opus.config, Some(CodecConfig::Opus { channels: 1, pre_skip: 312, .. })), "{:?}", opus.config);
    assert_eq!(opus.audio.unwrap().sampling_frequency, 48_000.0);
}

#[test]
fn vp8_opus_webm_matches_ffprobe() {
    let file = make("mkv_vp8_opus.webm", &["-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus", "-f", "webm"]);
    let tracks = check(&file);
    assert_eq!((tracks[0].codec_id.as_str(), tracks[0].config.clone()), ("V_VP8", None));
    let v = tracks[0].video.unwrap();
    assert_eq!((v.pixel_width, v.pixel_height), (160, 120));
    opus_track(&tracks);
}

#[test]
fn h264_opus_matroska_matches_ffprobe() {
    let args = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "libopus", "-f", "matroska"];
    let file = make("mkv_h264_opus.mkv", &args);
    let tracks = check(&file);
    match &tracks[0].config {
        Some(CodecConfig::Avc { width: 160, height: 120, avcc }) => assert_eq!(avcc, &tracks[0].codec_private),
        other => panic!("H.264 track config {other:?}"),
    }
    assert_eq!(tracks[0].codec_id, "V_MPEG4/ISO/AVC");
    opus_track(&tracks);
}

#[test]
fn live_small_clusters_and_one_cluster_match_ffprobe() {
    let live = make("mkv_live.webm", &["-c:v", "libvpx", "-c:a", "libopus", "-live", "1", "-f", "webm"]);
    let data = std::fs::read(&live).unwrap();
    // ffmpeg's live mode writes the Segment with an unknown size.
    assert!(data.windows(5).any(|w| w == [0x18, 0x53, 0x80, 0x67, 0x01]), "no 8-byte Segment size");
    check(&live);
    let small = make(
        "mkv_small_clusters.webm",
        &["-c:v", "libvpx", "-c:a", "libopus", "-cluster_size_limit", "2000", "-f", "webm"],
    );
    check(&small);
    let one = make(
        "mkv_one_cluster.mkv",
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "libopus",
            "-cluster_time_limit",
            "100000",
            "-cluster_size_limit",
            "100000000",
            "-f",
            "matroska",
        ],
    );
    let data = std::fs::read(&one).unwrap();
    let clusters = data.windows(4).filter(|w| *w == [0x1F, 0x43, 0xB6, 0x75]).count();
    assert_eq!(clusters, 1, "one cluster");
    check(&one);
}

/// A MediaRecorder-shaped file (unknown-size Segment and Clusters): the
/// sizes of ffmpeg's file overwritten with "unknown" parse the same.
#[test]
fn unknown_sizes_written_over_a_real_file_parse_the_same() {
    let file = make("mkv_vp8_opus.webm", &["-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus", "-f", "webm"]);
    let data = std::fs::read(&file).unwrap();
    let (want, _) = demux(&data, 0);
    let mut patched = data.clone();
    // The Segment after the EBML header, then the Clusters among its
    // children: their size fields get every value bit set ("unknown").
    let (ebml_len, ebml_size) = (4 + vint_len(data[4]), vint(&data[4..]));
    let segment = ebml_len + ebml_size as usize;
    assert_eq!(data[segment..segment + 4], [0x18, 0x53, 0x80, 0x67]);
    let mut sizes = vec![segment + 4];
    let mut at = segment + 4 + vint_len(data[segment + 4]);
    while at < data.len() {
        let id_len = data[at].leading_zeros() as usize + 1;
        let size_at = at + id_len;
        if data[at..size_at] == [0x1F, 0x43, 0xB6, 0x75] {
            sizes.push(size_at);
        }
        at = size_at + vint_len(data[size_at]) + vint(&data[size_at..]) as usize;
    }
    let replaced = sizes.len();
    for size in sizes {
        let len = vint_len(patched[size]);
        patched[size] |= (0xFFu16 >> len) as u8;
        patched[size + 1..size + len].fill(0xFF);
    }
    assert!(replaced >= 2, "replaced {replaced} sizes");
    // The Cues after the last Cluster end it; they are skipped.
    assert_eq!(demux(&patched, 0).0, want);
    assert_eq!(demux(&patched, 1).0, want);
}

/// Length of the EBML variable-size integer whose first byte is `first`.
fn vint_len(first: u8) -> usize {
    first.leading_zeros() as usize + 1
}

/// Value of the EBML variable-size integer at the start of `data`.
fn vint(data: &[u8]) -> u64 {
    let len = vint_len(data[0]);
    data[1..len].iter().fold(u64::from(data[0]) & (0xFF >> len), |v, &b| (v << 8) | u64::from(b))
}

/// Replays the fuzz corpus (`make test` runs this): every input goes
/// through the harness's invariants without a panic.
#[test]
fn fuzz_corpus_replays_without_panics() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/mkv_demux");
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).unwrap_or_else(|e| panic!("{}: {e}", corpus.display())) {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        harness::fuzz_entry(&data);
        // Truncations and bit flips of each seed too.
        for cut in [data.len() / 3, data.len() / 2, data.len().saturating_sub(1)] {
            harness::fuzz_entry(&data[..cut]);
        }
        let mut flipped = data.clone();
        for i in (0..flipped.len()).step_by(97) {
            flipped[i] ^= 0x5A;
        }
        harness::fuzz_entry(&flipped);
        n += 1;
    }
    assert!(n >= 5, "the corpus has only {n} inputs");
}

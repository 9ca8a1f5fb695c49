//! The MPEG-TS muxer and demuxer (`framecast::mux::ts`) with ffmpeg and
//! ffprobe as referees: segments muxed from an ffmpeg MP4 decode cleanly,
//! alone and concatenated, with the right codecs, sizes, frame counts and
//! duration; a TS written by ffmpeg demuxes into the packets ffprobe
//! lists; our mux and demux round-trip samples; hostile input gives
//! warnings, never panics; the fuzz corpus replays.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use framecast::codec::h264::bitstream::{length_prefixed_nal_units, NalUnitType};
use framecast::codec::CodecConfig;
use framecast::mux::reader::Mp4File;
use framecast::mux::ts::{TsDemuxer, TsMuxer, TsStreamKind, DEFAULT_TIMESTAMP_OFFSET, FIRST_ES_PID, PMT_PID};
use framecast::mux::{Sample, TrackConfig};
use framecast::time::{Timescale, Timestamp};

#[path = "fuzz/harness/ts_demux.rs"]
mod harness;

fn dir() -> PathBuf {
    let d = common::testdata_dir().join("mpeg_ts");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A file made by ffmpeg with `args` (output last), once.
fn make(name: &str, args: &[&str]) -> PathBuf {
    let path = dir().join(name);
    if path.exists() {
        return path;
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("mp4").to_string();
    // Tests run in parallel and may make the same file: each writes its own
    // temporary file and the last rename wins.
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{seq}.{ext}", std::process::id()));
    let status =
        Command::new("ffmpeg").args(["-v", "error", "-y"]).args(args).arg(&tmp).status().expect("ffmpeg is installed");
    assert!(status.success(), "ffmpeg failed to make {name}");
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// 2 s of 322x182 (not multiples of 16) H.264 with B-frames, a keyframe
/// every 30 frames, and 48 kHz stereo AAC; in `container` (`mp4`, `ts`).
fn source(container: &str) -> PathBuf {
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=322x182:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        "2",
        "-c:v",
        "libx264",
        "-bf",
        "2",
        "-g",
        "30",
        "-keyint_min",
        "30",
        "-sc_threshold",
        "0",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-ac",
        "2",
        "-b:a",
        "96k",
    ];
    if container == "ts" {
        args.extend(["-f", "mpegts"]);
    }
    make(&format!("source.{container}"), &args)
}

/// The MP4 source's tracks and samples, video first.
fn mp4_tracks() -> Vec<(TrackConfig, Vec<Sample>)> {
    let data = std::fs::read(source("mp4")).unwrap();
    let file = Mp4File::parse(&data).unwrap();
    let mut tracks: Vec<(TrackConfig, Vec<Sample>)> = file
        .movie()
        .tracks()
        .iter()
        .map(|t| (t.config.clone(), file.samples(t.config.id).unwrap().map(|s| s.to_sample()).collect()))
        .collect();
    tracks.sort_by_key(|(c, _)| !matches!(c.codec, CodecConfig::Avc { .. }));
    tracks
}

/// Muxes `tracks` into segments cut before each video keyframe, samples
/// interleaved by decode time.
fn mux_segments(tracks: &[(TrackConfig, Vec<Sample>)]) -> Vec<Vec<u8>> {
    let configs: Vec<TrackConfig> = tracks.iter().map(|(c, _)| c.clone()).collect();
    let mut muxer = TsMuxer::new(&configs).unwrap();
    let mut order: Vec<(f64, usize, usize)> = Vec::new();
    for (t, (config, samples)) in tracks.iter().enumerate() {
        for (i, s) in samples.iter().enumerate() {
            order.push((s.decode_time as f64 / f64::from(config.timescale.get()), t, i));
        }
    }
    order.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut segments: Vec<Vec<u8>> = Vec::new();
    for (_, t, i) in order {
        let (config, samples) = &tracks[t];
        let s = &samples[i];
        if t == 0 && s.keyframe {
            if let Some(last) = segments.last_mut() {
                muxer.flush(last);
            }
            let mut seg = Vec::new();
            muxer.begin_segment(&mut seg);
            segments.push(seg);
        }
        let seg = segments.last_mut().expect("the first sample is a video keyframe");
        muxer.write_sample(config.id, s, seg).unwrap();
    }
    muxer.flush(segments.last_mut().unwrap());
    segments
}

/// `ffmpeg -v error -i file -f null -`'s stderr (must be empty).
fn decode_errors(file: &Path) -> String {
    let out =
        Command::new("ffmpeg").args(["-v", "error", "-nostdin", "-i"]).arg(file).args(["-f", "null", "-"]).output();
    let out = out.expect("run ffmpeg");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// ffprobe's packets of one stream type (`v` or `a`): (pts, dts).
fn probe_packets(file: &Path, stream: &str) -> Vec<(i64, i64)> {
    let csv = common::ffprobe(&["-select_streams", stream, "-show_entries", "packet=pts,dts", "-of", "csv=p=0"], file);
    csv.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split(',').map(|v| v.trim().parse::<i64>().unwrap());
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect()
}

fn pid(packet: &[u8]) -> u16 {
    u16::from_be_bytes([packet[1] & 0x1f, packet[2]])
}

#[test]
fn segments_decode_cleanly_alone_and_concatenated() {
    let tracks = mp4_tracks();
    assert_eq!(tracks.len(), 2);
    let video_frames = tracks[0].1.len();
    assert_eq!(video_frames, 60);
    let segments = mux_segments(&tracks);
    assert_eq!(segments.len(), 2, "a keyframe every 30 frames");
    let mut all = Vec::new();
    for (n, seg) in segments.iter().enumerate() {
        assert_eq!(seg.len() % 188, 0);
        let packets: Vec<&[u8]> = seg.chunks(188).collect();
        assert!(packets.iter().all(|p| p[0] == 0x47));
        assert_eq!((pid(packets[0]), pid(packets[1])), (0, PMT_PID), "segment {n} starts with PAT, PMT");
        let first_video = packets.iter().find(|p| pid(p) == FIRST_ES_PID && p[1] & 0x40 != 0).unwrap();
        assert_eq!(first_video[3] & 0x20, 0x20, "adaptation field on the first video packet");
        assert_eq!(first_video[5] & 0x50, 0x50, "random_access_indicator and PCR on segment {n}'s first frame");
        // The first video unit is an IDR with the SPS and PPS before it.
        let mut d = TsDemuxer::new();
        d.push(seg).unwrap();
        d.finish().unwrap();
        assert_eq!(d.warnings().total(), 0, "{:?}", d.warnings());
        let first = std::iter::from_fn(|| d.next_unit()).find(|u| u.pid == FIRST_ES_PID).unwrap();
        assert!(first.keyframe, "segment {n} starts with an IDR");
        assert!(d.streams()[0].config.is_some(), "SPS and PPS in segment {n}");
        let path = dir().join(format!("ours-{n}.ts"));
        std::fs::write(&path, seg).unwrap();
        assert_eq!(decode_errors(&path), "", "segment {n}");
        all.extend_from_slice(seg);
    }
    // PCRs on the video PID, never going back, at most 100 ms apart.
    let pcrs: Vec<u64> = all
        .chunks(188)
        .filter(|p| pid(p) == FIRST_ES_PID && p[3] & 0x20 != 0 && p[4] > 0 && p[5] & 0x10 != 0)
        .map(|p| p[6..11].iter().fold(0u64, |a, &b| (a << 8) | u64::from(b)) >> 7)
        .collect();
    assert!(pcrs.len() >= 20, "{} PCRs in 2 s", pcrs.len());
    assert!(pcrs.windows(2).all(|w| w[1] >= w[0] && w[1] - w[0] <= 9000), "{pcrs:?}");
    assert!(all
        .chunks(188)
        .filter(|p| p[3] & 0x20 != 0 && p[4] > 0 && p[5] & 0x10 != 0)
        .all(|p| pid(p) == FIRST_ES_PID));
    let path = dir().join("ours-all.ts");
    std::fs::write(&path, &all).unwrap();
    assert_eq!(decode_errors(&path), "", "concatenated");
    let streams = common::ffprobe(
        &[
            "-count_frames",
            "-show_entries",
            "stream=codec_name,width,height,sample_rate,channels,nb_read_frames",
            "-of",
            "csv=p=0",
        ],
        &path,
    );
    let lines: Vec<&str> = streams.lines().collect();
    assert_eq!(lines[0], "h264,322,182,60", "{streams}");
    let audio_frames = tracks[1].1.len();
    assert_eq!(lines[1], format!("aac,48000,2,{audio_frames}"), "{streams}");
    // Duration: the video's first PTS to its last PTS plus one frame.
    let v = probe_packets(&path, "v");
    let first = v.iter().map(|p| p.0).min().unwrap();
    let last = v.iter().map(|p| p.0).max().unwrap();
    let duration = (last - first + 3000) as f64 / 90_000.0;
    assert!((duration - 2.0).abs() <= 1.0 / 30.0, "duration {duration}");
    let (config, samples) = &tracks[0];
    let want = samples
        .iter()
        .map(|s| Timestamp::new(s.decode_time + i64::from(s.composition_offset), config.timescale))
        .map(|t| t.rescale(Timescale::MPEG).ticks)
        .min()
        .unwrap();
    assert_eq!(first, want + DEFAULT_TIMESTAMP_OFFSET as i64, "PTS shifted by the offset");
}

#[test]
fn our_demuxer_reads_what_ffprobe_reads_from_an_ffmpeg_ts() {
    let path = source("ts");
    let data = std::fs::read(&path).unwrap();
    for piece in [data.len(), 1000, 187, 7] {
        let mut d = TsDemuxer::new();
        for chunk in data.chunks(piece) {
            d.push(chunk).unwrap();
        }
        d.finish().unwrap();
        assert_eq!(d.warnings().total(), 0, "{:?}", d.warnings());
        let streams = d.streams().to_vec();
        assert_eq!(streams.len(), 2);
        let units: Vec<_> = std::iter::from_fn(|| d.next_unit()).collect();
        for (s, probe) in [(&streams[0], "v"), (&streams[1], "a")] {
            let ours: Vec<(i64, i64)> = units.iter().filter(|u| u.pid == s.pid).map(|u| (u.pts, u.dts)).collect();
            let mut theirs = probe_packets(&path, probe);
            let mut ours_sorted = ours.clone();
            // ffprobe lists packets in file order as we do.
            assert_eq!(ours.len(), theirs.len(), "{probe} count, piece {piece}");
            ours_sorted.sort();
            theirs.sort();
            assert_eq!(ours_sorted, theirs, "{probe} times, piece {piece}");
        }
        match &streams[0].config {
            Some(CodecConfig::Avc { width, height, .. }) => assert_eq!((*width, *height), (322, 182)),
            other => panic!("video config {other:?}"),
        }
        match &streams[1].config {
            Some(CodecConfig::Aac { sample_rate, channels, .. }) => assert_eq!((*sample_rate, *channels), (48_000, 2)),
            other => panic!("audio config {other:?}"),
        }
        let video: Vec<_> = units.iter().filter(|u| u.pid == streams[0].pid).collect();
        assert!(video[0].keyframe && video.iter().filter(|u| u.keyframe).count() == 2);
        assert!(video.iter().any(|u| u.pts != u.dts), "B-frames");
    }
}

/// NAL units of a length-prefixed sample but for AUDs, SPS and PPS.
fn slice_nals(data: &[u8]) -> Vec<Vec<u8>> {
    length_prefixed_nal_units(data, 4)
        .map(|n| n.unwrap())
        .filter(|n| !matches!(n.nal_type, NalUnitType::AUD | NalUnitType::SPS | NalUnitType::PPS))
        .map(|n| n.data.to_vec())
        .collect()
}

#[test]
fn our_mux_and_demux_round_trip_samples() {
    let tracks = mp4_tracks();
    let segments = mux_segments(&tracks);
    let mut d = TsDemuxer::new();
    for seg in &segments {
        d.push(seg).unwrap();
    }
    d.finish().unwrap();
    assert_eq!(d.warnings().total(), 0);
    let units: Vec<_> = std::iter::from_fn(|| d.next_unit()).collect();
    for (n, (config, samples)) in tracks.iter().enumerate() {
        let pid = FIRST_ES_PID + n as u16;
        let got: Vec<_> = units.iter().filter(|u| u.pid == pid).collect();
        assert_eq!(got.len(), samples.len(), "track {n}");
        let stream = d.streams().iter().find(|s| s.pid == pid).unwrap();
        for (u, s) in got.iter().zip(samples) {
            let t90 = |t: i64| Timestamp::new(t, config.timescale).rescale(Timescale::MPEG).ticks;
            let offset = DEFAULT_TIMESTAMP_OFFSET as i64;
            assert_eq!(u.dts - offset, t90(s.decode_time));
            assert_eq!(u.pts - offset, t90(s.decode_time + i64::from(s.composition_offset)));
            assert_eq!(u.keyframe, s.keyframe);
            match stream.kind {
                TsStreamKind::H264 => assert_eq!(slice_nals(&u.data), slice_nals(&s.data)),
                _ => assert_eq!(u.data, s.data, "AAC frames byte for byte"),
            }
        }
        match (&stream.config, &config.codec) {
            (Some(CodecConfig::Avc { width, height, .. }), CodecConfig::Avc { width: w, height: h, .. }) => {
                assert_eq!((width, height), (w, h))
            }
            // ADTS carries the 2-byte form; ffmpeg's esds may add an SBR
            // sync extension after it.
            (Some(CodecConfig::Aac { asc, .. }), CodecConfig::Aac { asc: a, .. }) => assert_eq!(asc[..], a[..2]),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn hostile_input_gives_warnings_not_panics() {
    let data = std::fs::read(source("ts")).unwrap();
    let (clean, units) = harness::demux(&[&[0u8][..], &data].concat());
    assert_eq!(clean.warnings().total(), 0);
    let count = units.len();

    // Garbage before and between packets: sync is found again.
    let mut garbage = vec![0x47u8, 1, 2, 3, 0x47, 9];
    garbage.extend_from_slice(&data[..188 * 50]);
    garbage.extend_from_slice(&[0x47, 0x47, 0, 0, 0, 0x47]);
    garbage.extend_from_slice(&data[188 * 50..]);
    let (d, u) = harness::demux(&[&[0u8][..], &garbage].concat());
    assert!(d.warnings().resyncs >= 1 && d.warnings().skipped_bytes >= 12, "{:?}", d.warnings());
    assert_eq!(u.len(), count, "nothing lost to the garbage");

    // A wrong continuity counter is counted.
    let mut cc = data.clone();
    let video_packet = (0..cc.len() / 188).find(|i| pid(&cc[i * 188..]) == 0x100 && *i > 100).unwrap();
    cc[video_packet * 188 + 3] ^= 0x05;
    let (d, _) = harness::demux(&[&[0u8][..], &cc].concat());
    assert!(d.warnings().continuity_errors >= 1, "{:?}", d.warnings());

    // A huge or lying PES length.
    let mut lying = data.clone();
    let audio_start =
        (0..lying.len() / 188).find(|i| pid(&lying[i * 188..]) == 0x101 && lying[i * 188 + 1] & 0x40 != 0).unwrap();
    let p = &mut lying[audio_start * 188..audio_start * 188 + 188];
    let pes = if p[3] & 0x20 != 0 { 5 + usize::from(p[4]) } else { 4 };
    p[pes + 4] = 0xff;
    p[pes + 5] = 0xff;
    let (d, _) = harness::demux(&[&[0u8][..], &lying].concat());
    assert!(d.warnings().pes_errors + d.warnings().bitstream_errors >= 1, "{:?}", d.warnings());

    // Truncations, bit flips and plain noise: the harness checks the rest.
    for cut in [0, 1, 187, 188, 189, 5000, data.len() - 1] {
        harness::fuzz_entry(&[&[13u8][..], &data[..cut]].concat());
    }
    let mut x = 0x1234_5678u32;
    for round in 0..200 {
        let mut m = data[..data.len().min(40_000)].to_vec();
        for _ in 0..(round % 7 + 1) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let i = x as usize % m.len();
            m[i] = (x >> 24) as u8;
        }
        m.insert(0, (round % 5) as u8 * 50);
        harness::fuzz_entry(&m);
    }
    let noise: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    harness::fuzz_entry(&noise);
}

#[test]
fn muxer_refuses_what_it_cannot_write() {
    use framecast::error::{Coded, ErrorCode};
    use framecast::mux::ts::TsError;
    assert_eq!(TsMuxer::new(&[]).unwrap_err(), TsError::NoTracks);
    let opus = CodecConfig::Opus { channels: 2, pre_skip: 312, input_sample_rate: 48_000, output_gain: 0 };
    let e = TsMuxer::new(&[TrackConfig::new(1, Timescale::new(48_000).unwrap(), opus)]).unwrap_err();
    assert!(matches!(e, TsError::UnsupportedCodec { .. }) && e.code() == ErrorCode::InvalidConfig, "{e}");
    let he = CodecConfig::Aac { asc: vec![0x2b, 0x92, 0x08, 0x00], sample_rate: 48_000, channels: 2 };
    assert!(matches!(
        TsMuxer::new(&[TrackConfig::new(1, Timescale::new(48_000).unwrap(), he)]),
        Err(TsError::UnsupportedCodec { .. })
    ));
    let lc = CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: 48_000, channels: 2 };
    let track = TrackConfig::new(1, Timescale::new(48_000).unwrap(), lc);
    assert!(matches!(TsMuxer::new(&[track.clone(), track.clone()]), Err(TsError::DuplicateTrack { track_id: 1 })));
    let mut m = TsMuxer::with_timestamp_offset(&[track], 0).unwrap();
    let s = Sample { decode_time: 0, composition_offset: 0, duration: 1024, keyframe: true, data: vec![1, 2] };
    let mut out = Vec::new();
    assert_eq!(m.write_sample(1, &s, &mut out), Err(TsError::NoSegment));
    m.begin_segment(&mut out);
    let len = out.len();
    assert_eq!(m.write_sample(2, &s, &mut out), Err(TsError::UnknownTrack { track_id: 2 }));
    let early = Sample { decode_time: -10, ..s.clone() };
    assert!(matches!(m.write_sample(1, &early, &mut out), Err(TsError::NegativeTime { .. })));
    let long = Sample { data: vec![0; 9000], ..s };
    assert!(matches!(m.write_sample(1, &long, &mut out), Err(TsError::BadSample { .. })));
    assert_eq!(out.len(), len, "nothing written on error");
}

/// Replays the `ts_demux` fuzz corpus (`tests/fuzz/corpus/ts_demux/`).
#[test]
fn fuzz_corpus_replays_without_panics() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/ts_demux");
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).unwrap_or_else(|e| panic!("{}: {e}", corpus.display())) {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        harness::fuzz_entry(&data);
        n += 1;
    }
    assert!(n >= 3, "the corpus has only {n} inputs");
}

#[test]
fn other_stream_types_are_listed_as_unsupported_with_their_name() {
    use framecast::mux::ts::stream_type_name;
    let path = make(
        "hevc.ts",
        &["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-t", "0.3", "-c:v", "libx265", "-f", "mpegts"],
    );
    let (d, units) = harness::demux(&[&[0u8][..], &std::fs::read(path).unwrap()].concat());
    assert_eq!(d.streams().len(), 1);
    let s = &d.streams()[0];
    assert_eq!(
        (s.kind, s.stream_type, stream_type_name(s.stream_type)),
        (TsStreamKind::Unsupported, 0x24, "HEVC video")
    );
    assert!(s.config.is_none() && units.is_empty());
}

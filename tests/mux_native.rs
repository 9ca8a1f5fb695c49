//! CMAF, progressive MP4 and segmenter output: golden files for exact bytes,
//! and ffprobe/ffmpeg as referees for timestamps and decodability.
//!
//! Regenerate the golden files with
//! `UPDATE_GOLDEN=1 cargo test --release --test mux_native`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{clip, ffprobe, testdata_dir, Clip};
use framecast::codec::h264::bitstream::AvcDecoderConfigurationRecord;
use framecast::codec::h264::{EncoderConfig, H264Encoder, NalFormat};
use framecast::codec::CodecConfig;
use framecast::frame::{i420_size, I420Planes};
use framecast::mux::cmaf::{sidx, Bitrate, CmafWriter, SidxReference};
use framecast::mux::error::MuxError;
use framecast::mux::mp4::{progressive_mp4, Mp4Options};
use framecast::mux::segmenter::{Fragment, MemoryListener, Segmenter, SegmenterConfig, SegmenterMode};
use framecast::mux::{Sample, TrackConfig};
use framecast::time::{Timescale, Timestamp};

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

/// An SPS/PPS pair made by x264 for 64x48 with a 4:3 sample aspect ratio,
/// BT.709 colour and full range, so `pasp` and `colr` must appear.
const X264_SPS: &str = "6764000aacd9447b0e6e02020280000003008000001e078912cb";
const X264_PPS: &str = "68ebe3cb22c0";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn x264_avc_track(id: u32) -> TrackConfig {
    let (sps, pps) = (hex(X264_SPS), hex(X264_PPS));
    let avcc = AvcDecoderConfigurationRecord::from_parameter_sets(&[&sps], &[&pps]).unwrap().to_bytes();
    TrackConfig::new(id, Timescale::MPEG, CodecConfig::Avc { avcc, width: 64, height: 48 })
}

fn aac_config(id: u32) -> TrackConfig {
    // AAC-LC, 48 kHz, stereo.
    let mut t =
        TrackConfig::new(id, ts(48_000), CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: 48_000, channels: 2 });
    t.language = "eng".into();
    t
}

fn ts(n: u32) -> Timescale {
    Timescale::new(n).unwrap()
}

/// `n` fake samples from `start`, each `duration` long; `key(i)` picks
/// keyframes and `cto(i)` composition offsets. Data bytes encode the index.
fn fake(start: i64, n: usize, duration: u32, key: impl Fn(usize) -> bool, cto: impl Fn(usize) -> i32) -> Vec<Sample> {
    (0..n)
        .map(|i| Sample {
            decode_time: start + i as i64 * i64::from(duration),
            composition_offset: cto(i),
            duration,
            keyframe: key(i),
            data: vec![i as u8; 3 + i % 5],
        })
        .collect()
}

/// Real H.264 from our encoder: `frames` of testsrc2 at 30 fps, an IDR
/// every `gop` frames, timestamps in the 90 kHz clock.
fn h264(w: u32, h: u32, frames: u32, gop: u32) -> (TrackConfig, Vec<Sample>) {
    let raw = std::fs::read(clip(Clip::Testsrc2, w, h, 30, frames)).unwrap();
    let mut config = EncoderConfig::new(w, h);
    config.format = NalFormat::Avc;
    config.keyframe_interval = Some(gop);
    config.bitrate = 300_000;
    let mut enc = H264Encoder::new(config).unwrap();
    let mut samples = Vec::new();
    let mut avcc = Vec::new();
    for (i, frame) in raw.chunks_exact(i420_size(w, h)).enumerate() {
        let dts = i as i64 * 3000;
        let au = enc
            .encode(&I420Planes::packed(w, h, frame).unwrap(), Timestamp::new(dts, Timescale::MPEG))
            .unwrap()
            .unwrap();
        avcc.clone_from(&au.config.avcc);
        samples.push(Sample {
            decode_time: dts,
            composition_offset: 0,
            duration: 3000,
            keyframe: au.keyframe,
            data: au.data,
        });
    }
    assert!(enc.flush().unwrap().is_empty());
    (TrackConfig::new(1, Timescale::MPEG, CodecConfig::Avc { avcc, width: w, height: h }), samples)
}

/// 320x240, 3 s, an IDR every second. Encoded once per test binary.
fn video() -> &'static (TrackConfig, Vec<Sample>) {
    static V: OnceLock<(TrackConfig, Vec<Sample>)> = OnceLock::new();
    V.get_or_init(|| h264(320, 240, 90, 30))
}

/// Real AAC-LC from ffmpeg (3 s of a 440 Hz sine at 48 kHz, 128 kbit/s),
/// split from ADTS into raw frames of 1024 samples.
fn audio() -> &'static (TrackConfig, Vec<Sample>) {
    static A: OnceLock<(TrackConfig, Vec<Sample>)> = OnceLock::new();
    A.get_or_init(|| {
        let path = testdata_dir().join("sine440_48k_3s.aac");
        if !path.exists() {
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            let status = Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3"])
                .args(["-c:a", "aac", "-b:a", "128k", "-f", "adts"])
                .arg(&tmp)
                .status()
                .unwrap();
            assert!(status.success());
            std::fs::rename(&tmp, &path).unwrap();
        }
        let (asc, frames) = parse_adts(&std::fs::read(&path).unwrap());
        let samples = frames
            .into_iter()
            .enumerate()
            .map(|(i, data)| Sample {
                decode_time: i as i64 * 1024,
                composition_offset: 0,
                duration: 1024,
                keyframe: true,
                data,
            })
            .collect();
        let channels = u16::from((asc[1] >> 3) & 0x0f);
        let track = TrackConfig::new(2, ts(48_000), CodecConfig::Aac { asc, sample_rate: 48_000, channels });
        (track, samples)
    })
}

/// Splits an ADTS stream into raw AAC frames and derives the
/// AudioSpecificConfig from the first header.
fn parse_adts(data: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut frames = Vec::new();
    let mut asc = Vec::new();
    let mut pos = 0;
    while pos + 7 <= data.len() {
        let h = &data[pos..pos + 7];
        assert!(h[0] == 0xff && h[1] & 0xf0 == 0xf0, "ADTS sync at {pos}");
        let protection_absent = h[1] & 1 == 1;
        let profile = h[2] >> 6; // object type - 1
        let sf_index = (h[2] >> 2) & 0x0f;
        let channels = ((h[2] & 1) << 2) | (h[3] >> 6);
        let frame_len = (usize::from(h[3] & 3) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
        assert_eq!(h[6] & 3, 0, "one raw data block per frame");
        let header = if protection_absent { 7 } else { 9 };
        if asc.is_empty() {
            let aot = profile + 1;
            asc = vec![(aot << 3) | (sf_index >> 1), ((sf_index & 1) << 7) | (channels << 3)];
        }
        frames.push(data[pos + header..pos + frame_len].to_vec());
        pos += frame_len;
    }
    assert_eq!(pos, data.len());
    (asc, frames)
}

// ---------------------------------------------------------------------------
// Referees
// ---------------------------------------------------------------------------

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/mux")
}

/// Compares `bytes` with the golden file `name`, or rewrites it when
/// `UPDATE_GOLDEN` is set.
fn golden(name: &str, bytes: &[u8]) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        return;
    }
    let want =
        std::fs::read(&path).unwrap_or_else(|_| panic!("{} is missing: run with UPDATE_GOLDEN=1", path.display()));
    if want != bytes {
        let at = want.iter().zip(bytes).position(|(a, b)| a != b).unwrap_or(want.len().min(bytes.len()));
        panic!("{name} differs from the golden file at byte {at} (golden {} bytes, now {})", want.len(), bytes.len());
    }
}

fn out_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = testdata_dir().join("mux");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[derive(Debug, PartialEq, Eq)]
struct Packet {
    pts: i64,
    dts: i64,
    keyframe: bool,
}

/// ffprobe's packets of each stream, in file order, with their durations
/// (`None` where ffprobe says N/A).
fn probe_packets(path: &Path, streams: usize) -> Vec<Vec<(Packet, Option<i64>)>> {
    let json = ffprobe(&["-show_entries", "packet=stream_index,pts,dts,duration,flags", "-of", "json"], path);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut out: Vec<Vec<(Packet, Option<i64>)>> = (0..streams).map(|_| Vec::new()).collect();
    for p in v["packets"].as_array().expect("packets") {
        let int = |k: &str| p[k].as_i64().unwrap_or_else(|| panic!("packet without {k}: {p}"));
        let packet =
            Packet { pts: int("pts"), dts: int("dts"), keyframe: p["flags"].as_str().unwrap_or("").starts_with('K') };
        out[int("stream_index") as usize].push((packet, p["duration"].as_i64()));
    }
    out
}

/// ffprobe must report exactly our samples' presentation and decode times
/// and keyframe flags, stream by stream (sorted by decode time: packets of
/// different tracks may interleave in any order), and our durations.
///
/// ffmpeg 5.1 leaves packet durations of fragmented files at N/A for video
/// (it does not pass `trun` durations on), so durations are checked where
/// ffprobe gives them, and in full through the stream's `duration_ts`: with
/// every decode time exact, the gaps between them are the durations of all
/// but the last sample, and `duration_ts` (where the track ends) pins the
/// last one.
fn assert_probe_matches(path: &Path, streams: &[&[Sample]]) {
    let got = probe_packets(path, streams.len());
    let ends = ffprobe(&["-show_entries", "stream=duration_ts", "-of", "csv=p=0"], path);
    let ends: Vec<i64> = ends.lines().map(|l| l.trim().parse().expect("duration_ts")).collect();
    for (i, (got, want)) in got.iter().zip(streams).enumerate() {
        let mut got_sorted: Vec<&(Packet, Option<i64>)> = got.iter().collect();
        got_sorted.sort_by_key(|(p, _)| p.dts);
        assert_eq!(got_sorted.len(), want.len(), "{}: stream {i} packet count", path.display());
        for (n, ((g, duration), w)) in got_sorted.iter().zip(want.iter()).enumerate() {
            let expected = Packet {
                pts: w.decode_time + i64::from(w.composition_offset),
                dts: w.decode_time,
                keyframe: w.keyframe,
            };
            assert_eq!(*g, expected, "{}: stream {i} packet {n}", path.display());
            if let Some(d) = duration {
                assert_eq!(*d, i64::from(w.duration), "{}: stream {i} packet {n} duration", path.display());
            }
        }
        let last = want.last().unwrap();
        let first = want.first().unwrap();
        assert_eq!(
            ends[i],
            last.decode_time + i64::from(last.duration) - first.decode_time,
            "{}: stream {i} end",
            path.display()
        );
    }
}

/// ffmpeg decodes the whole file without printing anything at `-v error`.
fn assert_decodes_cleanly(path: &Path) {
    let out = Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(path).args(["-f", "null", "-"]).output().unwrap();
    assert!(out.status.success(), "ffmpeg failed on {}", path.display());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "ffmpeg complained about {}:\n{stderr}", path.display());
}

fn find_box(bytes: &[u8], fourcc: &[u8; 4]) -> Option<usize> {
    bytes.windows(4).position(|w| w == fourcc).map(|p| p - 4)
}

/// Top-level boxes as (fourcc, size).
fn top_level(bytes: &[u8]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        out.push((String::from_utf8_lossy(&bytes[pos + 4..pos + 8]).into_owned(), size));
        assert!(size >= 8, "bad box size at {pos}");
        pos += size;
    }
    assert_eq!(pos, bytes.len(), "boxes tile the buffer");
    out
}

/// Samples of `all` whose decode time (in `timescale`) falls in
/// [`from`, `to`) seconds expressed as ticks of `unit`.
fn window(all: &[Sample], timescale: u32, from: i64, to: i64, unit: u32) -> Vec<Sample> {
    all.iter()
        .filter(|s| {
            let t = i128::from(s.decode_time) * i128::from(unit);
            t >= i128::from(from) * i128::from(timescale) && t < i128::from(to) * i128::from(timescale)
        })
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------
// Golden files
// ---------------------------------------------------------------------------

#[test]
fn golden_init_segments() {
    let avc = CmafWriter::new(vec![x264_avc_track(1)]).unwrap().init_segment().unwrap();
    // The SPS VUI has a 4:3 sample aspect ratio and BT.709 full-range colour.
    let pasp = find_box(&avc, b"pasp").expect("pasp");
    assert_eq!(&avc[pasp + 8..pasp + 16], &[0, 0, 0, 4, 0, 0, 0, 3]);
    let colr = find_box(&avc, b"colr").expect("colr");
    assert_eq!(&avc[colr + 8..colr + 19], b"nclx\x00\x01\x00\x01\x00\x01\x80");
    // tkhd width is the display width: 64 * 4 / 3 = 85.33.
    let tkhd = find_box(&avc, b"tkhd").unwrap();
    assert_eq!(&avc[tkhd + 84..tkhd + 88], &(((64u64 * 4) << 16) / 3).to_be_bytes()[4..]);
    assert_eq!(top_level(&avc), [("ftyp".to_string(), 36), ("moov".to_string(), avc.len() - 36)]);
    assert_eq!(&avc[8..36], b"cmf2\0\0\0\0cmf2cmfciso6mp41dash");
    golden("init_avc.mp4", &avc);

    let aac = CmafWriter::new(vec![aac_config(1)]).unwrap().init_segment().unwrap();
    let esds = find_box(&aac, b"esds").unwrap();
    // ES_Descriptor tag 3, then DecoderConfigDescriptor: tag 4, OTI 0x40, stream type 5 (0x15).
    assert_eq!(aac[esds + 12], 0x03);
    let dcd = esds + 12 + 2 + 3;
    assert_eq!(&aac[dcd..dcd + 4], &[0x04, aac[dcd + 1], 0x40, 0x15]);
    golden("init_aac.mp4", &aac);

    let opus = TrackConfig::new(
        1,
        ts(48_000),
        CodecConfig::Opus { channels: 2, pre_skip: 312, input_sample_rate: 48_000, output_gain: 0 },
    );
    let opus = CmafWriter::new(vec![opus]).unwrap().init_segment().unwrap();
    assert!(find_box(&opus, b"dOps").is_some());
    golden("init_opus.mp4", &opus);

    let mut streaminfo = vec![0x00, 0, 0, 34];
    streaminfo.extend([0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0x0b, 0xb8, 0x03, 0x70, 0, 0, 0, 0]);
    streaminfo.extend([0u8; 16]);
    let flac = TrackConfig::new(
        1,
        ts(48_000),
        CodecConfig::Flac { metadata: streaminfo, sample_rate: 48_000, channels: 2, bits_per_sample: 16 },
    );
    let flac = CmafWriter::new(vec![flac]).unwrap().init_segment().unwrap();
    let dfla = find_box(&flac, b"dfLa").unwrap();
    assert_eq!(flac[dfla + 12], 0x80, "STREAMINFO flagged as the last block");
    golden("init_flac.mp4", &flac);

    let mut muxed = CmafWriter::new(vec![x264_avc_track(1), aac_config(2)]).unwrap();
    muxed.set_bitrate(1, Bitrate { buffer_size: 40_000, max_bitrate: 1_000_000, avg_bitrate: 800_000 }).unwrap();
    muxed.set_bitrate(2, Bitrate { buffer_size: 768, max_bitrate: 130_000, avg_bitrate: 128_000 }).unwrap();
    let muxed = muxed.init_segment().unwrap();
    assert_eq!(muxed.windows(4).filter(|w| w == b"trak").count(), 2);
    assert_eq!(muxed.windows(4).filter(|w| w == b"btrt").count(), 2);
    assert_eq!(&muxed[8..28], b"iso6\0\0\0\0iso6mp41dash", "several tracks: not CMAF");
    let mvex = find_box(&muxed, b"mvex").unwrap();
    assert!(mvex > find_box(&muxed, b"smhd").unwrap(), "mvex after the traks");
    golden("init_muxed.mp4", &muxed);
}

#[test]
fn golden_fragments_and_sidx() {
    // Video: IDR, then P-frames; positive composition offsets (trun v1
    // for video, offsets present), then a fragment with negative ones.
    let mut video = CmafWriter::new(vec![x264_avc_track(1)]).unwrap();
    let s1 = fake(0, 6, 3000, |i| i == 0, |i| if i % 2 == 0 { 6000 } else { 0 });
    let f1 = video.fragment(1, &[(1, &s1)]).unwrap();
    golden("fragment_video_1.m4s", &f1);
    let s2 = fake(18_000, 4, 3000, |i| i == 0, |i| if i == 1 { -3000 } else { 0 });
    let f2 = video.fragment(2, &[(1, &s2)]).unwrap();
    let trun = find_box(&f2, b"trun").unwrap();
    assert_eq!(&f2[trun + 8..trun + 12], &[1, 0, 0x0f, 0x01]);
    golden("fragment_video_2.m4s", &f2);

    // Audio: every frame a sync sample, no offsets: trun version 0.
    let mut audio = CmafWriter::new(vec![aac_config(2)]).unwrap();
    let a = fake(0, 8, 1024, |_| true, |_| 0);
    let fa = audio.fragment(1, &[(2, &a)]).unwrap();
    let trun = find_box(&fa, b"trun").unwrap();
    assert_eq!(&fa[trun + 8..trun + 12], &[0, 0, 0x07, 0x01]);
    golden("fragment_audio.m4s", &fa);

    // A decode time past 32 bits: tfdt version 1.
    let late = fake(5_000_000_000, 2, 1024, |_| true, |_| 0);
    let fl = audio.fragment(2, &[(2, &late)]).unwrap();
    let tfdt = find_box(&fl, b"tfdt").unwrap();
    assert_eq!(fl[tfdt + 8], 1);
    golden("fragment_audio_64bit_tfdt.m4s", &fl);

    // Muxed: two trafs, one mdat, data offsets pointing at each track's bytes.
    let mut muxed = CmafWriter::new(vec![x264_avc_track(1), aac_config(2)]).unwrap();
    let v = fake(0, 3, 3000, |i| i == 0, |_| 0);
    let a = fake(0, 5, 1024, |_| true, |_| 0);
    let fm = muxed.fragment(1, &[(1, &v), (2, &a)]).unwrap();
    assert_eq!(fm.windows(4).filter(|w| w == b"traf").count(), 2);
    let moof_len = u32::from_be_bytes(fm[0..4].try_into().unwrap()) as usize;
    let truns: Vec<usize> = fm.windows(4).enumerate().filter(|(_, w)| w == b"trun").map(|(p, _)| p - 4).collect();
    let offset = |t: usize| u32::from_be_bytes(fm[t + 16..t + 20].try_into().unwrap()) as usize;
    assert_eq!(offset(truns[0]), moof_len + 8);
    assert_eq!(&fm[offset(truns[0])..offset(truns[0]) + 3], &v[0].data[..]);
    assert_eq!(offset(truns[1]), moof_len + 8 + v.iter().map(|s| s.data.len()).sum::<usize>());
    assert_eq!(&fm[offset(truns[1])..offset(truns[1]) + 3], &a[0].data[..]);
    golden("fragment_muxed.m4s", &fm);

    let refs = [
        SidxReference { size: f1.len() as u32, duration: 18_000, starts_with_sap: true },
        SidxReference { size: f2.len() as u32, duration: 12_000, starts_with_sap: true },
    ];
    golden("sidx.bin", &sidx(1, Timescale::MPEG, 0, 0, &refs).unwrap());
    golden("styp.bin", &video.styp());
}

#[test]
fn golden_progressive_mp4() {
    let v = fake(0, 10, 3000, |i| i % 5 == 0, |_| 0);
    let a = fake(0, 16, 1024, |_| true, |_| 0);
    let file = progressive_mp4(&[(&x264_avc_track(1), &v), (&aac_config(2), &a)], &Mp4Options::default()).unwrap();
    let boxes: Vec<String> = top_level(&file).into_iter().map(|(b, _)| b).collect();
    assert_eq!(boxes, ["ftyp", "moov", "mdat"], "fast start: moov before mdat");
    golden("progressive.mp4", &file);
}

#[test]
fn golden_real_h264() {
    let (track, samples) = h264(64, 48, 5, 30);
    let mut w = CmafWriter::new(vec![track]).unwrap();
    let init = w.init_segment().unwrap();
    let frag = w.fragment(1, &[(1, &samples)]).unwrap();
    golden("h264_64x48_init.mp4", &init);
    golden("h264_64x48_fragment.m4s", &frag);
    let mut file = init;
    file.extend_from_slice(&frag);
    let path = out_file("h264_64x48.mp4", &file);
    assert_probe_matches(&path, &[&samples]);
    assert_decodes_cleanly(&path);
}

#[test]
fn golden_segmenter_with_parts() {
    let config = SegmenterConfig {
        fragment_duration: Timestamp::from_millis(200),
        part_duration: Some(Timestamp::from_millis(100)),
        styp: true,
        ..SegmenterConfig::default()
    };
    let mut seg = Segmenter::new(vec![x264_avc_track(1), aac_config(2)], config, MemoryListener::default()).unwrap();
    // 10 frames at 30 fps (IDR every 6) and 0.35 s of audio, in time order.
    let v = fake(0, 10, 3000, |i| i % 6 == 0, |_| 0);
    let a = fake(0, 16, 1024, |_| true, |_| 0);
    push_in_time_order(&mut seg, &[(1, 90_000, &v), (2, 48_000, &a)]);
    seg.finish().unwrap();
    let out = seg.into_listener();
    golden("segmenter_parts_video.m4s", &out.stream_bytes(1));
    golden("segmenter_parts_audio.m4s", &out.stream_bytes(2));
    let seqs: Vec<(u32, &[u32])> = out.fragments.iter().map(|f| (f.sequence_number, f.track_ids.as_slice())).collect();
    assert_eq!(seqs, [(1, &[1][..]), (1, &[2][..]), (2, &[1][..]), (2, &[2][..])]);
}

#[test]
fn golden_files_stay_small() {
    let total: u64 = std::fs::read_dir(golden_dir()).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    assert!(total < 100 * 1024, "golden files take {total} bytes");
}

// ---------------------------------------------------------------------------
// ffprobe agreement
// ---------------------------------------------------------------------------

/// Pushes samples of several tracks in decode-time order (ties: list order).
fn push_in_time_order<L: framecast::mux::segmenter::FragmentListener>(
    seg: &mut Segmenter<L>,
    tracks: &[(u32, u32, &[Sample])],
) {
    let mut next = vec![0usize; tracks.len()];
    loop {
        let pick = (0..tracks.len()).filter(|&i| next[i] < tracks[i].2.len()).min_by_key(|&i| {
            let s = &tracks[i].2[next[i]];
            // seconds * 2^32 keeps the comparison exact enough to order
            (i128::from(s.decode_time) << 32) / i128::from(tracks[i].1)
        });
        let Some(i) = pick else { break };
        seg.push(tracks[i].0, tracks[i].2[next[i]].clone()).unwrap();
        next[i] += 1;
    }
}

#[test]
fn vod_cmaf_and_progressive_match_ffprobe() {
    let (vt, vs) = video();
    let (at, aus) = audio();
    assert!(aus.len() > 140, "3 s of AAC frames");

    // Muxed CMAF: one fragment per second (each starts with an IDR), with
    // the audio of that second.
    let mut w = CmafWriter::new(vec![vt.clone(), at.clone()]).unwrap();
    let mut file = w.init_segment().unwrap();
    for sec in 0..3 {
        let v = window(vs, 90_000, sec, sec + 1, 1);
        let a = window(aus, 48_000, sec, if sec == 2 { 100 } else { sec + 1 }, 1);
        assert!(v[0].keyframe);
        file.extend(w.fragment(sec as u32 + 1, &[(1, &v), (2, &a)]).unwrap());
    }
    let path = out_file("vod_muxed_cmaf.mp4", &file);
    assert_probe_matches(&path, &[vs, aus]);
    assert_decodes_cleanly(&path);

    // One track per file (CMAF), on-demand: init, sidx, fragments.
    for (track, samples, unit) in [(vt, vs, 90_000u32), (at, aus, 48_000)] {
        let mut w = CmafWriter::new(vec![track.clone()]).unwrap();
        let mut frags = Vec::new();
        let mut refs = Vec::new();
        for sec in 0..3 {
            let s = window(samples, unit, sec, if sec == 2 { 100 } else { sec + 1 }, 1);
            let f = w.fragment(sec as u32 + 1, &[(track.id, &s)]).unwrap();
            refs.push(SidxReference {
                size: f.len() as u32,
                duration: s.iter().map(|x| x.duration).sum(),
                starts_with_sap: s[0].keyframe,
            });
            frags.extend(f);
        }
        let mut file = w.init_segment().unwrap();
        file.extend(sidx(track.id, track.timescale, 0, 0, &refs).unwrap());
        file.extend(frags);
        let path = out_file(&format!("vod_on_demand_{}.mp4", track.id), &file);
        assert_probe_matches(&path, &[samples]);
        assert_decodes_cleanly(&path);
    }

    // Progressive MP4.
    let mp4 = progressive_mp4(&[(vt, vs), (at, aus)], &Mp4Options::default()).unwrap();
    let path = out_file("vod_progressive.mp4", &mp4);
    assert_probe_matches(&path, &[vs, aus]);
    assert_decodes_cleanly(&path);
    let probe =
        ffprobe(&["-show_entries", "stream=codec_name,width,height,sample_rate,channels", "-of", "csv=p=0"], &path);
    assert_eq!(probe.trim(), "h264,320,240\naac,48000,1");
}

#[test]
fn progressive_keeps_a_late_track_in_sync() {
    // Audio starting 0.5 s after the video: an empty edit in front of it,
    // and ffmpeg sees the audio times unchanged.
    let (vt, vs) = video();
    let (at, aus) = audio();
    let late: Vec<Sample> = aus.iter().map(|s| Sample { decode_time: s.decode_time + 24_000, ..s.clone() }).collect();
    let mp4 = progressive_mp4(&[(vt, vs), (at, &late)], &Mp4Options::default()).unwrap();
    let path = out_file("progressive_late_audio.mp4", &mp4);
    let got = probe_packets(&path, 2);
    let audio_pts: Vec<i64> = got[1].iter().map(|(p, _)| p.pts).collect();
    let want: Vec<i64> = late.iter().map(|s| s.decode_time).collect();
    assert_eq!(audio_pts, want);
    assert_eq!(got[0].first().map(|(p, _)| p.pts), Some(0));
    assert_decodes_cleanly(&path);
}

/// Live: samples pushed one at a time, fragments of 1 s with parts of
/// 333 ms, as the segmenter hands them out.
fn live(mode: SegmenterMode) -> MemoryListener {
    let (vt, vs) = video();
    let (at, aus) = audio();
    let config = SegmenterConfig {
        fragment_duration: Timestamp::from_millis(1000),
        part_duration: Some(Timestamp::from_millis(333)),
        mode,
        ..SegmenterConfig::default()
    };
    let mut seg = Segmenter::new(vec![vt.clone(), at.clone()], config, MemoryListener::default()).unwrap();
    push_in_time_order(&mut seg, &[(1, 90_000, vs), (2, 48_000, aus)]);
    seg.finish().unwrap();
    seg.into_listener()
}

fn check_fragment(f: &Fragment, parts: &[framecast::mux::segmenter::Part]) {
    // The fragment is its parts, back to back.
    let mut joined = Vec::new();
    for p in parts {
        assert_eq!(p.offset as usize, joined.len());
        joined.extend_from_slice(&p.bytes);
    }
    assert_eq!(joined, f.bytes, "fragment {} = its parts", f.sequence_number);
    assert_eq!(f.parts.len(), parts.len());
    assert_eq!(f.parts.iter().map(|p| p.duration).sum::<u64>(), f.duration);
    assert!(f.parts[0].independent && f.keyframe);
    // Each part is a moof + mdat pair.
    let boxes: Vec<String> = top_level(&f.bytes).into_iter().map(|(b, _)| b).collect();
    assert_eq!(boxes.len(), 2 * parts.len());
    assert!(boxes.chunks(2).all(|pair| pair == ["moof", "mdat"]));
}

#[test]
fn live_muxed_segmenter_matches_ffprobe() {
    let (_, vs) = video();
    let (_, aus) = audio();
    let out = live(SegmenterMode::Muxed);
    assert_eq!(out.inits.len(), 1);
    assert_eq!(out.inits[0].codecs[1], "mp4a.40.2");
    assert_eq!(out.fragments.len(), 3);
    for (n, f) in out.fragments.iter().enumerate() {
        assert_eq!(f.sequence_number, n as u32 + 1);
        assert_eq!(f.start, Timestamp::new(n as i64 * 90_000, Timescale::MPEG));
        assert_eq!(f.duration, 90_000);
        assert_eq!(f.track_ids, [1, 2]);
        let parts: Vec<_> = out.parts.iter().filter(|p| p.sequence_number == f.sequence_number).cloned().collect();
        assert_eq!(parts.iter().map(|p| p.duration).collect::<Vec<_>>(), [30_000, 30_000, 30_000]);
        check_fragment(f, &parts);
    }
    let path = out_file("live_muxed.mp4", &out.stream_bytes(1));
    assert_probe_matches(&path, &[vs, aus]);
    assert_decodes_cleanly(&path);
}

#[test]
fn live_per_track_segmenter_matches_ffprobe() {
    let (_, vs) = video();
    let (_, aus) = audio();
    let out = live(SegmenterMode::PerTrack);
    assert_eq!(out.inits.len(), 2);
    for (track, samples) in [(1u32, vs), (2, aus)] {
        let frags: Vec<&Fragment> = out.fragments.iter().filter(|f| f.track_ids == [track]).collect();
        assert_eq!(frags.len(), 3, "track {track}");
        for f in &frags {
            let parts: Vec<_> = out
                .parts
                .iter()
                .filter(|p| p.sequence_number == f.sequence_number && p.track_ids == [track])
                .cloned()
                .collect();
            check_fragment(f, &parts);
        }
        // Audio follows the video's cut times: its fragments start at the
        // first frame at or after each second.
        if track == 2 {
            let starts: Vec<i64> = frags.iter().map(|f| f.start.ticks).collect();
            assert_eq!(starts, [0, 47 * 1024, 94 * 1024]);
        }
        let path = out_file(&format!("live_track_{track}.mp4"), &out.stream_bytes(track));
        assert_probe_matches(&path, &[samples]);
        assert_decodes_cleanly(&path);
    }
}

// ---------------------------------------------------------------------------
// Errors and hostile input
// ---------------------------------------------------------------------------

#[test]
fn bad_tracks_and_samples_are_typed_errors() {
    let bad_avcc =
        TrackConfig::new(1, Timescale::MPEG, CodecConfig::Avc { avcc: vec![1, 2, 3], width: 64, height: 48 });
    assert!(matches!(CmafWriter::new(vec![bad_avcc]), Err(MuxError::Codec { track_id: 1, .. })));
    let mut zero = x264_avc_track(1);
    zero.codec = match zero.codec {
        CodecConfig::Avc { avcc, .. } => CodecConfig::Avc { avcc, width: 0, height: 48 },
        other => other,
    };
    assert!(matches!(CmafWriter::new(vec![zero]), Err(MuxError::InvalidTrack { field: "codec.width/height", .. })));
    let mut lang = aac_config(1);
    lang.language = "English".into();
    assert!(matches!(CmafWriter::new(vec![lang]), Err(MuxError::InvalidTrack { field: "language", .. })));
    assert!(matches!(CmafWriter::new(vec![aac_config(0)]), Err(MuxError::InvalidTrack { field: "id", .. })));
    assert!(matches!(
        CmafWriter::new(vec![aac_config(3), aac_config(3)]),
        Err(MuxError::DuplicateTrack { track_id: 3 })
    ));
    assert_eq!(CmafWriter::new(vec![]).unwrap_err(), MuxError::NoTracks);
    let surround = TrackConfig::new(
        1,
        ts(48_000),
        CodecConfig::Opus { channels: 6, pre_skip: 0, input_sample_rate: 0, output_gain: 0 },
    );
    assert!(matches!(CmafWriter::new(vec![surround]), Err(MuxError::Unsupported { .. })));
    let flac = TrackConfig::new(
        1,
        ts(48_000),
        CodecConfig::Flac { metadata: vec![0, 0, 0, 2, 0, 0], sample_rate: 48_000, channels: 2, bits_per_sample: 16 },
    );
    assert!(matches!(CmafWriter::new(vec![flac]), Err(MuxError::InvalidTrack { field: "codec.metadata", .. })));

    let mut w = CmafWriter::new(vec![aac_config(2)]).unwrap();
    assert_eq!(w.fragment(1, &[(2, &[])]), Err(MuxError::NoSamples { track_id: 2 }));
    assert_eq!(w.fragment(1, &[(5, &fake(0, 1, 1024, |_| true, |_| 0))]), Err(MuxError::UnknownTrack { track_id: 5 }));
    let mut back = fake(0, 3, 1024, |_| true, |_| 0);
    back[2].decode_time = 10;
    assert!(matches!(w.fragment(1, &[(2, &back)]), Err(MuxError::DecodeTimeDecreased { track_id: 2, .. })));

    // Segmenter: unknown track, decreasing time, non-keyframe start, finished.
    let mut seg =
        Segmenter::new(vec![x264_avc_track(1), aac_config(2)], SegmenterConfig::default(), MemoryListener::default())
            .unwrap();
    let s = |t: i64, key: bool| Sample {
        decode_time: t,
        composition_offset: 0,
        duration: 3000,
        keyframe: key,
        data: vec![1],
    };
    assert_eq!(seg.push(9, s(0, true)), Err(MuxError::UnknownTrack { track_id: 9 }));
    assert_eq!(seg.push(1, s(0, false)), Err(MuxError::FirstSampleNotKeyframe { track_id: 1 }));
    seg.push(1, s(3000, true)).unwrap();
    assert!(matches!(seg.push(1, s(3000, false)), Err(MuxError::DecodeTimeDecreased { .. })));
    assert!(matches!(seg.push(1, s(-5, false)), Err(MuxError::NegativeDecodeTime { .. })));
    seg.finish().unwrap();
    assert_eq!(seg.push(1, s(6000, false)), Err(MuxError::Finished));
    assert_eq!(seg.finish(), Err(MuxError::Finished));
    assert_eq!(seg.listener().fragments.len(), 1);

    let config = SegmenterConfig { part_duration: Some(Timestamp::from_millis(3000)), ..SegmenterConfig::default() };
    assert!(matches!(
        Segmenter::new(vec![aac_config(1)], config, MemoryListener::default()),
        Err(MuxError::InvalidOption { field: "part_duration", .. })
    ));
    let config = SegmenterConfig { fragment_duration: Timestamp::from_millis(0), ..SegmenterConfig::default() };
    assert!(matches!(
        Segmenter::new(vec![aac_config(1)], config, MemoryListener::default()),
        Err(MuxError::InvalidOption { field: "fragment_duration", .. })
    ));
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// A value of any magnitude: random bits shifted right by 0 to 32.
    fn any_u32(&mut self) -> u32 {
        let shift = self.below(33) as u32;
        (self.next() as u32).checked_shr(shift).unwrap_or(0)
    }
}

#[test]
fn hostile_inputs_never_panic() {
    let mut rng = Rng(0x5eed);
    for round in 0..300 {
        // Random codec configurations.
        let mut bytes = vec![0u8; rng.below(40) as usize];
        bytes.iter_mut().for_each(|b| *b = rng.next() as u8);
        let codec = match round % 4 {
            0 => CodecConfig::Avc {
                avcc: bytes.clone(),
                width: rng.below(70_000) as u32,
                height: rng.below(70_000) as u32,
            },
            1 => CodecConfig::Aac {
                asc: bytes.clone(),
                sample_rate: rng.below(200_000) as u32,
                channels: rng.below(9) as u16,
            },
            2 => CodecConfig::Opus { channels: rng.below(4) as u8, pre_skip: 0, input_sample_rate: 0, output_gain: 0 },
            _ => CodecConfig::Flac {
                metadata: bytes.clone(),
                sample_rate: 1,
                channels: 1,
                bits_per_sample: rng.below(40) as u16,
            },
        };
        let _ = CmafWriter::new(vec![TrackConfig::new(rng.below(3) as u32, ts(1 + rng.below(100_000) as u32), codec)]);

        // Random sample runs into valid tracks.
        let n = rng.below(20) as usize;
        let mut t = rng.next() as i64 >> rng.below(64);
        let samples: Vec<Sample> = (0..n)
            .map(|_| {
                let duration = rng.any_u32();
                let s = Sample {
                    decode_time: t,
                    composition_offset: rng.any_u32() as i32,
                    duration,
                    keyframe: rng.below(2) == 0,
                    data: vec![0; rng.below(8) as usize],
                };
                t = if rng.below(4) == 0 { rng.next() as i64 } else { t.wrapping_add(i64::from(duration)) };
                s
            })
            .collect();
        let mut w = CmafWriter::new(vec![x264_avc_track(1), aac_config(2)]).unwrap();
        let _ = w.fragment(rng.next() as u32, &[(1 + rng.below(3) as u32, &samples)]);
        let _ = w.fragment(rng.next() as u32, &[(1, &samples), (2, &samples)]);
        let _ = progressive_mp4(&[(&aac_config(2), &samples)], &Mp4Options::default());
        let _ = sidx(
            1,
            Timescale::MPEG,
            rng.next(),
            rng.next(),
            &[SidxReference { size: rng.next() as u32, duration: 1, starts_with_sap: true }],
        );

        let config = SegmenterConfig {
            fragment_duration: Timestamp::from_micros(rng.below(3_000_000) as i64),
            part_duration: if rng.below(2) == 0 {
                None
            } else {
                Some(Timestamp::from_micros(rng.below(1_000_000) as i64))
            },
            mode: if rng.below(2) == 0 { SegmenterMode::Muxed } else { SegmenterMode::PerTrack },
            styp: rng.below(2) == 0,
            first_sequence_number: rng.next() as u32,
        };
        if let Ok(mut seg) = Segmenter::new(vec![x264_avc_track(1), aac_config(2)], config, MemoryListener::default()) {
            for s in &samples {
                let _ = seg.push(1 + rng.below(3) as u32, s.clone());
            }
            let _ = seg.finish();
        }
    }
}

#[test]
fn muxing_is_fast_enough() {
    // Not a benchmark: a guard against accidental quadratic behaviour.
    let samples = fake(0, 3000, 1024, |_| true, |_| 0);
    let big: Vec<Sample> = samples.iter().map(|s| Sample { data: vec![7; 20_000], ..s.clone() }).collect();
    let start = std::time::Instant::now();
    let mut w = CmafWriter::new(vec![aac_config(2)]).unwrap();
    let mut total = 0;
    for (i, chunk) in big.chunks(50).enumerate() {
        total += w.fragment(i as u32 + 1, &[(2, chunk)]).unwrap().len();
    }
    let file = progressive_mp4(&[(&aac_config(2), &big)], &Mp4Options::default()).unwrap();
    let elapsed = start.elapsed();
    assert!(total > 60_000_000 && file.len() > 60_000_000);
    eprintln!(
        "muxed {} MB in {elapsed:?}: {:.0} MB/s",
        (total + file.len()) / 1_000_000,
        (total + file.len()) as f64 / 1e6 / elapsed.as_secs_f64()
    );
    assert!(elapsed.as_secs_f64() < 2.0, "120 MB took {elapsed:?}");
}

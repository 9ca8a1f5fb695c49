//! Hand-made Matroska: unknown sizes as MediaRecorder writes them, block
//! groups, lacing, chunking, and hostile sizes.

use super::*;

/// An element with a known size (8-byte size field when `long`).
fn el(id: u32, body: &[u8]) -> Vec<u8> {
    let mut v = id_bytes(id);
    v.push(0x01);
    v.extend_from_slice(&(body.len() as u64).to_be_bytes()[1..]);
    v.extend_from_slice(body);
    v
}

/// An element of unknown size (its children follow).
fn unknown(id: u32) -> Vec<u8> {
    let mut v = id_bytes(id);
    v.push(0xFF);
    v
}

fn id_bytes(id: u32) -> Vec<u8> {
    let b = id.to_be_bytes();
    let skip = b.iter().position(|&x| x != 0).unwrap_or(3);
    b[skip..].to_vec()
}

fn uint(id: u32, v: u64) -> Vec<u8> {
    el(id, &v.to_be_bytes())
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn header(doc_type: &str) -> Vec<u8> {
    el(ebml::EBML, &cat(&[uint(ebml::EBML_READ_VERSION, 1), el(ebml::DOC_TYPE, doc_type.as_bytes())]))
}

fn opus_head() -> Vec<u8> {
    crate::codec::opus::OpusHead { channels: 2, pre_skip: 312, input_sample_rate: 48_000, output_gain: 0 }.to_bytes()
}

fn tracks() -> Vec<u8> {
    let video = cat(&[
        uint(ebml::TRACK_NUMBER, 1),
        uint(ebml::TRACK_TYPE, 1),
        el(ebml::CODEC_ID, b"V_VP8"),
        el(ebml::VIDEO, &cat(&[uint(ebml::PIXEL_WIDTH, 320), uint(ebml::PIXEL_HEIGHT, 240)])),
    ]);
    let audio = cat(&[
        uint(ebml::TRACK_NUMBER, 2),
        uint(ebml::TRACK_TYPE, 2),
        el(ebml::CODEC_ID, b"A_OPUS"),
        el(ebml::CODEC_PRIVATE, &opus_head()),
        uint(ebml::DEFAULT_DURATION, 20_000_000),
        uint(ebml::CODEC_DELAY, 6_500_000),
        el(ebml::AUDIO, &cat(&[el(ebml::SAMPLING_FREQUENCY, &48_000f64.to_be_bytes()), uint(ebml::CHANNELS, 2)])),
    ]);
    el(ebml::TRACKS, &cat(&[el(ebml::TRACK_ENTRY, &video), el(ebml::TRACK_ENTRY, &audio)]))
}

fn simple(track: u8, rel: i16, key: bool, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0x80 | track];
    b.extend_from_slice(&rel.to_be_bytes());
    b.push(if key { 0x80 } else { 0 });
    b.extend_from_slice(data);
    el(ebml::SIMPLE_BLOCK, &b)
}

/// MediaRecorder's shape: unknown-size Segment and Clusters, no Cues.
fn recording() -> Vec<u8> {
    cat(&[
        header("webm"),
        unknown(ebml::SEGMENT),
        el(ebml::INFO, &cat(&[uint(ebml::TIMESTAMP_SCALE, 1_000_000), el(ebml::VOID, &[0; 3])])),
        tracks(),
        unknown(ebml::CLUSTER),
        uint(ebml::TIMESTAMP, 0),
        simple(1, 0, true, b"key0"),
        simple(2, 0, true, b"opus0"),
        simple(1, 33, false, b"delta1"),
        unknown(ebml::CLUSTER),
        uint(ebml::TIMESTAMP, 1000),
        el(ebml::VOID, &[0; 5]),
        simple(1, 0, true, b"key2"),
        simple(2, -5, true, b"opus1"),
    ])
}

type Row = (u64, i64, bool, Vec<u8>);

fn run(data: &[u8], chunk: usize) -> (Result<(), MkvError>, Vec<Row>, Option<Vec<MkvTrack>>) {
    let mut d = MkvDemuxer::new();
    let mut rows = Vec::new();
    let mut tracks = None;
    let mut drain = |d: &mut MkvDemuxer| {
        while let Some(e) = d.next_event() {
            match e {
                MkvEvent::Frame(f) => {
                    assert_eq!(f.timestamp.timescale.get(), 1000);
                    rows.push((f.track, f.timestamp.ticks, f.keyframe, f.data));
                }
                MkvEvent::Tracks(t) => tracks = Some(t),
                MkvEvent::Info(_) => {}
            }
        }
    };
    for c in data.chunks(chunk.max(1)) {
        if let Err(e) = d.push(c) {
            drain(&mut d);
            return (Err(e), rows, tracks);
        }
        drain(&mut d);
    }
    let r = d.finish();
    drain(&mut d);
    (r, rows, tracks)
}

#[test]
fn unknown_sized_segment_and_clusters_parse_in_any_chunking() {
    let data = recording();
    let (r, rows, tracks) = run(&data, data.len());
    r.unwrap();
    let want: Vec<Row> = vec![
        (1, 0, true, b"key0".to_vec()),
        (2, 0, true, b"opus0".to_vec()),
        (1, 33, false, b"delta1".to_vec()),
        (1, 1000, true, b"key2".to_vec()),
        (2, 995, true, b"opus1".to_vec()),
    ];
    assert_eq!(rows, want);
    let tracks = tracks.unwrap();
    assert_eq!(tracks[0].codec_id, "V_VP8");
    assert_eq!(tracks[0].config, None);
    assert_eq!(tracks[0].video.unwrap().display_width, 320);
    let opus = &tracks[1];
    assert_eq!(opus.kind, MkvTrackKind::Audio);
    assert_eq!(opus.codec_delay_ns, 6_500_000);
    assert_eq!(
        opus.config,
        Some(crate::codec::CodecConfig::Opus { channels: 2, pre_skip: 312, input_sample_rate: 48_000, output_gain: 0 })
    );
    assert_eq!(opus.track_config(7, Timescale::new(48_000).unwrap()).unwrap().id, 7);
    for chunk in [1, 2, 3, 7, 64] {
        let (r, got, _) = run(&data, chunk);
        r.unwrap();
        assert_eq!(got, want, "chunks of {chunk}");
    }
}

#[test]
fn known_sizes_block_groups_and_a_trailing_cues() {
    let group = |rel: i16, reference: bool| {
        let mut block = vec![0x81];
        block.extend_from_slice(&rel.to_be_bytes());
        block.push(0);
        block.extend_from_slice(b"frame");
        let mut parts = vec![el(ebml::BLOCK, &block), uint(ebml::BLOCK_DURATION, 40)];
        if reference {
            parts.push(el(ebml::REFERENCE_BLOCK, &[0xD8]));
        }
        el(ebml::BLOCK_GROUP, &cat(&parts))
    };
    let cluster = el(ebml::CLUSTER, &cat(&[uint(ebml::TIMESTAMP, 80), group(0, false), group(40, true)]));
    let cues = el(ebml::CUES, &[0xBB, 0x80]);
    let segment = el(ebml::SEGMENT, &cat(&[tracks(), cluster, cues]));
    let data = cat(&[header("matroska"), segment, b"trailing garbage after the segment".to_vec()]);
    let mut d = MkvDemuxer::new();
    d.push(&data).unwrap();
    d.finish().unwrap();
    let frames: Vec<MkvFrame> = std::iter::from_fn(|| d.next_event())
        .filter_map(|e| match e {
            MkvEvent::Frame(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(frames.len(), 2);
    assert_eq!((frames[0].timestamp.ticks, frames[0].keyframe), (80, true));
    assert_eq!((frames[1].timestamp.ticks, frames[1].keyframe), (120, false));
    assert_eq!(frames[1].duration, Some(Timestamp::new(40, Timescale::MILLIS)));
}

#[test]
fn laced_frames_step_by_the_default_duration() {
    // Track 2 has DefaultDuration 20 ms: fixed lacing of 3 frames.
    let mut b = vec![0x82, 0, 10, 0x84, 2];
    b.extend_from_slice(b"aabbcc");
    let data = cat(&[
        header("webm"),
        unknown(ebml::SEGMENT),
        tracks(),
        unknown(ebml::CLUSTER),
        uint(ebml::TIMESTAMP, 0),
        el(ebml::SIMPLE_BLOCK, &b),
    ]);
    let (r, rows, _) = run(&data, 5);
    r.unwrap();
    let times: Vec<i64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(times, vec![10, 30, 50]);
    assert_eq!(rows[2].3, b"cc");
}

#[test]
fn a_cut_recording_keeps_its_complete_frames() {
    let data = recording();
    let (r, rows, _) = run(&data[..data.len() - 2], 100);
    assert!(matches!(r, Err(MkvError::Truncated { id: ebml::SIMPLE_BLOCK, .. })), "{r:?}");
    assert_eq!(rows.len(), 4);
}

#[test]
fn hostile_inputs_give_typed_errors() {
    assert_eq!(run(b"", 1).0, Err(MkvError::NotEbml));
    assert_eq!(run(b"RIFF....WAVEfmt ", 4).0, Err(MkvError::NotEbml));
    assert!(matches!(run(&header("mp4"), 4).0, Err(MkvError::UnsupportedDocType { .. })));
    assert_eq!(run(&header("webm"), 4).0, Err(MkvError::NoTracks));
    // A block of 4 GiB is refused before any allocation.
    let mut huge = cat(&[header("webm"), unknown(ebml::SEGMENT), tracks(), unknown(ebml::CLUSTER)]);
    huge.extend_from_slice(&[0xA3, 0x01, 0, 0, 1, 0, 0, 0, 0]);
    let r = run(&huge, 3).0;
    assert!(matches!(r, Err(MkvError::ElementTooLarge { .. })), "{r:?}");
    // A child larger than its parent.
    let bad = cat(&[header("webm"), el(ebml::SEGMENT, &[0xEC, 0x85, 0])]);
    assert!(matches!(run(&bad, 100).0, Err(MkvError::BadSize { .. })));
    // Unknown size on an element that must have one.
    let bad = cat(&[header("webm"), unknown(ebml::SEGMENT), unknown(ebml::TRACKS)]);
    assert!(matches!(run(&bad, 100).0, Err(MkvError::BadSize { id: ebml::TRACKS, .. })));
    // A cluster before the tracks, a block before the cluster timestamp.
    let bad = cat(&[header("webm"), unknown(ebml::SEGMENT), unknown(ebml::CLUSTER)]);
    assert!(matches!(run(&bad, 100).0, Err(MkvError::Malformed { .. })));
    let bad =
        cat(&[header("webm"), unknown(ebml::SEGMENT), tracks(), unknown(ebml::CLUSTER), simple(1, 0, true, b"x")]);
    assert!(matches!(run(&bad, 100).0, Err(MkvError::Malformed { .. })));
    // A lace count past the block.
    let bad = cat(&[
        header("webm"),
        unknown(ebml::SEGMENT),
        tracks(),
        unknown(ebml::CLUSTER),
        uint(ebml::TIMESTAMP, 0),
        el(ebml::SIMPLE_BLOCK, &[0x81, 0, 0, 0x02, 0xFF, 0xFF]),
    ]);
    assert!(matches!(run(&bad, 100).0, Err(MkvError::BadLacing { .. })));
    // A timestamp that overflows with the nanosecond scale.
    let bad = cat(&[
        header("webm"),
        unknown(ebml::SEGMENT),
        el(ebml::INFO, &uint(ebml::TIMESTAMP_SCALE, 3)),
        tracks(),
        unknown(ebml::CLUSTER),
        uint(ebml::TIMESTAMP, i64::MAX as u64),
        simple(1, 0, true, b"x"),
    ]);
    assert!(matches!(run(&bad, 100).0, Err(MkvError::TimestampOverflow { .. })));
    // A bad CodecPrivate for a codec framecast parses.
    let entry = cat(&[uint(ebml::TRACK_NUMBER, 1), uint(ebml::TRACK_TYPE, 2), el(ebml::CODEC_ID, b"A_OPUS")]);
    let bad = cat(&[header("webm"), unknown(ebml::SEGMENT), el(ebml::TRACKS, &el(ebml::TRACK_ENTRY, &entry))]);
    assert!(matches!(run(&bad, 100).0, Err(MkvError::CodecPrivate { track: 1, .. })));
    // After an error, the demuxer stays stopped.
    let mut d = MkvDemuxer::new();
    assert!(d.push(b"garbage").is_err());
    assert_eq!(d.push(&recording()), Err(MkvError::Finished));
    assert_eq!(d.finish(), Err(MkvError::Finished));
}

#[test]
fn a_non_dividing_scale_times_frames_in_nanoseconds() {
    let data = cat(&[
        header("webm"),
        unknown(ebml::SEGMENT),
        el(ebml::INFO, &uint(ebml::TIMESTAMP_SCALE, 20_833)),
        tracks(),
        unknown(ebml::CLUSTER),
        uint(ebml::TIMESTAMP, 48_000),
        simple(1, 0, true, b"x"),
    ]);
    let mut d = MkvDemuxer::new();
    d.push(&data).unwrap();
    d.finish().unwrap();
    assert_eq!(d.info().unwrap().timescale.get(), 1_000_000_000);
    let frame = std::iter::from_fn(|| d.next_event()).find_map(|e| match e {
        MkvEvent::Frame(f) => Some(f),
        _ => None,
    });
    assert_eq!(frame.unwrap().timestamp.ticks, 48_000 * 20_833);
}

//! The reader round-trips our own writers: CMAF init + fragments, segmenter
//! output (per-track with CMAF chunks, and muxed A/V) and progressive MP4
//! read back to exactly the tracks and samples that went in. The upload
//! validator accepts our fragments in order and rejects them out of order.

use framecast::codec::h264::{EncoderConfig, H264Encoder, NalFormat};
use framecast::codec::CodecConfig;
use framecast::frame::{i420_size, I420Planes};
use framecast::mux::cmaf::CmafWriter;
use framecast::mux::mp4::{progressive_mp4, Mp4Options};
use framecast::mux::reader::{FragmentRules, FragmentValidator, MediaSegment, Movie, Mp4File, ReadError};
use framecast::mux::segmenter::{MemoryListener, Segmenter, SegmenterConfig, SegmenterMode};
use framecast::mux::{Sample, TrackConfig};
use framecast::time::{Timescale, Timestamp};

const W: u32 = 160;
const H: u32 = 96;
const FRAMES: usize = 90;

/// 3 s of real H.264 from our encoder (IDR every second) and of AAC-sized
/// audio frames with distinct bytes.
fn tracks_and_samples() -> (Vec<TrackConfig>, Vec<Sample>, Vec<Sample>) {
    let mut cfg = EncoderConfig::new(W, H);
    cfg.format = NalFormat::Avc;
    cfg.keyframe_interval = Some(30);
    cfg.bitrate = 200_000;
    let mut enc = H264Encoder::new(cfg).unwrap();
    let mut video = Vec::new();
    for i in 0..FRAMES {
        let mut frame = vec![0u8; i420_size(W, H)];
        for (k, b) in frame.iter_mut().enumerate() {
            *b = ((k * 7 + i * 13) % 251) as u8;
        }
        let ts = Timestamp::new(i as i64 * 3000, Timescale::MPEG);
        let au = enc.encode(&I420Planes::packed(W, H, &frame).unwrap(), ts).unwrap().unwrap();
        video.push(Sample {
            decode_time: ts.ticks,
            composition_offset: 0,
            duration: 3000,
            keyframe: au.keyframe,
            data: au.data,
        });
    }
    let avcc = enc.decoder_config().unwrap().avcc.clone();
    let audio: Vec<Sample> = (0..140)
        .map(|i| Sample {
            decode_time: i * 1024,
            composition_offset: 0,
            duration: 1024,
            keyframe: true,
            data: (0..(200 + i as usize % 37)).map(|k| (k as i64 * 3 + i) as u8).collect(),
        })
        .collect();
    let tracks = vec![
        TrackConfig::new(1, Timescale::MPEG, CodecConfig::Avc { avcc, width: W, height: H }),
        TrackConfig::new(
            2,
            Timescale::new(48_000).unwrap(),
            CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: 48_000, channels: 2 },
        ),
    ];
    (tracks, video, audio)
}

fn owned(segment: &MediaSegment<'_>, track: u32) -> Vec<Sample> {
    segment.samples(track).map(|s| s.to_sample()).collect()
}

#[test]
fn cmaf_writer_output_reads_back_exactly() {
    let (tracks, video, audio) = tracks_and_samples();
    for (track, samples) in [(&tracks[0], &video), (&tracks[1], &audio)] {
        let mut w = CmafWriter::new(vec![track.clone()]).unwrap();
        let movie = Movie::from_init_segment(&w.init_segment().unwrap()).unwrap();
        assert_eq!(movie.tracks().len(), 1);
        assert_eq!(movie.tracks()[0].config, *track, "track config round-trips");
        let mut back = Vec::new();
        for (n, chunk) in samples.chunks(30).enumerate() {
            let frag = w.fragment(n as u32 + 1, &[(track.id, chunk)]).unwrap();
            let seg = MediaSegment::parse(&movie, &frag).unwrap();
            back.extend(owned(&seg, track.id));
        }
        assert_eq!(&back, samples, "track {}", track.id);
    }
}

#[test]
fn segmenter_output_reads_back_exactly_per_track_with_parts_and_muxed() {
    let (tracks, video, audio) = tracks_and_samples();
    for mode in [SegmenterMode::PerTrack, SegmenterMode::Muxed] {
        let config = SegmenterConfig {
            fragment_duration: Timestamp::from_millis(1000),
            part_duration: Some(Timestamp::from_millis(333)),
            mode,
            styp: true,
            ..SegmenterConfig::default()
        };
        let mut seg = Segmenter::new(tracks.clone(), config, MemoryListener::default()).unwrap();
        let (mut a, mut v) = (audio.iter().peekable(), video.iter());
        for s in v.by_ref() {
            while let Some(x) = a.peek() {
                if x.decode_time * 90_000 / 48_000 > s.decode_time {
                    break;
                }
                seg.push(2, a.next().unwrap().clone()).unwrap();
            }
            seg.push(1, s.clone()).unwrap();
        }
        for x in a {
            seg.push(2, x.clone()).unwrap();
        }
        seg.finish().unwrap();
        let out = seg.into_listener();
        let mut back: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
        for init in &out.inits {
            let movie = Movie::from_init_segment(&init.bytes).unwrap();
            let mut validator = FragmentValidator::new(movie.clone(), FragmentRules::default());
            for frag in out.fragments.iter().filter(|f| f.track_ids == init.track_ids) {
                validator.validate(&frag.bytes).unwrap();
                let parsed = MediaSegment::parse(&movie, &frag.bytes).unwrap();
                for &id in &init.track_ids {
                    back[id as usize - 1].extend(owned(&parsed, id));
                }
            }
        }
        // The segmenter derives each duration from the next decode time, which
        // our inputs already satisfy; the last sample keeps its own.
        assert_eq!(back[0], video, "{mode:?} video");
        assert_eq!(back[1], audio, "{mode:?} audio");
    }
}

#[test]
fn progressive_mp4_reads_back_exactly() {
    let (tracks, video, audio) = tracks_and_samples();
    let file = progressive_mp4(&[(&tracks[0], &video), (&tracks[1], &audio)], &Mp4Options::default()).unwrap();
    let mp4 = Mp4File::parse(&file).unwrap();
    assert!(!mp4.movie().is_fragmented());
    let configs: Vec<_> = mp4.movie().tracks().iter().map(|t| t.config.clone()).collect();
    assert_eq!(configs, tracks);
    for (id, samples) in [(1, &video), (2, &audio)] {
        let back: Vec<Sample> = mp4.samples(id).unwrap().map(|s| s.to_sample()).collect();
        assert_eq!(&back, samples, "track {id}");
    }
}

#[test]
fn validator_rejects_our_fragments_out_of_order_and_stays_usable() {
    let (tracks, video, _) = tracks_and_samples();
    let mut w = CmafWriter::new(vec![tracks[0].clone()]).unwrap();
    let movie = Movie::from_init_segment(&w.init_segment().unwrap()).unwrap();
    let frags: Vec<Vec<u8>> =
        video.chunks(30).enumerate().map(|(n, c)| w.fragment(n as u32 + 1, &[(1, c)]).unwrap()).collect();
    let mut v = FragmentValidator::new(movie, FragmentRules::default());
    v.validate(&frags[0]).unwrap();
    v.validate(&frags[1]).unwrap();
    let err = v.validate(&frags[0]).unwrap_err();
    assert!(matches!(err, ReadError::DecodeTimeBackwards { .. } | ReadError::SequenceNotIncreasing { .. }), "{err}");
    assert!(err.is_recoverable());
    v.validate(&frags[2]).unwrap();
    let mut truncated = frags[2].clone();
    truncated.truncate(truncated.len() / 2);
    assert!(v.validate(&truncated).is_err());
}

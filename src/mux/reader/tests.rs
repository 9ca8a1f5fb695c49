//! Unit tests of the reader on hand-built boxes: every optional `trun`
//! field, the data offset rules, decode time and sequence checks, the
//! progressive tables in all their forms, and the codec entries.

use super::*;

// The fuzz harness, shared with the `mp4_reader` fuzz target (it is not public API).
#[path = "../../../tests/fuzz/harness/mp4_reader.rs"]
mod harness;
use crate::codec::{CodecConfig, TrackKind};
use crate::mux::walk::build::{bx, cat, full, u32s};
use harness::fuzz_entry;

/// A 64x64 High profile avcC made by x264.
const AVCC: &str = "0164000affe100186764000aacd94426c044000003000400000300c83c48965801000668ebe3cb22c0fdf8f800";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn avc1(width: u16, height: u16, avcc: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 6];
    b.extend([0, 1]);
    b.extend([0u8; 16]);
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend([0, 0x48, 0, 0, 0, 0x48, 0, 0, 0, 0, 0, 0, 0, 1]);
    b.extend([0u8; 32]);
    b.extend([0, 0x18, 0xff, 0xff]);
    b.extend(bx(b"avcC", avcc));
    bx(b"avc1", &b)
}

/// An AudioSampleEntry of `version` (0, or QuickTime 1) with `children`.
fn audio_entry(fourcc: &[u8; 4], version: u16, channels: u16, rate: u32, children: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 6];
    b.extend([0, 1]);
    b.extend(version.to_be_bytes());
    b.extend([0u8; 6]);
    b.extend(channels.to_be_bytes());
    b.extend([0, 16, 0, 0, 0, 0]);
    b.extend((rate << 16).to_be_bytes());
    if version == 1 {
        b.extend([0u8; 16]);
    }
    b.extend(children);
    bx(fourcc, &b)
}

fn esds(object_type: u8, asc: &[u8]) -> Vec<u8> {
    let mut dsi = vec![0x05, asc.len() as u8];
    dsi.extend(asc);
    let mut dcd = vec![0x04, (13 + dsi.len()) as u8, object_type, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    dcd.extend(&dsi);
    // ES_Descriptor with a 4-byte size, as ffmpeg writes it.
    let body_len = 3 + dcd.len() + 3;
    let mut es = vec![0x03, 0x80, 0x80, 0x80, body_len as u8, 0, 1, 0];
    es.extend(&dcd);
    es.extend([0x06, 0x01, 0x02]);
    full(b"esds", 0, 0, &es)
}

fn dops(channels: u8) -> Vec<u8> {
    let mut b = vec![0, channels];
    b.extend(312u16.to_be_bytes());
    b.extend(48000u32.to_be_bytes());
    b.extend((-256i16).to_be_bytes());
    b.push(0);
    bx(b"dOps", &b)
}

fn dfla(rate: u64) -> Vec<u8> {
    let mut b = vec![0x80, 0, 0, 34, 0x10, 0, 0x10, 0, 0, 0, 0, 0, 0, 0];
    b.extend(((rate << 44) | (1 << 41) | (23 << 36)).to_be_bytes());
    b.extend([0u8; 16]);
    full(b"dfLa", 0, 0, &b)
}

fn empty_tables() -> Vec<u8> {
    cat(&[
        &full(b"stts", 0, 0, &u32s(&[0])),
        &full(b"stsc", 0, 0, &u32s(&[0])),
        &full(b"stsz", 0, 0, &u32s(&[0, 0])),
        &full(b"stco", 0, 0, &u32s(&[0])),
    ])
}

fn trak(id: u32, handler: &[u8; 4], timescale: u32, entry: &[u8], tables: &[u8], edits: Option<&[u8]>) -> Vec<u8> {
    let tkhd = full(b"tkhd", 0, 3, &cat(&[&[0u8; 8], &u32s(&[id]), &[0u8; 68]]));
    let mdhd = full(b"mdhd", 0, 0, &cat(&[&[0u8; 8], &u32s(&[timescale, 0]), &[0x15, 0xc7, 0, 0]])); // "eng"
    let hdlr = full(b"hdlr", 0, 0, &cat(&[&[0u8; 4], handler, &[0u8; 12], b"handler\0"]));
    let stsd = full(b"stsd", 0, 0, &cat(&[&u32s(&[1]), entry]));
    let url = full(b"url ", 0, 1, &[]);
    let dinf = bx(b"dinf", &full(b"dref", 0, 0, &cat(&[&u32s(&[1]), &url])));
    let minf = bx(b"minf", &cat(&[&dinf, &bx(b"stbl", &cat(&[&stsd, tables]))]));
    let mdia = bx(b"mdia", &cat(&[&mdhd, &hdlr, &minf]));
    let edts = edits.map(|e| bx(b"edts", e)).unwrap_or_default();
    bx(b"trak", &cat(&[&tkhd, &edts, &mdia]))
}

fn mvhd(timescale: u32) -> Vec<u8> {
    full(b"mvhd", 0, 0, &cat(&[&[0u8; 8], &u32s(&[timescale]), &[0u8; 84]]))
}

fn trex(id: u32, duration: u32, size: u32, flags: u32) -> Vec<u8> {
    full(b"trex", 0, 0, &u32s(&[id, 1, duration, size, flags]))
}

/// ftyp + moov with a video track 1 (90 kHz) and an AAC track 2 (48 kHz),
/// fragmented with the given trex defaults for both.
fn init(defaults: (u32, u32, u32)) -> Vec<u8> {
    let (d, s, f) = defaults;
    let video = trak(1, b"vide", 90000, &avc1(64, 64, &hex(AVCC)), &empty_tables(), None);
    let aac = audio_entry(b"mp4a", 0, 2, 48000, &esds(0x40, &[0x11, 0x88]));
    let audio = trak(2, b"soun", 48000, &aac, &empty_tables(), None);
    let mvex = bx(b"mvex", &cat(&[&trex(1, d, s, f), &trex(2, d, s, f)]));
    cat(&[&bx(b"ftyp", b"iso6\0\0\0\0iso6cmfc"), &bx(b"moov", &cat(&[&mvhd(1000), &video, &audio, &mvex]))])
}

/// One `trun`: version, flags, data offset, first sample flags, samples as
/// (duration, size, flags, composition offset).
#[derive(Clone)]
struct TrunSpec {
    version: u8,
    flags: u32,
    data_offset: i32,
    first_flags: u32,
    samples: Vec<(u32, u32, u32, i32)>,
}

fn trun(t: &TrunSpec) -> Vec<u8> {
    let mut b = u32s(&[t.samples.len() as u32]);
    if t.flags & 1 != 0 {
        b.extend(t.data_offset.to_be_bytes());
    }
    if t.flags & 4 != 0 {
        b.extend(t.first_flags.to_be_bytes());
    }
    for &(d, s, f, c) in &t.samples {
        for (bit, v) in [(0x100, d), (0x200, s), (0x400, f), (0x800, c as u32)] {
            if t.flags & bit != 0 {
                b.extend(v.to_be_bytes());
            }
        }
    }
    full(b"trun", t.version, t.flags, &b)
}

/// A traf: track, tfhd flags and optional fields (base data offset and the
/// three defaults), tfdt, runs.
#[derive(Clone)]
struct TrafSpec {
    track: u32,
    tfhd_flags: u32,
    base: u64,
    defaults: (u32, u32, u32),
    tfdt: Option<u64>,
    runs: Vec<TrunSpec>,
}

fn traf(t: &TrafSpec) -> Vec<u8> {
    let mut h = u32s(&[t.track]);
    if t.tfhd_flags & 1 != 0 {
        h.extend(t.base.to_be_bytes());
    }
    for (bit, v) in [(0x8, t.defaults.0), (0x10, t.defaults.1), (0x20, t.defaults.2)] {
        if t.tfhd_flags & bit != 0 {
            h.extend(v.to_be_bytes());
        }
    }
    let mut body = full(b"tfhd", 0, t.tfhd_flags, &h);
    if let Some(d) = t.tfdt {
        body.extend(full(b"tfdt", 1, 0, &d.to_be_bytes()));
    }
    for r in &t.runs {
        body.extend(trun(r));
    }
    bx(b"traf", &body)
}

fn moof(sequence: u32, trafs: &[TrafSpec]) -> Vec<u8> {
    let mut body = full(b"mfhd", 0, 0, &u32s(&[sequence]));
    for t in trafs {
        body.extend(traf(t));
    }
    bx(b"moof", &body)
}

/// Payload bytes 0, 1, 2, ... of `len`.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| i as u8).collect()
}

/// The expected fields of sample `i` of a run, from the per-sample values
/// or the defaults, per ISO/IEC 14496-12 8.8.8.
fn expected(run: &TrunSpec, i: usize, defaults: (u32, u32, u32)) -> (u32, u32, bool, i32) {
    let (d, s, f, c) = run.samples[i];
    let duration = if run.flags & 0x100 != 0 { d } else { defaults.0 };
    let size = if run.flags & 0x200 != 0 { s } else { defaults.1 };
    let flags = if run.flags & 0x400 != 0 {
        f
    } else if i == 0 && run.flags & 4 != 0 {
        run.first_flags
    } else {
        defaults.2
    };
    let cts = if run.flags & 0x800 != 0 { c } else { 0 };
    (duration, size, flags & 0x0101_0000 == 0, cts)
}

#[test]
fn reader_trun_every_optional_field_combination() {
    let trex_defaults = (100, 2, 0x0101_0000);
    let init = init(trex_defaults);
    let movie = Movie::from_init_segment(&init).unwrap();
    assert_eq!(movie.tracks().len(), 2);
    assert_eq!(movie.track(1).unwrap().config.language, "eng");
    assert_eq!(movie.track(2).unwrap().kind, TrackKind::Audio);
    // Flags: sync; non-sync; depends on others (not sync either); independent.
    let samples =
        vec![(10, 1, 0, 5), (20, 4, 0x0001_0000, -3), (30, 2, 0x0100_0000, 0), (40, 3, 0x0200_0000, i32::MIN)];
    let mut cases = 0;
    for fields in 0..16u32 {
        for version in [0u8, 1] {
            for first in [false, true] {
                for with_offset in [false, true] {
                    for tfhd_defaults in [false, true] {
                        let flags = (fields << 8) | if first { 4 } else { 0 } | u32::from(with_offset);
                        let run = TrunSpec {
                            version,
                            flags,
                            data_offset: 0,
                            first_flags: 0x0001_0000,
                            samples: samples.clone(),
                        };
                        let defaults = if tfhd_defaults { (7, 3, 0) } else { trex_defaults };
                        // With a data offset, the base is the moof; without,
                        // an explicit base data offset points at the mdat.
                        let tfhd_flags = if tfhd_defaults { 0x38 } else { 0 } | if with_offset { 0x2_0000 } else { 1 };
                        let mut spec =
                            TrafSpec { track: 1, tfhd_flags, base: 0, defaults, tfdt: Some(1000), runs: vec![run] };
                        let size = moof(1, &[spec.clone()]).len();
                        let payload_at = init.len() + size + 8;
                        spec.base = payload_at as u64;
                        spec.runs[0].data_offset = (size + 8) as i32;
                        let total: u32 = (0..4).map(|i| expected(&spec.runs[0], i, defaults).1).sum();
                        let file = cat(&[&init, &moof(1, &[spec.clone()]), &bx(b"mdat", &payload(total as usize))]);

                        let parsed = Mp4File::parse(&file).unwrap_or_else(|e| panic!("flags {flags:#x}: {e}"));
                        let got: Vec<SampleRef<'_>> = parsed.samples(1).unwrap().collect();
                        assert_eq!(got.len(), 4);
                        let (mut dts, mut pos) = (1000i64, payload_at as u64);
                        for (i, s) in got.iter().enumerate() {
                            let (duration, size, keyframe, cts) = expected(&spec.runs[0], i, defaults);
                            let what = format!("flags {flags:#x} v{version} sample {i}");
                            assert_eq!(
                                (s.duration, s.data.len() as u32, s.keyframe, s.composition_offset),
                                (duration, size, keyframe, cts),
                                "{what}"
                            );
                            assert_eq!((s.decode_time, s.offset), (dts, pos), "{what}");
                            dts += i64::from(duration);
                            pos += u64::from(size);
                        }
                        // The fragment on its own, as a media segment.
                        let segment_bytes = &file[init.len()..];
                        let mut seg_spec = spec.clone();
                        seg_spec.base -= init.len() as u64;
                        let segment_bytes = if with_offset {
                            segment_bytes.to_vec()
                        } else {
                            cat(&[&moof(1, &[seg_spec]), &file[init.len() + size..]])
                        };
                        let segment = MediaSegment::parse(&movie, &segment_bytes).unwrap();
                        assert_eq!(segment.samples(1).map(|s| s.data.len()).sum::<usize>(), total as usize);
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 256);
}

/// Two tracks in one moof with no base data offset flags: the first traf's
/// data starts at the moof, the second's right after the first's; runs
/// without a data offset follow the previous run.
#[test]
fn reader_implicit_base_offsets_chain_trafs_and_runs() {
    let init = init((10, 0, 0));
    let run = |offset: i32, flags: u32, sizes: &[u32]| TrunSpec {
        version: 0,
        flags,
        data_offset: offset,
        first_flags: 0,
        samples: sizes.iter().map(|&s| (10, s, 0, 0)).collect(),
    };
    let spec = |video_offset: i32| {
        vec![
            TrafSpec {
                track: 1,
                tfhd_flags: 0,
                base: 0,
                defaults: (0, 0, 0),
                tfdt: Some(0),
                runs: vec![run(video_offset, 0x201, &[3, 1]), run(0, 0x200, &[2])],
            },
            TrafSpec {
                track: 2,
                tfhd_flags: 0,
                base: 0,
                defaults: (0, 0, 0),
                tfdt: Some(0),
                runs: vec![run(0, 0x200, &[4])],
            },
        ]
    };
    let size = moof(1, &spec(0)).len();
    let mdat = bx(b"mdat", &payload(10));
    let file = cat(&[&init, &moof(1, &spec((size + 8) as i32)), &mdat]);
    let parsed = Mp4File::parse(&file).unwrap();
    let at = (init.len() + size + 8) as u64;
    let video: Vec<_> = parsed.samples(1).unwrap().map(|s| (s.offset - at, s.data.len())).collect();
    let audio: Vec<_> = parsed.samples(2).unwrap().map(|s| (s.offset - at, s.data.len())).collect();
    assert_eq!(video, [(0, 3), (3, 1), (4, 2)]);
    assert_eq!(audio, [(6, 4)]);
    // Pointing the first run 3 bytes later pushes the audio past the mdat.
    let file = cat(&[&init, &moof(1, &spec((size + 8 + 3) as i32)), &mdat]);
    assert!(matches!(Mp4File::parse(&file), Err(ReadError::DataOutOfBounds { track_id: 2, .. })));
    // A negative data offset before the input.
    let file = cat(&[&init, &moof(1, &spec(-100_000)), &mdat]);
    assert!(matches!(Mp4File::parse(&file), Err(ReadError::DataOutOfBounds { track_id: 1, .. })));
}

fn simple_fragment(init_len: usize, sequence: u32, tfdt: Option<u64>, count: usize) -> Vec<u8> {
    let spec = |offset: i32| TrafSpec {
        track: 1,
        tfhd_flags: 0x2_0000,
        base: 0,
        defaults: (0, 0, 0),
        tfdt,
        runs: vec![TrunSpec {
            version: 1,
            flags: 0x201,
            data_offset: offset,
            first_flags: 0,
            samples: vec![(0, 1, 0, 0); count],
        }],
    };
    let size = moof(sequence, &[spec(0)]).len();
    let _ = init_len;
    cat(&[&moof(sequence, &[spec((size + 8) as i32)]), &bx(b"mdat", &payload(count))])
}

#[test]
fn reader_decode_times_and_sequence_numbers_across_fragments() {
    // trex: 10 ticks per sample, sync.
    let init = init((10, 0, 0));
    let movie = Movie::from_init_segment(&init).unwrap();
    let a = simple_fragment(init.len(), 1, Some(100), 3); // 100..130
    let b = simple_fragment(init.len(), 2, Some(130), 2); // 130..150
    let gap = simple_fragment(init.len(), 2, Some(200), 2);
    let back = simple_fragment(init.len(), 2, Some(129), 2);
    let same_seq = simple_fragment(init.len(), 1, Some(130), 2);
    let no_tfdt = simple_fragment(init.len(), 2, None, 2);

    let joined = cat(&[&init, &a, &b]);
    let file = Mp4File::parse(&joined).unwrap();
    let times: Vec<i64> = file.samples(1).unwrap().map(|s| s.decode_time).collect();
    assert_eq!(times, [100, 110, 120, 130, 140]);
    Mp4File::parse(&cat(&[&init, &a, &gap])).unwrap();
    let joined = cat(&[&init, &a, &no_tfdt]);
    let file = Mp4File::parse(&joined).unwrap();
    assert_eq!(file.samples(1).unwrap().last().unwrap().decode_time, 140);
    assert_eq!(
        Mp4File::parse(&cat(&[&init, &a, &back])).unwrap_err(),
        ReadError::DecodeTimeBackwards { track_id: 1, expected_at_least: 130, found: 129 }
    );
    assert_eq!(
        MediaSegment::parse(&movie, &cat(&[&a, &same_seq])).unwrap_err(),
        ReadError::SequenceNotIncreasing { previous: 1, found: 1 }
    );

    // The validator: the same rules across uploads, state kept on success only.
    let rules = FragmentRules::default();
    let first = validate_fragment(&movie, &a, &rules, None).unwrap();
    assert_eq!(first.tracks[0].start, 100);
    assert_eq!(first.tracks[0].end, 130);
    assert_eq!(first.tracks[0].samples, 3);
    assert_eq!(first.last_sequence_number, 1);
    validate_fragment(&movie, &b, &rules, Some(&first)).unwrap();
    let err = validate_fragment(&movie, &back, &rules, Some(&first)).unwrap_err();
    assert!(err.is_recoverable());
    assert!(matches!(validate_fragment(&movie, &no_tfdt, &rules, Some(&first)), Err(ReadError::MissingBox { .. })));
    let mut v = FragmentValidator::new(movie.clone(), rules.clone());
    v.validate(&a).unwrap();
    assert!(v.validate(&back).is_err());
    assert!(v.validate(&same_seq).is_err());
    v.validate(&b).unwrap();
    assert!(v.validate(&b).is_err());
    // An empty run is not an upload.
    assert_eq!(
        validate_fragment(&movie, &simple_fragment(0, 9, Some(0), 0), &rules, None),
        Err(ReadError::EmptyFragment)
    );
}

#[test]
fn reader_huge_run_counts_without_per_sample_bytes() {
    let init = init((1, 0, 0)); // zero-byte samples by default
    let spec = TrafSpec {
        track: 1,
        tfhd_flags: 0x2_0000,
        base: 0,
        defaults: (0, 0, 0),
        tfdt: Some(0),
        runs: vec![TrunSpec { version: 0, flags: 0, data_offset: 0, first_flags: 0, samples: vec![] }],
    };
    let mut m = moof(1, &[spec]);
    // sample_count is the last field of the (empty) trun.
    let n = m.len();
    m[n - 4..].copy_from_slice(&u32::MAX.to_be_bytes());
    let file = cat(&[&init, &m, &bx(b"mdat", &[])]);
    assert!(matches!(Mp4File::parse(&file), Err(ReadError::TooLarge { what: "sample count", .. })));
}

/// A progressive track from explicit tables.
fn progressive(tables: &[u8], payload_len: usize) -> Vec<u8> {
    let aac = audio_entry(b"mp4a", 0, 2, 48000, &esds(0x40, &[0x11, 0x88]));
    let moov = bx(b"moov", &cat(&[&mvhd(1000), &trak(1, b"soun", 48000, &aac, tables, None)]));
    let ftyp = bx(b"ftyp", b"isom\0\0\0\0isom");
    cat(&[&ftyp, &moov, &bx(b"mdat", &payload(payload_len))])
}

/// Offset of the mdat payload for `tables` (which must not change size when
/// the chunk offsets are patched in).
fn payload_offset(tables: &[u8]) -> u32 {
    (progressive(tables, 0).len()) as u32
}

#[test]
fn reader_progressive_tables_in_every_form() {
    // Six samples of sizes 1..=6 in chunks of 2, 0, 3, 1 samples.
    let stsc = full(b"stsc", 0, 0, &u32s(&[4, 1, 2, 1, 2, 0, 1, 3, 3, 1, 4, 1, 1]));
    let stts = full(b"stts", 0, 0, &u32s(&[3, 2, 1024, 0, 7, 4, 512]));
    let ctts = full(b"ctts", 1, 0, &u32s(&[3, 1, 10, 2, (-20i32) as u32, 3, 0]));
    let stss = full(b"stss", 0, 0, &u32s(&[2, 1, 4]));
    let sizes = [1u32, 2, 3, 4, 5, 6];
    let stsz_forms = vec![
        full(b"stsz", 0, 0, &u32s(&[0, 6, 1, 2, 3, 4, 5, 6])),
        full(b"stz2", 0, 0, &cat(&[&[0, 0, 0, 16], &u32s(&[6]), &[0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6]])),
        full(b"stz2", 0, 0, &cat(&[&[0, 0, 0, 8], &u32s(&[6]), &[1, 2, 3, 4, 5, 6]])),
        full(b"stz2", 0, 0, &cat(&[&[0, 0, 0, 4], &u32s(&[6]), &[0x12, 0x34, 0x56]])),
    ];
    for stsz in stsz_forms {
        for wide in [false, true] {
            // Chunks at payload offsets 0, 3 (empty), 3, 15 (after a 3-byte gap).
            let chunk_table = |base: u32| -> Vec<u8> {
                let offsets = [base, base + 3, base + 3, base + 15];
                if wide {
                    let v: Vec<u8> = offsets.iter().flat_map(|&o| u64::from(o).to_be_bytes()).collect();
                    full(b"co64", 0, 0, &cat(&[&u32s(&[4]), &v]))
                } else {
                    full(b"stco", 0, 0, &u32s(&[4, offsets[0], offsets[1], offsets[2], offsets[3]]))
                }
            };
            let tables = |base| cat(&[&stts, &ctts, &stss, &stsc, &stsz, &chunk_table(base)]);
            let base = payload_offset(&tables(0));
            let file = progressive(&tables(base), 21);
            let parsed = Mp4File::parse(&file).unwrap_or_else(|e| panic!("{e}"));
            let got: Vec<_> = parsed
                .samples(1)
                .unwrap()
                .map(|s| {
                    (
                        s.decode_time,
                        s.duration,
                        s.composition_offset,
                        s.keyframe,
                        s.offset - u64::from(base),
                        s.data.len() as u32,
                    )
                })
                .collect();
            let expected = vec![
                (0, 1024, 10, true, 0, sizes[0]),
                (1024, 1024, -20, false, 1, sizes[1]),
                (2048, 512, -20, false, 3, sizes[2]),
                (2560, 512, 0, true, 6, sizes[3]),
                (3072, 512, 0, false, 10, sizes[4]),
                (3584, 512, 0, false, 15, sizes[5]),
            ];
            assert_eq!(got, expected);
            assert_eq!(parsed.sample_count(1), Some(6));
            assert!(matches!(
                parsed.movie().tracks()[0].config.codec,
                CodecConfig::Aac { sample_rate: 48000, channels: 1, .. }
            ));
        }
    }
}

#[test]
fn reader_inconsistent_tables_are_named() {
    let stsz = full(b"stsz", 0, 0, &u32s(&[0, 2, 1, 1]));
    let stco = |base: u32| full(b"stco", 0, 0, &u32s(&[1, base]));
    let good_stsc = full(b"stsc", 0, 0, &u32s(&[1, 1, 2, 1]));
    let good_stts = full(b"stts", 0, 0, &u32s(&[1, 2, 10]));
    let build = |stts: &[u8], stsc: &[u8], extra: &[u8]| {
        let tables = |base| cat(&[stts, extra, stsc, &stsz, &stco(base)]);
        progressive(&tables(payload_offset(&tables(0))), 2)
    };
    Mp4File::parse(&build(&good_stts, &good_stsc, &[])).unwrap();
    let table_error = |file: Vec<u8>| match Mp4File::parse(&file) {
        Err(ReadError::SampleTable { fourcc, .. }) => fourcc,
        other => panic!("{other:?}"),
    };
    assert_eq!(table_error(build(&full(b"stts", 0, 0, &u32s(&[1, 3, 10])), &good_stsc, &[])), b"stts");
    assert_eq!(table_error(build(&good_stts, &full(b"stsc", 0, 0, &u32s(&[1, 1, 3, 1])), &[])), b"stsc");
    assert_eq!(table_error(build(&good_stts, &full(b"stsc", 0, 0, &u32s(&[1, 2, 2, 1])), &[])), b"stsc");
    assert_eq!(table_error(build(&good_stts, &good_stsc, &full(b"ctts", 0, 0, &u32s(&[1, 1, 0])))), b"ctts");
    assert_eq!(table_error(build(&good_stts, &good_stsc, &full(b"stss", 0, 0, &u32s(&[2, 2, 1])))), b"stss");
    assert_eq!(table_error(build(&good_stts, &good_stsc, &full(b"stss", 0, 0, &u32s(&[1, 3])))), b"stss");
    assert!(matches!(
        Mp4File::parse(&build(&good_stts, &full(b"stsc", 0, 0, &u32s(&[1, 1, 2, 2])), &[])),
        Err(ReadError::Unsupported { .. })
    ));
    // A table whose count does not fit its box.
    assert!(matches!(
        Mp4File::parse(&build(&full(b"stts", 0, 0, &u32s(&[1_000_000, 2, 10])), &good_stsc, &[])),
        Err(ReadError::ShortBox { .. })
    ));
    // Data outside the mdat: chunk offset 0 is the ftyp.
    let tables = cat(&[&good_stts, &good_stsc, &stsz, &stco(0)]);
    assert!(matches!(Mp4File::parse(&progressive(&tables, 2)), Err(ReadError::DataOutOfBounds { .. })));
    // Missing mandatory tables.
    let tables = cat(&[&good_stsc, &stsz, &stco(0)]);
    assert!(matches!(Mp4File::parse(&progressive(&tables, 2)), Err(ReadError::MissingBox { .. })));
    // Two stsz.
    let tables = cat(&[&good_stts, &good_stsc, &stsz, &stsz, &stco(0)]);
    assert!(matches!(Mp4File::parse(&progressive(&tables, 2)), Err(ReadError::DuplicateBox { .. })));
}

fn movie_with(entry: &[u8], handler: &[u8; 4]) -> Result<Movie, ReadError> {
    let track = trak(1, handler, 48000, entry, &empty_tables(), None);
    let mvex = bx(b"mvex", &trex(1, 0, 0, 0));
    Movie::from_init_segment(&cat(&[&bx(b"ftyp", b"iso6\0\0\0\0"), &bx(b"moov", &cat(&[&mvhd(1000), &track, &mvex]))]))
}

#[test]
fn reader_codec_entries() {
    let codec =
        |entry: &[u8], handler: &[u8; 4]| movie_with(entry, handler).map(|m| m.tracks()[0].config.codec.clone());

    let avc = codec(&avc1(64, 48, &hex(AVCC)), b"vide").unwrap();
    assert!(matches!(&avc, CodecConfig::Avc { width: 64, height: 48, .. }));
    assert_eq!(avc.codec_string().unwrap(), "avc1.64000a");
    assert!(matches!(codec(&avc1(0, 48, &hex(AVCC)), b"vide"), Err(ReadError::InvalidField { field: "width", .. })));
    assert!(matches!(codec(&avc1(64, 48, &[2, 0, 0]), b"vide"), Err(ReadError::CodecConfig { .. })));
    // avc1 under a sound handler.
    assert!(matches!(codec(&avc1(64, 48, &hex(AVCC)), b"soun"), Err(ReadError::Malformed { .. })));

    // AAC: the AudioSpecificConfig gives the channels (mono here), the entry
    // the rate; QuickTime v1 entries with esds inside wave work too.
    let aac = codec(&audio_entry(b"mp4a", 0, 2, 44100, &esds(0x40, &[0x12, 0x08])), b"soun").unwrap();
    assert_eq!(aac, CodecConfig::Aac { asc: vec![0x12, 0x08], sample_rate: 44100, channels: 1 });
    let wave = bx(b"wave", &cat(&[&bx(b"frma", b"mp4a"), &esds(0x40, &[0x11, 0x90])]));
    let qt = codec(&audio_entry(b"mp4a", 1, 2, 48000, &wave), b"soun").unwrap();
    assert!(matches!(qt, CodecConfig::Aac { sample_rate: 48000, channels: 2, .. }));
    assert_eq!(
        codec(&audio_entry(b"mp4a", 0, 2, 44100, &esds(0x6b, &[0x12, 0x08])), b"soun"),
        Err(ReadError::UnsupportedObjectType { track_id: 1, object_type: 0x6b })
    );
    assert!(matches!(
        codec(&audio_entry(b"mp4a", 0, 2, 44100, &esds(0x40, &[0x00])), b"soun"),
        Err(ReadError::CodecConfig { .. })
    ));
    assert!(matches!(codec(&audio_entry(b"mp4a", 0, 2, 44100, &[]), b"soun"), Err(ReadError::MissingBox { .. })));

    let opus = codec(&audio_entry(b"Opus", 0, 2, 48000, &dops(2)), b"soun").unwrap();
    assert_eq!(opus, CodecConfig::Opus { channels: 2, pre_skip: 312, input_sample_rate: 48000, output_gain: -256 });
    assert!(codec(&audio_entry(b"Opus", 0, 2, 48000, &dops(0)), b"soun").is_err());

    let flac = codec(&audio_entry(b"fLaC", 0, 2, 44100, &dfla(44100)), b"soun").unwrap();
    assert!(matches!(flac, CodecConfig::Flac { sample_rate: 44100, channels: 2, bits_per_sample: 24, .. }));
    let mut bad = dfla(44100);
    bad[12] = 0x81; // first block is not STREAMINFO
    assert!(matches!(codec(&audio_entry(b"fLaC", 0, 2, 44100, &bad), b"soun"), Err(ReadError::Malformed { .. })));

    let err = codec(&audio_entry(b"ac-3", 0, 2, 48000, &[]), b"soun").unwrap_err();
    assert_eq!(err, ReadError::UnsupportedCodec { track_id: 1, fourcc: FourCc(*b"ac-3") });
    assert!(err.is_recoverable());
    assert_eq!(err.to_string(), "track 1: codec 'ac-3' is not supported");
    assert!(matches!(codec(&avc1(64, 48, &hex(AVCC)), b"subt"), Err(ReadError::UnsupportedTrack { .. })));
}

#[test]
fn reader_edit_lists_and_errors_display() {
    let elst = full(b"elst", 0, 0, &u32s(&[2, 80, u32::MAX, 0x10000, 1000, 1024, 0x10000]));
    let aac = audio_entry(b"mp4a", 0, 2, 48000, &esds(0x40, &[0x11, 0x90]));
    let track = trak(1, b"soun", 48000, &aac, &empty_tables(), Some(&elst));
    let mvex = bx(b"mvex", &trex(1, 0, 0, 0));
    let init = cat(&[&bx(b"ftyp", b"iso6\0\0\0\0"), &bx(b"moov", &cat(&[&mvhd(1000), &track, &mvex]))]);
    let movie = Movie::from_init_segment(&init).unwrap();
    let t = &movie.tracks()[0];
    assert_eq!(t.edits.len(), 2);
    assert_eq!(t.edits[0].media_time, None);
    assert_eq!(t.edits[1].media_time, Some(1024));
    assert_eq!(t.edits[1].media_rate, 0x10000);
    // 80 ms at 48 kHz minus 1024.
    assert_eq!(t.presentation_offset, 3840 - 1024);

    assert_eq!(FourCc(*b"moov").to_string(), "moov");
    assert_eq!(FourCc([0, 1, 2, 0xff]).to_string(), "0x000102ff");
    let e = ReadError::Truncated { fourcc: FourCc(*b"trun"), offset: 10, needed: 100, available: 20 };
    assert_eq!(e.to_string(), "'trun' box at byte 10 is truncated: it needs 100 bytes, 20 are left");
    assert!(!e.is_recoverable());
    let e = ReadError::MissingBox { fourcc: FourCc(*b"moov"), parent: None };
    assert_eq!(e.to_string(), "missing 'moov' box in the top level");
}

#[test]
fn reader_fuzz_entry_accepts_built_files() {
    let init = init((10, 0, 0));
    let a = simple_fragment(init.len(), 1, Some(100), 3);
    let b = simple_fragment(init.len(), 2, Some(130), 2);
    fuzz_entry(&cat(&[&init, &a, &b]));
    fuzz_entry(&init);
    fuzz_entry(&[]);
    fuzz_entry(&[0, 0, 0, 8, b'm', b'o', b'o', b'v']);
}

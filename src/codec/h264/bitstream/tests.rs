//! Unit tests of the bitstream helpers: framing, emulation prevention, SPS and VUI
//! parsing, `avcC` records, codec strings, and the fuzz entry point on real and mutated input.

use super::*;

// The fuzz harness, shared with the `h264_bitstream` fuzz target (it is not public API).
#[path = "../../../../tests/fuzz/harness/h264_bitstream.rs"]
mod harness;
use harness::fuzz_entry;

use crate::codec::bits::BitWriter;
use crate::xorshift::XorShift;

// Parameter sets produced by FFmpeg 5.1 / libx264 from `testsrc2` (see each comment for the
// command); width/height/profile/level were cross-checked with `ffprobe -show_streams`.

/// `-s 1280x720 -profile:v baseline -level 3.1` → Constrained Baseline, level 31, 1280x720.
const BASELINE_720P_SPS: &str = "6742c01fd9005005bb0110000003001000000303c0f1832480";
const BASELINE_720P_PPS: &str = "68cb83cb20";
/// `avcC` written by FFmpeg's MP4 muxer for the stream above.
const BASELINE_720P_AVCC: &str = "0142c01fffe100196742c01fd9005005bb0110000003001000000303c0f183248001000568cb83cb20";
/// `-s 640x360 -r 25 -profile:v main -level 3.0` → Main, level 30, 640x360 (368 coded).
const MAIN_360P_SPS: &str = "674d401eeca05017fcb808800000030080000019078b16cb";
/// `-s 1920x1080 -profile:v high -level 4.0` → High, level 40, 1920x1080 (1088 coded).
const HIGH_1080P_SPS: &str = "67640028acd940780227e5c044000003000400000300f03c60c658";
const HIGH_1080P_PPS: &str = "68ebe3cb22c0";
/// `avcC` written by FFmpeg's MP4 muxer for the High stream (with High-profile extension).
const HIGH_1080P_AVCC: &str = "01640028ffe1001b67640028acd940780227e5c044000003000400000300\
                               f03c60c65801000668ebe3cb22c0fdf8f800";
/// As HIGH_1080P plus `-vf setsar=4/3 -color_range pc -colorspace bt709
/// -color_primaries bt709 -color_trc bt709`.
const HIGH_1080P_VUI_SPS: &str = "67640028acd940780227e5c39b808080a0000003002000000781e30632c0";
/// `-s 1918x1078 -pix_fmt yuv420p10le` → High 10, level 40.
const HIGH10_SPS: &str = "676e0028a6cd940780227a9b0110000003001000000303c0f1831960";
/// `-s 354x290 -pix_fmt yuv422p` → High 4:2:2, level 21.
const HIGH422_SPS: &str = "677a0015bcd941709f888fc044000003000400000300f03c58b658";
const HIGH422_AVCC: &str = "017a0015ffe1001b677a0015bcd941709f888fc04400000300040000030\
                            0f03c58b65801000668ebe3cb22c0fef8f800";
/// `-s 352x288 -pix_fmt yuv444p -vf setsar=7/5` → High 4:4:4 Predictive, level 13,
/// Extended_SAR 7:5.
const HIGH444_SPS: &str = "67f4000d919b282c12dff80038002880000003008000001e078a14cb";
const HIGH444_AVCC: &str = "01f4000dffe1001c67f4000d919b282c12dff80038002880000003008000\
                            001e078a14cb01000868ebe3c44c000440fff8f800";
/// `-s 720x480 -flags +ildct -x264opts interlaced=1` → High, level 30, MBAFF.
const INTERLACED_SPS: &str = "6764001eacd940b47b6022000003000200000300783e28532c";
/// `-s 1280x720 -r 60000/1001 -profile:v main -bsf:v h264_metadata=sample_aspect_ratio=5/7`
/// → Main, level 32, Extended_SAR 5:7.
const MAIN_ESAR_SPS: &str = "674d4020eca02802ddff800280038800001f48000ea60078c18cb0";

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit")).collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Helpers over the crate's test generator.
trait BytesRng {
    fn byte(&mut self) -> u8;
    fn biased_bytes(&mut self, len: usize) -> Vec<u8>;
}

impl BytesRng for XorShift {
    fn byte(&mut self) -> u8 {
        (self.next_u64() >> 32) as u8
    }
    /// Bytes biased towards 0x00, 0x01 and 0x03 so that start codes and emulation
    /// prevention patterns are common.
    fn biased_bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| match self.below(8) {
                0..=2 => 0,
                3 => 1,
                4 => 3,
                _ => self.byte(),
            })
            .collect()
    }
}

/// Wraps an RBSP into an SPS NAL unit (header 0x67, emulation prevention applied).
fn sps_nal(rbsp: &[u8]) -> Vec<u8> {
    let mut nal = vec![0x67];
    nal.extend(add_emulation_prevention(rbsp));
    nal
}

/// Synthetic High-profile SPS exercising explicit scaling lists (with a "use default"
/// list) and `pic_order_cnt_type` 1; 1280x720 coded as 1280x736 with 16 rows cropped.
/// FFmpeg's `trace_headers` bitstream filter decodes it to the same field values
/// (122 `delta_scale` entries, offsets -3/2/[1,-1,70000], crop bottom 8).
fn synthetic_scaling_poc1_sps() -> Vec<u8> {
    let mut w = BitWriter::default();
    w.write_bits(8, 100); // profile_idc
    w.write_bits(8, 0x0c); // constraint_set4/5 flags (just to carry a non-zero byte)
    w.write_bits(8, 41); // level_idc
    w.write_ue(3); // seq_parameter_set_id
    w.write_ue(1); // chroma_format_idc
    w.write_ue(0); // bit_depth_luma_minus8
    w.write_ue(0); // bit_depth_chroma_minus8
    w.write_bit(false); // qpprime_y_zero_transform_bypass_flag
    w.write_bit(true); // seq_scaling_matrix_present_flag
    for i in 0..8 {
        match i {
            0 => {
                // explicit 4x4 list with varying deltas (including wrap-around)
                w.write_bit(true);
                for d in [-2, 5, 7, -13, 100, -128, 127, 3, 0, 1, -1, 9, 4, -4, 2, 6] {
                    w.write_se(d);
                }
            }
            2 => {
                // useDefaultScalingMatrixFlag: first delta makes nextScale 0
                w.write_bit(true);
                w.write_se(-8);
            }
            6 => {
                // explicit 8x8 list: 64 deltas, ends early with nextScale 0 at j=40
                w.write_bit(true);
                let mut last = 8i32;
                for j in 0..64 {
                    if j == 40 {
                        w.write_se(-last);
                        break;
                    }
                    let next = 8 + (j * 7) % 90;
                    let mut delta = next - last;
                    if delta > 127 {
                        delta -= 256;
                    } else if delta < -128 {
                        delta += 256;
                    }
                    w.write_se(delta);
                    last = next;
                }
            }
            7 => {
                w.write_bit(true);
                for _ in 0..64 {
                    w.write_se(1);
                }
            }
            _ => w.write_bit(false),
        }
    }
    w.write_ue(5); // log2_max_frame_num_minus4
    w.write_ue(1); // pic_order_cnt_type
    w.write_bit(false); // delta_pic_order_always_zero_flag
    w.write_se(-3); // offset_for_non_ref_pic
    w.write_se(2); // offset_for_top_to_bottom_field
    w.write_ue(3); // num_ref_frames_in_pic_order_cnt_cycle
    w.write_se(1);
    w.write_se(-1);
    w.write_se(70_000);
    w.write_ue(2); // max_num_ref_frames
    w.write_bit(true); // gaps_in_frame_num_value_allowed_flag
    w.write_ue(79); // pic_width_in_mbs_minus1
    w.write_ue(45); // pic_height_in_map_units_minus1 (736)
    w.write_bit(true); // frame_mbs_only_flag
    w.write_bit(false); // direct_8x8_inference_flag
    w.write_bit(true); // frame_cropping_flag
    w.write_ue(0);
    w.write_ue(0);
    w.write_ue(0);
    w.write_ue(8); // bottom: 8 * CropUnitY(2) = 16 rows
    w.write_bit(false); // vui_parameters_present_flag
    sps_nal(&w.finish_rbsp())
}

// ----------------------------------------------------------------------------------------
// NAL headers and Annex B
// ----------------------------------------------------------------------------------------

#[test]
fn nal_unit_type_values_and_names() {
    assert_eq!(NalUnitType::new(0x65), NalUnitType::IDR_SLICE);
    assert_eq!(NalUnitType::from_header_byte(0x67), NalUnitType::SPS);
    assert_eq!(NalUnitType::from(0x68), NalUnitType::PPS);
    assert_eq!(u8::from(NalUnitType::AUD), 9);
    assert_eq!(NalUnitType::FILLER_DATA.value(), 12);
    assert_eq!(NalUnitType::SEI.value(), 6);
    assert!(NalUnitType::NON_IDR_SLICE.is_vcl());
    assert!(NalUnitType::IDR_SLICE.is_vcl());
    assert!(!NalUnitType::SEI.is_vcl());
    assert!(NalUnitType::SLICE_EXTENSION.has_header_extension());
    assert_eq!(NalUnitType::new(18).name(), "reserved");
    assert_eq!(NalUnitType::new(31).name(), "unspecified");
    assert_eq!(NalUnitType::IDR_SLICE.to_string(), "IDR slice (type 5)");
    assert_eq!(format!("{:?}", NalUnitType::SPS), "NalUnitType(7 = SPS)");
    match NalUnitType::new(8) {
        NalUnitType::PPS => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn nal_ref_parses_header() {
    let nal = NalRef::parse(&[0x65, 0x88]).unwrap();
    assert_eq!(nal.nal_type, NalUnitType::IDR_SLICE);
    assert_eq!(nal.nal_ref_idc, 3);
    assert_eq!(nal.payload(), &[0x88]);
    let nal = NalRef::parse(&[0x06, 0x05]).unwrap();
    assert_eq!((nal.nal_type, nal.nal_ref_idc), (NalUnitType::SEI, 0));
    assert_eq!(NalRef::parse(&[0xe5]), Err(BitstreamError::ForbiddenZeroBit { offset: 0 }));
    assert_eq!(NalRef::parse(&[]), Err(BitstreamError::EmptyNalUnit { offset: 0 }));
    // 4-byte header for type 20; payload of a cut-short header is empty.
    let ext = NalRef::parse(&[0x74, 1, 2, 3, 4]).unwrap();
    assert_eq!(ext.header_len(), 4);
    assert_eq!(ext.payload(), &[4]);
    assert!(NalRef::parse(&[0x74, 1]).unwrap().payload().is_empty());
}

fn types(nals: &[NalRef<'_>]) -> Vec<u8> {
    nals.iter().map(|n| n.nal_type.value()).collect()
}

#[test]
fn annex_b_three_and_four_byte_start_codes() {
    let data = [
        0, 0, 0, 1, 0x09, 0xf0, // AUD, 4-byte start code
        0, 0, 1, 0x67, 0x42, 0x00, // SPS, 3-byte start code
        0, 0, 0, 1, 0x68, 0xce, // PPS
        0, 0, 1, 0x65, 0x88, 0x80, 0x00, 0x00, // IDR + trailing zeros
    ];
    let nals = split_annex_b(&data).unwrap();
    assert_eq!(types(&nals), [9, 7, 8, 5]);
    assert_eq!(nals[0].data, &[0x09, 0xf0]);
    assert_eq!(nals[1].data, &[0x67, 0x42]); // zero before the 4-byte start code dropped
    assert_eq!(nals[2].data, &[0x68, 0xce]);
    assert_eq!(nals[3].data, &[0x65, 0x88, 0x80]);
    assert_eq!(nals[3].nal_ref_idc, 3);
    let iterated: Vec<_> = annex_b_nal_units(&data).map(Result::unwrap).collect();
    assert_eq!(iterated, nals);
}

#[test]
fn annex_b_leading_and_trailing_zeros() {
    let data = [0, 0, 0, 0, 0, 0, 1, 0x09, 0x10, 0, 0, 0, 0, 0];
    let nals = split_annex_b(&data).unwrap();
    assert_eq!(nals.len(), 1);
    assert_eq!(nals[0].data, &[0x09, 0x10]);
}

#[test]
fn annex_b_empty_and_degenerate_inputs() {
    assert!(split_annex_b(&[]).unwrap().is_empty());
    assert!(split_annex_b(&[0, 0, 0]).unwrap().is_empty());
    assert!(split_annex_b(&[0, 0, 1]).unwrap().is_empty());
    // Repeated start codes produce no empty NAL units.
    let nals = split_annex_b(&[0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0x09, 0x30, 0, 0, 1]).unwrap();
    assert_eq!(types(&nals), [9]);
}

#[test]
fn annex_b_rejects_garbage_before_first_start_code() {
    assert_eq!(split_annex_b(&[0x12, 0, 0, 1, 0x09, 0x10]), Err(BitstreamError::BadStartCode { offset: 0 }));
    assert_eq!(split_annex_b(&[0, 0, 0, 7, 0, 0, 1, 0x09]), Err(BitstreamError::BadStartCode { offset: 3 }));
    // `00 01` is not a start code.
    assert_eq!(split_annex_b(&[0, 1, 0x09]), Err(BitstreamError::BadStartCode { offset: 1 }));
    // Raw length-prefixed data is not Annex B.
    let lp = annex_b_to_length_prefixed(&[0, 0, 1, 0x09, 0x10], 4).unwrap();
    assert_eq!(lp, [0, 0, 0, 2, 0x09, 0x10]);
    assert!(split_annex_b(&lp).is_err());
}

#[test]
fn annex_b_forbidden_bit_stops_iteration() {
    let data = [0, 0, 1, 0x09, 0x10, 0, 0, 1, 0x89, 0x10, 0, 0, 1, 0x09, 0x10];
    let mut it = annex_b_nal_units(&data);
    assert!(matches!(it.next(), Some(Ok(_))));
    assert_eq!(it.next(), Some(Err(BitstreamError::ForbiddenZeroBit { offset: 8 })));
    assert_eq!(it.next(), None);
    assert_eq!(split_annex_b(&data), Err(BitstreamError::ForbiddenZeroBit { offset: 8 }));
}

// ----------------------------------------------------------------------------------------
// Length-prefixed framing
// ----------------------------------------------------------------------------------------

/// A small but realistic Annex B access unit: AUD, SPS, PPS, SEI-like and an IDR slice
/// with emulation prevention bytes.
fn sample_annex_b() -> Vec<u8> {
    let mut out = vec![0, 0, 0, 1, 0x09, 0xf0];
    out.extend([0, 0, 0, 1]);
    out.extend(hex(HIGH_1080P_SPS));
    out.extend([0, 0, 0, 1]);
    out.extend(hex(HIGH_1080P_PPS));
    out.extend([0, 0, 1, 0x06, 0x05, 0x02, 0xaa, 0xbb, 0x80]);
    out.extend([0, 0, 1, 0x65]);
    out.extend(add_emulation_prevention(&[
        0x88, 0x84, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x10,
    ]));
    out.push(0x80);
    out
}

#[test]
fn annex_b_length_prefixed_round_trip() {
    let annex_b = sample_annex_b();
    let nals = split_annex_b(&annex_b).unwrap();
    assert_eq!(types(&nals), [9, 7, 8, 6, 5]);
    for length_size in [1u8, 2, 4] {
        let lp = annex_b_to_length_prefixed(&annex_b, length_size).unwrap();
        let expected_len: usize = nals.iter().map(|n| n.data.len() + usize::from(length_size)).sum();
        assert_eq!(lp.len(), expected_len);
        let split = split_length_prefixed(&lp, length_size).unwrap();
        assert_eq!(split.iter().map(|n| n.data).collect::<Vec<_>>(), nals.iter().map(|n| n.data).collect::<Vec<_>>());
        let iterated: Vec<_> = length_prefixed_nal_units(&lp, length_size).map(Result::unwrap).collect();
        assert_eq!(iterated, split);
        let back = length_prefixed_to_annex_b(&lp, length_size).unwrap();
        // All start codes become 4 bytes long.
        assert_eq!(back.len(), expected_len + nals.len() * (4 - usize::from(length_size)));
        let resplit = split_annex_b(&back).unwrap();
        assert_eq!(resplit, nals);
    }
    // Exact layout for a 2-byte prefix.
    let lp = annex_b_to_length_prefixed(&[0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x68, 0xce], 2).unwrap();
    assert_eq!(lp, [0, 2, 0x09, 0xf0, 0, 2, 0x68, 0xce]);
    assert_eq!(length_prefixed_to_annex_b(&lp, 2).unwrap(), [0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x68, 0xce]);
    assert!(split_length_prefixed(&[], 4).unwrap().is_empty());
    assert!(annex_b_to_length_prefixed(&[], 4).unwrap().is_empty());
}

#[test]
fn length_prefixed_errors() {
    for bad in [0u8, 3, 5, 255] {
        assert_eq!(split_length_prefixed(&[0, 0, 0, 1, 0x09], bad), Err(BitstreamError::InvalidLengthSize(bad)));
        assert_eq!(annex_b_to_length_prefixed(&[0, 0, 1, 0x09], bad), Err(BitstreamError::InvalidLengthSize(bad)));
        assert_eq!(length_prefixed_to_annex_b(&[], bad), Err(BitstreamError::InvalidLengthSize(bad)));
        assert_eq!(length_prefixed_nal_units(&[], bad).next(), Some(Err(BitstreamError::InvalidLengthSize(bad))));
    }
    assert_eq!(split_length_prefixed(&[0, 0, 0], 4), Err(BitstreamError::Truncated { what: "NAL unit length prefix" }));
    assert_eq!(
        split_length_prefixed(&[0, 0, 0, 3, 0x09, 0x10], 4),
        Err(BitstreamError::Truncated { what: "NAL unit" })
    );
    assert_eq!(
        split_length_prefixed(&[0xff, 0xff, 0xff, 0xff, 0x09], 4),
        Err(BitstreamError::Truncated { what: "NAL unit" })
    );
    assert_eq!(split_length_prefixed(&[1, 0x09, 0, 0x09], 1), Err(BitstreamError::EmptyNalUnit { offset: 2 }));
    assert_eq!(split_length_prefixed(&[1, 0x09, 1, 0x89], 1), Err(BitstreamError::ForbiddenZeroBit { offset: 3 }));
    let mut it = length_prefixed_nal_units(&[1, 0x09, 0, 1, 0x09], 1);
    assert!(matches!(it.next(), Some(Ok(_))));
    assert!(matches!(it.next(), Some(Err(_))));
    assert_eq!(it.next(), None);

    // 256-byte NAL unit does not fit a 1-byte prefix but fits 2 bytes.
    let mut big = vec![0, 0, 1, 0x65];
    big.extend(std::iter::repeat_n(0x11, 255));
    assert_eq!(annex_b_to_length_prefixed(&big, 1), Err(BitstreamError::NalUnitTooLarge { len: 256, length_size: 1 }));
    assert_eq!(annex_b_to_length_prefixed(&big, 2).unwrap().len(), 258);
}

#[test]
fn length_prefixed_to_annex_b_rejects_unframeable_nals() {
    // `00 00 01` inside a NAL unit would be read back as a start code.
    assert_eq!(
        length_prefixed_to_annex_b(&[2, 0x09, 0x10, 4, 0x65, 0, 0, 1], 1),
        Err(BitstreamError::StartCodeEmulation { offset: 5 })
    );
    // A trailing zero would be dropped as trailing_zero_8bits.
    assert_eq!(
        length_prefixed_to_annex_b(&[0, 3, 0x65, 0x10, 0x00], 2),
        Err(BitstreamError::StartCodeEmulation { offset: 4 })
    );
    // `00 00 03` is fine.
    assert!(length_prefixed_to_annex_b(&[4, 0x65, 0, 0, 3], 1).is_ok());

    let mut out = Vec::new();
    append_annex_b_nal(&mut out, &[0x09, 0xf0]).unwrap();
    assert!(append_annex_b_nal(&mut out, &[0x65, 0, 0, 2]).is_err());
    assert!(append_annex_b_nal(&mut out, &[]).is_err());
    append_length_prefixed_nal(&mut out, &[0x68, 0xce], 2).unwrap();
    assert!(append_length_prefixed_nal(&mut out, &[0x68], 3).is_err());
    assert!(append_length_prefixed_nal(&mut out, &[], 4).is_err());
    assert_eq!(out, [0, 0, 0, 1, 0x09, 0xf0, 0, 2, 0x68, 0xce]);
}

#[test]
fn random_annex_b_round_trip_property() {
    let mut rng = XorShift::new(0x1234_5678_9abc_def1);
    for _ in 0..500 {
        let count = rng.below(6);
        let mut nals = Vec::new();
        let mut stream = vec![0; rng.below(3)]; // leading_zero_8bits
        for _ in 0..count {
            let len = rng.below(40);
            let mut raw = vec![rng.byte() & 0x7f];
            raw.extend(rng.biased_bytes(len));
            let mut nal = add_emulation_prevention(&raw);
            if nal.last() == Some(&0) {
                nal.push(0x80);
            }
            stream.extend(if rng.below(2) == 0 { &[0, 0, 1][..] } else { &[0, 0, 0, 1][..] });
            stream.extend(&nal);
            stream.extend(vec![0; rng.below(3)]); // trailing_zero_8bits
            nals.push(nal);
        }
        let split = split_annex_b(&stream).unwrap();
        assert_eq!(split.iter().map(|n| n.data.to_vec()).collect::<Vec<_>>(), nals);
        for length_size in [2u8, 4] {
            let lp = annex_b_to_length_prefixed(&stream, length_size).unwrap();
            let back = length_prefixed_to_annex_b(&lp, length_size).unwrap();
            assert_eq!(split_annex_b(&back).unwrap(), split);
        }
    }
}

// ----------------------------------------------------------------------------------------
// RBSP and bit reader
// ----------------------------------------------------------------------------------------

#[test]
fn emulation_prevention_vectors() {
    let cases: &[(&[u8], &[u8])] = &[
        (&[0, 0, 0], &[0, 0, 3, 0]),
        (&[0, 0, 1], &[0, 0, 3, 1]),
        (&[0, 0, 2], &[0, 0, 3, 2]),
        (&[0, 0, 3], &[0, 0, 3, 3]),
        (&[0, 0, 4], &[0, 0, 4]),
        (&[0, 0, 0, 0], &[0, 0, 3, 0, 0, 3]),
        (&[0, 0], &[0, 0, 3]), // cabac_zero_word at the end
        (&[0x25, 0, 0, 0, 1, 0], &[0x25, 0, 0, 3, 0, 1, 0]),
        (&[0, 1, 0, 1], &[0, 1, 0, 1]),
        (&[], &[]),
    ];
    for (rbsp, escaped) in cases {
        assert_eq!(&add_emulation_prevention(rbsp), escaped, "escape {rbsp:?}");
        assert_eq!(&remove_emulation_prevention(escaped), rbsp, "unescape {escaped:?}");
    }
    // A real SPS with an emulation prevention byte.
    let sps = hex(BASELINE_720P_SPS);
    let rbsp = nal_to_rbsp(&sps).unwrap();
    assert_eq!(rbsp.len(), sps.len() - 1 - 2);
    assert_eq!(add_emulation_prevention(&rbsp), &sps[1..]);
    // Header extension stripped for type 20; cut-short header rejected.
    assert_eq!(nal_to_rbsp(&[0x74, 1, 2, 3, 0, 0, 3, 1]).unwrap(), [0, 0, 1]);
    assert_eq!(nal_to_rbsp(&[0x74, 1]), Err(BitstreamError::Truncated { what: "NAL unit header extension" }));
    assert!(nal_to_rbsp(&[]).is_err());
}

// ----------------------------------------------------------------------------------------
// SPS
// ----------------------------------------------------------------------------------------

fn parse_sps(hex_str: &str) -> Sps {
    Sps::parse(&hex(hex_str)).unwrap()
}

#[test]
fn sps_constrained_baseline_31_720p() {
    let sps = parse_sps(BASELINE_720P_SPS);
    assert_eq!((sps.profile_idc, sps.constraint_set_flags, sps.level_idc), (66, 0xc0, 31));
    assert_eq!(sps.seq_parameter_set_id, 0);
    assert_eq!(sps.chroma_format_idc, 1);
    assert_eq!(sps.pic_order_cnt_type(), 2);
    assert_eq!(sps.max_num_ref_frames, 3);
    assert!(sps.frame_mbs_only_flag);
    assert_eq!(sps.frame_cropping, None);
    assert_eq!((sps.width(), sps.height()), (1280, 720));
    assert_eq!((sps.coded_width(), sps.coded_height()), (1280, 720));
    assert_eq!(sps.codec_string(), "avc1.42c01f");
    assert_eq!(sps.max_frame_num(), 16);
    let vui = sps.vui.as_ref().unwrap();
    assert_eq!(vui.sample_aspect_ratio(), Some((1, 1)));
    assert!(!vui.video_signal_type_present_flag);
    assert_eq!(vui.colour_primaries, 2);
    assert_eq!(
        vui.timing_info,
        Some(TimingInfo { num_units_in_tick: 1, time_scale: 60, fixed_frame_rate_flag: false })
    );
    assert_eq!(sps.frame_rate(), Some((30, 1)));
    assert!(vui.tail_parsed);
    assert_eq!(vui.bitstream_restriction.unwrap().max_num_reorder_frames, 0);
    assert_eq!(vui.bitstream_restriction.unwrap().max_dec_frame_buffering, 3);
}

#[test]
fn sps_main_30_360p_cropped() {
    let sps = parse_sps(MAIN_360P_SPS);
    assert_eq!((sps.profile_idc, sps.constraint_set_flags, sps.level_idc), (77, 0x40, 30));
    assert_eq!(sps.pic_order_cnt, PicOrderCnt::Type0 { log2_max_pic_order_cnt_lsb_minus4: 2 });
    assert_eq!(sps.frame_cropping, Some(FrameCropping { left: 0, right: 0, top: 0, bottom: 4 }));
    assert_eq!((sps.coded_width(), sps.coded_height()), (640, 368));
    assert_eq!((sps.width(), sps.height()), (640, 360));
    assert_eq!(sps.codec_string(), "avc1.4d401e");
    assert_eq!(sps.frame_rate(), Some((25, 1)));
    assert_eq!(sps.vui.unwrap().bitstream_restriction.unwrap().max_num_reorder_frames, 2);
}

#[test]
fn sps_high_40_1080p_cropping() {
    let sps = parse_sps(HIGH_1080P_SPS);
    assert_eq!((sps.profile_idc, sps.constraint_set_flags, sps.level_idc), (100, 0, 40));
    assert_eq!(sps.chroma_format_idc, 1);
    assert_eq!((sps.bit_depth_luma(), sps.bit_depth_chroma()), (8, 8));
    assert!(!sps.seq_scaling_matrix_present_flag);
    assert_eq!(sps.pic_width_in_mbs_minus1, 119);
    assert_eq!(sps.pic_height_in_map_units_minus1, 67);
    assert_eq!((sps.coded_width(), sps.coded_height()), (1920, 1088));
    assert_eq!(sps.frame_cropping.unwrap().bottom, 4);
    assert_eq!((sps.crop_unit_x(), sps.crop_unit_y()), (2, 2));
    assert_eq!((sps.width(), sps.height()), (1920, 1080));
    assert_eq!(sps.codec_string(), "avc1.640028");
    assert_eq!(codec_string_from_sps(&hex(HIGH_1080P_SPS)).unwrap(), "avc1.640028");
}

#[test]
fn sps_high_vui_colour_and_sar() {
    let sps = parse_sps(HIGH_1080P_VUI_SPS);
    assert_eq!((sps.width(), sps.height()), (1920, 1080));
    let vui = sps.vui.as_ref().unwrap();
    assert_eq!(vui.aspect_ratio_idc, 14);
    assert_eq!(sps.sample_aspect_ratio(), Some((4, 3)));
    assert!(vui.video_signal_type_present_flag);
    assert_eq!(vui.video_format, 5);
    assert!(vui.video_full_range_flag);
    assert!(vui.colour_description_present_flag);
    assert_eq!((vui.colour_primaries, vui.transfer_characteristics, vui.matrix_coefficients), (1, 1, 1));
    assert_eq!(sps.frame_rate(), Some((30, 1)));
}

#[test]
fn sps_extended_sar_and_ntsc_timing() {
    let sps = parse_sps(MAIN_ESAR_SPS);
    assert_eq!(sps.codec_string(), "avc1.4d4020");
    assert_eq!((sps.width(), sps.height()), (1280, 720));
    let vui = sps.vui.as_ref().unwrap();
    assert_eq!(vui.aspect_ratio_idc, 255);
    assert_eq!((vui.sar_width, vui.sar_height), (5, 7));
    let timing = vui.timing_info.unwrap();
    assert_eq!((timing.num_units_in_tick, timing.time_scale), (1001, 120_000));
    assert_eq!(sps.frame_rate(), Some((60_000, 1001)));
}

#[test]
fn sps_high10_422_444_and_interlaced() {
    let sps = parse_sps(HIGH10_SPS);
    assert_eq!(sps.codec_string(), "avc1.6e0028");
    assert_eq!((sps.bit_depth_luma(), sps.bit_depth_chroma()), (10, 10));
    assert_eq!((sps.width(), sps.height()), (1918, 1078));

    let sps = parse_sps(HIGH422_SPS);
    assert_eq!(sps.codec_string(), "avc1.7a0015");
    assert_eq!(sps.chroma_format_idc, 2);
    assert_eq!((sps.crop_unit_x(), sps.crop_unit_y()), (2, 1));
    assert_eq!((sps.coded_width(), sps.coded_height()), (368, 304));
    assert_eq!((sps.width(), sps.height()), (354, 290));

    let sps = parse_sps(HIGH444_SPS);
    assert_eq!(sps.codec_string(), "avc1.f4000d");
    assert_eq!(sps.chroma_format_idc, 3);
    assert!(!sps.separate_colour_plane_flag);
    assert_eq!((sps.crop_unit_x(), sps.crop_unit_y()), (1, 1));
    assert_eq!((sps.width(), sps.height()), (352, 288));
    assert_eq!(sps.sample_aspect_ratio(), Some((7, 5)));

    let sps = parse_sps(INTERLACED_SPS);
    assert_eq!(sps.codec_string(), "avc1.64001e");
    assert!(!sps.frame_mbs_only_flag);
    assert!(sps.mb_adaptive_frame_field_flag);
    assert_eq!(sps.pic_height_in_map_units_minus1, 14);
    assert_eq!((sps.width(), sps.height()), (720, 480));
    assert_eq!(sps.crop_unit_y(), 4);
    assert!(sps.vui.unwrap().pic_struct_present_flag);
}

#[test]
fn sps_synthetic_scaling_lists_and_poc_type1() {
    let nal = synthetic_scaling_poc1_sps();
    let sps = Sps::parse(&nal).unwrap();
    assert_eq!((sps.profile_idc, sps.constraint_set_flags, sps.level_idc), (100, 0x0c, 41));
    assert_eq!(sps.seq_parameter_set_id, 3);
    assert!(sps.seq_scaling_matrix_present_flag);
    assert_eq!(sps.log2_max_frame_num_minus4, 5);
    assert_eq!(sps.max_frame_num(), 512);
    assert_eq!(
        sps.pic_order_cnt,
        PicOrderCnt::Type1 {
            delta_pic_order_always_zero_flag: false,
            offset_for_non_ref_pic: -3,
            offset_for_top_to_bottom_field: 2,
            offset_for_ref_frame: vec![1, -1, 70_000],
        }
    );
    assert_eq!(sps.max_num_ref_frames, 2);
    assert!(sps.gaps_in_frame_num_value_allowed_flag);
    assert!(!sps.direct_8x8_inference_flag);
    assert_eq!((sps.coded_width(), sps.coded_height()), (1280, 736));
    assert_eq!((sps.width(), sps.height()), (1280, 720));
    assert_eq!(sps.vui, None);
    assert_eq!(sps.codec_string(), "avc1.640c29");
}

#[test]
fn sps_synthetic_separate_planes_monochrome_and_fields() {
    // 4:4:4 with separate colour planes (ChromaArrayType 0), 12 scaling lists, field
    // coding: CropUnitX = 1, CropUnitY = 2.
    let mut w = BitWriter::default();
    w.write_bits(8, 244);
    w.write_bits(8, 0);
    w.write_bits(8, 50);
    w.write_ue(31); // seq_parameter_set_id (max)
    w.write_ue(3); // chroma_format_idc
    w.write_bit(true); // separate_colour_plane_flag
    w.write_ue(2); // bit_depth_luma_minus8
    w.write_ue(4); // bit_depth_chroma_minus8
    w.write_bit(true); // qpprime_y_zero_transform_bypass_flag
    w.write_bit(true); // seq_scaling_matrix_present_flag
    for i in 0..12 {
        w.write_bit(i % 3 == 0);
        if i % 3 == 0 {
            for _ in 0..(if i < 6 { 16 } else { 64 }) {
                w.write_se(3);
            }
        }
    }
    w.write_ue(12); // log2_max_frame_num_minus4 (max)
    w.write_ue(0); // pic_order_cnt_type
    w.write_ue(12); // log2_max_pic_order_cnt_lsb_minus4
    w.write_ue(16); // max_num_ref_frames
    w.write_bit(false);
    w.write_ue(10); // 176 wide
    w.write_ue(8); // 9 map units → 288 high (fields)
    w.write_bit(false); // frame_mbs_only_flag
    w.write_bit(false); // mb_adaptive_frame_field_flag
    w.write_bit(true);
    w.write_bit(true); // cropping
    w.write_ue(1);
    w.write_ue(2);
    w.write_ue(1);
    w.write_ue(1);
    w.write_bit(true); // VUI with only timing info and a truncated tail
    w.write_bit(false);
    w.write_bit(false);
    w.write_bit(false);
    w.write_bit(false);
    w.write_bit(true);
    w.write_bits(32, 1001);
    w.write_bits(32, 60_000);
    w.write_bit(true);
    w.write_bit(true); // nal_hrd_parameters_present_flag, then the data just ends
    let sps = Sps::parse(&sps_nal(&w.finish_rbsp())).unwrap();
    assert_eq!(sps.seq_parameter_set_id, 31);
    assert_eq!(sps.chroma_array_type(), 0);
    assert_eq!((sps.bit_depth_luma(), sps.bit_depth_chroma()), (10, 12));
    assert!(sps.qpprime_y_zero_transform_bypass_flag);
    assert_eq!(sps.max_frame_num(), 65_536);
    assert_eq!((sps.crop_unit_x(), sps.crop_unit_y()), (1, 2));
    assert_eq!((sps.coded_width(), sps.coded_height()), (176, 288));
    assert_eq!((sps.width(), sps.height()), (173, 284));
    let vui = sps.vui.unwrap();
    assert_eq!(vui.timing_info.unwrap().time_scale, 60_000);
    assert!(vui.timing_info.unwrap().fixed_frame_rate_flag);
    assert!(!vui.tail_parsed, "truncated HRD is ignored");
    assert!(!vui.nal_hrd_parameters_present_flag);

    // Monochrome High profile: CropUnitX = 1, CropUnitY = 1.
    let mut w = BitWriter::default();
    w.write_bits(8, 100);
    w.write_bits(8, 0);
    w.write_bits(8, 30);
    w.write_ue(0);
    w.write_ue(0); // chroma_format_idc = 0
    w.write_ue(0);
    w.write_ue(0);
    w.write_bit(false);
    w.write_bit(false);
    w.write_ue(0);
    w.write_ue(2); // poc type 2
    w.write_ue(1);
    w.write_bit(false);
    w.write_ue(3); // 64 wide
    w.write_ue(3); // 64 high
    w.write_bit(true);
    w.write_bit(true);
    w.write_bit(true);
    w.write_ue(1);
    w.write_ue(0);
    w.write_ue(0);
    w.write_ue(3);
    w.write_bit(false);
    let sps = Sps::parse(&sps_nal(&w.finish_rbsp())).unwrap();
    assert_eq!((sps.crop_unit_x(), sps.crop_unit_y()), (1, 1));
    assert_eq!((sps.width(), sps.height()), (63, 61));
}

#[test]
fn sps_rejects_invalid_input() {
    let pps = hex(HIGH_1080P_PPS);
    assert_eq!(
        Sps::parse(&pps),
        Err(BitstreamError::UnexpectedNalType { expected: NalUnitType::SPS, found: NalUnitType::PPS })
    );
    assert!(matches!(Sps::parse(&[0x6f, 0x64]), Err(BitstreamError::UnexpectedNalType { .. })));
    assert_eq!(Sps::parse(&[]), Err(BitstreamError::EmptyNalUnit { offset: 0 }));
    assert_eq!(Sps::parse(&[0x67]), Err(BitstreamError::Truncated { what: "SPS" }));
    assert!(codec_string_from_sps(&[0x67, 0x42, 0xc0]).is_err());

    // Every truncation of a real SPS either fails or (when only the best-effort VUI tail is
    // cut) still reports the same picture size.
    for hex_str in [BASELINE_720P_SPS, HIGH_1080P_SPS, HIGH_1080P_VUI_SPS, HIGH444_SPS] {
        let full = hex(hex_str);
        let expected = Sps::parse(&full).unwrap();
        for len in 0..full.len() {
            match Sps::parse(&full[..len]) {
                Ok(sps) => {
                    assert!(len > 10, "{hex_str} parsed from {len} bytes");
                    assert_eq!((sps.width(), sps.height()), (expected.width(), expected.height()));
                    assert_eq!(sps.vui.as_ref().unwrap().timing_info, expected.vui.as_ref().unwrap().timing_info);
                }
                Err(e) => assert!(
                    matches!(e, BitstreamError::Truncated { .. } | BitstreamError::EmptyNalUnit { .. }),
                    "{e:?}"
                ),
            }
        }
    }

    // Out-of-range values.
    let build = |sps_id: u32, chroma: u32, width_mbs_minus1: u32, crop_right: u32| {
        let mut w = BitWriter::default();
        w.write_bits(8, 100);
        w.write_bits(8, 0);
        w.write_bits(8, 40);
        w.write_ue(sps_id);
        w.write_ue(chroma);
        w.write_ue(0);
        w.write_ue(0);
        w.write_bit(false);
        w.write_bit(false);
        w.write_ue(0);
        w.write_ue(2);
        w.write_ue(1);
        w.write_bit(false);
        w.write_ue(width_mbs_minus1);
        w.write_ue(0);
        w.write_bit(true);
        w.write_bit(true);
        w.write_bit(true);
        w.write_ue(0);
        w.write_ue(crop_right);
        w.write_ue(0);
        w.write_ue(0);
        w.write_bit(false);
        Sps::parse(&sps_nal(&w.finish_rbsp()))
    };
    assert!(build(0, 1, 0, 0).is_ok());
    assert_eq!(build(32, 1, 0, 0), Err(BitstreamError::InvalidValue { field: "seq_parameter_set_id", value: 32 }));
    assert_eq!(build(0, 4, 0, 0), Err(BitstreamError::InvalidValue { field: "chroma_format_idc", value: 4 }));
    assert!(matches!(build(0, 1, 0, 8), Err(BitstreamError::InvalidValue { .. })));
    assert!(build(0, 1, 0, 7).is_ok());
    assert!(matches!(
        build(0, 1, u32::MAX - 1, 0),
        Err(BitstreamError::InvalidValue { field: "pic_width_in_mbs_minus1", .. })
    ));
    assert!(build(0, 1, (1 << 28) - 2, 0).is_ok());
}

// ----------------------------------------------------------------------------------------
// avcC
// ----------------------------------------------------------------------------------------

#[test]
fn avcc_matches_ffmpeg_output() {
    let cases = [
        (HIGH_1080P_SPS, HIGH_1080P_PPS, HIGH_1080P_AVCC),
        (BASELINE_720P_SPS, BASELINE_720P_PPS, BASELINE_720P_AVCC),
        (HIGH422_SPS, HIGH_1080P_PPS, HIGH422_AVCC),
        (HIGH444_SPS, "68ebe3c44c000440", HIGH444_AVCC),
    ];
    for (sps, pps, avcc) in cases {
        let (sps, pps, avcc) = (hex(sps), hex(pps), hex(avcc));
        let record = AvcDecoderConfigurationRecord::from_parameter_sets(&[&sps], &[&pps]).unwrap();
        assert_eq!(to_hex(&record.to_bytes()), to_hex(&avcc));
        assert_eq!(record.try_to_bytes().unwrap(), avcc);
        let parsed = AvcDecoderConfigurationRecord::parse(&avcc).unwrap();
        assert_eq!(parsed, record);
        assert_eq!(parsed.length_size(), 4);
        assert_eq!(parsed.codec_string(), Sps::parse(&sps).unwrap().codec_string());
    }
    let record = AvcDecoderConfigurationRecord::parse(&hex(HIGH_1080P_AVCC)).unwrap();
    assert_eq!((record.profile_idc, record.profile_compatibility, record.level_idc), (100, 0, 40));
    assert_eq!(record.sps, vec![hex(HIGH_1080P_SPS)]);
    assert_eq!(record.pps, vec![hex(HIGH_1080P_PPS)]);
    assert_eq!(
        record.high_profile_ext,
        Some(AvcCHighProfileExt {
            chroma_format: 1,
            bit_depth_luma_minus8: 0,
            bit_depth_chroma_minus8: 0,
            sps_ext: vec![],
        })
    );
    assert_eq!(AvcDecoderConfigurationRecord::parse(&hex(BASELINE_720P_AVCC)).unwrap().high_profile_ext, None);
}

#[test]
fn avcc_round_trip_with_multiple_sets_and_length_size() {
    let sps1 = hex(HIGH10_SPS);
    let sps2 = synthetic_scaling_poc1_sps();
    let pps1 = hex(HIGH_1080P_PPS);
    let pps2 = hex("68ee3cb0");
    let mut record = AvcDecoderConfigurationRecord::from_parameter_sets(&[&sps1, &sps2], &[&pps1, &pps2]).unwrap();
    assert_eq!(record.profile_idc, 110);
    assert_eq!(record.high_profile_ext.as_ref().unwrap().bit_depth_luma_minus8, 2);
    record.length_size_minus_one = 1;
    record.high_profile_ext.as_mut().unwrap().sps_ext.push(vec![0x6d, 0x01, 0x80]);
    let bytes = record.to_bytes();
    // Reserved bits are ones.
    assert_eq!(bytes[4], 0xfd);
    assert_eq!(bytes[5], 0xe2);
    let parsed = AvcDecoderConfigurationRecord::parse(&bytes).unwrap();
    assert_eq!(parsed, record);
    assert_eq!(parsed.length_size(), 2);
    // Trailing bytes after the record are ignored.
    let mut padded = bytes.clone();
    padded.extend([0xff, 0x00]);
    assert_eq!(AvcDecoderConfigurationRecord::parse(&padded).unwrap(), record);

    // No PPS (parameter sets in-band) is allowed.
    let record = AvcDecoderConfigurationRecord::from_parameter_sets(&[&sps1], &[]).unwrap();
    assert!(record.pps.is_empty());
    assert_eq!(AvcDecoderConfigurationRecord::parse(&record.to_bytes()).unwrap(), record);
    let default = AvcDecoderConfigurationRecord::default();
    assert_eq!(default.length_size_minus_one, 3);
    assert_eq!(default.to_bytes(), [1, 0, 0, 0, 0xff, 0xe0, 0]);
}

#[test]
fn avcc_accepts_missing_high_profile_extension() {
    let avcc = hex(HIGH_1080P_AVCC);
    let without_ext = &avcc[..avcc.len() - 4];
    let record = AvcDecoderConfigurationRecord::parse(without_ext).unwrap();
    assert_eq!(record.high_profile_ext, None);
    assert_eq!(record.sps.len(), 1);
    assert_eq!(record.to_bytes(), without_ext);
}

#[test]
fn avcc_rejects_truncated_and_invalid_records() {
    let avcc = hex(HIGH_1080P_AVCC);
    let ext_start = avcc.len() - 4;
    for len in 0..avcc.len() {
        let result = AvcDecoderConfigurationRecord::parse(&avcc[..len]);
        if len == ext_start {
            assert!(result.is_ok(), "record without extension must be accepted");
        } else {
            assert!(matches!(result, Err(BitstreamError::Truncated { .. })), "len {len}: {result:?}");
        }
    }
    let base = hex(BASELINE_720P_AVCC);
    for len in 0..base.len() {
        assert!(AvcDecoderConfigurationRecord::parse(&base[..len]).is_err());
    }

    let mut bad = avcc.clone();
    bad[0] = 0;
    assert!(matches!(AvcDecoderConfigurationRecord::parse(&bad), Err(BitstreamError::InvalidAvcC { .. })));
    let mut bad = avcc.clone();
    bad[4] = 0xfe; // lengthSizeMinusOne = 2
    assert!(matches!(AvcDecoderConfigurationRecord::parse(&bad), Err(BitstreamError::InvalidAvcC { .. })));
    let mut bad = avcc.clone();
    bad[8] = 0x68; // SPS entry holding a PPS header
    assert!(matches!(AvcDecoderConfigurationRecord::parse(&bad), Err(BitstreamError::UnexpectedNalType { .. })));
    let mut bad = avcc.clone();
    bad[5] = 0xe2; // claims two SPS
    assert!(AvcDecoderConfigurationRecord::parse(&bad).is_err());
}

#[test]
fn avcc_builder_errors_and_limits() {
    let sps = hex(HIGH_1080P_SPS);
    let pps = hex(HIGH_1080P_PPS);
    assert!(matches!(
        AvcDecoderConfigurationRecord::from_parameter_sets(&[], &[&pps]),
        Err(BitstreamError::InvalidAvcC { .. })
    ));
    assert!(matches!(
        AvcDecoderConfigurationRecord::from_parameter_sets(&[&pps], &[&pps]),
        Err(BitstreamError::UnexpectedNalType { .. })
    ));
    assert!(matches!(
        AvcDecoderConfigurationRecord::from_parameter_sets(&[&sps], &[&sps]),
        Err(BitstreamError::UnexpectedNalType { .. })
    ));
    let many: Vec<&[u8]> = vec![&sps; 32];
    assert!(matches!(
        AvcDecoderConfigurationRecord::from_parameter_sets(&many, &[]),
        Err(BitstreamError::InvalidAvcC { .. })
    ));
    let mut huge = sps.clone();
    huge.resize(70_000, 0x55);
    assert!(matches!(
        AvcDecoderConfigurationRecord::from_parameter_sets(&[&sps, &huge], &[]),
        Err(BitstreamError::NalUnitTooLarge { .. })
    ));

    // Hand-built record beyond the limits: to_bytes omits, try_to_bytes refuses.
    let mut record = AvcDecoderConfigurationRecord::from_parameter_sets(&[&sps], &[&pps]).unwrap();
    record.pps.push(huge.clone());
    assert!(matches!(record.try_to_bytes(), Err(BitstreamError::NalUnitTooLarge { .. })));
    let parsed = AvcDecoderConfigurationRecord::parse(&record.to_bytes()).unwrap();
    assert_eq!(parsed.pps, vec![pps.clone()]);
    record.pps.pop();
    record.sps = vec![sps.clone(); 40];
    assert!(matches!(record.try_to_bytes(), Err(BitstreamError::InvalidAvcC { .. })));
    assert_eq!(AvcDecoderConfigurationRecord::parse(&record.to_bytes()).unwrap().sps.len(), 31);
    record.sps.truncate(1);
    record.length_size_minus_one = 2;
    assert_eq!(record.try_to_bytes(), Err(BitstreamError::InvalidLengthSize(3)));
}

// ----------------------------------------------------------------------------------------
// Errors and fuzzing
// ----------------------------------------------------------------------------------------

#[test]
fn errors_display_and_implement_error() {
    let errors = [
        BitstreamError::Truncated { what: "SPS" },
        BitstreamError::BadStartCode { offset: 3 },
        BitstreamError::ForbiddenZeroBit { offset: 1 },
        BitstreamError::EmptyNalUnit { offset: 0 },
        BitstreamError::InvalidLengthSize(3),
        BitstreamError::NalUnitTooLarge { len: 300, length_size: 1 },
        BitstreamError::StartCodeEmulation { offset: 9 },
        BitstreamError::ExpGolombOverflow,
        BitstreamError::UnexpectedNalType { expected: NalUnitType::SPS, found: NalUnitType::PPS },
        BitstreamError::InvalidValue { field: "chroma_format_idc", value: 9 },
        BitstreamError::Unsupported { what: "x" },
        BitstreamError::InvalidAvcC { reason: "y" },
    ];
    for e in errors {
        let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
        assert!(!boxed.to_string().is_empty());
    }
    assert_eq!(
        BitstreamError::UnexpectedNalType { expected: NalUnitType::SPS, found: NalUnitType::PPS }.to_string(),
        "expected a SPS (type 7) NAL unit, found PPS (type 8)"
    );
}

#[test]
fn fuzz_entry_accepts_valid_streams() {
    let annex_b = sample_annex_b();
    fuzz_entry(&annex_b);
    fuzz_entry(&annex_b_to_length_prefixed(&annex_b, 4).unwrap());
    fuzz_entry(&annex_b_to_length_prefixed(&annex_b, 1).unwrap());
    for s in [
        BASELINE_720P_SPS,
        MAIN_360P_SPS,
        HIGH_1080P_SPS,
        HIGH_1080P_VUI_SPS,
        HIGH10_SPS,
        HIGH422_SPS,
        HIGH444_SPS,
        INTERLACED_SPS,
        MAIN_ESAR_SPS,
        HIGH_1080P_AVCC,
        BASELINE_720P_AVCC,
        HIGH422_AVCC,
        HIGH444_AVCC,
    ] {
        fuzz_entry(&hex(s));
    }
    fuzz_entry(&synthetic_scaling_poc1_sps());
    fuzz_entry(&[]);
}

#[test]
fn random_and_mutated_inputs_never_panic() {
    let annex_b = sample_annex_b();
    let seeds: Vec<Vec<u8>> = vec![
        annex_b.clone(),
        annex_b_to_length_prefixed(&annex_b, 4).unwrap(),
        annex_b_to_length_prefixed(&annex_b, 2).unwrap(),
        annex_b_to_length_prefixed(&annex_b, 1).unwrap(),
        hex(HIGH_1080P_AVCC),
        hex(BASELINE_720P_AVCC),
        hex(HIGH444_AVCC),
        hex(HIGH_1080P_VUI_SPS),
        hex(HIGH10_SPS),
        hex(INTERLACED_SPS),
        hex(MAIN_ESAR_SPS),
        synthetic_scaling_poc1_sps(),
    ];
    let mut rng = XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut parsed_sps = 0usize;
    for i in 0..20_000 {
        let input: Vec<u8> = match i % 5 {
            0 => {
                let len = rng.below(64);
                (0..len).map(|_| rng.byte()).collect()
            }
            1 => {
                let len = rng.below(300);
                rng.biased_bytes(len)
            }
            _ => {
                let mut data = seeds[rng.below(seeds.len())].clone();
                for _ in 0..=rng.below(4) {
                    match rng.below(6) {
                        0 if !data.is_empty() => {
                            let at = rng.below(data.len());
                            data[at] ^= 1 << rng.below(8);
                        }
                        1 if !data.is_empty() => {
                            let at = rng.below(data.len());
                            data[at] = rng.byte();
                        }
                        2 => {
                            let at = rng.below(data.len() + 1);
                            data.truncate(at);
                        }
                        3 => {
                            let at = rng.below(data.len() + 1);
                            let b = [0u8, 1, 3, 0xff][rng.below(4)];
                            data.insert(at, b);
                        }
                        4 if !data.is_empty() => {
                            let at = rng.below(data.len());
                            data.remove(at);
                        }
                        _ => {
                            let other = &seeds[rng.below(seeds.len())];
                            let from = rng.below(other.len() + 1);
                            data.extend_from_slice(&other[from..]);
                        }
                    }
                }
                data
            }
        };
        fuzz_entry(&input);
        if Sps::parse(&input).is_ok() {
            parsed_sps += 1;
        }
    }
    // Mutations of real SPS must sometimes still parse, so the SPS paths are exercised.
    assert!(parsed_sps > 100, "only {parsed_sps} SPS parsed");
}

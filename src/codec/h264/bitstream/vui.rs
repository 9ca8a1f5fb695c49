//! Video usability information (H.264 Annex E) of an SPS: aspect ratio, colour
//! description, timing and bitstream restrictions.

use super::error::BitstreamError;
use super::sps::{read_ue_max, read_ue_u8};
use crate::codec::bits::BitReader;

/// VUI `timing_info` (H.264 Annex E).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingInfo {
    /// `num_units_in_tick`: clock ticks per tick of the `time_scale` clock.
    pub num_units_in_tick: u32,
    /// `time_scale`: clock frequency in Hz.
    pub time_scale: u32,
    /// `fixed_frame_rate_flag`.
    pub fixed_frame_rate_flag: bool,
}

impl TimingInfo {
    /// Nominal frame rate as a reduced fraction `(numerator, denominator)` in frames per
    /// second, computed as `time_scale / (2 * num_units_in_tick)` (one frame = two field
    /// ticks), e.g. `(30, 1)` or `(30000, 1001)`. `None` if either value is zero.
    pub fn frame_rate(&self) -> Option<(u64, u64)> {
        if self.num_units_in_tick == 0 || self.time_scale == 0 {
            return None;
        }
        let num = u64::from(self.time_scale);
        let den = u64::from(self.num_units_in_tick).saturating_mul(2);
        let (mut a, mut b) = (num, den);
        while b != 0 {
            let r = a.checked_rem(b).unwrap_or(0);
            a = b;
            b = r;
        }
        // `a` is the greatest common divisor, at least 1 because `num` is non-zero.
        Some((num.checked_div(a).unwrap_or(num), den.checked_div(a).unwrap_or(den)))
    }
}

/// VUI `bitstream_restriction` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitstreamRestriction {
    /// `motion_vectors_over_pic_boundaries_flag`.
    pub motion_vectors_over_pic_boundaries_flag: bool,
    /// `max_bytes_per_pic_denom`.
    pub max_bytes_per_pic_denom: u32,
    /// `max_bits_per_mb_denom`.
    pub max_bits_per_mb_denom: u32,
    /// `log2_max_mv_length_horizontal`.
    pub log2_max_mv_length_horizontal: u32,
    /// `log2_max_mv_length_vertical`.
    pub log2_max_mv_length_vertical: u32,
    /// `max_num_reorder_frames`: frames that may precede another in decoding order but follow
    /// it in output order (0 means no B-frame reordering).
    pub max_num_reorder_frames: u32,
    /// `max_dec_frame_buffering`: required DPB size in frames.
    pub max_dec_frame_buffering: u32,
}

/// Video usability information (H.264 Annex E) from an SPS.
///
/// Fields up to and including `timing_info` are always parsed. The remaining fields (HRD
/// flags, `pic_struct_present_flag`, bitstream restrictions) are parsed best-effort: if that
/// part of the VUI is malformed or truncated they keep their defaults and
/// `tail_parsed` is `false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vui {
    /// `aspect_ratio_info_present_flag`.
    pub aspect_ratio_info_present_flag: bool,
    /// `aspect_ratio_idc` (Table E-1; 255 = `Extended_SAR`); 0 (unspecified) when absent.
    pub aspect_ratio_idc: u8,
    /// Sample aspect ratio width: from Table E-1, or `sar_width` for `Extended_SAR`;
    /// 0 when unspecified or absent.
    pub sar_width: u16,
    /// Sample aspect ratio height: from Table E-1, or `sar_height` for `Extended_SAR`;
    /// 0 when unspecified or absent.
    pub sar_height: u16,
    /// `overscan_appropriate_flag`; `None` when `overscan_info_present_flag` is 0.
    pub overscan_appropriate: Option<bool>,
    /// `video_signal_type_present_flag`.
    pub video_signal_type_present_flag: bool,
    /// `video_format` (0 component, 1 PAL, 2 NTSC, 3 SECAM, 4 MAC, 5 unspecified);
    /// default 5.
    pub video_format: u8,
    /// `video_full_range_flag`: `true` for full-range (0–255) samples; default `false`
    /// (limited range).
    pub video_full_range_flag: bool,
    /// `colour_description_present_flag`.
    pub colour_description_present_flag: bool,
    /// `colour_primaries` (ITU-T H.273, 1 = BT.709); default 2 (unspecified).
    pub colour_primaries: u8,
    /// `transfer_characteristics` (ITU-T H.273, 1 = BT.709); default 2 (unspecified).
    pub transfer_characteristics: u8,
    /// `matrix_coefficients` (ITU-T H.273, 1 = BT.709); default 2 (unspecified).
    pub matrix_coefficients: u8,
    /// `(chroma_sample_loc_type_top_field, chroma_sample_loc_type_bottom_field)`, each `0..=5`;
    /// `None` when `chroma_loc_info_present_flag` is 0.
    pub chroma_sample_loc: Option<(u8, u8)>,
    /// `timing_info`; `None` when `timing_info_present_flag` is 0.
    pub timing_info: Option<TimingInfo>,
    /// `true` if the fields below were parsed successfully.
    pub tail_parsed: bool,
    /// `nal_hrd_parameters_present_flag` (the HRD parameters themselves are skipped).
    pub nal_hrd_parameters_present_flag: bool,
    /// `vcl_hrd_parameters_present_flag` (the HRD parameters themselves are skipped).
    pub vcl_hrd_parameters_present_flag: bool,
    /// `low_delay_hrd_flag`; default `false`.
    pub low_delay_hrd_flag: bool,
    /// `pic_struct_present_flag`.
    pub pic_struct_present_flag: bool,
    /// Bitstream restrictions; `None` when `bitstream_restriction_flag` is 0.
    pub bitstream_restriction: Option<BitstreamRestriction>,
}

impl Default for Vui {
    /// A VUI with every "present" flag cleared and the specification's inferred defaults.
    fn default() -> Self {
        Self {
            aspect_ratio_info_present_flag: false,
            aspect_ratio_idc: 0,
            sar_width: 0,
            sar_height: 0,
            overscan_appropriate: None,
            video_signal_type_present_flag: false,
            video_format: 5,
            video_full_range_flag: false,
            colour_description_present_flag: false,
            colour_primaries: 2,
            transfer_characteristics: 2,
            matrix_coefficients: 2,
            chroma_sample_loc: None,
            timing_info: None,
            tail_parsed: false,
            nal_hrd_parameters_present_flag: false,
            vcl_hrd_parameters_present_flag: false,
            low_delay_hrd_flag: false,
            pic_struct_present_flag: false,
            bitstream_restriction: None,
        }
    }
}

impl Vui {
    /// The sample (pixel) aspect ratio `(width, height)`, or `None` if unspecified.
    pub fn sample_aspect_ratio(&self) -> Option<(u16, u16)> {
        if self.sar_width == 0 || self.sar_height == 0 {
            None
        } else {
            Some((self.sar_width, self.sar_height))
        }
    }
}

/// Sample aspect ratios of H.264 Table E-1 (`aspect_ratio_idc` 1..=16).
fn sar_from_table(idc: u8) -> Option<(u16, u16)> {
    Some(match idc {
        1 => (1, 1),
        2 => (12, 11),
        3 => (10, 11),
        4 => (16, 11),
        5 => (40, 33),
        6 => (24, 11),
        7 => (20, 11),
        8 => (32, 11),
        9 => (80, 33),
        10 => (18, 11),
        11 => (15, 11),
        12 => (64, 33),
        13 => (160, 99),
        14 => (4, 3),
        15 => (3, 2),
        16 => (2, 1),
        _ => return None,
    })
}

/// `aspect_ratio_idc` value signalling an explicit `sar_width`/`sar_height`.
const EXTENDED_SAR: u8 = 255;

/// Fields of the VUI after `timing_info`.
struct VuiTail {
    nal_hrd: bool,
    vcl_hrd: bool,
    low_delay_hrd: bool,
    pic_struct_present: bool,
    bitstream_restriction: Option<BitstreamRestriction>,
}

fn skip_hrd_parameters(r: &mut BitReader<'_>) -> Result<(), BitstreamError> {
    let cpb_cnt_minus1 = read_ue_max(r, "cpb_cnt_minus1", 31)?;
    r.skip_bits(8)?; // bit_rate_scale u(4), cpb_size_scale u(4)
    for _ in 0..=cpb_cnt_minus1 {
        r.read_ue()?; // bit_rate_value_minus1
        r.read_ue()?; // cpb_size_value_minus1
        r.read_flag()?; // cbr_flag
    }
    // initial_cpb_removal_delay_length_minus1, cpb_removal_delay_length_minus1,
    // dpb_output_delay_length_minus1, time_offset_length: u(5) each.
    Ok(r.skip_bits(20)?)
}

fn parse_vui_tail(r: &mut BitReader<'_>) -> Result<VuiTail, BitstreamError> {
    let nal_hrd = r.read_flag()?;
    if nal_hrd {
        skip_hrd_parameters(r)?;
    }
    let vcl_hrd = r.read_flag()?;
    if vcl_hrd {
        skip_hrd_parameters(r)?;
    }
    let low_delay_hrd = if nal_hrd || vcl_hrd { r.read_flag()? } else { false };
    let pic_struct_present = r.read_flag()?;
    let bitstream_restriction = if r.read_flag()? {
        Some(BitstreamRestriction {
            motion_vectors_over_pic_boundaries_flag: r.read_flag()?,
            max_bytes_per_pic_denom: r.read_ue()?,
            max_bits_per_mb_denom: r.read_ue()?,
            log2_max_mv_length_horizontal: r.read_ue()?,
            log2_max_mv_length_vertical: r.read_ue()?,
            max_num_reorder_frames: r.read_ue()?,
            max_dec_frame_buffering: r.read_ue()?,
        })
    } else {
        None
    };
    Ok(VuiTail { nal_hrd, vcl_hrd, low_delay_hrd, pic_struct_present, bitstream_restriction })
}

pub(super) fn parse_vui(r: &mut BitReader<'_>) -> Result<Vui, BitstreamError> {
    let mut vui = Vui::default();
    if r.read_flag()? {
        vui.aspect_ratio_info_present_flag = true;
        vui.aspect_ratio_idc = r.read_u8(8)?;
        if vui.aspect_ratio_idc == EXTENDED_SAR {
            vui.sar_width = r.read_u16()?;
            vui.sar_height = r.read_u16()?;
        } else if let Some((w, h)) = sar_from_table(vui.aspect_ratio_idc) {
            vui.sar_width = w;
            vui.sar_height = h;
        }
    }
    if r.read_flag()? {
        vui.overscan_appropriate = Some(r.read_flag()?);
    }
    if r.read_flag()? {
        vui.video_signal_type_present_flag = true;
        vui.video_format = r.read_u8(3)?;
        vui.video_full_range_flag = r.read_flag()?;
        if r.read_flag()? {
            vui.colour_description_present_flag = true;
            vui.colour_primaries = r.read_u8(8)?;
            vui.transfer_characteristics = r.read_u8(8)?;
            vui.matrix_coefficients = r.read_u8(8)?;
        }
    }
    if r.read_flag()? {
        let top = read_ue_u8(r, "chroma_sample_loc_type_top_field", 5)?;
        let bottom = read_ue_u8(r, "chroma_sample_loc_type_bottom_field", 5)?;
        vui.chroma_sample_loc = Some((top, bottom));
    }
    if r.read_flag()? {
        vui.timing_info = Some(TimingInfo {
            num_units_in_tick: r.read_bits(32)?,
            time_scale: r.read_bits(32)?,
            fixed_frame_rate_flag: r.read_flag()?,
        });
    }
    let mut tail_reader = r.clone();
    if let Ok(tail) = parse_vui_tail(&mut tail_reader) {
        *r = tail_reader;
        vui.tail_parsed = true;
        vui.nal_hrd_parameters_present_flag = tail.nal_hrd;
        vui.vcl_hrd_parameters_present_flag = tail.vcl_hrd;
        vui.low_delay_hrd_flag = tail.low_delay_hrd;
        vui.pic_struct_present_flag = tail.pic_struct_present;
        vui.bitstream_restriction = tail.bitstream_restriction;
    }
    Ok(vui)
}

//! The sequence parameter set (H.264 7.3.2.1.1): [`Sps`] and its parser.

use super::codec_string::avc1_codec_string;
use super::error::BitstreamError;
use super::nal::{NalRef, NalUnitType};
use super::rbsp::remove_emulation_prevention;
use super::vui::{parse_vui, Vui};
use crate::codec::bits::BitReader;

/// Reads `ue(v)` and checks it is `<= max`, reporting `field` otherwise.
pub(super) fn read_ue_max(r: &mut BitReader<'_>, field: &'static str, max: u32) -> Result<u32, BitstreamError> {
    let v = r.read_ue()?;
    if v > max {
        return Err(BitstreamError::InvalidValue { field, value: u64::from(v) });
    }
    Ok(v)
}

/// Like [`read_ue_max`] for small ranges (`max <= 255`), returning `u8`.
pub(super) fn read_ue_u8(r: &mut BitReader<'_>, field: &'static str, max: u8) -> Result<u8, BitstreamError> {
    let v = read_ue_max(r, field, u32::from(max))?;
    Ok(u8::try_from(v).unwrap_or(max))
}

/// Picture order count parameters of an SPS (`pic_order_cnt_type` 0, 1 or 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PicOrderCnt {
    /// `pic_order_cnt_type` 0: POC LSBs are sent in every slice header.
    Type0 {
        /// `log2_max_pic_order_cnt_lsb_minus4` (`0..=12`).
        log2_max_pic_order_cnt_lsb_minus4: u8,
    },
    /// `pic_order_cnt_type` 1: POC derived from `frame_num` and a cycle of offsets.
    Type1 {
        /// `delta_pic_order_always_zero_flag`.
        delta_pic_order_always_zero_flag: bool,
        /// `offset_for_non_ref_pic`.
        offset_for_non_ref_pic: i32,
        /// `offset_for_top_to_bottom_field`.
        offset_for_top_to_bottom_field: i32,
        /// `offset_for_ref_frame[i]`; at most 255 entries.
        offset_for_ref_frame: Vec<i32>,
    },
    /// `pic_order_cnt_type` 2: POC equals decoding order (no reordering).
    Type2,
}

impl PicOrderCnt {
    /// The numeric `pic_order_cnt_type` (0, 1 or 2).
    pub fn pic_order_cnt_type(&self) -> u8 {
        match self {
            Self::Type0 { .. } => 0,
            Self::Type1 { .. } => 1,
            Self::Type2 => 2,
        }
    }
}

/// Frame cropping offsets of an SPS, in crop units (see [`Sps::crop_unit_x`] and
/// [`Sps::crop_unit_y`]), not in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameCropping {
    /// `frame_crop_left_offset`.
    pub left: u32,
    /// `frame_crop_right_offset`.
    pub right: u32,
    /// `frame_crop_top_offset`.
    pub top: u32,
    /// `frame_crop_bottom_offset`.
    pub bottom: u32,
}

/// Skips one `scaling_list()` of `size` coefficients (16 or 64).
fn skip_scaling_list(r: &mut BitReader<'_>, size: u32) -> Result<(), BitstreamError> {
    let mut last_scale: i64 = 8;
    let mut next_scale: i64 = 8;
    for _ in 0..size {
        if next_scale != 0 {
            let delta_scale = i64::from(r.read_se()?);
            next_scale = last_scale.saturating_add(delta_scale).rem_euclid(256);
        }
        if next_scale != 0 {
            last_scale = next_scale;
        }
    }
    Ok(())
}

/// `true` for `profile_idc` values whose SPS carries `chroma_format_idc`, bit depths and
/// scaling matrices (High profiles, the SVC/MVC/3D profiles and the withdrawn profile 144).
pub(super) fn profile_has_chroma_info(profile_idc: u8) -> bool {
    matches!(profile_idc, 100 | 110 | 122 | 144 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135)
}

/// A parsed sequence parameter set (H.264 7.3.2.1.1).
///
/// Fields use the specification's names; values that are absent from the bitstream hold the
/// specification's inferred defaults (e.g. `chroma_format_idc` = 1 for non-High profiles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sps {
    /// `profile_idc` (66 Baseline, 77 Main, 88 Extended, 100 High, 110 High 10, 122 High 4:2:2,
    /// 244 High 4:4:4 Predictive, ...).
    pub profile_idc: u8,
    /// The whole byte following `profile_idc`: `constraint_set0_flag` in the most significant
    /// bit through `constraint_set5_flag`, then `reserved_zero_2bits`.
    pub constraint_set_flags: u8,
    /// `level_idc` (10 × level number, e.g. 31 for level 3.1; 9 for level 1b in some profiles).
    pub level_idc: u8,
    /// `seq_parameter_set_id` (`0..=31`).
    pub seq_parameter_set_id: u8,
    /// `chroma_format_idc` (0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4); default 1.
    pub chroma_format_idc: u8,
    /// `separate_colour_plane_flag`; default `false`.
    pub separate_colour_plane_flag: bool,
    /// `bit_depth_luma_minus8` (`0..=6`); default 0.
    pub bit_depth_luma_minus8: u8,
    /// `bit_depth_chroma_minus8` (`0..=6`); default 0.
    pub bit_depth_chroma_minus8: u8,
    /// `qpprime_y_zero_transform_bypass_flag`; default `false`.
    pub qpprime_y_zero_transform_bypass_flag: bool,
    /// `seq_scaling_matrix_present_flag` (the scaling lists themselves are skipped); default
    /// `false`.
    pub seq_scaling_matrix_present_flag: bool,
    /// `log2_max_frame_num_minus4` (`0..=12`).
    pub log2_max_frame_num_minus4: u8,
    /// Picture order count parameters (`pic_order_cnt_type` and its fields).
    pub pic_order_cnt: PicOrderCnt,
    /// `max_num_ref_frames`.
    pub max_num_ref_frames: u32,
    /// `gaps_in_frame_num_value_allowed_flag`.
    pub gaps_in_frame_num_value_allowed_flag: bool,
    /// `pic_width_in_mbs_minus1` (width in 16-pixel macroblocks, minus one).
    pub pic_width_in_mbs_minus1: u32,
    /// `pic_height_in_map_units_minus1` (height in map units — macroblocks for frame-only
    /// streams, macroblock pairs otherwise — minus one).
    pub pic_height_in_map_units_minus1: u32,
    /// `frame_mbs_only_flag`: `false` if the stream may contain field pictures or MBAFF.
    pub frame_mbs_only_flag: bool,
    /// `mb_adaptive_frame_field_flag`; default `false`.
    pub mb_adaptive_frame_field_flag: bool,
    /// `direct_8x8_inference_flag`.
    pub direct_8x8_inference_flag: bool,
    /// Frame cropping offsets; `None` when `frame_cropping_flag` is 0.
    pub frame_cropping: Option<FrameCropping>,
    /// VUI parameters; `None` when `vui_parameters_present_flag` is 0.
    pub vui: Option<Vui>,
}

impl Sps {
    /// Parses an SPS NAL unit (header byte included, emulation-prevention bytes still present,
    /// no start code or length prefix).
    ///
    /// Fails with [`BitstreamError::UnexpectedNalType`] for non-SPS NAL units (including
    /// subset SPS), [`BitstreamError::Truncated`], [`BitstreamError::ExpGolombOverflow`], or
    /// [`BitstreamError::InvalidValue`] for out-of-range fields, dimensions that overflow
    /// `u32`, or cropping that removes the whole picture. Data after the VUI is ignored.
    pub fn parse(nal: &[u8]) -> Result<Self, BitstreamError> {
        let nal = NalRef::parse(nal)?;
        if nal.nal_type != NalUnitType::SPS {
            return Err(BitstreamError::UnexpectedNalType { expected: NalUnitType::SPS, found: nal.nal_type });
        }
        Self::parse_rbsp(&remove_emulation_prevention(nal.payload()))
    }

    /// Parses the RBSP of an SPS, i.e. the bytes after the NAL header with emulation
    /// prevention already removed (see [`nal_to_rbsp`](super::nal_to_rbsp)).
    pub fn parse_rbsp(rbsp: &[u8]) -> Result<Self, BitstreamError> {
        Self::parse_fields(&mut BitReader::new(rbsp)).map_err(|e| match e {
            BitstreamError::Truncated { .. } => BitstreamError::Truncated { what: "SPS" },
            other => other,
        })
    }

    fn parse_fields(r: &mut BitReader<'_>) -> Result<Self, BitstreamError> {
        let profile_idc = r.read_u8(8)?;
        let constraint_set_flags = r.read_u8(8)?;
        let level_idc = r.read_u8(8)?;
        let seq_parameter_set_id = read_ue_u8(r, "seq_parameter_set_id", 31)?;

        let mut chroma_format_idc = 1;
        let mut separate_colour_plane_flag = false;
        let mut bit_depth_luma_minus8 = 0;
        let mut bit_depth_chroma_minus8 = 0;
        let mut qpprime_y_zero_transform_bypass_flag = false;
        let mut seq_scaling_matrix_present_flag = false;
        if profile_has_chroma_info(profile_idc) {
            chroma_format_idc = read_ue_u8(r, "chroma_format_idc", 3)?;
            if chroma_format_idc == 3 {
                separate_colour_plane_flag = r.read_flag()?;
            }
            bit_depth_luma_minus8 = read_ue_u8(r, "bit_depth_luma_minus8", 6)?;
            bit_depth_chroma_minus8 = read_ue_u8(r, "bit_depth_chroma_minus8", 6)?;
            qpprime_y_zero_transform_bypass_flag = r.read_flag()?;
            seq_scaling_matrix_present_flag = r.read_flag()?;
            if seq_scaling_matrix_present_flag {
                let lists = if chroma_format_idc == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.read_flag()? {
                        skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                    }
                }
            }
        }

        let log2_max_frame_num_minus4 = read_ue_u8(r, "log2_max_frame_num_minus4", 12)?;
        let pic_order_cnt = match read_ue_max(r, "pic_order_cnt_type", 2)? {
            0 => PicOrderCnt::Type0 {
                log2_max_pic_order_cnt_lsb_minus4: read_ue_u8(r, "log2_max_pic_order_cnt_lsb_minus4", 12)?,
            },
            1 => {
                let delta_pic_order_always_zero_flag = r.read_flag()?;
                let offset_for_non_ref_pic = r.read_se()?;
                let offset_for_top_to_bottom_field = r.read_se()?;
                let count = read_ue_u8(r, "num_ref_frames_in_pic_order_cnt_cycle", 255)?;
                let mut offset_for_ref_frame = Vec::with_capacity(usize::from(count));
                for _ in 0..count {
                    offset_for_ref_frame.push(r.read_se()?);
                }
                PicOrderCnt::Type1 {
                    delta_pic_order_always_zero_flag,
                    offset_for_non_ref_pic,
                    offset_for_top_to_bottom_field,
                    offset_for_ref_frame,
                }
            }
            _ => PicOrderCnt::Type2,
        };
        let max_num_ref_frames = r.read_ue()?;
        let gaps_in_frame_num_value_allowed_flag = r.read_flag()?;
        let pic_width_in_mbs_minus1 = r.read_ue()?;
        let pic_height_in_map_units_minus1 = r.read_ue()?;
        let frame_mbs_only_flag = r.read_flag()?;
        let mb_adaptive_frame_field_flag = if frame_mbs_only_flag { false } else { r.read_flag()? };
        let direct_8x8_inference_flag = r.read_flag()?;
        let frame_cropping = if r.read_flag()? {
            Some(FrameCropping { left: r.read_ue()?, right: r.read_ue()?, top: r.read_ue()?, bottom: r.read_ue()? })
        } else {
            None
        };
        let vui = if r.read_flag()? { Some(parse_vui(r)?) } else { None };

        let sps = Self {
            profile_idc,
            constraint_set_flags,
            level_idc,
            seq_parameter_set_id,
            chroma_format_idc,
            separate_colour_plane_flag,
            bit_depth_luma_minus8,
            bit_depth_chroma_minus8,
            qpprime_y_zero_transform_bypass_flag,
            seq_scaling_matrix_present_flag,
            log2_max_frame_num_minus4,
            pic_order_cnt,
            max_num_ref_frames,
            gaps_in_frame_num_value_allowed_flag,
            pic_width_in_mbs_minus1,
            pic_height_in_map_units_minus1,
            frame_mbs_only_flag,
            mb_adaptive_frame_field_flag,
            direct_8x8_inference_flag,
            frame_cropping,
            vui,
        };
        sps.validate_dimensions()?;
        Ok(sps)
    }

    /// Checks that the coded size fits `u32` and that cropping leaves at least one pixel.
    fn validate_dimensions(&self) -> Result<(), BitstreamError> {
        let coded_w = self.coded_width_u64();
        let coded_h = self.coded_height_u64();
        if coded_w > u64::from(u32::MAX) {
            return Err(BitstreamError::InvalidValue {
                field: "pic_width_in_mbs_minus1",
                value: u64::from(self.pic_width_in_mbs_minus1),
            });
        }
        if coded_h > u64::from(u32::MAX) {
            return Err(BitstreamError::InvalidValue {
                field: "pic_height_in_map_units_minus1",
                value: u64::from(self.pic_height_in_map_units_minus1),
            });
        }
        let (crop_w, crop_h) = self.crop_pixels_u64();
        if crop_w >= coded_w {
            return Err(BitstreamError::InvalidValue {
                field: "frame_crop_left_offset + frame_crop_right_offset",
                value: crop_w,
            });
        }
        if crop_h >= coded_h {
            return Err(BitstreamError::InvalidValue {
                field: "frame_crop_top_offset + frame_crop_bottom_offset",
                value: crop_h,
            });
        }
        Ok(())
    }

    /// `pic_order_cnt_type` (0, 1 or 2).
    pub fn pic_order_cnt_type(&self) -> u8 {
        self.pic_order_cnt.pic_order_cnt_type()
    }

    /// `ChromaArrayType`: 0 when `separate_colour_plane_flag` is set, otherwise
    /// `chroma_format_idc`.
    pub fn chroma_array_type(&self) -> u8 {
        if self.separate_colour_plane_flag {
            0
        } else {
            self.chroma_format_idc
        }
    }

    /// Luma bit depth in bits (8..=14).
    pub fn bit_depth_luma(&self) -> u8 {
        self.bit_depth_luma_minus8.saturating_add(8)
    }

    /// Chroma bit depth in bits (8..=14).
    pub fn bit_depth_chroma(&self) -> u8 {
        self.bit_depth_chroma_minus8.saturating_add(8)
    }

    /// `MaxFrameNum` = 2^(`log2_max_frame_num_minus4` + 4).
    pub fn max_frame_num(&self) -> u32 {
        1u32.checked_shl(u32::from(self.log2_max_frame_num_minus4).saturating_add(4)).unwrap_or(u32::MAX)
    }

    /// Horizontal crop unit in luma samples (`CropUnitX`): 1 for monochrome/4:4:4 (or separate
    /// colour planes), 2 for 4:2:0 and 4:2:2.
    pub fn crop_unit_x(&self) -> u32 {
        match self.chroma_array_type() {
            1 | 2 => 2,
            _ => 1,
        }
    }

    /// Vertical crop unit in luma samples (`CropUnitY`): `SubHeightC` (2 for 4:2:0, else 1)
    /// times 2 when `frame_mbs_only_flag` is 0.
    pub fn crop_unit_y(&self) -> u32 {
        match (self.chroma_array_type() == 1, self.frame_mbs_only_flag) {
            (false, true) => 1,
            (true, true) | (false, false) => 2,
            (true, false) => 4,
        }
    }

    fn coded_width_u64(&self) -> u64 {
        u64::from(self.pic_width_in_mbs_minus1).saturating_add(1).saturating_mul(16)
    }

    fn coded_height_u64(&self) -> u64 {
        let field_factor = if self.frame_mbs_only_flag { 1 } else { 2 };
        u64::from(self.pic_height_in_map_units_minus1).saturating_add(1).saturating_mul(16).saturating_mul(field_factor)
    }

    /// Total cropped luma samples `(horizontal, vertical)`.
    fn crop_pixels_u64(&self) -> (u64, u64) {
        let Some(c) = self.frame_cropping else {
            return (0, 0);
        };
        let w = u64::from(c.left).saturating_add(u64::from(c.right)).saturating_mul(u64::from(self.crop_unit_x()));
        let h = u64::from(c.top).saturating_add(u64::from(c.bottom)).saturating_mul(u64::from(self.crop_unit_y()));
        (w, h)
    }

    /// Coded frame width in luma samples (pixels) before cropping:
    /// `(pic_width_in_mbs_minus1 + 1) * 16`.
    pub fn coded_width(&self) -> u32 {
        u32::try_from(self.coded_width_u64()).unwrap_or(u32::MAX)
    }

    /// Coded frame height in luma samples (pixels) before cropping:
    /// `(2 - frame_mbs_only_flag) * (pic_height_in_map_units_minus1 + 1) * 16`.
    pub fn coded_height(&self) -> u32 {
        u32::try_from(self.coded_height_u64()).unwrap_or(u32::MAX)
    }

    /// Display width in pixels: coded width minus `CropUnitX * (left + right)` crop offsets.
    pub fn width(&self) -> u32 {
        let w = self.coded_width_u64().saturating_sub(self.crop_pixels_u64().0);
        u32::try_from(w).unwrap_or(u32::MAX)
    }

    /// Display height in pixels: coded height minus `CropUnitY * (top + bottom)` crop offsets
    /// (accounts for chroma format and `frame_mbs_only_flag`).
    pub fn height(&self) -> u32 {
        let h = self.coded_height_u64().saturating_sub(self.crop_pixels_u64().1);
        u32::try_from(h).unwrap_or(u32::MAX)
    }

    /// Sample aspect ratio `(width, height)` from the VUI, or `None` if absent/unspecified.
    pub fn sample_aspect_ratio(&self) -> Option<(u16, u16)> {
        self.vui.as_ref().and_then(Vui::sample_aspect_ratio)
    }

    /// Nominal frame rate `(numerator, denominator)` in frames per second from the VUI timing
    /// info (see [`TimingInfo::frame_rate`](super::TimingInfo::frame_rate)), or `None` if absent.
    pub fn frame_rate(&self) -> Option<(u64, u64)> {
        self.vui.as_ref().and_then(|v| v.timing_info).and_then(|t| t.frame_rate())
    }

    /// RFC 6381 codec string `avc1.PPCCLL`: lowercase hex of `profile_idc`,
    /// `constraint_set_flags` and `level_idc` (e.g. `"avc1.64001f"`).
    pub fn codec_string(&self) -> String {
        avc1_codec_string(self.profile_idc, self.constraint_set_flags, self.level_idc)
    }
}

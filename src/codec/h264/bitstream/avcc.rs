//! The AVCDecoderConfigurationRecord (`avcC`, ISO/IEC 14496-15 5.3.3.1): parse and write.

use super::codec_string::avc1_codec_string;
use super::error::BitstreamError;
use super::nal::{NalRef, NalUnitType};
use super::sps::{profile_has_chroma_info, Sps};

/// `profile_idc` values for which the `avcC` record carries the chroma/bit-depth extension.
///
/// ISO/IEC 14496-15 lists 100, 110, 122 and 144; later High-family profiles (244, 44, the
/// SVC/MVC profiles, ...) are included too, matching what FFmpeg and GPAC write and read.
fn avcc_has_high_profile_ext(profile_idc: u8) -> bool {
    profile_has_chroma_info(profile_idc)
}

/// The High-profile extension at the end of an `avcC` record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AvcCHighProfileExt {
    /// `chroma_format` (`chroma_format_idc` of the SPS, `0..=3`).
    pub chroma_format: u8,
    /// `bit_depth_luma_minus8` (`0..=7` in the record).
    pub bit_depth_luma_minus8: u8,
    /// `bit_depth_chroma_minus8` (`0..=7` in the record).
    pub bit_depth_chroma_minus8: u8,
    /// SPS extension NAL units (type 13), each without framing; at most 255 of at most
    /// 65 535 bytes.
    pub sps_ext: Vec<Vec<u8>>,
}

/// An `AVCDecoderConfigurationRecord` — the payload of an MP4 `avcC` box
/// (ISO/IEC 14496-15, 5.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcDecoderConfigurationRecord {
    /// `AVCProfileIndication` (`profile_idc` of the SPS).
    pub profile_idc: u8,
    /// `profile_compatibility` (the SPS byte holding the constraint flags).
    pub profile_compatibility: u8,
    /// `AVCLevelIndication` (`level_idc` of the SPS).
    pub level_idc: u8,
    /// `lengthSizeMinusOne`: size of the NAL length prefixes in samples, minus one
    /// (0, 1 or 3); default 3 (4-byte lengths).
    pub length_size_minus_one: u8,
    /// SPS NAL units, each without framing; at most 31 of at most 65 535 bytes.
    pub sps: Vec<Vec<u8>>,
    /// PPS NAL units, each without framing; at most 255 of at most 65 535 bytes.
    pub pps: Vec<Vec<u8>>,
    /// High-profile extension; written whenever `Some`. Created by
    /// [`AvcDecoderConfigurationRecord::from_parameter_sets`] for High-family profiles
    /// (`profile_idc` 100, 110, 122, 144, 244, 44 and the SVC/MVC/3D profiles), and read by
    /// [`AvcDecoderConfigurationRecord::parse`] when present for those profiles (`None` if the
    /// writer omitted it).
    pub high_profile_ext: Option<AvcCHighProfileExt>,
}

impl Default for AvcDecoderConfigurationRecord {
    /// An empty record with 4-byte NAL lengths (`length_size_minus_one` = 3), profile and
    /// level 0 and no parameter sets.
    fn default() -> Self {
        Self {
            profile_idc: 0,
            profile_compatibility: 0,
            level_idc: 0,
            length_size_minus_one: 3,
            sps: Vec::new(),
            pps: Vec::new(),
            high_profile_ext: None,
        }
    }
}

/// Maximum parameter-set counts and length representable in `avcC`.
const AVCC_MAX_SPS: usize = 31;
const AVCC_MAX_PPS: usize = 255;
/// Longest parameter set an `avcC` can carry, in bytes: its length fields are 16 bits.
pub const AVCC_MAX_NAL_LEN: usize = 65_535;

/// Byte cursor used to parse `avcC`.
struct ByteCursor<'a> {
    data: &'a [u8],
}

impl<'a> ByteCursor<'a> {
    fn u8(&mut self, what: &'static str) -> Result<u8, BitstreamError> {
        let (&b, rest) = self.data.split_first().ok_or(BitstreamError::Truncated { what })?;
        self.data = rest;
        Ok(b)
    }

    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], BitstreamError> {
        if n > self.data.len() {
            return Err(BitstreamError::Truncated { what });
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, BitstreamError> {
        let hi = self.u8(what)?;
        let lo = self.u8(what)?;
        Ok(u16::from_be_bytes([hi, lo]))
    }

    /// Reads `count` entries of `u16 length` + bytes, checking each NAL unit's type.
    fn nal_list(
        &mut self,
        count: usize,
        expected: NalUnitType,
        what: &'static str,
    ) -> Result<Vec<Vec<u8>>, BitstreamError> {
        let mut list = Vec::with_capacity(count.min(self.data.len() / 2));
        for _ in 0..count {
            let len = usize::from(self.u16(what)?);
            let nal = self.bytes(len, what)?;
            check_parameter_set(nal, expected)?;
            list.push(nal.to_vec());
        }
        Ok(list)
    }
}

/// Checks that `nal` is a non-empty NAL unit of type `expected` and fits in `avcC`.
fn check_parameter_set(nal: &[u8], expected: NalUnitType) -> Result<(), BitstreamError> {
    if nal.len() > AVCC_MAX_NAL_LEN {
        return Err(BitstreamError::NalUnitTooLarge { len: nal.len(), length_size: 2 });
    }
    let found = NalRef::parse(nal)?.nal_type;
    if found != expected {
        return Err(BitstreamError::UnexpectedNalType { expected, found });
    }
    Ok(())
}

impl AvcDecoderConfigurationRecord {
    /// Builds a record from SPS and PPS NAL units (each without start code or length prefix).
    ///
    /// Profile, compatibility and level are taken from the first SPS (which must parse, see
    /// [`Sps::parse`]); `length_size_minus_one` is 3; the High-profile extension is filled in
    /// from the first SPS for High-family profiles (see
    /// [`AvcDecoderConfigurationRecord::high_profile_ext`]). Fails with
    /// [`BitstreamError::InvalidAvcC`] without an SPS or with more than 31 SPS / 255 PPS,
    /// [`BitstreamError::NalUnitTooLarge`] for a parameter set over 65 535 bytes, and
    /// [`BitstreamError::UnexpectedNalType`] if an entry is not an SPS/PPS. An empty PPS list
    /// is allowed (parameter sets may be carried in-band).
    pub fn from_parameter_sets(sps: &[&[u8]], pps: &[&[u8]]) -> Result<Self, BitstreamError> {
        let first = sps.first().ok_or(BitstreamError::InvalidAvcC { reason: "at least one SPS is required" })?;
        if sps.len() > AVCC_MAX_SPS {
            return Err(BitstreamError::InvalidAvcC { reason: "more than 31 SPS" });
        }
        if pps.len() > AVCC_MAX_PPS {
            return Err(BitstreamError::InvalidAvcC { reason: "more than 255 PPS" });
        }
        for nal in sps {
            check_parameter_set(nal, NalUnitType::SPS)?;
        }
        for nal in pps {
            check_parameter_set(nal, NalUnitType::PPS)?;
        }
        let parsed = Sps::parse(first)?;
        let high_profile_ext = if avcc_has_high_profile_ext(parsed.profile_idc) {
            Some(AvcCHighProfileExt {
                chroma_format: parsed.chroma_format_idc,
                bit_depth_luma_minus8: parsed.bit_depth_luma_minus8,
                bit_depth_chroma_minus8: parsed.bit_depth_chroma_minus8,
                sps_ext: Vec::new(),
            })
        } else {
            None
        };
        Ok(Self {
            profile_idc: parsed.profile_idc,
            profile_compatibility: parsed.constraint_set_flags,
            level_idc: parsed.level_idc,
            length_size_minus_one: 3,
            sps: sps.iter().map(|s| s.to_vec()).collect(),
            pps: pps.iter().map(|p| p.to_vec()).collect(),
            high_profile_ext,
        })
    }

    /// Size in bytes of the NAL length prefixes (`length_size_minus_one + 1`: 1, 2 or 4).
    pub fn length_size(&self) -> u8 {
        (self.length_size_minus_one & 0x03).saturating_add(1)
    }

    /// RFC 6381 codec string `avc1.PPCCLL` built from the record's profile, compatibility and
    /// level bytes.
    pub fn codec_string(&self) -> String {
        avc1_codec_string(self.profile_idc, self.profile_compatibility, self.level_idc)
    }

    /// Serializes the record (ISO/IEC 14496-15 layout, reserved bits set to 1), e.g. as the
    /// payload of an `avcC` box.
    ///
    /// Never fails: values are masked to their field widths, and parameter sets beyond the
    /// limits (31 SPS, 255 PPS / SPS-ext, 65 535 bytes each) are left out. Records built by
    /// [`Self::from_parameter_sets`] or [`Self::parse`] never hit those limits; use
    /// [`Self::try_to_bytes`] to get an error instead.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.write(false).unwrap_or_default()
    }

    /// Like [`Self::to_bytes`], but fails with [`BitstreamError::InvalidAvcC`] or
    /// [`BitstreamError::NalUnitTooLarge`] instead of omitting parameter sets, and with
    /// [`BitstreamError::InvalidLengthSize`] if `length_size_minus_one` is not 0, 1 or 3.
    pub fn try_to_bytes(&self) -> Result<Vec<u8>, BitstreamError> {
        self.write(true)
    }

    fn write(&self, strict: bool) -> Result<Vec<u8>, BitstreamError> {
        fn write_list(
            out: &mut Vec<u8>,
            list: &[Vec<u8>],
            max_count: usize,
            count_mask: u8,
            strict: bool,
        ) -> Result<(), BitstreamError> {
            let fits = |n: &&Vec<u8>| n.len() <= AVCC_MAX_NAL_LEN;
            if strict {
                if list.len() > max_count {
                    return Err(BitstreamError::InvalidAvcC { reason: "too many parameter sets" });
                }
                if let Some(n) = list.iter().find(|n| !fits(n)) {
                    return Err(BitstreamError::NalUnitTooLarge { len: n.len(), length_size: 2 });
                }
            }
            let kept: Vec<&Vec<u8>> = list.iter().filter(fits).take(max_count).collect();
            let count = u8::try_from(kept.len()).unwrap_or(u8::MAX) & count_mask;
            out.push(!count_mask | count);
            for nal in kept {
                let len = u16::try_from(nal.len()).unwrap_or(u16::MAX);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(nal);
            }
            Ok(())
        }

        if strict && !matches!(self.length_size_minus_one, 0 | 1 | 3) {
            return Err(BitstreamError::InvalidLengthSize(self.length_size_minus_one.saturating_add(1)));
        }
        let mut out = vec![
            1, // configurationVersion
            self.profile_idc,
            self.profile_compatibility,
            self.level_idc,
            0xfc | (self.length_size_minus_one & 0x03),
        ];
        write_list(&mut out, &self.sps, AVCC_MAX_SPS, 0x1f, strict)?;
        write_list(&mut out, &self.pps, AVCC_MAX_PPS, 0xff, strict)?;
        if let Some(ext) = &self.high_profile_ext {
            out.push(0xfc | (ext.chroma_format & 0x03));
            out.push(0xf8 | (ext.bit_depth_luma_minus8 & 0x07));
            out.push(0xf8 | (ext.bit_depth_chroma_minus8 & 0x07));
            write_list(&mut out, &ext.sps_ext, AVCC_MAX_PPS, 0xff, strict)?;
        }
        Ok(out)
    }

    /// Parses a record (the payload of an `avcC` box).
    ///
    /// Reserved bits are not checked and bytes after the record are ignored. The High-profile
    /// extension is read for High-family profiles (`profile_idc` 100, 110, 122, 144, 244, ...)
    /// if any bytes follow the PPS list; if none follow it is treated as omitted (`None`). Fails with
    /// [`BitstreamError::Truncated`] if the data ends inside the record (including inside a
    /// started extension), [`BitstreamError::InvalidAvcC`] if `configurationVersion` is not 1
    /// or `lengthSizeMinusOne` is 2, and [`BitstreamError::UnexpectedNalType`] /
    /// [`BitstreamError::EmptyNalUnit`] / [`BitstreamError::ForbiddenZeroBit`] for bad
    /// parameter-set entries.
    pub fn parse(data: &[u8]) -> Result<Self, BitstreamError> {
        let mut c = ByteCursor { data };
        let version = c.u8("avcC header")?;
        if version != 1 {
            return Err(BitstreamError::InvalidAvcC { reason: "configurationVersion is not 1" });
        }
        let profile_idc = c.u8("avcC header")?;
        let profile_compatibility = c.u8("avcC header")?;
        let level_idc = c.u8("avcC header")?;
        let length_size_minus_one = c.u8("avcC header")? & 0x03;
        if length_size_minus_one == 2 {
            return Err(BitstreamError::InvalidAvcC {
                reason: "lengthSizeMinusOne is 2 (3-byte lengths are not allowed)",
            });
        }
        let num_sps = usize::from(c.u8("avcC header")? & 0x1f);
        let sps = c.nal_list(num_sps, NalUnitType::SPS, "avcC SPS entry")?;
        let num_pps = usize::from(c.u8("avcC PPS count")?);
        let pps = c.nal_list(num_pps, NalUnitType::PPS, "avcC PPS entry")?;
        let high_profile_ext = if avcc_has_high_profile_ext(profile_idc) && !c.data.is_empty() {
            let what = "avcC high-profile extension";
            let chroma_format = c.u8(what)? & 0x03;
            let bit_depth_luma_minus8 = c.u8(what)? & 0x07;
            let bit_depth_chroma_minus8 = c.u8(what)? & 0x07;
            let num_ext = usize::from(c.u8(what)?);
            let sps_ext = c.nal_list(num_ext, NalUnitType::SPS_EXTENSION, what)?;
            Some(AvcCHighProfileExt { chroma_format, bit_depth_luma_minus8, bit_depth_chroma_minus8, sps_ext })
        } else {
            None
        };
        Ok(Self { profile_idc, profile_compatibility, level_idc, length_size_minus_one, sps, pps, high_profile_ext })
    }
}

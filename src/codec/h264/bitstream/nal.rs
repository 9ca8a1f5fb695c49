//! NAL unit headers: [`NalUnitType`] (H.264 Table 7-1) and borrowed NAL units ([`NalRef`]).

use std::fmt;

use super::error::BitstreamError;

/// The 5-bit `nal_unit_type` of a NAL unit header (H.264 Table 7-1).
///
/// This is a newtype over the numeric value (always `0..=31`); well-known values are available
/// as associated constants and can be used in `match` patterns.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NalUnitType(u8);

impl NalUnitType {
    /// 0: unspecified.
    pub const UNSPECIFIED: Self = Self(0);
    /// 1: coded slice of a non-IDR picture.
    pub const NON_IDR_SLICE: Self = Self(1);
    /// 2: coded slice data partition A.
    pub const SLICE_DATA_A: Self = Self(2);
    /// 3: coded slice data partition B.
    pub const SLICE_DATA_B: Self = Self(3);
    /// 4: coded slice data partition C.
    pub const SLICE_DATA_C: Self = Self(4);
    /// 5: coded slice of an IDR picture.
    pub const IDR_SLICE: Self = Self(5);
    /// 6: supplemental enhancement information (SEI).
    pub const SEI: Self = Self(6);
    /// 7: sequence parameter set (SPS).
    pub const SPS: Self = Self(7);
    /// 8: picture parameter set (PPS).
    pub const PPS: Self = Self(8);
    /// 9: access unit delimiter (AUD).
    pub const AUD: Self = Self(9);
    /// 10: end of sequence.
    pub const END_OF_SEQUENCE: Self = Self(10);
    /// 11: end of stream.
    pub const END_OF_STREAM: Self = Self(11);
    /// 12: filler data.
    pub const FILLER_DATA: Self = Self(12);
    /// 13: sequence parameter set extension.
    pub const SPS_EXTENSION: Self = Self(13);
    /// 14: prefix NAL unit (SVC/MVC; has a 3-byte header extension).
    pub const PREFIX_NAL: Self = Self(14);
    /// 15: subset sequence parameter set (SVC/MVC).
    pub const SUBSET_SPS: Self = Self(15);
    /// 16: depth parameter set (3D-AVC).
    pub const DEPTH_PARAMETER_SET: Self = Self(16);
    /// 19: coded slice of an auxiliary coded picture without partitioning.
    pub const AUXILIARY_SLICE: Self = Self(19);
    /// 20: coded slice extension (SVC/MVC; has a 3-byte header extension).
    pub const SLICE_EXTENSION: Self = Self(20);
    /// 21: coded slice extension for a depth view component (3D-AVC; has a 3-byte header
    /// extension).
    pub const SLICE_EXTENSION_DEPTH: Self = Self(21);

    /// Creates a NAL unit type from its numeric value; only the low 5 bits are used.
    pub const fn new(value: u8) -> Self {
        Self(value & 0x1f)
    }

    /// Extracts the NAL unit type from the first byte of a NAL unit header.
    pub const fn from_header_byte(header: u8) -> Self {
        Self::new(header)
    }

    /// The numeric `nal_unit_type` (`0..=31`).
    pub const fn value(self) -> u8 {
        self.0
    }

    /// `true` for VCL NAL unit types (coded slices and slice data partitions, types 1–5).
    pub const fn is_vcl(self) -> bool {
        matches!(self.0, 1..=5)
    }

    /// `true` for NAL unit types whose header carries a 3-byte extension (types 14, 20 and 21),
    /// i.e. whose header is 4 bytes long instead of 1.
    pub const fn has_header_extension(self) -> bool {
        matches!(self.0, 14 | 20 | 21)
    }

    /// Short human-readable name of the type (e.g. `"IDR slice"`, `"reserved"`).
    pub const fn name(self) -> &'static str {
        match self.0 {
            0 => "unspecified",
            1 => "non-IDR slice",
            2 => "slice data partition A",
            3 => "slice data partition B",
            4 => "slice data partition C",
            5 => "IDR slice",
            6 => "SEI",
            7 => "SPS",
            8 => "PPS",
            9 => "access unit delimiter",
            10 => "end of sequence",
            11 => "end of stream",
            12 => "filler data",
            13 => "SPS extension",
            14 => "prefix NAL unit",
            15 => "subset SPS",
            16 => "depth parameter set",
            19 => "auxiliary slice",
            20 => "slice extension",
            21 => "depth slice extension",
            17 | 18 | 22 | 23 => "reserved",
            _ => "unspecified",
        }
    }
}

impl From<u8> for NalUnitType {
    /// Same as [`NalUnitType::new`]: only the low 5 bits are used.
    fn from(value: u8) -> Self {
        Self::new(value)
    }
}

impl From<NalUnitType> for u8 {
    fn from(t: NalUnitType) -> u8 {
        t.0
    }
}

impl fmt::Debug for NalUnitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NalUnitType({} = {})", self.0, self.name())
    }
}

impl fmt::Display for NalUnitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (type {})", self.name(), self.0)
    }
}

/// A borrowed NAL unit: its decoded header fields plus the raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NalRef<'a> {
    /// `nal_unit_type` from the header.
    pub nal_type: NalUnitType,
    /// `nal_ref_idc` from the header (`0..=3`; 0 means "not used for reference").
    pub nal_ref_idc: u8,
    /// The complete NAL unit including its header byte(s), without start code or length
    /// prefix, still containing emulation-prevention bytes.
    pub data: &'a [u8],
}

impl<'a> NalRef<'a> {
    /// Interprets `data` as one complete NAL unit (header byte first, no framing).
    ///
    /// Fails with [`BitstreamError::EmptyNalUnit`] for empty input and
    /// [`BitstreamError::ForbiddenZeroBit`] if the header's forbidden bit is set.
    pub fn parse(data: &'a [u8]) -> Result<Self, BitstreamError> {
        Self::parse_at(data, 0)
    }

    /// Like [`NalRef::parse`], reporting `offset` (position in a larger input) in errors.
    pub(super) fn parse_at(data: &'a [u8], offset: usize) -> Result<Self, BitstreamError> {
        let (&header, _) = data.split_first().ok_or(BitstreamError::EmptyNalUnit { offset })?;
        if header & 0x80 != 0 {
            return Err(BitstreamError::ForbiddenZeroBit { offset });
        }
        Ok(Self { nal_type: NalUnitType::from_header_byte(header), nal_ref_idc: (header >> 5) & 0x03, data })
    }

    /// Length of the NAL unit header in bytes: 4 for types with a header extension
    /// (14, 20, 21), otherwise 1.
    pub fn header_len(&self) -> usize {
        if self.nal_type.has_header_extension() {
            4
        } else {
            1
        }
    }

    /// The escaped payload after the NAL unit header (empty if the unit is shorter than its
    /// header).
    pub fn payload(&self) -> &'a [u8] {
        self.data.get(self.header_len()..).unwrap_or(&[])
    }
}

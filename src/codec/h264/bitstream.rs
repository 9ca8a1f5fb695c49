//! H.264/AVC bitstream helpers: NAL unit framing (Annex B and length-prefixed), RBSP bit reading, SPS parsing and `avcC` records.
//!
//! Everything in this module is plain `std` Rust without `unsafe`, and no function panics on
//! arbitrary input: malformed data is reported as a [`BitstreamError`]. Every allocation is
//! bounded by a small multiple of the input length.
//!
//! Terminology used throughout:
//!
//! * A *NAL unit* is the NAL header byte(s) followed by the escaped payload, without any framing.
//!   Borrowed NAL units are represented by [`NalRef`].
//! * *Annex B* framing (ITU-T H.264 Annex B) separates NAL units with `00 00 01` or
//!   `00 00 00 01` start codes.
//! * *Length-prefixed* framing ("AVCC", ISO/IEC 14496-15, used inside MP4/CMAF samples) precedes
//!   each NAL unit with its size as a big-endian integer of 1, 2 or 4 bytes.
//! * The *RBSP* is the NAL payload with emulation-prevention bytes (`00 00 03` → `00 00`) removed;
//!   it is read with the crate's bit reader, [`crate::codec::bits::BitReader`].

use std::fmt;
use std::iter::FusedIterator;

use crate::codec::bits::{BitReader, BitsError};

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Error returned by every fallible function in this module.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BitstreamError {
    /// The input ended before the named structure was complete.
    Truncated {
        /// Name of the structure that was being read, e.g. `"NAL unit length prefix"`.
        what: &'static str,
    },
    /// Annex B input contained something other than zero bytes before its first
    /// `00 00 01` start code.
    BadStartCode {
        /// Byte offset (from the start of the input) of the first unexpected byte.
        offset: usize,
    },
    /// A NAL unit header had its `forbidden_zero_bit` set.
    ForbiddenZeroBit {
        /// Byte offset (from the start of the input) of the offending NAL header byte.
        offset: usize,
    },
    /// A NAL unit had no bytes at all (e.g. a length prefix of zero).
    EmptyNalUnit {
        /// Byte offset (from the start of the input) where the empty NAL unit was found.
        offset: usize,
    },
    /// A NAL length-prefix size other than 1, 2 or 4 bytes was requested.
    InvalidLengthSize(u8),
    /// A NAL unit is too long to be described by a length prefix of the requested size.
    NalUnitTooLarge {
        /// Length of the NAL unit in bytes.
        len: usize,
        /// Size of the length prefix in bytes.
        length_size: u8,
    },
    /// A NAL unit contains a byte pattern that cannot be carried in Annex B framing
    /// (`00 00 00`, `00 00 01` or `00 00 02` inside it, or a final byte of `00`).
    StartCodeEmulation {
        /// Byte offset (from the start of the input) of the offending pattern.
        offset: usize,
    },
    /// An Exp-Golomb code (`ue(v)`/`se(v)`) whose value does not fit into 32 bits.
    ExpGolombOverflow,
    /// A NAL unit of a different type was expected.
    UnexpectedNalType {
        /// The NAL unit type that was required.
        expected: NalUnitType,
        /// The NAL unit type that was found.
        found: NalUnitType,
    },
    /// A syntax element is outside of the range allowed by the H.264 specification.
    InvalidValue {
        /// Specification name of the syntax element (or derived value).
        field: &'static str,
        /// The value that was read.
        value: u64,
    },
    /// The input uses a feature that is legal but not supported by this module.
    Unsupported {
        /// Description of the unsupported feature.
        what: &'static str,
    },
    /// An `AVCDecoderConfigurationRecord` (`avcC`) is malformed or cannot be built.
    InvalidAvcC {
        /// Description of the problem.
        reason: &'static str,
    },
}

impl fmt::Display for BitstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { what } => write!(f, "truncated H.264 data: {what} is incomplete"),
            Self::BadStartCode { offset } => {
                write!(f, "Annex B data does not begin with a start code (unexpected byte at offset {offset})")
            }
            Self::ForbiddenZeroBit { offset } => {
                write!(f, "NAL unit at offset {offset} has forbidden_zero_bit set")
            }
            Self::EmptyNalUnit { offset } => write!(f, "empty NAL unit at offset {offset}"),
            Self::InvalidLengthSize(n) => {
                write!(f, "invalid NAL length-prefix size {n} (must be 1, 2 or 4 bytes)")
            }
            Self::NalUnitTooLarge { len, length_size } => {
                write!(f, "NAL unit of {len} bytes does not fit a {length_size}-byte length prefix")
            }
            Self::StartCodeEmulation { offset } => {
                write!(f, "NAL unit contains a start-code-like pattern or trailing zero at offset {offset}")
            }
            Self::ExpGolombOverflow => write!(f, "Exp-Golomb code exceeds 32 bits"),
            Self::UnexpectedNalType { expected, found } => {
                write!(f, "expected a {expected} NAL unit, found {found}")
            }
            Self::InvalidValue { field, value } => {
                write!(f, "H.264 syntax element {field} has invalid value {value}")
            }
            Self::Unsupported { what } => write!(f, "unsupported H.264 feature: {what}"),
            Self::InvalidAvcC { reason } => write!(f, "invalid avcC record: {reason}"),
        }
    }
}

impl std::error::Error for BitstreamError {}

impl From<BitsError> for BitstreamError {
    fn from(e: BitsError) -> Self {
        match e {
            BitsError::Truncated => BitstreamError::Truncated { what: "RBSP bits" },
            BitsError::TooWide { .. } => BitstreamError::Unsupported { what: "reading more than 32 bits at once" },
            BitsError::ExpGolombOverflow => BitstreamError::ExpGolombOverflow,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// NAL unit types and references
// ---------------------------------------------------------------------------------------------

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
    fn parse_at(data: &'a [u8], offset: usize) -> Result<Self, BitstreamError> {
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

// ---------------------------------------------------------------------------------------------
// Annex B framing
// ---------------------------------------------------------------------------------------------

/// Finds the first `00 00 01` in `hay`, returning the index of its first zero byte.
fn find_start_code(hay: &[u8]) -> Option<usize> {
    let mut from = 2usize;
    loop {
        let tail = hay.get(from..)?;
        let rel = tail.iter().position(|&b| b == 1)?;
        let one = from.checked_add(rel)?;
        let start = one.checked_sub(2)?;
        if hay.get(start..one) == Some(&[0u8, 0u8][..]) {
            return Some(start);
        }
        from = one.checked_add(1)?;
    }
}

/// Returns `bytes` without its trailing zero bytes.
fn trim_trailing_zeros(bytes: &[u8]) -> &[u8] {
    let keep = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i.saturating_add(1));
    bytes.get(..keep).unwrap_or(&[])
}

/// Iterator over the NAL units of an Annex B byte stream; created by [`annex_b_nal_units`].
///
/// Yields `Ok(NalRef)` for each NAL unit. After the first `Err` the iterator is exhausted.
#[derive(Debug, Clone)]
pub struct AnnexBNalUnits<'a> {
    data: &'a [u8],
    /// Byte offset of the start of the next NAL unit (valid once `started`).
    pos: usize,
    started: bool,
    done: bool,
}

/// Iterates over the NAL units of an Annex B byte stream.
///
/// Rules (see [`split_annex_b`] for the collecting variant):
/// * zero bytes before the first start code (`leading_zero_8bits`) are skipped; any other
///   byte there yields [`BitstreamError::BadStartCode`];
/// * both 3-byte (`00 00 01`) and 4-byte (`00 00 00 01`) start codes are accepted;
/// * zero bytes after a NAL unit (`trailing_zero_8bits`, including the leading zero of a
///   following 4-byte start code) are not part of the NAL unit;
/// * empty NAL units (e.g. two start codes in a row) are skipped;
/// * empty input or input made only of zero bytes yields no NAL units;
/// * a NAL unit whose forbidden bit is set yields [`BitstreamError::ForbiddenZeroBit`].
pub fn annex_b_nal_units(data: &[u8]) -> AnnexBNalUnits<'_> {
    AnnexBNalUnits { data, pos: 0, started: false, done: false }
}

impl<'a> Iterator for AnnexBNalUnits<'a> {
    type Item = Result<NalRef<'a>, BitstreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if !self.started {
            self.started = true;
            let zeros = self.data.iter().take_while(|&&b| b == 0).count();
            match self.data.get(zeros) {
                None => {
                    self.done = true;
                    return None;
                }
                Some(1) if zeros >= 2 => self.pos = zeros.saturating_add(1),
                Some(_) => {
                    self.done = true;
                    return Some(Err(BitstreamError::BadStartCode { offset: zeros }));
                }
            }
        }
        loop {
            let rest = match self.data.get(self.pos..) {
                Some(rest) if !rest.is_empty() => rest,
                _ => {
                    self.done = true;
                    return None;
                }
            };
            let start = self.pos;
            let raw = match find_start_code(rest) {
                Some(i) => {
                    self.pos = start.saturating_add(i).saturating_add(3);
                    rest.get(..i).unwrap_or(&[])
                }
                None => {
                    self.pos = self.data.len();
                    self.done = true;
                    rest
                }
            };
            let nal = trim_trailing_zeros(raw);
            if nal.is_empty() {
                if self.done {
                    return None;
                }
                continue;
            }
            let result = NalRef::parse_at(nal, start);
            if result.is_err() {
                self.done = true;
            }
            return Some(result);
        }
    }
}

impl FusedIterator for AnnexBNalUnits<'_> {}

/// Splits an Annex B byte stream into NAL units (borrowing from `data`).
///
/// Empty input gives `Ok(vec![])`. See [`annex_b_nal_units`] for the exact framing rules.
pub fn split_annex_b(data: &[u8]) -> Result<Vec<NalRef<'_>>, BitstreamError> {
    annex_b_nal_units(data).collect()
}

/// Checks that `nal` can be carried in Annex B framing unchanged; `offset` is added to the
/// reported error position.
fn check_annex_b_safe(nal: &[u8], offset: usize) -> Result<(), BitstreamError> {
    if nal.is_empty() {
        return Err(BitstreamError::EmptyNalUnit { offset });
    }
    if let Some(i) = nal.windows(3).position(|w| matches!(w, [0, 0, 0..=2])) {
        return Err(BitstreamError::StartCodeEmulation { offset: offset.saturating_add(i) });
    }
    if nal.last() == Some(&0) {
        return Err(BitstreamError::StartCodeEmulation { offset: offset.saturating_add(nal.len().saturating_sub(1)) });
    }
    Ok(())
}

/// Appends one NAL unit to `out` with a 4-byte start code (`00 00 00 01`).
///
/// Fails (leaving `out` unchanged) if the NAL unit is empty or contains a pattern that would
/// corrupt Annex B framing ([`BitstreamError::StartCodeEmulation`]).
pub fn append_annex_b_nal(out: &mut Vec<u8>, nal: &[u8]) -> Result<(), BitstreamError> {
    check_annex_b_safe(nal, 0)?;
    out.extend_from_slice(&[0, 0, 0, 1]);
    out.extend_from_slice(nal);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Length-prefixed (AVCC) framing
// ---------------------------------------------------------------------------------------------

/// Validates a length-prefix size in bytes (1, 2 or 4) and returns it as `usize`.
fn check_length_size(length_size: u8) -> Result<usize, BitstreamError> {
    match length_size {
        1 | 2 | 4 => Ok(usize::from(length_size)),
        other => Err(BitstreamError::InvalidLengthSize(other)),
    }
}

/// Appends `nal` to `out` preceded by its big-endian length in `length_size` bytes
/// (1, 2 or 4).
///
/// Fails (leaving `out` unchanged) for an invalid `length_size`, an empty NAL unit, or a NAL
/// unit longer than the prefix can express (255, 65 535 or 4 294 967 295 bytes).
pub fn append_length_prefixed_nal(out: &mut Vec<u8>, nal: &[u8], length_size: u8) -> Result<(), BitstreamError> {
    check_length_size(length_size)?;
    if nal.is_empty() {
        return Err(BitstreamError::EmptyNalUnit { offset: 0 });
    }
    let too_large = BitstreamError::NalUnitTooLarge { len: nal.len(), length_size };
    match length_size {
        1 => out.push(u8::try_from(nal.len()).map_err(|_| too_large)?),
        2 => out.extend_from_slice(&u16::try_from(nal.len()).map_err(|_| too_large)?.to_be_bytes()),
        _ => out.extend_from_slice(&u32::try_from(nal.len()).map_err(|_| too_large)?.to_be_bytes()),
    }
    out.extend_from_slice(nal);
    Ok(())
}

/// Iterator over the NAL units of length-prefixed data; created by
/// [`length_prefixed_nal_units`].
///
/// After the first `Err` the iterator is exhausted.
#[derive(Debug, Clone)]
pub struct LengthPrefixedNalUnits<'a> {
    data: &'a [u8],
    pos: usize,
    length_size: u8,
    done: bool,
}

/// Iterates over NAL units that are each preceded by a big-endian length of `length_size`
/// bytes (1, 2 or 4; MP4 files usually use 4).
///
/// Errors: [`BitstreamError::InvalidLengthSize`] (first item) for other sizes,
/// [`BitstreamError::Truncated`] if a length prefix or NAL unit runs past the end of `data`,
/// [`BitstreamError::EmptyNalUnit`] for a zero length, and
/// [`BitstreamError::ForbiddenZeroBit`]. Empty input yields no NAL units.
pub fn length_prefixed_nal_units(data: &[u8], length_size: u8) -> LengthPrefixedNalUnits<'_> {
    LengthPrefixedNalUnits { data, pos: 0, length_size, done: false }
}

impl<'a> LengthPrefixedNalUnits<'a> {
    fn next_inner(&mut self) -> Option<Result<NalRef<'a>, BitstreamError>> {
        let ls = match check_length_size(self.length_size) {
            Ok(ls) => ls,
            Err(e) => return Some(Err(e)),
        };
        let rest = self.data.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let prefix = match rest.get(..ls) {
            Some(p) => p,
            None => return Some(Err(BitstreamError::Truncated { what: "NAL unit length prefix" })),
        };
        let len = prefix.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let offset = self.pos;
        if len == 0 {
            return Some(Err(BitstreamError::EmptyNalUnit { offset }));
        }
        let truncated = BitstreamError::Truncated { what: "NAL unit" };
        let len = match usize::try_from(len) {
            Ok(len) => len,
            Err(_) => return Some(Err(truncated)),
        };
        let body_start = ls;
        let body_end = match body_start.checked_add(len) {
            Some(end) => end,
            None => return Some(Err(truncated)),
        };
        let body = match rest.get(body_start..body_end) {
            Some(body) => body,
            None => return Some(Err(truncated)),
        };
        self.pos = offset.saturating_add(body_end);
        Some(NalRef::parse_at(body, offset.saturating_add(ls)))
    }
}

impl<'a> Iterator for LengthPrefixedNalUnits<'a> {
    type Item = Result<NalRef<'a>, BitstreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_inner();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl FusedIterator for LengthPrefixedNalUnits<'_> {}

/// Splits length-prefixed data (`length_size` = 1, 2 or 4 bytes per big-endian prefix) into
/// NAL units borrowing from `data`. Empty input gives `Ok(vec![])`.
///
/// See [`length_prefixed_nal_units`] for the errors.
pub fn split_length_prefixed(data: &[u8], length_size: u8) -> Result<Vec<NalRef<'_>>, BitstreamError> {
    check_length_size(length_size)?;
    length_prefixed_nal_units(data, length_size).collect()
}

/// Converts an Annex B byte stream into length-prefixed NAL units (`length_size` = 1, 2 or 4
/// bytes per big-endian prefix; MP4/CMAF samples normally use 4).
///
/// Start codes and trailing zero bytes are dropped; NAL unit bytes are copied unchanged.
/// Fails with the errors of [`split_annex_b`], [`BitstreamError::InvalidLengthSize`], or
/// [`BitstreamError::NalUnitTooLarge`] if a NAL unit does not fit the prefix.
pub fn annex_b_to_length_prefixed(data: &[u8], length_size: u8) -> Result<Vec<u8>, BitstreamError> {
    check_length_size(length_size)?;
    let mut out = Vec::with_capacity(data.len());
    for nal in annex_b_nal_units(data) {
        append_length_prefixed_nal(&mut out, nal?.data, length_size)?;
    }
    Ok(out)
}

/// Converts length-prefixed NAL units (`length_size` = 1, 2 or 4 bytes) into an Annex B byte
/// stream, writing a 4-byte start code (`00 00 00 01`) before every NAL unit.
///
/// Fails with the errors of [`split_length_prefixed`], or
/// [`BitstreamError::StartCodeEmulation`] if a NAL unit contains `00 00 00`, `00 00 01` or
/// `00 00 02`, or ends with a zero byte (such data would not survive Annex B framing).
pub fn length_prefixed_to_annex_b(data: &[u8], length_size: u8) -> Result<Vec<u8>, BitstreamError> {
    let ls = check_length_size(length_size)?;
    let mut out = Vec::with_capacity(data.len().saturating_add(data.len() / 2));
    // Byte offset of the current NAL unit within `data`, for error reporting.
    let mut offset = 0usize;
    for nal in length_prefixed_nal_units(data, length_size) {
        let nal = nal?;
        offset = offset.saturating_add(ls);
        check_annex_b_safe(nal.data, offset)?;
        offset = offset.saturating_add(nal.data.len());
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal.data);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// RBSP / emulation prevention
// ---------------------------------------------------------------------------------------------

/// Removes emulation-prevention bytes: every `03` that follows two zero bytes
/// (`00 00 03` → `00 00`). Never fails; the result is at most as long as the input.
pub fn remove_emulation_prevention(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut zeros = 0u8;
    for &b in data {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        out.push(b);
        zeros = if b == 0 { zeros.saturating_add(1) } else { 0 };
    }
    out
}

/// Inserts emulation-prevention bytes so that `rbsp` can be stored in a NAL unit: a `03` is
/// inserted after every two zero bytes that are followed by a byte `<= 03`, and appended if
/// the data ends with two zero bytes.
///
/// This is the exact inverse of [`remove_emulation_prevention`]. The result is at most
/// `len * 3 / 2 + 1` bytes long.
pub fn add_emulation_prevention(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len().saturating_add(rbsp.len() / 64).saturating_add(4));
    let mut zeros = 0u8;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros.saturating_add(1) } else { 0 };
    }
    if zeros >= 2 {
        out.push(3);
    }
    out
}

/// Returns the RBSP of a NAL unit: its header (1 byte, or 4 bytes for types 14, 20 and 21) is
/// stripped and emulation-prevention bytes are removed.
///
/// Fails for an empty NAL unit, a set forbidden bit, or a header extension that is cut short.
pub fn nal_to_rbsp(nal: &[u8]) -> Result<Vec<u8>, BitstreamError> {
    let nal = NalRef::parse(nal)?;
    if nal.data.len() < nal.header_len() {
        return Err(BitstreamError::Truncated { what: "NAL unit header extension" });
    }
    Ok(remove_emulation_prevention(nal.payload()))
}

/// Reads `ue(v)` and checks it is `<= max`, reporting `field` otherwise.
fn read_ue_max(r: &mut BitReader<'_>, field: &'static str, max: u32) -> Result<u32, BitstreamError> {
    let v = r.read_ue()?;
    if v > max {
        return Err(BitstreamError::InvalidValue { field, value: u64::from(v) });
    }
    Ok(v)
}

/// Like [`read_ue_max`] for small ranges (`max <= 255`), returning `u8`.
fn read_ue_u8(r: &mut BitReader<'_>, field: &'static str, max: u8) -> Result<u8, BitstreamError> {
    let v = read_ue_max(r, field, u32::from(max))?;
    Ok(u8::try_from(v).unwrap_or(max))
}

// ---------------------------------------------------------------------------------------------
// SPS
// ---------------------------------------------------------------------------------------------

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

fn parse_vui(r: &mut BitReader<'_>) -> Result<Vui, BitstreamError> {
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
fn profile_has_chroma_info(profile_idc: u8) -> bool {
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
    /// prevention already removed (see [`nal_to_rbsp`]).
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
    /// info (see [`TimingInfo::frame_rate`]), or `None` if absent.
    pub fn frame_rate(&self) -> Option<(u64, u64)> {
        self.vui.as_ref().and_then(|v| v.timing_info).and_then(|t| t.frame_rate())
    }

    /// RFC 6381 codec string `avc1.PPCCLL`: lowercase hex of `profile_idc`,
    /// `constraint_set_flags` and `level_idc` (e.g. `"avc1.64001f"`).
    pub fn codec_string(&self) -> String {
        avc1_codec_string(self.profile_idc, self.constraint_set_flags, self.level_idc)
    }
}

fn avc1_codec_string(profile: u8, constraints: u8, level: u8) -> String {
    format!("avc1.{profile:02x}{constraints:02x}{level:02x}")
}

/// Parses an SPS NAL unit (see [`Sps::parse`]) and returns its RFC 6381 codec string
/// (`avc1.PPCCLL`, see [`Sps::codec_string`]).
pub fn codec_string_from_sps(nal: &[u8]) -> Result<String, BitstreamError> {
    Ok(Sps::parse(nal)?.codec_string())
}

// ---------------------------------------------------------------------------------------------
// avcC
// ---------------------------------------------------------------------------------------------

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
const AVCC_MAX_NAL_LEN: usize = 65_535;

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

// ---------------------------------------------------------------------------------------------
// Fuzzing entry point
// ---------------------------------------------------------------------------------------------

/// Runs every parser of this module on arbitrary `data` and checks round-trip invariants;
/// meant for `cargo fuzz` targets and property tests.
///
/// Exercises: Annex B splitting (iterator and `Vec` forms), length-prefixed splitting with
/// each length size, conversions in both directions, emulation-prevention removal/insertion,
/// the bit reader, [`Sps::parse`] on the whole input and on every NAL unit found, and `avcC`
/// parsing and serialization. Never panics on any input unless one of the round-trip
/// invariants is broken, which indicates a bug in this module.
pub fn fuzz_entry(data: &[u8]) {
    // Emulation prevention round trip.
    let escaped = add_emulation_prevention(data);
    assert_eq!(remove_emulation_prevention(&escaped), data);
    assert!(escaped.len() <= data.len().saturating_add(data.len() / 2).saturating_add(1));
    if let Ok(rbsp) = nal_to_rbsp(data) {
        assert!(rbsp.len() <= data.len());
    }

    // Bit reader: consume everything as ue/se/u(n) until it fails.
    let mut r = BitReader::new(data);
    let mut step = 0u32;
    loop {
        let before = r.position();
        let ok = match step % 4 {
            0 => r.read_ue().is_ok(),
            1 => r.read_se().is_ok(),
            2 => r.read_bits(step % 33).is_ok(),
            _ => r.skip_bits(u64::from(step % 7)).is_ok(),
        };
        let _ = r.more_rbsp_data();
        if !ok {
            break;
        }
        assert!(r.position() >= before);
        step = step.wrapping_add(1);
        if step > 100_000 {
            break;
        }
    }

    fuzz_parameter_set(data);
    if let Some((_, rest)) = data.split_first() {
        let _ = Sps::parse_rbsp(rest);
    }

    // Annex B.
    let annex_b = split_annex_b(data);
    let iterated: Vec<_> = annex_b_nal_units(data).collect();
    match &annex_b {
        Ok(nals) => {
            assert_eq!(iterated.len(), nals.len());
            for nal in nals {
                assert!(!nal.data.is_empty());
                fuzz_parameter_set(nal.data);
                let _ = nal_to_rbsp(nal.data);
            }
            for length_size in [1u8, 2, 4] {
                match annex_b_to_length_prefixed(data, length_size) {
                    Ok(lp) => {
                        let back =
                            split_length_prefixed(&lp, length_size).unwrap_or_else(|e| panic!("re-split failed: {e}"));
                        let a: Vec<&[u8]> = nals.iter().map(|n| n.data).collect();
                        let b: Vec<&[u8]> = back.iter().map(|n| n.data).collect();
                        assert_eq!(a, b);
                    }
                    Err(BitstreamError::NalUnitTooLarge { .. }) => {}
                    Err(e) => panic!("unexpected conversion error {e}"),
                }
            }
        }
        Err(_) => assert!(matches!(iterated.last(), Some(Err(_)))),
    }

    // Length-prefixed.
    for length_size in [1u8, 2, 4] {
        let split = split_length_prefixed(data, length_size);
        if let Ok(nals) = &split {
            for nal in nals {
                fuzz_parameter_set(nal.data);
            }
            if let Ok(annex_b) = length_prefixed_to_annex_b(data, length_size) {
                let back =
                    split_annex_b(&annex_b).unwrap_or_else(|e| panic!("re-split of converted Annex B failed: {e}"));
                let a: Vec<&[u8]> = nals.iter().map(|n| n.data).collect();
                let b: Vec<&[u8]> = back.iter().map(|n| n.data).collect();
                assert_eq!(a, b);
            }
        } else {
            assert!(length_prefixed_to_annex_b(data, length_size).is_err());
        }
    }
    for bad_size in [0u8, 3, 8] {
        assert!(split_length_prefixed(data, bad_size).is_err());
    }

    // avcC.
    if let Ok(record) = AvcDecoderConfigurationRecord::parse(data) {
        let bytes = record.try_to_bytes().unwrap_or_else(|e| panic!("parsed avcC does not serialize: {e}"));
        assert_eq!(bytes, record.to_bytes());
        let again = AvcDecoderConfigurationRecord::parse(&bytes)
            .unwrap_or_else(|e| panic!("serialized avcC does not parse: {e}"));
        assert_eq!(again, record);
        for sps in &record.sps {
            fuzz_parameter_set(sps);
        }
        let _ = record.codec_string();
    }
}

/// Parses `nal` as an SPS and, if that works, checks the derived values and the `avcC`
/// round trip built from it.
fn fuzz_parameter_set(nal: &[u8]) {
    let Ok(sps) = Sps::parse(nal) else {
        return;
    };
    assert!(sps.width() >= 1 && sps.width() <= sps.coded_width());
    assert!(sps.height() >= 1 && sps.height() <= sps.coded_height());
    let codec = sps.codec_string();
    assert_eq!(codec.len(), 11);
    assert_eq!(codec_string_from_sps(nal).ok().as_deref(), Some(codec.as_str()));
    let _ = (sps.frame_rate(), sps.sample_aspect_ratio(), sps.max_frame_num());
    if nal.len() <= AVCC_MAX_NAL_LEN {
        let record = AvcDecoderConfigurationRecord::from_parameter_sets(&[nal], &[])
            .unwrap_or_else(|e| panic!("avcC from a valid SPS failed: {e}"));
        let parsed = AvcDecoderConfigurationRecord::parse(&record.to_bytes())
            .unwrap_or_else(|e| panic!("avcC round trip failed: {e}"));
        assert_eq!(parsed, record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::bits::BitWriter;
    use crate::xorshift::XorShift;

    // Parameter sets produced by FFmpeg 5.1 / libx264 from `testsrc2` (see each comment for the
    // command); width/height/profile/level were cross-checked with `ffprobe -show_streams`.

    /// `-s 1280x720 -profile:v baseline -level 3.1` → Constrained Baseline, level 31, 1280x720.
    const BASELINE_720P_SPS: &str = "6742c01fd9005005bb0110000003001000000303c0f1832480";
    const BASELINE_720P_PPS: &str = "68cb83cb20";
    /// `avcC` written by FFmpeg's MP4 muxer for the stream above.
    const BASELINE_720P_AVCC: &str =
        "0142c01fffe100196742c01fd9005005bb0110000003001000000303c0f183248001000568cb83cb20";
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
            assert_eq!(
                split.iter().map(|n| n.data).collect::<Vec<_>>(),
                nals.iter().map(|n| n.data).collect::<Vec<_>>()
            );
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
        assert_eq!(
            split_length_prefixed(&[0, 0, 0], 4),
            Err(BitstreamError::Truncated { what: "NAL unit length prefix" })
        );
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
        assert_eq!(
            annex_b_to_length_prefixed(&big, 1),
            Err(BitstreamError::NalUnitTooLarge { len: 256, length_size: 1 })
        );
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
}

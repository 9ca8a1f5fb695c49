//! [`BitstreamError`], the error of every fallible function of the bitstream helpers.

use std::fmt;

use super::nal::NalUnitType;
use crate::codec::bits::BitsError;

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

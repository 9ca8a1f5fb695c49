//! Errors of the H.264 stage.

use std::fmt;

use super::bitstream::BitstreamError;
use crate::error::{Coded, ErrorCode};
use crate::frame::FrameError;

/// What went wrong in the H.264 encoder or decoder.
///
/// `InvalidConfig` and `Frame` are caller errors and leave the codec usable.
/// `Decode` leaves the decoder usable: the next keyframe resynchronises it.
/// `Encoder` and `Decoder` report a failure inside OpenH264; the instance
/// should be dropped.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum H264Error {
    /// A configuration field is out of range. The message names the field,
    /// the allowed values and the value given.
    InvalidConfig {
        /// The [`EncoderConfig`](super::EncoderConfig) field (camelCase),
        /// e.g. `frameRate` or `level`.
        field: &'static str,
        /// What is allowed, e.g. `a number from 1 to 240`.
        expected: String,
        /// The value given, as text.
        got: String,
    },
    /// The input frame is malformed or does not match the configured size.
    Frame(FrameError),
    /// The frame size differs from the encoder's configured size.
    FrameSizeMismatch {
        /// The configured (width, height), in pixels.
        expected: (u32, u32),
        /// The frame's (width, height), in pixels.
        got: (u32, u32),
    },
    /// OpenH264 could not be created or refused an operation.
    Encoder {
        /// The OpenH264 call that failed, e.g. `InitializeExt`.
        op: &'static str,
        /// OpenH264's return code (`CM_RETURN`; 0 is success).
        code: i32,
    },
    /// OpenH264's decoder could not be created or initialised.
    Decoder {
        /// The OpenH264 call that failed, e.g. `Initialize`.
        op: &'static str,
        /// OpenH264's return code (`CM_RETURN`; 0 is success).
        code: i64,
    },
    /// The bitstream could not be decoded. `state` is OpenH264's
    /// `DECODING_STATE` bit set (see `codec_app_def.h`).
    Decode {
        /// OpenH264's `DECODING_STATE` bits.
        state: u32,
        /// The first of the bad bits in `state` (`dsNoParamSets`,
        /// `dsRefLost`, ...), in words.
        reason: &'static str,
    },
    /// The encoded bitstream is malformed (NAL framing, SPS, avcC).
    Bitstream(BitstreamError),
}

impl fmt::Display for H264Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            H264Error::InvalidConfig { field, expected, got } => write!(f, "{field} must be {expected}, got {got}"),
            H264Error::Frame(e) => write!(f, "bad frame: {e}"),
            H264Error::FrameSizeMismatch { expected, got } => write!(
                f,
                "frame is {}x{} but the encoder was configured for {}x{}",
                got.0, got.1, expected.0, expected.1
            ),
            H264Error::Encoder { op, code } => write!(f, "OpenH264 encoder {op} failed with code {code}"),
            H264Error::Decoder { op, code } => write!(f, "OpenH264 decoder {op} failed with code {code}"),
            H264Error::Decode { state, reason } => write!(f, "cannot decode access unit: {reason} (state 0x{state:x})"),
            H264Error::Bitstream(e) => write!(f, "bad H.264 bitstream: {e}"),
        }
    }
}

impl std::error::Error for H264Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            H264Error::Frame(e) => Some(e),
            H264Error::Bitstream(e) => Some(e),
            _ => None,
        }
    }
}

impl From<FrameError> for H264Error {
    fn from(e: FrameError) -> Self {
        H264Error::Frame(e)
    }
}

impl From<BitstreamError> for H264Error {
    fn from(e: BitstreamError) -> Self {
        H264Error::Bitstream(e)
    }
}

impl Coded for H264Error {
    fn code(&self) -> ErrorCode {
        match self {
            H264Error::InvalidConfig { .. } => ErrorCode::InvalidConfig,
            H264Error::Frame(_) | H264Error::FrameSizeMismatch { .. } => ErrorCode::InvalidFrame,
            H264Error::Encoder { .. } => ErrorCode::EncodeError,
            H264Error::Decoder { .. } | H264Error::Decode { .. } | H264Error::Bitstream(_) => ErrorCode::DecodeError,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            H264Error::InvalidConfig { field, .. } => Some((*field).to_string()),
            _ => None,
        }
    }
}

//! H.264 (AVC) video: OpenH264 encoder and decoder with a safe API (cargo
//! feature `h264`), plus the bitstream helpers (NAL units, SPS, `avcC`,
//! RFC 6381 codec strings) and the encoder settings, which need no codec.
//!
//! ```no_run
//! use framecast::codec::h264::{EncoderConfig, H264Encoder};
//! use framecast::frame::I420Planes;
//! use framecast::time::Timestamp;
//!
//! let mut enc = H264Encoder::new(EncoderConfig::new(1280, 720))?;
//! let frame = vec![128u8; 1280 * 720 * 3 / 2];
//! let planes = I420Planes::packed(1280, 720, &frame)?;
//! if let Some(au) = enc.encode(&planes, Timestamp::from_millis(0))? {
//!     assert!(au.keyframe);
//!     println!("{} {} bytes", enc.codec_string().unwrap_or_default(), au.data.len());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bitstream;
mod config;
#[cfg(feature = "h264")]
mod decoder;
#[cfg(feature = "h264")]
mod encoder;
mod error;
#[cfg(feature = "h264")]
mod ffi;

pub use config::{EncoderConfig, Level, NalFormat, Profile, RateControl, Usage};
#[cfg(feature = "h264")]
pub use decoder::{DecodedFrame, H264Decoder};
#[cfg(feature = "h264")]
pub use encoder::{AccessUnit, DecoderConfig, FrameType, H264Encoder};
pub use error::H264Error;

/// Which OpenH264 build is linked: `asm`, `c`, `wasm` or `wasm-simd128`, the
/// C++ optimisation level and LTO, e.g. `"wasm-simd128 -O3"`.
#[cfg(feature = "h264")]
pub const OPENH264_BUILD: &str = env!("FRAMECAST_OPENH264_BUILD");

/// The upstream OpenH264 commit that the linked build was compiled from.
#[cfg(feature = "h264")]
pub const OPENH264_COMMIT: &str = env!("FRAMECAST_OPENH264_VERSION");

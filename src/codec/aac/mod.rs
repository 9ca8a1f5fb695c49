//! AAC: the AudioSpecificConfig and its sample-rate table ([`config`]),
//! ADTS framing ([`adts`]) and the FDK AAC encoder ([`encoder`], cargo
//! feature `aac`).

pub mod adts;
pub mod config;
#[cfg(feature = "aac")]
pub mod encoder;

pub use adts::{parse_adts, AdtsError, AdtsFormat};
pub use config::{AudioSpecificConfig, SAMPLE_RATES};
#[cfg(feature = "aac")]
pub use encoder::{
    AacEncodeError, AacEncoder, AacEncoderConfig, AacPacket, AacProfile, FdkError, ENCODER_SAMPLE_RATES, FDK_AAC_BUILD,
    FDK_AAC_SOURCE, FRAME_SIZE,
};

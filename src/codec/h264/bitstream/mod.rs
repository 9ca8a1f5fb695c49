//! H.264/AVC bitstream helpers, one file per concern: NAL unit headers (`nal`), Annex B and
//! length-prefixed framing (`annex_b`, `length_prefixed`), emulation prevention (`rbsp`),
//! SPS and VUI parsing (`sps`, `vui`), `avcC` records (`avcc`) and RFC 6381 codec
//! strings (`codec_string`). Every item is re-exported here, so paths stay
//! `bitstream::Sps`, `bitstream::split_annex_b`, ...
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

mod annex_b;
mod avcc;
mod codec_string;
mod error;
mod length_prefixed;
mod nal;
mod rbsp;
mod sps;
#[cfg(test)]
mod tests;
mod vui;

pub use annex_b::{annex_b_nal_units, append_annex_b_nal, split_annex_b, AnnexBNalUnits};
pub use avcc::{AvcCHighProfileExt, AvcDecoderConfigurationRecord, AVCC_MAX_NAL_LEN};
pub use codec_string::codec_string_from_sps;
pub use error::BitstreamError;
pub use length_prefixed::{
    annex_b_to_length_prefixed, append_length_prefixed_nal, length_prefixed_nal_units, length_prefixed_to_annex_b,
    split_length_prefixed, LengthPrefixedNalUnits,
};
pub use nal::{NalRef, NalUnitType};
pub use rbsp::{add_emulation_prevention, nal_to_rbsp, remove_emulation_prevention};
pub use sps::{FrameCropping, PicOrderCnt, Sps};
pub use vui::{BitstreamRestriction, TimingInfo, Vui};

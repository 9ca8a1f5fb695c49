//! [`H264Decoder`]: OpenH264's decoder behind a safe, typed API.

use openh264_sys2 as sys;

use super::bitstream::{self, AvcDecoderConfigurationRecord};
use super::ffi::{RawDecoder, RawPicture};
use super::H264Error;
use crate::frame::{I420Frame, I420Planes};
use crate::time::{Timescale, Timestamp};

/// A decoded picture and the timestamp of the access unit it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedFrame {
    /// The decoded picture.
    pub frame: I420Frame,
    /// The timestamp passed with the access unit, in the same timescale.
    pub timestamp: Timestamp,
}

/// The OpenH264 decoder: access units in, I420 frames out.
///
/// Input is checked for NAL framing before OpenH264 sees it. A stream that
/// OpenH264 cannot decode gives [`H264Error::Decode`]; the decoder stays
/// usable and resynchronises at the next IDR.
pub struct H264Decoder {
    raw: RawDecoder,
    timescale: Timescale,
    length_size: u8,
}

impl std::fmt::Debug for H264Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Decoder").field("timescale", &self.timescale).finish()
    }
}

/// OpenH264's decoder status: a C `long`, i64 on 64-bit hosts and i32 on wasm32.
// The conversion is the identity on 64-bit hosts only; on wasm32 it widens.
#[allow(clippy::useless_conversion)]
fn wide(code: std::os::raw::c_long) -> i64 {
    i64::from(code)
}

impl H264Decoder {
    /// A decoder for Annex-B input (or AVC input after [`Self::configure_avcc`]).
    pub fn new() -> Result<Self, H264Error> {
        let mut raw = RawDecoder::new().map_err(|code| H264Error::Decoder { op: "create", code: wide(code) })?;
        // SAFETY: SDecodingParam is plain C data; zero is valid.
        let mut p: sys::SDecodingParam = unsafe { std::mem::zeroed() };
        p.sVideoProperty.eVideoBsType = sys::VIDEO_BITSTREAM_AVC;
        p.eEcActiveIdc = sys::ERROR_CON_DISABLE;
        p.uiTargetDqLayer = u8::MAX;
        raw.initialize(&p).map_err(|code| H264Error::Decoder { op: "Initialize", code: wide(code) })?;
        let mut level: i32 = sys::WELS_LOG_QUIET;
        raw.set_option(sys::DECODER_OPTION_TRACE_LEVEL, &mut level);
        Ok(H264Decoder { raw, timescale: Timescale::MICROS, length_size: 4 })
    }

    /// Feeds the parameter sets of an `avcC` record and switches input to
    /// length-prefixed NAL units of the record's length size.
    pub fn configure_avcc(&mut self, avcc: &[u8]) -> Result<(), H264Error> {
        let record = AvcDecoderConfigurationRecord::parse(avcc)?;
        let mut annexb = Vec::new();
        for nal in record.sps.iter().chain(record.pps.iter()) {
            annexb.extend_from_slice(&[0, 0, 0, 1]);
            annexb.extend_from_slice(nal);
        }
        self.length_size = record.length_size_minus_one + 1;
        let (state, _) = self.raw.decode(&annexb, 0);
        check_state(state)
    }

    /// Decodes one Annex-B access unit. Returns the picture it completes, if
    /// any (a lone SPS/PPS completes none).
    pub fn decode(&mut self, data: &[u8], timestamp: Timestamp) -> Result<Option<DecodedFrame>, H264Error> {
        bitstream::split_annex_b(data)?;
        self.timescale = timestamp.timescale;
        let (state, pic) = self.raw.decode(data, timestamp.ticks as u64);
        let frame = pic.map(|p| to_frame(&p, self.timescale)).transpose()?;
        check_state(state)?;
        Ok(frame)
    }

    /// Decodes one length-prefixed (MP4/CMAF) sample, with the length size
    /// from the last [`Self::configure_avcc`] (default 4).
    pub fn decode_avc(&mut self, sample: &[u8], timestamp: Timestamp) -> Result<Option<DecodedFrame>, H264Error> {
        let annexb = bitstream::length_prefixed_to_annex_b(sample, self.length_size)?;
        self.decode(&annexb, timestamp)
    }

    /// Returns pictures still held for reordering at the end of a stream.
    pub fn flush(&mut self) -> Result<Vec<DecodedFrame>, H264Error> {
        let mut end: i32 = 1;
        self.raw.set_option(sys::DECODER_OPTION_END_OF_STREAM, &mut end);
        let mut out = Vec::new();
        // Bounded: OpenH264 holds at most 16 reference pictures.
        for _ in 0..32 {
            let (_, pic) = self.raw.flush_one();
            match pic {
                Some(p) => out.push(to_frame(&p, self.timescale)?),
                None => break,
            }
        }
        Ok(out)
    }
}

fn to_frame(p: &RawPicture<'_>, timescale: Timescale) -> Result<DecodedFrame, H264Error> {
    let planes = I420Planes {
        width: p.width,
        height: p.height,
        y: p.planes[0],
        u: p.planes[1],
        v: p.planes[2],
        y_stride: p.strides[0],
        uv_stride: p.strides[1],
    };
    Ok(DecodedFrame {
        frame: I420Frame::from_planes(&planes)?,
        timestamp: Timestamp::new(p.timestamp as i64, timescale),
    })
}

/// Maps OpenH264's `DECODING_STATE` bits to an error; "frame pending" and
/// "error concealed" are not errors.
fn check_state(state: u32) -> Result<(), H264Error> {
    let benign = sys::dsFramePending as u32 | sys::dsDataErrorConcealed as u32;
    let bad = state & !benign;
    if bad == 0 {
        return Ok(());
    }
    let reason = if bad & sys::dsNoParamSets as u32 != 0 {
        "no SPS/PPS seen before the slice"
    } else if bad & sys::dsRefLost as u32 != 0 {
        "reference picture lost; waiting for the next IDR"
    } else if bad & sys::dsBitstreamError as u32 != 0 {
        "corrupt bitstream"
    } else if bad & sys::dsOutOfMemory as u32 != 0 {
        "out of memory"
    } else if bad & sys::dsInvalidArgument as u32 != 0 {
        "invalid argument"
    } else {
        "decoder error"
    };
    Err(H264Error::Decode { state, reason })
}

//! JS classes `Encoder` and `Decoder` over the core H.264 codec.

use wasm_bindgen::prelude::*;

use super::error::{coded, error, FramecastError};
use super::from_js;
use crate::codec::h264::{AccessUnit, EncoderConfig, H264Decoder, H264Encoder, H264Error};
use crate::error::ErrorCode;
use crate::frame::I420Planes;
use crate::time::{Timescale, Timestamp};

fn h264_error(e: H264Error) -> JsValue {
    coded(&e)
}

fn micros(ts: f64) -> Result<Timestamp, JsValue> {
    if !ts.is_finite() || ts.abs() > 9.0e15 {
        let message = format!("must be a finite number of microseconds, got {ts}");
        return Err(FramecastError::at(ErrorCode::InvalidFrame, "timestamp", message).into());
    }
    Ok(Timestamp::from_micros(ts.round() as i64))
}

/// An H.264 encoder (OpenH264 compiled to wasm).
///
/// ```js
/// const enc = new Encoder({ width: 1280, height: 720, bitrate: 2_000_000 });
/// const chunk = enc.encode(i420Bytes, timestampMicros); // EncodedChunk | undefined
/// ```
#[wasm_bindgen]
pub struct Encoder {
    inner: H264Encoder,
    /// The last frame's timestamp, µs: the next must be later.
    last_us: Option<i64>,
}

#[wasm_bindgen]
impl Encoder {
    /// Creates an encoder from a config object (`width`, `height`, and the
    /// optional fields of `EncoderConfig`: `frameRate`, `bitrate`,
    /// `maxBitrate`, `rateControl`, `qp`, `keyframeInterval`, `profile`,
    /// `level`, `usage`, `format`). Throws an `invalid-config`
    /// `FramecastError` naming the `field` when a field is invalid.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "EncoderConfig")] config: JsValue) -> Result<Encoder, JsValue> {
        let config: EncoderConfig = from_js(config)?;
        Ok(Encoder { inner: H264Encoder::new(config).map_err(h264_error)?, last_us: None })
    }

    /// Encodes one tightly packed I420 frame (`width*height*3/2` bytes).
    /// `timestamp` is in microseconds and must increase from frame to
    /// frame. Returns `undefined` only when `frameSkip` is on and rate
    /// control dropped the frame. Throws `invalid-frame` (with `field`
    /// `data` or `timestamp`) for a wrong-size buffer or a timestamp that is
    /// not finite or not after the previous frame's; the encoder stays
    /// usable.
    pub fn encode(&mut self, data: &[u8], timestamp: f64) -> Result<Option<EncodedChunk>, JsValue> {
        let ts = micros(timestamp)?;
        if let Some(last) = self.last_us.filter(|&last| ts.ticks <= last) {
            let message = format!("must be after the previous frame's ({last} µs), got {}", ts.ticks);
            return Err(FramecastError::at(ErrorCode::InvalidFrame, "timestamp", message).into());
        }
        let c = self.inner.config();
        let planes = I420Planes::packed(c.width, c.height, data)
            .map_err(|e| FramecastError::coded(&H264Error::from(e)).field("data"))?;
        let au = self.inner.encode(&planes, ts).map_err(h264_error)?;
        self.last_us = Some(ts.ticks);
        Ok(au.map(EncodedChunk::from))
    }

    /// Makes the next frame an IDR keyframe.
    #[wasm_bindgen(js_name = forceKeyframe)]
    pub fn force_keyframe(&mut self) -> Result<(), JsValue> {
        self.inner.force_keyframe().map_err(h264_error)
    }

    /// Changes the target bitrate (bits per second) from the next frame on.
    #[wasm_bindgen(js_name = setBitrate)]
    pub fn set_bitrate(&mut self, bitrate: u32) -> Result<(), JsValue> {
        self.inner.set_bitrate(bitrate).map_err(h264_error)
    }

    /// Returns chunks still held by the encoder (always empty for OpenH264,
    /// which has no lookahead).
    pub fn flush(&mut self) -> Result<Vec<EncodedChunk>, JsValue> {
        Ok(self.inner.flush().map_err(h264_error)?.into_iter().map(EncodedChunk::from).collect())
    }

    /// RFC 6381 codec string (`avc1.PPCCLL`), known after the first frame.
    #[wasm_bindgen(getter)]
    pub fn codec(&self) -> Option<String> {
        self.inner.codec_string()
    }

    /// The validated configuration with defaults filled in.
    #[wasm_bindgen(getter, unchecked_return_type = "EncoderConfig")]
    pub fn config(&self) -> Result<JsValue, JsValue> {
        serde_wasm_bindgen::to_value(self.inner.config()).map_err(|e| error(ErrorCode::Internal, e))
    }
}

/// One encoded picture, like WebCodecs' `EncodedVideoChunk` plus the
/// parameter sets a muxer needs.
#[wasm_bindgen]
pub struct EncodedChunk {
    au: AccessUnit,
}

impl From<AccessUnit> for EncodedChunk {
    fn from(au: AccessUnit) -> Self {
        EncodedChunk { au }
    }
}

#[wasm_bindgen]
impl EncodedChunk {
    /// NAL units, Annex-B or length-prefixed as configured (`format`).
    #[wasm_bindgen(getter)]
    pub fn data(&self) -> Vec<u8> {
        self.au.data.clone()
    }
    /// Presentation (= decode) timestamp in microseconds.
    #[wasm_bindgen(getter)]
    pub fn timestamp(&self) -> f64 {
        self.au.timestamp.rescale(Timescale::MICROS).ticks as f64
    }
    /// `"key"` for IDR pictures, else `"delta"` (WebCodecs' `type`).
    #[wasm_bindgen(getter, js_name = type)]
    pub fn chunk_type(&self) -> String {
        if self.au.keyframe { "key" } else { "delta" }.into()
    }
    /// True for IDR pictures.
    #[wasm_bindgen(getter)]
    pub fn keyframe(&self) -> bool {
        self.au.keyframe
    }
    /// Size of `data` in bytes.
    #[wasm_bindgen(getter, js_name = byteLength)]
    pub fn byte_length(&self) -> usize {
        self.au.data.len()
    }
    /// RFC 6381 codec string of the stream.
    #[wasm_bindgen(getter)]
    pub fn codec(&self) -> String {
        self.au.config.codec.clone()
    }
    /// `AVCDecoderConfigurationRecord` (`avcC`), WebCodecs' `description`.
    #[wasm_bindgen(getter)]
    pub fn avcc(&self) -> Vec<u8> {
        self.au.config.avcc.clone()
    }
    /// Sequence parameter set (no start code).
    #[wasm_bindgen(getter)]
    pub fn sps(&self) -> Vec<u8> {
        self.au.config.sps.clone()
    }
    /// Picture parameter set (no start code).
    #[wasm_bindgen(getter)]
    pub fn pps(&self) -> Vec<u8> {
        self.au.config.pps.clone()
    }
}

/// An H.264 decoder (OpenH264 compiled to wasm).
#[wasm_bindgen]
pub struct Decoder {
    inner: H264Decoder,
    avc: bool,
}

#[wasm_bindgen]
impl Decoder {
    /// A decoder for Annex-B input; call `configure(avcc)` first for
    /// length-prefixed (MP4) samples.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<Decoder, JsValue> {
        Ok(Decoder { inner: H264Decoder::new().map_err(h264_error)?, avc: false })
    }

    /// Loads SPS/PPS from an `avcC` record; later input is length-prefixed.
    pub fn configure(&mut self, avcc: &[u8]) -> Result<(), JsValue> {
        self.avc = true;
        self.inner.configure_avcc(avcc).map_err(h264_error)
    }

    /// Decodes one access unit; returns the picture it completes, if any
    /// (Main/High pictures may come one call late; `flush()` drains them).
    pub fn decode(&mut self, data: &[u8], timestamp: f64) -> Result<Option<DecodedFrame>, JsValue> {
        let ts = micros(timestamp)?;
        let out = if self.avc { self.inner.decode_avc(data, ts) } else { self.inner.decode(data, ts) };
        Ok(out.map_err(h264_error)?.map(DecodedFrame::from))
    }

    /// Returns the pictures still held for reordering.
    pub fn flush(&mut self) -> Result<Vec<DecodedFrame>, JsValue> {
        Ok(self.inner.flush().map_err(h264_error)?.into_iter().map(DecodedFrame::from).collect())
    }
}

/// A decoded I420 picture.
#[wasm_bindgen]
pub struct DecodedFrame {
    frame: crate::codec::h264::DecodedFrame,
}

impl From<crate::codec::h264::DecodedFrame> for DecodedFrame {
    fn from(frame: crate::codec::h264::DecodedFrame) -> Self {
        DecodedFrame { frame }
    }
}

#[wasm_bindgen]
impl DecodedFrame {
    /// Tightly packed I420 bytes.
    #[wasm_bindgen(getter)]
    pub fn data(&self) -> Vec<u8> {
        self.frame.frame.data.clone()
    }
    /// Picture width in pixels (even).
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.frame.frame.width
    }
    /// Picture height in pixels (even).
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.frame.frame.height
    }
    /// Timestamp in microseconds, from the access unit.
    #[wasm_bindgen(getter)]
    pub fn timestamp(&self) -> f64 {
        self.frame.timestamp.rescale(Timescale::MICROS).ticks as f64
    }
}

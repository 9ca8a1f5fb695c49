//! `LiveAudioEncoder`: the publisher's audio encoder in a wasm module of
//! its own (cargo feature `audio-encoder`, built with `aac` or `opus` as
//! the package's `web-publisher-aac/` and `web-publisher-opus/`), which the
//! publisher's Worker loads only when a stream needs it and hands to
//! `PublishSession.setAudioEncoderFactory`. A thin binding over
//! [`crate::registry::audio_encoder`]: the preset's `audio` section (as
//! the session passes it), the microphone's rate and channels in; the
//! codec configuration record and packets out.
//!
//! Errors are `FramecastError`s: `invalid-config` with the preset field
//! (`audio.codec` for a codec this module does not carry), `encode-error`
//! from the encoder.

use js_sys::{Uint32Array, Uint8Array};
use wasm_bindgen::prelude::*;

use super::error::{coded, config_error, error};
use super::from_js;
use crate::codec::audio_encode::{config_record, AudioEncode, AudioEncodeFailure, AudioPacket};
use crate::error::ErrorCode;
use crate::preset::AudioPreset;
use crate::registry::audio_encoder;

/// A live audio encoder (AAC or Opus, as this module was built) for the
/// publisher's `PublishSession`.
#[wasm_bindgen]
pub struct LiveAudioEncoder {
    encoder: Box<dyn AudioEncode>,
    record: Vec<u8>,
}

/// `packets` as one object: their bytes back to back, each one's size in
/// bytes and duration in samples at the encoder's rate.
fn packets_js(packets: Result<Vec<AudioPacket>, AudioEncodeFailure>) -> Result<JsValue, JsValue> {
    let packets = packets.map_err(|f| error(ErrorCode::EncodeError, f.message))?;
    let data: Vec<u8> = packets.iter().flat_map(|p| p.data.iter().copied()).collect();
    let sizes: Vec<u32> = packets.iter().map(|p| p.data.len() as u32).collect();
    let durations: Vec<u32> = packets.iter().map(|p| p.duration).collect();
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v);
    };
    set("data", Uint8Array::from(&data[..]).into());
    set("sizes", Uint32Array::from(&sizes[..]).into());
    set("durations", Uint32Array::from(&durations[..]).into());
    Ok(o.into())
}

#[wasm_bindgen]
impl LiveAudioEncoder {
    /// The encoder the preset's `audio` section asks for, for input of
    /// `inputRate` Hz with `inputChannels` channels (as
    /// `PublishSession` calls the factory). Throws `invalid-config` with
    /// the preset field (`audio.codec`: a codec this module does not
    /// carry).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "AudioPreset")] audio: JsValue,
        input_rate: u32,
        input_channels: u16,
    ) -> Result<LiveAudioEncoder, JsValue> {
        let preset: AudioPreset = from_js(audio)?;
        let encoder = audio_encoder(&preset, input_rate, input_channels).map_err(|e| coded(&e))?;
        let record = encoder.codec_config().as_ref().and_then(config_record).ok_or_else(|| {
            config_error("audio.codec", format!("{} has no configuration record for CMAF", encoder.codec_name()))
        })?;
        Ok(LiveAudioEncoder { encoder, record })
    }

    /// The codec: `"AAC"` or `"Opus"`.
    #[wasm_bindgen(getter)]
    pub fn codec(&self) -> String {
        self.encoder.codec_name().to_string()
    }

    /// The codec configuration record: AAC's AudioSpecificConfig, or the
    /// Ogg `OpusHead` packet (19 bytes).
    #[wasm_bindgen(getter)]
    pub fn config(&self) -> Uint8Array {
        Uint8Array::from(&self.record[..])
    }

    /// The rate (Hz) of the PCM `encode` takes and of the packets.
    #[wasm_bindgen(getter, js_name = sampleRate)]
    pub fn sample_rate(&self) -> u32 {
        self.encoder.sample_rate()
    }

    /// Channels of the interleaved PCM `encode` takes.
    #[wasm_bindgen(getter)]
    pub fn channels(&self) -> u32 {
        self.encoder.layout().channels() as u32
    }

    /// Priming samples (per channel) at the start of the decoded output.
    #[wasm_bindgen(getter)]
    pub fn delay(&self) -> u32 {
        self.encoder.delay()
    }

    /// Encodes interleaved PCM at `sampleRate` with `channels` channels,
    /// any length (partial frames wait for the next call). Throws
    /// `encode-error`.
    #[wasm_bindgen(unchecked_return_type = "{ data: Uint8Array; sizes: Uint32Array; durations: Uint32Array }")]
    pub fn encode(&mut self, pcm: &[f32]) -> Result<JsValue, JsValue> {
        packets_js(self.encoder.encode(pcm))
    }

    /// Encodes what is buffered (the last frame padded) and ends the
    /// stream. Throws `encode-error`.
    #[wasm_bindgen(unchecked_return_type = "{ data: Uint8Array; sizes: Uint32Array; durations: Uint32Array }")]
    pub fn flush(&mut self) -> Result<JsValue, JsValue> {
        packets_js(self.encoder.flush())
    }
}

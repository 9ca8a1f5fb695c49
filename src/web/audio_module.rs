//! The publisher's side of the on-demand audio encoders: an
//! [`AudioEncode`] over a JS object with `LiveAudioEncoder`'s members (the
//! `audio-encoder` module, loaded by the Worker into the same thread), and
//! the factory `PublishSession.setAudioEncoderFactory` hands the session.
//! Calls are synchronous; the codec configuration is read back with the
//! codec's own record parser ([`config_from_record`]).

use std::fmt;

use js_sys::{Function, Reflect, Uint32Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::to_plain_js;
use crate::audio::ChannelLayout;
use crate::codec::audio_encode::{config_from_record, AudioEncode, AudioEncodeFailure, AudioPacket};
use crate::codec::CodecConfig;
use crate::publish::AudioEncoderFactory;
use crate::registry::EncoderChoiceError;

/// The preset fields a factory's error may name; others become `audio`.
const FIELDS: [&str; 6] =
    ["audio", "audio.codec", "audio.codecOptions.profile", "audio.sampleRate", "audio.bitRate", "audio.channels"];

/// `object[key]`, `undefined` when absent or throwing.
fn member(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// The message of a thrown JS value.
fn message_of(e: &JsValue) -> String {
    member(e, "message").as_string().or_else(|| e.as_string()).unwrap_or_else(|| format!("{e:?}"))
}

/// What the factory threw, as the error the built-in encoders give: the
/// field it names and its reason (the message without the field in
/// front, as `EncoderChoiceError` displays it).
fn choice_error(e: &JsValue) -> EncoderChoiceError {
    let named = member(e, "field").as_string();
    let field = FIELDS.iter().copied().find(|f| named.as_deref() == Some(*f)).unwrap_or("audio");
    let message = message_of(e);
    let reason = message.strip_prefix(&format!("{field} ")).unwrap_or(&message).to_string();
    EncoderChoiceError { field, reason }
}

/// A `LiveAudioEncoder` of another wasm module, through its JS object.
pub(crate) struct JsAudioEncoder {
    object: JsValue,
    encode: Function,
    flush: Function,
    codec: &'static str,
    config: CodecConfig,
    sample_rate: u32,
    layout: ChannelLayout,
    delay: u32,
}

impl fmt::Debug for JsAudioEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsAudioEncoder").field("codec", &self.codec).field("sample_rate", &self.sample_rate).finish()
    }
}

impl JsAudioEncoder {
    /// Reads the encoder's codec, configuration record, rate, channels and
    /// delay, and its `encode` and `flush` methods.
    fn new(object: JsValue) -> Result<JsAudioEncoder, EncoderChoiceError> {
        let bad = |reason: String| EncoderChoiceError { field: "audio", reason };
        let codec = member(&object, "codec").as_string().unwrap_or_default();
        let record = member(&object, "config")
            .dyn_into::<Uint8Array>()
            .map_err(|_| bad("the audio encoder has no configuration record (config)".into()))?
            .to_vec();
        let (codec, config) =
            config_from_record(&codec, &record).map_err(|e| bad(format!("the audio encoder's configuration: {e}")))?;
        let number = |key: &str| member(&object, key).as_f64().filter(|n| *n >= 0.0 && n.fract() == 0.0);
        let sample_rate = number("sampleRate").filter(|&r| r > 0.0).ok_or_else(|| bad("sampleRate missing".into()))?;
        let layout = number("channels")
            .and_then(|c| ChannelLayout::for_count(c as usize))
            .ok_or_else(|| bad("channels missing or not a layout".into()))?;
        let delay = number("delay").ok_or_else(|| bad("delay missing".into()))?;
        let method = |key: &str| {
            member(&object, key).dyn_into::<Function>().map_err(|_| bad(format!("the audio encoder has no {key}()")))
        };
        Ok(JsAudioEncoder {
            encode: method("encode")?,
            flush: method("flush")?,
            object,
            codec,
            config,
            sample_rate: sample_rate as u32,
            layout,
            delay: delay as u32,
        })
    }

    /// Calls `f` on the object and splits the `{ data, sizes, durations }`
    /// it returns into packets.
    fn call(&self, f: &Function, arg: Option<&JsValue>) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        let fail = |message: String| AudioEncodeFailure { codec: self.codec, message };
        let out = match arg {
            Some(a) => f.call1(&self.object, a),
            None => f.call0(&self.object),
        }
        .map_err(|e| fail(message_of(&e)))?;
        let bytes = member(&out, "data").dyn_into::<Uint8Array>().map(|a| a.to_vec());
        let sizes = member(&out, "sizes").dyn_into::<Uint32Array>().map(|a| a.to_vec());
        let durations = member(&out, "durations").dyn_into::<Uint32Array>().map(|a| a.to_vec());
        let (Ok(bytes), Ok(sizes), Ok(durations)) = (bytes, sizes, durations) else {
            return Err(fail(
                "packets must be { data: Uint8Array, sizes: Uint32Array, durations: Uint32Array }".into(),
            ));
        };
        let total: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
        if sizes.len() != durations.len() || total != bytes.len() as u64 {
            return Err(fail("packet sizes and durations do not match the data".into()));
        }
        let mut at = 0usize;
        Ok(sizes
            .iter()
            .zip(durations)
            .map(|(&size, duration)| {
                let end = at + size as usize;
                let data = bytes[at..end].to_vec();
                at = end;
                AudioPacket { data, duration }
            })
            .collect())
    }
}

impl AudioEncode for JsAudioEncoder {
    fn codec_name(&self) -> &'static str {
        self.codec
    }
    fn codec_config(&self) -> Option<CodecConfig> {
        Some(self.config.clone())
    }
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }
    fn layout(&self) -> ChannelLayout {
        self.layout
    }
    fn delay(&self) -> u32 {
        self.delay
    }
    fn encode(&mut self, pcm: &[f32]) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        self.call(&self.encode, Some(&js_sys::Float32Array::from(pcm).into()))
    }
    fn flush(&mut self) -> Result<Vec<AudioPacket>, AudioEncodeFailure> {
        self.call(&self.flush, None)
    }
}

/// The session's audio encoder factory over a JS function
/// `(audio: AudioPreset, sampleRate, channels) => LiveAudioEncoder`.
pub(crate) fn js_factory(f: Function) -> Box<AudioEncoderFactory> {
    Box::new(move |preset, rate, channels| {
        let made = f
            .call3(&JsValue::NULL, &to_plain_js(preset), &rate.into(), &channels.into())
            .map_err(|e| choice_error(&e))?;
        Ok(Box::new(JsAudioEncoder::new(made)?))
    })
}

//! wasm-bindgen bindings: the thin layer between JavaScript and the core.
//!
//! Conventions, shared by every binding:
//! - configuration objects are plain JS objects with camelCase fields,
//!   deserialized with serde-wasm-bindgen; unknown fields are rejected;
//! - timestamps are microseconds (`number`), as in WebCodecs;
//! - errors are JS `FramecastError`s (`web::error`, the only place that makes
//!   them) with a stable `code` ([`crate::error::ErrorCode`]) and, for
//!   configuration errors, a `field` property naming the bad field.

#[cfg(feature = "audio-encoder")]
mod audio_encoder;
#[cfg(feature = "publish")]
mod audio_module;
// The shared helpers serve every binding; an npm entry point's build has
// only some bindings (cargo features), which leave some helpers unused.
// The full build (default features) still reports dead code.
#[cfg_attr(
    not(all(
        feature = "codecs",
        feature = "mux",
        feature = "publish",
        feature = "transcode",
        feature = "audio-encoder"
    )),
    allow(dead_code)
)]
mod error;
#[cfg(feature = "codecs")]
mod h264;
#[cfg(feature = "mux")]
mod mux;
#[cfg(any(feature = "codecs", feature = "publish", feature = "transcode"))]
#[cfg_attr(
    not(all(
        feature = "codecs",
        feature = "mux",
        feature = "publish",
        feature = "transcode",
        feature = "audio-encoder"
    )),
    allow(dead_code, unused_imports)
)]
mod preset;
#[cfg(feature = "publish")]
mod publish;
#[cfg(feature = "transcode")]
mod transcode;
#[cfg(any(feature = "codecs", feature = "publish"))]
#[cfg_attr(
    not(all(
        feature = "codecs",
        feature = "mux",
        feature = "publish",
        feature = "transcode",
        feature = "audio-encoder"
    )),
    allow(dead_code, unused_imports)
)]
mod video;

use wasm_bindgen::prelude::*;

#[cfg(feature = "audio-encoder")]
pub use audio_encoder::LiveAudioEncoder;
#[cfg(feature = "codecs")]
pub use h264::{DecodedFrame, Decoder, EncodedChunk, Encoder};
#[cfg(feature = "mux")]
pub use mux::{dash_mpd, hls_media_playlist, hls_multivariant_playlist, Muxer};
#[cfg(feature = "codecs")]
pub use preset::{parse_preset, system_presets_js};
#[cfg(feature = "publish")]
pub use publish::{webcam_presets, PublishSession};
#[cfg(feature = "transcode")]
pub use transcode::AudioTranscoder;
#[cfg(feature = "codecs")]
pub use video::FramePipeline;

/// `value` as plain JS data (objects, arrays, numbers; no `Map`s or
/// `BigInt`s); `undefined` if it cannot be.
// Unused in the builds without `publish` and `transcode` (see `mod error`).
#[cfg_attr(
    not(all(
        feature = "codecs",
        feature = "mux",
        feature = "publish",
        feature = "transcode",
        feature = "audio-encoder"
    )),
    allow(dead_code)
)]
pub(crate) fn to_plain_js<T: serde::Serialize + ?Sized>(value: &T) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::UNDEFINED)
}

/// Deserializes a JS config object into `T`. Errors name the field path,
/// e.g. `"frameRate: invalid type: string \"x\", expected f32"`, and
/// unknown fields are rejected (serde-wasm-bindgen alone would skip them,
/// so the object goes through a JSON value first). The mux module reads its
/// options without serde's generic code, with the same errors (`mux::json`).
#[cfg(any(feature = "codecs", feature = "publish", feature = "transcode", feature = "audio-encoder"))]
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, JsValue> {
    use self::error::FramecastError;
    use crate::error::ErrorCode;
    let json: serde_json::Value = serde_wasm_bindgen::from_value(value)
        .map_err(|e| error::error(ErrorCode::InvalidConfig, format!("config must be a plain object: {e}")))?;
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        match path.as_str() {
            "." => error::error(ErrorCode::InvalidConfig, e.inner()),
            field => FramecastError::at(ErrorCode::InvalidConfig, field, e.inner()).into(),
        }
    })
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** What `buildInfo()` returns. */
export interface BuildInfo {
  /** The OpenH264 build, e.g. "wasm-simd128 -O3". */
  openh264: string;
  /** The OpenH264 source commit. */
  commit: string;
  /** framecast's version. */
  version: string;
}

// wasm-bindgen declares `[Symbol.dispose]()` on every class; this names the
// symbol for programs whose `lib` predates it (ES2022, DOM). With
// `ESNext.Disposable` (or TypeScript's newest lib) the declarations merge.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}
"#;

/// Describes the linked OpenH264 build, e.g.
/// `{ openh264: "wasm-simd128 -O3", commit: "1bca...", version: "0.1.0" }`.
#[cfg(feature = "h264")]
#[wasm_bindgen(js_name = buildInfo, unchecked_return_type = "BuildInfo")]
pub fn build_info() -> JsValue {
    let o = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v.into());
    };
    set("openh264", crate::codec::h264::OPENH264_BUILD);
    set("commit", crate::codec::h264::OPENH264_COMMIT);
    set("version", env!("CARGO_PKG_VERSION"));
    o.into()
}

/// Sends what the C code prints (OpenH264 errors) to the JS console.
#[cfg(any(feature = "h264", feature = "aac"))]
#[wasm_bindgen(start)]
pub fn start() {
    crate::sys::set_stdio_sink(|fd, text| {
        let text = text.trim_end();
        if text.is_empty() {
            return;
        }
        let msg = JsValue::from_str(text);
        if fd == 2 {
            web_sys::console::warn_1(&msg);
        } else {
            web_sys::console::log_1(&msg);
        }
    });
}

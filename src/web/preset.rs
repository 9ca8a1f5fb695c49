//! JS functions for presets: `systemPresets()` lists the built-in presets,
//! `parsePreset(json)` validates a custom one completely.

use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::{config_error, error, FramecastError};
use crate::error::ErrorCode;
use crate::preset::{system_presets, Preset, PresetErrors, WatermarkPreset};
use crate::video::Watermark;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A number, or a string holding one (`"2400"`), as Elastic Transcoder's presets wrote them. */
export type PresetNumber = number | string;
/** Every container a preset may name (`"oga"` is read as `"ogg"`). */
export type PresetContainer = "fmp4" | "cmaf" | "mp4" | "hls" | "dash" | "ogg" | "oga" | "flac" | "wav" | "mp3";
/** How a picture is scaled into `maxWidth` x `maxHeight` (see the README's sizing table). */
export type SizingPolicy = "Fit" | "Fill" | "Stretch" | "Keep" | "ShrinkToFit" | "ShrinkToFill";
/** A preset's video: H.264 settings and sizing. Bit rates are kbit/s, sizes pixels. */
export interface VideoPreset {
  codec?: "H.264";
  codecOptions?: {
    profile?: "baseline" | "main" | "high";
    /** e.g. "3.1". */
    level?: string | number;
    maxReferenceFrames?: PresetNumber;
    maxBitRate?: PresetNumber;
    bufferSize?: PresetNumber;
  };
  keyframesMaxDist?: PresetNumber;
  fixedGop?: boolean | string;
  /** kbit/s, or "auto". */
  bitRate: PresetNumber;
  /** "auto", a number (30, 29.97) or a fraction ("30000/1001"). */
  frameRate?: PresetNumber;
  maxFrameRate?: PresetNumber;
  /** Even pixels, or "auto". */
  maxWidth?: PresetNumber;
  maxHeight?: PresetNumber;
  sizingPolicy?: SizingPolicy;
  paddingPolicy?: "Pad" | "NoPad";
  displayAspectRatio?: "auto" | "1:1" | "4:3" | "3:2" | "16:9";
}
/** A preset's audio. Bit rates are kbit/s, sample rates Hz. */
export interface AudioPreset {
  codec: "AAC" | "mp3" | "opus" | "flac" | "pcm";
  /** Hz, or "auto". */
  sampleRate?: PresetNumber;
  bitRate?: PresetNumber;
  /** "auto", 1 or 2. */
  channels?: PresetNumber;
  codecOptions?: { profile?: "auto" | "AAC-LC" | "HE-AAC" | "HE-AACv2"; bitDepth?: PresetNumber };
}
/** Thumbnails at an interval (seconds). */
export interface ThumbnailPreset {
  format: "jpg" | "png";
  interval: PresetNumber;
  maxWidth?: PresetNumber;
  maxHeight?: PresetNumber;
  sizingPolicy?: SizingPolicy;
  paddingPolicy?: "Pad" | "NoPad";
}
/** A watermark slot; lengths are `"120px"`, `"10%"` or pixels. */
export interface WatermarkPreset {
  id: string;
  maxWidth?: PresetNumber;
  maxHeight?: PresetNumber;
  sizingPolicy?: "Fit" | "Stretch" | "ShrinkToFit";
  horizontalAlign?: "Left" | "Right" | "Center";
  horizontalOffset?: PresetNumber;
  verticalAlign?: "Top" | "Bottom" | "Center";
  verticalOffset?: PresetNumber;
  /** 0 to 100. */
  opacity?: PresetNumber;
  target?: "Content" | "Frame";
}
/** A preset in camelCase JSON: Elastic Transcoder's vocabulary (see the README's preset table). */
export interface Preset {
  id?: string;
  name: string;
  description?: string;
  container: PresetContainer;
  video?: VideoPreset;
  audio?: AudioPreset;
  thumbnails?: ThumbnailPreset;
  watermarks?: WatermarkPreset[];
}
"#;

fn to_js(preset: &Preset) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&preset.to_json()).map_err(|_| error(ErrorCode::Internal, "preset does not serialise"))
}

/// `invalid-preset`, with `field` (the first problem's) and `errors` (every
/// problem: `{ field, value, expected, kind, message }`).
pub(super) fn preset_error(errors: &PresetErrors) -> JsValue {
    let list = js_sys::Array::new();
    for e in errors {
        let o = js_sys::Object::new();
        for (k, v) in [
            ("field", e.field.as_str()),
            ("value", e.value.as_str()),
            ("expected", e.expected.as_str()),
            ("kind", e.kind.code()),
            ("message", &e.to_string()),
        ] {
            let _ = js_sys::Reflect::set(&o, &k.into(), &v.into());
        }
        list.push(&o);
    }
    FramecastError::coded(errors).errors(list).into()
}

/// The built-in presets (Elastic Transcoder's system presets where it had
/// them, and framecast's webcam presets), in camelCase JSON.
#[cfg(feature = "codecs")]
#[wasm_bindgen(js_name = systemPresets, unchecked_return_type = "Preset[]")]
pub fn system_presets_js() -> Result<js_sys::Array, JsValue> {
    let out = js_sys::Array::new();
    for p in system_presets() {
        out.push(&to_js(&p)?);
    }
    Ok(out)
}

/// Validates a custom preset (a JSON string or a plain object) and returns
/// it with defaults filled in. Throws a `FramecastError` with `code:
/// "invalid-preset"`, `field` (the first problem's) and `errors` (every
/// problem: `{ field, value, expected, kind, message }`).
#[cfg(feature = "codecs")]
#[wasm_bindgen(js_name = parsePreset, unchecked_return_type = "Preset")]
pub fn parse_preset(
    #[wasm_bindgen(unchecked_param_type = "string | Preset")] preset: JsValue,
) -> Result<JsValue, JsValue> {
    let text = match preset.as_string() {
        Some(s) => s,
        None => js_sys::JSON::stringify(&preset)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| error(ErrorCode::InvalidPreset, "a preset must be a JSON string or a plain object"))?,
    };
    let parsed = Preset::from_json(&text).map_err(|e| preset_error(&e))?;
    to_js(&parsed)
}

/// The preset an option names: an id `lookup` knows, or a preset as a JSON
/// string or object (validated completely). `field` names the option in
/// errors.
pub(super) fn resolve_preset(
    value: &serde_json::Value,
    field: &str,
    lookup: fn(&str) -> Option<Preset>,
) -> Result<Preset, JsValue> {
    match value {
        serde_json::Value::String(id) if !id.trim_start().starts_with('{') => lookup(id).ok_or_else(|| {
            let message = format!("no built-in preset \"{id}\" (systemPresets() lists them)");
            FramecastError::at(ErrorCode::InvalidConfig, field, message).into()
        }),
        serde_json::Value::String(json) => Preset::from_json(json).map_err(|e| preset_error(&e)),
        other => Preset::from_json(&other.to_string()).map_err(|e| preset_error(&e)),
    }
}

/// Splits `options` into a copy without its `watermarks` member and the
/// PNG bytes that member holds by slot id (each a `Uint8Array`).
pub(super) fn take_watermark_images(options: &JsValue) -> Result<(JsValue, HashMap<String, Vec<u8>>), JsValue> {
    let images = js_sys::Reflect::get(options, &"watermarks".into()).unwrap_or(JsValue::UNDEFINED);
    if !options.is_object() {
        return Ok((options.clone(), HashMap::new()));
    }
    let plain = js_sys::Object::assign(&js_sys::Object::new(), options.unchecked_ref());
    let _ = js_sys::Reflect::delete_property(&plain, &"watermarks".into());
    let mut by_id = HashMap::new();
    if !images.is_undefined() && !images.is_null() {
        for entry in js_sys::Object::entries(images.unchecked_ref()).iter() {
            let pair: js_sys::Array = entry.unchecked_into();
            let id = pair.get(0).as_string().unwrap_or_default();
            let bytes = pair.get(1);
            if !bytes.is_instance_of::<js_sys::Uint8Array>() {
                return Err(config_error(&format!("watermarks.{id}"), "must be a Uint8Array of PNG bytes"));
            }
            by_id.insert(id, js_sys::Uint8Array::new(&bytes).to_vec());
        }
    }
    Ok((plain.into(), by_id))
}

/// Decodes the images for `preset`'s watermark slots (slots without one
/// are skipped). Throws `invalid-watermark` for an image that does not
/// decode and `invalid-config` for an image whose id is no slot.
#[cfg(feature = "images")]
pub(super) fn attach_watermarks(
    preset: &Preset,
    mut images: HashMap<String, Vec<u8>>,
) -> Result<Vec<(WatermarkPreset, Watermark)>, JsValue> {
    let mut out = Vec::new();
    for slot in &preset.watermarks {
        if let Some(png) = images.remove(&slot.id) {
            let field = format!("watermarks.{}", slot.id);
            let image =
                Watermark::from_png(&png).map_err(|e| FramecastError::at(ErrorCode::InvalidWatermark, &field, e))?;
            out.push((slot.clone(), image));
        }
    }
    if let Some(id) = images.keys().next() {
        let field = format!("watermarks.{id}");
        let slots: Vec<&str> = preset.watermarks.iter().map(|w| w.id.as_str()).collect();
        let have = if slots.is_empty() { "none".to_owned() } else { slots.join(", ") };
        let message = format!("the preset has no watermark slot \"{id}\" (its slots: {have})");
        return Err(config_error(&field, message));
    }
    Ok(out)
}

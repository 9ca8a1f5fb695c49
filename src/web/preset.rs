//! JS functions for presets: `systemPresets()` lists the built-in presets,
//! `parsePreset(json)` validates a custom one completely. The `Preset`
//! TypeScript type is derived on the core's preset model
//! (`crate::preset::model`).

use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::{coded, config_error, error, FramecastError};
use crate::error::ErrorCode;
use crate::preset::{system_presets, Preset, PresetChoiceError, PresetErrors, WatermarkPreset};
use crate::video::Watermark;

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
    Preset::resolve(value, lookup).map_err(|e| choice_error(&e, field))
}

/// A [`PresetChoiceError`] about the option `field`.
pub(super) fn choice_error(e: &PresetChoiceError, field: &str) -> JsValue {
    match e {
        PresetChoiceError::Invalid(errors) => preset_error(errors),
        e => FramecastError::at(ErrorCode::InvalidConfig, field, e).into(),
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
    images: HashMap<String, Vec<u8>>,
) -> Result<Vec<(WatermarkPreset, Watermark)>, JsValue> {
    crate::video::attach_images(preset, images).map_err(|e| coded(&e))
}

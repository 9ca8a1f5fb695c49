//! JS functions for presets: `systemPresets()` lists the built-in presets,
//! `parsePreset(json)` validates a custom one completely.

use wasm_bindgen::prelude::*;

use super::js_error;
use crate::preset::{system_presets, Preset, PresetErrors};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A preset in camelCase JSON: Elastic Transcoder's vocabulary (see the README's preset table). */
export type Preset = {
  id?: string; name: string; description?: string;
  container: "fmp4" | "cmaf" | "mp4" | "hls" | "dash";
  video?: Record<string, unknown>; audio?: Record<string, unknown>;
  thumbnails?: Record<string, unknown>; watermarks?: Record<string, unknown>[];
};
/** One problem found by `parsePreset` (the thrown error's `errors`). */
export interface PresetProblem { field: string; value: string; expected: string; kind: string; message: string; }
"#;

fn to_js(preset: &Preset) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&preset.to_json()).map_err(|_| js_error("preset does not serialise", "internal", None))
}

pub(super) fn preset_error(errors: &PresetErrors) -> JsValue {
    let first = errors.iter().next();
    let err = js_error(&errors.to_string(), "invalid-preset", first.map(|e| e.field.as_str()));
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
    let _ = js_sys::Reflect::set(&err, &"errors".into(), &list);
    err
}

/// The built-in presets (Elastic Transcoder's system presets where it had
/// them, and framecast's webcam presets), in camelCase JSON.
#[wasm_bindgen(js_name = systemPresets, unchecked_return_type = "Preset[]")]
pub fn system_presets_js() -> Result<js_sys::Array, JsValue> {
    let out = js_sys::Array::new();
    for p in system_presets() {
        out.push(&to_js(&p)?);
    }
    Ok(out)
}

/// Validates a custom preset (a JSON string or a plain object) and returns
/// it with defaults filled in. Throws an `Error` with `code:
/// "invalid-preset"`, `field` (the first problem's) and `errors` (every
/// problem: `{ field, value, expected, kind, message }`).
#[wasm_bindgen(js_name = parsePreset, unchecked_return_type = "Preset")]
pub fn parse_preset(#[wasm_bindgen(unchecked_param_type = "string | Preset")] preset: JsValue) -> Result<JsValue, JsValue> {
    let text = match preset.as_string() {
        Some(s) => s,
        None => js_sys::JSON::stringify(&preset)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| js_error("a preset must be a JSON string or a plain object", "invalid-preset", None))?,
    };
    let parsed = Preset::from_json(&text).map_err(|e| preset_error(&e))?;
    to_js(&parsed)
}

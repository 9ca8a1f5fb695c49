//! `FramePipeline` for JS: a preset's sizing, padding and watermarks applied
//! to raw frames (RGBA, BGRA, I420, NV12 in; I420 out), in wasm.
//!
//! ```js
//! const prep = new FramePipeline({
//!   width: 1920, height: 1080, format: "rgba",
//!   preset: "1351620000001-000010",            // a system preset id, or a preset object / JSON
//!   watermarks: { logo: pngBytes },             // images for the preset's watermark slots, by id
//! });
//! const i420 = prep.process(rgbaBytes);         // Uint8Array, prep.outputWidth x prep.outputHeight
//! ```

use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::error::{config_error, error};
use super::from_js;
use crate::error::ErrorCode;
use crate::frame::Size;
use crate::preset::system_preset;
use crate::video::color::{ColorSpace, Matrix, Range};
use crate::video::{Filter, FramePipeline as CorePipeline, InputFormat, PipelineOptions, Rotation};

#[cfg(feature = "codecs")]
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** `new FramePipeline(options)`. */
export interface FramePipelineOptions {
  /** Input picture size in pixels (even). */
  width: number; height: number;
  /** Input layout; default "rgba". */
  format?: "rgba" | "bgra" | "i420" | "nv12";
  /** A system preset id (`systemPresets()`), or a preset (object or JSON) with `video`. */
  preset: string | Preset;
  /** PNG bytes for the preset's watermark slots, by slot id; slots without an image are skipped. */
  watermarks?: Record<string, Uint8Array>;
  /** Clockwise rotation before sizing; default 0. */
  rotation?: 0 | 90 | 180 | 270;
  /** Default "lanczos3". */
  filter?: "lanczos3" | "bilinear";
  /** Output colour space; default BT.601 limited. */
  matrix?: "bt601" | "bt709";
  range?: "limited" | "full";
}
"#;

#[cfg(feature = "codecs")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Options {
    width: u32,
    height: u32,
    #[serde(default)]
    format: Option<String>,
    preset: serde_json::Value,
    #[serde(default)]
    rotation: i32,
    #[serde(default)]
    filter: Option<String>,
    #[serde(default)]
    matrix: Option<String>,
    #[serde(default)]
    range: Option<String>,
}

pub(super) fn pick<T: Copy>(field: &str, value: Option<&str>, default: T, choices: &[(&str, T)]) -> Result<T, JsValue> {
    match value {
        None => Ok(default),
        Some(v) => choices.iter().find(|(name, _)| *name == v).map(|(_, t)| *t).ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            config_error(field, format!("must be one of {}, got \"{v}\"", names.join(", ")))
        }),
    }
}

/// Applies a preset's geometry and watermarks to frames. See the module
/// documentation.
#[cfg(feature = "codecs")]
#[wasm_bindgen]
pub struct FramePipeline {
    inner: CorePipeline,
}

#[cfg(feature = "codecs")]
#[wasm_bindgen]
impl FramePipeline {
    /// Builds the pipeline (`FramePipelineOptions`): decodes and scales the
    /// watermarks once. Throws `invalid-config` (with `field`),
    /// `invalid-preset` (with `errors`) or `invalid-watermark`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "FramePipelineOptions")] options: JsValue,
    ) -> Result<FramePipeline, JsValue> {
        let (plain, images) = super::preset::take_watermark_images(&options)?;
        let o: Options = from_js(plain)?;
        let preset = super::preset::resolve_preset(&o.preset, "preset", system_preset)?;
        let video = preset.video.clone().ok_or_else(|| config_error("preset", "the preset has no video settings"))?;
        let watermarks = super::preset::attach_watermarks(&preset, images)?;
        let format = pick(
            "format",
            o.format.as_deref(),
            InputFormat::Rgba,
            &[
                ("rgba", InputFormat::Rgba),
                ("bgra", InputFormat::Bgra),
                ("i420", InputFormat::I420),
                ("nv12", InputFormat::Nv12),
            ],
        )?;
        let filter = pick(
            "filter",
            o.filter.as_deref(),
            Filter::Lanczos3,
            &[("lanczos3", Filter::Lanczos3), ("bilinear", Filter::Bilinear)],
        )?;
        let matrix =
            pick("matrix", o.matrix.as_deref(), Matrix::Bt601, &[("bt601", Matrix::Bt601), ("bt709", Matrix::Bt709)])?;
        let range =
            pick("range", o.range.as_deref(), Range::Limited, &[("limited", Range::Limited), ("full", Range::Full)])?;
        let rotation = Rotation::from_degrees(o.rotation)
            .ok_or_else(|| config_error("rotation", format!("must be 0, 90, 180 or 270, got {}", o.rotation)))?;
        let inner = CorePipeline::new(PipelineOptions {
            input: Size::new(o.width, o.height),
            format,
            color: ColorSpace { matrix, range },
            rotation,
            video,
            filter,
            watermarks,
        })
        .map_err(|e| error(ErrorCode::InvalidConfig, e))?;
        Ok(FramePipeline { inner })
    }

    /// Output width in pixels.
    #[wasm_bindgen(getter, js_name = outputWidth)]
    pub fn output_width(&self) -> u32 {
        self.inner.output_size().width
    }

    /// Output height in pixels.
    #[wasm_bindgen(getter, js_name = outputHeight)]
    pub fn output_height(&self) -> u32 {
        self.inner.output_size().height
    }

    /// Processes one frame (`stride`: bytes per row of the input, of its Y
    /// plane for YUV; default the packed row) and returns the I420 output
    /// (packed). Throws `invalid-frame` on a wrong buffer size.
    pub fn process(&mut self, data: &[u8], stride: Option<u32>) -> Result<Vec<u8>, JsValue> {
        let out = self.run(data, stride)?;
        Ok(out.data.clone())
    }

    /// Like `process` without copying the output out (for timing, or when
    /// only the side effects matter). Returns the output's byte length.
    #[wasm_bindgen(js_name = processInPlace)]
    pub fn process_in_place(&mut self, data: &[u8], stride: Option<u32>) -> Result<u32, JsValue> {
        Ok(self.run(data, stride)?.data.len() as u32)
    }
}

#[cfg(feature = "codecs")]
impl FramePipeline {
    fn run(&mut self, data: &[u8], stride: Option<u32>) -> Result<&crate::frame::I420Frame, JsValue> {
        let stride = stride.map_or(self.inner.packed_stride(), |s| s as usize);
        self.inner.process(data, stride).map_err(|e| error(ErrorCode::InvalidFrame, e))
    }
}

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
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use super::error::{config_error, error};
use super::from_js;
use crate::error::ErrorCode;
use crate::frame::Size;
use crate::preset::system_preset;
use crate::video::color::{ColorSpace, Matrix, Range};
use crate::video::{Filter, FramePipeline as CorePipeline, InputFormat, PipelineOptions, Rotation};

#[cfg(feature = "codecs")]
/// `new FramePipeline(options)`. Its TypeScript declaration is derived
/// from this struct; `watermarks` is taken out of the object before it is
/// read (`take_watermark_images`).
#[derive(Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FramePipelineOptions {
    /// Input picture width in pixels (even).
    width: u32,
    /// Input picture height in pixels (even).
    height: u32,
    /// Input layout; default `"rgba"`.
    #[serde(default)]
    format: Option<InputFormat>,
    /// A system preset id (`systemPresets()`), or a preset (object or
    /// JSON) with `video`.
    #[tsify(type = "string | Preset")]
    preset: serde_json::Value,
    /// PNG bytes for the preset's watermark slots, by slot id; slots
    /// without an image are skipped.
    #[serde(default)]
    #[tsify(type = "Record<string, Uint8Array>")]
    // Declared for the TypeScript type only: the images never reach serde.
    #[allow(dead_code)]
    watermarks: Option<serde::de::IgnoredAny>,
    /// Clockwise rotation in degrees before sizing; default 0.
    #[serde(default)]
    #[tsify(type = "0 | 90 | 180 | 270")]
    rotation: i32,
    /// Resampling filter; default `"lanczos3"`.
    #[serde(default)]
    filter: Option<Filter>,
    /// Output YCbCr matrix; default `"bt601"`.
    #[serde(default)]
    matrix: Option<Matrix>,
    /// Output range; default `"limited"`.
    #[serde(default)]
    range: Option<Range>,
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
        let o: FramePipelineOptions = from_js(plain)?;
        let preset = super::preset::resolve_preset(&o.preset, "preset", system_preset)?;
        let video = preset.video.clone().ok_or_else(|| config_error("preset", "the preset has no video settings"))?;
        let watermarks = super::preset::attach_watermarks(&preset, images)?;
        let rotation = Rotation::from_degrees(o.rotation)
            .ok_or_else(|| config_error("rotation", format!("must be 0, 90, 180 or 270, got {}", o.rotation)))?;
        let inner = CorePipeline::new(PipelineOptions {
            input: Size::new(o.width, o.height),
            format: o.format.unwrap_or_default(),
            color: ColorSpace { matrix: o.matrix.unwrap_or_default(), range: o.range.unwrap_or_default() },
            rotation,
            video,
            filter: o.filter.unwrap_or_default(),
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

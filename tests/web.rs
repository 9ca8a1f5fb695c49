//! wasm-bindgen tests: the JS-facing classes, run in Node
//! (`wasm-pack test --node`) and in headless Chromium
//! (`WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome`).
#![cfg(target_arch = "wasm32")]

use framecast::frame::psnr;
use framecast::web::{Decoder, Encoder};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

const W: u32 = 320;
const H: u32 = 240;

fn config(extra: &str) -> JsValue {
    let json = format!(r#"{{"width":{W},"height":{H},"bitrate":500000{extra}}}"#);
    js_sys::JSON::parse(&json).unwrap()
}

/// A moving gradient with a bright box: enough structure for PSNR to mean
/// something.
fn frame(i: u32) -> Vec<u8> {
    let (w, h) = (W as usize, H as usize);
    let mut f = vec![128u8; w * h * 3 / 2];
    for y in 0..h {
        for x in 0..w {
            let mut v = ((x + y + 3 * i as usize) % 256) as u8 / 2 + 32;
            if (x + 4 * i as usize) % w < 40 && (60..120).contains(&y) {
                v = 235;
            }
            f[y * w + x] = v;
        }
    }
    for (k, c) in f[w * h..].iter_mut().enumerate() {
        *c = 96 + (k % 64) as u8;
    }
    f
}

#[wasm_bindgen_test]
fn encode_decode_round_trip_in_wasm() {
    let mut enc = Encoder::new(config(r#","profile":"baseline""#)).unwrap();
    let mut dec = Decoder::new().unwrap();
    let mut decoded = Vec::new();
    let mut keys = 0;
    for i in 0..20 {
        let input = frame(i);
        let chunk = enc.encode(&input, i as f64 * 33_333.0).unwrap().expect("a chunk per frame");
        assert_eq!(chunk.timestamp(), i as f64 * 33_333.0);
        if chunk.keyframe() {
            keys += 1;
            assert_eq!(chunk.chunk_type(), "key");
        }
        if let Some(out) = dec.decode(&chunk.data(), chunk.timestamp()).unwrap() {
            decoded.push((out, input));
        }
    }
    assert_eq!(keys, 1, "one IDR in 20 frames at the default 2 s interval");
    assert_eq!(enc.codec().as_deref(), Some("avc1.42c00d"), "Constrained Baseline, level 1.3 for 320x240@30 500k");
    assert_eq!(decoded.len(), 20, "Baseline decodes without delay");
    for (out, input) in &decoded {
        assert_eq!((out.width(), out.height()), (W, H));
        let p = psnr(input, &out.data());
        assert!(p > 30.0, "PSNR {p:.1} dB");
    }
}

#[wasm_bindgen_test]
fn force_keyframe_makes_the_next_frame_an_idr() {
    // ForceIntraFrame's C++ signature differs from the generated C vtable
    // type; a wrong call traps in wasm.
    let mut enc = Encoder::new(config("")).unwrap();
    let mut types = Vec::new();
    for i in 0..6 {
        if i == 3 {
            enc.force_keyframe().unwrap();
        }
        types.push(enc.encode(&frame(i), i as f64 * 33_333.0).unwrap().unwrap().keyframe());
    }
    assert_eq!(types, [true, false, false, true, false, false]);
}

#[wasm_bindgen_test]
fn main_profile_avc_output_decodes_through_avcc() {
    let mut enc = Encoder::new(config(r#","profile":"main","format":"avc""#)).unwrap();
    let mut dec = Decoder::new().unwrap();
    let first = enc.encode(&frame(0), 0.0).unwrap().unwrap();
    assert!(first.codec().starts_with("avc1.4d"), "{}", first.codec());
    dec.configure(&first.avcc()).unwrap();
    let mut n = dec.decode(&first.data(), 0.0).unwrap().into_iter().count();
    for i in 1..5 {
        let c = enc.encode(&frame(i), i as f64 * 33_333.0).unwrap().unwrap();
        n += dec.decode(&c.data(), c.timestamp()).unwrap().into_iter().count();
    }
    n += dec.flush().unwrap().len();
    assert_eq!(n, 5);
}

#[wasm_bindgen_test]
fn config_errors_are_js_errors_with_code_and_field() {
    let field_of = |e: &JsValue| js_sys::Reflect::get(e, &"field".into()).unwrap().as_string();
    let code_of = |e: &JsValue| js_sys::Reflect::get(e, &"code".into()).unwrap().as_string();
    let msg_of = |e: &JsValue| js_sys::Error::from(e.clone()).message().as_string().unwrap();

    let e = Encoder::new(js_sys::JSON::parse(r#"{"width":1281,"height":720}"#).unwrap()).err().unwrap();
    assert_eq!(msg_of(&e), "width must be an even number from 16 to 4096, got 1281");
    assert_eq!(code_of(&e).as_deref(), Some("invalid-config"));
    assert_eq!(field_of(&e).as_deref(), Some("width"));

    let e = Encoder::new(config(r#","frameRate":"fast""#)).err().unwrap();
    assert_eq!(field_of(&e).as_deref(), Some("frameRate"));
    assert!(msg_of(&e).contains("invalid type"), "{}", msg_of(&e));

    let e = Encoder::new(config(r#","bitRate":5"#)).err().unwrap();
    assert!(msg_of(&e).contains("unknown field `bitRate`"), "{}", msg_of(&e));

    let e = Encoder::new(config(r#","profile":"extended""#)).err().unwrap();
    assert_eq!(field_of(&e).as_deref(), Some("profile"));
}

#[wasm_bindgen_test]
fn bad_frames_and_bad_bitstreams_are_typed_errors() {
    let code_of = |e: &JsValue| js_sys::Reflect::get(e, &"code".into()).unwrap().as_string();
    let mut enc = Encoder::new(config("")).unwrap();
    let e = enc.encode(&[0u8; 100], 0.0).err().unwrap();
    assert_eq!(code_of(&e).as_deref(), Some("invalid-frame"));
    let e = enc.encode(&frame(0), f64::NAN).err().unwrap();
    assert_eq!(code_of(&e).as_deref(), Some("invalid-frame"));
    // Still usable.
    assert!(enc.encode(&frame(0), 0.0).unwrap().is_some());

    let mut dec = Decoder::new().unwrap();
    let e = dec.decode(b"not h264", 0.0).err().unwrap();
    assert_eq!(code_of(&e).as_deref(), Some("decode-error"));
    let e = dec.decode(&[0, 0, 0, 1, 0x65, 0x88, 0x80, 0x10], 0.0).err().unwrap();
    assert_eq!(code_of(&e).as_deref(), Some("decode-error"));
}

#[wasm_bindgen_test]
fn build_info_names_the_wasm_build() {
    let info = framecast::web::build_info();
    let build = js_sys::Reflect::get(&info, &"openh264".into()).unwrap().as_string().unwrap();
    assert!(build.starts_with("wasm"), "{build}");
}

//! wasm-bindgen tests of the muxing and playlist bindings (`Muxer`,
//! `hlsMediaPlaylist`, `hlsMultivariantPlaylist`, `dashMpd`), run in Node
//! and in headless Chromium like `tests/web.rs`.
#![cfg(target_arch = "wasm32")]

use framecast::web::{dash_mpd, hls_media_playlist, hls_multivariant_playlist, EncodedChunk, Encoder, Muxer};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

const W: u32 = 320;
const H: u32 = 240;
const FRAME_US: f64 = 1e6 / 30.0;

fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &key.into()).unwrap()
}

fn num(o: &JsValue, key: &str) -> f64 {
    get(o, key).as_f64().unwrap_or_else(|| panic!("{key} is not a number"))
}

fn string(o: &JsValue, key: &str) -> String {
    get(o, key).as_string().unwrap_or_else(|| panic!("{key} is not a string"))
}

fn bytes(o: &JsValue, key: &str) -> Vec<u8> {
    Uint8Array::from(get(o, key)).to_vec()
}

fn ids(o: &JsValue) -> Vec<u32> {
    Array::from(&get(o, "trackIds")).iter().map(|v| v.as_f64().unwrap() as u32).collect()
}

fn code_field(e: &JsValue) -> (Option<String>, Option<String>) {
    (get(e, "code").as_string(), get(e, "field").as_string())
}

/// A moving pattern, so that P-frames are not empty.
fn frame(i: u32) -> Vec<u8> {
    let (w, h) = (W as usize, H as usize);
    let mut f = vec![128u8; w * h * 3 / 2];
    for y in 0..h {
        for x in 0..w {
            f[y * w + x] = ((x + 2 * y + 5 * i as usize) % 200) as u8 + 20;
        }
    }
    f
}

/// 60 frames (2 s at 30 fps) from the framecast encoder, IDR every 30.
fn encode(format: &str) -> Vec<EncodedChunk> {
    let config = format!(r#"{{"width":{W},"height":{H},"bitrate":400000,"keyframeInterval":30,"format":"{format}"}}"#);
    let mut enc = Encoder::new(js(&config)).unwrap();
    (0..60).map(|i| enc.encode(&frame(i), (i as f64 * FRAME_US).round()).unwrap().expect("a chunk per frame")).collect()
}

/// A `MuxerConfig` with one AVC track (id 1) and `extra` top-level fields.
fn video_config(avcc: &[u8], extra: &str) -> JsValue {
    let config = js(&format!(r#"{{"tracks":[{{"id":1,"kind":"video","codec":"avc"}}]{extra}}}"#));
    let track = Array::from(&get(&config, "tracks")).get(0);
    Reflect::set(&track, &"description".into(), &Uint8Array::from(avcc)).unwrap();
    config
}

/// A plain `MuxerSample`.
fn sample(data: &[u8], timestamp: f64, duration: Option<f64>, keyframe: bool) -> JsValue {
    let o = Object::new();
    Reflect::set(&o, &"data".into(), &Uint8Array::from(data)).unwrap();
    Reflect::set(&o, &"timestamp".into(), &timestamp.into()).unwrap();
    if let Some(d) = duration {
        Reflect::set(&o, &"duration".into(), &d.into()).unwrap();
    }
    Reflect::set(&o, &"keyframe".into(), &keyframe.into()).unwrap();
    o.into()
}

/// Pushes all chunks as plain samples (the last with its duration), then
/// finishes; returns every event.
fn mux(muxer: &mut Muxer, chunks: &[EncodedChunk]) -> Vec<JsValue> {
    let mut events = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let duration = (i + 1 == chunks.len()).then_some(FRAME_US.round());
        events.extend(muxer.push(1.0, sample(&c.data(), c.timestamp(), duration, c.keyframe())).unwrap().iter());
    }
    events.extend(muxer.finish().unwrap().iter());
    events
}

fn of_type<'a>(events: &'a [JsValue], t: &str) -> Vec<&'a JsValue> {
    events.iter().filter(|e| string(e, "type") == t).collect()
}

#[wasm_bindgen_test]
fn muxes_encoder_output_into_an_init_segment_and_fragments_at_keyframes() {
    let chunks = encode("avc");
    let keys: Vec<usize> = chunks.iter().enumerate().filter(|(_, c)| c.keyframe()).map(|(i, _)| i).collect();
    assert_eq!(keys, [0, 30]);
    let codec = chunks[0].codec();
    let mut muxer = Muxer::new(video_config(&chunks[0].avcc(), r#","fragmentDuration":1000"#)).unwrap();
    assert_eq!(muxer.codecs(), vec![codec.clone()], "derived from the avcC's SPS");
    assert!(muxer.bandwidth(1.0).unwrap().is_undefined(), "no fragment yet");

    let events = mux(&mut muxer, &chunks);
    let types: Vec<String> = events.iter().map(|e| string(e, "type")).collect();
    assert_eq!(types, ["init", "fragment", "fragment"]);

    let init = &events[0];
    assert_eq!(ids(init), [1]);
    assert_eq!(Array::from(&get(init, "codecs")).get(0).as_string(), Some(codec));
    let init_bytes = bytes(init, "bytes");
    assert_eq!(&init_bytes[4..8], b"ftyp");
    assert!(init_bytes.windows(4).any(|w| w == b"avcC"));

    let fragments = of_type(&events, "fragment");
    let sample_bytes: usize = chunks.iter().map(|c| c.byte_length()).sum();
    let mut fragment_bytes = 0;
    for (n, f) in fragments.iter().enumerate() {
        assert_eq!(num(f, "sequenceNumber"), n as f64 + 1.0);
        assert_eq!(num(f, "start"), n as f64 * 1_000_000.0, "µs, at the keyframe");
        assert_eq!(num(f, "duration"), 1_000_000.0, "30 frames in µs");
        assert_eq!(
            (num(f, "timescale"), num(f, "startTicks"), num(f, "durationTicks")),
            (90_000.0, n as f64 * 90_000.0, 90_000.0)
        );
        assert_eq!(get(f, "keyframe").as_bool(), Some(true));
        assert_eq!(Array::from(&get(f, "parts")).length(), 0);
        let b = bytes(f, "bytes");
        assert_eq!(&b[4..8], b"moof");
        fragment_bytes += b.len();
    }
    assert!(fragment_bytes > sample_bytes, "every sample byte is in an mdat");
    let bw = muxer.bandwidth(1.0).unwrap();
    let expected = (fragment_bytes as f64 * 8.0 / 2.0).ceil();
    assert_eq!(num(&bw, "average"), expected);
    assert!(num(&bw, "peak") >= num(&bw, "average"));

    // Finished: no more input.
    let e = muxer.push(1.0, sample(&chunks[0].data(), 3e6, None, true)).err().unwrap();
    assert_eq!(code_field(&e).0.as_deref(), Some("invalid-state"));
}

#[wasm_bindgen_test]
fn parts_and_encoded_chunks_as_they_come() {
    let chunks = encode("avc");
    let avcc = chunks[0].avcc();
    let mut muxer = Muxer::new(video_config(&avcc, r#","fragmentDuration":1000,"partDuration":500"#)).unwrap();
    // framecast's own EncodedChunk objects are accepted as is (data,
    // timestamp, keyframe getters); the last sample lasts one interval.
    let mut events = Vec::new();
    for c in chunks {
        events.extend(muxer.push(1.0, JsValue::from(c)).unwrap().iter());
    }
    events.extend(muxer.finish().unwrap().iter());
    let parts = of_type(&events, "part");
    let summary: Vec<(f64, f64, bool, f64)> = parts
        .iter()
        .map(|p| {
            (num(p, "sequenceNumber"), num(p, "index"), get(p, "independent").as_bool().unwrap(), num(p, "duration"))
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1.0, 0.0, true, 500_000.0),
            (1.0, 1.0, false, 500_000.0),
            (2.0, 0.0, true, 500_000.0),
            (2.0, 1.0, false, 500_000.0)
        ]
    );
    for f in of_type(&events, "fragment") {
        let info = Array::from(&get(f, "parts"));
        assert_eq!(info.length(), 2);
        let total: f64 = info.iter().map(|p| num(&p, "length")).sum();
        assert_eq!(total as usize, bytes(f, "bytes").len());
        let first_part = parts.iter().find(|p| num(p, "sequenceNumber") == num(f, "sequenceNumber")).unwrap();
        assert_eq!(bytes(first_part, "bytes"), bytes(f, "bytes")[..num(&info.get(0), "length") as usize]);
    }
}

/// A WebCodecs `EncodedVideoChunk` where the runtime has one (Chromium),
/// else a look-alike with the same `copyTo`/`byteLength`/`type` surface
/// (Node): no `data` property, `duration` null.
fn webcodecs_chunk(c: &EncodedChunk) -> JsValue {
    let ctor = get(&js_sys::global(), "EncodedVideoChunk");
    let init = Object::new();
    Reflect::set(&init, &"type".into(), &c.chunk_type().into()).unwrap();
    Reflect::set(&init, &"timestamp".into(), &c.timestamp().into()).unwrap();
    Reflect::set(&init, &"data".into(), &Uint8Array::from(&c.data()[..])).unwrap();
    if let Some(ctor) = ctor.dyn_ref::<js_sys::Function>() {
        return Reflect::construct(ctor, &Array::of1(&init)).unwrap();
    }
    let copy_to = js_sys::Function::new_with_args("dst", "dst.set(this._bytes)");
    let bytes = get(&init, "data");
    Reflect::set(&init, &"_bytes".into(), &bytes).unwrap();
    Reflect::delete_property(&init, &"data".into()).unwrap();
    Reflect::set(&init, &"byteLength".into(), &get(&bytes, "byteLength")).unwrap();
    Reflect::set(&init, &"duration".into(), &JsValue::NULL).unwrap();
    Reflect::set(&init, &"copyTo".into(), &copy_to).unwrap();
    init.into()
}

#[wasm_bindgen_test]
fn webcodecs_chunks_give_the_same_fragments_as_plain_samples() {
    let chunks = encode("avc");
    let mut plain = Muxer::new(video_config(&chunks[0].avcc(), "")).unwrap();
    let expected = mux(&mut plain, &chunks);
    let mut muxer = Muxer::new(video_config(&chunks[0].avcc(), "")).unwrap();
    let mut events = Vec::new();
    for c in &chunks {
        events.extend(muxer.push(1.0, webcodecs_chunk(c)).unwrap().iter());
    }
    events.extend(muxer.finish().unwrap().iter());
    assert_eq!(events.len(), expected.len());
    for (a, b) in events.iter().zip(&expected) {
        assert_eq!(bytes(a, "bytes"), bytes(b, "bytes"));
    }
}

#[wasm_bindgen_test]
fn annex_b_samples_are_converted_to_the_same_fragments() {
    let avc = encode("avc");
    let annex_b = encode("annexb");
    assert_eq!(&annex_b[0].data()[..4], &[0, 0, 0, 1]);
    let mut a = Muxer::new(video_config(&avc[0].avcc(), "")).unwrap();
    let mut b = Muxer::new(video_config(&annex_b[0].avcc(), "")).unwrap();
    let ea = mux(&mut a, &avc);
    let eb = mux(&mut b, &annex_b);
    assert_eq!(ea.len(), eb.len());
    for (x, y) in ea.iter().zip(&eb) {
        assert_eq!(bytes(x, "bytes"), bytes(y, "bytes"), "SPS/PPS dropped, start codes replaced by lengths");
    }
}

#[wasm_bindgen_test]
fn audio_and_video_per_track_and_muxed() {
    let chunks = encode("avc");
    for mode in ["per-track", "muxed"] {
        let config = video_config(&chunks[0].avcc(), &format!(r#","fragmentDuration":1000,"mode":"{mode}""#));
        let audio = js(r#"{"id":2,"kind":"audio","codec":"mp4a.40.2","sampleRate":48000,"channels":2}"#);
        Reflect::set(&audio, &"description".into(), &Uint8Array::from(&[0x11u8, 0x90][..])).unwrap();
        get(&config, "tracks").unchecked_into::<Array>().push(&audio);
        let mut muxer = Muxer::new(config).unwrap();
        assert_eq!(muxer.codecs()[1], "mp4a.40.2");
        let mut events = Vec::new();
        let mut next_audio = 0u32;
        for c in &chunks {
            // AAC frames (1024 samples at 48 kHz) up to this video time; WebCodecs-style
            // `type` instead of `keyframe`.
            while (next_audio as f64 * 1024.0 / 48_000.0 * 1e6).round() <= c.timestamp() {
                let a = Object::new();
                Reflect::set(&a, &"data".into(), &Uint8Array::from(&[0x21u8; 300][..])).unwrap();
                Reflect::set(&a, &"timestamp".into(), &(next_audio as f64 * 1024.0 / 0.048).round().into()).unwrap();
                Reflect::set(&a, &"type".into(), &"key".into()).unwrap();
                events.extend(muxer.push(2.0, a.into()).unwrap().iter());
                next_audio += 1;
            }
            events.extend(muxer.push(1.0, sample(&c.data(), c.timestamp(), None, c.keyframe())).unwrap().iter());
        }
        events.extend(muxer.finish().unwrap().iter());
        let inits = of_type(&events, "init");
        let fragments = of_type(&events, "fragment");
        if mode == "per-track" {
            assert_eq!(inits.iter().map(|i| ids(i)).collect::<Vec<_>>(), [vec![1], vec![2]]);
            let seqs: Vec<(Vec<u32>, f64)> = fragments.iter().map(|f| (ids(f), num(f, "sequenceNumber"))).collect();
            assert_eq!(seqs.iter().filter(|(t, _)| t == &[2]).map(|(_, s)| *s).collect::<Vec<_>>(), [1.0, 2.0]);
            let audio = fragments.iter().find(|f| ids(f) == [2]).unwrap();
            assert_eq!(num(audio, "timescale"), 48_000.0);
        } else {
            assert_eq!(inits.len(), 1);
            assert_eq!(ids(inits[0]), [1, 2]);
            assert_eq!(fragments.len(), 2);
            assert_eq!(ids(fragments[0]), [1, 2]);
        }
    }
}

#[wasm_bindgen_test]
fn playlists_render_from_fragment_events_with_derived_codecs() {
    let chunks = encode("avc");
    let mut muxer = Muxer::new(video_config(&chunks[0].avcc(), r#","fragmentDuration":1000"#)).unwrap();
    let events = mux(&mut muxer, &chunks);
    let codec = muxer.codecs()[0].clone();
    let segments: Vec<String> = of_type(&events, "fragment")
        .iter()
        .map(|f| {
            let seq = num(f, "sequenceNumber");
            format!(
                r#"{{"sequence":{seq},"start":{},"duration":{},"uri":"v/{seq}.m4s","bytes":{}}}"#,
                num(f, "start"),
                num(f, "duration"),
                bytes(f, "bytes").len()
            )
        })
        .collect();
    let segments = segments.join(",");

    let hls = hls_media_playlist(js(&format!(r#"{{"init":"v/init.mp4","segments":[{segments}]}}"#))).unwrap();
    assert!(hls.contains("#EXT-X-PLAYLIST-TYPE:VOD\n"), "{hls}");
    assert!(hls.contains("#EXT-X-MAP:URI=\"v/init.mp4\"\n"), "{hls}");
    assert!(hls.contains("#EXTINF:1.000,\nv/1.m4s\n#EXTINF:1.000,\nv/2.m4s\n#EXT-X-ENDLIST\n"), "{hls}");

    let live = hls_media_playlist(js(&format!(
        r#"{{"init":"v/init.mp4","kind":"live","window":1,"targetDuration":1,"segments":[{segments}]}}"#
    )))
    .unwrap();
    assert!(!live.contains("ENDLIST") && live.contains("#EXT-X-MEDIA-SEQUENCE:"), "{live}");

    let bw = muxer.bandwidth(1.0).unwrap();
    let master = hls_multivariant_playlist(js(&format!(
        r#"{{"variants":[{{"uri":"v.m3u8","bandwidth":{},"averageBandwidth":{},"codecs":["{codec}"],"resolution":{{"width":{W},"height":{H}}},"frameRate":30}}]}}"#,
        num(&bw, "peak"),
        num(&bw, "average")
    )))
    .unwrap();
    assert!(master.contains(&format!("CODECS=\"{codec}\"")), "{master}");
    assert!(master.contains("RESOLUTION=320x240,FRAME-RATE=30.000"), "{master}");

    let mpd = dash_mpd(js(&format!(
        r#"{{"adaptationSets":[{{"representations":[{{"id":"v","codecs":"{codec}","width":{W},"height":{H},"init":"v/init.mp4","media":"v/$Number$.m4s","segments":[{segments}]}}]}}]}}"#
    )))
    .unwrap();
    assert!(mpd.contains(&format!("codecs=\"{codec}\"")), "{mpd}");
    assert!(mpd.contains(r#"<S t="0" d="1000000" r="1"/>"#), "{mpd}");
    assert!(mpd.contains(r#"timescale="1000000""#), "{mpd}");
}

#[wasm_bindgen_test]
fn bad_configs_are_invalid_config_errors_naming_the_field() {
    let avcc = encode("avc")[0].avcc();
    let cases: Vec<(JsValue, &str)> = vec![
        (js(r#"{"tracks":[{"id":1,"kind":"video","codec":"avc"}]}"#), "tracks[0].description"),
        (js(r#"{"tracks":[{"id":1,"kind":"video","codec":"vp9"}]}"#), "tracks[0].codec"),
        (js(r#"{"tracks":[{"id":1,"kind":"audio","codec":"aac"}]}"#), "tracks[0].description"),
        (js(r#"{"tracks":[{"id":1,"kind":"audio","codec":"opus"}]}"#), "tracks[0].channels"),
        (js(r#"{"tracks":[{"id":"one","kind":"video","codec":"avc"}]}"#), "tracks[0].id"),
        (js(r#"{"tracks":[]}"#), "tracks"),
        (video_config(&avcc, r#","fragmentDuration":-5"#), "fragmentDuration"),
        (video_config(&avcc, r#","partDuration":5000"#), "partDuration"),
        (video_config(&avcc, r#","mode":"interleaved""#), "mode"),
        (video_config(&[1, 2, 3], ""), "tracks[0].description"),
    ];
    for (config, field) in cases {
        let e = Muxer::new(config).err().unwrap();
        assert_eq!(code_field(&e), (Some("invalid-config".into()), Some(field.into())), "{e:?}");
    }
    let mismatched = video_config(&avcc, "");
    Reflect::set(&Array::from(&get(&mismatched, "tracks")).get(0), &"kind".into(), &"audio".into()).unwrap();
    assert_eq!(code_field(&Muxer::new(mismatched).err().unwrap()).1.as_deref(), Some("tracks[0].kind"));
    let e = Muxer::new(video_config(&avcc, r#","fragmentLength":2"#)).err().unwrap();
    assert!(js_sys::Error::from(e).message().as_string().unwrap().contains("unknown field `fragmentLength`"));
}

#[wasm_bindgen_test]
fn bad_samples_are_errors_and_leave_the_muxer_usable() {
    let chunks = encode("avc");
    let mut muxer = Muxer::new(video_config(&chunks[0].avcc(), "")).unwrap();
    let data = chunks[0].data();
    let expect = |r: Result<Array, JsValue>, code: &str, field: &str| {
        let e = r.err().unwrap_or_else(|| panic!("no error for {field}"));
        assert_eq!(code_field(&e), (Some(code.into()), Some(field.into())), "{e:?}");
    };
    expect(muxer.push(7.0, sample(&data, 0.0, None, true)), "invalid-frame", "trackId");
    expect(muxer.push(1.0, sample(b"\x12\x34 not h264", 0.0, None, true)), "invalid-frame", "data");
    expect(muxer.push(1.0, sample(&[], 0.0, None, true)), "invalid-frame", "data");
    expect(muxer.push(1.0, sample(&data, f64::NAN, None, true)), "invalid-frame", "timestamp");
    expect(muxer.push(1.0, sample(&data, -1.0, None, true)), "invalid-frame", "timestamp");
    expect(muxer.push(1.0, sample(&data, 0.0, Some(-5.0), true)), "invalid-frame", "duration");
    expect(muxer.push(1.0, js(r#"{"data":[1,2,3],"timestamp":0,"keyframe":true}"#)), "invalid-frame", "data");
    let no_flag = sample(&data, 0.0, None, true);
    Reflect::delete_property(no_flag.unchecked_ref::<Object>(), &"keyframe".into()).unwrap();
    expect(muxer.push(1.0, no_flag), "invalid-frame", "keyframe");
    expect(muxer.push(1.0, sample(&chunks[1].data(), 0.0, None, false)), "invalid-frame", "keyframe");
    // Nothing was consumed: the stream still starts here.
    assert_eq!(muxer.push(1.0, sample(&data, 0.0, None, true)).unwrap().length(), 1, "the init event");
    expect(muxer.push(1.0, sample(&chunks[1].data(), 0.0, None, false)), "invalid-frame", "timestamp");
    assert_eq!(muxer.push(1.0, sample(&chunks[1].data(), FRAME_US, None, false)).unwrap().length(), 0);
    assert_eq!(muxer.finish().unwrap().length(), 1);
}

#[wasm_bindgen_test]
fn bad_playlist_input_is_a_playlist_error_naming_the_segment() {
    let seg =
        |seq: u32, start: u32| format!(r#"{{"sequence":{seq},"start":{start},"duration":2000000,"uri":"s{seq}.m4s"}}"#);
    let e = hls_media_playlist(js(&format!(r#"{{"segments":[{},{}]}}"#, seg(1, 0), seg(3, 2_000_000)))).err().unwrap();
    assert_eq!(code_field(&e), (Some("playlist-error".into()), Some("segments[1].sequence".into())));
    let e = hls_media_playlist(js(&format!(r#"{{"segments":[{},{}]}}"#, seg(1, 0), seg(2, 1_000_000)))).err().unwrap();
    assert_eq!(code_field(&e), (Some("playlist-error".into()), Some("segments[1].start".into())));
    let e = hls_media_playlist(js(r#"{"segments":[],"kind":"weekly"}"#)).err().unwrap();
    assert_eq!(code_field(&e), (Some("invalid-config".into()), Some("kind".into())));
    let e = hls_media_playlist(js(r#"{"segments":[]}"#)).err().unwrap();
    assert_eq!(code_field(&e).0.as_deref(), Some("playlist-error"));
    let e = hls_multivariant_playlist(js(r#"{"variants":[{"uri":"v.m3u8","bandwidth":0,"codecs":["avc1.42c00d"]}]}"#))
        .err()
        .unwrap();
    assert_eq!(code_field(&e), (Some("playlist-error".into()), Some("variants.bandwidth".into())));
    let e = dash_mpd(js(r#"{"type":"dynamic","adaptationSets":[]}"#)).err().unwrap();
    assert_eq!(code_field(&e), (Some("invalid-config".into()), Some("availabilityStartTime".into())));
    let rep = |segments: String| {
        format!(
            r#"{{"adaptationSets":[{{"representations":[{{"id":"a","codecs":"mp4a.40.2","sampleRate":48000,"channels":2,"bandwidth":128000,"init":"a/init.mp4","media":"s$Number$.m4s","segments":[{segments}]}}]}}]}}"#
        )
    };
    let e = dash_mpd(js(&rep(format!("{},{}", seg(1, 0), seg(1, 2_000_000))))).err().unwrap();
    assert_eq!(
        code_field(&e),
        (Some("playlist-error".into()), Some("adaptationSets[0].representations[0].segments[1].sequence".into()))
    );
    dash_mpd(js(&rep(format!("{},{}", seg(1, 0), seg(2, 2_000_000))))).unwrap();
}

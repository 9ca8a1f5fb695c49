//! Validation rules one by one, error collection, worked geometry
//! examples, watermark placement, and generated hostile inputs.

use serde_json::{json, Value};

use super::*;
use crate::xorshift::XorShift;

/// A valid preset touching every section.
fn base() -> Value {
    json!({
        "id": "test-preset", "name": "Test", "container": "mp4",
        "video": {
            "codecOptions": {"profile": "main", "level": "3.1", "maxReferenceFrames": 3, "maxBitRate": 3000},
            "keyframesMaxDist": 90, "fixedGop": true, "bitRate": 2400, "frameRate": 30,
            "maxWidth": 1280, "maxHeight": 720, "sizingPolicy": "Fit", "paddingPolicy": "Pad",
            "displayAspectRatio": "16:9"
        },
        "audio": {"codec": "AAC", "sampleRate": 48000, "bitRate": 128, "channels": 2, "codecOptions": {"profile": "AAC-LC"}},
        "thumbnails": {"format": "jpg", "interval": 10, "maxWidth": 320, "maxHeight": 180},
        "watermarks": [{
            "id": "logo", "maxWidth": "20%", "maxHeight": "64px", "horizontalAlign": "Right", "horizontalOffset": "16px",
            "verticalAlign": "Bottom", "verticalOffset": "5%", "opacity": 80, "target": "Frame"
        }]
    })
}

/// `base()` with each `(pointer, value)` set (`Value::Null` with a
/// pointer ending in `!` removes the field instead).
fn patched(patches: &[(&str, Value)]) -> Value {
    let mut v = base();
    for (pointer, value) in patches {
        let (remove, pointer) = match pointer.strip_suffix('!') {
            Some(p) => (true, p),
            None => (false, *pointer),
        };
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = v.pointer_mut(parent).unwrap_or_else(|| panic!("no {parent}"));
        match parent {
            Value::Object(map) if remove => {
                map.remove(key);
            }
            Value::Object(map) => {
                map.insert(key.to_owned(), value.clone());
            }
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = value.clone(),
            _ => panic!("{pointer}"),
        }
    }
    v
}

/// The messages `from_json` gives for `base()` patched; `validate` on the
/// derived-serde reading must agree when the JSON reads at all.
fn problems(patches: &[(&str, Value)]) -> Vec<String> {
    let text = patched(patches).to_string();
    let from_json = match Preset::from_json(&text) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    };
    if let Ok(p) = serde_json::from_str::<Preset>(&text) {
        let validated: Vec<String> = p.validate().err().into_iter().flatten().map(|e| e.to_string()).collect();
        assert_eq!(validated, from_json, "validate and from_json disagree on {text}");
    }
    from_json
}

#[test]
fn base_preset_is_valid() {
    assert_eq!(problems(&[]), Vec::<String>::new());
}

#[test]
fn each_rule_names_field_range_and_value() {
    let long = "x".repeat(256);
    let cases: Vec<(Vec<(&str, Value)>, &str)> = vec![
        (vec![("/id", json!("has space"))], r#"id must be 1 to 64 letters, digits, '-', '_' or '.', got "has space""#),
        (vec![("/name", json!(""))], "name must be 1 to 40 characters, got 0 characters"),
        (vec![("/description", json!(long))], "description must be at most 255 characters, got 256 characters"),
        (vec![("/video/codecOptions/maxReferenceFrames", json!(17))], "video.codecOptions.maxReferenceFrames must be a number of frames from 0 to 16, got 17"),
        (vec![("/video/codecOptions/maxBitRate", json!("62501"))], "video.codecOptions.maxBitRate must be a number of kbit/s from 16 to 62500, got 62501"),
        (vec![("/video/codecOptions/maxBitRate", json!(2000))], "video.codecOptions.maxBitRate must be at least video.bitRate (2400), got 2000"),
        (vec![("/video/codecOptions/bufferSize", json!(0))], "video.codecOptions.bufferSize must be a number of kbit, at least 1, got 0"),
        (vec![("/video/codecOptions/level", json!("2.1"))], "video.codecOptions.level must be at least 3.1 for 1280x720 at 30 fps (H.264 Table A-1), got 2.1"),
        (vec![("/video/keyframesMaxDist", json!(0))], "video.keyframesMaxDist must be a number of frames from 1 to 100000, got 0"),
        (vec![("/video/bitRate", json!(10))], "video.bitRate must be \"auto\" or a number of kbit/s from 16 to 62500, got 10"),
        (vec![("/video/frameRate", json!(12.5))], "video.frameRate must be \"auto\", a whole number from 1 to 120, or 23.976, 29.97 or 59.94, got 12.5"),
        (vec![("/video/frameRate", json!("121"))], "video.frameRate must be \"auto\", a whole number from 1 to 120, or 23.976, 29.97 or 59.94, got 121"),
        (vec![("/video/maxFrameRate", json!(60))], "video.maxFrameRate must be absent when video.frameRate is not \"auto\" (it caps \"auto\" only), got 60"),
        (vec![("/video/frameRate", json!("auto")), ("/video/maxFrameRate", json!(0))], "video.maxFrameRate must be a whole number from 1 to 120, or 23.976, 29.97 or 59.94, got 0"),
        (vec![("/video/maxWidth", json!(4097))], "video.maxWidth must be an even number from 128 to 4096 (or \"auto\"), got 4097"),
        (vec![("/video/maxHeight", json!(94))], "video.maxHeight must be an even number from 96 to 3072 (or \"auto\"), got 94"),
        (vec![("/container", json!("fmp4")), ("/video/fixedGop", json!("false"))], "video.fixedGop must be true for container fmp4 (every fragment starts with a keyframe), got false"),
        (vec![("/audio/bitRate", json!(500))], "audio.bitRate must be a number of kbit/s from 16 to 320 for AAC, got 500"),
        (vec![("/audio/bitRate!", Value::Null)], "audio.bitRate must be given for AAC (kbit/s), got nothing"),
        (vec![("/audio/sampleRate", json!(8000))], "audio.sampleRate must be \"auto\" or one of 22050, 32000, 44100, 48000, 96000, 192000, got 8000"),
        (vec![("/audio/sampleRate", json!(192_000))], "audio.sampleRate must be at most 96000 for AAC, got 192000"),
        (vec![("/audio/codec", json!("opus")), ("/audio/codecOptions!", Value::Null), ("/audio/sampleRate", json!(44_100))], "audio.sampleRate must be 48000 (or \"auto\") for opus, got 44100"),
        (vec![("/audio/codec", json!("opus")), ("/audio/codecOptions!", Value::Null), ("/audio/bitRate", json!(5))], "audio.bitRate must be a number of kbit/s from 6 to 510 for opus, got 5"),
        (vec![("/container", json!("mp3")), ("/video!", Value::Null), ("/thumbnails!", Value::Null), ("/watermarks!", Value::Null), ("/audio/codec", json!("mp3")), ("/audio/codecOptions!", Value::Null), ("/audio/sampleRate", json!(96_000))], "audio.sampleRate must be at most 48000 for mp3, got 96000"),
        (vec![("/audio/codecOptions/profile", json!("HE-AACv2")), ("/audio/channels", json!("1"))], "audio.channels must be 2 or \"auto\" with HE-AACv2 (parametric stereo), got 1"),
        (vec![("/audio/codecOptions/bitDepth", json!(16))], "audio.codecOptions.bitDepth must be absent for AAC (flac and pcm only), got 16"),
        (vec![("/audio/codec", json!("flac")), ("/audio/codecOptions", json!({"bitDepth": 20})), ("/audio/bitRate!", Value::Null)], "audio.codecOptions.bitDepth must be 16 or 24, got 20"),
        (vec![("/container", json!("hls")), ("/audio/codec", json!("mp3")), ("/audio/codecOptions!", Value::Null)], "audio.codec must be AAC, opus or flac for container hls (what it carries), got mp3"),
        (vec![("/thumbnails/interval", json!("0"))], "thumbnails.interval must be a number of seconds from 1 to 99999, got 0"),
        (vec![("/thumbnails/maxWidth", json!(30))], "thumbnails.maxWidth must be an even number from 32 to 4096 (or \"auto\"), got 30"),
        (vec![("/thumbnails/maxHeight", json!(3074))], "thumbnails.maxHeight must be an even number from 32 to 3072 (or \"auto\"), got 3074"),
        (vec![("/watermarks/0/id", json!(""))], "watermarks[0].id must be 1 to 40 characters, got 0 characters"),
        (vec![("/watermarks/0/maxWidth", json!("2000px"))], "watermarks[0].maxWidth must be 16px to 1280px (video.maxWidth) or 0% to 100%, got 2000px"),
        (vec![("/watermarks/0/maxWidth", json!(8))], "watermarks[0].maxWidth must be 16px to 1280px (video.maxWidth) or 0% to 100%, got 8px"),
        (vec![("/watermarks/0/maxHeight", json!("150%"))], "watermarks[0].maxHeight must be 16px to 720px (video.maxHeight) or 0% to 100%, got 150%"),
        (vec![("/watermarks/0/horizontalOffset", json!("1281px"))], "watermarks[0].horizontalOffset must be 0px to 1280px (video.maxWidth) or 0% to 100%, got 1281px"),
        (vec![("/watermarks/0/horizontalAlign", json!("Center"))], "watermarks[0].horizontalOffset must be 0 with horizontalAlign Center (offsets apply to the edges only), got 16px"),
        (vec![("/watermarks/0/verticalAlign", json!("Center"))], "watermarks[0].verticalOffset must be 0 with verticalAlign Center (offsets apply to the edges only), got 5%"),
        (vec![("/watermarks/0/opacity", json!("100.5"))], "watermarks[0].opacity must be a number from 0 to 100, got 100.5"),
    ];
    for (patches, expected) in &cases {
        assert_eq!(problems(patches), [*expected], "{patches:?}");
    }
}

#[test]
fn rules_between_sections() {
    let logo = |id: &str| json!({"id": id});
    assert_eq!(
        problems(&[("/watermarks", json!([logo("a"), logo("b"), logo("a"), logo("c"), logo("d")]))]),
        [
            "watermarks must be at most 4 watermarks, got 5",
            "watermarks[2].id must be unique (watermarks[0] has the same id), got \"a\""
        ]
    );
    assert_eq!(
        problems(&[("/video!", Value::Null)]),
        [
            "thumbnails must be absent without video (thumbnails are taken from the video), got thumbnails",
            "watermarks must be empty without video (watermarks are drawn on the video), got a list of 1",
        ]
    );
    assert_eq!(
        problems(&[
            ("/video!", Value::Null),
            ("/audio", Value::Null),
            ("/thumbnails!", Value::Null),
            ("/watermarks", json!([]))
        ]),
        ["video must be given, or audio given (a preset produces video, audio or both), got neither"]
    );
    // Without video, watermark pixel lengths are bounded by the largest
    // video size rather than reported twice.
    assert_eq!(
        problems(&[
            ("/video!", Value::Null),
            ("/thumbnails!", Value::Null),
            ("/watermarks/0/maxWidth", json!("4000px"))
        ])
        .len(),
        1
    );
    // A lossless codec: the bit rate and the AAC profile both conflict.
    assert_eq!(
        problems(&[("/audio/codec", json!("flac"))]),
        [
            "audio.bitRate must be absent for flac (lossless; see codecOptions.bitDepth), got 128",
            "audio.codecOptions.profile must be absent for flac (AAC only), got \"AAC-LC\"",
        ]
    );
    // Audio-only containers: no video, and only the codec they carry.
    assert_eq!(
        problems(&[("/container", json!("wav")), ("/thumbnails!", Value::Null), ("/watermarks!", Value::Null)]),
        [
            "video must be absent for container wav (it holds audio only), got video",
            "audio.codec must be pcm for container wav (what it carries), got AAC"
        ]
    );
    let audio_only = |container: &str, audio: Value| {
        problems(&[
            ("/container", json!(container)),
            ("/video!", Value::Null),
            ("/thumbnails!", Value::Null),
            ("/watermarks!", Value::Null),
            ("/audio", audio),
        ])
    };
    assert_eq!(audio_only("ogg", json!({"codec": "opus", "bitRate": 96})), Vec::<String>::new());
    assert_eq!(audio_only("oga", json!({"codec": "opus", "bitRate": 96})), Vec::<String>::new());
    assert_eq!(audio_only("flac", json!({"codec": "flac", "codecOptions": {"bitDepth": 24}})), Vec::<String>::new());
    assert_eq!(audio_only("mp4", json!({"codec": "AAC", "bitRate": 128})), Vec::<String>::new());
    assert_eq!(
        audio_only("ogg", json!({"codec": "flac"})),
        ["audio.codec must be opus for container ogg (what it carries), got flac"]
    );
    // MPEG-TS carries H.264 and AAC only, and its segments start on keyframes.
    assert_eq!(problems(&[("/container", json!("ts"))]), Vec::<String>::new());
    assert_eq!(
        problems(&[
            ("/container", json!("ts")),
            ("/audio/codec", json!("opus")),
            ("/audio/codecOptions!", Value::Null)
        ]),
        ["audio.codec must be AAC for container ts (what it carries), got opus"]
    );
    assert_eq!(
        problems(&[("/container", json!("ts")), ("/video/fixedGop", json!(false))]),
        ["video.fixedGop must be true for container ts (every fragment starts with a keyframe), got false"]
    );
    // An invalid maximum does not also produce a level complaint.
    assert_eq!(problems(&[("/video/maxWidth", json!(8192)), ("/video/codecOptions/level", json!(1))]).len(), 1);
    // With frameRate "auto" the level is checked against size alone.
    assert_eq!(
        problems(&[
            ("/video/frameRate", json!("auto")),
            ("/video/maxWidth", json!(1920)),
            ("/video/maxHeight", json!(1080))
        ]),
        ["video.codecOptions.level must be at least 4.0 for 1920x1080 (H.264 Table A-1), got 3.1"]
    );
}

#[test]
fn from_json_reports_every_section_at_once() {
    let text = patched(&[
        ("/extra", json!(1)),
        ("/name!", Value::Null),
        ("/video/sizingPolicy", json!("Fitt")),
        ("/audio/bitRate", json!("lots")),
        ("/watermarks/0/colour", json!("red")),
        ("/thumbnails/interval", json!(0)),
        ("/description", json!(["not", "text"])),
    ])
    .to_string();
    let errors = Preset::from_json(&text).unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let fields =
        "\"id\", \"name\", \"description\", \"container\", \"video\", \"audio\", \"thumbnails\", \"watermarks\"";
    assert_eq!(
        messages,
        [
            format!("extra must be a known field name (one of {fields}), got an unknown field"),
            "name must be given (it is required), got nothing".to_owned(),
            "description must be a string, got an array".to_owned(),
            "video.sizingPolicy must be one of \"Fit\", \"Fill\", \"Stretch\", \"Keep\", \"ShrinkToFit\", \"ShrinkToFill\", got \"Fitt\"".to_owned(),
            "audio.bitRate must be a whole number (a JSON number or a string of digits), got \"lots\"".to_owned(),
            messages[5].clone(),
            "thumbnails.interval must be a number of seconds from 1 to 99999, got 0".to_owned(),
        ]
    );
    assert!(
        messages[5].starts_with("watermarks[0].colour must be a known field name (one of \"id\", \"maxWidth\""),
        "{}",
        messages[5]
    );
    let kinds: Vec<&str> = errors.iter().map(|e| e.kind.code()).collect();
    assert_eq!(
        kinds,
        [
            "unknown-field",
            "missing-field",
            "wrong-type",
            "invalid-value",
            "invalid-value",
            "unknown-field",
            "invalid-value"
        ]
    );
    assert_eq!(
        (errors.as_slice()[3].field.as_str(), errors.as_slice()[3].value.as_str()),
        ("video.sizingPolicy", "\"Fitt\"")
    );
}

#[test]
fn from_json_reports_every_problem_within_a_section() {
    // Several bad fields in one section (and in one watermark): serde stops
    // at the first, the checker reads on without it.
    let text = patched(&[
        ("/video/sizingPolicy", json!("Fitt")),
        ("/video/maxWidth", json!(4097)),
        ("/video/frameRate", json!("x")),
        ("/video/codecOptions/profile", json!("extended")),
        ("/video/colour", json!("red")),
        ("/audio/bitRate", json!("lots")),
        ("/audio/channels", json!(7)),
        ("/watermarks/0/opacity", json!(140)),
        ("/watermarks/0/target", json!("Page")),
    ])
    .to_string();
    let errors = Preset::from_json(&text).unwrap_err();
    let mut fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "audio.bitRate",
            "audio.channels",
            "video.codecOptions.profile",
            "video.colour",
            "video.frameRate",
            "video.maxWidth",
            "video.sizingPolicy",
            "watermarks[0].opacity",
            "watermarks[0].target",
        ],
        "{errors}"
    );
    // A field that could not be read is reported once, not again by the
    // rules that would have needed it.
    let bit_rate: Vec<String> = errors.iter().filter(|e| e.field == "audio.bitRate").map(ToString::to_string).collect();
    assert_eq!(bit_rate, ["audio.bitRate must be a whole number (a JSON number or a string of digits), got \"lots\""]);
}

#[test]
fn from_json_refuses_non_objects_syntax_and_size() {
    let one = |text: &str| Preset::from_json(text).unwrap_err().to_string();
    assert_eq!(one("{\"name\": "), "preset must be valid JSON, got EOF while parsing a value at line 1 column 9");
    assert_eq!(one("[1]"), "preset must be a JSON object, got an array");
    assert_eq!(one("null"), "preset must be a JSON object, got null");
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(MAX_JSON_BYTES));
    assert_eq!(one(&big), format!("preset must be at most {MAX_JSON_BYTES} bytes of JSON, got {} bytes", big.len()));
    assert_eq!(Preset::from_json("{\"name\": ").unwrap_err().as_slice()[0].kind, PresetErrorKind::Syntax);
    // A broken part stops the rules between parts (here: no video, no audio).
    assert_eq!(
        one(r#"{"name": "a", "container": "mp4", "watermarks": {"id": "x"}}"#),
        "watermarks must be a sequence, got an object"
    );
    assert_eq!(
        one(r#"{"name": "a", "container": "mp4", "audio": {"codec": "AAC", "bitRate": 96}, "watermarks": null}"#),
        "watermarks must be a sequence, got null"
    );
}

#[test]
fn elastic_transcoder_style_values_read_as_numbers() {
    let p = Preset::from_json(
        r#"{"name": "ET style", "container": "mp4",
            "video": {"codec": "H.264", "codecOptions": {"profile": "baseline", "level": "3.1", "maxReferenceFrames": "3"},
                      "keyframesMaxDist": "90", "fixedGop": "false", "bitRate": "1200", "frameRate": "29.97",
                      "maxWidth": "854", "maxHeight": "480", "sizingPolicy": "ShrinkToFit", "paddingPolicy": "NoPad",
                      "displayAspectRatio": "auto"},
            "audio": {"codec": "AAC", "sampleRate": "44100", "bitRate": "128", "channels": "2", "codecOptions": {"profile": "AAC-LC"}},
            "thumbnails": {"format": "png", "interval": "60", "maxWidth": "192", "maxHeight": "108", "sizingPolicy": "ShrinkToFit", "paddingPolicy": "NoPad"},
            "watermarks": [{"id": "TopLeft", "maxWidth": "10%", "maxHeight": "10%", "sizingPolicy": "ShrinkToFit", "horizontalAlign": "Left",
                            "horizontalOffset": "10%", "verticalAlign": "Top", "verticalOffset": "10%", "opacity": "100", "target": "Content"}]}"#,
    )
    .unwrap();
    let v = p.video.as_ref().unwrap();
    assert_eq!((v.bit_rate, v.max_size(), v.keyframes_max_dist), (VideoBitRate::Kbps(1200), (854, 480), Some(90)));
    assert_eq!(p.watermarks[0].opacity, 100.0);
    // Written back with numbers, then read back the same.
    let json = p.to_json();
    assert!(
        json.contains("\"bitRate\": 1200")
            && json.contains("\"frameRate\": 29.97")
            && json.contains("\"maxWidth\": \"10%\""),
        "{json}"
    );
    assert_eq!(Preset::from_json(&json).unwrap(), p);
}

// ---- geometry: worked examples ----

fn size(w: u32, h: u32) -> Size {
    Size::new(w, h)
}

/// One worked example: source into a max box by a policy.
struct Example {
    source: (u32, u32),
    max: (u32, u32),
    sizing: SizingPolicy,
    padding: PaddingPolicy,
    crop: (u32, u32, u32, u32),
    content: (u32, u32),
    frame: (u32, u32),
    offset: (u32, u32),
    why: &'static str,
}

#[test]
fn sizing_and_padding_worked_examples() {
    use PaddingPolicy::{NoPad, Pad};
    use SizingPolicy::*;
    let ex = |source, max, sizing, padding, crop, content, frame, offset, why| Example {
        source,
        max,
        sizing,
        padding,
        crop,
        content,
        frame,
        offset,
        why,
    };
    let hd = (1280, 720);
    let examples = [
        ex((1920, 1080), hd, Fit, NoPad, (0, 0, 1920, 1080), hd, hd, (0, 0), "16:9 into 16:9 scales down exactly"),
        ex(
            (640, 480),
            hd,
            Fit,
            Pad,
            (0, 0, 640, 480),
            (960, 720),
            hd,
            (160, 0),
            "4:3 scales up to the height; 160 px bars left and right",
        ),
        ex(
            (640, 480),
            hd,
            Fit,
            NoPad,
            (0, 0, 640, 480),
            (960, 720),
            (960, 720),
            (0, 0),
            "without padding the frame is the picture",
        ),
        ex(
            (1920, 800),
            hd,
            Fit,
            NoPad,
            (0, 0, 1920, 800),
            (1280, 534),
            (1280, 534),
            (0, 0),
            "2.4:1: 800*1280/1920 = 533.3 rounds to even 534",
        ),
        ex(
            (1920, 800),
            hd,
            Fit,
            Pad,
            (0, 0, 1920, 800),
            (1280, 534),
            hd,
            (0, 92),
            "(720-534)/2 = 93 rounds down to even 92",
        ),
        ex((1000, 1), hd, Fit, NoPad, (0, 0, 1000, 1), (1280, 2), (1280, 2), (0, 0), "a scaled side is at least 2"),
        ex(
            (640, 480),
            (1281, 721),
            Fit,
            Pad,
            (0, 0, 640, 480),
            (960, 720),
            hd,
            (160, 0),
            "odd maximums count as 1280x720",
        ),
        ex(
            (640, 480),
            hd,
            Fill,
            NoPad,
            (0, 60, 640, 360),
            hd,
            hd,
            (0, 0),
            "4:3 scaled x2 to 1280x960; the middle 360 source rows are used",
        ),
        ex(
            (1440, 1080),
            hd,
            Fill,
            Pad,
            (0, 134, 1440, 810),
            hd,
            hd,
            (0, 0),
            "810 rows from (1080-810)/2 = 135, rounded down to even 134; Pad adds nothing",
        ),
        ex(
            (1080, 1920),
            hd,
            Fill,
            NoPad,
            (0, 656, 1080, 608),
            hd,
            hd,
            (0, 0),
            "portrait: 720*1080/1280 = 607.5 source rows round to even 608",
        ),
        ex((640, 480), hd, Stretch, NoPad, (0, 0, 640, 480), hd, hd, (0, 0), "4:3 distorted to 16:9"),
        ex((1920, 800), hd, Stretch, Pad, (0, 0, 1920, 800), hd, hd, (0, 0), "Stretch always fills the box"),
        ex(
            (1920, 1080),
            hd,
            Keep,
            NoPad,
            (320, 180, 1280, 720),
            hd,
            hd,
            (0, 0),
            "no scaling: the centre 1280x720 is cut out",
        ),
        ex((640, 480), hd, Keep, Pad, (0, 0, 640, 480), (640, 480), hd, (320, 120), "no scaling, centred on black"),
        ex(
            (640, 480),
            hd,
            Keep,
            NoPad,
            (0, 0, 640, 480),
            (640, 480),
            (640, 480),
            (0, 0),
            "smaller than the box: unchanged",
        ),
        ex(
            (1921, 1081),
            hd,
            Keep,
            NoPad,
            (320, 180, 1280, 720),
            hd,
            hd,
            (0, 0),
            "odd oversize: (1921-1280)/2 = 320.5 rounds down to 320",
        ),
        ex(
            (641, 481),
            hd,
            Keep,
            NoPad,
            (0, 0, 640, 480),
            (640, 480),
            (640, 480),
            (0, 0),
            "odd sizes lose the last column and row, not resampled",
        ),
        ex((320, 240), hd, ShrinkToFit, NoPad, (0, 0, 320, 240), (320, 240), (320, 240), (0, 0), "never scales up"),
        ex(
            (320, 240),
            hd,
            ShrinkToFit,
            Pad,
            (0, 0, 320, 240),
            (320, 240),
            hd,
            (480, 240),
            "small input centred in the padded frame",
        ),
        ex(
            (1920, 1080),
            hd,
            ShrinkToFit,
            NoPad,
            (0, 0, 1920, 1080),
            hd,
            hd,
            (0, 0),
            "larger input scales down like Fit",
        ),
        ex(
            (1281, 721),
            hd,
            ShrinkToFit,
            NoPad,
            (0, 0, 1281, 721),
            hd,
            hd,
            (0, 0),
            "one pixel over: 1281*720/721 = 1279.2 rounds to even 1280",
        ),
        ex(
            (1080, 1920),
            hd,
            ShrinkToFit,
            Pad,
            (0, 0, 1080, 1920),
            (406, 720),
            hd,
            (436, 0),
            "portrait: 1080*720/1920 = 405 rounds to even 406; (1280-406)/2 = 437 -> 436",
        ),
        ex(
            (321, 241),
            hd,
            ShrinkToFit,
            NoPad,
            (0, 0, 320, 240),
            (320, 240),
            (320, 240),
            (0, 0),
            "fits, so unscaled; odd sides lose a column and a row",
        ),
        ex(
            (640, 480),
            hd,
            ShrinkToFill,
            NoPad,
            (0, 0, 640, 480),
            (640, 480),
            (640, 480),
            (0, 0),
            "Fill would scale up x2: ShrinkToFill keeps it",
        ),
        ex((640, 480), hd, ShrinkToFill, Pad, (0, 0, 640, 480), (640, 480), hd, (320, 120), "unscaled and centred"),
        ex(
            (1440, 1080),
            hd,
            ShrinkToFill,
            NoPad,
            (0, 134, 1440, 810),
            hd,
            hd,
            (0, 0),
            "scaling down: the same as Fill",
        ),
        ex(
            (1920, 600),
            hd,
            ShrinkToFill,
            Pad,
            (320, 0, 1280, 600),
            (1280, 600),
            hd,
            (0, 60),
            "Fill would scale up 1.2x: unscaled, the excess width cropped",
        ),
    ];
    for e in &examples {
        let g = fit_picture(size(e.source.0, e.source.1), size(e.max.0, e.max.1), e.sizing, e.padding).unwrap();
        let got = (
            (g.crop.x, g.crop.y, g.crop.width, g.crop.height),
            (g.content.width, g.content.height),
            (g.frame.width, g.frame.height),
            (g.offset.x, g.offset.y),
        );
        assert_eq!(
            got,
            (e.crop, e.content, e.frame, e.offset),
            "{:?} {:?} {:?}: {}",
            e.source,
            e.sizing,
            e.padding,
            e.why
        );
        assert_eq!(g.sample_aspect, Ratio::integer(1));
    }
}

#[test]
fn display_aspect_ratio_sets_the_pixel_shape() {
    let mut v: VideoPreset =
        serde_json::from_value(json!({"bitRate": 1000, "maxWidth": 720, "maxHeight": 480, "sizingPolicy": "Stretch"}))
            .unwrap();
    let dvd = |v: &VideoPreset| v.geometry(size(1920, 1080)).unwrap();
    assert_eq!(dvd(&v).sample_aspect, Ratio::integer(1), "auto: square pixels");
    v.display_aspect_ratio = AspectRatio::SixteenNine;
    let g = dvd(&v);
    assert_eq!(
        (g.frame, g.sample_aspect),
        (size(720, 480), Ratio { num: 32, den: 27 }),
        "720x480 shown as 16:9: 16*480 : 9*720"
    );
    v.display_aspect_ratio = AspectRatio::FourThree;
    assert_eq!(dvd(&v).sample_aspect, Ratio { num: 8, den: 9 });
    v.max_width = Dimension::Pixels(1280);
    v.max_height = Dimension::Pixels(720);
    v.display_aspect_ratio = AspectRatio::SixteenNine;
    assert_eq!(dvd(&v).sample_aspect, Ratio::integer(1), "a 16:9 frame at 16:9 has square pixels");
    v.max_width = Dimension::Auto;
    v.max_height = Dimension::Auto;
    v.sizing_policy = SizingPolicy::ShrinkToFit;
    assert_eq!(v.geometry(size(3840, 2160)).unwrap().content, size(1920, 1080), "auto is 1920x1080");
    let t = ThumbnailPreset {
        format: ImageFormat::Png,
        interval: 60,
        max_width: Dimension::Pixels(192),
        max_height: Dimension::Pixels(108),
        sizing_policy: SizingPolicy::ShrinkToFit,
        padding_policy: PaddingPolicy::NoPad,
    };
    assert_eq!(t.geometry(size(1440, 1080)).unwrap().content, size(144, 108));
}

#[test]
fn empty_sizes_are_errors() {
    let fit = |s, m| fit_picture(s, m, SizingPolicy::Fit, PaddingPolicy::Pad);
    assert_eq!(fit(size(0, 480), size(1280, 720)), Err(GeometryError::EmptySource(size(0, 480))));
    assert_eq!(fit(size(640, 480), size(1, 720)), Err(GeometryError::EmptyBox(size(1, 720))));
    assert_eq!(GeometryError::EmptyBox(size(1, 720)).to_string(), "maximum size must be at least 2x2, got 1x720");
}

// ---- watermark placement ----

/// 320x200 content kept unscaled and padded to 480x320: bars on all four
/// sides, content at (80, 60).
fn padded_frame() -> Geometry {
    let g = fit_picture(size(320, 200), size(480, 320), SizingPolicy::Keep, PaddingPolicy::Pad).unwrap();
    assert_eq!((g.content_rect(), g.frame), (Rect::new(80, 60, 320, 200), size(480, 320)));
    g
}

fn mark(
    h: HorizontalAlign,
    h_off: Length,
    v: VerticalAlign,
    v_off: Length,
    target: WatermarkTarget,
) -> WatermarkPreset {
    WatermarkPreset {
        id: "w".into(),
        max_width: Length::full(),
        max_height: Length::full(),
        sizing_policy: WatermarkSizing::ShrinkToFit,
        horizontal_align: h,
        horizontal_offset: h_off,
        vertical_align: v,
        vertical_offset: v_off,
        opacity: 100.0,
        target,
    }
}

#[test]
fn every_alignment_offset_and_target() {
    use HorizontalAlign as H;
    use VerticalAlign as V;
    use WatermarkTarget::{Content, Frame};
    let frame = padded_frame();
    let offsets = [Length::Pixels(0), Length::Pixels(10), Length::Percent(10.0)];
    // x of a 64-wide image for [0px, 10px, 10%]. Content spans 80..400
    // (10% = 32 px), the frame 0..480 (10% = 48 px); Center ignores offsets.
    let xs = [
        (H::Left, Content, [80, 90, 112]),
        (H::Right, Content, [336, 326, 304]),
        (H::Center, Content, [208, 208, 208]),
        (H::Left, Frame, [0, 10, 48]),
        (H::Right, Frame, [416, 406, 368]),
        (H::Center, Frame, [208, 208, 208]),
    ];
    // y of a 32-high image. Content spans 60..260 (10% = 20 px), the frame
    // 0..320 (10% = 32 px).
    let ys = [
        (V::Top, Content, [60, 70, 80]),
        (V::Bottom, Content, [228, 218, 208]),
        (V::Center, Content, [144, 144, 144]),
        (V::Top, Frame, [0, 10, 32]),
        (V::Bottom, Frame, [288, 278, 256]),
        (V::Center, Frame, [144, 144, 144]),
    ];
    let mut checked = 0;
    for &(h, target, x_by_offset) in &xs {
        for &(v, v_target, y_by_offset) in &ys {
            if v_target != target {
                continue;
            }
            for (i, &h_off) in offsets.iter().enumerate() {
                for (j, &v_off) in offsets.iter().enumerate() {
                    let p = watermark_placement(&frame, size(64, 32), &mark(h, h_off, v, v_off, target));
                    let at = format!("{h:?} {h_off} / {v:?} {v_off} on {target:?}");
                    assert_eq!((p.x, p.y), (x_by_offset[i], y_by_offset[j]), "{at}");
                    assert_eq!((p.size, p.clip), (size(64, 32), Rect::new(0, 0, 64, 32)), "{at}: fully inside");
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 3 * 3 * 3 * 3 * 2);
}

#[test]
fn watermark_sizing_against_content_or_frame() {
    let frame = padded_frame();
    let sized = |image: Size, sizing, max: Length, target| {
        let mut wm = mark(HorizontalAlign::Left, Length::Pixels(0), VerticalAlign::Top, Length::Pixels(0), target);
        (wm.max_width, wm.max_height, wm.sizing_policy) = (max, max, sizing);
        watermark_placement(&frame, image, &wm).size
    };
    use WatermarkSizing::*;
    use WatermarkTarget::{Content, Frame};
    let ten = Length::Percent(10.0);
    // 10% of the 320x200 content is a 32x20 box.
    assert_eq!(sized(size(200, 100), Fit, ten, Content), size(32, 16), "2:1 limited by the width");
    assert_eq!(sized(size(200, 100), Stretch, ten, Content), size(32, 20), "exactly the box");
    assert_eq!(sized(size(200, 100), ShrinkToFit, ten, Content), size(32, 16), "larger: shrinks like Fit");
    assert_eq!(sized(size(16, 8), ShrinkToFit, ten, Content), size(16, 8), "smaller: kept");
    assert_eq!(sized(size(16, 8), Fit, ten, Content), size(32, 16), "Fit scales up");
    // 10% of the 480x320 frame is a 48x32 box.
    assert_eq!(sized(size(200, 100), Fit, ten, Frame), size(48, 24));
    assert_eq!(
        sized(size(100, 300), Fit, ten, Frame),
        size(11, 32),
        "limited by the height: 100*32/300 = 10.7 rounds to 11"
    );
    assert_eq!(
        sized(size(200, 100), Fit, Length::Pixels(50), Content),
        size(50, 25),
        "pixels do not depend on the target"
    );
    assert_eq!(sized(size(0, 10), Fit, ten, Content), size(0, 0), "an empty image draws nothing");
}

#[test]
fn watermarks_are_clipped_at_the_frame_not_the_content() {
    use HorizontalAlign as H;
    use VerticalAlign as V;
    let frame = padded_frame();
    let place =
        |h, h_off, v, v_off, target| watermark_placement(&frame, size(64, 32), &mark(h, h_off, v, v_off, target));
    let zero = Length::Pixels(0);
    // On the content, 90% (288 px) from the left reaches 432, into the bar: not clipped.
    let p = place(H::Left, Length::Percent(90.0), V::Top, zero, WatermarkTarget::Content);
    assert_eq!((p.x, p.clip), (368, Rect::new(0, 0, 64, 32)));
    // On the frame, 90% (432 px) leaves 48 of 64 columns inside.
    let p = place(H::Left, Length::Percent(90.0), V::Top, zero, WatermarkTarget::Frame);
    assert_eq!((p.x, p.clip), (432, Rect::new(0, 0, 48, 32)));
    assert!(p.is_visible());
    // Right with a 100% offset ends at the left edge: nothing visible.
    let p = place(H::Right, Length::Percent(100.0), V::Top, zero, WatermarkTarget::Frame);
    assert_eq!((p.x, p.clip, p.is_visible()), (-64, Rect::default(), false));
    // Bottom with 250 px on the content: 60+200-32-250 = -22, above the frame.
    let p = place(H::Left, zero, V::Bottom, Length::Pixels(250), WatermarkTarget::Content);
    assert_eq!((p.y, p.clip), (-22, Rect::new(0, 22, 64, 10)), "60+200-32-250 = -22: the top 22 rows are cut");
    // An image larger than the frame, stretched and centred: clipped on both sides.
    let mut wm = mark(H::Center, zero, V::Center, zero, WatermarkTarget::Frame);
    (wm.max_width, wm.max_height, wm.sizing_policy) =
        (Length::Pixels(600), Length::Pixels(400), WatermarkSizing::Stretch);
    let p = watermark_placement(&frame, size(10, 10), &wm);
    assert_eq!((p.x, p.y, p.clip), (-60, -40, Rect::new(60, 40, 480, 320)));
}

#[test]
fn system_watermark_slots_on_generic_720p() {
    // ET's corner slots: at most 10% of the content, 10% in from each corner.
    let p = system_preset("1351620000001-000010").unwrap();
    let g = p.video.as_ref().unwrap().geometry(size(1920, 1080)).unwrap();
    let at: Vec<(i64, i64, Size)> = p
        .watermarks
        .iter()
        .map(|w| watermark_placement(&g, size(400, 100), w))
        .map(|pl| (pl.x, pl.y, pl.size))
        .collect();
    let s = size(128, 32);
    assert_eq!(at, [(128, 72, s), (1024, 72, s), (128, 616, s), (1024, 616, s)]);
}

// ---- generated inputs ----

/// Valid documents to mutate: the base preset and every system preset.
fn seeds() -> Vec<String> {
    let mut seeds = vec![base().to_string()];
    seeds.extend(system_presets().iter().map(|p| serde_json::to_string(p).unwrap()));
    seeds
}

/// A JSON value likely to sit near a boundary of some rule.
fn hostile_value(rng: &mut XorShift, depth: u32) -> Value {
    const STRINGS: &[&str] = &[
        "",
        "auto",
        "Auto",
        "10%",
        "100%",
        "100.00001%",
        "0%",
        "16px",
        "4096px",
        "99999px",
        "px",
        "%",
        "-1",
        "1e3",
        "NaN",
        "inf%",
        "12.5",
        "29.97",
        "23.976",
        "30000/1001",
        "1/0",
        "0/0",
        "H.264",
        "AAC",
        "opus",
        "mp3",
        "flac",
        "pcm",
        "Fit",
        "Fill",
        "Stretch",
        "Keep",
        "ShrinkToFit",
        "ShrinkToFill",
        "Pad",
        "NoPad",
        "16:9",
        "Left",
        "Center",
        "Frame",
        "Content",
        "3.1",
        "1b",
        "5.2",
        "baseline",
        "high",
        "true",
        "false",
        "\u{0}",
        "é",
        "a\"b",
        "4294967296",
        "18446744073709551616",
    ];
    match rng.below(if depth > 2 { 3 } else { 5 }) {
        0 => Value::String(rng.pick(STRINGS).to_string()),
        1 => {
            let ints: &[i64] = &[
                0,
                1,
                2,
                15,
                16,
                95,
                96,
                127,
                128,
                3072,
                3073,
                4096,
                4097,
                62_500,
                62_501,
                100_000,
                -1,
                i64::MIN,
                i64::MAX,
            ];
            json!(*rng.pick(ints))
        }
        2 => match rng.below(4) {
            0 => json!(u64::MAX),
            1 => json!(*rng.pick(&[0.5, 29.97, 100.5, -0.0, 1e300, 12.5])),
            2 => Value::Bool(rng.one_in(2)),
            _ => Value::Null,
        },
        3 => Value::Array((0..rng.below(6)).map(|_| hostile_value(rng, depth + 1)).collect()),
        _ => {
            let keys = ["id", "name", "video", "maxWidth", "bitRate", "codec", "x", "watermarks", "opacity"];
            Value::Object(
                (0..rng.below(4)).map(|_| (rng.pick(&keys).to_string(), hostile_value(rng, depth + 1))).collect(),
            )
        }
    }
}

/// Replaces, removes or adds one node somewhere in `v`.
fn mutate_value(rng: &mut XorShift, v: &mut Value) {
    match v {
        Value::Object(map) if !map.is_empty() && !rng.one_in(4) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            match rng.below(6) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    let value = hostile_value(rng, 0);
                    map.insert(key, value);
                }
                _ => mutate_value(rng, map.get_mut(&key).unwrap()),
            }
        }
        Value::Array(items) if !items.is_empty() && !rng.one_in(4) => match rng.below(5) {
            0 => {
                let extra = items[rng.below(items.len())].clone();
                items.push(extra);
            }
            1 => {
                items.remove(rng.below(items.len()));
            }
            _ => {
                let i = rng.below(items.len());
                mutate_value(rng, &mut items[i]);
            }
        },
        _ => *v = hostile_value(rng, 0),
    }
}

/// Byte-level damage: flips, deletions, insertions of JSON punctuation,
/// truncation.
fn mutate_text(rng: &mut XorShift, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let i = rng.below(bytes.len());
        match rng.below(4) {
            0 => bytes[i] = *rng.pick(b"{}[]\",:0123456789.-eE%px \\tfnu"),
            1 => {
                bytes.remove(i);
            }
            2 => bytes.insert(i, *rng.pick(b"{}[]\",:09.-%")),
            _ => bytes.truncate(i),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// What must hold for any text: `from_json` answers, and an accepted
/// preset validates, round-trips and lays out.
fn check_document(rng: &mut XorShift, text: &str) -> bool {
    // The derive, fed the same JSON value (duplicate keys collapse as in
    // from_json).
    let derived = serde_json::from_str::<Value>(text).and_then(serde_json::from_value::<Preset>);
    match Preset::from_json(text) {
        Ok(p) => {
            assert_eq!(p.validate(), Ok(()), "{text}");
            assert_eq!(Preset::from_json(&p.to_json()).as_ref(), Ok(&p), "round trip of {text}");
            assert_eq!(derived.as_ref().ok(), Some(&p), "serde derive disagrees on {text}");
            if let Some(v) = &p.video {
                let source = size(1 + rng.below(4000) as u32, 1 + rng.below(3000) as u32);
                let g = v.geometry(source).unwrap_or_else(|e| panic!("{e} for valid {text}"));
                for w in &p.watermarks {
                    let pl = watermark_placement(&g, size(rng.below(3000) as u32, rng.below(3000) as u32), w);
                    assert!(pl.clip.x + pl.clip.width <= pl.size.width && pl.clip.y + pl.clip.height <= pl.size.height);
                }
            }
            true
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            assert!(errors.iter().all(|e| !e.expected.is_empty() && !e.to_string().is_empty()), "{text}");
            if let Ok(p) = derived {
                // The derive read it, so only rules can be broken, and
                // validate must list the same problems.
                assert_eq!(p.validate(), Err(errors), "{text}");
            }
            false
        }
    }
}

#[test]
fn thousands_of_mutated_documents_never_panic() {
    let mut rng = XorShift::new(0x5EED_0FF4_A3E5);
    let seeds = seeds();
    let (mut accepted, mut refused) = (0, 0);
    for round in 0..10_000 {
        let seed = rng.pick(&seeds).clone();
        let text = if round % 3 == 0 {
            mutate_text(&mut rng, &seed)
        } else {
            let mut v: Value = serde_json::from_str(&seed).unwrap();
            for _ in 0..=rng.below(3) {
                mutate_value(&mut rng, &mut v);
            }
            v.to_string()
        };
        if check_document(&mut rng, &text) {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    // Both outcomes are exercised in bulk.
    assert!(accepted > 200 && refused > 5000, "accepted {accepted}, refused {refused}");
}

#[test]
fn random_geometry_keeps_its_invariants() {
    let mut rng = XorShift::new(42);
    let policies = [
        SizingPolicy::Fit,
        SizingPolicy::Fill,
        SizingPolicy::Stretch,
        SizingPolicy::Keep,
        SizingPolicy::ShrinkToFit,
        SizingPolicy::ShrinkToFill,
    ];
    let side = |rng: &mut XorShift| match rng.below(8) {
        0 => 1,
        1 => u32::MAX - rng.below(2) as u32,
        2..=4 => 1 + rng.below(64) as u32,
        _ => 1 + rng.below(8192) as u32,
    };
    for _ in 0..20_000 {
        let source = size(side(&mut rng), side(&mut rng));
        let max = size(side(&mut rng), side(&mut rng));
        let sizing = *rng.pick(&policies);
        let padding = if rng.one_in(2) { PaddingPolicy::Pad } else { PaddingPolicy::NoPad };
        let Ok(g) = fit_picture(source, max, sizing, padding) else {
            assert!(max.width < 2 || max.height < 2, "{source} {max}");
            continue;
        };
        let bx = size(max.width & !1, max.height & !1);
        let at = format!("{source} into {max} {sizing:?} {padding:?}: {g:?}");
        let (c, f, o, k) = (g.content, g.frame, g.offset, g.crop);
        assert!(c.width % 2 == 0 && c.height % 2 == 0 && c.width >= 2 && c.height >= 2, "{at}");
        assert!(c.width <= bx.width && c.height <= bx.height, "{at}");
        assert_eq!(f, if padding == PaddingPolicy::Pad { bx } else { c }, "{at}");
        assert!(o.x % 2 == 0 && o.y % 2 == 0 && o.x + c.width <= f.width && o.y + c.height <= f.height, "{at}");
        assert!(k.x % 2 == 0 && k.y % 2 == 0 && k.width >= 1 && k.height >= 1, "{at}");
        assert!(
            k.x as u64 + k.width as u64 <= source.width as u64 && k.y as u64 + k.height as u64 <= source.height as u64,
            "{at}"
        );
        match sizing {
            SizingPolicy::Fit => assert!(c.width == bx.width || c.height == bx.height, "{at}"),
            SizingPolicy::Fill | SizingPolicy::Stretch => assert_eq!(c, bx, "{at}"),
            SizingPolicy::Keep => assert!(c.width <= source.width.max(2) && c.height <= source.height.max(2), "{at}"),
            SizingPolicy::ShrinkToFit | SizingPolicy::ShrinkToFill => {
                assert!(c.width <= source.width.max(2) && c.height <= source.height.max(2), "never scales up: {at}")
            }
        }
        let image = size(rng.below(5000) as u32, rng.below(5000) as u32);
        let lengths = [
            Length::Pixels(rng.below(10_000) as u32),
            Length::Percent(rng.below(300) as f64 / 2.0),
            Length::Percent(f64::NAN),
        ];
        let mut wm = mark(
            HorizontalAlign::Right,
            *rng.pick(&lengths),
            VerticalAlign::Bottom,
            *rng.pick(&lengths),
            WatermarkTarget::Content,
        );
        (wm.max_width, wm.max_height) = (*rng.pick(&lengths), *rng.pick(&lengths));
        wm.sizing_policy = *rng.pick(&[WatermarkSizing::Fit, WatermarkSizing::Stretch, WatermarkSizing::ShrinkToFit]);
        wm.target = if rng.one_in(2) { WatermarkTarget::Frame } else { WatermarkTarget::Content };
        let p = watermark_placement(&g, image, &wm);
        if p.is_visible() {
            let (left, top) = (p.x + p.clip.x as i64, p.y + p.clip.y as i64);
            assert!(
                left >= 0
                    && top >= 0
                    && left + p.clip.width as i64 <= f.width as i64
                    && top + p.clip.height as i64 <= f.height as i64,
                "{at} {p:?}"
            );
            assert!(p.clip.x + p.clip.width <= p.size.width && p.clip.y + p.clip.height <= p.size.height, "{at} {p:?}");
        } else {
            assert_eq!(p.clip, Rect::default());
        }
    }
}

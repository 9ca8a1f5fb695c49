//! The job model's tests: one per validation rule (its kind, field path
//! and that the message names the value), reading in both casings, round
//! trips, resolution, the status transitions, and the fuzz corpus.

use serde_json::{json, Value};

use super::*;

// The fuzz harness, shared with the `job_json` fuzz target (it is not public API).
#[path = "../../tests/fuzz/harness/job_json.rs"]
mod harness;

const KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const IV: [u8; 16] = [9; 16];

/// A valid job touching every part.
fn base() -> Value {
    json!({
        "input": {"key": "in/source.mp4", "container": "mp4", "timeSpan": {"startTime": "1", "duration": "120"},
                  "rotate": "auto", "frameRate": "auto", "resolution": "auto", "aspectRatio": "auto", "interlaced": "auto"},
        "outputKeyPrefix": "out/",
        "outputs": [
            {"key": "hls-2m", "presetId": "1351620000001-200010", "segmentDuration": "6",
             "thumbnailPattern": "thumbs/{resolution}-{count}"},
            {"key": "hls-400k", "presetId": "1351620000001-200050", "segmentDuration": "6"},
            {"key": "web.mp4", "presetId": "1351620000001-000010", "rotate": 90,
             "watermarks": [{"presetWatermarkId": "TopLeft", "inputKey": "logo.png"}],
             "composition": [{"timeSpan": {"startTime": "00:00:02.000", "duration": "10"}}]},
            {"key": "webcam", "presetId": "framecast-webcam-360p-ll"}
        ],
        "playlists": [{
            "name": "index", "format": "HLSv4", "outputKeys": ["hls-2m", "hls-400k"],
            "hlsContentProtection": {
                "method": "aes-128", "key": base64_encode(&KEY), "keyMd5": base64_encode(&md5(&KEY)),
                "initializationVector": base64_encode(&IV), "keyStoragePolicy": "NoStore",
                "licenseAcquisitionUrl": "https://keys.example.com/k1"
            }
        }],
        "userMetadata": {"customer": "acme", "ref": "a-1/b@c"}
    })
}

/// `base()` with each `(pointer, value)` set; a pointer ending in `!`
/// removes the field.
fn patched(patches: &[(&str, Value)]) -> Value {
    let mut v = base();
    for (pointer, value) in patches {
        let (remove, pointer) = match pointer.strip_suffix('!') {
            Some(p) => (true, p),
            None => (false, *pointer),
        };
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match v.pointer_mut(parent).unwrap_or_else(|| panic!("no {parent}")) {
            Value::Object(map) if remove => {
                map.remove(key);
            }
            Value::Object(map) => {
                map.insert(key.to_owned(), value.clone());
            }
            Value::Array(items) => match key.parse::<usize>().unwrap() {
                i if i == items.len() => items.push(value.clone()),
                i => items[i] = value.clone(),
            },
            _ => panic!("{pointer}"),
        }
    }
    v
}

fn errors_of(text: &str) -> Vec<JobError> {
    match Job::from_json(text, &[]) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_vec(),
    }
}

fn problems(patches: &[(&str, Value)]) -> Vec<JobError> {
    errors_of(&patched(patches).to_string())
}

/// Asserts that `patches` give exactly one problem, of `kind` at
/// `field`, whose message names `value`.
#[track_caller]
fn rule(patches: &[(&str, Value)], kind: JobErrorKind, field: &str, value: &str) {
    let found = problems(patches);
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 1, "{patches:?}: {shown:#?}");
    let e = &found[0];
    assert_eq!((e.kind.code(), e.field.as_str()), (kind.code(), field), "{shown:?}");
    assert!(e.to_string().contains(value), "{:?} does not name {value:?}", e.to_string());
    assert!(e.to_string().starts_with(&format!("{field} must be ")), "{e}");
}

use JobErrorKind::*;

#[test]
fn base_job_is_valid() {
    let shown: Vec<String> = problems(&[]).iter().map(ToString::to_string).collect();
    assert_eq!(shown, Vec::<String>::new());
}

// --- reading --------------------------------------------------------------

#[test]
fn syntax_and_size() {
    let e = errors_of("{\"input\": ");
    assert_eq!((e.len(), e[0].kind, e[0].field.as_str()), (1, Syntax, ""));
    let long = format!("{{\"input\": \"{}\"}}", "x".repeat(MAX_JSON_BYTES));
    let e = errors_of(&long);
    assert_eq!(e[0].kind, Syntax);
    assert!(e[0].to_string().contains(&format!("{} bytes", long.len())), "{}", e[0]);
    let e = errors_of("[1, 2]");
    assert_eq!((e[0].kind, e[0].to_string()), (WrongType, "job must be a JSON object, got an array".to_owned()));
}

#[test]
fn unknown_fields_are_named() {
    rule(&[("/outputz", json!([]))], UnknownField, "outputz", "\"outputz\"");
    rule(
        &[("/outputs/0/segmentDurration", json!("6"))],
        UnknownField,
        "outputs[0].segmentDurration",
        "segmentDurration",
    );
    rule(&[("/input/timeSpan/start", json!("1"))], UnknownField, "input.timeSpan.start", "\"start\"");
    rule(
        &[("/playlists/0/hlsContentProtection/keyMD5", json!(""))],
        UnknownField,
        "playlists[0].hlsContentProtection.keyMD5",
        "keyMD5",
    );
}

#[test]
fn unsupported_et_fields_say_so() {
    for (pointer, field) in [
        ("/pipelineId", "pipelineId"),
        ("/inputs", "inputs"),
        ("/output", "output"),
        ("/input/encryption", "input.encryption"),
        ("/input/inputCaptions", "input.inputCaptions"),
        ("/outputs/0/captions", "outputs[0].captions"),
        ("/outputs/0/encryption", "outputs[0].encryption"),
        ("/outputs/0/thumbnailEncryption", "outputs[0].thumbnailEncryption"),
        ("/outputs/0/albumArt", "outputs[0].albumArt"),
        ("/outputs/2/watermarks/0/encryption", "outputs[2].watermarks[0].encryption"),
        ("/playlists/0/playReadyDrm", "playlists[0].playReadyDrm"),
        ("/status", "status"),
        ("/input/detectedProperties", "input.detectedProperties"),
    ] {
        let found = problems(&[(pointer, json!({"x": 1}))]);
        assert_eq!(found.len(), 1, "{pointer}: {found:?}");
        assert_eq!((found[0].kind, found[0].field.as_str()), (Unsupported, field));
        let text = found[0].to_string();
        assert!(text.contains("not supported by framecast") && text.ends_with("got an object"), "{text}");
    }
    rule(&[("/playlists/0/format", json!("Smooth"))], Unsupported, "playlists[0].format", "\"Smooth\"");
    rule(&[("/input/container", json!("avi"))], Unsupported, "input.container", "\"avi\"");
}

#[test]
fn required_fields() {
    rule(&[("/input/key!", Value::Null)], MissingField, "input.key", "nothing");
    rule(&[("/input!", Value::Null)], MissingField, "input", "nothing");
    rule(&[("/outputs/3/key!", Value::Null)], MissingField, "outputs[3].key", "nothing");
    rule(&[("/playlists/0/format!", Value::Null)], MissingField, "playlists[0].format", "nothing");
    rule(&[("/playlists/0/name!", Value::Null)], MissingField, "playlists[0].name", "nothing");
    rule(
        &[("/outputs/2/watermarks/0/inputKey!", Value::Null)],
        MissingField,
        "outputs[2].watermarks[0].inputKey",
        "nothing",
    );
    let found = problems(&[("/outputs!", Value::Null), ("/playlists!", Value::Null)]);
    assert_eq!(found.iter().map(|e| (e.kind, e.field.as_str())).collect::<Vec<_>>(), [(MissingField, "outputs")]);
}

#[test]
fn wrong_types() {
    rule(&[("/outputs/3/key", json!(5))], WrongType, "outputs[3].key", "got 5");
    rule(&[("/outputs", json!({}))], WrongType, "outputs", "an object");
    rule(&[("/input/timeSpan", json!("1"))], WrongType, "input.timeSpan", "\"1\"");
    rule(&[("/userMetadata/customer", json!(1))], WrongType, "userMetadata.customer", "got 1");
}

#[test]
fn a_field_in_two_casings_is_a_conflict() {
    rule(
        &[("/input/Key", json!("b.mp4"))],
        Conflict,
        "input.key",
        "given once (it is also given as \"Key\"), got \"key\"",
    );
}

#[test]
fn named_values() {
    rule(&[("/outputs/0/rotate", json!("45"))], InvalidValue, "outputs[0].rotate", "\"45\"");
    rule(&[("/input/rotate", json!(91))], InvalidValue, "input.rotate", "91");
    rule(&[("/input/frameRate", json!("31"))], InvalidValue, "input.frameRate", "\"31\"");
    rule(&[("/input/aspectRatio", json!("2:1"))], InvalidValue, "input.aspectRatio", "\"2:1\"");
    rule(&[("/input/interlaced", json!("maybe"))], InvalidValue, "input.interlaced", "\"maybe\"");
    rule(&[("/input/container", json!("mp5"))], InvalidValue, "input.container", "\"mp5\"");
    rule(&[("/input/resolution", json!("0x720"))], InvalidValue, "input.resolution", "\"0x720\"");
    rule(&[("/playlists/0/format", json!("HLS"))], InvalidValue, "playlists[0].format", "\"HLS\"");
    rule(
        &[("/playlists/0/hlsContentProtection/method", json!("sample-aes"))],
        InvalidValue,
        "playlists[0].hlsContentProtection.method",
        "\"sample-aes\"",
    );
    rule(
        &[("/playlists/0/hlsContentProtection/keyStoragePolicy", json!("Store"))],
        InvalidValue,
        "playlists[0].hlsContentProtection.keyStoragePolicy",
        "\"Store\"",
    );
}

#[test]
fn times_read_as_exact_milliseconds() {
    for (text, ms) in [
        ("1", 1000),
        ("86399.999", 86_399_999),
        ("01:02:03.5", 3_723_500),
        ("59:59", 3_599_000),
        ("23:59:59.999", 86_399_999),
        ("0.001", 1),
        ("5.", 5000),
        ("1:2:3", 3_723_000),
    ] {
        let patches = [("/input/timeSpan/startTime", json!(text)), ("/outputs/2/composition!", Value::Null)];
        let job = Job::from_json(&patched(&patches).to_string(), &[]);
        assert_eq!(job.map(|j| j.input.time_span.unwrap().start_millis), Ok(Some(ms)), "{text}");
    }
    let patches = [("/input/timeSpan/startTime", json!(12.5)), ("/outputs/2/composition!", Value::Null)];
    let job = Job::from_json(&patched(&patches).to_string(), &[]).unwrap();
    assert_eq!(job.input.time_span.unwrap().start_millis, Some(12_500));
    for bad in ["24:00:00", "86400", "1.2345", "-1", "1:60", "00:00:00:01", "1e3", "", ":5", "100:00"] {
        let patches = [("/input/timeSpan/startTime", json!(bad)), ("/outputs/2/composition!", Value::Null)];
        rule(&patches, InvalidValue, "input.timeSpan.startTime", &format!("{bad:?}"));
    }
}

#[test]
fn segment_duration_is_1_to_60_seconds_with_5_decimals() {
    let job = Job::from_json(
        &patched(&[("/outputs/0/segmentDuration", json!("2.00001")), ("/outputs/1/segmentDuration", json!(2.00001))])
            .to_string(),
        &[],
    )
    .unwrap();
    assert_eq!(job.outputs[0].segment_duration_micros, Some(2_000_010));
    rule(&[("/outputs/3/segmentDuration", json!("90"))], InvalidValue, "outputs[3].segmentDuration", "\"90\"");
    rule(&[("/outputs/3/segmentDuration", json!("0.5"))], InvalidValue, "outputs[3].segmentDuration", "\"0.5\"");
    rule(
        &[("/outputs/3/segmentDuration", json!("1.000001"))],
        InvalidValue,
        "outputs[3].segmentDuration",
        "\"1.000001\"",
    );
}

#[test]
fn list_lengths() {
    let many: Vec<Value> =
        (0..31).map(|i| json!({"key": format!("k{i}"), "presetId": "1351620000001-000010"})).collect();
    rule(&[("/outputs", json!(many)), ("/playlists!", Value::Null)], InvalidValue, "outputs", "31 outputs");
    rule(&[("/outputs", json!([])), ("/playlists!", Value::Null)], InvalidValue, "outputs", "0 outputs");
    let marks: Vec<Value> = ["TopLeft", "TopRight", "BottomLeft", "BottomRight", "TopLeft"]
        .iter()
        .map(|id| json!({"presetWatermarkId": id, "inputKey": "a.png"}))
        .collect();
    rule(&[("/outputs/2/watermarks", json!(marks))], InvalidValue, "outputs[2].watermarks", "5 watermarks");
    let clip = json!({"timeSpan": {"startTime": "2"}});
    rule(&[("/outputs/2/composition", json!([clip, clip]))], InvalidValue, "outputs[2].composition", "2 clips");
    let lists: Vec<Value> =
        (0..31).map(|i| json!({"name": format!("p{i}"), "format": "MPEG-DASH", "outputKeys": ["webcam"]})).collect();
    let found = problems(&[("/playlists", json!(lists))]);
    assert!(found.iter().any(|e| e.field == "playlists" && e.to_string().contains("31 playlists")), "{found:?}");
    let meta: serde_json::Map<String, Value> = (0..11).map(|i| (format!("k{i}"), json!("v"))).collect();
    rule(&[("/userMetadata", Value::Object(meta))], InvalidValue, "userMetadata", "11 pairs");
    rule(&[("/playlists/0/outputKeys", json!([]))], InvalidValue, "playlists[0].outputKeys", "0 output keys");
}

// --- the rules ------------------------------------------------------------

#[test]
fn key_lengths() {
    rule(&[("/input/key", json!("k".repeat(1025)))], InvalidValue, "input.key", "1025 characters");
    rule(&[("/outputs/3/key", json!(""))], InvalidValue, "outputs[3].key", "\"\" (0 characters)");
    rule(&[("/outputs/3/key", json!("k".repeat(256)))], InvalidValue, "outputs[3].key", "256 characters");
    rule(&[("/outputKeyPrefix", json!("p".repeat(256)))], InvalidValue, "outputKeyPrefix", "256 characters");
    rule(&[("/playlists/0/name", json!(""))], InvalidValue, "playlists[0].name", "\"\"");
}

#[test]
fn output_keys_are_unique() {
    rule(&[("/outputs/3/key", json!("web.mp4"))], Conflict, "outputs[3].key", "\"web.mp4\"");
}

#[test]
fn exactly_one_of_preset_id_and_preset() {
    let inline = json!({"name": "x", "container": "mp4", "audio": {"codec": "AAC", "bitRate": 96}});
    rule(&[("/outputs/3/preset", inline.clone())], Conflict, "outputs[3].presetId", "\"framecast-webcam-360p-ll\"");
    rule(&[("/outputs/3/presetId!", Value::Null)], MissingField, "outputs[3].presetId", "nothing");
    assert!(problems(&[("/outputs/3/presetId!", Value::Null), ("/outputs/3/preset", inline)]).is_empty());
}

#[test]
fn preset_ids_name_system_or_custom_presets() {
    rule(
        &[("/outputs/3/presetId", json!("1351620000001-999999"))],
        InvalidValue,
        "outputs[3].presetId",
        "\"1351620000001-999999\"",
    );
    let mut custom = crate::preset::system_preset("1351620000001-000040").unwrap();
    custom.id = Some("1351620000001-999999".into());
    let text = patched(&[("/outputs/3/presetId", json!("1351620000001-999999"))]).to_string();
    assert!(Job::from_json(&text, &[custom]).is_ok());
}

#[test]
fn inline_presets_are_validated_under_their_path() {
    let inline = json!({"name": "x", "container": "mp4", "video": {"bitRate": 2400, "maxWidth": 4097}});
    rule(
        &[("/outputs/3/presetId!", Value::Null), ("/outputs/3/preset", inline)],
        InvalidValue,
        "outputs[3].preset.video.maxWidth",
        "4097",
    );
}

#[test]
fn segment_duration_only_for_segmented_presets() {
    rule(&[("/outputs/2/segmentDuration", json!("4"))], Conflict, "outputs[2].segmentDuration", "\"4\"");
}

#[test]
fn thumbnail_patterns() {
    rule(
        &[("/outputs/0/thumbnailPattern", json!("thumb-{resolution}"))],
        InvalidValue,
        "outputs[0].thumbnailPattern",
        "\"thumb-{resolution}\"",
    );
    rule(
        &[("/outputs/0/thumbnailPattern", json!("{count}-{width}"))],
        InvalidValue,
        "outputs[0].thumbnailPattern",
        "\"{count}-{width}\"",
    );
    // The webcam preset has no thumbnails.
    rule(
        &[("/outputs/3/thumbnailPattern", json!("t{count}"))],
        Conflict,
        "outputs[3].thumbnailPattern",
        "\"t{count}\"",
    );
    assert!(problems(&[("/outputs/1/thumbnailPattern", json!(""))]).is_empty());
}

#[test]
fn watermarks_fill_the_presets_slots_with_images() {
    rule(
        &[("/outputs/2/watermarks/0/presetWatermarkId", json!("Middle"))],
        InvalidValue,
        "outputs[2].watermarks[0].presetWatermarkId",
        "\"Middle\"",
    );
    let twice = json!([{"presetWatermarkId": "TopLeft", "inputKey": "a.png"}, {"presetWatermarkId": "TopLeft", "inputKey": "b.jpg"}]);
    rule(&[("/outputs/2/watermarks", twice)], Conflict, "outputs[2].watermarks[1].presetWatermarkId", "\"TopLeft\"");
    rule(
        &[("/outputs/2/watermarks/0/inputKey", json!("logo.gif"))],
        InvalidValue,
        "outputs[2].watermarks[0].inputKey",
        "\"logo.gif\"",
    );
    rule(
        &[("/outputs/2/watermarks/0/inputKey", json!(".png"))],
        InvalidValue,
        "outputs[2].watermarks[0].inputKey",
        "\".png\"",
    );
    rule(
        &[("/outputs/2/watermarks/0/presetWatermarkId", json!(""))],
        InvalidValue,
        "outputs[2].watermarks[0].presetWatermarkId",
        "\"\"",
    );
    // A preset without slots.
    let mark = json!([{"presetWatermarkId": "TopLeft", "inputKey": "a.png"}]);
    let plain = json!({"name": "plain", "container": "mp4", "video": {"bitRate": 2400}});
    rule(
        &[("/outputs/3/watermarks", mark), ("/outputs/3/presetId!", Value::Null), ("/outputs/3/preset", plain)],
        InvalidValue,
        "outputs[3].watermarks[0].presetWatermarkId",
        "\"TopLeft\"",
    );
}

#[test]
fn spans_have_a_duration() {
    rule(&[("/input/timeSpan/duration", json!("0"))], InvalidValue, "input.timeSpan.duration", "\"0\"");
    rule(
        &[("/outputs/2/composition/0/timeSpan/duration", json!("00:00:00.000"))],
        InvalidValue,
        "outputs[2].composition[0].timeSpan.duration",
        "\"0\"",
    );
}

#[test]
fn clips_lie_inside_the_inputs_span() {
    let clip = "/outputs/2/composition/0/timeSpan";
    rule(
        &[(&format!("{clip}/startTime"), json!("0.5"))],
        Conflict,
        "outputs[2].composition[0].timeSpan.startTime",
        "\"0.5\"",
    );
    rule(
        &[(&format!("{clip}/startTime"), json!("121"))],
        Conflict,
        "outputs[2].composition[0].timeSpan.startTime",
        "\"121\"",
    );
    rule(
        &[(&format!("{clip}/duration"), json!("120"))],
        Conflict,
        "outputs[2].composition[0].timeSpan.duration",
        "\"120\"",
    );
    // Without an input duration, a clip may run to any end.
    assert!(problems(&[("/input/timeSpan/duration!", Value::Null), (&format!("{clip}/duration"), json!("9999"))])
        .is_empty());
}

#[test]
fn playlist_names() {
    let second = json!({"name": "index", "format": "MPEG-DASH", "outputKeys": ["hls-2m"]});
    rule(&[("/playlists/1", second)], Conflict, "playlists[1].name", "\"index\"");
    let second = json!({"name": "dash/index", "format": "MPEG-DASH", "outputKeys": ["hls-2m"]});
    rule(&[("/playlists/1", second)], Conflict, "playlists[1].name", "\"dash/index\"");
    let both = json!([{"name": "a/hls", "format": "HLSv3", "outputKeys": ["hls-2m"]}, {"name": "a/dash", "format": "MPEG-DASH", "outputKeys": ["hls-2m"]}]);
    assert!(problems(&[("/playlists", both)]).is_empty());
}

#[test]
fn playlist_output_keys_name_outputs_once() {
    rule(&[("/playlists/0/outputKeys/1", json!("hls-9m"))], InvalidValue, "playlists[0].outputKeys[1]", "\"hls-9m\"");
    rule(
        &[("/playlists/0/outputKeys", json!(["hls-2m", "hls-2m"]))],
        Conflict,
        "playlists[0].outputKeys[1]",
        "\"hls-2m\"",
    );
}

#[test]
fn an_output_is_in_one_playlist_per_format() {
    let second = json!({"name": "again", "format": "HLSv4", "outputKeys": ["hls-400k"]});
    rule(&[("/playlists/1", second)], Conflict, "playlists[1].outputKeys[0]", "\"hls-400k\"");
    let dash = json!({"name": "dash", "format": "MPEG-DASH", "outputKeys": ["hls-400k"]});
    assert!(problems(&[("/playlists/1", dash)]).is_empty());
}

#[test]
fn playlist_outputs_have_segmented_presets() {
    rule(
        &[("/playlists/0/outputKeys/1", json!("web.mp4"))],
        Conflict,
        "playlists[0].outputKeys[1]",
        "\"web.mp4\" (container mp4)",
    );
}

#[test]
fn hlsv3_outputs_have_aac_audio() {
    let p = json!({"name": "index", "format": "HLSv3", "outputKeys": ["webcam"]});
    rule(&[("/playlists/0", p)], Conflict, "playlists[0].outputKeys[0]", "\"webcam\" (audio opus)");
}

#[test]
fn playlist_outputs_share_the_segment_duration() {
    rule(
        &[("/outputs/1/segmentDuration", json!("4"))],
        Conflict,
        "playlists[0].outputKeys[1]",
        "\"hls-400k\" (segmentDuration 4 s)",
    );
    // The default counts as 10 s.
    rule(
        &[("/outputs/1/segmentDuration!", Value::Null)],
        Conflict,
        "playlists[0].outputKeys[1]",
        "(segmentDuration 10 s)",
    );
}

#[test]
fn playlist_outputs_share_the_clip() {
    let clip = json!([{"timeSpan": {"startTime": "3"}}]);
    rule(
        &[("/outputs/1/composition", clip)],
        Conflict,
        "playlists[0].outputKeys[1]",
        "\"hls-400k\" (clip from 3 s to the end)",
    );
}

#[test]
fn content_protection_is_for_hls_v3_and_v4() {
    rule(&[("/playlists/0/format", json!("MPEG-DASH"))], Conflict, "playlists[0].hlsContentProtection", "an object");
    rule(&[("/playlists/0/format", json!("CMAF"))], Conflict, "playlists[0].hlsContentProtection", "an object");
}

#[test]
fn content_protection_keys() {
    let at = "playlists[0].hlsContentProtection";
    let p = "/playlists/0/hlsContentProtection";
    rule(&[(&format!("{p}/key"), json!("not base64!"))], InvalidValue, &format!("{at}.key"), "\"not base64!\"");
    rule(
        &[(&format!("{p}/key"), json!(base64_encode(&[1; 24]))), (&format!("{p}/keyMd5!"), Value::Null)],
        InvalidValue,
        &format!("{at}.key"),
        &base64_encode(&[1; 24]),
    );
    rule(
        &[(&format!("{p}/keyMd5"), json!(base64_encode(&md5(b"other"))))],
        Conflict,
        &format!("{at}.keyMd5"),
        &base64_encode(&md5(b"other")),
    );
    rule(&[(&format!("{p}/keyMd5"), json!("AAAA"))], InvalidValue, &format!("{at}.keyMd5"), "\"AAAA\"");
    rule(
        &[(&format!("{p}/key!"), Value::Null), (&format!("{p}/initializationVector!"), Value::Null)],
        Conflict,
        &format!("{at}.keyMd5"),
        &base64_encode(&md5(&KEY)),
    );
    rule(
        &[(&format!("{p}/key!"), Value::Null), (&format!("{p}/keyMd5!"), Value::Null)],
        Conflict,
        &format!("{at}.initializationVector"),
        &base64_encode(&IV),
    );
    rule(
        &[(&format!("{p}/initializationVector"), json!(base64_encode(&[1; 8])))],
        InvalidValue,
        &format!("{at}.initializationVector"),
        &base64_encode(&[1; 8]),
    );
}

#[test]
fn content_protection_key_uri() {
    let at = "playlists[0].hlsContentProtection.licenseAcquisitionUrl";
    let p = "/playlists/0/hlsContentProtection";
    rule(&[(&format!("{p}/licenseAcquisitionUrl"), json!("/keys/k1"))], InvalidValue, at, "\"/keys/k1\"");
    rule(&[(&format!("{p}/licenseAcquisitionUrl!"), Value::Null)], MissingField, at, "nothing");
    rule(
        &[(&format!("{p}/keyStoragePolicy"), json!("WithVariantPlaylists"))],
        Conflict,
        at,
        "\"https://keys.example.com/k1\"",
    );
    assert!(problems(&[
        (&format!("{p}/keyStoragePolicy!"), Value::Null),
        (&format!("{p}/licenseAcquisitionUrl!"), Value::Null)
    ])
    .is_empty());
}

#[test]
fn user_metadata_characters() {
    rule(&[("/userMetadata/bad key#", json!("v"))], InvalidValue, "userMetadata", "\"bad key#\"");
    rule(&[("/userMetadata/customer", json!("a\"b"))], InvalidValue, "userMetadata.customer", "\"a\\\"b\"");
}

// --- everything at once, casing, round trips ------------------------------

#[test]
fn every_problem_is_reported_at_once() {
    let found = problems(&[
        ("/input/frameRate", json!("31")),
        ("/outputs/0/segmentDuration", json!("90")),
        ("/outputs/2/watermarks/0/inputKey", json!("logo.gif")),
        ("/playlists/0/hlsContentProtection/key", json!("xx")),
        ("/userMetadata/bad key#", json!("v")),
        ("/outputs/1/albumArt", json!({})),
    ]);
    let fields: Vec<&str> = found.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "input.frameRate",
            "outputs[1].albumArt",
            "outputs[0].segmentDuration",
            "outputs[2].watermarks[0].inputKey",
            "playlists[0].outputKeys[1]",
            "playlists[0].hlsContentProtection.key",
            "userMetadata"
        ],
        "{found:#?}"
    );
    let all = JobErrors::from_vec(found).unwrap();
    assert_eq!(crate::error::Coded::code(&all), crate::error::ErrorCode::InvalidConfig);
    assert_eq!(crate::error::Coded::field(&all).as_deref(), Some("input.frameRate"));
    assert!(all.to_string().starts_with("7 problems: input.frameRate must be "), "{all}");
}

/// `base()` with every object key in PascalCase (user metadata keys are
/// data and stay).
fn pascal(v: &Value, in_metadata: bool) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = if in_metadata { k.clone() } else { k[..1].to_ascii_uppercase() + &k[1..] };
                    (key, pascal(v, k == "userMetadata"))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| pascal(v, false)).collect()),
        other => other.clone(),
    }
}

#[test]
fn pascal_case_reads_like_camel_case() {
    let camel = Job::from_json(&base().to_string(), &[]).unwrap();
    let et = Job::from_json(&pascal(&base(), false).to_string(), &[]).unwrap();
    assert_eq!(camel, et);
    assert_eq!(et.user_metadata.get("customer").map(String::as_str), Some("acme"));
    assert_eq!(et.outputs[2].rotate, Rotate::R90);
}

#[test]
fn jobs_round_trip_through_json() {
    let job = Job::from_json(&base().to_string(), &[]).unwrap();
    let again = Job::from_json(&job.to_json(), &[]).unwrap();
    assert_eq!(again, job);
    let v: Value = serde_json::from_str(&job.to_json()).unwrap();
    assert_eq!(v["outputs"][0]["segmentDuration"], json!("6"));
    assert_eq!(v["outputs"][2]["composition"][0]["timeSpan"], json!({"startTime": "2", "duration": "10"}));
    assert_eq!(v["input"]["timeSpan"], json!({"startTime": "1", "duration": "120"}));
    // Built in code, validated the same way.
    let mut built = Job {
        input: JobInput::new("a.mp4"),
        outputs: vec![JobOutput::new("a", "1351620000001-000010")],
        playlists: Vec::new(),
        output_key_prefix: String::new(),
        user_metadata: Default::default(),
    };
    assert_eq!(built.validate(&[]), Ok(()));
    built.outputs[0].segment_duration_micros = Some(2_500_000);
    let e = built.validate(&[]).unwrap_err();
    assert_eq!(e.to_string(), "outputs[0].segmentDuration must be absent for container mp4 (only segmented presets: fmp4, cmaf, hls, dash, ts), got \"2.5\"");
}

// --- resolution -----------------------------------------------------------

#[test]
fn resolution_makes_outputs_concrete() {
    let job = Job::from_json(&base().to_string(), &[]).unwrap();
    let r = job.resolve(&[], |_: &mut [u8]| panic!("every key and IV is given")).unwrap();
    assert_eq!((r.input.start_millis, r.input.duration_millis), (1000, Some(120_000)));
    let o = &r.outputs;
    assert_eq!(
        o.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        ["out/hls-2m", "out/hls-400k", "out/web.mp4", "out/webcam"]
    );
    assert_eq!(o[0].preset.id.as_deref(), Some("1351620000001-200010"));
    assert_eq!(o[0].segment_containers, [SegmentContainer::Fmp4]);
    assert_eq!(o[0].segment_duration_micros, Some(6_000_000));
    assert_eq!(o[0].playlists, [0]);
    assert_eq!((o[2].segment_containers.len(), o[2].segment_duration_micros), (0, None));
    assert_eq!(o[2].rotate, Rotate::R90);
    assert_eq!(o[2].clip, Some((2000, Some(10_000))));
    // Not in a playlist, a segmented preset gets the default duration.
    assert_eq!(o[3].segment_duration_micros, Some(DEFAULT_SEGMENT_DURATION_MICROS));
    let key = r.playlists[0].encryption.as_ref().unwrap();
    assert_eq!((key.key, key.iv, key.key_md5), (KEY, IV, md5(&KEY)));
    assert_eq!(key.license_acquisition_url.as_deref(), Some("https://keys.example.com/k1"));
    assert!(!format!("{key:?}").contains("[0, 1, 2"), "Debug shows no key bytes");
    assert_eq!(r.playlists[0].file_stem, "out/index");
}

#[test]
fn resolution_generates_missing_keys_from_the_callers_bytes() {
    let p = "/playlists/0/hlsContentProtection";
    let text = patched(&[
        (&format!("{p}/key!"), Value::Null),
        (&format!("{p}/keyMd5!"), Value::Null),
        (&format!("{p}/initializationVector!"), Value::Null),
        ("/playlists/0/format", json!("HLSv3")),
        ("/input/rotate", json!("180")),
        ("/playlists/1", json!({"name": "dash", "format": "MPEG-DASH", "outputKeys": ["hls-2m"]})),
    ]);
    let job = Job::from_json(&text.to_string(), &[]).unwrap();
    let mut calls = 0u8;
    let r = job
        .resolve(&[], |b: &mut [u8]| {
            calls += 1;
            b.fill(calls);
        })
        .unwrap();
    let key = r.playlists[0].encryption.as_ref().unwrap();
    assert_eq!((key.key, key.iv, key.key_md5), ([1; 16], [2; 16], md5(&[1; 16])));
    assert_eq!(r.outputs[0].segment_containers, [SegmentContainer::Ts, SegmentContainer::Fmp4]);
    assert_eq!(r.outputs[1].segment_containers, [SegmentContainer::Ts]);
    assert_eq!(r.outputs[0].rotate, Rotate::R180, "auto takes the input's rotate");
    assert_eq!(r.outputs[2].rotate, Rotate::R90);
    let bad = patched(&[("/outputs/0/segmentDuration", json!("4"))]);
    let job: Job = Job::from_json(&patched(&[]).to_string(), &[]).unwrap();
    let mut broken = job.clone();
    broken.outputs[0].segment_duration_micros = Some(4_000_000);
    assert_eq!(
        broken.resolve(&[], |_: &mut [u8]| {}).unwrap_err().as_slice(),
        problems(&[("/outputs/0/segmentDuration", bad["outputs"][0]["segmentDuration"].clone())]).as_slice()
    );
}

// --- status ---------------------------------------------------------------

fn report() -> JobReport {
    let job = Job::from_json(&base().to_string(), &[]).unwrap();
    JobReport::submitted("1351620000001-abc123", &job, 1000)
}

#[test]
fn a_job_completes_when_every_output_does() {
    let mut r = report();
    assert_eq!(r.status, JobStatus::Submitted);
    r.start_output(1, 2000).unwrap();
    assert_eq!((r.status, r.timing.start_time_millis), (JobStatus::Progressing, Some(2000)));
    assert_eq!(r.playlists[0].status, JobStatus::Progressing);
    r.progress(1, OutputProgress { fraction: 2.0, media_millis_done: 500, bytes_out: 10 }).unwrap();
    assert_eq!(r.outputs[1].progress.fraction, 1.0);
    for i in [1, 0, 2, 3] {
        if i != 1 {
            r.start_output(i, 3000).unwrap();
        }
        r.complete_output(i, DetectedProperties { width: Some(400), ..Default::default() }, 4000 + i as u64).unwrap();
        let last = i == 3;
        assert_eq!(r.status == JobStatus::Complete, last, "after output {i}");
    }
    assert_eq!(r.timing.finish_time_millis, Some(4003));
    assert_eq!(r.playlists[0].status, JobStatus::Complete);
    assert_eq!(
        r.start_output(0, 5000),
        Err(StatusError::Transition { what: "job".into(), from: JobStatus::Complete, to: JobStatus::Progressing })
    );
}

#[test]
fn a_failed_output_leaves_the_others_and_fails_the_job() {
    let mut r = report();
    r.start_output(0, 2000).unwrap();
    r.fail_output(0, "decode-error: bad slice", 2500).unwrap();
    assert_eq!(r.status, JobStatus::Progressing);
    assert_eq!(r.playlists[0].status, JobStatus::Error);
    for i in 1..4 {
        r.start_output(i, 3000).unwrap();
        r.complete_output(i, DetectedProperties::default(), 4000).unwrap();
    }
    assert_eq!(r.status, JobStatus::Error);
    assert!(r.status_detail.contains("output 1 (hls-2m): decode-error: bad slice"), "{}", r.status_detail);
    assert_eq!(r.fail_output(0, "again", 5000).unwrap_err().to_string(), "outputs[0] cannot go from Error to Error");
}

#[test]
fn a_job_fails_as_a_whole() {
    let mut r = report();
    r.start_output(0, 2000).unwrap();
    r.complete_output(0, DetectedProperties::default(), 2100).unwrap();
    r.fail("unsupported-input: no video track", 2200).unwrap();
    assert_eq!(r.status, JobStatus::Error);
    assert_eq!(
        r.outputs.iter().map(|o| o.status).collect::<Vec<_>>(),
        [JobStatus::Complete, JobStatus::Error, JobStatus::Error, JobStatus::Error]
    );
    assert_eq!(r.status_detail, "unsupported-input: no video track");
    assert!(r.fail("x", 1).is_err() && r.cancel("x", 1).is_err());
}

#[test]
fn cancel_from_submitted_or_progressing() {
    let mut r = report();
    r.cancel("by the user", 1500).unwrap();
    assert_eq!(r.status, JobStatus::Canceled);
    assert!(r.outputs.iter().all(|o| o.status == JobStatus::Canceled));
    assert_eq!(r.timing.finish_time_millis, Some(1500));
    let mut r = report();
    r.start_output(0, 2000).unwrap();
    r.complete_output(0, DetectedProperties::default(), 2100).unwrap();
    r.start_output(1, 2200).unwrap();
    r.cancel("aborted", 2300).unwrap();
    assert_eq!(
        r.outputs.iter().map(|o| o.status).collect::<Vec<_>>(),
        [JobStatus::Complete, JobStatus::Canceled, JobStatus::Canceled, JobStatus::Canceled]
    );
    assert_eq!(r.playlists[0].status, JobStatus::Canceled);
    assert!(matches!(r.cancel("again", 2400), Err(StatusError::Transition { from: JobStatus::Canceled, .. })));
}

#[test]
fn illegal_output_transitions_are_refused() {
    let mut r = report();
    let refused = |from, to| StatusError::Transition { what: "outputs[0]".into(), from, to };
    assert_eq!(
        r.complete_output(0, DetectedProperties::default(), 1),
        Err(refused(JobStatus::Submitted, JobStatus::Complete))
    );
    assert_eq!(r.progress(0, OutputProgress::default()), Err(refused(JobStatus::Submitted, JobStatus::Progressing)));
    r.start_output(0, 1).unwrap();
    assert_eq!(r.start_output(0, 1), Err(refused(JobStatus::Progressing, JobStatus::Progressing)));
    assert_eq!(r.start_output(9, 1), Err(StatusError::NoSuchOutput { index: 9, count: 4 }));
    let e = r.start_output(9, 1).unwrap_err();
    assert_eq!(crate::error::Coded::code(&e), crate::error::ErrorCode::InvalidState);
    assert_eq!(crate::error::Coded::field(&e).as_deref(), Some("outputs[9]"));
}

#[test]
fn the_report_serialises_like_ets_job_response() {
    let mut r = report();
    r.set_detected_properties(DetectedProperties {
        width: Some(1920),
        height: Some(1080),
        frame_rate: Some("29.97".into()),
        file_size: Some(123_456),
        duration_millis: Some(130_000),
    });
    r.warn("damaged-input", "the last 2 s did not decode");
    r.start_output(0, 2000).unwrap();
    let v: Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["id"], json!("1351620000001-abc123"));
    assert_eq!(v["status"], json!("Progressing"));
    assert_eq!(v["timing"], json!({"submitTimeMillis": 1000, "startTimeMillis": 2000}));
    assert_eq!(v["input"]["key"], json!("in/source.mp4"));
    assert_eq!(
        v["input"]["detectedProperties"],
        json!({"width": 1920, "height": 1080, "frameRate": "29.97", "fileSize": 123_456, "durationMillis": 130_000})
    );
    assert_eq!(v["outputs"][0]["id"], json!("1"));
    assert_eq!(v["outputs"][0]["key"], json!("hls-2m"));
    assert_eq!(v["outputs"][0]["status"], json!("Progressing"));
    assert_eq!(v["outputs"][0]["progress"], json!({"fraction": 0.0, "mediaMillisDone": 0, "bytesOut": 0}));
    assert_eq!(v["outputs"][1]["status"], json!("Submitted"));
    assert_eq!(v["playlists"][0]["status"], json!("Progressing"));
    assert_eq!(v["warnings"], json!([{"code": "damaged-input", "message": "the last 2 s did not decode"}]));
    assert_eq!(v["userMetadata"]["customer"], json!("acme"));
}

// --- hostile input --------------------------------------------------------

#[test]
fn fuzz_corpus_replays_without_panics() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/job_json");
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).unwrap_or_else(|e| panic!("{}: {e}", corpus.display())) {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        harness::fuzz_entry(&data);
        n += 1;
    }
    assert!(n >= 8, "the corpus has only {n} seeds");
}

#[test]
fn mutated_jobs_never_panic() {
    let text = pascal(&base(), false).to_string() + &base().to_string();
    let bytes = text.as_bytes();
    let mut rng = crate::xorshift::XorShift::new(13);
    for _ in 0..3000 {
        let mut data = bytes.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(data.len());
            data[at] = *rng.pick(b"{}[]\",:0a.-/\\ ");
        }
        let cut = rng.below(data.len());
        harness::fuzz_entry(&data[..data.len() - cut / 8]);
        harness::fuzz_entry(&data);
    }
}

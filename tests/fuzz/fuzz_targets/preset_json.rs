//! Fuzzes the preset reader: arbitrary bytes as preset JSON. An accepted
//! preset must validate, survive a JSON round trip and lay out a picture;
//! nothing may panic.
#![no_main]

use framecast::frame::Size;
use framecast::preset::Preset;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(preset) = Preset::from_json(text) else { return };
    assert!(preset.validate().is_ok(), "from_json accepted a preset that validate refuses");
    let again = Preset::from_json(&preset.to_json()).expect("an accepted preset round-trips");
    assert_eq!(again, preset);
    if let Some(video) = &preset.video {
        for size in [Size::new(1920, 1080), Size::new(2, 2), Size::new(4096, 2)] {
            let _ = video.geometry(size);
        }
    }
});

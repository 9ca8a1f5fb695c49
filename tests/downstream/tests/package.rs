//! The downstream crate's test: runs in headless Chromium under
//! `wasm-pack test --headless --chrome`, and natively under `cargo test`.

use framecast_downstream::package;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn encodes_segments_and_writes_a_playlist() {
    // 3 s at 10 fps, a keyframe every second, 1 s fragments: 3 segments.
    let out = package(160, 96, 10, 30, 1000).expect("package");
    assert!(out.codec.starts_with("avc1.4d"), "{}", out.codec);
    assert_eq!(&out.init[4..8], b"ftyp");
    assert_eq!(out.segments.len(), 3);
    for segment in &out.segments {
        assert_eq!(&segment[4..8], b"moof");
    }
    let expected = "#EXTM3U\n";
    assert!(out.playlist.starts_with(expected), "{}", out.playlist);
    assert!(out.playlist.contains("#EXT-X-MAP:URI=\"init.mp4\"\n"), "{}", out.playlist);
    assert!(out.playlist.contains("#EXTINF:1.000,\nseg1.m4s\n"), "{}", out.playlist);
    assert!(out.playlist.contains("#EXTINF:1.000,\nseg3.m4s\n"), "{}", out.playlist);
    assert!(out.playlist.ends_with("#EXT-X-ENDLIST\n"), "{}", out.playlist);
}

//! The FDK AAC encoder compiled to wasm32, run in Node and headless
//! Chromium like `tests/web.rs`: it must link without WASI imports, produce
//! the expected stream shape, and match the digest pinned below.
//!
//! The input is made with integer arithmetic only, so that it is the same
//! bit for bit on every target. FDK is fixed-point, and build.rs leaves out
//! its float-based x86 helpers, so the native build must produce the very
//! same bytes: `tests/aac_encode.rs` checks the same digest natively.
#![cfg(target_arch = "wasm32")]

use framecast::codec::aac::{AacEncoder, AacEncoderConfig, FDK_AAC_BUILD};
use wasm_bindgen_test::*;

/// 0.5 s of 48 kHz stereo: triangle waves near 440 Hz (left) and 660 Hz
/// (right) plus low-level xorshift noise, interleaved.
fn signal() -> Vec<i16> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(48_000);
    for i in 0..24_000i64 {
        for period in [109i64, 73] {
            let p = i % period;
            let tri = (4 * 12_000 * p / period - 12_000).abs() - 6_000; // +-6000
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 56) as i64 - 128; // +-128
            out.push((tri + noise) as i16);
        }
    }
    out
}

/// FNV-1a 64 over every packet's length (4 bytes LE) and bytes.
fn digest(packets: &[Vec<u8>]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for p in packets {
        for b in (p.len() as u32).to_le_bytes().iter().chain(p) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The digest of the packets for `signal()` at 96 kbit/s, the same in the
/// native build (`tests/aac_encode.rs`).
const DIGEST: u64 = 0x2e8c_337a_c4e3_4c22;

#[wasm_bindgen_test]
fn fdk_aac_encodes_in_wasm() {
    let mut config = AacEncoderConfig::new(48_000, 2);
    config.bitrate = 96_000;
    let mut enc = AacEncoder::new(config).expect("encoder");
    assert_eq!(enc.audio_specific_config(), &[0x11, 0x90], "AAC-LC, 48 kHz, stereo");
    assert_eq!(enc.encoder_delay(), 1600);
    assert_eq!(enc.bandwidth(), 14_260);
    let pcm = signal();
    let mut packets = Vec::new();
    for chunk in pcm.chunks(2 * 480) {
        packets.extend(enc.encode(chunk).expect("encode"));
    }
    packets.extend(enc.flush().expect("flush"));
    // 24000 input + 1600 priming samples, rounded up to whole frames.
    assert_eq!(packets.len(), 25);
    for (k, p) in packets.iter().enumerate() {
        assert_eq!(p.pts.ticks, k as i64 * 1024);
        assert!(p.data.len() > 20, "packet {k} is {} bytes", p.data.len());
    }
    let bytes: usize = packets.iter().map(|p| p.data.len()).sum();
    let kbps = bytes as f64 * 8.0 / (packets.len() as f64 * 1024.0 / 48_000.0) / 1000.0;
    assert!((70.0..=110.0).contains(&kbps), "{kbps:.1} kbit/s for a 96 kbit/s target");
    let data: Vec<Vec<u8>> = packets.into_iter().map(|p| p.data).collect();
    let d = digest(&data);
    assert_eq!(d, DIGEST, "digest 0x{d:016x} of {bytes} bytes [{FDK_AAC_BUILD}]");
}

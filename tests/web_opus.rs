//! The Opus and FLAC encoders in wasm give what they give natively: a
//! guard against miscompiled wasm SIMD (Rust 1.95/1.96 have one,
//! rust-lang/rust#157456; our wasm build enables simd128, so LLVM may
//! vectorise opus-rs and flacenc loops). Run in Node with
//! `wasm-pack test --release --node . --test web_opus`.
//!
//! The expected values were computed by the same functions in a native
//! release build on x86-64. SILK (integer code) and this FLAC input are
//! bit-identical there and here. CELT is not: natively opus-rs runs AVX2 /
//! FMA kernels and the host's libm, which round differently from wasm's
//! scalar IEEE code, so for CELT the packet sizes and the decoded SNR must
//! equal the native ones and the digest is this wasm build's own
//! (deterministic across engines: wasm floats have no fused or
//! fast-math operations). If a toolchain update changes that digest while
//! sizes and SNR still match, update it.
#![cfg(target_arch = "wasm32")]

use framecast::codec::flac::FlacEncoderConfig;
use framecast::codec::opus::{OpusDecoder, OpusEncoder, OpusEncoderConfig};
use framecast::mux::flac::encode_flac_i16;
use wasm_bindgen_test::*;

/// Native packet sizes of [`encode_opus`] at 48 kHz stereo, 96 kbit/s.
const CELT_SIZES: [usize; 26] = [
    387, 255, 256, 255, 254, 252, 247, 254, 249, 241, 241, 241, 241, 241, 241, 241, 241, 241, 241, 241, 241, 240, 242,
    241, 238, 244,
];
/// Native decoded SNR of those packets, dB.
const CELT_SNR: f64 = 32.000;
/// This wasm build's digest of those packets (native x86-64: 0x96bb5ccd96544ce2).
const CELT_WASM_DIGEST: u64 = 0xa969_8334_f522_e7fe;
/// Native digest of [`encode_opus`] at 16 kHz mono, 32 kbit/s (SILK).
const SILK_DIGEST: u64 = 0x6e5f_935f_75f7_fe10;
/// Native decoded SNR of those packets, dB.
const SILK_SNR: f64 = 30.361;
/// Native length and digest of [`flac_file`].
const FLAC_FILE: (usize, u64) = (21_223, 0x84e6_eaf8_d5cc_47aa);

/// FNV-1a, 64 bits.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Two tones and a rising chirp, 0.5 s, interleaved; the second channel
/// quieter.
fn signal(rate: u32, channels: usize) -> Vec<f32> {
    let n = rate as usize / 2;
    let tau = 2.0 * std::f64::consts::PI;
    let mut v = Vec::with_capacity(n * channels);
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let x = 0.3 * (tau * 440.0 * t).sin()
            + 0.2 * (tau * 3_000.0 * t).sin()
            + 0.2 * (tau * (100.0 * t + 4_000.0 * t * t)).sin();
        for c in 0..channels {
            v.push((x * (1.0 - 0.3 * c as f64)) as f32);
        }
    }
    v
}

/// The packets of [`signal`], their sizes and a digest of lengths and bytes.
fn encode_opus(rate: u32, channels: u8, bitrate: u32) -> (Vec<Vec<u8>>, Vec<usize>, u64) {
    let config = OpusEncoderConfig { bitrate, ..OpusEncoderConfig::new(rate, channels) };
    let mut enc = OpusEncoder::new(config).unwrap();
    let mut packets = enc.encode(&signal(rate, usize::from(channels))).unwrap();
    packets.extend(enc.flush().unwrap().packets);
    let sizes = packets.iter().map(|p| p.data.len()).collect();
    let digest = packets.iter().fold(FNV_OFFSET, |h, p| fnv1a(fnv1a(h, &(p.data.len() as u32).to_le_bytes()), &p.data));
    (packets.into_iter().map(|p| p.data).collect(), sizes, digest)
}

/// Waveform SNR of the decoded packets against [`signal`], dB, with the
/// pre-skip dropped.
fn decoded_snr(rate: u32, channels: u8, packets: &[Vec<u8>]) -> f64 {
    let mut dec = OpusDecoder::new(rate, channels).unwrap();
    let mut out = Vec::new();
    for p in packets {
        out.extend(dec.decode(p).unwrap());
    }
    let input = signal(rate, usize::from(channels));
    let skip = 312 * rate as usize / 48_000 * usize::from(channels);
    let (mut s, mut e) = (0.0f64, 0.0f64);
    for (&a, &b) in input.iter().zip(&out[skip..]) {
        s += f64::from(a) * f64::from(a);
        e += f64::from(a - b) * f64::from(a - b);
    }
    10.0 * (s / e).log10()
}

/// A complete FLAC file of [`signal`] at 44.1 kHz stereo, 16 bits.
fn flac_file() -> Vec<u8> {
    let pcm: Vec<i16> = signal(44_100, 2).iter().map(|&x| (x * 32_767.0) as i16).collect();
    encode_flac_i16(FlacEncoderConfig::new(44_100, 2), &pcm).unwrap()
}

#[wasm_bindgen_test]
fn opus_celt_in_wasm_matches_native() {
    let (packets, sizes, digest) = encode_opus(48_000, 2, 96_000);
    assert_eq!(sizes, CELT_SIZES);
    let snr = decoded_snr(48_000, 2, &packets);
    assert!((snr - CELT_SNR).abs() < 0.01, "decoded SNR {snr:.3} dB, natively {CELT_SNR} dB");
    assert_eq!(digest, CELT_WASM_DIGEST, "digest {digest:#018x}");
}

#[wasm_bindgen_test]
fn opus_silk_in_wasm_is_bit_exact_with_native() {
    let (packets, _, digest) = encode_opus(16_000, 1, 32_000);
    assert_eq!(digest, SILK_DIGEST, "digest {digest:#018x}");
    let snr = decoded_snr(16_000, 1, &packets);
    assert!((snr - SILK_SNR).abs() < 0.001, "decoded SNR {snr:.3} dB, natively {SILK_SNR} dB");
}

#[wasm_bindgen_test]
fn flac_in_wasm_is_bit_exact_with_native() {
    let file = flac_file();
    assert_eq!((file.len(), fnv1a(FNV_OFFSET, &file)), FLAC_FILE);
}

//! The native FLAC file (RFC 9639 section 6): the `fLaC` marker, the
//! metadata blocks (STREAMINFO first, as `codec::flac` writes them), then
//! the frames back to back.

use crate::codec::flac::{FlacEncoder, FlacEncoderConfig, FlacError};

/// The start of a `.flac` file: the `fLaC` marker and `metadata`, the
/// metadata blocks ([`FlacEncoder::dfla_metadata`]; 42 bytes in all with
/// STREAMINFO alone).
pub fn file_header(metadata: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(4 + metadata.len());
    h.extend_from_slice(b"fLaC");
    h.extend_from_slice(metadata);
    h
}

/// Encodes a whole clip of 16-bit samples to a complete `.flac` file in
/// memory.
pub fn encode_flac_i16(config: FlacEncoderConfig, pcm: &[i16]) -> Result<Vec<u8>, FlacError> {
    let mut enc = FlacEncoder::new(config)?;
    let mut file = file_header(&enc.dfla_metadata());
    for frame in enc.encode_i16(pcm)?.into_iter().chain(enc.finish()?) {
        file.extend_from_slice(&frame.data);
    }
    let header = file_header(&enc.dfla_metadata());
    file[..header.len()].copy_from_slice(&header);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rate: u32, channels: u8) -> FlacEncoderConfig {
        FlacEncoderConfig::new(rate, channels)
    }

    #[test]
    fn the_header_is_42_bytes() {
        let mut enc = FlacEncoder::new(FlacEncoderConfig { bits_per_sample: 24, ..config(44_100, 2) }).unwrap();
        enc.encode_i32(&vec![5; 5000 * 2]).unwrap();
        enc.finish().unwrap();
        assert_eq!(file_header(&enc.dfla_metadata()).len(), 42);
    }

    #[test]
    fn float_input_quantizes_like_integers() {
        let ints: Vec<i16> = (0..3000).map(|i| ((i * 7919) % 65_536 - 32_768) as i16).collect();
        let floats: Vec<f32> = ints.iter().map(|&s| f32::from(s) / 32_768.0).collect();
        let a = encode_flac_i16(config(8_000, 1), &ints).unwrap();
        let mut enc = FlacEncoder::new(config(8_000, 1)).unwrap();
        let mut b = Vec::new();
        for f in enc.encode_f32(&floats).unwrap().into_iter().chain(enc.finish().unwrap()) {
            b.extend(f.data);
        }
        assert_eq!(&a[42..], &b[..]);
        // Clipping and NaN.
        let mut enc = FlacEncoder::new(config(8_000, 1)).unwrap();
        enc.encode_f32(&[2.0, -2.0, f32::NAN, f32::INFINITY]).unwrap();
        enc.finish().unwrap();
    }

    #[test]
    fn chunking_does_not_change_the_stream() {
        let pcm: Vec<i16> = (0..20_000).map(|i| ((i as f64 * 0.05).sin() * 20_000.0) as i16).collect();
        let whole = encode_flac_i16(config(48_000, 2), &pcm).unwrap();
        let mut enc = FlacEncoder::new(config(48_000, 2)).unwrap();
        let mut pieces = file_header(&enc.dfla_metadata());
        for chunk in pcm.chunks(2 * 777) {
            for f in enc.encode_i16(chunk).unwrap() {
                pieces.extend(f.data);
            }
        }
        for f in enc.finish().unwrap() {
            pieces.extend(f.data);
        }
        pieces[..42].copy_from_slice(&file_header(&enc.dfla_metadata()));
        assert_eq!(whole, pieces);
    }
}

//! The `h264_bitstream` fuzz harness: the H.264 bitstream helpers (Annex B and
//! length-prefixed framing, emulation prevention, the bit reader, SPS and `avcC` parsing) on
//! arbitrary bytes, with their round-trip invariants. Written against framecast's public API;
//! the fuzz target and the bitstream unit tests include this file.

use framecast::codec::bits::BitReader;
use framecast::codec::h264::bitstream::{
    add_emulation_prevention, annex_b_nal_units, annex_b_to_length_prefixed, codec_string_from_sps,
    length_prefixed_to_annex_b, nal_to_rbsp, remove_emulation_prevention, split_annex_b, split_length_prefixed,
    AvcDecoderConfigurationRecord, BitstreamError, Sps, AVCC_MAX_NAL_LEN,
};

/// Runs every parser of the bitstream module on arbitrary `data` and checks round-trip
/// invariants; for the `h264_bitstream` fuzz target and the unit tests that replay real and
/// mutated streams.
///
/// Exercises: Annex B splitting (iterator and `Vec` forms), length-prefixed splitting with
/// each length size, conversions in both directions, emulation-prevention removal/insertion,
/// the bit reader, [`Sps::parse`] on the whole input and on every NAL unit found, and `avcC`
/// parsing and serialization. Never panics on any input unless one of the round-trip
/// invariants is broken, which indicates a bug in the module.
pub fn fuzz_entry(data: &[u8]) {
    // Emulation prevention round trip.
    let escaped = add_emulation_prevention(data);
    assert_eq!(remove_emulation_prevention(&escaped), data);
    assert!(escaped.len() <= data.len().saturating_add(data.len() / 2).saturating_add(1));
    if let Ok(rbsp) = nal_to_rbsp(data) {
        assert!(rbsp.len() <= data.len());
    }

    // Bit reader: consume everything as ue/se/u(n) until it fails.
    let mut r = BitReader::new(data);
    let mut step = 0u32;
    loop {
        let before = r.position();
        let ok = match step % 4 {
            0 => r.read_ue().is_ok(),
            1 => r.read_se().is_ok(),
            2 => r.read_bits(step % 33).is_ok(),
            _ => r.skip_bits(u64::from(step % 7)).is_ok(),
        };
        let _ = r.more_rbsp_data();
        if !ok {
            break;
        }
        assert!(r.position() >= before);
        step = step.wrapping_add(1);
        if step > 100_000 {
            break;
        }
    }

    fuzz_parameter_set(data);
    if let Some((_, rest)) = data.split_first() {
        let _ = Sps::parse_rbsp(rest);
    }

    // Annex B.
    let annex_b = split_annex_b(data);
    let iterated: Vec<_> = annex_b_nal_units(data).collect();
    match &annex_b {
        Ok(nals) => {
            assert_eq!(iterated.len(), nals.len());
            for nal in nals {
                assert!(!nal.data.is_empty());
                fuzz_parameter_set(nal.data);
                let _ = nal_to_rbsp(nal.data);
            }
            for length_size in [1u8, 2, 4] {
                match annex_b_to_length_prefixed(data, length_size) {
                    Ok(lp) => {
                        let back =
                            split_length_prefixed(&lp, length_size).unwrap_or_else(|e| panic!("re-split failed: {e}"));
                        let a: Vec<&[u8]> = nals.iter().map(|n| n.data).collect();
                        let b: Vec<&[u8]> = back.iter().map(|n| n.data).collect();
                        assert_eq!(a, b);
                    }
                    Err(BitstreamError::NalUnitTooLarge { .. }) => {}
                    Err(e) => panic!("unexpected conversion error {e}"),
                }
            }
        }
        Err(_) => assert!(matches!(iterated.last(), Some(Err(_)))),
    }

    // Length-prefixed.
    for length_size in [1u8, 2, 4] {
        let split = split_length_prefixed(data, length_size);
        if let Ok(nals) = &split {
            for nal in nals {
                fuzz_parameter_set(nal.data);
            }
            if let Ok(annex_b) = length_prefixed_to_annex_b(data, length_size) {
                let back =
                    split_annex_b(&annex_b).unwrap_or_else(|e| panic!("re-split of converted Annex B failed: {e}"));
                let a: Vec<&[u8]> = nals.iter().map(|n| n.data).collect();
                let b: Vec<&[u8]> = back.iter().map(|n| n.data).collect();
                assert_eq!(a, b);
            }
        } else {
            assert!(length_prefixed_to_annex_b(data, length_size).is_err());
        }
    }
    for bad_size in [0u8, 3, 8] {
        assert!(split_length_prefixed(data, bad_size).is_err());
    }

    // avcC.
    if let Ok(record) = AvcDecoderConfigurationRecord::parse(data) {
        let bytes = record.try_to_bytes().unwrap_or_else(|e| panic!("parsed avcC does not serialize: {e}"));
        assert_eq!(bytes, record.to_bytes());
        let again = AvcDecoderConfigurationRecord::parse(&bytes)
            .unwrap_or_else(|e| panic!("serialized avcC does not parse: {e}"));
        assert_eq!(again, record);
        for sps in &record.sps {
            fuzz_parameter_set(sps);
        }
        let _ = record.codec_string();
    }
}

/// Parses `nal` as an SPS and, if that works, checks the derived values and the `avcC`
/// round trip built from it.
fn fuzz_parameter_set(nal: &[u8]) {
    let Ok(sps) = Sps::parse(nal) else {
        return;
    };
    assert!(sps.width() >= 1 && sps.width() <= sps.coded_width());
    assert!(sps.height() >= 1 && sps.height() <= sps.coded_height());
    let codec = sps.codec_string();
    assert_eq!(codec.len(), 11);
    assert_eq!(codec_string_from_sps(nal).ok().as_deref(), Some(codec.as_str()));
    let _ = (sps.frame_rate(), sps.sample_aspect_ratio(), sps.max_frame_num());
    if nal.len() <= AVCC_MAX_NAL_LEN {
        let record = AvcDecoderConfigurationRecord::from_parameter_sets(&[nal], &[])
            .unwrap_or_else(|e| panic!("avcC from a valid SPS failed: {e}"));
        let parsed = AvcDecoderConfigurationRecord::parse(&record.to_bytes())
            .unwrap_or_else(|e| panic!("avcC round trip failed: {e}"));
        assert_eq!(parsed, record);
    }
}

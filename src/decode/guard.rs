//! Header checks made before Symphonia sees an input, for values that its
//! readers do arithmetic on unchecked. In a release build that arithmetic
//! wraps (harmlessly: the values are then refused or only logged), but with
//! overflow checks on (debug builds, `cargo fuzz`) it panics. Found by the
//! `audio_decode` fuzz target; each check names the Symphonia 0.6.1 code
//! it protects. The values refused here are ones framecast would refuse
//! anyway (more than [`MAX_CHANNELS`] channels, absurd packet sizes).
//!
//! Symphonia's probe looks for container markers anywhere in the first
//! megabyte, so every marker in that window is checked, not just one at
//! the start.

use super::audio::{AudioDecodeError, MAX_FRAMES_PER_PACKET};
use crate::audio::MAX_CHANNELS;

/// Bytes of the input checked: Symphonia's probe depth (1 MiB) plus its
/// scoring window (16 KiB) and a chunk header.
pub(crate) const WINDOW: usize = (1 << 20) + (16 << 10) + 64;

/// Checks the headers of every WAV, CAF and AIFF marker in `prefix` (the
/// first [`WINDOW`] bytes of the input, or all of it).
pub(crate) fn check(prefix: &[u8]) -> Result<(), AudioDecodeError> {
    for at in markers(prefix, b"RIFF") {
        check_wav(&prefix[at..])?;
    }
    for at in markers(prefix, b"caff") {
        check_caf(&prefix[at..])?;
    }
    for at in markers(prefix, b"FORM") {
        check_aiff(&prefix[at..])?;
    }
    Ok(())
}

fn markers<'a>(data: &'a [u8], marker: &'a [u8; 4]) -> impl Iterator<Item = usize> + 'a {
    data.windows(4).enumerate().filter(move |(_, w)| w == marker).map(|(i, _)| i)
}

fn u16_le(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_le(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn u32_be(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn i64_be(d: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_be_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

fn channels(count: u64) -> Result<(), AudioDecodeError> {
    if count > MAX_CHANNELS as u64 {
        return Err(AudioDecodeError::TooManyChannels { channels: usize::try_from(count).unwrap_or(usize::MAX) });
    }
    Ok(())
}

/// RIFF WAVE: the `fmt ` chunk's channel count (symphonia-format-riff
/// `wave/chunks.rs` multiplies it by the bytes per sample in a `u16`).
fn check_wav(d: &[u8]) -> Result<(), AudioDecodeError> {
    if d.get(8..12) != Some(b"WAVE") {
        return Ok(());
    }
    let mut at = 12usize;
    while let (Some(id), Some(size)) = (d.get(at..at + 4), u32_le(d, at + 4)) {
        if id == b"fmt " {
            return u16_le(d, at + 10).map_or(Ok(()), |n| channels(u64::from(n)));
        }
        // Chunks are padded to an even size.
        let next = (size as usize).saturating_add(size as usize & 1);
        at = match at.checked_add(8).and_then(|a| a.checked_add(next)) {
            Some(a) => a,
            None => return Ok(()),
        };
    }
    Ok(())
}

/// CAF: the `desc` chunk (symphonia-format-caf `demuxer.rs` multiplies
/// bytes per packet by 8 in a `u32`, and the data size by frames per
/// packet) and the `data` chunk's size.
fn check_caf(d: &[u8]) -> Result<(), AudioDecodeError> {
    let mut at = 8usize;
    while let (Some(kind), Some(size)) = (d.get(at..at + 4), i64_be(d, at + 4)) {
        let body = at + 12;
        match kind {
            b"desc" => {
                let (Some(bytes_per_packet), Some(frames_per_packet), Some(n)) =
                    (u32_be(d, body + 16), u32_be(d, body + 20), u32_be(d, body + 24))
                else {
                    return Ok(());
                };
                channels(u64::from(n))?;
                if bytes_per_packet >= 1 << 28 {
                    return Err(AudioDecodeError::BadParameter {
                        field: "CAF bytes per packet",
                        value: bytes_per_packet.to_string(),
                    });
                }
                if u64::from(frames_per_packet) > MAX_FRAMES_PER_PACKET {
                    return Err(AudioDecodeError::BadParameter {
                        field: "CAF frames per packet",
                        value: frames_per_packet.to_string(),
                    });
                }
            }
            // -1: the data runs to the end of the file.
            b"data" if size != -1 && !(0..1 << 40).contains(&size) => {
                return Err(AudioDecodeError::BadParameter { field: "CAF data size", value: size.to_string() });
            }
            b"data" => return Ok(()),
            _ => {}
        }
        if size < 0 {
            return Ok(());
        }
        at = match usize::try_from(size).ok().and_then(|s| body.checked_add(s)) {
            Some(a) => a,
            None => return Ok(()),
        };
    }
    Ok(())
}

/// AIFF / AIFF-C: the `COMM` chunk's channel count.
fn check_aiff(d: &[u8]) -> Result<(), AudioDecodeError> {
    if !matches!(d.get(8..12), Some(b"AIFF") | Some(b"AIFC")) {
        return Ok(());
    }
    let mut at = 12usize;
    while let (Some(id), Some(size)) = (d.get(at..at + 4), u32_be(d, at + 4)) {
        if id == b"COMM" {
            let n = d.get(at + 8..at + 10).map(|b| i16::from_be_bytes([b[0], b[1]]));
            return n.map_or(Ok(()), |n| channels(u64::from(n.unsigned_abs())));
        }
        let next = (size as usize).saturating_add(size as usize & 1);
        at = match at.checked_add(8).and_then(|a| a.checked_add(next)) {
            Some(a) => a,
            None => return Ok(()),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_header(channels: u16) -> Vec<u8> {
        let mut w = b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0".to_vec();
        w.extend(channels.to_le_bytes());
        w.extend([0x40, 0x1f, 0, 0, 0, 0, 0, 0, 2, 0, 16, 0]);
        w.extend(b"data\0\0\0\0");
        w
    }

    fn caf_header(bytes_per_packet: u32, frames_per_packet: u32, channels: u32, data_size: i64) -> Vec<u8> {
        let mut c = b"caff\0\x01\0\0desc".to_vec();
        c.extend(32i64.to_be_bytes());
        c.extend(44_100f64.to_be_bytes());
        c.extend(b"lpcm");
        c.extend(0u32.to_be_bytes());
        for v in [bytes_per_packet, frames_per_packet, channels, 16] {
            c.extend(v.to_be_bytes());
        }
        c.extend(b"data");
        c.extend(data_size.to_be_bytes());
        c
    }

    #[test]
    fn wav_channels() {
        assert_eq!(check(&wav_header(2)), Ok(()));
        assert_eq!(check(&wav_header(0x8002)), Err(AudioDecodeError::TooManyChannels { channels: 0x8002 }));
        // After junk, as the probe would find it.
        let mut junk = vec![0x55u8; 3000];
        junk.extend(wav_header(9));
        assert_eq!(check(&junk), Err(AudioDecodeError::TooManyChannels { channels: 9 }));
        // Cut anywhere: no panic, no verdict without the field.
        let h = wav_header(100);
        for cut in 0..h.len() {
            let _ = check(&h[..cut]);
        }
    }

    #[test]
    fn caf_description() {
        assert_eq!(check(&caf_header(4, 1, 2, -1)), Ok(()));
        assert_eq!(check(&caf_header(4, 1, 2, 1000)), Ok(()));
        assert!(matches!(
            check(&caf_header(1 << 29, 1, 2, -1)),
            Err(AudioDecodeError::BadParameter { field: "CAF bytes per packet", .. })
        ));
        assert!(matches!(
            check(&caf_header(4, 1 << 30, 2, -1)),
            Err(AudioDecodeError::BadParameter { field: "CAF frames per packet", .. })
        ));
        assert_eq!(check(&caf_header(4, 1, 40, -1)), Err(AudioDecodeError::TooManyChannels { channels: 40 }));
        assert!(matches!(
            check(&caf_header(4, 1, 2, 1 << 50)),
            Err(AudioDecodeError::BadParameter { field: "CAF data size", .. })
        ));
        let h = caf_header(1 << 29, 1, 2, -1);
        for cut in 0..h.len() {
            let _ = check(&h[..cut]);
        }
    }

    #[test]
    fn aiff_channels() {
        let mut a = b"FORM\0\0\0\x2eAIFFCOMM\0\0\0\x12".to_vec();
        a.extend(12i16.to_be_bytes());
        a.extend([0u8; 16]);
        assert_eq!(check(&a), Err(AudioDecodeError::TooManyChannels { channels: 12 }));
        a[20..22].copy_from_slice(&2i16.to_be_bytes());
        assert_eq!(check(&a), Ok(()));
    }
}

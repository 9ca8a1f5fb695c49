//! HLS AES-128 segment encryption (RFC 8216 §4.3.2.4 and §5.2): a whole
//! segment file encrypted with AES-128 in CBC mode and PKCS#7 padding, and
//! the IV an `EXT-X-KEY` without `IV=` implies.
//!
//! It lives in `mux` because it transforms the files the muxers write, and
//! everything that needs it (the playlists, the job engine, the server) sits
//! above that layer. The cipher is RustCrypto's `aes` with its `cbc` mode:
//! pure Rust, no `unsafe` of ours, and it builds for wasm32.

use std::fmt;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};

use crate::error::{Coded, ErrorCode};

type Encryptor = cbc::Encryptor<aes::Aes128>;
type Decryptor = cbc::Decryptor<aes::Aes128>;

/// The AES block size in bytes; ciphertext lengths are multiples of it.
pub const BLOCK_LEN: usize = 16;

/// Why an encrypted segment does not decrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AesError {
    /// The ciphertext is empty or not a whole number of 16-byte blocks.
    Length {
        /// The ciphertext length in bytes.
        len: usize,
    },
    /// The last block does not end in valid PKCS#7 padding: a wrong key or
    /// IV, or damaged bytes.
    Padding,
}

impl fmt::Display for AesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AesError::Length { len } => {
                write!(f, "an AES-128 segment is a non-zero multiple of 16 bytes, got {len} bytes")
            }
            AesError::Padding => write!(f, "bad PKCS#7 padding after AES-128 decryption (wrong key or IV?)"),
        }
    }
}

impl std::error::Error for AesError {}

impl Coded for AesError {
    /// Both are `decode-error`: the input is damaged or the key is wrong.
    fn code(&self) -> ErrorCode {
        ErrorCode::DecodeError
    }
}

/// Encrypts a whole segment with AES-128-CBC and PKCS#7 padding, as HLS
/// `METHOD=AES-128` asks. The output is 1 to 16 bytes longer than `plain`
/// (always a multiple of 16, at least one padding byte).
pub fn encrypt_segment(key: &[u8; 16], iv: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    let len = plain.len();
    let mut buf = Vec::with_capacity(len + BLOCK_LEN);
    buf.extend_from_slice(plain);
    buf.resize(len - len % BLOCK_LEN + BLOCK_LEN, 0);
    let written =
        Encryptor::new(key.into(), iv.into()).encrypt_padded_mut::<Pkcs7>(&mut buf, len).map(|c| c.len()).unwrap_or(0);
    // The buffer always has room for the padding, so `written` is its length.
    buf.truncate(written);
    buf
}

/// Decrypts what [`encrypt_segment`] (or `openssl aes-128-cbc`) wrote and
/// strips the PKCS#7 padding.
pub fn decrypt_segment(key: &[u8; 16], iv: &[u8; 16], cipher: &[u8]) -> Result<Vec<u8>, AesError> {
    if cipher.is_empty() || cipher.len() % BLOCK_LEN != 0 {
        return Err(AesError::Length { len: cipher.len() });
    }
    let mut buf = cipher.to_vec();
    let len = Decryptor::new(key.into(), iv.into())
        .decrypt_padded_mut::<Pkcs7>(&mut buf)
        .map_err(|_| AesError::Padding)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// The IV of a segment whose `EXT-X-KEY` has no `IV` attribute (RFC 8216
/// §5.2): its media sequence number as a big-endian 128-bit integer.
pub fn sequence_iv(media_sequence: u64) -> [u8; 16] {
    u128::from(media_sequence).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 16] = *b"0123456789abcdef";

    #[test]
    fn round_trips_every_length_around_the_block_size() {
        let iv = sequence_iv(7);
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 1000] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let c = encrypt_segment(&KEY, &iv, &plain);
            assert_eq!(c.len(), (len / 16 + 1) * 16, "len {len}");
            if len > 0 {
                assert_ne!(&c[..len.min(16)], &plain[..len.min(16)], "len {len}");
            }
            assert_eq!(decrypt_segment(&KEY, &iv, &c).unwrap(), plain);
        }
    }

    #[test]
    fn known_answer_from_fips_197_through_cbc() {
        // FIPS-197 C.1: AES-128 of 00112233..ff under key 000102..0f. With a
        // zero IV the first CBC block is that single-block encryption.
        let key: [u8; 16] = std::array::from_fn(|i| i as u8);
        let plain: [u8; 16] = std::array::from_fn(|i| (i as u8) * 0x11);
        let c = encrypt_segment(&key, &[0; 16], &plain);
        let want = [0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a];
        assert_eq!(c[..16], want);
        assert_eq!(c.len(), 32, "a whole block of padding follows");
    }

    #[test]
    fn wrong_key_length_or_padding_is_a_typed_error() {
        let iv = sequence_iv(1);
        let c = encrypt_segment(&KEY, &iv, b"hello segment");
        assert_eq!(decrypt_segment(&KEY, &iv, &c[..15]), Err(AesError::Length { len: 15 }));
        assert_eq!(decrypt_segment(&KEY, &iv, &[]), Err(AesError::Length { len: 0 }));
        // A wrong key gives garbage whose padding is (almost surely) bad;
        // this key and IV are fixed, so the test is deterministic.
        assert_eq!(decrypt_segment(b"fedcba9876543210", &iv, &c), Err(AesError::Padding));
        assert_eq!(AesError::Padding.code(), ErrorCode::DecodeError);
    }

    #[test]
    fn the_default_iv_is_the_sequence_number_big_endian() {
        assert_eq!(sequence_iv(0), [0; 16]);
        let mut want = [0u8; 16];
        want[8..].copy_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
        assert_eq!(sequence_iv(0x0102_0304_0506_0708), want);
        assert_eq!(sequence_iv(1)[15], 1);
    }
}

//! HLS AES-128 segment encryption (`framecast::mux::aes`) against openssl,
//! the referee: what we encrypt, `openssl aes-128-cbc -d` decrypts, and what
//! openssl encrypts, we decrypt.

mod common;

use std::process::Command;

use framecast::mux::aes::{decrypt_segment, encrypt_segment, sequence_iv, AesError};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs `openssl aes-128-cbc` (`-d` to decrypt) over `input`.
fn openssl(decrypt: bool, key: &[u8; 16], iv: &[u8; 16], input: &[u8]) -> Vec<u8> {
    let dir = common::testdata_dir();
    let tag = format!("{}-{}-{}", std::process::id(), decrypt, input.len());
    let (inp, outp) = (dir.join(format!("aes-in-{tag}")), dir.join(format!("aes-out-{tag}")));
    std::fs::write(&inp, input).unwrap();
    let mut cmd = Command::new("openssl");
    cmd.arg("aes-128-cbc");
    if decrypt {
        cmd.arg("-d");
    }
    let out = cmd
        .args(["-K", &hex(key), "-iv", &hex(iv), "-in"])
        .arg(&inp)
        .arg("-out")
        .arg(&outp)
        .output()
        .expect("openssl is installed");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&outp).unwrap();
    let _ = std::fs::remove_file(inp);
    let _ = std::fs::remove_file(outp);
    bytes
}

#[test]
fn openssl_decrypts_our_segments_and_we_decrypt_its() {
    let key: [u8; 16] = *b"\x2b\x7e\x15\x16\x28\xae\xd2\xa6\xab\xf7\x15\x88\x09\xcf\x4f\x3c";
    for (seq, len) in [(0u64, 0usize), (1, 15), (2, 16), (3, 188 * 7), (0x1234_5678_9abc, 100_003)] {
        let iv = sequence_iv(seq);
        let plain: Vec<u8> = (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0]).collect();
        let ours = encrypt_segment(&key, &iv, &plain);
        assert_eq!(openssl(true, &key, &iv, &ours), plain, "openssl decrypts ours, len {len}");
        let theirs = openssl(false, &key, &iv, &plain);
        assert_eq!(theirs, ours, "the same bytes as openssl, len {len}");
        assert_eq!(decrypt_segment(&key, &iv, &theirs).unwrap(), plain);
        // The wrong IV damages the first block and, for one block, the padding.
        if len < 16 {
            assert_eq!(decrypt_segment(&key, &sequence_iv(seq + 1), &theirs), Err(AesError::Padding));
        }
    }
}

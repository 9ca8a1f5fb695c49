//! Fuzzes the H.264 decoder with arbitrary access units: NAL framing checks,
//! then OpenH264's parser and reconstruction. Must never crash or hang.
#![no_main]

use framecast::codec::h264::H264Decoder;
use framecast::time::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut dec) = H264Decoder::new() else { return };
    // Feed the input as one access unit, then split at 0xff bytes into
    // several, so that state carried between access units is exercised.
    let _ = dec.decode(data, Timestamp::from_millis(0));
    for (i, au) in data.split(|&b| b == 0xff).enumerate().take(16) {
        let _ = dec.decode(au, Timestamp::from_millis(i as i64));
    }
    let _ = dec.flush();
});

//! Fuzzes the watermark PNG decoder: arbitrary bytes as a PNG. It must
//! refuse or decode within its size limits, never crash, and a decoded
//! image must have a consistent buffer.
#![no_main]

use framecast::video::Watermark;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(w) = Watermark::from_png(data) {
        let s = w.size();
        assert_eq!(w.premultiplied().len(), s.width as usize * s.height as usize * 4);
    }
});

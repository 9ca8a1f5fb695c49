//! Track fixtures shared by the crate's unit tests.

use crate::codec::CodecConfig;
use crate::mux::TrackConfig;
use crate::time::Timescale;

/// AAC-LC, 48 kHz stereo (AudioSpecificConfig `11 90`), timescale 48 000.
pub(crate) fn aac_track(id: u32) -> TrackConfig {
    TrackConfig::new(
        id,
        Timescale::new(48_000).unwrap(),
        CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: 48_000, channels: 2 },
    )
}

//! Clocks for a publishing session: the [`Clock`] its driver provides (the
//! core reads no clock of its own), and [`AvClock`], which maps captured
//! audio onto the video's clock.
//!
//! Why the mapping: browsers stamp camera frames and microphone audio on
//! different clocks (Chromium stamps `VideoFrame`s on its monotonic clock
//! and `AudioData` relative to the page's time origin), so the two
//! timestamps cannot be compared as they are. Each item also carries the
//! wall-clock time it was read (`read_ms`). Timestamp minus read time, at
//! its smallest, is taken as each clock's offset from the wall clock, and
//! audio timestamps move onto the video clock by the difference of the two
//! offsets. (Read time is capture time plus a delay, so the smallest value
//! comes from the most delayed item of each kind; this is the rule the
//! publisher's worker applied before it moved here.) The offsets are estimated over the first
//! [`CLOCK_SAMPLES`] items of each kind and then frozen: a later, better
//! estimate would shift the audio against the video mid-stream. PCM from an
//! AudioWorklet comes stamped on the page clock with its capture time as
//! its read time, so its offset is exact.

/// Items of each kind (video frames, audio buffers) over which a clock's
/// offset is estimated before it is frozen.
pub const CLOCK_SAMPLES: u32 = 60;

/// Most audio buffers kept while the offsets are being estimated; the
/// oldest go first.
pub const MAX_PENDING_AUDIO: usize = 1000;

/// The time source of a publishing session, provided by its driver.
pub trait Clock {
    /// A monotonic time in milliseconds (`performance.now()`): upload
    /// back-off, queue latency, encode times, the frame-rate window.
    fn now_ms(&self) -> f64;
    /// Wall-clock milliseconds since the Unix epoch (`Date.now()`): how
    /// long after its capture a fragment was acknowledged.
    fn wall_ms(&self) -> f64;
}

/// One clock's offset from the wall clock, in µs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Offset {
    /// The smallest `timestamp - read time` seen; infinite before the
    /// first item.
    us: f64,
    /// Items seen (up to [`CLOCK_SAMPLES`]).
    items: u32,
}

impl Offset {
    const UNKNOWN: Offset = Offset { us: f64::INFINITY, items: 0 };

    fn note(&mut self, timestamp_us: f64, read_ms: f64) {
        if self.items >= CLOCK_SAMPLES {
            return;
        }
        self.us = self.us.min(timestamp_us - read_ms * 1000.0);
        self.items += 1;
    }
}

/// The audio-to-video clock mapping (see the module documentation).
/// Timestamps are µs on their own clock, read times wall-clock ms; give
/// finite values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AvClock {
    video: Offset,
    audio: Offset,
}

impl Default for AvClock {
    fn default() -> Self {
        AvClock { video: Offset::UNKNOWN, audio: Offset::UNKNOWN }
    }
}

impl AvClock {
    /// A video frame stamped `timestamp_us`, read at `read_ms`.
    pub fn note_video(&mut self, timestamp_us: f64, read_ms: f64) {
        self.video.note(timestamp_us, read_ms);
    }

    /// An audio buffer stamped `timestamp_us`, read at `read_ms`.
    pub fn note_audio(&mut self, timestamp_us: f64, read_ms: f64) {
        self.audio.note(timestamp_us, read_ms);
    }

    /// Both offsets are frozen.
    pub fn settled(&self) -> bool {
        self.video.items >= CLOCK_SAMPLES && self.audio.items >= CLOCK_SAMPLES
    }

    /// What to add to an audio timestamp to put it on the video clock
    /// (µs), once both clocks have been seen.
    pub fn audio_shift_us(&self) -> Option<f64> {
        (self.video.us.is_finite() && self.audio.us.is_finite()).then_some(self.video.us - self.audio.us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_come_from_the_least_delayed_items_and_freeze() {
        let mut c = AvClock::default();
        assert_eq!(c.audio_shift_us(), None);
        // Video: monotonic clock 5 s ahead of the wall clock (µs), items
        // delayed by 3 to 10 ms. Audio: page clock 1.7e12 ms behind, 1 to
        // 4 ms late.
        let wall = 1_700_000_000_000.0;
        for i in 0..CLOCK_SAMPLES {
            let t = f64::from(i) * 33.0;
            c.note_video((wall + t) * 1000.0 + 5e6, wall + t + 3.0 + f64::from(i % 8));
            assert!(!c.settled());
            c.note_audio(t * 1000.0, wall + t + 1.0 + f64::from(i % 4));
        }
        assert!(c.settled());
        // The smallest timestamp - read time: video 5e6 - 10 ms (its
        // largest delay), audio -wall - 4 ms.
        let shift = c.audio_shift_us().unwrap();
        assert!((shift - (5e6 - 10_000.0 + wall * 1000.0 + 4000.0)).abs() < 1.0, "{shift}");
        // Frozen: a later, earlier-looking item changes nothing.
        c.note_video(0.0, wall);
        c.note_audio(0.0, wall + 1e6);
        assert_eq!(c.audio_shift_us(), Some(shift));
    }
}

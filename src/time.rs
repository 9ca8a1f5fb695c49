//! Media time as integers: a [`Timescale`] (ticks per second) and a
//! [`Timestamp`] counted in it. No floating point seconds inside the core.

use std::fmt;
use std::num::NonZeroU32;

/// Ticks per second, never zero. Common values: 1_000 (milliseconds),
/// 90_000 (MPEG video), 48_000 (audio sample rate), 1_000_000 (microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timescale(NonZeroU32);

impl Timescale {
    /// Milliseconds.
    pub const MILLIS: Timescale = Timescale(NonZeroU32::new(1_000).unwrap());
    /// Microseconds: the unit of `VideoFrame.timestamp` in WebCodecs.
    pub const MICROS: Timescale = Timescale(NonZeroU32::new(1_000_000).unwrap());
    /// The 90 kHz clock of MPEG systems, the usual video track timescale.
    pub const MPEG: Timescale = Timescale(NonZeroU32::new(90_000).unwrap());

    /// A timescale of `ticks_per_second`; `None` for zero.
    pub const fn new(ticks_per_second: u32) -> Option<Self> {
        match NonZeroU32::new(ticks_per_second) {
            Some(n) => Some(Timescale(n)),
            None => None,
        }
    }

    /// Ticks per second.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for Timescale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", self.0)
    }
}

/// A point in time: `ticks` in `timescale`. May be negative (for example a
/// composition offset before zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Count of ticks.
    pub ticks: i64,
    /// What one tick is.
    pub timescale: Timescale,
}

impl Timestamp {
    /// `ticks` in `timescale`.
    pub const fn new(ticks: i64, timescale: Timescale) -> Self {
        Timestamp { ticks, timescale }
    }

    /// Milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp { ticks: ms, timescale: Timescale::MILLIS }
    }

    /// Microseconds.
    pub const fn from_micros(us: i64) -> Self {
        Timestamp { ticks: us, timescale: Timescale::MICROS }
    }

    /// The same instant in another timescale, rounded to the nearest tick
    /// (halves away from zero). Saturates at the ends of `i64`.
    pub fn rescale(self, to: Timescale) -> Timestamp {
        if to == self.timescale {
            return self;
        }
        let num = self.ticks as i128 * to.get() as i128;
        let den = self.timescale.get() as i128;
        let half = den / 2;
        let q = if num >= 0 { (num + half) / den } else { (num - half) / den };
        Timestamp { ticks: q.clamp(i64::MIN as i128, i64::MAX as i128) as i64, timescale: to }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ticks @ {}", self.ticks, self.timescale)
    }
}

/// `performance.now()` in ms (sub-millisecond in Node and browsers), or
/// `Date.now()` where there is no `performance`: the clock of the wasm
/// timing tests.
#[cfg(all(test, target_arch = "wasm32"))]
pub(crate) fn perf_now_ms() -> f64 {
    use wasm_bindgen::JsCast;
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok();
    let now =
        perf.as_ref().and_then(|p| js_sys::Reflect::get(p, &"now".into()).ok()?.dyn_into::<js_sys::Function>().ok());
    match (perf, now) {
        (Some(p), Some(f)) => f.call0(&p).ok().and_then(|t| t.as_f64()).unwrap_or_else(js_sys::Date::now),
        _ => js_sys::Date::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_rounds_to_nearest() {
        let t = Timestamp::new(1001, Timescale::new(30_000).unwrap());
        assert_eq!(t.rescale(Timescale::MILLIS).ticks, 33); // 33.3667 ms
        assert_eq!(Timestamp::from_micros(1_500).rescale(Timescale::MILLIS).ticks, 2);
        assert_eq!(Timestamp::from_micros(-1_500).rescale(Timescale::MILLIS).ticks, -2);
        assert_eq!(Timestamp::from_millis(2).rescale(Timescale::MPEG).ticks, 180);
    }

    #[test]
    fn rescale_saturates() {
        let t = Timestamp::new(i64::MAX, Timescale::new(1).unwrap());
        assert_eq!(t.rescale(Timescale::MPEG).ticks, i64::MAX);
    }

    #[test]
    fn zero_timescale_is_rejected() {
        assert!(Timescale::new(0).is_none());
    }
}

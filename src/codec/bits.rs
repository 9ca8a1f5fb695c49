//! The crate's one bit reader (and, for tests, bit writer): MSB-first, with
//! the fixed-width `u(n)` and Exp-Golomb `ue(v)`/`se(v)` descriptors of the
//! MPEG and ITU-T specifications. The H.264 SPS parser and the AAC
//! AudioSpecificConfig parser read with it.
//!
//! No read panics or goes past the end of the data: a read that does not
//! fit fails with [`BitsError`] and consumes nothing.

use std::fmt;

/// Why a read failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BitsError {
    /// Fewer bits are left than the read needs.
    Truncated,
    /// A fixed-width read of more than 32 bits was asked for.
    TooWide {
        /// The width asked for, in bits.
        bits: u32,
    },
    /// An Exp-Golomb code (`ue(v)`/`se(v)`) whose value does not fit into 32 bits.
    ExpGolombOverflow,
}

impl fmt::Display for BitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BitsError::Truncated => f.write_str("the data ends inside a field"),
            BitsError::TooWide { bits } => write!(f, "cannot read {bits} bits at once (at most 32)"),
            BitsError::ExpGolombOverflow => f.write_str("Exp-Golomb code exceeds 32 bits"),
        }
    }
}

impl std::error::Error for BitsError {}

/// MSB-first bit reader with the descriptors of the MPEG and ITU-T specifications: `u(n)`
/// (fixed width), `ue(v)` and `se(v)` (Exp-Golomb).
///
/// Every read fails with [`BitsError::Truncated`] instead of reading past the end (consuming
/// nothing); positions are counted in bits from the start of the data.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Number of bits consumed so far.
    pos: u64,
}

impl<'a> BitReader<'a> {
    /// Creates a reader positioned at the first (most significant) bit of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn overrun() -> BitsError {
        BitsError::Truncated
    }

    /// Number of bits consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Number of bits left to read.
    pub fn bits_remaining(&self) -> u64 {
        u64::try_from(self.data.len()).unwrap_or(u64::MAX).saturating_mul(8).saturating_sub(self.pos)
    }

    /// `true` if the position is at a byte boundary.
    pub fn is_byte_aligned(&self) -> bool {
        self.pos % 8 == 0
    }

    /// Reads one bit (`u(1)`); `true` means 1.
    pub fn read_bit(&mut self) -> Result<bool, BitsError> {
        let index = usize::try_from(self.pos / 8).map_err(|_| Self::overrun())?;
        let byte = *self.data.get(index).ok_or_else(Self::overrun)?;
        // `pos % 8` is in 0..=7, so the shift amount is in 0..=7.
        let shift = 7u64.saturating_sub(self.pos % 8);
        self.pos = self.pos.saturating_add(1);
        Ok((byte >> shift) & 1 == 1)
    }

    /// Reads a one-bit flag (`u(1)`); alias of [`BitReader::read_bit`].
    pub fn read_flag(&mut self) -> Result<bool, BitsError> {
        self.read_bit()
    }

    /// Reads an `n`-bit unsigned big-endian value (`u(n)`), `n` in `0..=32`.
    ///
    /// Fails with [`BitsError::TooWide`] for `n > 32` and with [`BitsError::Truncated`]
    /// (consuming nothing) if fewer than `n` bits remain.
    pub fn read_bits(&mut self, n: u32) -> Result<u32, BitsError> {
        if n > 32 {
            return Err(BitsError::TooWide { bits: n });
        }
        if u64::from(n) > self.bits_remaining() {
            return Err(Self::overrun());
        }
        let mut value = 0u64;
        for _ in 0..n {
            value = (value << 1) | u64::from(self.read_bit()?);
        }
        u32::try_from(value).map_err(|_| BitsError::ExpGolombOverflow)
    }

    /// Reads an `n`-bit value (`n` in `0..=8`; larger `n` read 8 bits) as `u8`.
    pub fn read_u8(&mut self, n: u32) -> Result<u8, BitsError> {
        let v = self.read_bits(n.min(8))?;
        Ok(u8::try_from(v).unwrap_or(u8::MAX))
    }

    /// Reads a 16-bit value as `u16`.
    pub fn read_u16(&mut self) -> Result<u16, BitsError> {
        let v = self.read_bits(16)?;
        Ok(u16::try_from(v).unwrap_or(u16::MAX))
    }

    /// Skips `n` bits; fails with [`BitsError::Truncated`] (consuming nothing) if fewer
    /// remain.
    pub fn skip_bits(&mut self, n: u64) -> Result<(), BitsError> {
        if n > self.bits_remaining() {
            return Err(Self::overrun());
        }
        self.pos = self.pos.saturating_add(n);
        Ok(())
    }

    /// Reads an unsigned Exp-Golomb code (`ue(v)`), value `0..=4_294_967_294`.
    ///
    /// Fails with [`BitsError::ExpGolombOverflow`] if the code has 32 or more leading
    /// zero bits.
    pub fn read_ue(&mut self) -> Result<u32, BitsError> {
        let mut leading_zeros = 0u32;
        while !self.read_bit()? {
            leading_zeros = leading_zeros.saturating_add(1);
            if leading_zeros >= 32 {
                return Err(BitsError::ExpGolombOverflow);
            }
        }
        if leading_zeros == 0 {
            return Ok(0);
        }
        let suffix = u64::from(self.read_bits(leading_zeros)?);
        // leading_zeros <= 31, so this is at most 2^32 - 2.
        let value = (1u64 << leading_zeros).saturating_sub(1).saturating_add(suffix);
        u32::try_from(value).map_err(|_| BitsError::ExpGolombOverflow)
    }

    /// Reads a signed Exp-Golomb code (`se(v)`), value `-2_147_483_647..=2_147_483_647`.
    pub fn read_se(&mut self) -> Result<i32, BitsError> {
        let k = i64::from(self.read_ue()?);
        let value = if k % 2 == 1 { k.saturating_add(1) / 2 } else { (k / 2).saturating_neg() };
        i32::try_from(value).map_err(|_| BitsError::ExpGolombOverflow)
    }

    /// `more_rbsp_data()` of H.264 and H.265: `true` if there is data before the
    /// `rbsp_stop_one_bit` (the last 1 bit of the data).
    pub fn more_rbsp_data(&self) -> bool {
        let Some(last) = self.data.iter().rposition(|&b| b != 0) else {
            return false;
        };
        let last_byte = self.data.get(last).copied().unwrap_or(0);
        let stop_bit = u64::try_from(last)
            .unwrap_or(u64::MAX)
            .saturating_mul(8)
            .saturating_add(7u64.saturating_sub(u64::from(last_byte.trailing_zeros())));
        self.pos < stop_bit
    }
}

/// MSB-first bit writer for tests that build bitstreams (SPS RBSPs,
/// AudioSpecificConfigs) field by field.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    bits: u32,
}

#[cfg(test)]
impl BitWriter {
    /// Appends one bit.
    pub fn write_bit(&mut self, b: bool) {
        if self.bits % 8 == 0 {
            self.bytes.push(0);
        }
        if b {
            let shift = 7 - (self.bits % 8);
            *self.bytes.last_mut().unwrap() |= 1 << shift;
        }
        self.bits += 1;
    }

    /// Appends the low `n` bits of `v`, most significant first (`u(n)`).
    pub fn write_bits(&mut self, n: u32, v: u64) {
        for i in (0..n).rev() {
            self.write_bit((v >> i) & 1 == 1);
        }
    }

    /// Appends an unsigned Exp-Golomb code (`ue(v)`).
    pub fn write_ue(&mut self, v: u32) {
        let x = u64::from(v) + 1;
        let len = 64 - x.leading_zeros();
        self.write_bits(len - 1, 0);
        self.write_bits(len, x);
    }

    /// Appends a signed Exp-Golomb code (`se(v)`).
    pub fn write_se(&mut self, v: i32) {
        let k = if v > 0 { (2 * i64::from(v) - 1) as u32 } else { (-2 * i64::from(v)) as u32 };
        self.write_ue(k);
    }

    /// Appends `rbsp_trailing_bits()` (a one bit, then zero bits to the byte
    /// boundary) and returns the bytes.
    pub fn finish_rbsp(mut self) -> Vec<u8> {
        self.write_bit(true);
        while self.bits % 8 != 0 {
            self.write_bit(false);
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_reader_fixed_width_and_exp_golomb() {
        // 1 | 010 | 011 | 00100 | 00101 | 1 ... : ue = 0, 1, 2, 3, 4
        let mut w = BitWriter::default();
        for v in [0u32, 1, 2, 3, 4, 254, 65_535, u32::MAX - 1] {
            w.write_ue(v);
        }
        for v in [0i32, 1, -1, 2, -2, 1000, -1000, i32::MAX, -i32::MAX] {
            w.write_se(v);
        }
        w.write_bits(32, 0xdead_beef);
        let data = w.finish_rbsp();
        let mut r = BitReader::new(&data);
        for v in [0u32, 1, 2, 3, 4, 254, 65_535, u32::MAX - 1] {
            assert_eq!(r.read_ue().unwrap(), v);
        }
        for v in [0i32, 1, -1, 2, -2, 1000, -1000, i32::MAX, -i32::MAX] {
            assert_eq!(r.read_se().unwrap(), v);
        }
        assert_eq!(r.read_bits(32).unwrap(), 0xdead_beef);
        assert!(!r.more_rbsp_data());
        assert!(r.read_bit().unwrap()); // stop bit
        assert_eq!(r.bits_remaining() as usize, data.len() * 8 - r.position() as usize);

        let bytes = [0b1010_0000, 0xff];
        let mut r = BitReader::new(&bytes);
        assert_eq!(r.read_bits(0).unwrap(), 0);
        assert_eq!(r.read_bits(3).unwrap(), 0b101);
        assert!(r.more_rbsp_data());
        assert!(!r.is_byte_aligned());
        r.skip_bits(5).unwrap();
        assert!(r.is_byte_aligned());
        assert_eq!(r.read_bits(9), Err(BitsError::Truncated));
        assert_eq!(r.position(), 8, "failed read consumes nothing");
        assert!(r.skip_bits(9).is_err());
        assert_eq!(r.read_bits(8).unwrap(), 0xff);
        assert!(r.read_bit().is_err());
        assert!(r.read_ue().is_err());
        assert!(matches!(r.read_bits(33), Err(BitsError::TooWide { bits: 33 })));
    }

    #[test]
    fn bit_reader_exp_golomb_overflow_and_truncation() {
        // 32 leading zeros: value does not fit in u32.
        let mut data = vec![0u8; 4];
        data.extend([0x80, 0, 0, 0, 0]);
        assert_eq!(BitReader::new(&data).read_ue(), Err(BitsError::ExpGolombOverflow));
        assert_eq!(BitReader::new(&data).read_se(), Err(BitsError::ExpGolombOverflow));
        // 31 leading zeros + 31 one bits: the largest legal value.
        let mut w = BitWriter::default();
        w.write_bits(31, 0);
        w.write_bits(32, u64::from(u32::MAX));
        let data = w.finish_rbsp();
        assert_eq!(BitReader::new(&data).read_ue(), Ok(u32::MAX - 1));
        // Prefix without its suffix.
        assert_eq!(BitReader::new(&[0x00, 0x01]).read_ue(), Err(BitsError::Truncated));
        // All zeros, not enough for an overflow: truncation.
        assert!(matches!(BitReader::new(&[0, 0]).read_ue(), Err(BitsError::Truncated)));
        assert!(!BitReader::new(&[0, 0]).more_rbsp_data());
    }
}

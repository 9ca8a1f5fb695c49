//! Blocks (`SimpleBlock`, `Block`): the track number, the timestamp
//! relative to the cluster, the flags, and the frames of the three
//! lacings (Matroska, RFC 9559 section 10.3).

use std::ops::Range;

use super::ebml;
use super::error::MkvError;

/// Most frames one laced block may hold (the count is one byte, plus 1).
pub const MAX_LACED_FRAMES: usize = 256;

/// The bias of an EBML lace size difference of `n` bytes, at index `n - 1`:
/// half the range of its `7 * n` value bits, minus 1.
const LACE_BIAS: [i64; 8] = [
    (1 << 6) - 1,
    (1 << 13) - 1,
    (1 << 20) - 1,
    (1 << 27) - 1,
    (1 << 34) - 1,
    (1 << 41) - 1,
    (1 << 48) - 1,
    (1 << 55) - 1,
];

/// A block's header and the byte ranges of its frames within the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub track: u64,
    /// Timestamp relative to the cluster's, in timestamp ticks.
    pub relative: i16,
    /// The `SimpleBlock` keyframe flag (0x80); always clear in a `Block`.
    pub keyframe: bool,
    /// Ranges of the frames in the block body.
    pub frames: Vec<Range<usize>>,
}

/// Parses a block body that starts at `offset` in the input.
pub fn parse(body: &[u8], offset: u64) -> Result<Block, MkvError> {
    let short = || MkvError::Malformed { id: ebml::SIMPLE_BLOCK, offset, reason: "a block shorter than its header" };
    let (track, n) = ebml::vint(body, offset)?.ok_or_else(short)?;
    if track == ebml::UNKNOWN_SIZE || track == 0 {
        return Err(MkvError::Malformed { id: ebml::SIMPLE_BLOCK, offset, reason: "block track number 0 or reserved" });
    }
    let header = body.get(n..n.saturating_add(3)).ok_or_else(short)?;
    let (relative, flags) = match *header {
        [a, b, f] => (i16::from_be_bytes([a, b]), f),
        _ => return Err(short()),
    };
    let start = n.saturating_add(3);
    let frames = match (flags >> 1) & 3 {
        0 => std::iter::once(start..body.len()).collect(),
        lacing => laced(body, start, lacing, offset)?,
    };
    Ok(Block { track, relative, keyframe: flags & 0x80 != 0, frames })
}

/// The frames of a laced block: `data[start]` is the frame count minus 1,
/// then the lace sizes (Xiph = 1, fixed = 2, EBML = 3).
fn laced(data: &[u8], start: usize, lacing: u8, offset: u64) -> Result<Vec<Range<usize>>, MkvError> {
    let bad = |reason| MkvError::BadLacing { offset, reason };
    let count = usize::from(*data.get(start).ok_or(bad("no frame count"))?) + 1;
    let mut pos = start.saturating_add(1);
    // Sizes of every frame but the last.
    let mut sizes: Vec<usize> = Vec::with_capacity(count);
    match lacing {
        1 => {
            for _ in 1..count {
                let mut size = 0usize;
                loop {
                    let b = *data.get(pos).ok_or(bad("Xiph lace sizes run past the block"))?;
                    pos = pos.saturating_add(1);
                    size = size.checked_add(usize::from(b)).ok_or(bad("a lace size overflows"))?;
                    if b != 255 {
                        break;
                    }
                }
                sizes.push(size);
            }
        }
        3 => {
            let rest = |pos: usize| data.get(pos..).unwrap_or(&[]);
            let mut size = if count > 1 {
                let (first, n) = ebml::vint(rest(pos), offset)?.ok_or(bad("EBML lace sizes run past the block"))?;
                pos = pos.saturating_add(n);
                let first = usize::try_from(first).map_err(|_| bad("a lace size overflows"))?;
                sizes.push(first);
                first
            } else {
                0
            };
            for _ in 2..count {
                let (raw, n) = ebml::vint(rest(pos), offset)?.ok_or(bad("EBML lace sizes run past the block"))?;
                pos = pos.saturating_add(n);
                // A signed difference: the raw value minus half its range.
                let bias = *LACE_BIAS.get(n.saturating_sub(1)).ok_or(bad("a lace size overflows"))?;
                let raw = i64::try_from(raw).map_err(|_| bad("a lace size overflows"))?;
                let next = i64::try_from(size)
                    .ok()
                    .and_then(|s| s.checked_add(raw.checked_sub(bias)?))
                    .ok_or(bad("a lace size overflows"))?;
                size = usize::try_from(next).map_err(|_| bad("a negative EBML lace size"))?;
                sizes.push(size);
            }
        }
        _ => {
            let total = data.len().saturating_sub(pos);
            if total.checked_rem(count) != Some(0) {
                return Err(bad("a fixed-size lace does not divide the block"));
            }
            sizes.resize(count.saturating_sub(1), total.checked_div(count).unwrap_or(0));
        }
    }
    let mut frames = Vec::with_capacity(count);
    for size in sizes {
        let end = pos.checked_add(size).filter(|&e| e <= data.len()).ok_or(bad("lace sizes run past the block"))?;
        frames.push(pos..end);
        pos = end;
    }
    if pos > data.len() {
        return Err(bad("lace sizes run past the block"));
    }
    frames.push(pos..data.len());
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(body: &[u8]) -> Result<Vec<Vec<u8>>, MkvError> {
        let b = parse(body, 0)?;
        Ok(b.frames.into_iter().map(|r| body[r].to_vec()).collect())
    }

    #[test]
    fn plain_block() {
        let b = parse(&[0x81, 0x00, 0x10, 0x80, 1, 2, 3], 0).unwrap();
        assert_eq!((b.track, b.relative, b.keyframe, b.frames.len(), b.frames[0].clone()), (1, 16, true, 1, 4..7));
        let b = parse(&[0x82, 0xFF, 0xFE, 0x00], 0).unwrap();
        assert_eq!((b.track, b.relative, b.keyframe, b.frames.len(), b.frames[0].clone()), (2, -2, false, 1, 4..4));
        assert!(parse(&[0x81, 0x00], 0).is_err());
        assert!(parse(&[0x80, 0, 0, 0], 0).is_err());
    }

    #[test]
    fn three_lacings() {
        // Xiph: 3 frames of 300, 2 and the rest (1).
        let mut x = vec![0x81, 0, 0, 0x02, 2, 255, 45, 2];
        x.extend(std::iter::repeat_n(7, 303));
        let f = frames(&x).unwrap();
        assert_eq!(f.iter().map(Vec::len).collect::<Vec<_>>(), vec![300, 2, 1]);
        // Fixed: 4 frames of 2.
        let f = frames(&[0x81, 0, 0, 0x04, 3, 1, 1, 2, 2, 3, 3, 4, 4]).unwrap();
        assert_eq!(f, vec![vec![1, 1], vec![2, 2], vec![3, 3], vec![4, 4]]);
        assert!(frames(&[0x81, 0, 0, 0x04, 1, 1, 2, 3]).is_err());
        // EBML: 3 frames: 4, 4 - 1 = 3, the rest (2).
        let f = frames(&[0x81, 0, 0, 0x06, 2, 0x84, 0xBE, 1, 1, 1, 1, 2, 2, 2, 3, 3]).unwrap();
        assert_eq!(f.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 3, 2]);
        // A negative size, and sizes past the end.
        assert!(matches!(frames(&[0x81, 0, 0, 0x06, 2, 0x81, 0x80, 1]), Err(MkvError::BadLacing { .. })));
        assert!(matches!(frames(&[0x81, 0, 0, 0x02, 1, 200, 1]), Err(MkvError::BadLacing { .. })));
        assert!(matches!(frames(&[0x81, 0, 0, 0x02, 255, 255, 255]), Err(MkvError::BadLacing { .. })));
    }
}

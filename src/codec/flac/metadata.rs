//! FLAC metadata (RFC 9639 section 8): the 4-byte block headers, the walk
//! over a run of blocks, and STREAMINFO, the one block every stream starts
//! with. A `.flac` file puts these blocks after its `fLaC` marker, MP4's
//! `dfLa` box carries them, and WebCodecs hands them over as a FLAC
//! decoder description.

use std::fmt;

/// Length of a STREAMINFO block body.
pub const STREAMINFO_LEN: usize = 34;

/// Block type of STREAMINFO.
pub const STREAMINFO: u8 = 0;

/// The block type RFC 9639 forbids (it would look like a frame sync code).
pub const FORBIDDEN_BLOCK_TYPE: u8 = 127;

/// Why metadata blocks are unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlacMetadataError {
    /// The data ends inside a block header.
    TruncatedHeader,
    /// The data ends inside a block's body.
    TruncatedBlock(BlockHeader),
    /// A STREAMINFO body shorter than 34 bytes.
    ShortStreamInfo,
    /// The first block is not a 34-byte STREAMINFO.
    NoStreamInfo,
    /// A STREAMINFO block after the first one, or one of another size.
    MisplacedStreamInfo,
    /// A block of type 127.
    ForbiddenBlockType,
}

impl fmt::Display for FlacMetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlacMetadataError::TruncatedHeader => f.write_str("FLAC metadata ends inside a block header"),
            FlacMetadataError::TruncatedBlock(_) => f.write_str("FLAC metadata ends inside a block"),
            FlacMetadataError::ShortStreamInfo => f.write_str("the STREAMINFO block is shorter than 34 bytes"),
            FlacMetadataError::NoStreamInfo => f.write_str("FLAC metadata must start with a 34-byte STREAMINFO block"),
            FlacMetadataError::MisplacedStreamInfo => {
                f.write_str("FLAC metadata has a misplaced or mis-sized STREAMINFO block")
            }
            FlacMetadataError::ForbiddenBlockType => f.write_str("FLAC metadata has a block of the forbidden type 127"),
        }
    }
}

impl std::error::Error for FlacMetadataError {}

/// A metadata block header: last-block flag, 7-bit type, 24-bit length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// The last metadata block before the frames.
    pub last: bool,
    /// 0 STREAMINFO, 1 PADDING, 2 APPLICATION, 3 SEEKTABLE, 4
    /// VORBIS_COMMENT, 5 CUESHEET, 6 PICTURE; 127 is forbidden.
    pub block_type: u8,
    /// Body length in bytes (24 bits).
    pub length: u32,
}

impl BlockHeader {
    /// The header in `bytes`.
    pub fn parse(bytes: [u8; 4]) -> BlockHeader {
        BlockHeader {
            last: bytes[0] & 0x80 != 0,
            block_type: bytes[0] & 0x7f,
            length: u32::from_be_bytes([0, bytes[1], bytes[2], bytes[3]]),
        }
    }

    /// The 4 header bytes (the length's top byte is dropped: it must fit
    /// 24 bits).
    pub fn to_bytes(self) -> [u8; 4] {
        let [_, a, b, c] = self.length.to_be_bytes();
        [u8::from(self.last) << 7 | (self.block_type & 0x7f), a, b, c]
    }
}

/// One metadata block, borrowed from the data walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataBlock<'a> {
    /// Its header.
    pub header: BlockHeader,
    /// Its body.
    pub body: &'a [u8],
    /// Offset of its header in the data walked.
    pub offset: usize,
    /// Offset just past its body.
    pub end: usize,
}

/// The blocks of `data` in order, to its end, whatever their last-block
/// flags say; stops after the first error.
pub fn metadata_blocks(data: &[u8]) -> MetadataBlocks<'_> {
    MetadataBlocks { data, pos: 0, done: false }
}

/// Iterator of [`metadata_blocks`].
#[derive(Debug, Clone)]
pub struct MetadataBlocks<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Iterator for MetadataBlocks<'a> {
    type Item = Result<MetadataBlock<'a>, FlacMetadataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        let offset = self.pos;
        let rest = self.data.get(offset..).unwrap_or_default();
        let Some(&[a, b, c, d]) = rest.get(..4).and_then(|h| <&[u8; 4]>::try_from(h).ok()) else {
            self.done = true;
            return Some(Err(FlacMetadataError::TruncatedHeader));
        };
        let header = BlockHeader::parse([a, b, c, d]);
        let Some(body) = rest.get(4..).and_then(|r| r.get(..header.length as usize)) else {
            self.done = true;
            return Some(Err(FlacMetadataError::TruncatedBlock(header)));
        };
        let end = offset + 4 + body.len();
        self.pos = end;
        Some(Ok(MetadataBlock { header, body, offset, end }))
    }
}

/// Checks metadata blocks as a writer takes them: STREAMINFO (34 bytes)
/// first and only there, no block of type 127, every block complete. The
/// last-block flags are not checked ([`with_last_flag`] sets them).
/// Returns the STREAMINFO.
pub fn check_metadata(data: &[u8]) -> Result<FlacStreamInfo, FlacMetadataError> {
    let starts_right = data.len() >= 4 + STREAMINFO_LEN && data.first().is_some_and(|b| b & 0x7f == STREAMINFO);
    if !starts_right {
        return Err(FlacMetadataError::NoStreamInfo);
    }
    for (i, block) in metadata_blocks(data).enumerate() {
        let header = match block {
            Ok(b) => b.header,
            Err(FlacMetadataError::TruncatedBlock(h)) => h,
            Err(e) => return Err(e),
        };
        if header.block_type == STREAMINFO && (i != 0 || header.length as usize != STREAMINFO_LEN) {
            return Err(FlacMetadataError::MisplacedStreamInfo);
        }
        if header.block_type == FORBIDDEN_BLOCK_TYPE {
            return Err(FlacMetadataError::ForbiddenBlockType);
        }
        block?;
    }
    FlacStreamInfo::parse(data.get(4..).unwrap_or_default())
}

/// `data` with the last-block flag set on its final block and cleared on
/// every other one. Blocks are walked as far as they are complete.
pub fn with_last_flag(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    for block in metadata_blocks(data).map_while(Result::ok) {
        if let Some(first) = out.get_mut(block.offset) {
            *first = (*first & 0x7f) | if block.end >= data.len() { 0x80 } else { 0 };
        }
    }
    out
}

/// STREAMINFO (RFC 9639 section 8.2): the stream's format and totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlacStreamInfo {
    /// Smallest block size in samples (equal to the largest for a fixed
    /// block size; the last block may be shorter).
    pub min_block_size: u16,
    /// Largest block size in samples.
    pub max_block_size: u16,
    /// Smallest frame in bytes (24 bits); 0 when unknown.
    pub min_frame_size: u32,
    /// Largest frame in bytes (24 bits); 0 when unknown.
    pub max_frame_size: u32,
    /// Samples per second (20 bits).
    pub sample_rate: u32,
    /// 1 to 8.
    pub channels: u8,
    /// 4 to 32.
    pub bits_per_sample: u8,
    /// Samples per channel in the stream (36 bits); 0 when unknown.
    pub total_samples: u64,
    /// MD5 of the decoded audio; all zeros when unknown.
    pub md5: [u8; 16],
}

impl FlacStreamInfo {
    /// Reads the first 34 bytes of `body`.
    pub fn parse(body: &[u8]) -> Result<FlacStreamInfo, FlacMetadataError> {
        let s: &[u8; STREAMINFO_LEN] =
            body.get(..STREAMINFO_LEN).and_then(|s| s.try_into().ok()).ok_or(FlacMetadataError::ShortStreamInfo)?;
        let u24 = |i: usize| u32::from_be_bytes([0, s[i], s[i + 1], s[i + 2]]);
        let packed = u64::from_be_bytes([s[10], s[11], s[12], s[13], s[14], s[15], s[16], s[17]]);
        let mut md5 = [0u8; 16];
        md5.copy_from_slice(&s[18..34]);
        Ok(FlacStreamInfo {
            min_block_size: u16::from_be_bytes([s[0], s[1]]),
            max_block_size: u16::from_be_bytes([s[2], s[3]]),
            min_frame_size: u24(4),
            max_frame_size: u24(7),
            sample_rate: (packed >> 44) as u32,
            channels: ((packed >> 41) & 0x7) as u8 + 1,
            bits_per_sample: ((packed >> 36) & 0x1f) as u8 + 1,
            total_samples: packed & 0xf_ffff_ffff,
            md5,
        })
    }

    /// The 34-byte body. Fields wider than their bit widths are cut to
    /// them; `channels` and `bits_per_sample` must be at least 1.
    pub fn to_bytes(&self) -> [u8; STREAMINFO_LEN] {
        let mut s = [0u8; STREAMINFO_LEN];
        s[0..2].copy_from_slice(&self.min_block_size.to_be_bytes());
        s[2..4].copy_from_slice(&self.max_block_size.to_be_bytes());
        s[4..7].copy_from_slice(&self.min_frame_size.to_be_bytes()[1..]);
        s[7..10].copy_from_slice(&self.max_frame_size.to_be_bytes()[1..]);
        // 20 bits rate, 3 bits channels-1, 5 bits bits-1, 36 bits total.
        let packed = (u64::from(self.sample_rate & 0xf_ffff) << 44)
            | (u64::from(self.channels.saturating_sub(1) & 0x7) << 41)
            | (u64::from(self.bits_per_sample.saturating_sub(1) & 0x1f) << 36)
            | (self.total_samples & 0xf_ffff_ffff);
        s[10..18].copy_from_slice(&packed.to_be_bytes());
        s[18..34].copy_from_slice(&self.md5);
        s
    }

    /// The whole block: its header (flagged last when `last`) and body.
    pub fn to_block(&self, last: bool) -> Vec<u8> {
        let header = BlockHeader { last, block_type: STREAMINFO, length: STREAMINFO_LEN as u32 };
        let mut b = Vec::with_capacity(4 + STREAMINFO_LEN);
        b.extend_from_slice(&header.to_bytes());
        b.extend_from_slice(&self.to_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: FlacStreamInfo = FlacStreamInfo {
        min_block_size: 4096,
        max_block_size: 4096,
        min_frame_size: 14,
        max_frame_size: 0x01_2345,
        sample_rate: 44_100,
        channels: 2,
        bits_per_sample: 24,
        total_samples: 0x9_8765_4321,
        md5: [7; 16],
    };

    fn block(last: bool, block_type: u8, body: &[u8]) -> Vec<u8> {
        let mut b = BlockHeader { last, block_type, length: body.len() as u32 }.to_bytes().to_vec();
        b.extend_from_slice(body);
        b
    }

    #[test]
    fn stream_info_round_trips() {
        assert_eq!(FlacStreamInfo::parse(&INFO.to_bytes()), Ok(INFO));
        let block = INFO.to_block(true);
        assert_eq!(&block[..4], &[0x80, 0, 0, 34]);
        // 0000 1010 1100 0100 0100 (44100), 001 (2 channels), 1 0111 (24 bits).
        assert_eq!(&block[14..18], &[0x0a, 0xc4, 0x43, 0x79]);
        assert_eq!(FlacStreamInfo::parse(&block[4..37]), Err(FlacMetadataError::ShortStreamInfo));
        assert_eq!(check_metadata(&block), Ok(INFO));
    }

    #[test]
    fn blocks_are_walked_to_the_end() {
        let data = [INFO.to_block(false), block(false, 1, &[0; 3]), block(false, 4, b"vendor")].concat();
        let blocks: Vec<_> = metadata_blocks(&data).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            blocks.iter().map(|b| (b.header.block_type, b.offset, b.end)).collect::<Vec<_>>(),
            [(0, 0, 38), (1, 38, 45), (4, 45, 55)]
        );
        assert_eq!(blocks[2].body, b"vendor");
        let flagged = with_last_flag(&data);
        let lasts: Vec<bool> = metadata_blocks(&flagged).map(|b| b.unwrap().header.last).collect();
        assert_eq!(lasts, [false, false, true]);
        assert_eq!(with_last_flag(&INFO.to_block(false)), INFO.to_block(true));
        assert_eq!(metadata_blocks(&data[..40]).last(), Some(Err(FlacMetadataError::TruncatedHeader)));
        assert!(matches!(metadata_blocks(&data[..50]).last(), Some(Err(FlacMetadataError::TruncatedBlock(_)))));
        assert_eq!(metadata_blocks(&[]).count(), 0);
    }

    #[test]
    fn writers_rules() {
        let info = INFO.to_block(true);
        assert_eq!(check_metadata(&info[..37]), Err(FlacMetadataError::NoStreamInfo));
        assert_eq!(check_metadata(&block(true, 1, &[0; 40])), Err(FlacMetadataError::NoStreamInfo));
        assert_eq!(check_metadata(&block(true, 0, &[0; 35])), Err(FlacMetadataError::MisplacedStreamInfo));
        assert_eq!(check_metadata(&[info.clone(), info.clone()].concat()), Err(FlacMetadataError::MisplacedStreamInfo));
        assert_eq!(
            check_metadata(&[info.clone(), block(true, 127, &[])].concat()),
            Err(FlacMetadataError::ForbiddenBlockType)
        );
        assert_eq!(check_metadata(&[info.clone(), vec![0x81, 0]].concat()), Err(FlacMetadataError::TruncatedHeader));
        assert!(matches!(
            check_metadata(&[info.clone(), vec![0x81, 0, 0, 9, 1]].concat()),
            Err(FlacMetadataError::TruncatedBlock(_))
        ));
        // Type checks come before the truncation of the same block.
        assert_eq!(
            check_metadata(&[info.clone(), vec![0xff, 0, 0, 9, 1]].concat()),
            Err(FlacMetadataError::ForbiddenBlockType)
        );
    }
}

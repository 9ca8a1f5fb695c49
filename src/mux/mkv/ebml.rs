//! EBML (RFC 8794): variable-size integers, element headers, the element
//! IDs the demuxer knows, and the values of elements held in memory.

use super::error::MkvError;

/// EBML header.
pub const EBML: u32 = 0x1A45_DFA3;
/// EBML header: the reader version needed.
pub const EBML_READ_VERSION: u32 = 0x42F7;
/// EBML header: longest element ID, bytes.
pub const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
/// EBML header: longest element size, bytes.
pub const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
/// EBML header: the document type (`webm`, `matroska`).
pub const DOC_TYPE: u32 = 0x4282;
/// Global: padding (skipped like any element the demuxer does not read).
#[cfg(test)]
pub const VOID: u32 = 0xEC;

/// The Segment: everything after the EBML header.
pub const SEGMENT: u32 = 0x1853_8067;
/// Segment child: index of the top-level elements.
pub const SEEK_HEAD: u32 = 0x114D_9B74;
/// Segment child: segment information.
pub const INFO: u32 = 0x1549_A966;
/// Segment child: the track entries.
pub const TRACKS: u32 = 0x1654_AE6B;
/// Segment child: a cluster of blocks.
pub const CLUSTER: u32 = 0x1F43_B675;
/// Segment child: the seek index.
pub const CUES: u32 = 0x1C53_BB6B;
/// Segment child: metadata tags.
pub const TAGS: u32 = 0x1254_C367;
/// Segment child: chapters.
pub const CHAPTERS: u32 = 0x1043_A770;
/// Segment child: attached files.
pub const ATTACHMENTS: u32 = 0x1941_A469;

/// Info: nanoseconds per timestamp tick.
pub const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
/// Info: duration in timestamp ticks (a float).
pub const DURATION: u32 = 0x4489;

/// Tracks: one track.
pub const TRACK_ENTRY: u32 = 0xAE;
/// TrackEntry: the number blocks refer to.
pub const TRACK_NUMBER: u32 = 0xD7;
/// TrackEntry: 1 video, 2 audio, 17 subtitle, ...
pub const TRACK_TYPE: u32 = 0x83;
/// TrackEntry: the codec (`V_VP8`, `A_OPUS`, ...).
pub const CODEC_ID: u32 = 0x86;
/// TrackEntry: the codec's configuration record.
pub const CODEC_PRIVATE: u32 = 0x63A2;
/// TrackEntry: nanoseconds per frame.
pub const DEFAULT_DURATION: u32 = 0x23_E383;
/// TrackEntry: decoder delay, nanoseconds.
pub const CODEC_DELAY: u32 = 0x56AA;
/// TrackEntry: pre-roll after a seek, nanoseconds.
pub const SEEK_PRE_ROLL: u32 = 0x56BB;
/// TrackEntry: ISO 639-2 language.
pub const LANGUAGE: u32 = 0x22_B59C;
/// TrackEntry: compression or encryption of the frames.
pub const CONTENT_ENCODINGS: u32 = 0x6D80;
/// TrackEntry: video settings.
pub const VIDEO: u32 = 0xE0;
/// Video: coded width.
pub const PIXEL_WIDTH: u32 = 0xB0;
/// Video: coded height.
pub const PIXEL_HEIGHT: u32 = 0xBA;
/// Video: display width.
pub const DISPLAY_WIDTH: u32 = 0x54B0;
/// Video: display height.
pub const DISPLAY_HEIGHT: u32 = 0x54BA;
/// TrackEntry: audio settings.
pub const AUDIO: u32 = 0xE1;
/// Audio: sampling frequency, Hz (a float).
pub const SAMPLING_FREQUENCY: u32 = 0xB5;
/// Audio: output sampling frequency (SBR), Hz (a float).
pub const OUTPUT_SAMPLING_FREQUENCY: u32 = 0x78B5;
/// Audio: channels.
pub const CHANNELS: u32 = 0x9F;
/// Audio: bits per sample.
pub const BIT_DEPTH: u32 = 0x6264;

/// Cluster: the cluster's timestamp.
pub const TIMESTAMP: u32 = 0xE7;
/// Cluster: a block with its flags.
pub const SIMPLE_BLOCK: u32 = 0xA3;
/// Cluster: a block with its group's elements.
pub const BLOCK_GROUP: u32 = 0xA0;
/// BlockGroup: the block.
pub const BLOCK: u32 = 0xA1;
/// BlockGroup: duration in timestamp ticks.
pub const BLOCK_DURATION: u32 = 0x9B;
/// BlockGroup: a reference: the block is not a keyframe.
pub const REFERENCE_BLOCK: u32 = 0xFB;
/// BlockGroup: nanoseconds of padding to drop from the end.
pub const DISCARD_PADDING: u32 = 0x75A2;

/// An element's size field meaning "unknown": all value bits set.
pub const UNKNOWN_SIZE: u64 = u64::MAX;

/// The children of the Segment: an element with one of these IDs (or a
/// top-level one) ends an unknown-size Cluster.
pub fn is_segment_child(id: u32) -> bool {
    matches!(id, SEEK_HEAD | INFO | TRACKS | CLUSTER | CUES | TAGS | CHAPTERS | ATTACHMENTS)
}

/// Top-level elements: they end an unknown-size Segment.
pub fn is_top_level(id: u32) -> bool {
    matches!(id, EBML | SEGMENT)
}

/// An element header: ID, body size ([`UNKNOWN_SIZE`] when unknown) and
/// header length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub id: u32,
    pub size: u64,
    pub len: usize,
}

/// Reads an element header at the start of `data`. `Ok(None)` when `data`
/// ends first; `offset` is where `data` starts, for errors.
pub fn header(data: &[u8], offset: u64) -> Result<Option<Header>, MkvError> {
    let Some(&first) = data.first() else { return Ok(None) };
    let id_len = (first.leading_zeros() as usize).saturating_add(1);
    if id_len > 4 {
        return Err(MkvError::BadVint { offset });
    }
    let Some(id_bytes) = data.get(..id_len) else { return Ok(None) };
    let id = id_bytes.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b));
    let rest = data.get(id_len..).unwrap_or(&[]);
    let Some((size, size_len)) = vint(rest, offset.saturating_add(id_len as u64))? else { return Ok(None) };
    Ok(Some(Header { id, size, len: id_len.saturating_add(size_len) }))
}

/// Reads a variable-size integer (marker bit removed) at the start of
/// `data`: its value ([`UNKNOWN_SIZE`] when every value bit is set) and
/// length. `Ok(None)` when `data` ends first.
pub fn vint(data: &[u8], offset: u64) -> Result<Option<(u64, usize)>, MkvError> {
    let Some(&first) = data.first() else { return Ok(None) };
    if first == 0 {
        return Err(MkvError::BadVint { offset });
    }
    let len = (first.leading_zeros() as usize).saturating_add(1);
    let Some(bytes) = data.get(..len) else { return Ok(None) };
    // `len` is 1..=8: the marker bit of the first byte is at 8 - len.
    let first_value = u64::from(first) & (0xFF >> len);
    let value = bytes.iter().skip(1).fold(first_value, |v, &b| (v << 8) | u64::from(b));
    let bits = u32::try_from(len).unwrap_or(8).saturating_mul(7);
    let all_ones = 1u64.checked_shl(bits).map_or(u64::MAX, |v| v.saturating_sub(1));
    Ok(Some((if value == all_ones { UNKNOWN_SIZE } else { value }, len)))
}

/// One child element of an element held in memory.
#[derive(Debug, Clone, Copy)]
pub struct Child<'a> {
    pub id: u32,
    pub offset: u64,
    pub body: &'a [u8],
}

/// The children of a body held in memory, `offset` being where the body
/// starts in the input. Every child must lie inside the body; unknown
/// sizes are refused here.
pub fn children(body: &[u8], offset: u64) -> EbmlChildren<'_> {
    EbmlChildren { rest: body, offset, failed: false }
}

/// Iterator of [`children`].
pub struct EbmlChildren<'a> {
    rest: &'a [u8],
    offset: u64,
    failed: bool,
}

impl<'a> Iterator for EbmlChildren<'a> {
    type Item = Result<Child<'a>, MkvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.failed {
            return None;
        }
        let result = self.read();
        self.failed = result.is_err();
        Some(result)
    }
}

impl<'a> EbmlChildren<'a> {
    fn read(&mut self) -> Result<Child<'a>, MkvError> {
        let offset = self.offset;
        let h = header(self.rest, offset)?.ok_or(MkvError::Malformed {
            id: 0,
            offset,
            reason: "an element header runs past its parent",
        })?;
        let bad = MkvError::BadSize { id: h.id, offset };
        let size = usize::try_from(h.size).map_err(|_| bad.clone())?;
        let end = h.len.checked_add(size).ok_or(bad.clone())?;
        let body = self.rest.get(h.len..end).ok_or(bad)?;
        self.rest = self.rest.get(end..).unwrap_or(&[]);
        self.offset = offset.saturating_add(end as u64);
        Ok(Child { id: h.id, offset, body })
    }
}

impl Child<'_> {
    /// An unsigned integer element (0 to 8 bytes, big-endian).
    pub fn uint(&self) -> Result<u64, MkvError> {
        if self.body.len() > 8 {
            return Err(self.malformed("an unsigned integer longer than 8 bytes"));
        }
        Ok(self.body.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
    }

    /// A signed integer element (0 to 8 bytes, two's complement).
    pub fn int(&self) -> Result<i64, MkvError> {
        let raw = self.uint()?;
        // Shift the value's sign bit to bit 63, then back with sign fill.
        let shift = 8u32.saturating_sub(self.body.len() as u32).saturating_mul(8);
        let up = raw.checked_shl(shift).unwrap_or(0) as i64;
        Ok(up.checked_shr(shift).unwrap_or(0))
    }

    /// A float element (0, 4 or 8 bytes).
    pub fn float(&self) -> Result<f64, MkvError> {
        match *self.body {
            [] => Ok(0.0),
            [a, b, c, d] => Ok(f64::from(f32::from_be_bytes([a, b, c, d]))),
            [a, b, c, d, e, f, g, h] => Ok(f64::from_be_bytes([a, b, c, d, e, f, g, h])),
            _ => Err(self.malformed("a float that is not 0, 4 or 8 bytes")),
        }
    }

    /// A string element, cut at its first zero byte (lossy UTF-8).
    pub fn string(&self) -> String {
        let end = self.body.iter().position(|&b| b == 0).unwrap_or(self.body.len());
        String::from_utf8_lossy(self.body.get(..end).unwrap_or(&[])).into_owned()
    }

    /// [`MkvError::Malformed`] for this element.
    pub fn malformed(&self, reason: &'static str) -> MkvError {
        MkvError::Malformed { id: self.id, offset: self.offset, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vints_and_headers() {
        assert_eq!(vint(&[0x81], 0).unwrap(), Some((1, 1)));
        assert_eq!(vint(&[0x40, 0x02], 0).unwrap(), Some((2, 2)));
        assert_eq!(vint(&[0xFF], 0).unwrap(), Some((UNKNOWN_SIZE, 1)));
        assert_eq!(vint(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 0).unwrap(), Some((UNKNOWN_SIZE, 8)));
        assert_eq!(vint(&[0x01, 0, 0, 0, 0, 0, 0, 5], 0).unwrap(), Some((5, 8)));
        assert_eq!(vint(&[0x40], 0).unwrap(), None);
        assert_eq!(vint(&[0x00], 7), Err(MkvError::BadVint { offset: 7 }));
        let h = header(&[0x1A, 0x45, 0xDF, 0xA3, 0x84], 0).unwrap().unwrap();
        assert_eq!(h, Header { id: EBML, size: 4, len: 5 });
        assert_eq!(header(&[0x1A, 0x45], 0).unwrap(), None);
        assert_eq!(header(&[0x08, 0, 0, 0, 0], 3), Err(MkvError::BadVint { offset: 3 }));
    }

    #[test]
    fn values() {
        let c = |body: &'static [u8]| Child { id: 1, offset: 0, body };
        assert_eq!(c(&[0x0F, 0x42, 0x40]).uint().unwrap(), 1_000_000);
        assert_eq!(c(&[]).uint().unwrap(), 0);
        assert!(c(&[0; 9]).uint().is_err());
        assert_eq!(c(&[0xFF, 0xFE]).int().unwrap(), -2);
        assert_eq!(c(&[0x40, 0x49, 0x0F, 0xDB]).float().unwrap() as f32, std::f32::consts::PI);
        assert!(c(&[0; 3]).float().is_err());
        assert_eq!(c(b"webm\0\0").string(), "webm");
        let kids: Vec<_> = children(&[0xEC, 0x81, 0x00, 0xBF, 0x80], 10).collect();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[1].as_ref().unwrap().offset, 13);
        assert!(children(&[0xEC, 0x85, 0x00], 0).next().unwrap().is_err());
    }
}

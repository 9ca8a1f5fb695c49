//! Sample entries (`stsd` children) to [`CodecConfig`]: `avc1`/`avc3` +
//! `avcC`, `mp4a` + `esds`, `Opus` + `dOps`, `fLaC` + `dfLa`.

use super::boxes::{self, Bx};
use super::error::{FourCc, ReadError};
use crate::codec::aac::AudioSpecificConfig;
use crate::codec::flac::{self, metadata_blocks, FlacMetadataError, FlacStreamInfo, STREAMINFO_LEN};
use crate::codec::h264::bitstream::AvcDecoderConfigurationRecord;
use crate::codec::opus::{OpusHead, OpusHeadError};
use crate::codec::{CodecConfig, CodecConfigError, TrackKind};

/// The decoded sample entry of a track.
pub(super) struct Entry {
    pub codec: CodecConfig,
    pub data_reference_index: u16,
}

/// Decodes the sample entry `bx` of track `track_id`, whose handler says
/// it is `kind`.
pub(super) fn sample_entry(bx: &Bx<'_>, track_id: u32, kind: TrackKind) -> Result<Entry, ReadError> {
    let fourcc = bx.fourcc;
    let entry_kind = match &fourcc.0 {
        b"avc1" | b"avc3" => TrackKind::Video,
        b"mp4a" | b"Opus" | b"fLaC" => TrackKind::Audio,
        _ => return Err(ReadError::UnsupportedCodec { track_id, fourcc }),
    };
    if entry_kind != kind {
        return Err(ReadError::Malformed { fourcc, reason: "the sample entry does not match the track's handler" });
    }
    match entry_kind {
        TrackKind::Video => avc(bx, track_id),
        TrackKind::Audio => audio(bx, track_id),
    }
}

/// VisualSampleEntry (ISO/IEC 14496-12 12.1.3) with an `avcC` child
/// (ISO/IEC 14496-15 5.4.2).
fn avc(bx: &Bx<'_>, track_id: u32) -> Result<Entry, ReadError> {
    let fourcc = bx.fourcc;
    let mut r = bx.reader();
    r.skip(6, "reserved")?;
    let data_reference_index = r.u16("data_reference_index")?;
    r.skip(16, "pre_defined")?;
    let width = r.u16("width")?;
    let height = r.u16("height")?;
    r.skip(50, "VisualSampleEntry fields")?;
    let children =
        Bx { fourcc, offset: bx.offset, body: r.rest(), body_offset: bx.end().saturating_sub(r.rest().len() as u64) };
    let mut avcc = None;
    for child in children.children() {
        let child = child?;
        if child.fourcc == b"avcC" {
            boxes::once(&mut avcc, child, Some(fourcc))?;
        }
    }
    let avcc = boxes::required(avcc, b"avcC", fourcc)?;
    AvcDecoderConfigurationRecord::parse(avcc.body).map_err(|e| ReadError::CodecConfig {
        track_id,
        fourcc: avcc.fourcc,
        error: CodecConfigError::Avc(e),
    })?;
    if width == 0 || height == 0 {
        let (field, value) = if width == 0 { ("width", width) } else { ("height", height) };
        return Err(ReadError::InvalidField { fourcc, field, value: value.into() });
    }
    Ok(Entry {
        codec: CodecConfig::Avc { avcc: avcc.body.to_vec(), width: width.into(), height: height.into() },
        data_reference_index,
    })
}

/// AudioSampleEntry (ISO/IEC 14496-12 12.2.3; QuickTime sound description
/// versions 1 and 2 too), then the codec's configuration box.
fn audio(bx: &Bx<'_>, track_id: u32) -> Result<Entry, ReadError> {
    let fourcc = bx.fourcc;
    let mut r = bx.reader();
    r.skip(6, "reserved")?;
    let data_reference_index = r.u16("data_reference_index")?;
    let version = r.u16("version")?;
    r.skip(6, "reserved")?;
    let mut channels = u32::from(r.u16("channelcount")?);
    r.skip(6, "samplesize and pre_defined")?;
    let mut sample_rate = r.u32("samplerate")? >> 16;
    match version {
        0 => {}
        // QuickTime: four more 32-bit fields.
        1 => r.skip(16, "sound description v1 fields")?,
        // QuickTime: the rate as a float64 and the channel count follow.
        2 => {
            r.skip(4, "sizeOfStructOnly")?;
            let rate = f64::from_bits(r.u64("audioSampleRate")?);
            channels = r.u32("numAudioChannels")?;
            r.skip(20, "sound description v2 fields")?;
            sample_rate =
                if rate.is_finite() && rate >= 1.0 && rate <= f64::from(u32::MAX) { rate.round() as u32 } else { 0 };
        }
        v => return Err(ReadError::UnsupportedVersion { fourcc, version: v.min(255) as u8 }),
    }
    let children =
        Bx { fourcc, offset: bx.offset, body: r.rest(), body_offset: bx.end().saturating_sub(r.rest().len() as u64) };
    let codec = match &fourcc.0 {
        b"mp4a" => aac(&children, track_id, sample_rate, channels)?,
        b"Opus" => opus(&children)?,
        _ => flac(&children)?,
    };
    Ok(Entry { codec, data_reference_index })
}

/// The single child of type `want` (looking one level into a QuickTime
/// `wave` box too when `in_wave`).
fn child<'a>(parent: &Bx<'a>, want: &[u8; 4], in_wave: bool) -> Result<Bx<'a>, ReadError> {
    let mut found = None;
    for c in parent.children() {
        let c = c?;
        if c.fourcc == want {
            boxes::once(&mut found, c, Some(parent.fourcc))?;
        } else if in_wave && c.fourcc == b"wave" && found.is_none() {
            if let Ok(inner) = child(&c, want, false) {
                found = Some(inner);
            }
        }
    }
    boxes::required(found, want, parent.fourcc)
}

/// `mp4a` with an `esds` (ISO/IEC 14496-14 5.6) whose DecoderSpecificInfo
/// is the AAC AudioSpecificConfig.
fn aac(entry: &Bx<'_>, track_id: u32, entry_rate: u32, entry_channels: u32) -> Result<CodecConfig, ReadError> {
    let esds = child(entry, b"esds", true)?;
    let (version, _, r) = esds.full()?;
    if version != 0 {
        return Err(ReadError::UnsupportedVersion { fourcc: esds.fourcc, version });
    }
    let fourcc = esds.fourcc;
    let es =
        find_descriptor(r.rest(), 0x03, fourcc)?.ok_or(ReadError::Malformed { fourcc, reason: "no ES_Descriptor" })?;
    // ES_Descriptor (ISO/IEC 14496-1 7.2.6.5): ES_ID, flags, optional fields.
    let mut es_r = Bx { body: es, ..esds }.reader();
    es_r.skip(2, "ES_ID")?;
    let flags = es_r.u8("ES_Descriptor flags")?;
    if flags & 0x80 != 0 {
        es_r.skip(2, "dependsOn_ES_ID")?;
    }
    if flags & 0x40 != 0 {
        let len = es_r.u8("URLlength")?;
        es_r.skip(len.into(), "URLstring")?;
    }
    if flags & 0x20 != 0 {
        es_r.skip(2, "OCR_ES_Id")?;
    }
    let dcd = find_descriptor(es_r.rest(), 0x04, fourcc)?
        .ok_or(ReadError::Malformed { fourcc, reason: "no DecoderConfigDescriptor" })?;
    // DecoderConfigDescriptor (7.2.6.6): 13 bytes, then DecoderSpecificInfo.
    let mut d = Bx { body: dcd, ..esds }.reader();
    let object_type = d.u8("objectTypeIndication")?;
    d.skip(12, "DecoderConfigDescriptor fields")?;
    // 0x40: MPEG-4 audio; 0x66-0x68: MPEG-2 AAC Main, LC, SSR.
    if !matches!(object_type, 0x40 | 0x66..=0x68) {
        return Err(ReadError::UnsupportedObjectType { track_id, object_type });
    }
    let asc = find_descriptor(d.rest(), 0x05, fourcc)?
        .ok_or(ReadError::Malformed { fourcc, reason: "no DecoderSpecificInfo (AudioSpecificConfig)" })?;
    let config = AudioSpecificConfig::parse(asc).map_err(|error| ReadError::CodecConfig { track_id, fourcc, error })?;
    let (asc_rate, asc_channels) = (config.sample_rate.unwrap_or(0), config.channels.map_or(0, u32::from));
    // The rate from the sample entry first: it is the decoder's output rate
    // (HE-AAC with implicit SBR signals only its core rate in the
    // AudioSpecificConfig); the AudioSpecificConfig when the entry says 0
    // (rates over 65535 Hz do not fit its 16.16 field). The channel count
    // from the AudioSpecificConfig first: ISO writers, ffmpeg among them,
    // put the template value 2 in the entry even for mono.
    let sample_rate = if entry_rate != 0 { entry_rate } else { asc_rate };
    let channels = if asc_channels != 0 { asc_channels } else { entry_channels };
    let channels = u16::try_from(channels).unwrap_or(0);
    if sample_rate == 0 {
        return Err(ReadError::InvalidField { fourcc: entry.fourcc, field: "samplerate", value: 0 });
    }
    if channels == 0 {
        return Err(ReadError::InvalidField { fourcc: entry.fourcc, field: "channelcount", value: 0 });
    }
    Ok(CodecConfig::Aac { asc: asc.to_vec(), sample_rate, channels })
}

/// The body of the first descriptor with `tag` among the descriptors that
/// fill `data` (ISO/IEC 14496-1 8.3.3: a tag byte, then a size in up to
/// four 7-bit groups).
fn find_descriptor(mut data: &[u8], tag: u8, fourcc: FourCc) -> Result<Option<&[u8]>, ReadError> {
    let short = ReadError::ShortBox { fourcc, field: "descriptor" };
    while let Some((&t, rest)) = data.split_first() {
        let mut size = 0usize;
        let mut rest = rest;
        let mut ended = false;
        for _ in 0..4 {
            let (&b, r) = rest.split_first().ok_or(short.clone())?;
            rest = r;
            size = (size << 7) | usize::from(b & 0x7f);
            if b & 0x80 == 0 {
                ended = true;
                break;
            }
        }
        if !ended {
            return Err(ReadError::Malformed { fourcc, reason: "descriptor size longer than four bytes" });
        }
        let body = rest.get(..size).ok_or(short.clone())?;
        if t == tag {
            return Ok(Some(body));
        }
        data = rest.get(size..).unwrap_or(&[]);
    }
    Ok(None)
}

/// `Opus` with a `dOps` box (Encapsulation of Opus in ISOBMFF, 4.3.2).
fn opus(entry: &Bx<'_>) -> Result<CodecConfig, ReadError> {
    let dops = child(entry, b"dOps", false)?;
    let fourcc = dops.fourcc;
    let (head, _family) = OpusHead::parse_dops(dops.body).map_err(|e| match e {
        OpusHeadError::UnsupportedVersion(version) => ReadError::UnsupportedVersion { fourcc, version },
        OpusHeadError::Truncated => ReadError::ShortBox { fourcc, field: "fields" },
        _ => ReadError::Malformed { fourcc, reason: "invalid field values" },
    })?;
    if head.channels == 0 {
        return Err(ReadError::InvalidField { fourcc, field: "OutputChannelCount", value: 0 });
    }
    Ok(head.codec_config())
}

/// `fLaC` with a `dfLa` box (FLAC in ISOBMFF, 3.3.2): FLAC metadata blocks,
/// STREAMINFO first.
fn flac(entry: &Bx<'_>) -> Result<CodecConfig, ReadError> {
    let dfla = child(entry, b"dfLa", false)?;
    let fourcc = dfla.fourcc;
    let (version, _, r) = dfla.full()?;
    if version != 0 {
        return Err(ReadError::UnsupportedVersion { fourcc, version });
    }
    let metadata = r.rest();
    // The blocks up to the one flagged last, which must end the box.
    let mut stream_info = None;
    let mut end = None;
    for block in metadata_blocks(metadata) {
        let block = block.map_err(|e| match e {
            FlacMetadataError::TruncatedHeader => ReadError::ShortBox { fourcc, field: "metadata block header" },
            _ => ReadError::ShortBox { fourcc, field: "metadata block" },
        })?;
        let (header, first) = (block.header, block.offset == 0);
        if first {
            if header.block_type != flac::STREAMINFO || block.body.len() != STREAMINFO_LEN {
                return Err(ReadError::Malformed { fourcc, reason: "the first metadata block is not a STREAMINFO" });
            }
            stream_info = Some(block.body);
        } else if header.block_type == flac::FORBIDDEN_BLOCK_TYPE {
            return Err(ReadError::Malformed { fourcc, reason: "metadata block type 127 is forbidden" });
        }
        if header.last {
            end = Some(block.end);
            break;
        }
    }
    let end = end.ok_or(ReadError::ShortBox { fourcc, field: "metadata block header" })?;
    if end != metadata.len() {
        return Err(ReadError::Malformed { fourcc, reason: "bytes after the last metadata block" });
    }
    let si = stream_info.ok_or(ReadError::Malformed { fourcc, reason: "no STREAMINFO" })?;
    let si = FlacStreamInfo::parse(si).map_err(|_| ReadError::ShortBox { fourcc, field: "STREAMINFO" })?;
    if si.sample_rate == 0 {
        return Err(ReadError::InvalidField { fourcc, field: "STREAMINFO sample rate", value: 0 });
    }
    Ok(CodecConfig::Flac {
        metadata: metadata.to_vec(),
        sample_rate: si.sample_rate,
        channels: u16::from(si.channels),
        bits_per_sample: u16::from(si.bits_per_sample),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_descriptors_are_bounded() {
        let f = FourCc(*b"esds");
        assert_eq!(find_descriptor(&[0x05, 0x02, 0x11, 0x90], 0x05, f).unwrap(), Some(&[0x11, 0x90][..]));
        assert_eq!(find_descriptor(&[0x06, 0x01, 0x02, 0x05, 0x80, 0x01, 7], 0x05, f).unwrap(), Some(&[7][..]));
        assert!(find_descriptor(&[0x05, 0x09, 0x11], 0x05, f).is_err());
        assert!(find_descriptor(&[0x05, 0xff, 0xff, 0xff, 0xff, 0x01], 0x05, f).is_err());
        assert_eq!(find_descriptor(&[], 0x05, f).unwrap(), None);
    }
}

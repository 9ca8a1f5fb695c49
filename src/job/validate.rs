//! Complete checking of a job before anything runs: every field's range,
//! then Elastic Transcoder's rules between fields. The table of rules is
//! in the module documentation of [`super`].

use std::fmt::Display;

use super::crypto::{base64_decode, md5};
use super::error::{JobError, JobErrorKind, JobErrors};
use super::model::*;
use super::parse::{self, one_of, quote};
use super::{
    DEFAULT_SEGMENT_DURATION_MICROS, MAX_CLIPS, MAX_OUTPUTS, MAX_PLAYLISTS, MAX_USER_METADATA, MAX_WATERMARKS,
};
use crate::preset::{system_preset, AudioCodec, Preset};

impl Job {
    /// Reads and validates a job. Every problem is reported: JSON syntax
    /// (then nothing else can be read), a wrong type, unknown or
    /// unsupported field in any part, and every rule
    /// [`Job::validate`] checks on the parts that could be read.
    /// `custom_presets` are the presets `presetId` may name besides the
    /// system presets (by their `id`; a custom preset wins over a system
    /// preset with the same id).
    pub fn from_json(text: &str, custom_presets: &[Preset]) -> Result<Job, JobErrors> {
        let parsed = parse::parse(text)?;
        let mut errors = parsed.errors;
        errors.extend(check(&parsed.job, custom_presets, &parsed.unread).errors);
        match JobErrors::from_vec(errors) {
            None => Ok(parsed.job),
            Some(e) => Err(e),
        }
    }

    /// Checks every field and every rule between fields (the table in
    /// [`super`]); the error lists all problems, in document order.
    pub fn validate(&self, custom_presets: &[Preset]) -> Result<(), JobErrors> {
        JobErrors::from_vec(check(self, custom_presets, &[]).errors).map_or(Ok(()), Err)
    }
}

/// The preset `id` names: a custom one first, then a system preset.
pub(super) fn lookup(id: &str, custom: &[Preset]) -> Option<Preset> {
    custom.iter().find(|p| p.id.as_deref() == Some(id)).cloned().or_else(|| system_preset(id))
}

/// What checking found: the problems, and each output's preset where it
/// could be found.
pub(super) struct Checked {
    pub errors: Vec<JobError>,
    pub presets: Vec<Option<Preset>>,
}

struct Checker<'a> {
    errors: Vec<JobError>,
    unread: &'a [String],
}

impl Checker<'_> {
    fn push(&mut self, kind: JobErrorKind, field: impl Into<String>, expected: impl Into<String>, value: impl Display) {
        let field = field.into();
        let covered = self
            .unread
            .iter()
            .any(|u| field == *u || field.strip_prefix(u.as_str()).is_some_and(|rest| rest.starts_with(['.', '['])));
        if !covered {
            self.errors.push(JobError::new(kind, field, expected, value));
        }
    }

    /// Whether `field` could not be read (its problem is reported).
    fn is_unread(&self, field: &str) -> bool {
        self.unread.iter().any(|u| u == field)
    }

    fn invalid(&mut self, field: impl Into<String>, expected: impl Into<String>, value: impl Display) {
        self.push(JobErrorKind::InvalidValue, field, expected, value);
    }

    fn conflict(&mut self, field: impl Into<String>, expected: impl Into<String>, value: impl Display) {
        self.push(JobErrorKind::Conflict, field, expected, value);
    }

    /// A string of `min` to `max` characters.
    fn length(&mut self, field: &str, s: &str, min: usize, max: usize) {
        let n = s.chars().count();
        if !(min..=max).contains(&n) {
            let what =
                if min == 0 { format!("at most {max} characters") } else { format!("{min} to {max} characters") };
            self.invalid(field, what, format!("{} ({n} characters)", quote(s)));
        }
    }

    /// A count of items no higher than `max` (for jobs built in code; the
    /// reader reports longer lists itself).
    fn count(&mut self, field: &str, n: usize, max: usize, what: &str) {
        if n > max {
            self.invalid(field, format!("at most {max} {what}"), format!("{n} {what}"));
        }
    }

    /// A time span's own rule: a duration, when given, is not zero.
    fn span(&mut self, at: &str, span: &TimeSpan) {
        if span.duration_millis == Some(0) {
            self.invalid(format!("{at}.duration"), "longer than 0 seconds", "\"0\"");
        }
    }
}

fn seconds(ms: u64) -> String {
    format!("\"{}\"", seconds_text(ms, 3))
}

pub(super) fn check(job: &Job, custom: &[Preset], unread: &[String]) -> Checked {
    let mut c = Checker { errors: Vec::new(), unread };
    input(&mut c, &job.input);
    let presets: Vec<Option<Preset>> =
        job.outputs.iter().enumerate().map(|(n, o)| output(&mut c, job, n, o, custom)).collect();
    if job.outputs.is_empty() {
        c.invalid("outputs", format!("1 to {MAX_OUTPUTS} outputs"), "0 outputs");
    }
    c.count("outputs", job.outputs.len(), MAX_OUTPUTS, "outputs");
    c.count("playlists", job.playlists.len(), MAX_PLAYLISTS, "playlists");
    for (p, playlist) in job.playlists.iter().enumerate() {
        self::playlist(&mut c, job, p, playlist, &presets);
    }
    c.length("outputKeyPrefix", &job.output_key_prefix, 0, 255);
    c.count("userMetadata", job.user_metadata.len(), MAX_USER_METADATA, "pairs");
    for (k, v) in &job.user_metadata {
        let allowed = |s: &str| s.chars().all(|ch| ch.is_ascii_alphanumeric() || " _.:/=+-%@".contains(ch));
        const CHARS: &str = "letters A-Z a-z, digits, spaces and _.:/=+-%@";
        if k.is_empty() || k.chars().count() > 128 || !allowed(k) {
            c.invalid("userMetadata", format!("keys of 1 to 128 characters: {CHARS}"), quote(k));
        }
        if v.chars().count() > 256 || !allowed(v) {
            c.invalid(format!("userMetadata.{k}"), format!("at most 256 characters: {CHARS}"), quote(v));
        }
    }
    Checked { errors: c.errors, presets }
}

fn input(c: &mut Checker<'_>, input: &JobInput) {
    c.length("input.key", &input.key, 1, 1024);
    if !input.container.is_readable() {
        let readable: Vec<&str> = InputContainer::ALL.iter().filter(|k| k.is_readable()).map(|k| k.as_str()).collect();
        c.push(
            JobErrorKind::Unsupported,
            "input.container",
            format!(
                "a container framecast reads ({}); {} is not supported by framecast",
                one_of(&readable),
                input.container
            ),
            format!("\"{}\"", input.container),
        );
    }
    if let Some(span) = &input.time_span {
        c.span("input.timeSpan", span);
    }
}

fn output(c: &mut Checker<'_>, job: &Job, n: usize, o: &JobOutput, custom: &[Preset]) -> Option<Preset> {
    let at = format!("outputs[{n}]");
    c.length(&format!("{at}.key"), &o.key, 1, 255);
    if let Some(m) = job.outputs[..n].iter().position(|earlier| earlier.key == o.key) {
        c.conflict(format!("{at}.key"), format!("unique in the job (outputs[{m}] has the same key)"), quote(&o.key));
    }
    let preset = match (&o.preset_id, &o.preset) {
        (Some(id), Some(_)) => {
            c.conflict(format!("{at}.presetId"), "absent when `preset` is given (exactly one of the two)", quote(id));
            None
        }
        (None, None) if c.is_unread(&format!("{at}.preset")) => None,
        (None, None) => {
            c.push(
                JobErrorKind::MissingField,
                format!("{at}.presetId"),
                "given, or an inline `preset` (exactly one of the two)",
                "nothing",
            );
            None
        }
        (Some(id), None) => {
            let found = lookup(id, custom);
            if found.is_none() {
                c.invalid(
                    format!("{at}.presetId"),
                    "a system preset id (systemPresets() lists them) or the id of a custom preset given with the job",
                    quote(id),
                );
            }
            found
        }
        (None, Some(p)) => match p.validate() {
            Ok(()) => Some(p.as_ref().clone()),
            Err(errors) => {
                let path = format!("{at}.preset");
                for e in &errors {
                    let e = JobError::from_preset(&path, e);
                    c.push(e.kind, e.field, e.expected, e.value);
                }
                None
            }
        },
    };

    if let Some(us) = o.segment_duration_micros {
        let field = format!("{at}.segmentDuration");
        let shown = format!("\"{}\"", seconds_text(us / 10, 5));
        if !(1_000_000..=60_000_000).contains(&us) {
            c.invalid(&field, "seconds from 1 to 60", &shown);
        }
        if let Some(p) = preset.as_ref().filter(|p| !p.container.is_fragmented()) {
            c.conflict(
                &field,
                format!("absent for container {} (only segmented presets: fmp4, cmaf, hls, dash, ts)", p.container),
                &shown,
            );
        }
    }

    let pattern = &o.thumbnail_pattern;
    if !pattern.is_empty() {
        let field = format!("{at}.thumbnailPattern");
        if let Err(why) = thumbnail_pattern(pattern) {
            c.invalid(&field, why, quote(pattern));
        }
        if let Some(p) = preset.as_ref().filter(|p| p.thumbnails.is_none()) {
            c.conflict(&field, format!("empty: preset {} has no thumbnails settings", quote(&p.name)), quote(pattern));
        }
    }

    c.count(&format!("{at}.watermarks"), o.watermarks.len(), MAX_WATERMARKS, "watermarks");
    for (w, mark) in o.watermarks.iter().enumerate() {
        let wat = format!("{at}.watermarks[{w}]");
        let id = &mark.preset_watermark_id;
        c.length(&format!("{wat}.presetWatermarkId"), id, 1, 40);
        let missing = |p: &&Preset| !id.is_empty() && !p.watermarks.iter().any(|slot| &slot.id == id);
        if let Some(p) = preset.as_ref().filter(missing) {
            let slots: Vec<&str> = p.watermarks.iter().map(|s| s.id.as_str()).collect();
            let expected = if slots.is_empty() {
                format!("absent: preset {} has no watermark slots", quote(&p.name))
            } else {
                format!("a watermark id of preset {}: {}", quote(&p.name), one_of(&slots))
            };
            c.invalid(format!("{wat}.presetWatermarkId"), expected, quote(id));
        }
        if let Some(v) = o.watermarks[..w].iter().position(|earlier| &earlier.preset_watermark_id == id) {
            c.conflict(
                format!("{wat}.presetWatermarkId"),
                format!("unique in the output (watermarks[{v}] fills the same slot)"),
                quote(id),
            );
        }
        let key = &mark.input_key;
        c.length(&format!("{wat}.inputKey"), key, 1, 1024);
        let lower = key.to_ascii_lowercase();
        if ![".png", ".jpg", ".jpeg"].iter().any(|ext| lower.len() > ext.len() && lower.ends_with(ext)) {
            c.invalid(format!("{wat}.inputKey"), "the name of a .png, .jpg or .jpeg image", quote(key));
        }
    }

    c.count(&format!("{at}.composition"), o.composition.len(), MAX_CLIPS, "clips (one clip per output)");
    for (k, clip) in o.composition.iter().enumerate() {
        let cat = format!("{at}.composition[{k}].timeSpan");
        let span = &clip.time_span;
        c.span(&cat, span);
        let input = job.input.time_span.unwrap_or_default();
        if span.start() < input.start() {
            c.conflict(
                format!("{cat}.startTime"),
                format!("at or after the input's timeSpan.startTime ({})", seconds(input.start())),
                seconds(span.start()),
            );
        }
        // A zero-length input span is reported on its own.
        if let Some(end) = input.end().filter(|_| input.duration_millis != Some(0)) {
            if span.start() >= end {
                c.conflict(
                    format!("{cat}.startTime"),
                    format!("before the end of the input's timeSpan ({})", seconds(end)),
                    seconds(span.start()),
                );
            } else if let Some(clip_end) = span.end().filter(|e| *e > end) {
                c.conflict(
                    format!("{cat}.duration"),
                    format!(
                        "at most {} (the clip ends by the end of the input's timeSpan)",
                        seconds(end - span.start())
                    ),
                    seconds(clip_end - span.start()),
                );
            }
        }
    }
    preset
}

/// ET's `thumbnailPattern`: `{count}` required; `{resolution}` allowed; no
/// other braces.
fn thumbnail_pattern(pattern: &str) -> Result<(), &'static str> {
    const RULE: &str =
        "a pattern containing {count}, optionally {resolution}, and no other braces (or empty for no thumbnails)";
    if !pattern.contains("{count}") {
        return Err(RULE);
    }
    let rest = pattern.replace("{count}", "").replace("{resolution}", "");
    if rest.contains(['{', '}']) {
        return Err(RULE);
    }
    Ok(())
}

/// The segment duration an output is cut to, in µs, when its preset is
/// segmented.
pub(super) fn effective_segment_duration(o: &JobOutput) -> u64 {
    o.segment_duration_micros.unwrap_or(DEFAULT_SEGMENT_DURATION_MICROS)
}

fn playlist(c: &mut Checker<'_>, job: &Job, p: usize, playlist: &JobPlaylist, presets: &[Option<Preset>]) {
    let at = format!("playlists[{p}]");
    let name = &playlist.name;
    c.length(&format!("{at}.name"), name, 1, 255);
    if let Some(q) = job.playlists[..p].iter().position(|earlier| &earlier.name == name) {
        c.conflict(format!("{at}.name"), format!("unique in the job (playlists[{q}] has the same name)"), quote(name));
    }
    let dir = |n: &str| n.rsplit_once('/').map(|(d, _)| d.to_owned());
    if let Some(first) = job.playlists.first().filter(|_| p > 0) {
        if dir(name) != dir(&first.name) {
            let want = match dir(&first.name) {
                Some(d) => format!("in the folder {} like playlists[0] (ET's rule: the part before the last / is the same in every name)", quote(&d)),
                None => "without a / like playlists[0] (ET's rule: the part before the last / is the same in every name)".to_owned(),
            };
            c.conflict(format!("{at}.name"), want, quote(name));
        }
    }

    if playlist.output_keys.is_empty() {
        c.invalid(format!("{at}.outputKeys"), format!("1 to {MAX_OUTPUTS} output keys"), "0 output keys");
    }
    c.count(&format!("{at}.outputKeys"), playlist.output_keys.len(), MAX_OUTPUTS, "output keys");
    let format = playlist.format;
    // (output index, preset) of the first output read, for the rules
    // that all outputs share.
    let mut first: Option<(usize, usize)> = None;
    for (k, key) in playlist.output_keys.iter().enumerate() {
        let field = format!("{at}.outputKeys[{k}]");
        let Some(n) = job.outputs.iter().position(|o| &o.key == key) else {
            // Not when an output or its key could not be read.
            let unread_key = (0..job.outputs.len()).any(|i| c.is_unread(&format!("outputs[{i}].key")));
            if !c.is_unread("outputs") && !unread_key {
                c.invalid(&field, "the key of one of the job's outputs", quote(key));
            }
            continue;
        };
        if let Some(j) = playlist.output_keys[..k].iter().position(|earlier| earlier == key) {
            c.conflict(&field, format!("listed once (outputKeys[{j}] lists it too)"), quote(key));
            continue;
        }
        if let Some(q) = job.playlists[..p]
            .iter()
            .position(|other| other.format == format && other.output_keys.iter().any(|k| k == key))
        {
            c.conflict(&field, format!("in one {format} playlist only (playlists[{q}] lists it too)"), quote(key));
        }
        let output = &job.outputs[n];
        if let Some(preset) = presets.get(n).and_then(Option::as_ref) {
            if !preset.container.is_fragmented() {
                c.conflict(
                    &field,
                    "an output with a segmented preset (container fmp4, cmaf, hls, dash or ts)",
                    format!("{} (container {})", quote(key), preset.container),
                );
                continue;
            }
            if format == PlaylistFormat::HlsV3 {
                if let Some(a) = preset.audio.as_ref().filter(|a| a.codec != AudioCodec::Aac) {
                    c.conflict(
                        &field,
                        "an output with AAC audio (HLSv3 writes MPEG-TS, which carries H.264 and AAC)",
                        format!("{} (audio {})", quote(key), a.codec),
                    );
                }
            }
        }
        match first {
            None => first = Some((k, n)),
            Some((fk, fo)) => {
                let lead = &job.outputs[fo];
                let (mine, theirs) = (effective_segment_duration(output), effective_segment_duration(lead));
                if mine != theirs {
                    c.conflict(
                        &field,
                        format!(
                            "an output with the segmentDuration of outputKeys[{fk}] ({} s): a playlist's outputs share it",
                            seconds_text(theirs / 10, 5)
                        ),
                        format!("{} (segmentDuration {} s)", quote(key), seconds_text(mine / 10, 5)),
                    );
                }
                if output.composition.first() != lead.composition.first() {
                    c.conflict(
                        &field,
                        format!(
                            "an output with the clip of outputKeys[{fk}] ({}): a playlist's outputs share it",
                            clip_text(lead)
                        ),
                        format!("{} (clip {})", quote(key), clip_text(output)),
                    );
                }
            }
        }
    }

    if let Some(protection) = &playlist.hls_content_protection {
        protection_rules(c, &format!("{at}.hlsContentProtection"), format, protection);
    }
}

fn clip_text(o: &JobOutput) -> String {
    match o.composition.first() {
        None => "none".to_owned(),
        Some(clip) => {
            let span = clip.time_span;
            match span.duration_millis {
                Some(d) => format!("from {} s for {} s", seconds_text(span.start(), 3), seconds_text(d, 3)),
                None => format!("from {} s to the end", seconds_text(span.start(), 3)),
            }
        }
    }
}

/// Bytes of a base64 field, when it decodes to `len` bytes; else a problem.
fn sixteen(c: &mut Checker<'_>, field: String, text: &str, what: &str) -> Option<[u8; 16]> {
    let bytes = base64_decode(text).and_then(|b| <[u8; 16]>::try_from(b).ok());
    if bytes.is_none() {
        c.invalid(field, format!("base64 of {what} (16 bytes, padded standard base64)"), quote(text));
    }
    bytes
}

fn protection_rules(c: &mut Checker<'_>, at: &str, format: PlaylistFormat, pr: &HlsContentProtection) {
    if !matches!(format, PlaylistFormat::HlsV3 | PlaylistFormat::HlsV4) {
        c.conflict(
            at,
            format!("absent for format {format} (AES-128 protection is for HLSv3 and HLSv4 playlists)"),
            "an object",
        );
    }
    let key = if pr.key.is_empty() { None } else { sixteen(c, format!("{at}.key"), &pr.key, "an AES-128 key") };
    if !pr.key_md5.is_empty() {
        let field = format!("{at}.keyMd5");
        if pr.key.is_empty() {
            c.conflict(&field, "empty when the key is generated (no key is given)", quote(&pr.key_md5));
        } else if let (Some(md5_given), Some(key)) = (sixteen(c, field.clone(), &pr.key_md5, "an MD5 digest"), key) {
            if md5_given != md5(&key) {
                c.conflict(&field, "the base64 MD5 digest of the key", quote(&pr.key_md5));
            }
        }
    }
    if !pr.initialization_vector.is_empty() {
        let field = format!("{at}.initializationVector");
        if pr.key.is_empty() {
            c.conflict(&field, "empty when the key is generated (no key is given)", quote(&pr.initialization_vector));
        } else {
            sixteen(c, field, &pr.initialization_vector, "an initialization vector");
        }
    }
    let url = &pr.license_acquisition_url;
    let field = format!("{at}.licenseAcquisitionUrl");
    if !url.is_empty() {
        let absolute = ["https://", "http://"].iter().any(|s| url.len() > s.len() && url.starts_with(s));
        if !absolute || url.chars().count() > 512 || url.chars().any(|ch| ch.is_whitespace() || ch == '"') {
            c.invalid(
                &field,
                "an absolute http(s) URL of at most 512 characters, without spaces or quotes",
                quote(url),
            );
        }
    }
    match pr.key_storage_policy {
        _ if c.is_unread(&format!("{at}.keyStoragePolicy")) => {}
        KeyStoragePolicy::WithVariantPlaylists if !url.is_empty() => c.conflict(
            &field,
            "empty with keyStoragePolicy WithVariantPlaylists (the key file beside the playlists is the URI)",
            quote(url),
        ),
        KeyStoragePolicy::NoStore if url.is_empty() => c.push(
            JobErrorKind::MissingField,
            &field,
            "given with keyStoragePolicy NoStore (EXT-X-KEY needs the URI where the key is served)",
            "nothing",
        ),
        _ => {}
    }
}

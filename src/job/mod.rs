//! Transcoding jobs in Elastic Transcoder's vocabulary: the job JSON
//! ([`Job`]), its complete validation ([`Job::from_json`],
//! [`Job::validate`]), its resolution into what the engine runs
//! ([`Job::resolve`]) and its status ([`JobReport`]).
//!
//! Pure Rust, no I/O: nothing here reads a clock or makes random bytes
//! (times and random bytes come in as arguments). Errors are recoverable
//! (fix the job, submit again).
//!
//! # The JSON
//!
//! ET's `CreateJob` request in camelCase, read the way ET users wrote it:
//! field names may also be ET's PascalCase (`"Input": {"Key": ...}`, as
//! the AWS CLI wrote them), numbers may be strings (`"segmentDuration":
//! "10"`, `"rotate": 90`), and `null` counts as absent. An old ET job
//! needs only its preset ids and keys changed, and `pipelineId` removed.
//!
//! | field | accepts |
//! | --- | --- |
//! | `input.key` | 1 to 1024 characters (required) |
//! | `input.container` | `auto` (default) or ET's names; framecast reads mp4, mov, m4a, m4v, mpeg-ts, ts, webm, mkv, ogg, wav, flac, mp3, aac. 3gp, asf, avi, divx, flv, mpeg, mpeg-ps, mxf and vob are refused as not supported |
//! | `input.timeSpan` | `{startTime, duration}`, each `HH:mm:ss.SSS`, `mm:ss.SSS` or seconds with up to 3 decimals; at most 23:59:59.999 (86399.999); read as exact milliseconds |
//! | `input.rotate` | `auto` (default), 0, 90, 180, 270: the default for outputs that say `auto` |
//! | `input.frameRate` | `auto`, 10, 15, 23.97, 24, 25, 29.97, 30, 50, 60 |
//! | `input.resolution` | `auto` or `WIDTHxHEIGHT` |
//! | `input.aspectRatio` | `auto`, `1:1`, `4:3`, `3:2`, `16:9` |
//! | `input.interlaced` | `auto`, `true`, `false` |
//! | `outputs` | 1 to 30 (required) |
//! | `outputs[i].key` | 1 to 255 characters, unique in the job (required) |
//! | `outputs[i].presetId` / `preset` | exactly one: a system preset id or a custom preset's id given to validation, or an inline preset object |
//! | `outputs[i].rotate` | `auto` (default: the input's), 0, 90, 180, 270 |
//! | `outputs[i].segmentDuration` | 1 to 60 seconds, up to 5 decimals, segmented presets only (fmp4, cmaf, hls, dash, ts); default 10 s |
//! | `outputs[i].thumbnailPattern` | empty (default), or with `{count}`, optionally `{resolution}`, no other braces; the preset must have thumbnails |
//! | `outputs[i].watermarks` | up to 4 `{presetWatermarkId, inputKey}`: a slot id of the output's preset (once each); a `.png`, `.jpg` or `.jpeg` name |
//! | `outputs[i].composition` | at most one `{timeSpan}`: the clip, on the input's timeline, inside the input's `timeSpan` |
//! | `playlists` | 0 to 30 |
//! | `playlists[p].name` | 1 to 255 characters, unique; with a `/`, the part before the last `/` is the same in every name |
//! | `playlists[p].format` | `HLSv3` (MPEG-TS segments), `HLSv4` (fMP4 in one file per output, byte ranges, I-frame playlist), `MPEG-DASH`, `CMAF` (framecast's: one set of fMP4 segments, HLS and DASH manifests) |
//! | `playlists[p].outputKeys` | 1 to 30 keys of outputs with segmented presets; each output in at most one playlist per format; all share the effective segment duration and the clip; HLSv3 outputs have AAC audio (or none) |
//! | `playlists[p].hlsContentProtection` | HLSv3 and HLSv4 only: `method` `aes-128`; `key` (base64 of 16 bytes; generated when empty); `keyMd5` (must match the key's MD5; empty when the key is generated); `initializationVector` (base64 of 16 bytes; empty when the key is generated); `licenseAcquisitionUrl` (absolute http(s), at most 512 characters: required with `NoStore`, empty with `WithVariantPlaylists`); `keyStoragePolicy` `WithVariantPlaylists` (default) or `NoStore` |
//! | `outputKeyPrefix` | at most 255 characters |
//! | `userMetadata` | up to 10 pairs; keys 1 to 128, values at most 256 characters of `A-Z a-z 0-9`, space and `_.:/=+-%@` |
//!
//! ET fields framecast refuses as "not supported by framecast" (rather
//! than as unknown): `pipelineId`, `inputs` (concatenation), the single
//! `output` form, `input.encryption`, `input.inputCaptions`,
//! `outputs[i].captions`, `encryption`, `thumbnailEncryption`, `albumArt`,
//! `watermarks[w].encryption`, `playlists[p].playReadyDrm` and the format
//! `Smooth`, and the status fields of ET's read response (`id`, `arn`,
//! `status`, `timing`, `detectedProperties`, an output's `width` ...).
//! Any other unknown field is an error naming it.
//!
//! # Validation
//!
//! Complete before anything runs: every problem is reported at once
//! ([`JobErrors`]), each naming the field path, the value and what is
//! allowed: `outputs[2].segmentDuration must be seconds from 1 to 60, got
//! "90"`. Lists longer than their maximum are reported and only their first
//! items read.
//!
//! # Status
//!
//! [`JobReport`] is ET's `Job` read response: `Submitted -> Progressing ->
//! Complete | Canceled | Error` for the job and each output and playlist,
//! `statusDetail`, `timing`, the input's `detectedProperties`, warnings and
//! per-output progress. The job is `Progressing` from its first output's
//! start; once every output is finished it is `Complete` if all are, else
//! `Error`. A job can be canceled while `Submitted` or `Progressing`.
//!
//! ```
//! use framecast::job::{DetectedProperties, Job, JobReport, JobStatus, SegmentContainer};
//!
//! let job = Job::from_json(r#"{
//!     "Input": { "Key": "uploads/holiday.mov", "TimeSpan": { "StartTime": "00:00:01.500" } },
//!     "OutputKeyPrefix": "holiday/",
//!     "Outputs": [
//!         { "Key": "hls-720p", "PresetId": "1351620000001-200010", "SegmentDuration": "6",
//!           "ThumbnailPattern": "thumbs/{count}" },
//!         { "Key": "hls-360p", "PresetId": "1351620000001-200050", "SegmentDuration": "6" },
//!         { "key": "web.mp4", "presetId": "1351620000001-000010", "rotate": "auto",
//!           "composition": [{ "timeSpan": { "startTime": "10", "duration": "30.25" } }] }
//!     ],
//!     "Playlists": [
//!         { "Name": "index", "Format": "HLSv3", "OutputKeys": ["hls-720p", "hls-360p"],
//!           "HlsContentProtection": { "Method": "aes-128", "KeyStoragePolicy": "WithVariantPlaylists" } }
//!     ],
//!     "UserMetadata": { "customer": "acme" }
//! }"#, &[])?;
//! assert_eq!(job.input.time_span.unwrap().start_millis, Some(1500));
//!
//! // Keys and IVs the job leaves out come from the caller's random bytes.
//! let resolved = job.resolve(&[], |bytes: &mut [u8]| bytes.fill(7))?;
//! assert_eq!(resolved.outputs[0].name, "holiday/hls-720p");
//! assert_eq!(resolved.outputs[0].segment_containers, [SegmentContainer::Ts]);
//! assert_eq!(resolved.outputs[0].segment_duration_micros, Some(6_000_000));
//! assert_eq!(resolved.outputs[2].clip, Some((10_000, Some(30_250))));
//! assert_eq!(resolved.playlists[0].encryption.as_ref().unwrap().key, [7; 16]);
//!
//! // Every problem at once, each naming field, value and what is allowed.
//! let errors = Job::from_json(r#"{"input": {"key": "a.mp4"}, "outputs": [
//!     {"key": "x", "presetId": "1351620000001-200010", "segmentDuration": 90, "captions": {}}]}"#, &[])
//!     .unwrap_err();
//! assert_eq!(errors.to_string(), "2 problems: \
//!     outputs[0].captions must be left out: captions is not supported by framecast, got an object; \
//!     outputs[0].segmentDuration must be seconds from 1 to 60, got \"90\"");
//!
//! // The status model.
//! let mut report = JobReport::submitted("1351620000001-abc123", &job, 1_700_000_000_000);
//! for i in 0..3 {
//!     report.start_output(i, 1_700_000_000_100)?;
//!     report.complete_output(i, DetectedProperties::default(), 1_700_000_060_000)?;
//! }
//! assert_eq!(report.status, JobStatus::Complete);
//! assert!(report.to_json().contains("\"finishTimeMillis\": 1700000060000"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod crypto;
mod error;
pub mod model;
mod parse;
pub mod resolve;
pub mod status;
mod validate;

#[cfg(test)]
mod tests;

pub use crypto::{base64_decode, base64_encode, md5};
pub use error::{JobError, JobErrorKind, JobErrors, StatusError};
pub use model::{
    Clip, HlsContentProtection, InputAspectRatio, InputContainer, InputFrameRate, InputResolution, Interlaced, Job,
    JobInput, JobOutput, JobPlaylist, JobWatermark, KeyStoragePolicy, PlaylistFormat, ProtectionMethod, Rotate,
    TimeSpan,
};
pub use parse::MAX_JSON_BYTES;
pub use resolve::{Aes128Key, ResolvedInput, ResolvedJob, ResolvedOutput, ResolvedPlaylist, SegmentContainer};
pub use status::{
    DetectedProperties, InputReport, JobReport, JobStatus, JobWarning, OutputProgress, OutputReport, PlaylistReport,
    Timing,
};

/// Most outputs in a job (ET's limit).
pub const MAX_OUTPUTS: usize = 30;
/// Most playlists in a job (ET's limit).
pub const MAX_PLAYLISTS: usize = 30;
/// Most watermarks on an output (ET's limit, as many as a preset's slots).
pub const MAX_WATERMARKS: usize = 4;
/// Most clips in an output's composition (ET's limit).
pub const MAX_CLIPS: usize = 1;
/// Most `userMetadata` pairs (ET's limit).
pub const MAX_USER_METADATA: usize = 10;
/// Segment duration of a segmented output that gives none: 10 s, in µs.
/// (ET's schema gives no default; 10 s is HLS's customary target and
/// what ET's console proposed.)
pub const DEFAULT_SEGMENT_DURATION_MICROS: u64 = 10_000_000;

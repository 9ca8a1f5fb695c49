//! The stable error codes of the JS API and the [`Coded`] trait that maps
//! every stage error onto one of them.
//!
//! Each stage keeps its own typed, `#[non_exhaustive]` error enum (the
//! variant says exactly what went wrong); [`Coded::code`] sorts it into one
//! of a short list of [`ErrorCode`]s that say what the caller can do about
//! it. The bindings (`src/web/error.rs`) turn a [`Coded`] error into a JS
//! `FramecastError` whose `code` is [`ErrorCode::as_str`], and whose
//! `field` is [`Coded::field`] where a configuration value is at fault.
//!
//! The strings are an API: a code, once published, keeps its meaning.
//! `pkg-templates/errors.js` and `errors.d.ts` list the same codes, and the
//! README's "Errors" table documents them; tests compare all three with
//! [`ErrorCode::ALL`]. The HTTP ingest protocol has its own codes
//! ([`crate::ingest::IngestErrorCode`]); a publisher whose upload fails reports
//! [`ErrorCode::UploadFailed`] with the server's code as its cause.

use std::fmt;

/// Writes a list of problems as one message: a single problem as itself,
/// several as "N problems: a; b; c". Shared by the lists of validation
/// problems (`PresetErrors`, `JobErrors`).
pub fn write_problems<E: fmt::Display>(f: &mut fmt::Formatter<'_>, problems: &[E]) -> fmt::Result {
    if let [only] = problems {
        return only.fmt(f);
    }
    write!(f, "{} problems: ", problems.len())?;
    for (i, e) in problems.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        e.fmt(f)?;
    }
    Ok(())
}

/// One stable, kebab-case error code of the JS API (`"invalid-config"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// An option or configuration value is missing, of the wrong type or out
    /// of range; `field` names it (`video.width`, `tracks[0].description`).
    InvalidConfig,
    /// A preset does not validate; `errors` lists every problem (field,
    /// value, message) and `field` is the first one's.
    InvalidPreset,
    /// A watermark image does not decode or is too large; `field` names its
    /// slot (`watermarks.BottomRight`).
    InvalidWatermark,
    /// A frame, sample or PCM buffer passed to a call is unusable: wrong
    /// buffer size, bad timestamp (not finite, negative, not increasing),
    /// first video sample not a keyframe; `field` names the argument when
    /// known (`timestamp`, `data`, `keyframe`, `trackId`).
    InvalidFrame,
    /// The object cannot take this call now: it was finished, freed,
    /// failed earlier, or is in the wrong state (`start()` twice).
    InvalidState,
    /// The input is not something framecast can read: not a media format it
    /// decodes, a codec or feature it lacks, a stream without a video track.
    UnsupportedInput,
    /// This runtime lacks something the call needs (a browser API such as
    /// `MediaStreamTrackProcessor` or `AudioWorklet`).
    UnsupportedRuntime,
    /// The camera or microphone could not be opened or played (permission
    /// denied, no device, device busy); `cause` is the browser's error.
    CaptureFailed,
    /// The input is damaged: an H.264 access unit or audio packet that does
    /// not decode, a malformed bitstream or configuration record.
    DecodeError,
    /// An encoder failed on valid input (OpenH264, FDK AAC, Opus, FLAC, MP3)
    /// or the audio conversion before it did.
    EncodeError,
    /// The container writer cannot write the stream (a size or sequence
    /// number overflows its field, an unsupported combination).
    MuxError,
    /// A playlist cannot be written from the segments given; `field` names
    /// the segment or option (`segments[3].sequence`).
    PlaylistError,
    /// The publisher's uploads failed for good (the server refused the init
    /// segment or the credentials); `cause` holds the server's answer with
    /// its ingest code (`unauthorized`, ...).
    UploadFailed,
    /// The publisher's Worker (or the wasm module in it) failed to load or
    /// crashed.
    WorkerError,
    /// `Publisher.stop()` ran out of time before every fragment and the end
    /// mark were acknowledged.
    StopTimeout,
    /// The caller aborted the work (`AbortSignal`, `cancel()`); `cause` is
    /// the abort reason.
    Aborted,
    /// A bug in framecast: an invariant did not hold. Please report it.
    Internal,
}

/// What helps after an error with this code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Remedy {
    /// Change the configuration, preset or data and call again; the object
    /// (if any) stays usable unless its docs say otherwise.
    FixInput,
    /// Fix the calling code: the call came at the wrong time.
    FixUsage,
    /// The same call may succeed later (network, server, load).
    Retry,
    /// Nothing: the caller asked for it (an abort).
    None,
    /// Report it: a bug in framecast.
    Report,
}

impl ErrorCode {
    /// Every code, in the order the README's table lists them.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::InvalidConfig,
        ErrorCode::InvalidPreset,
        ErrorCode::InvalidWatermark,
        ErrorCode::InvalidFrame,
        ErrorCode::InvalidState,
        ErrorCode::UnsupportedInput,
        ErrorCode::UnsupportedRuntime,
        ErrorCode::CaptureFailed,
        ErrorCode::DecodeError,
        ErrorCode::EncodeError,
        ErrorCode::MuxError,
        ErrorCode::PlaylistError,
        ErrorCode::UploadFailed,
        ErrorCode::WorkerError,
        ErrorCode::StopTimeout,
        ErrorCode::Aborted,
        ErrorCode::Internal,
    ];

    /// The code as JS sees it (`"invalid-config"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfig => "invalid-config",
            ErrorCode::InvalidPreset => "invalid-preset",
            ErrorCode::InvalidWatermark => "invalid-watermark",
            ErrorCode::InvalidFrame => "invalid-frame",
            ErrorCode::InvalidState => "invalid-state",
            ErrorCode::UnsupportedInput => "unsupported-input",
            ErrorCode::UnsupportedRuntime => "unsupported-runtime",
            ErrorCode::CaptureFailed => "capture-failed",
            ErrorCode::DecodeError => "decode-error",
            ErrorCode::EncodeError => "encode-error",
            ErrorCode::MuxError => "mux-error",
            ErrorCode::PlaylistError => "playlist-error",
            ErrorCode::UploadFailed => "upload-failed",
            ErrorCode::WorkerError => "worker-error",
            ErrorCode::StopTimeout => "stop-timeout",
            ErrorCode::Aborted => "aborted",
            ErrorCode::Internal => "internal",
        }
    }

    /// The code whose [`ErrorCode::as_str`] is `s`.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What the code means, in one line.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfig => "an option or configuration value is missing, mistyped or out of range",
            ErrorCode::InvalidPreset => "a preset does not validate",
            ErrorCode::InvalidWatermark => "a watermark image does not decode or is too large",
            ErrorCode::InvalidFrame => "a frame, sample or buffer passed to a call is unusable",
            ErrorCode::InvalidState => "the object cannot take this call now (finished, freed, failed, wrong state)",
            ErrorCode::UnsupportedInput => "the input is not a format, codec or stream framecast reads",
            ErrorCode::UnsupportedRuntime => "this runtime lacks an API the call needs",
            ErrorCode::CaptureFailed => "the camera or microphone could not be opened",
            ErrorCode::DecodeError => "the input is damaged and does not decode",
            ErrorCode::EncodeError => "an encoder failed",
            ErrorCode::MuxError => "the container writer cannot write the stream",
            ErrorCode::PlaylistError => "a playlist cannot be written from the segments given",
            ErrorCode::UploadFailed => "the server refused the uploads for good",
            ErrorCode::WorkerError => "the publisher's Worker or its wasm module failed to load or crashed",
            ErrorCode::StopTimeout => "stop() ran out of time before every upload was acknowledged",
            ErrorCode::Aborted => "the caller aborted the work",
            ErrorCode::Internal => "a bug in framecast",
        }
    }

    /// What helps after this error.
    pub fn remedy(self) -> Remedy {
        match self {
            ErrorCode::InvalidConfig
            | ErrorCode::InvalidPreset
            | ErrorCode::InvalidWatermark
            | ErrorCode::InvalidFrame
            | ErrorCode::UnsupportedInput
            | ErrorCode::DecodeError
            | ErrorCode::PlaylistError
            | ErrorCode::UploadFailed => Remedy::FixInput,
            ErrorCode::InvalidState | ErrorCode::UnsupportedRuntime => Remedy::FixUsage,
            ErrorCode::WorkerError | ErrorCode::StopTimeout | ErrorCode::CaptureFailed => Remedy::Retry,
            ErrorCode::Aborted => Remedy::None,
            ErrorCode::EncodeError | ErrorCode::MuxError | ErrorCode::Internal => Remedy::Report,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A typed stage error that crosses into JS: its stable [`ErrorCode`], and
/// the configuration field at fault when there is one.
pub trait Coded: std::error::Error {
    /// The stable code (see [`ErrorCode`]).
    fn code(&self) -> ErrorCode;

    /// The field at fault as a JSON path in the stage's own terms
    /// (`width`, `video.maxWidth`, `audio.codecOptions.profile`), or `None`.
    /// Bindings may prefix it with where the stage's options sit in theirs.
    fn field(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{s} is not kebab-case");
            assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"), "{s}");
            assert_eq!(ErrorCode::parse(s), Some(code));
            assert_eq!(code, s);
            assert!(!code.meaning().is_empty());
        }
        assert_eq!(ErrorCode::parse("encoder-failed"), None);
    }

    /// The codes between the first pair of `begin`/`end` markers in `text`,
    /// each the first quoted string on its line (after any `|`).
    fn listed(text: &str, begin: &str, end: &str) -> Vec<String> {
        let start = text.find(begin).map(|i| i + begin.len()).unwrap_or_else(|| panic!("no {begin}"));
        let stop = text[start..].find(end).map(|i| start + i).unwrap_or_else(|| panic!("no {end}"));
        text[start..stop]
            .lines()
            .filter_map(|l| {
                let l = l.trim_start().trim_start_matches('|').trim_start();
                let q = l.chars().next().filter(|c| *c == '\'' || *c == '"')?;
                l[1..].find(q).map(|e| l[1..1 + e].to_string())
            })
            .collect()
    }

    #[test]
    fn the_js_package_lists_exactly_these_codes() {
        let want: Vec<String> = ErrorCode::ALL.iter().map(|c| c.as_str().to_string()).collect();
        let js = include_str!("../pkg-templates/errors.js");
        assert_eq!(listed(js, "// codes:begin", "// codes:end"), want, "pkg-templates/errors.js ERROR_CODES");
        let dts = include_str!("../pkg-templates/errors.d.ts");
        assert_eq!(listed(dts, "// codes:begin", "// codes:end"), want, "pkg-templates/errors.d.ts ErrorCode");
    }
}

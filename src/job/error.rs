//! Why a job was refused ([`JobErrors`]: every problem, each naming its
//! field, the value and what is allowed) and why a status change was
//! refused ([`StatusError`]).

use std::fmt;

use crate::error::{Coded, ErrorCode};
use crate::preset::{PresetError, PresetErrorKind};

use super::status::JobStatus;

/// What sort of problem a [`JobError`] is; [`JobErrorKind::code`] is a
/// stable string for bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobErrorKind {
    /// The text is not JSON at all, or is too long.
    Syntax,
    /// A value has the wrong JSON type (an array where a string belongs).
    WrongType,
    /// A value of the right type that is not allowed: out of range, badly
    /// formed, not one of the listed names.
    InvalidValue,
    /// A field the job format does not have (often a typo).
    UnknownField,
    /// A required field is absent.
    MissingField,
    /// An Elastic Transcoder field or value that framecast does not
    /// support (captions, output encryption, an input container it cannot
    /// read, ...).
    Unsupported,
    /// Values that are fine alone but not together (two outputs with one
    /// key, a playlist whose outputs differ in segment duration, ...).
    Conflict,
}

impl JobErrorKind {
    /// `"syntax"`, `"wrong-type"`, `"invalid-value"`, `"unknown-field"`,
    /// `"missing-field"`, `"unsupported"` or `"conflict"`.
    pub fn code(self) -> &'static str {
        match self {
            JobErrorKind::Syntax => "syntax",
            JobErrorKind::WrongType => "wrong-type",
            JobErrorKind::InvalidValue => "invalid-value",
            JobErrorKind::UnknownField => "unknown-field",
            JobErrorKind::MissingField => "missing-field",
            JobErrorKind::Unsupported => "unsupported",
            JobErrorKind::Conflict => "conflict",
        }
    }
}

/// One problem with a job. Displays as "`field` must be `expected`, got
/// `value`", e.g. `outputs[2].segmentDuration must be from 1 to 60
/// seconds, got "90"`. Recoverable: fix the job and submit it again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobError {
    /// What sort of problem.
    pub kind: JobErrorKind,
    /// JSON path of the field in camelCase: `outputs[2].segmentDuration`,
    /// `playlists[0].hlsContentProtection.key`; empty for the document.
    pub field: String,
    /// The value found, as written (`"90"`, `an object`, `nothing`).
    pub value: String,
    /// What the field accepts.
    pub expected: String,
}

impl JobError {
    pub(super) fn new(
        kind: JobErrorKind,
        field: impl Into<String>,
        expected: impl Into<String>,
        value: impl fmt::Display,
    ) -> Self {
        JobError { kind, field: field.into(), value: value.to_string(), expected: expected.into() }
    }

    /// A problem of an inline preset, its field under `at`
    /// (`outputs[0].preset`).
    pub(super) fn from_preset(at: &str, e: &PresetError) -> Self {
        let kind = match e.kind {
            PresetErrorKind::Syntax => JobErrorKind::Syntax,
            PresetErrorKind::WrongType => JobErrorKind::WrongType,
            PresetErrorKind::UnknownField => JobErrorKind::UnknownField,
            PresetErrorKind::MissingField => JobErrorKind::MissingField,
            PresetErrorKind::Conflict => JobErrorKind::Conflict,
            _ => JobErrorKind::InvalidValue,
        };
        let field = if e.field.is_empty() { at.to_owned() } else { format!("{at}.{}", e.field) };
        JobError { kind, field, value: e.value.clone(), expected: e.expected.clone() }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = if self.field.is_empty() { "job" } else { &self.field };
        write!(f, "{field} must be {}, got {}", self.expected, self.value)
    }
}

impl std::error::Error for JobError {}

/// Every problem found in a job (never empty): problems reading the JSON
/// first, then broken rules, each in document order (the input, each
/// output, each playlist, the job's own fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobErrors(Vec<JobError>);

impl JobErrors {
    /// `None` when there is nothing to report.
    pub(super) fn from_vec(errors: Vec<JobError>) -> Option<Self> {
        (!errors.is_empty()).then_some(JobErrors(errors))
    }

    /// The problems.
    pub fn as_slice(&self) -> &[JobError] {
        &self.0
    }

    /// How many problems (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a `JobErrors` holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over the problems.
    pub fn iter(&self) -> std::slice::Iter<'_, JobError> {
        self.0.iter()
    }

    /// The problems, owned.
    pub fn into_vec(self) -> Vec<JobError> {
        self.0
    }
}

impl From<JobError> for JobErrors {
    fn from(e: JobError) -> Self {
        JobErrors(vec![e])
    }
}

impl<'a> IntoIterator for &'a JobErrors {
    type Item = &'a JobError;
    type IntoIter = std::slice::Iter<'a, JobError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for JobErrors {
    /// One problem: its message. Several: "N problems: a; b; c".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::write_problems(f, &self.0)
    }
}

impl std::error::Error for JobErrors {}

impl Coded for JobErrors {
    /// [`ErrorCode::InvalidConfig`]: a job is the configuration of a run.
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidConfig
    }

    /// The first problem's field.
    fn field(&self) -> Option<String> {
        self.0.first().map(|e| e.field.clone())
    }
}

/// A status change the status model refuses. Not recoverable for the
/// call: the runner asked for something out of order (a bug in the
/// caller, code [`ErrorCode::InvalidState`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusError {
    /// There is no output with this index.
    NoSuchOutput {
        /// The index asked for (from 0).
        index: usize,
        /// How many outputs the job has.
        count: usize,
    },
    /// The change is not one the model allows from the current status.
    Transition {
        /// `job` or `outputs[i]`.
        what: String,
        /// The status it has.
        from: JobStatus,
        /// The status asked for.
        to: JobStatus,
    },
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusError::NoSuchOutput { index, count } => {
                write!(f, "outputs[{index}] does not exist (the job has {count} outputs)")
            }
            StatusError::Transition { what, from, to } => {
                write!(f, "{what} cannot go from {from} to {to}")
            }
        }
    }
}

impl std::error::Error for StatusError {}

impl Coded for StatusError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidState
    }

    fn field(&self) -> Option<String> {
        match self {
            StatusError::NoSuchOutput { index, .. } => Some(format!("outputs[{index}]")),
            StatusError::Transition { .. } => None,
        }
    }
}

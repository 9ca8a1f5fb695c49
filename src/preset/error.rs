//! Why a preset was refused: every problem found, each naming its field
//! (as a JSON path), the value given and what was expected.

use std::fmt;

use crate::error::{Coded, ErrorCode};

/// What sort of problem a [`PresetError`] is; [`PresetErrorKind::code`]
/// is a stable string for bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PresetErrorKind {
    /// The text is not JSON at all.
    Syntax,
    /// A value has the wrong JSON type (an array where a number belongs).
    WrongType,
    /// A value of the right type that is not allowed: out of range, odd
    /// where it must be even, not one of the listed names.
    InvalidValue,
    /// A field the preset format does not have (often a typo).
    UnknownField,
    /// A required field is absent.
    MissingField,
    /// Values that are fine alone but not together (a bit-rate ceiling
    /// below the average, thumbnails without video, ...).
    Conflict,
}

impl PresetErrorKind {
    /// `"syntax"`, `"wrong-type"`, `"invalid-value"`, `"unknown-field"`,
    /// `"missing-field"` or `"conflict"`.
    pub fn code(self) -> &'static str {
        match self {
            PresetErrorKind::Syntax => "syntax",
            PresetErrorKind::WrongType => "wrong-type",
            PresetErrorKind::InvalidValue => "invalid-value",
            PresetErrorKind::UnknownField => "unknown-field",
            PresetErrorKind::MissingField => "missing-field",
            PresetErrorKind::Conflict => "conflict",
        }
    }
}

/// One problem with a preset. Displays as "`field` must be `expected`, got
/// `value`", e.g. `video.maxWidth must be an even number from 128 to 4096,
/// got 4097`. Recoverable: fix the preset and try again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresetError {
    /// What sort of problem.
    pub kind: PresetErrorKind,
    /// JSON path of the field: `video.maxWidth`, `watermarks[2].opacity`;
    /// empty for the document itself.
    pub field: String,
    /// The value found, as written (`4097`, `"Fitt"`, `an array`).
    pub value: String,
    /// What the field accepts (`an even number from 128 to 4096`).
    pub expected: String,
}

impl PresetError {
    pub(super) fn new(
        kind: PresetErrorKind,
        field: impl Into<String>,
        expected: impl Into<String>,
        value: impl fmt::Display,
    ) -> Self {
        PresetError { kind, field: field.into(), value: value.to_string(), expected: expected.into() }
    }

    /// The text is not JSON.
    pub(super) fn syntax(e: &serde_json::Error) -> Self {
        PresetError::new(PresetErrorKind::Syntax, "", "valid JSON", e)
    }

    /// Turns one of serde's messages (`invalid type: ...`, `unknown field
    /// ...`, `missing field ...`) about the value at `path` into an error in
    /// our terms.
    pub(super) fn from_serde(path: &str, message: &str) -> Self {
        use PresetErrorKind::*;
        let quoted = |s: &str| s.replace('`', "\"");
        if let Some(rest) = message.strip_prefix("missing field `") {
            let name = rest.trim_end_matches('`');
            return PresetError::new(MissingField, join(path, name), "given (it is required)", "nothing");
        }
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
            let known = tail.strip_prefix(", expected ").unwrap_or(tail);
            let field =
                if path == name || path.ends_with(&format!(".{name}")) { path.to_owned() } else { join(path, name) };
            let expected =
                format!("a known field name ({})", quoted(known).replace("there are no fields", "none here"));
            return PresetError::new(UnknownField, field, expected, "an unknown field");
        }
        if let Some(rest) = message.strip_prefix("unknown variant `") {
            let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
            let expected = quoted(tail.strip_prefix(", expected ").unwrap_or(tail));
            return PresetError::new(InvalidValue, path, expected, format!("{name:?}"));
        }
        for (prefix, kind) in
            [("invalid type: ", WrongType), ("invalid value: ", InvalidValue), ("invalid length ", WrongType)]
        {
            if let Some((found, expected)) =
                message.strip_prefix(prefix).and_then(|rest| rest.rsplit_once(", expected "))
            {
                // serde_json's words for a non-string given to an enum.
                let expected =
                    if expected == "string or map" { "one of the names listed for this field" } else { expected };
                return PresetError::new(kind, path, quoted(expected), describe(found));
            }
        }
        PresetError::new(InvalidValue, path, "valid", message)
    }
}

/// serde's description of a found value (`string "x"`, ``integer `5` ``,
/// `map`) as the value itself, or its JSON kind.
fn describe(found: &str) -> String {
    if let Some(s) = found.strip_prefix("string ") {
        return s.to_owned();
    }
    for prefix in ["integer `", "floating point `", "boolean `"] {
        if let Some(v) = found.strip_prefix(prefix) {
            return v.trim_end_matches('`').to_owned();
        }
    }
    match found {
        "unit value" => "null".to_owned(),
        "map" => "an object".to_owned(),
        "sequence" => "an array".to_owned(),
        other => other.to_owned(),
    }
}

/// `parent.name`, or `name` at the top.
pub(super) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

impl fmt::Display for PresetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = if self.field.is_empty() { "preset" } else { &self.field };
        write!(f, "{field} must be {}, got {}", self.expected, self.value)
    }
}

impl std::error::Error for PresetError {}

/// Every problem found in a preset (never empty): problems reading the
/// JSON first, then broken rules, each in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetErrors(Vec<PresetError>);

impl PresetErrors {
    /// `None` when there is nothing to report.
    pub(super) fn from_vec(errors: Vec<PresetError>) -> Option<Self> {
        (!errors.is_empty()).then_some(PresetErrors(errors))
    }

    /// The problems.
    pub fn as_slice(&self) -> &[PresetError] {
        &self.0
    }

    /// How many problems (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a `PresetErrors` holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over the problems.
    pub fn iter(&self) -> std::slice::Iter<'_, PresetError> {
        self.0.iter()
    }

    /// The problems, owned.
    pub fn into_vec(self) -> Vec<PresetError> {
        self.0
    }
}

impl From<PresetError> for PresetErrors {
    fn from(e: PresetError) -> Self {
        PresetErrors(vec![e])
    }
}

impl IntoIterator for PresetErrors {
    type Item = PresetError;
    type IntoIter = std::vec::IntoIter<PresetError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a PresetErrors {
    type Item = &'a PresetError;
    type IntoIter = std::slice::Iter<'a, PresetError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for PresetErrors {
    /// One problem: its message. Several: "N problems: a; b; c".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::write_problems(f, &self.0)
    }
}

impl std::error::Error for PresetErrors {}

impl Coded for PresetErrors {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidPreset
    }

    /// The first problem's field.
    fn field(&self) -> Option<String> {
        self.0.first().map(|e| e.field.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(path: &str, message: &str) -> String {
        PresetError::from_serde(path, message).to_string()
    }

    #[test]
    fn serde_messages_become_field_expected_value() {
        assert_eq!(
            err("video.maxWidth", "invalid value: string \"wide\", expected \"auto\" or a whole number of pixels"),
            "video.maxWidth must be \"auto\" or a whole number of pixels, got \"wide\""
        );
        assert_eq!(
            err("video", "invalid type: sequence, expected struct VideoPreset"),
            "video must be struct VideoPreset, got an array"
        );
        assert_eq!(
            err("video.fixedGop", "invalid type: integer `1`, expected true or false"),
            "video.fixedGop must be true or false, got 1"
        );
        assert_eq!(err("", "missing field `name`"), "name must be given (it is required), got nothing");
        assert_eq!(
            err("video.sizingPolicy", "unknown variant `Fitt`, expected one of `Fit`, `Fill`"),
            "video.sizingPolicy must be one of \"Fit\", \"Fill\", got \"Fitt\""
        );
        assert_eq!(
            err("video", "unknown field `bitrate`, expected `codec` or `bitRate`"),
            "video.bitrate must be a known field name (\"codec\" or \"bitRate\"), got an unknown field"
        );
        assert_eq!(
            err("video.sizingPolicy", "invalid type: unit value, expected string or map"),
            "video.sizingPolicy must be one of the names listed for this field, got null"
        );
    }

    #[test]
    fn several_problems_display_on_one_line() {
        let a = PresetError::new(PresetErrorKind::InvalidValue, "name", "1 to 40 characters", "41 characters");
        let b = PresetError::new(PresetErrorKind::Conflict, "thumbnails", "absent without video", "thumbnails");
        assert_eq!(PresetErrors::from(a.clone()).to_string(), "name must be 1 to 40 characters, got 41 characters");
        let both = PresetErrors::from_vec(vec![a, b]).unwrap();
        assert_eq!(
            both.to_string(),
            "2 problems: name must be 1 to 40 characters, got 41 characters; thumbnails must be absent without video, got thumbnails"
        );
        assert_eq!(both.len(), 2);
        assert!(PresetErrors::from_vec(Vec::new()).is_none());
    }
}

//! Stream and track names: short ASCII identifiers that are safe as one
//! URL path segment and as one file name, by construction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest stream name, in bytes (= characters: names are ASCII).
pub const MAX_STREAM_NAME_LEN: usize = 128;
/// Longest track name, in bytes.
pub const MAX_TRACK_NAME_LEN: usize = 32;

/// Why a stream or track name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The name is longer than `max` bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The name holds a character outside `[A-Za-z0-9_-]` (a dot, a slash,
    /// a percent sign, white space, anything non-ASCII, ...).
    InvalidChar {
        /// The first offending character.
        ch: char,
        /// Its byte offset in the name.
        index: usize,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => write!(f, "must not be empty"),
            NameError::TooLong { len, max } => write!(f, "must be at most {max} characters, got {len}"),
            NameError::InvalidChar { ch, index } => {
                write!(f, "may contain only letters, digits, '_' and '-', got {:?} at position {index}", ch)
            }
        }
    }
}

impl std::error::Error for NameError {}

/// Checks `name` against `[A-Za-z0-9_-]{1,max}`.
fn check(name: &str, max: usize) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some((index, ch)) = name.char_indices().find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        return Err(NameError::InvalidChar { ch, index });
    }
    if name.len() > max {
        return Err(NameError::TooLong { len: name.len(), max });
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Longest accepted name, in bytes.
            pub const MAX_LEN: usize = $max;

            /// Validates `name`.
            pub fn new(name: &str) -> Result<Self, NameError> {
                check(name, $max)?;
                Ok($name(name.to_owned()))
            }

            /// The name.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                check(&s, $max)?;
                Ok($name(s))
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

name_type!(
    /// A stream name: 1 to 128 characters from `[A-Za-z0-9_-]`.
    ///
    /// No dot, slash, percent sign or other character can get in, so a
    /// valid name is one URL path segment that needs no escaping and one
    /// file name that cannot climb out of its directory (`..`, `a/b` and
    /// `%2e%2e` are all refused), whatever the server does with it.
    StreamName,
    MAX_STREAM_NAME_LEN
);

name_type!(
    /// A track name within a stream (e.g. `video`, `audio`, `cam2`): 1 to
    /// 32 characters from `[A-Za-z0-9_-]`, with the same guarantees as
    /// [`StreamName`].
    TrackName,
    MAX_TRACK_NAME_LEN
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names() {
        for n in ["a", "live", "cam_01", "A-b_C-9", "-", "_"] {
            assert_eq!(StreamName::new(n).unwrap().as_str(), n);
        }
        let longest = "x".repeat(128);
        assert!(StreamName::new(&longest).is_ok());
        assert!(TrackName::new(&"v".repeat(32)).is_ok());
    }

    #[test]
    fn traversal_and_odd_names_are_refused() {
        assert_eq!(StreamName::new(""), Err(NameError::Empty));
        assert_eq!(StreamName::new(".."), Err(NameError::InvalidChar { ch: '.', index: 0 }));
        assert_eq!(StreamName::new("a/b"), Err(NameError::InvalidChar { ch: '/', index: 1 }));
        assert_eq!(StreamName::new("%2e%2e"), Err(NameError::InvalidChar { ch: '%', index: 0 }));
        assert_eq!(StreamName::new("a\\b"), Err(NameError::InvalidChar { ch: '\\', index: 1 }));
        assert!(StreamName::new("a b").is_err());
        assert!(StreamName::new("a\0").is_err());
        assert!(StreamName::new("caf\u{e9}").is_err());
        assert!(StreamName::new("x.m3u8").is_err());
        assert_eq!(StreamName::new(&"x".repeat(129)), Err(NameError::TooLong { len: 129, max: 128 }));
        assert!(TrackName::new(&"v".repeat(33)).is_err());
    }

    #[test]
    fn serde_validates() {
        let n: StreamName = serde_json::from_str("\"cam-1\"").unwrap();
        assert_eq!(n, "cam-1");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"cam-1\"");
        assert!(serde_json::from_str::<StreamName>("\"../etc\"").is_err());
        assert!(serde_json::from_str::<TrackName>("\"\"").is_err());
    }

    #[test]
    fn messages_name_the_problem() {
        let e = StreamName::new("a.b").unwrap_err();
        assert_eq!(e.to_string(), "may contain only letters, digits, '_' and '-', got '.' at position 1");
    }
}

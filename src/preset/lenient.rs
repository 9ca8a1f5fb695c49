//! The JSON leaves of a preset, read the way Elastic Transcoder users write
//! them: numbers as JSON numbers or as strings of digits (`2200` or
//! `"2200"`), booleans as `true` or `"true"`.
//!
//! Every reader here refuses with serde's `invalid type` / `invalid value`
//! wording and a description of what was expected, which
//! [`super::PresetError`] turns into "`field` must be `expected`, got
//! `value`".

use std::fmt;

use serde::de::{self, Deserializer, Unexpected, Visitor};

/// One JSON scalar, before it is interpreted.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Raw {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
}

impl Raw {
    /// What serde calls this value in an error message.
    pub(super) fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Raw::Null => Unexpected::Unit,
            Raw::Bool(b) => Unexpected::Bool(*b),
            Raw::Int(i) => match i64::try_from(*i) {
                Ok(i) => Unexpected::Signed(i),
                Err(_) => Unexpected::Other("a number out of range"),
            },
            Raw::Float(f) => Unexpected::Float(*f),
            Raw::Str(s) => Unexpected::Str(s),
        }
    }

    /// The text, if this is a string.
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Raw::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A whole number from 0 to `u32::MAX`: an integer, a float without a
    /// fractional part (what JavaScript numbers look like after
    /// serde-wasm-bindgen) or a string of 1 to 10 ASCII digits.
    pub(super) fn as_u32(&self) -> Option<u32> {
        match self {
            Raw::Int(i) => u32::try_from(*i).ok(),
            Raw::Float(f) if f.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(f) => Some(*f as u32),
            Raw::Str(s) => digits(s).then(|| s.parse().ok()).flatten(),
            _ => None,
        }
    }

    /// A finite non-negative decimal: a JSON number or a string like
    /// `"12.5"` (digits, at most one dot; no sign, exponent, `inf` or `NaN`).
    pub(super) fn as_decimal(&self) -> Option<f64> {
        match self {
            Raw::Int(i) if *i >= 0 => Some(*i as f64),
            Raw::Float(f) if f.is_finite() && *f >= 0.0 => Some(*f),
            Raw::Str(s) => parse_decimal(s),
            _ => None,
        }
    }

    /// The value as decimal text (`29.97`, `"30"` -> `30`), for readers
    /// that parse exact fractions themselves.
    pub(super) fn decimal_text(&self) -> Option<String> {
        match self {
            Raw::Int(i) => Some(i.to_string()),
            Raw::Float(f) if f.is_finite() => Some(f.to_string()),
            Raw::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The refusal for this value.
    pub(super) fn invalid<E: de::Error>(&self, expected: &str) -> E {
        E::invalid_value(self.unexpected(), &expected)
    }
}

/// `s` is 1 to 10 ASCII digits.
pub(super) fn digits(s: &str) -> bool {
    (1..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// `digits[.digits]`, at most 32 characters, as a finite `f64`.
pub(super) fn parse_decimal(s: &str) -> Option<f64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let ok = s.len() <= 32
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.parse().ok()).flatten()
}

struct RawVisitor<'a>(&'a str);

impl<'de> Visitor<'de> for RawVisitor<'_> {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
}

/// Reads one scalar; objects and arrays are refused with `expected`.
pub(super) fn raw<'de, D: Deserializer<'de>>(d: D, expected: &str) -> Result<Raw, D::Error> {
    d.deserialize_any(RawVisitor(expected))
}

/// The TypeScript type of the fields these readers read: a number, or a
/// string holding one (`"2400"`), as Elastic Transcoder's presets wrote
/// them. The derive cannot see through `deserialize_with`, so the preset
/// model's fields name this declaration (`#[tsify(type = "PresetNumber")]`);
/// `tests/node/type_contract.test.mjs` feeds both forms to the parser.
#[cfg(target_arch = "wasm32")]
#[derive(tsify::Tsify)]
#[tsify(type = "number | string")]
// Never built: only its TypeScript declaration is used.
#[allow(dead_code)]
pub(super) struct PresetNumber;

const WHOLE: &str = "a whole number (a JSON number or a string of digits)";

/// A `u32` written as a number or a string of digits.
pub(super) fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let raw = raw(d, WHOLE)?;
    raw.as_u32().ok_or_else(|| raw.invalid(WHOLE))
}

/// An optional `u32`; `null` is `None`.
pub(super) fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let raw = raw(d, WHOLE)?;
    if raw == Raw::Null {
        return Ok(None);
    }
    raw.as_u32().map(Some).ok_or_else(|| raw.invalid(WHOLE))
}

/// A boolean written as `true` / `false` or `"true"` / `"false"`.
pub(super) fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    const EXPECTED: &str = "true or false";
    let raw = raw(d, EXPECTED)?;
    match &raw {
        Raw::Bool(b) => Ok(*b),
        Raw::Str(s) if s == "true" => Ok(true),
        Raw::Str(s) if s == "false" => Ok(false),
        _ => Err(raw.invalid(EXPECTED)),
    }
}

/// A non-negative decimal written as a number or a string (`100`,
/// `"37.5"`).
pub(super) fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    const EXPECTED: &str = "a number (a JSON number or a string like \"37.5\")";
    let raw = raw(d, EXPECTED)?;
    raw.as_decimal().ok_or_else(|| raw.invalid(EXPECTED))
}

/// An optional H.264 level written as `"3.1"`, `3.1`, `"4"` or `4`;
/// `null` is `None`.
pub(super) fn opt_level<'de, D: Deserializer<'de>>(d: D) -> Result<Option<crate::codec::h264::Level>, D::Error> {
    use crate::codec::h264::Level;
    let levels: Vec<String> = (0..=u8::MAX).filter_map(Level::from_idc).map(|l| l.to_string()).collect();
    let expected = format!("an H.264 level: one of {}", levels.join(", "));
    let raw = raw(d, &expected)?;
    if raw == Raw::Null {
        return Ok(None);
    }
    // Only `d.d` or one or two digits reach Level's parser, whose
    // arithmetic is on u8.
    let shaped = |t: &str| match t.split_once('.') {
        Some((a, b)) => a.len() == 1 && b.len() == 1 && digits(a) && digits(b),
        None => t.len() <= 2 && digits(t),
    };
    let level = match (&raw, raw.decimal_text()) {
        (Raw::Bool(_), _) | (_, None) => None,
        (_, Some(text)) => shaped(&text).then(|| Level::try_from(text).ok()).flatten(),
    };
    level.map(Some).ok_or_else(|| raw.invalid(&expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "u32")]
        n: u32,
        #[serde(deserialize_with = "bool")]
        b: bool,
        #[serde(deserialize_with = "decimal")]
        d: f64,
    }

    fn probe(json: &str) -> Result<Probe, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_and_booleans_may_be_strings() {
        let p = probe(r#"{"n":"2200","b":"true","d":"37.5"}"#).unwrap();
        assert_eq!((p.n, p.b, p.d), (2200, true, 37.5));
        let p = probe(r#"{"n":2200.0,"b":false,"d":100}"#).unwrap();
        assert_eq!((p.n, p.b, p.d), (2200, false, 100.0));
    }

    #[test]
    fn refusals_say_what_was_expected() {
        let e = probe(r#"{"n":"22x","b":true,"d":1}"#).unwrap_err();
        assert!(e.starts_with("invalid value: string \"22x\", expected a whole number"), "{e}");
        let e = probe(r#"{"n":-1,"b":true,"d":1}"#).unwrap_err();
        assert!(e.starts_with("invalid value: integer `-1`, expected a whole number"), "{e}");
        let e = probe(r#"{"n":[1],"b":true,"d":1}"#).unwrap_err();
        assert!(e.starts_with("invalid type: sequence, expected a whole number"), "{e}");
        let e = probe(r#"{"n":1,"b":"yes","d":1}"#).unwrap_err();
        assert!(e.starts_with("invalid value: string \"yes\", expected true or false"), "{e}");
        for bad in ["\"inf\"", "\"NaN\"", "\"-1\"", "\"1e3\"", "\"1.2.3\"", "\".5\""] {
            let e = probe(&format!(r#"{{"n":1,"b":true,"d":{bad}}}"#)).unwrap_err();
            assert!(e.contains("expected a number"), "{bad}: {e}");
        }
    }
}

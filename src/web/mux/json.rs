//! A small, non-generic reader of the JS option objects of the mux module.
//!
//! The option object arrives as a [`serde_json::Value`] (one conversion from
//! JS, as in `web::from_js`) and each option struct reads itself
//! field by field with the functions here. This replaces a serde
//! `Deserialize` derive per struct, monomorphised through
//! `serde_path_to_error`, which made most of the `framecast/mux` module's
//! size (BENCHMARKS.md, "Module size per entry point").
//!
//! The contract is the one `from_js` keeps: fields are visited in the
//! object's key order, unknown fields are rejected, a problem names the
//! field path (`segments[2].parts[0].duration`, or the object itself for a
//! missing field) and its message reads as serde's (`invalid type: string
//! "x", expected u32`, `missing field `uri``, `unknown field `windw`,
//! expected one of ...`).

use std::fmt::{self, Display, Write as _};

use serde_json::Value;

/// A problem with an option object: where it is and what it is.
pub(super) struct Problem {
    /// The field path, e.g. `segments[2].uri`; empty for the object itself.
    pub(super) path: String,
    /// What is wrong, in serde's words.
    pub(super) message: String,
}

/// The result of reading an option (the problem boxed: results stay small
/// to move around).
pub(super) type Read<T> = Result<T, Box<Problem>>;

/// A place in the option object: the path of a field, empty for the object
/// itself.
pub(super) struct At(String);

impl At {
    /// The option object itself.
    pub(super) fn root() -> At {
        At(String::new())
    }

    /// The field `key` of the object here.
    fn key(&self, key: &str) -> At {
        if self.0.is_empty() {
            At(key.to_string())
        } else {
            At(format!("{}.{key}", self.0))
        }
    }

    /// The element `index` of the array here.
    fn index(&self, index: usize) -> At {
        At(format!("{}[{index}]", self.0))
    }

    /// A problem here.
    pub(super) fn problem(&self, message: impl Display) -> Box<Problem> {
        Box::new(Problem { path: self.0.clone(), message: message.to_string() })
    }

    /// serde's `invalid type: <what value is>, expected <expected>`.
    fn invalid_type(&self, value: &Value, expected: &str) -> Box<Problem> {
        self.problem(format_args!("invalid type: {}, expected {expected}", Unexpected(value)))
    }
}

/// How serde names a JSON value in an error (`serde::de::Unexpected`).
struct Unexpected<'a>(&'a Value);

impl Display for Unexpected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "boolean `{b}`"),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => write!(f, "integer `{u}`"),
                (None, Some(i), _) => write!(f, "integer `{i}`"),
                (None, None, Some(x)) => write!(f, "floating point `{}`", Float(x)),
                (None, None, None) => f.write_str("number"),
            },
            Value::String(s) => write!(f, "string {s:?}"),
            Value::Array(_) => f.write_str("sequence"),
            Value::Object(_) => f.write_str("map"),
        }
    }
}

/// A float as serde_json prints it in errors: the shortest digits that read
/// back, positional for decimal exponents -5 to 15 (with `.0` if whole),
/// else scientific (`1e+21`, `1.5e-7`).
struct Float(f64);

impl Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Rust prints the same shortest digits positionally: take them and
        // their decimal exponent from that (no second float formatter).
        let text = self.0.abs().to_string();
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let all = format!("{int}{frac}");
        let lead = all.bytes().take_while(|&b| b == b'0').count();
        let digits = all[lead..].trim_end_matches('0');
        let (digits, exp) = if digits.is_empty() { ("0", 0) } else { (digits, int.len() as i32 - 1 - lead as i32) };
        if self.0.is_sign_negative() {
            f.write_str("-")?;
        }
        if !(-5..=15).contains(&exp) {
            let (first, rest) = digits.split_at(1);
            let dot = if rest.is_empty() { "" } else { "." };
            let e_sign = if exp < 0 { '-' } else { '+' };
            return write!(f, "{first}{dot}{rest}e{e_sign}{}", exp.unsigned_abs());
        }
        let point = exp + 1;
        match usize::try_from(point) {
            Ok(p) if p >= digits.len() => write!(f, "{digits}{}.0", "0".repeat(p - digits.len())),
            Ok(p) => write!(f, "{}.{}", &digits[..p], &digits[p..]),
            Err(_) => write!(f, "0.{}{digits}", "0".repeat(point.unsigned_abs() as usize)),
        }
    }
}

/// serde's list of the accepted names: `expected `a``, `expected `a` or
/// `b``, `expected one of `a`, `b`, `c``.
fn one_of(names: &[&str], none: &str) -> String {
    match names {
        [] => format!("there are no {none}"),
        [a] => format!("expected `{a}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        _ => {
            let mut out = String::from("expected one of ");
            for (i, name) in names.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(out, "{sep}`{name}`");
            }
            out
        }
    }
}

/// Reads the object `value` (named `name` in errors, e.g. `struct
/// SegmentJs`), whose fields are `known`: calls `each` with every field in
/// the object's order and rejects unknown ones, so `each` sees known keys
/// only. An array is read as the fields in declaration order, as serde
/// reads a struct from a sequence.
pub(super) fn fields<'k>(
    value: &Value,
    at: &At,
    name: &'k str,
    known: &'k [&'k str],
    each: &mut dyn FnMut(&str, &Value, &At) -> Read<()>,
) -> Read<Shape<'k>> {
    let shape = Shape { name, known, array: matches!(value, Value::Array(_)) };
    let map = match value {
        Value::Object(map) => map,
        Value::Array(items) => {
            for (i, (key, v)) in known.iter().zip(items).enumerate() {
                each(key, v, &at.index(i))?;
            }
            if items.len() > known.len() {
                return Err(
                    at.problem(format_args!("invalid length {}, expected fewer elements in array", items.len()))
                );
            }
            return Ok(shape);
        }
        _ => return Err(at.invalid_type(value, name)),
    };
    for (key, v) in map {
        let here = at.key(key);
        if !known.contains(&key.as_str()) {
            return Err(here.problem(format_args!("unknown field `{key}`, {}", one_of(known, "fields"))));
        }
        each(key, v, &here)?;
    }
    Ok(shape)
}

/// How an option struct was given, for the error about a missing field: an
/// object, or an array of its fields (serde's sequence form).
pub(super) struct Shape<'k> {
    name: &'k str,
    known: &'k [&'k str],
    array: bool,
}

impl Shape<'_> {
    /// A required field's value, or serde's error for its absence (on the
    /// object): `missing field`, or for an array too short `invalid length`.
    pub(super) fn required<T>(&self, value: Option<T>, at: &At, field: &str) -> Read<T> {
        value.ok_or_else(|| self.missing(at, field))
    }

    /// The error for the required `field` missing (not generic: one copy).
    fn missing(&self, at: &At, field: &str) -> Box<Problem> {
        match self.known.iter().position(|k| *k == field) {
            Some(i) if self.array => {
                let n = self.known.len();
                at.problem(format_args!("invalid length {i}, expected {} with {n} elements", self.name))
            }
            _ => at.problem(format_args!("missing field `{field}`")),
        }
    }
}

/// `null` as `None`, anything else read by `read`.
pub(super) fn opt<T>(value: &Value, at: &At, read: fn(&Value, &At) -> Read<T>) -> Read<Option<T>> {
    match value {
        Value::Null => Ok(None),
        v => read(v, at).map(Some),
    }
}

/// An array, each element read by `read`.
pub(super) fn list<T>(value: &Value, at: &At, read: fn(&Value, &At) -> Read<T>) -> Read<Vec<T>> {
    let Value::Array(items) = value else {
        return Err(at.invalid_type(value, "a sequence"));
    };
    items.iter().enumerate().map(|(i, v)| read(v, &at.index(i))).collect()
}

/// A string.
pub(super) fn string(value: &Value, at: &At) -> Read<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        v => Err(at.invalid_type(v, "a string")),
    }
}

/// A boolean.
pub(super) fn boolean(value: &Value, at: &At) -> Read<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        v => Err(at.invalid_type(v, "a boolean")),
    }
}

/// Any number, as `f64`.
pub(super) fn float(value: &Value, at: &At) -> Read<f64> {
    match value {
        Value::Number(n) => Ok(n.as_f64().unwrap_or(0.0)),
        v => Err(at.invalid_type(v, "f64")),
    }
}

/// An unsigned integer up to `max`, of the Rust type `name` in errors;
/// floats are refused (as serde refuses them for integer fields).
fn unsigned(value: &Value, at: &At, max: u64, name: &str) -> Read<u64> {
    let Value::Number(n) = value else {
        return Err(at.invalid_type(value, name));
    };
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) if u <= max => Ok(u),
        (Some(_), _) | (None, Some(_)) => Err(invalid_value(value, at, name)),
        (None, None) => Err(at.invalid_type(value, name)),
    }
}

/// serde's `invalid value: <what value is>, expected <expected>`.
fn invalid_value(value: &Value, at: &At, expected: &str) -> Box<Problem> {
    at.problem(format_args!("invalid value: {}, expected {expected}", Unexpected(value)))
}

/// A `u64`.
pub(super) fn u64_(value: &Value, at: &At) -> Read<u64> {
    unsigned(value, at, u64::MAX, "u64")
}

/// An `i64`.
pub(super) fn i64_(value: &Value, at: &At) -> Read<i64> {
    let Value::Number(n) = value else {
        return Err(at.invalid_type(value, "i64"));
    };
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Ok(i),
        (None, Some(_)) => Err(invalid_value(value, at, "i64")),
        (None, None) => Err(at.invalid_type(value, "i64")),
    }
}

/// A `u32`.
pub(super) fn u32_(value: &Value, at: &At) -> Read<u32> {
    unsigned(value, at, u64::from(u32::MAX), "u32").map(|x| x as u32)
}

/// A `u16`.
pub(super) fn u16_(value: &Value, at: &At) -> Read<u16> {
    unsigned(value, at, u64::from(u16::MAX), "u16").map(|x| x as u16)
}

/// A `u8`.
pub(super) fn u8_(value: &Value, at: &At) -> Read<u8> {
    unsigned(value, at, u64::from(u8::MAX), "u8").map(|x| x as u8)
}

/// A `usize`.
pub(super) fn usize_(value: &Value, at: &At) -> Read<usize> {
    unsigned(value, at, usize::MAX as u64, "usize").map(|x| x as usize)
}

/// The index in `names` of a unit variant of a serde enum: its name as a
/// string, or a one-key object `{ name: null }`.
pub(super) fn variant(value: &Value, at: &At, names: &[&str]) -> Read<usize> {
    let (name, unit) = match value {
        Value::String(s) => (s.as_str(), None),
        Value::Object(map) => match map.iter().next() {
            Some((k, v)) if map.len() == 1 => (k.as_str(), Some(v)),
            _ => return Err(at.problem("invalid value: map, expected map with a single key")),
        },
        v => return Err(at.invalid_type(v, "string or map")),
    };
    let Some(i) = names.iter().position(|n| *n == name) else {
        return Err(at.problem(format_args!("unknown variant `{name}`, {}", one_of(names, "variants"))));
    };
    match unit {
        Some(v) if !v.is_null() => Err(at.key(name).invalid_type(v, "unit")),
        _ => Ok(i),
    }
}

/// serde's error for an untagged enum none of whose variants fit.
pub(super) fn no_variant(at: &At, name: &str) -> Box<Problem> {
    at.problem(format_args!("data did not match any variant of untagged enum {name}"))
}

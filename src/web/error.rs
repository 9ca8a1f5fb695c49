//! `FramecastError`s made in Rust: the only place in the bindings that
//! builds a JS error.
//!
//! An error is a JS `Error` named `FramecastError`, with a stable `code`
//! ([`ErrorCode::as_str`]), and `field`, `errors` and `cause` where they
//! apply. It carries the brand `Symbol.for('framecast.error')`
//! (non-enumerable), which `FramecastError[Symbol.hasInstance]` in
//! `pkg-templates/errors.js` checks, so `instanceof FramecastError` holds for
//! it whichever copy of the package's modules asks.

use std::fmt::Display;

use js_sys::{Object, Reflect, Symbol};
use wasm_bindgen::JsValue;

use crate::error::{Coded, ErrorCode};

/// A `FramecastError` under construction.
#[must_use]
pub(crate) struct FramecastError {
    code: ErrorCode,
    message: String,
    field: Option<String>,
    cause: Option<JsValue>,
    errors: Option<js_sys::Array>,
}

impl FramecastError {
    /// An error with `code` and `message`.
    pub(crate) fn new(code: ErrorCode, message: impl Display) -> Self {
        FramecastError { code, message: message.to_string(), field: None, cause: None, errors: None }
    }

    /// An error about `field`, with the message `"{field}: {message}"`.
    pub(crate) fn at(code: ErrorCode, field: &str, message: impl Display) -> Self {
        FramecastError::new(code, format!("{field}: {message}")).field(field)
    }

    /// The error a typed core error maps to: its code, message and field.
    pub(crate) fn coded(e: &dyn Coded) -> Self {
        let field = e.field();
        FramecastError { field, ..FramecastError::new(e.code(), e) }
    }

    /// Names the field at fault (replacing any).
    pub(crate) fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Replaces the field at fault, or removes it.
    pub(crate) fn with_field(mut self, field: Option<String>) -> Self {
        self.field = field;
        self
    }

    /// The underlying error (a JS exception, an abort reason).
    pub(crate) fn cause(mut self, cause: JsValue) -> Self {
        self.cause = Some(cause);
        self
    }

    /// Every problem of a preset (`invalid-preset`).
    pub(crate) fn errors(mut self, errors: js_sys::Array) -> Self {
        self.errors = Some(errors);
        self
    }
}

/// Defines `key` on `obj` as a non-enumerable property (like `Error`'s own
/// `cause`).
fn define(obj: &Object, key: &JsValue, value: &JsValue, writable: bool) {
    let descriptor = Object::new();
    let _ = Reflect::set(&descriptor, &"value".into(), value);
    let _ = Reflect::set(&descriptor, &"writable".into(), &writable.into());
    let _ = Reflect::set(&descriptor, &"configurable".into(), &writable.into());
    Object::define_property(obj, key, &descriptor);
}

impl From<FramecastError> for JsValue {
    fn from(e: FramecastError) -> JsValue {
        let err = js_sys::Error::new(&e.message);
        err.set_name("FramecastError");
        let obj: &Object = err.as_ref();
        let _ = Reflect::set(obj, &"code".into(), &e.code.as_str().into());
        if let Some(field) = &e.field {
            let _ = Reflect::set(obj, &"field".into(), &field.into());
        }
        if let Some(errors) = &e.errors {
            let _ = Reflect::set(obj, &"errors".into(), errors);
        }
        if let Some(cause) = &e.cause {
            define(obj, &"cause".into(), cause, true);
        }
        define(obj, &Symbol::for_("framecast.error").into(), &JsValue::TRUE, false);
        err.into()
    }
}

/// `code` and `message` as a JS `FramecastError`.
pub(crate) fn error(code: ErrorCode, message: impl Display) -> JsValue {
    FramecastError::new(code, message).into()
}

/// An `invalid-config` error about `field`: `"{field}: {message}"`.
pub(crate) fn config_error(field: &str, message: impl Display) -> JsValue {
    FramecastError::at(ErrorCode::InvalidConfig, field, message).into()
}

/// A typed core error as a JS `FramecastError` (its code, message, field).
pub(crate) fn coded(e: &dyn Coded) -> JsValue {
    FramecastError::coded(e).into()
}

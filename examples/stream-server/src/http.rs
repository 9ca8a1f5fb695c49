//! HTTP: routing, request bodies, responses, CORS, cache headers and the
//! request log. One handler serves every path; the core's
//! [`Resource::parse`] decides what a path names, so the ingest protocol
//! has one definition for publishers and the server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{request::Parts, Method, StatusCode};
use axum::response::Response;
use framecast::codec::TrackKind;
use framecast::ingest::{routes, IngestError, IngestErrorCode, Resource, RouteError, StreamName, TrackName};
use http_body_util::BodyExt;
use serde::Serialize;
use serde_json::json;

use crate::config::MAX_INIT_BYTES;
use crate::log;
use crate::streams::{App, MediaFile};

/// Largest body of a non-media request (stream creation, end).
const SMALL_BODY: usize = 64 * 1024;
/// Methods a browser may use (CORS preflight answer).
const CORS_METHODS: &str = "GET, HEAD, PUT, POST, DELETE, OPTIONS";
/// Request headers a browser may send when it does not say which.
const CORS_HEADERS: &str = "Authorization, Content-Type";
/// Response headers scripts may read.
const CORS_EXPOSE: &str = "Content-Length, Content-Type, Location, Retry-After";

/// The one handler: dispatches, adds the headers every answer carries,
/// and logs one line per request.
pub async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (mut resp, bytes_in) = dispatch(&app, req).await;
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(CORS_EXPOSE));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let bytes_out = if method == Method::HEAD { 0 } else { resp.body().size_hint().exact().unwrap_or(0) };
    let mut fields = json!({
        "method": method.as_str(),
        "path": path,
        "status": resp.status().as_u16(),
        "bytesIn": bytes_in,
        "bytesOut": bytes_out,
        "ms": (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0,
    });
    if let Some(code) = resp.extensions().get::<IngestErrorCode>() {
        fields["code"] = json!(code.as_str());
    }
    log::info("request", fields);
    resp
}

/// HTTP methods as the routes see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    /// GET or HEAD (hyper leaves out the body of HEAD answers).
    Read,
    Put,
    Post,
    Delete,
    Other,
}

impl Verb {
    fn of(m: &Method) -> Verb {
        if m == Method::GET || m == Method::HEAD {
            Verb::Read
        } else if m == Method::PUT {
            Verb::Put
        } else if m == Method::POST {
            Verb::Post
        } else if m == Method::DELETE {
            Verb::Delete
        } else {
            Verb::Other
        }
    }

    fn writes(self) -> bool {
        matches!(self, Verb::Put | Verb::Post | Verb::Delete)
    }
}

/// The methods a resource allows, for `405` answers.
fn allowed(r: &Resource) -> &'static [&'static str] {
    match r {
        Resource::Streams => &["GET", "HEAD"],
        Resource::Stream(_) => &["GET", "HEAD", "PUT", "DELETE"],
        Resource::End(_) => &["PUT", "POST"],
        Resource::Init(..) | Resource::Fragment(..) => &["GET", "HEAD", "PUT", "POST"],
        Resource::MasterPlaylist(_)
        | Resource::Manifest(_)
        | Resource::MediaPlaylist(..)
        | Resource::TimedFragment(..) => &["GET", "HEAD"],
    }
}

async fn dispatch(app: &Arc<App>, req: Request) -> (Response, u64) {
    let (parts, body) = req.into_parts();
    if parts.method == Method::OPTIONS {
        return (preflight(&parts.headers), 0);
    }
    let verb = Verb::of(&parts.method);
    if verb.writes() && app.is_shutting_down() {
        let e = IngestError::new(IngestErrorCode::ShuttingDown, "the server is shutting down; retry shortly");
        return (error_response(e), 0);
    }
    let resource = Resource::parse(parts.uri.path());
    // Read (or drain) any body before answering, even a refusal: a client
    // still sending when the connection closes would miss the answer.
    let mut bytes_in = 0;
    let body = if verb.writes() {
        let media = matches!(resource, Ok(Resource::Init(..) | Resource::Fragment(..)));
        let limit = match &resource {
            Ok(Resource::Init(..)) => MAX_INIT_BYTES,
            Ok(Resource::Fragment(..)) | Err(_) => app.cfg.max_fragment_bytes,
            Ok(_) => SMALL_BODY,
        };
        let require_length = media && verb != Verb::Delete;
        let (result, received) = read_body(&parts.headers, body, limit, app.cfg.body_timeout, require_length).await;
        bytes_in = received;
        Some(result)
    } else {
        None
    };
    let resp = match route(app, &parts, verb, resource, body).await {
        Ok(r) => r,
        Err(e) => error_response(e),
    };
    (resp, bytes_in)
}

fn route_error(e: RouteError) -> IngestError {
    let message = e.to_string();
    match e {
        RouteError::BadStreamName(_) => IngestError::new(IngestErrorCode::BadStreamName, message).with_field("stream"),
        RouteError::BadTrackName(_) => IngestError::new(IngestErrorCode::BadTrackName, message).with_field("track"),
        RouteError::BadSequence(_) => IngestError::new(IngestErrorCode::BadSequence, message).with_field("sequence"),
        _ => IngestError::new(IngestErrorCode::NotFound, message),
    }
}

/// The bearer token check for writes, in constant time.
fn check_auth(app: &App, headers: &HeaderMap) -> Result<(), IngestError> {
    let Some(token) = &app.cfg.token else { return Ok(()) };
    let given = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()).unwrap_or(b"");
    let expected = format!("Bearer {token}");
    let ok = given.len() == expected.len()
        && given.get(..7).is_some_and(|s| s.eq_ignore_ascii_case(b"bearer "))
        && given[7..].iter().zip(&expected.as_bytes()[7..]).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if ok {
        Ok(())
    } else {
        Err(IngestError::new(
            IngestErrorCode::Unauthorized,
            "this server needs 'Authorization: Bearer <token>' for writes",
        )
        .with_field("Authorization"))
    }
}

async fn route(
    app: &Arc<App>,
    parts: &Parts,
    verb: Verb,
    resource: Result<Resource, RouteError>,
    body: Option<Result<Vec<u8>, IngestError>>,
) -> Result<Response, IngestError> {
    let resource = resource.map_err(route_error)?;
    let methods = allowed(&resource);
    let method_ok = match verb {
        Verb::Read => methods.contains(&"GET"),
        Verb::Put => methods.contains(&"PUT"),
        Verb::Post => methods.contains(&"POST"),
        Verb::Delete => methods.contains(&"DELETE"),
        Verb::Other => false,
    };
    if !method_ok {
        let mut resp = error_response(
            IngestError::new(IngestErrorCode::MethodNotAllowed, format!("{} is not allowed here", parts.method))
                .with_field("method"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("{}, OPTIONS", methods.join(", "))) {
            resp.headers_mut().insert(header::ALLOW, v);
        }
        return Ok(resp);
    }
    if verb.writes() {
        check_auth(app, &parts.headers)?;
    }
    match (resource, verb) {
        (Resource::Streams, _) => Ok(json_response(StatusCode::OK, &app.list().await)),
        (Resource::Stream(name), Verb::Read) => Ok(json_response(StatusCode::OK, &app.describe(&name).await?)),
        (Resource::Stream(name), Verb::Put) => {
            taken(body)?;
            let a = committed(app, move |app| async move { app.create_stream(&name).await }).await?;
            let mut resp = json_response(if a.created { StatusCode::CREATED } else { StatusCode::OK }, &a.ack);
            if let Ok(v) = HeaderValue::from_str(&routes::stream_path(&a.ack.name)) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            Ok(resp)
        }
        (Resource::Stream(name), _) => {
            taken(body)?;
            committed(app, move |app| async move { app.delete(&name).await }).await?;
            Ok(empty_response(StatusCode::NO_CONTENT))
        }
        (Resource::End(name), _) => {
            taken(body)?;
            let ack = committed(app, move |app| async move { app.end(&name).await }).await?;
            Ok(json_response(StatusCode::OK, &ack))
        }
        (Resource::Init(name, track), Verb::Put | Verb::Post) => {
            check_media_type(&parts.headers)?;
            let data = taken(body)?;
            let a = committed(app, move |app| async move { app.put_init(&name, &track, data).await }).await?;
            Ok(json_response(if a.created { StatusCode::CREATED } else { StatusCode::OK }, &a.ack))
        }
        (Resource::Fragment(name, track, seq), Verb::Put | Verb::Post) => {
            check_media_type(&parts.headers)?;
            let data = taken(body)?;
            let a = committed(app, move |app| async move { app.put_fragment(&name, &track, seq, data).await }).await?;
            Ok(json_response(if a.created { StatusCode::CREATED } else { StatusCode::OK }, &a.ack))
        }
        (Resource::Init(name, track), _) => {
            let (bytes, kind) = app.init(&name, &track).await?;
            Ok(media_response(bytes.as_ref().clone(), kind))
        }
        (Resource::Fragment(name, track, seq), _) => serve_fragment(app, &name, &track, Some(seq), None).await,
        (Resource::TimedFragment(name, track, start), _) => serve_fragment(app, &name, &track, None, Some(start)).await,
        (Resource::MasterPlaylist(name), _) => Ok(text_response(app.master(&name).await?, routes::CONTENT_TYPE_HLS)),
        (Resource::MediaPlaylist(name, track), _) => {
            Ok(text_response(app.media_playlist(&name, &track).await?, routes::CONTENT_TYPE_HLS))
        }
        (Resource::Manifest(name), _) => Ok(text_response(app.mpd(&name).await?, routes::CONTENT_TYPE_DASH)),
    }
}

/// The body read for a write (empty for requests that carry none).
fn taken(body: Option<Result<Vec<u8>, IngestError>>) -> Result<Vec<u8>, IngestError> {
    body.unwrap_or(Ok(Vec::new()))
}

/// Runs a write as its own task: if the client hangs up, the write still
/// completes (or fails) as a whole, and shutdown waits for it.
async fn committed<T, F, Fut>(app: &Arc<App>, f: F) -> Result<T, IngestError>
where
    T: Send + 'static,
    F: FnOnce(Arc<App>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, IngestError>> + Send + 'static,
{
    let app = app.clone();
    tokio::spawn(async move {
        let _write = app.start_write();
        f(app.clone()).await
    })
    .await
    .map_err(|e| {
        log::error("write task failed", json!({ "error": e.to_string() }));
        IngestError::new(IngestErrorCode::Internal, "the write failed; nothing was acknowledged")
    })?
}

fn check_media_type(headers: &HeaderMap) -> Result<(), IngestError> {
    let value = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    if routes::is_media_content_type(value) {
        Ok(())
    } else {
        Err(IngestError::new(
            IngestErrorCode::UnsupportedMediaType,
            format!("Content-Type {:?} is not video/mp4 or audio/mp4", value.unwrap_or("")),
        )
        .with_field("Content-Type"))
    }
}

/// Reads a request body of at most `limit` bytes within `timeout`. Past the
/// limit it keeps reading and discarding up to twice the limit (at least
/// 8 MiB), so that the client receives the `413`; beyond that, or when
/// `Content-Length` announces more, it answers at once. Returns the body
/// (or why not) and the bytes received.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
    require_length: bool,
) -> (Result<Vec<u8>, IngestError>, u64) {
    let declared = match headers.get(header::CONTENT_LENGTH) {
        None => None,
        Some(v) => match v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok()) {
            Some(n) => Some(n),
            None => {
                return (
                    Err(IngestError::new(IngestErrorCode::BadRequest, "Content-Length is not a number")
                        .with_field("Content-Length")),
                    0,
                )
            }
        },
    };
    let chunked = headers.contains_key(header::TRANSFER_ENCODING);
    if require_length && declared.is_none() && !chunked {
        return (
            Err(IngestError::new(IngestErrorCode::LengthRequired, "send Content-Length (or a chunked body)")
                .with_field("Content-Length")),
            0,
        );
    }
    let limit64 = limit as u64;
    let oversize = |size: u64| {
        IngestError::new(IngestErrorCode::Oversize, format!("the body is {size} bytes or more; the limit is {limit}"))
            .with_field("body")
    };
    let drain_cap = limit64.saturating_mul(2).max(8 << 20);
    if let Some(n) = declared.filter(|&n| n > drain_cap) {
        return (Err(oversize(n)), 0);
    }
    let mut received = 0u64;
    let read = async {
        let mut body = body;
        let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(limit64).min(8 << 20) as usize);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                IngestError::new(
                    IngestErrorCode::IncompleteBody,
                    format!("the body broke off after {received} bytes: {e}"),
                )
                .with_field("body")
            })?;
            if let Ok(data) = frame.into_data() {
                received += data.len() as u64;
                if received <= limit64 {
                    buf.extend_from_slice(&data);
                } else {
                    buf = Vec::new();
                    if received > drain_cap {
                        break;
                    }
                }
            }
        }
        Ok(buf)
    };
    let result = match tokio::time::timeout(timeout, read).await {
        Err(_) => Err(IngestError::new(
            IngestErrorCode::BodyTimeout,
            format!("the body did not arrive within {} ms", timeout.as_millis()),
        )
        .with_field("body")),
        Ok(Err(e)) => Err(e),
        Ok(Ok(_)) if received > limit64 => Err(oversize(received)),
        Ok(Ok(buf)) => match declared {
            Some(n) if n != buf.len() as u64 => Err(IngestError::new(
                IngestErrorCode::IncompleteBody,
                format!("Content-Length says {n} bytes but {} arrived", buf.len()),
            )
            .with_field("Content-Length")),
            _ => Ok(buf),
        },
    };
    (result, received)
}

async fn serve_fragment(
    app: &App,
    name: &StreamName,
    track: &TrackName,
    seq: Option<u64>,
    start: Option<i64>,
) -> Result<Response, IngestError> {
    let MediaFile { path, kind } = app.fragment(name, track, seq, start).await?;
    match tokio::fs::read(&path).await {
        Ok(bytes) => Ok(media_response(bytes, kind)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(IngestError::new(IngestErrorCode::NotFound, "the fragment is gone (its stream was deleted)"))
        }
        Err(e) => {
            log::error("cannot read a fragment", json!({ "path": path, "error": e.to_string() }));
            Err(IngestError::new(IngestErrorCode::StorageError, "cannot read the fragment"))
        }
    }
}

fn response(status: StatusCode, content_type: &'static str, cache: &'static str, body: Body) -> Response {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    resp
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => response(status, routes::CONTENT_TYPE_JSON, routes::CACHE_API, Body::from(bytes)),
        Err(e) => error_response(IngestError::new(IngestErrorCode::Internal, format!("cannot encode the answer: {e}"))),
    }
}

fn error_response(e: IngestError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = e.code;
    let bytes = serde_json::to_vec(&e.into_body()).unwrap_or_default();
    let mut resp = response(status, routes::CONTENT_TYPE_JSON, routes::CACHE_API, Body::from(bytes));
    match code {
        IngestErrorCode::Unauthorized => {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        IngestErrorCode::ShuttingDown => {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        _ => {}
    }
    resp.extensions_mut().insert(code);
    resp
}

fn empty_response(status: StatusCode) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(routes::CACHE_API));
    resp
}

fn text_response(text: String, content_type: &'static str) -> Response {
    response(StatusCode::OK, content_type, routes::CACHE_PLAYLIST, Body::from(text))
}

fn media_response(bytes: Vec<u8>, kind: TrackKind) -> Response {
    response(StatusCode::OK, routes::media_content_type(kind), routes::CACHE_SEGMENT, Body::from(bytes))
}

/// The CORS preflight answer: any origin may GET, PUT, POST and DELETE,
/// with the request headers it asks for.
fn preflight(headers: &HeaderMap) -> Response {
    let mut resp = empty_response(StatusCode::NO_CONTENT);
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(CORS_METHODS));
    let requested = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.split(',').all(|name| HeaderName::from_bytes(name.trim().as_bytes()).is_ok()))
        .and_then(|v| HeaderValue::from_str(v).ok());
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.unwrap_or(HeaderValue::from_static(CORS_HEADERS)));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    resp
}

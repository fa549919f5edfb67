//! The two translations the server makes, and nothing more: an HTTP request into the
//! registry core's [`Request`], and the core's [`Response`] back onto the wire, carrying out
//! its [`Delivery`] (a delay, or a connection cut after some body bytes).
//!
//! Architecture Invariant: nothing here decides a protocol behaviour. Statuses, headers,
//! bodies and error envelopes come from `pullsim_registry::Registry::handle`; this module
//! only moves bytes and honours the transport limits documented on [`body_limit_bytes`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{self, HeaderName, HeaderValue, StatusCode};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use pullsim_registry::{Delivery, Headers, Method, Request, Response};

/// Manifests over 4 MiB are refused by the core (as distribution does); the server reads
/// one byte more than that, so the core sees that the body is too large without the
/// server reading an unbounded body.
pub const MANIFEST_BODY_LIMIT_BYTES: u64 = 4 * 1024 * 1024 + 1;

/// Everything else with a body (blob uploads, control API calls) may be this large: the
/// core keeps uploads in memory, so the cap bounds what one request can cost. Larger
/// bodies are cut at the cap plus one byte and handed on, so the core (which checks the
/// declared digest and the chunk ranges) refuses them and the request log shows them.
pub const UPLOAD_BODY_LIMIT_BYTES: u64 = 1024 * 1024 * 1024;

/// How long a cut connection waits after its last body bytes before it aborts, so that
/// hyper has flushed those bytes to the socket and the client really sees a short body
/// rather than nothing at all.
const CUT_GRACE: Duration = Duration::from_millis(20);

/// The body cap for a request target: manifests get the manifest cap, everything else
/// the upload cap. The cap is a transport limit only: the core still decides the answer.
pub fn body_limit_bytes(target: &str) -> u64 {
    let path = target.split('?').next().unwrap_or(target);
    if path.contains("/manifests/") {
        MANIFEST_BODY_LIMIT_BYTES
    } else {
        UPLOAD_BODY_LIMIT_BYTES
    }
}

/// Reads one HTTP request into the core's terms: the method, the target exactly as
/// received (path still percent-encoded, then the query), every header line (lower-cased
/// names; each line kept, values that are not UTF-8 replaced lossily so a bad byte cannot
/// fail the request), and the body up to [`body_limit_bytes`] plus one byte.
///
/// # Errors
///
/// [`ShortBody`] when the body ended (the connection closed or failed) before all the
/// bytes its `Content-Length` or chunking announced: such a request is not handed to the
/// core at all, so a cut `PATCH` never appends its first half to an upload.
///
/// hyper groups header lines by name (first appearance order), so lines of different
/// names may come out in a different interleaving than on the wire; lines of one name keep
/// their order, which is all `Accept` merging needs.
pub async fn read_request(
    request: http::Request<Body>,
    client: String,
) -> Result<Request, ShortBody> {
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.to_string(), |pq| pq.as_str().to_owned());
    let mut headers = Headers::new();
    for (name, value) in &parts.headers {
        headers.append(
            name.as_str(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    let limit_bytes = body_limit_bytes(&target);
    let body = read_body(body, limit_bytes).await?;
    Ok(Request {
        method: Method::parse(parts.method.as_str()),
        target,
        headers,
        body,
        client: client.into(),
        address: None,
    })
}

/// A request body that ended before the length it announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortBody;

/// The server's answer to a [`ShortBody`]: `400` with a distribution-style envelope (the
/// client has usually gone; if it is still there, it learns why). The core never sees the
/// request, so nothing it holds changes.
pub fn short_body_refusal() -> http::Response<Body> {
    let body = concat!(
        r#"{"errors":[{"code":"SIZE_INVALID","message":"provided length did not match content length","#,
        r#""detail":"the request body ended before the length it announced"}]}"#
    );
    let mut out = http::Response::new(Body::from(body));
    *out.status_mut() = StatusCode::BAD_REQUEST;
    out.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    out.headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    out
}

/// Collects the body, stopping after `limit_bytes + 1` bytes. A single-frame body (the
/// usual case: hyper hands small bodies over in one piece) is passed on without a copy. A
/// body whose connection fails midway is a [`ShortBody`], never a part handed on.
async fn read_body(mut body: Body, limit_bytes: u64) -> Result<Bytes, ShortBody> {
    let keep_bytes = usize::try_from(limit_bytes.saturating_add(1)).unwrap_or(usize::MAX);
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(ShortBody);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        match first.take() {
            None if joined.is_empty() => first = Some(data),
            None => joined.extend_from_slice(&data),
            Some(earlier) => {
                joined.extend_from_slice(&earlier);
                joined.extend_from_slice(&data);
            }
        }
        let held = first.as_ref().map_or(joined.len(), Bytes::len);
        if held >= keep_bytes {
            break;
        }
    }
    let mut bytes = first.unwrap_or_else(|| Bytes::from(joined));
    bytes.truncate(keep_bytes);
    Ok(bytes)
}

/// Puts the core's response on the wire: waits out [`Delivery::delay`], then sends the
/// status and header lines as given (a `HEAD` answer keeps the `Content-Length` a `GET`
/// would have), and the body, shared rather than copied. With
/// [`Delivery::drop_after_bytes`] the headers still announce the full length but only that
/// many body bytes are sent before the connection is aborted.
pub async fn write_response(response: Response, method: &Method) -> http::Response<Body> {
    let Response {
        status,
        headers,
        body,
        delivery:
            Delivery {
                delay,
                drop_after_bytes,
                declared_body,
            },
    } = response;
    if declared_body.is_some() {
        return sized_blob_refusal();
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let full_length = body.len() as u64;
    let body = match drop_after_bytes {
        Some(sent_bytes) if *method != Method::Head => {
            let kept = usize::try_from(sent_bytes.min(full_length)).unwrap_or(body.len());
            Body::new(CutBody::new(body.slice(..kept), full_length))
        }
        _ => Body::from(body),
    };
    let mut out = http::Response::new(body);
    // The core only produces valid statuses; should one ever be out of range, 500 at
    // least tells the client that this is the server's fault.
    *out.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let out_headers = out.headers_mut();
    out_headers.reserve(headers.len());
    for (name, value) in headers.iter() {
        // Header text comes from the core, which builds it from validated names and
        // digests; a line that is not valid HTTP is left out rather than panicking.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            out_headers.append(name, value);
        }
    }
    out
}

/// The answer for a sized blob (`ImageSpec::sized`): the core declared its length but
/// never made its bytes, so there is nothing to send. A 500 with a distribution-style error
/// envelope tells the client plainly, rather than a `Content-Length` the body cannot keep.
fn sized_blob_refusal() -> http::Response<Body> {
    let body = concat!(
        r#"{"errors":[{"code":"UNKNOWN","message":"#,
        r#""this blob is sized only (declared, never materialised) and can be pulled only by the in-process simulator"}]}"#
    );
    let mut out = http::Response::new(Body::from(body));
    *out.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    out.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    out
}

/// A body that yields its bytes, waits [`CUT_GRACE`] so they reach the socket, then fails,
/// which makes hyper abort the connection: the client has a `Content-Length` promising
/// more than it got, exactly like a registry whose connection died mid-transfer.
#[derive(Debug)]
struct CutBody {
    sent: Option<Bytes>,
    grace: Option<Pin<Box<tokio::time::Sleep>>>,
    full_length: u64,
}

impl CutBody {
    fn new(sent: Bytes, full_length: u64) -> CutBody {
        CutBody {
            sent: Some(sent),
            grace: None,
            full_length,
        }
    }
}

impl http_body::Body for CutBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(sent) = self.sent.take() {
            self.grace = Some(Box::pin(tokio::time::sleep(CUT_GRACE)));
            if !sent.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(sent))));
            }
        }
        if let Some(grace) = self.grace.as_mut()
            && grace.as_mut().poll(cx).is_pending()
        {
            return Poll::Pending;
        }
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "a fault rule cut this response short",
        ))))
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.full_length)
    }
}

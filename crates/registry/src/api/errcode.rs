//! The distribution spec's error codes with distribution's messages and statuses
//! (`registry/api/errcode/register.go`, `registry/api/v2/errors.go`), and the small
//! response builders every handler uses, so every 4xx carries a proper error envelope.

use bytes::Bytes;
use serde_json::Value;

use crate::api::protocol::{Delivery, Headers, Response};

/// The header distribution sets on every `/v2/` response.
pub(crate) const API_VERSION_HEADER: (&str, &str) =
    ("Docker-Distribution-API-Version", "registry/2.0");

/// An error code of the distribution spec, with distribution's message and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorCode {
    /// `UNKNOWN`, 500 "unknown error".
    Unknown,
    /// `UNSUPPORTED`, 405 "The operation is unsupported.".
    Unsupported,
    /// `UNAUTHORIZED`, 401 "authentication required".
    Unauthorized,
    /// `DENIED`, 403 "requested access to the resource is denied".
    Denied,
    /// `UNAVAILABLE`, 503 "service unavailable".
    Unavailable,
    /// `TOOMANYREQUESTS`, 429 "too many requests".
    TooManyRequests,
    /// `DIGEST_INVALID`, 400 "provided digest did not match uploaded content".
    DigestInvalid,
    /// `SIZE_INVALID`, 400 "provided length did not match content length".
    SizeInvalid,
    /// `RANGE_INVALID`, 416 "invalid content range".
    RangeInvalid,
    /// `NAME_INVALID`, 400 "invalid repository name".
    NameInvalid,
    /// `TAG_INVALID`, 400 "manifest tag did not match URI".
    TagInvalid,
    /// `NAME_UNKNOWN`, 404 "repository name not known to registry".
    NameUnknown,
    /// `MANIFEST_UNKNOWN`, 404 "manifest unknown".
    ManifestUnknown,
    /// `MANIFEST_INVALID`, 400 "manifest invalid".
    ManifestInvalid,
    /// `MANIFEST_BLOB_UNKNOWN`, 400 "blob unknown to registry".
    ManifestBlobUnknown,
    /// `BLOB_UNKNOWN`, 404 "blob unknown to registry".
    BlobUnknown,
    /// `BLOB_UPLOAD_UNKNOWN`, 404 "blob upload unknown to registry".
    BlobUploadUnknown,
    /// `BLOB_UPLOAD_INVALID`, 404 "blob upload invalid" (distribution's status, not 400).
    BlobUploadInvalid,
    /// `PAGINATION_NUMBER_INVALID`, 400 "invalid number of results requested".
    PaginationNumberInvalid,
}

impl ErrorCode {
    /// The code as it appears in the envelope.
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::Unknown => "UNKNOWN",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Denied => "DENIED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::TooManyRequests => "TOOMANYREQUESTS",
            ErrorCode::DigestInvalid => "DIGEST_INVALID",
            ErrorCode::SizeInvalid => "SIZE_INVALID",
            ErrorCode::RangeInvalid => "RANGE_INVALID",
            ErrorCode::NameInvalid => "NAME_INVALID",
            ErrorCode::TagInvalid => "TAG_INVALID",
            ErrorCode::NameUnknown => "NAME_UNKNOWN",
            ErrorCode::ManifestUnknown => "MANIFEST_UNKNOWN",
            ErrorCode::ManifestInvalid => "MANIFEST_INVALID",
            ErrorCode::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            ErrorCode::BlobUnknown => "BLOB_UNKNOWN",
            ErrorCode::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            ErrorCode::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            ErrorCode::PaginationNumberInvalid => "PAGINATION_NUMBER_INVALID",
        }
    }

    /// distribution's default message for the code.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::Unknown => "unknown error",
            ErrorCode::Unsupported => "The operation is unsupported.",
            ErrorCode::Unauthorized => "authentication required",
            ErrorCode::Denied => "requested access to the resource is denied",
            ErrorCode::Unavailable => "service unavailable",
            ErrorCode::TooManyRequests => "too many requests",
            ErrorCode::DigestInvalid => "provided digest did not match uploaded content",
            ErrorCode::SizeInvalid => "provided length did not match content length",
            ErrorCode::RangeInvalid => "invalid content range",
            ErrorCode::NameInvalid => "invalid repository name",
            ErrorCode::TagInvalid => "manifest tag did not match URI",
            ErrorCode::NameUnknown => "repository name not known to registry",
            ErrorCode::ManifestUnknown => "manifest unknown",
            ErrorCode::ManifestInvalid => "manifest invalid",
            ErrorCode::ManifestBlobUnknown | ErrorCode::BlobUnknown => "blob unknown to registry",
            ErrorCode::BlobUploadUnknown => "blob upload unknown to registry",
            ErrorCode::BlobUploadInvalid => "blob upload invalid",
            ErrorCode::PaginationNumberInvalid => "invalid number of results requested",
        }
    }

    /// The HTTP status distribution answers the code with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::Unknown => 500,
            ErrorCode::Unsupported => 405,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Denied => 403,
            ErrorCode::Unavailable => 503,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::RangeInvalid => 416,
            ErrorCode::NameUnknown
            | ErrorCode::ManifestUnknown
            | ErrorCode::BlobUnknown
            | ErrorCode::BlobUploadUnknown
            | ErrorCode::BlobUploadInvalid => 404,
            ErrorCode::DigestInvalid
            | ErrorCode::SizeInvalid
            | ErrorCode::NameInvalid
            | ErrorCode::TagInvalid
            | ErrorCode::ManifestInvalid
            | ErrorCode::ManifestBlobUnknown
            | ErrorCode::PaginationNumberInvalid => 400,
        }
    }
}

/// One error of an envelope: a code, its message (distribution's unless a handler says
/// more) and an optional detail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) code: ErrorCode,
    pub(crate) message: Option<String>,
    pub(crate) detail: Option<Value>,
    pub(crate) status: Option<u16>,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode) -> ApiError {
        ApiError {
            code,
            message: None,
            detail: None,
            status: None,
        }
    }

    /// Replaces the default message (distribution's `WithMessage`).
    pub(crate) fn message(mut self, message: impl Into<String>) -> ApiError {
        self.message = Some(message.into());
        self
    }

    /// Adds a detail (distribution's `WithDetail`).
    pub(crate) fn detail(mut self, detail: Value) -> ApiError {
        self.detail = Some(detail);
        self
    }

    /// Answers with another status than the code's own (fault rules and unknown routes).
    pub(crate) fn status(mut self, status: u16) -> ApiError {
        self.status = Some(status);
        self
    }

    /// The response: the status, JSON envelope, `Content-Type` and `Content-Length`.
    ///
    /// The body is written directly, the same bytes `serde_json` prints for
    /// `{"errors": [{"code", "message"[, "detail"]}]}` (compact, fields in that order),
    /// without building the value first: a registry in an outage answers every request of a
    /// fleet with one of these.
    pub(crate) fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| self.code.status());
        let message = self.message.as_deref().unwrap_or(self.code.message());
        let detail = self.detail.as_ref().map(Value::to_string);
        let mut body = String::with_capacity(
            40 + message.len() + detail.as_ref().map_or(0, |detail| 11 + detail.len()),
        );
        body.push_str("{\"errors\":[{\"code\":");
        push_json_string(&mut body, self.code.code());
        body.push_str(",\"message\":");
        push_json_string(&mut body, message);
        if let Some(detail) = &detail {
            body.push_str(",\"detail\":");
            body.push_str(detail);
        }
        body.push_str("}]}");
        Response::with_body(status, "application/json", Bytes::from(body.into_bytes()))
    }
}

/// `text` as a JSON string, escaped as `serde_json` escapes it: `"` and `\\` with a
/// backslash, the control characters `\b \f \n \r \t` by name and the others below U+0020
/// as `\u00XX` (lower-case hex); everything else, non-ASCII included, as it is.
fn push_json_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escaped: &str = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\x08' => "\\b",
            b'\x0c' => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..index]);
        if escaped.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(escaped);
        }
        start = index + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> ApiError {
        ApiError::new(code)
    }
}

/// A response with a JSON body.
pub(crate) fn json_response(status: u16, value: &Value) -> Response {
    Response::with_body(
        status,
        "application/json",
        Bytes::from(value.to_string().into_bytes()),
    )
}

/// A response without a body: `Content-Length: 0`, except for 204 and 304, which RFC
/// 9110 (8.6) forbids to carry one.
pub(crate) fn empty_response(status: u16) -> Response {
    let mut headers = Headers::new();
    if !matches!(status, 204 | 304) {
        headers.append("Content-Length", "0");
    }
    Response {
        status,
        headers,
        body: Bytes::new(),
        delivery: Delivery::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The envelope written directly is byte for byte what `serde_json` prints for the
    /// same value, escapes included.
    #[test]
    fn envelopes_are_serde_jsons_bytes() {
        let texts = [
            "plain",
            "quote \" and backslash \\ and slash /",
            "controls \u{0} \u{1f} \u{8} \u{c} \n \r \t \u{7f} end",
            "non-ASCII: é ü 日本 \u{2028}",
            "",
        ];
        for text in texts {
            for detail in [
                None,
                Some(json!({"Tag": text, "n": [1, 2]})),
                Some(json!(text)),
            ] {
                let mut error = ApiError::new(ErrorCode::Unavailable).message(text);
                let mut entry = json!({"code": "UNAVAILABLE", "message": text});
                if let Some(detail) = detail {
                    error = error.detail(detail.clone());
                    if let Value::Object(fields) = &mut entry {
                        fields.insert("detail".into(), detail);
                    }
                }
                let expected = json!({ "errors": [entry] }).to_string();
                let response = error.into_response();
                assert_eq!(
                    std::str::from_utf8(&response.body).unwrap(),
                    expected,
                    "{text:?}"
                );
            }
        }
        let mut escaped = String::new();
        push_json_string(&mut escaped, "a\u{1}b");
        assert_eq!(escaped, "\"a\\u0001b\"");
    }

    #[test]
    fn envelopes_carry_code_message_and_detail() {
        let response = ApiError::new(ErrorCode::ManifestUnknown)
            .detail(json!({"Tag": "v9"}))
            .into_response();
        assert_eq!(response.status, 404);
        assert_eq!(
            response.headers.get("content-type"),
            Some("application/json")
        );
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(
            body,
            json!({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown", "detail": {"Tag": "v9"}}]})
        );
        assert_eq!(
            response.headers.get("content-length"),
            Some(response.body.len().to_string().as_str())
        );
        let plain = ApiError::new(ErrorCode::Denied).into_response();
        let body: Value = serde_json::from_slice(&plain.body).unwrap();
        assert_eq!(body["errors"][0].get("detail"), None);
        assert_eq!(plain.status, 403);
    }
}

//! The registry's wire vocabulary without the wire: what a request and a response hold,
//! so the simulator and the HTTP server speak to the core in the same terms.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

/// An HTTP method. Registries care about a handful; anything else is kept by name so the
/// log can show it and the core can answer `405`/`UNSUPPORTED`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// Any other method, upper-cased as received.
    Other(String),
}

impl Method {
    /// Reads a method name as HTTP does (case-sensitive: `get` is not `GET`).
    pub fn parse(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            other => Method::Other(other.to_owned()),
        }
    }

    /// The method's name.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Other(name) => name,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header lines in the order received, names lower-cased, every line kept: clients such as
/// containers/image send one `Accept` line per media type, and a registry that keeps only
/// the last one answers the wrong thing.
///
/// Names the protocol uses are kept as static lower-case text and constant values can be
/// appended without copying them ([`Headers::append_static`]): the simulator builds
/// millions of these, and a heap copy per name and per fixed value was a large part of
/// each request's cost.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers {
    lines: Vec<(Cow<'static, str>, Cow<'static, str>)>,
}

/// Header names the registry and its clients use, lower-cased, by length, so appending
/// one of them stores a reference instead of a fresh lower-cased copy and finding it
/// compares against at most four candidates.
fn known_names(len: usize) -> &'static [&'static str] {
    match len {
        4 => &["etag", "host"],
        5 => &["allow", "range"],
        6 => &["accept"],
        8 => &["location"],
        10 => &["user-agent"],
        11 => &["retry-after"],
        12 => &["content-type"],
        13 => &[
            "accept-ranges",
            "authorization",
            "cache-control",
            "content-range",
        ],
        14 => &["content-length"],
        16 => &["www-authenticate"],
        18 => &["docker-upload-uuid"],
        21 => &["docker-content-digest"],
        31 => &["docker-distribution-api-version"],
        _ => &[],
    }
}

/// `name` lower-cased, borrowed from [`known_names`] when it is one of them.
fn lower_name(name: &str) -> Cow<'static, str> {
    // Known names are lower-case ASCII, so comparing each byte of `name` lower-cased is
    // `eq_ignore_ascii_case`, without its set-up for long strings (this runs for every
    // header line the simulator builds).
    let is = |known: &&&str| {
        known
            .bytes()
            .zip(name.bytes())
            .all(|(known, byte)| known == byte.to_ascii_lowercase())
    };
    match known_names(name.len()).iter().find(is) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(name.to_ascii_lowercase()),
    }
}

impl Headers {
    /// No headers.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// No headers, with room for `lines` lines (for a caller that knows how many it adds).
    pub fn with_capacity(lines: usize) -> Headers {
        Headers {
            lines: Vec::with_capacity(lines),
        }
    }

    /// Appends a line; the name is lower-cased.
    pub fn append(&mut self, name: &str, value: impl Into<String>) {
        self.lines
            .push((lower_name(name), Cow::Owned(value.into())));
    }

    /// Appends a line whose value is constant text, without copying it; the name is
    /// lower-cased. The same line as [`Headers::append`] would add.
    pub fn append_static(&mut self, name: &str, value: &'static str) {
        self.lines.push((lower_name(name), Cow::Borrowed(value)));
    }

    /// Appends a line whose name is given lower-cased (`"host"`), without looking it up
    /// among the known names: the same line as [`Headers::append`] would add. For clients
    /// that build a request per event from fixed names; constant values are not copied.
    pub fn append_lower(&mut self, name: &'static str, value: impl Into<Cow<'static, str>>) {
        debug_assert!(
            !name.bytes().any(|byte| byte.is_ascii_uppercase()),
            "append_lower takes a lower-case name, not {name:?}"
        );
        self.lines.push((Cow::Borrowed(name), value.into()));
    }

    /// Builder form of [`Headers::append`].
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Headers {
        self.append(name, value);
        self
    }

    /// The first line with this name (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every line with this name (any case), in order.
    pub fn get_all<'h, 'n>(&'h self, name: &'n str) -> impl Iterator<Item = &'h str> + use<'h, 'n> {
        self.lines
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// Every value of every line with this name, split at commas and trimmed, in order: the
    /// merged list HTTP says repeated lines mean (RFC 9110 5.3).
    pub fn merged(&self, name: &str) -> Vec<&str> {
        self.get_all(name)
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// All lines, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.lines.iter().map(|(n, v)| (n.as_ref(), v.as_ref()))
    }

    /// How many lines there are.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// One request as the registry sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The request target as received: the path, percent-encoded as sent, then `?query` if
    /// any (`/v2/demo/hello/tags/list?n=10`).
    pub target: String,
    /// Header lines.
    pub headers: Headers,
    /// The body (empty for GET/HEAD).
    pub body: Bytes,
    /// Who sent it: the peer address for the server, the node's name in the simulator. Fault
    /// rules can match on it and the log records it.
    pub client: Arc<str>,
    /// The network address the request came from, for rules that count per address (the
    /// rate limit): the socket's peer IP in the server, the node's egress address in the
    /// simulator. `None` means `client` is the address.
    pub address: Option<Arc<str>>,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, target: impl Into<String>, client: impl Into<Arc<str>>) -> Request {
        Request {
            method,
            target: target.into(),
            headers: Headers::new(),
            body: Bytes::new(),
            client: client.into(),
            address: None,
        }
    }
}

/// How the transport should deliver a response; the core decides, the server (real time)
/// or the simulator (virtual time) carries it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivery {
    /// Wait this long before sending the status line (a fault's added latency).
    pub delay: Duration,
    /// Send the headers (with the full `Content-Length`) and only this many body bytes,
    /// then drop the connection.
    pub drop_after_bytes: Option<u64>,
    /// The body is declared, not materialised: a sized blob (see
    /// [`crate::ImageSpec::sized`]) whose `body` is empty while `Content-Length` gives its
    /// length. Only an in-process caller can carry this out (the simulator counts the bytes
    /// without having them); the HTTP server refuses to, because it has nothing to send.
    pub declared_body: Option<DeclaredBody>,
}

/// The body of a sized blob, as far as an in-process caller needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeclaredBody {
    /// How many bytes the body would have (the part asked for, for a `Range` request).
    pub size_bytes: u64,
    /// A corrupting fault fired: a client checking the digest would find it wrong.
    pub corrupted: bool,
}

/// One response in protocol terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header lines (for `HEAD`, the headers a `GET` would have, `Content-Length` included).
    pub headers: Headers,
    /// The body; empty for `HEAD`. Shared with the content store, never copied.
    pub body: Bytes,
    /// How to deliver it.
    pub delivery: Delivery,
}

impl Response {
    /// A response carrying `body` as `content_type`, with its `Content-Length`, delivered
    /// normally; callers append any further headers.
    pub fn with_body(status: u16, content_type: &str, body: Bytes) -> Response {
        let mut headers = Headers::new();
        headers.append("Content-Type", content_type);
        headers.append("Content-Length", body.len().to_string());
        Response {
            status,
            headers,
            body,
            delivery: Delivery::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line is the same whichever way it was appended and whatever case its name had.
    #[test]
    fn names_are_lower_cased_and_static_values_equal_copied_ones() {
        let check = |name: &str, value: &'static str| {
            let mut copied = Headers::new();
            copied.append(name, value);
            let mut borrowed = Headers::new();
            borrowed.append_static(name, value);
            assert_eq!(copied, borrowed, "{name}");
            let lower = name.to_ascii_lowercase();
            if name.is_ascii() {
                let mut given_lower = Headers::new();
                given_lower.append_lower(lower.clone().leak(), value);
                assert_eq!(copied, given_lower, "{name}");
            }
            assert_eq!(
                copied.iter().next(),
                Some((lower.as_str(), value)),
                "{name}"
            );
            assert_eq!(
                copied.get(&name.to_ascii_uppercase()),
                Some(value),
                "{name}"
            );
        };
        check("Docker-Distribution-API-Version", "registry/2.0");
        check("User-Agent", "containerd/v2.0.0");
        check("accept", "*/*");
        check("X-Not-Known", "yes");
        check(
            "ÄCCEPT",
            "non-ASCII names are kept as given, ASCII letters lowered",
        );
        for name in [
            "Etag",
            "Host",
            "Allow",
            "Range",
            "Accept",
            "Location",
            "User-Agent",
            "Retry-After",
            "Content-Type",
            "Accept-Ranges",
            "Authorization",
            "Cache-Control",
            "Content-Range",
            "Content-Length",
            "WWW-Authenticate",
            "Docker-Upload-UUID",
            "Docker-Content-Digest",
        ] {
            check(name, "v");
            assert!(
                matches!(lower_name(name), Cow::Borrowed(_)),
                "{name} is a known name"
            );
        }
    }
}

//! Request builders and the one `check` helper the protocol tables share: a row is a
//! request and what the response must show (status, headers, error code).

#![allow(dead_code, unreachable_pub)]

use base64::Engine as _;
use pullsim_model::SimTime;
use pullsim_registry::{Headers, Method, Registry, Request, Response};

/// The Accept lines containers/image sends, one media type per line.
pub const CONTAINERS_IMAGE_ACCEPT: [&str; 6] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
];

/// One row of a protocol table.
#[derive(Debug, Clone)]
pub struct Row {
    pub request: Request,
    pub status: u16,
    pub code: Option<&'static str>,
    pub headers: Vec<(&'static str, String)>,
    pub body_contains: Vec<String>,
    pub at: SimTime,
}

/// Starts a row: `method target`.
pub fn req(method: &str, target: impl Into<String>) -> Row {
    Row {
        request: Request::new(Method::parse(method), target, "test-client"),
        status: 0,
        code: None,
        headers: Vec::new(),
        body_contains: Vec::new(),
        at: SimTime::EPOCH,
    }
}

pub fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

impl Row {
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Row {
        self.request.headers.append(name, value);
        self
    }
    pub fn accept_all(mut self) -> Row {
        for line in CONTAINERS_IMAGE_ACCEPT {
            self.request.headers.append("Accept", line);
        }
        self
    }
    pub fn auth(self, user: &str, password: &str) -> Row {
        self.header("Authorization", basic(user, password))
    }
    pub fn body(mut self, body: impl Into<bytes::Bytes>) -> Row {
        self.request.body = body.into();
        self
    }
    pub fn at_secs(mut self, secs: u64) -> Row {
        self.at = SimTime::from_secs(secs);
        self
    }
    /// The expected status.
    pub fn expect(mut self, status: u16) -> Row {
        self.status = status;
        self
    }
    /// The expected error code of the envelope.
    pub fn code(mut self, code: &'static str) -> Row {
        self.code = Some(code);
        self
    }
    /// A header the response must have with exactly this value.
    pub fn has(mut self, name: &'static str, value: impl Into<String>) -> Row {
        self.headers.push((name, value.into()));
        self
    }
    /// Text the body must contain.
    pub fn contains(mut self, text: impl Into<String>) -> Row {
        self.body_contains.push(text.into());
        self
    }
}

/// Sends each row in order and checks its response; returns the responses.
pub fn check(registry: &mut Registry, rows: Vec<Row>) -> Vec<Response> {
    let mut responses = Vec::new();
    for row in rows {
        let label = format!("{} {}", row.request.method, row.request.target);
        let response = registry.handle(&row.request, row.at);
        let body = String::from_utf8_lossy(&response.body).into_owned();
        assert_eq!(response.status, row.status, "{label}: status; body {body}");
        if let Some(code) = row.code {
            let parsed: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|err| panic!("{label}: envelope is not JSON ({err}): {body}"));
            assert_eq!(
                parsed["errors"][0]["code"], code,
                "{label}: error code in {body}"
            );
        }
        for (name, value) in &row.headers {
            assert_eq!(
                response.headers.get(name),
                Some(value.as_str()),
                "{label}: header {name}; all headers {:?}",
                response.headers
            );
        }
        for text in &row.body_contains {
            assert!(
                body.contains(text.as_str()),
                "{label}: body lacks {text:?}: {body}"
            );
        }
        if row.request.method != Method::Head {
            assert_eq!(
                response.headers.get("content-length"),
                Some(response.body.len().to_string().as_str()),
                "{label}: Content-Length"
            );
        }
        responses.push(response);
    }
    responses
}

/// A header's value, for rows that depend on an earlier answer.
pub fn header(response: &Response, name: &str) -> String {
    response.headers.get(name).unwrap_or_default().to_owned()
}

/// Headers with one line, for ad-hoc requests.
pub fn one_header(name: &str, value: &str) -> Headers {
    Headers::new().with(name, value)
}

//! The pull-through cache's upstream client: performs one [`UpstreamRequest`] the registry
//! core asked for over plain HTTP/1.1 and hands back what came of it as an
//! [`UpstreamReply`]. A transport failure (refused, timed out, a body over the cap, a URL
//! this client cannot reach) is `UpstreamReply::Failed` with its text; the core decides what
//! the client sees then (`500 UNKNOWN` for an uncached miss, see docs/pull-through-cache.md).
//!
//! Architecture Invariant: like the rest of the server this decides no protocol behaviour.
//! Redirects are not followed, statuses are passed on as they are: the core reads them.
//!
//! One connection per exchange, no pooling: a proxy's upstream traffic is one request per
//! cache miss, and a fresh connection cannot be a stale one.

use std::time::Duration;

use axum::http::{self, HeaderName, HeaderValue};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use pullsim_registry::{Delivery, Headers, Response, UpstreamReply, UpstreamRequest};
use tokio::net::TcpStream;

/// How long connecting to the upstream may take.
pub const DEFAULT_UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the upstream may take to send its whole answer, head and body, once connected.
pub const DEFAULT_UPSTREAM_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// The largest upstream body the client accepts; a larger one is a failed exchange rather
/// than unbounded memory. The same cap as a client's upload ([`crate::UPLOAD_BODY_LIMIT_BYTES`]).
pub const DEFAULT_UPSTREAM_BODY_CAP_BYTES: u64 = crate::UPLOAD_BODY_LIMIT_BYTES;

/// The client's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamClient {
    /// See [`DEFAULT_UPSTREAM_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// See [`DEFAULT_UPSTREAM_READ_TIMEOUT`].
    pub read_timeout: Duration,
    /// See [`DEFAULT_UPSTREAM_BODY_CAP_BYTES`].
    pub body_cap_bytes: u64,
}

impl Default for UpstreamClient {
    fn default() -> UpstreamClient {
        UpstreamClient {
            connect_timeout: DEFAULT_UPSTREAM_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_UPSTREAM_READ_TIMEOUT,
            body_cap_bytes: DEFAULT_UPSTREAM_BODY_CAP_BYTES,
        }
    }
}

impl UpstreamClient {
    /// Performs `upstream` and returns the upstream's answer, whatever its status, or
    /// `Failed` with the reason no answer came.
    pub async fn send(&self, upstream: &UpstreamRequest) -> UpstreamReply {
        match self.exchange(upstream).await {
            Ok(response) => UpstreamReply::Response(response),
            Err(text) => UpstreamReply::Failed(format!(
                "{} {}: {text}",
                upstream.request.method.as_str(),
                upstream.url
            )),
        }
    }

    async fn exchange(&self, upstream: &UpstreamRequest) -> Result<Response, String> {
        let authority = authority(&upstream.url)?;
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(&authority))
            .await
            .map_err(|_| {
                format!(
                    "connecting to {authority} timed out after {:?}",
                    self.connect_timeout
                )
            })?
            .map_err(|err| format!("cannot connect to {authority}: {err}"))?;
        let request = build_request(upstream, &authority)?;
        let cap = self.body_cap_bytes;
        tokio::time::timeout(self.read_timeout, async move {
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(|err| format!("handshake: {err}"))?;
            let driver = tokio::spawn(connection);
            let answer = sender
                .send_request(request)
                .await
                .map_err(|err| err.to_string());
            let result = match answer {
                Ok(answer) => read_answer(answer, cap).await,
                Err(err) => Err(err),
            };
            driver.abort();
            result
        })
        .await
        .map_err(|_| format!("no whole answer within {:?}", self.read_timeout))?
    }
}

/// `host:port` of a plain `http://` URL (port 80 when none is given).
fn authority(url: &str) -> Result<String, String> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Err("only plain http:// upstreams are supported by the server's client".to_owned());
    };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    if host.is_empty() {
        return Err("the URL has no host".to_owned());
    }
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, port)| !port.contains(']'));
    Ok(if has_port {
        host.to_owned()
    } else {
        format!("{host}:80")
    })
}

fn build_request(
    upstream: &UpstreamRequest,
    authority: &str,
) -> Result<http::Request<Full<Bytes>>, String> {
    let core = &upstream.request;
    let mut request = http::Request::new(Full::new(core.body.clone()));
    *request.method_mut() = http::Method::from_bytes(core.method.as_str().as_bytes())
        .map_err(|err| format!("method {:?}: {err}", core.method.as_str()))?;
    *request.uri_mut() = core
        .target
        .parse()
        .map_err(|err| format!("target {:?}: {err}", core.target))?;
    let headers = request.headers_mut();
    for (name, value) in core.headers.iter() {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|err| format!("header {name:?}: {err}"))?;
        let value = HeaderValue::from_str(value).map_err(|err| format!("header {name}: {err}"))?;
        headers.append(name, value);
    }
    if !headers.contains_key(http::header::HOST) {
        let host = HeaderValue::from_str(&upstream.host)
            .or_else(|_| HeaderValue::from_str(authority))
            .map_err(|err| format!("host: {err}"))?;
        headers.insert(http::header::HOST, host);
    }
    Ok(request)
}

async fn read_answer(
    answer: http::Response<hyper::body::Incoming>,
    cap: u64,
) -> Result<Response, String> {
    let (parts, mut body) = answer.into_parts();
    let mut headers = Headers::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        headers.append(
            name.as_str(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| format!("reading the body: {err}"))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() as u64 + data.len() as u64 > cap {
                return Err(format!("the body is over the {cap}-byte cap"));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Response {
        status: parts.status.as_u16(),
        headers,
        body: Bytes::from(bytes),
        delivery: Delivery::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn authorities_of_plain_http_urls() {
        assert_eq!(
            authority("http://127.0.0.1:5001/v2/"),
            Ok("127.0.0.1:5001".to_owned())
        );
        assert_eq!(
            authority("http://example.com/v2/x"),
            Ok("example.com:80".to_owned())
        );
        assert_eq!(authority("http://[::1]/v2/"), Ok("[::1]:80".to_owned()));
        assert_eq!(authority("http://[::1]:9/v2/"), Ok("[::1]:9".to_owned()));
        assert!(authority("https://example.com/v2/").is_err());
        assert!(authority("http:///v2/").is_err());
    }
}

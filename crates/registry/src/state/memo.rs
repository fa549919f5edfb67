//! The memo behind [`Registry::handle_shared`](crate::Registry::handle_shared): answers to
//! reads that thousands of simulated nodes send byte for byte alike (the same manifest
//! `HEAD`, the same layer `GET` with the same credentials), kept so the core decides each
//! of them once until something changes.
//!
//! An answer is reused only where it cannot differ from what `handle` would compute at
//! that moment:
//! - the request is a read whose answer depends on nothing but the registry's content,
//!   tags, accounts and configuration: `GET`/`HEAD` of `/v2/`, a manifest or a blob,
//!   without a bearer token (a token's validity depends on the time). `handle` itself
//!   says so when it first answers the request ([`Reads`]);
//! - no fault rule and no trigger can match at that instant, so none would have counted
//!   it, and the request log is off, so nothing would have been logged (the caller checks
//!   this; see `Registry::is_quiet`);
//! - nothing changed since: every operation that can change content, tags, accounts,
//!   rules or settings empties the memo, and so does every request that is not such a read.
//!
//! Requests are compared whole (method, target, header lines, body) except for the
//! client, which only fault rules and the log look at.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use crate::api::protocol::{Headers, Method, Request, Response};

/// What `handle` learnt about a request while answering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reads {
    /// A read that changed nothing and whose answer depends only on the request and the
    /// registry's state: it may be reused for the same request until something changes.
    Only,
    /// Anything else (a push, a token, the control API, a malformed request): it may have
    /// changed state, so every kept answer is dropped.
    Other,
}

/// At most this many answers are kept; the memo starts over when full, so a caller that
/// never repeats a request costs a bounded amount of memory.
const ENTRIES_MAX: usize = 4096;

/// One kept answer with the request it answers.
#[derive(Debug, Clone)]
struct Entry {
    method: Method,
    target: String,
    headers: Headers,
    body: Bytes,
    response: Arc<Response>,
}

impl Entry {
    fn answers(&self, request: &Request) -> bool {
        self.method == request.method
            && self.target == request.target
            && same_headers(&self.headers, &request.headers)
            && self.body == request.body
    }
}

/// `a == b`, line by line, without reading the bytes of text both hold at the same address:
/// header names the protocol knows and constant values (a client's `User-Agent`, its long
/// `Accept` list) are static text shared by every request and every kept entry, so most
/// lines compare by address; the rest are compared byte for byte.
fn same_headers(a: &Headers, b: &Headers) -> bool {
    let same = |x: &str, y: &str| std::ptr::eq(x, y) || x == y;
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|((a_name, a_value), (b_name, b_value))| {
                same(a_name, b_name) && same(a_value, b_value)
            })
}

/// Kept answers by a hash of their method and target; requests in one bucket are told apart
/// by comparing them whole, so sharing a bucket costs a comparison, never a wrong answer.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseMemo {
    entries: BTreeMap<u64, Vec<Entry>>,
    len: usize,
}

impl ResponseMemo {
    /// The kept answer to `request`, if any.
    pub(crate) fn get(&self, request: &Request) -> Option<Arc<Response>> {
        self.entries
            .get(&fingerprint(request))?
            .iter()
            .find(|entry| entry.answers(request))
            .map(|entry| Arc::clone(&entry.response))
    }

    /// Keeps `response` as the answer to `request`.
    pub(crate) fn insert(&mut self, request: &Request, response: Arc<Response>) {
        if self.len >= ENTRIES_MAX {
            self.clear();
        }
        self.entries
            .entry(fingerprint(request))
            .or_default()
            .push(Entry {
                method: request.method.clone(),
                target: request.target.clone(),
                headers: request.headers.clone(),
                body: request.body.clone(),
                response,
            });
        self.len += 1;
    }

    /// Drops every kept answer.
    pub(crate) fn clear(&mut self) {
        if self.len > 0 {
            self.entries.clear();
            self.len = 0;
        }
    }

    /// How many answers are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// A hash of the method and target, the parts that set requests apart most often; requests
/// that differ only in their headers or body share a bucket and are told apart by
/// comparison. Fixed (a multiply-rotate over 8-byte words, as rustc's FxHash does), so the
/// same request lands in the same bucket on every run and machine.
fn fingerprint(request: &Request) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(K);
    let method = request.method.as_str().as_bytes();
    let target = request.target.as_bytes();
    let mut hash = mix(0, target.len() as u64);
    hash = mix(hash, method.len() as u64);
    hash = mix(hash, method.first().map_or(0, |byte| u64::from(*byte)));
    let mut words = target.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        hash = mix(hash, u64::from_le_bytes(bytes));
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    mix(hash, u64::from_le_bytes(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, authorization: Option<&str>) -> Request {
        let mut request = Request::new(Method::Get, target, "node-1");
        if let Some(value) = authorization {
            request.headers.append("Authorization", value);
        }
        request
    }

    /// An answer comes back only for the request it was kept for, whoever sends it, and
    /// not after a clear.
    #[test]
    fn answers_only_the_same_request() {
        let mut memo = ResponseMemo::default();
        let kept = request("/v2/a/manifests/v1", Some("Basic eDp5"));
        memo.insert(&kept, Arc::new(crate::api::errcode::empty_response(200)));
        let mut other_client = kept.clone();
        other_client.client = "node-2".into();
        assert!(memo.get(&other_client).is_some());
        for different in [
            request("/v2/a/manifests/v2", Some("Basic eDp5")),
            request("/v2/a/manifests/v1", None),
            request("/v2/a/manifests/v1", Some("Basic eDp6")),
            Request {
                method: Method::Head,
                ..kept.clone()
            },
            Request {
                body: Bytes::from_static(b"x"),
                ..kept.clone()
            },
        ] {
            assert!(memo.get(&different).is_none(), "{different:?}");
        }
        memo.clear();
        assert!(memo.get(&kept).is_none());
        assert_eq!(memo.len(), 0);
    }

    /// Header lines are the same whether their text is shared or copied, and differ when
    /// a name, a value or the number of lines does.
    #[test]
    fn headers_compare_by_content_whatever_holds_them() {
        let shared = Headers::new().with("Host", "r.example").with("Accept", "a");
        let mut statics = Headers::new();
        statics.append_static("host", "r.example");
        statics.append_static("accept", "a");
        assert!(same_headers(&shared, &statics));
        assert!(same_headers(&statics, &statics.clone()));
        assert_eq!(shared == statics, same_headers(&shared, &statics));
        let mut other_value = Headers::new();
        other_value.append_static("host", "r.example");
        other_value.append_static("accept", "b");
        assert!(!same_headers(&statics, &other_value));
        let other_name = Headers::new().with("Host", "r.example").with("Range", "a");
        assert!(!same_headers(&shared, &other_name));
        let fewer = Headers::new().with("Host", "r.example");
        assert!(!same_headers(&shared, &fewer));
        assert!(!same_headers(&fewer, &shared));
    }

    /// The memo never holds more than its bound.
    #[test]
    fn starts_over_when_full() {
        let mut memo = ResponseMemo::default();
        for index in 0..=ENTRIES_MAX {
            let request = request(&format!("/v2/a/blobs/{index}"), None);
            memo.insert(&request, Arc::new(crate::api::errcode::empty_response(200)));
        }
        assert_eq!(memo.len(), 1);
    }

    /// Requests that differ in method or target land in different buckets; requests that
    /// differ in headers only share one and are still told apart.
    #[test]
    fn buckets_by_method_and_target() {
        let plain = request("/v2/a/manifests/v1", None);
        let head = Request {
            method: Method::Head,
            ..plain.clone()
        };
        assert_ne!(fingerprint(&plain), fingerprint(&head));
        assert_ne!(
            fingerprint(&plain),
            fingerprint(&request("/v2/a/manifests/v2", None))
        );
        let with_auth = request("/v2/a/manifests/v1", Some("Basic eDp5"));
        assert_eq!(fingerprint(&plain), fingerprint(&with_auth));
        let mut memo = ResponseMemo::default();
        memo.insert(&plain, Arc::new(crate::api::errcode::empty_response(200)));
        memo.insert(
            &with_auth,
            Arc::new(crate::api::errcode::empty_response(401)),
        );
        assert_eq!(memo.get(&plain).map(|r| r.status), Some(200));
        assert_eq!(memo.get(&with_auth).map(|r| r.status), Some(401));
    }
}

//! The pull side of the distribution API: manifests and blobs by `GET`/`HEAD` (with
//! `Accept` negotiation, `If-None-Match` and `Range`; blobs redirected to another origin
//! when configured), the tags list and the catalog, both paged with `n`/`last` and a
//! `Link` header.
//!
//! Bodies are clones of the store's [`Bytes`], never copies.

use bytes::Bytes;
use pullsim_model::{Digest, SimTime};
use serde_json::json;

use crate::access::rules::{Action, Credentials};
use crate::api::errcode::{ApiError, ErrorCode, json_response};
use crate::api::media::{Accepts, ManifestKind, Negotiation, negotiate};
use crate::api::names;
use crate::api::protocol::{DeclaredBody, Headers, Request, Response};
use crate::api::range::{RangeAnswer, answer};
use crate::api::route::Target;
use crate::registry::{Caller, Registry};

/// How many repositories `_catalog` lists without `n`, as distribution does.
const CATALOG_PAGE_DEFAULT: usize = 100;

impl Registry {
    /// `GET`/`HEAD /v2/<name>/manifests/<reference>`.
    pub(crate) fn get_manifest(
        &mut self,
        name: &str,
        reference: &str,
        request: &Request,
    ) -> Response {
        let requested = if reference.contains(':') {
            match Digest::parse(reference) {
                Ok(digest) => Some(digest),
                Err(error) => {
                    return ApiError::new(ErrorCode::DigestInvalid)
                        .detail(json!(error.to_string()))
                        .into_response();
                }
            }
        } else {
            None
        };
        let canonical = match &requested {
            Some(digest) => self.store.resolve(digest),
            None => None,
        };
        let Some(repository) = self.store.repository(name) else {
            return ApiError::new(ErrorCode::NameUnknown)
                .detail(json!({"name": name}))
                .into_response();
        };
        let (digest, canonical) = match &requested {
            None => match repository
                .tags
                .get(reference)
                .and_then(|tag| tag.current.clone())
            {
                Some(target) => (target.clone(), target),
                // A tag is checked only when it is not found, which keeps the grammar off
                // the hot path: stored tags are valid by construction.
                None if !names::is_tag(reference) => {
                    return ApiError::new(ErrorCode::TagInvalid)
                        .detail(json!({"Tag": reference}))
                        .into_response();
                }
                None => {
                    return ApiError::new(ErrorCode::ManifestUnknown)
                        .detail(json!({"Tag": reference}))
                        .into_response();
                }
            },
            Some(requested) => match canonical.filter(|c| repository.manifests.contains(c)) {
                Some(canonical) => (requested.clone(), canonical),
                None => {
                    return ApiError::new(ErrorCode::ManifestUnknown)
                        .detail(json!({"Name": name, "Revision": requested.to_string()}))
                        .into_response();
                }
            },
        };
        if if_none_match(request, &digest) {
            let mut response = crate::api::errcode::empty_response(304);
            response
                .headers
                .append("Docker-Content-Digest", digest.to_string());
            response.headers.append("Etag", format!("\"{digest}\""));
            return response;
        }
        let Some(content) = self.store.get(&canonical) else {
            return ApiError::new(ErrorCode::ManifestUnknown).into_response();
        };
        let facts = content.manifest.clone().unwrap_or_default();
        let accepts = Accepts::from_headers(&request.headers);
        match negotiate(facts.kind(), accepts, requested.is_none()) {
            Negotiation::AsStored => {
                manifest_response(facts.kind(), &digest, content.bytes.clone())
            }
            Negotiation::Unknown(message) => ApiError::new(ErrorCode::ManifestUnknown)
                .message(message)
                .into_response(),
            Negotiation::AmdChild => {
                let child = facts
                    .children
                    .iter()
                    .find(|(os, architecture, _)| os == "linux" && architecture == "amd64")
                    .map(|(_, _, digest)| digest.clone());
                let child_content = child
                    .as_ref()
                    .filter(|child| repository.manifests.contains(*child))
                    .and_then(|child| self.store.get(child));
                match (child, child_content) {
                    (Some(child), Some(content)) => {
                        let kind = content.manifest.as_ref().map_or(
                            ManifestKind::DockerManifest,
                            crate::state::store::ManifestFacts::kind,
                        );
                        if kind == ManifestKind::DockerManifest && !accepts.supports(kind) {
                            return ApiError::new(ErrorCode::ManifestInvalid)
                                .message("Schema 2 manifest not supported by client")
                                .into_response();
                        }
                        manifest_response(kind, &child, content.bytes.clone())
                    }
                    _ => ApiError::new(ErrorCode::ManifestUnknown).into_response(),
                }
            }
        }
    }

    /// `GET`/`HEAD /v2/<name>/blobs/<digest>`, with `Range`.
    pub(crate) fn get_blob(&mut self, name: &str, digest: &str, request: &Request) -> Response {
        let requested = match Digest::parse(digest) {
            Ok(digest) => digest,
            Err(error) => {
                return ApiError::new(ErrorCode::DigestInvalid)
                    .detail(json!(error.to_string()))
                    .into_response();
            }
        };
        let canonical = self.store.resolve(&requested);
        let linked = self.store.repository(name).and_then(|repository| {
            canonical.filter(|c| repository.blobs.contains(c) || repository.manifests.contains(c))
        });
        let Some(content) = linked.as_ref().and_then(|c| self.store.get(c)) else {
            return ApiError::new(ErrorCode::BlobUnknown)
                .detail(json!(requested.to_string()))
                .into_response();
        };
        // distribution redirects once the blob is known to exist, before it looks at
        // conditional or range headers: the other origin answers those.
        if let Some(origin) = &self.config.blob_redirect {
            let mut response = crate::api::errcode::empty_response(307);
            response.headers.append(
                "Location",
                format!(
                    "{}/v2/{name}/blobs/{requested}",
                    origin.trim_end_matches('/')
                ),
            );
            response
                .headers
                .append("Docker-Content-Digest", requested.to_string());
            return response;
        }
        if if_none_match(request, &requested) {
            let mut response = crate::api::errcode::empty_response(304);
            response
                .headers
                .append("Docker-Content-Digest", requested.to_string());
            response.headers.append("Etag", format!("\"{requested}\""));
            return response;
        }
        let declared = content.declared_bytes;
        let size = declared.unwrap_or(content.bytes.len() as u64);
        let mut headers = Headers::new();
        headers.append("Accept-Ranges", "bytes");
        headers.append("Cache-Control", "max-age=31536000");
        headers.append("Docker-Content-Digest", requested.to_string());
        headers.append("Etag", format!("\"{requested}\""));
        let (status, body, body_bytes) = match answer(request.headers.get("range"), size) {
            RangeAnswer::Whole => (200, content.bytes.clone(), size),
            RangeAnswer::Part { start, end } => {
                headers.append("Content-Range", format!("bytes {start}-{end}/{size}"));
                let part = if declared.is_some() {
                    Bytes::new()
                } else {
                    let (start, end) = (
                        usize::try_from(start).unwrap_or(0),
                        usize::try_from(end).unwrap_or(0),
                    );
                    content.bytes.slice(start..=end)
                };
                (206, part, end - start + 1)
            }
            RangeAnswer::Unsatisfiable => {
                let mut response = ApiError::new(ErrorCode::RangeInvalid)
                    .detail(json!({"size": size}))
                    .into_response();
                response
                    .headers
                    .append("Content-Range", format!("bytes */{size}"));
                return response;
            }
        };
        let mut response = Response::with_body(status, "application/octet-stream", body);
        if declared.is_some() {
            // A sized blob: the length is declared, the bytes never existed.
            response.headers = Headers::new();
            response
                .headers
                .append("Content-Type", "application/octet-stream");
            response
                .headers
                .append("Content-Length", body_bytes.to_string());
            response.delivery.declared_body = Some(DeclaredBody {
                size_bytes: body_bytes,
                corrupted: false,
            });
        }
        for (name, value) in headers.iter() {
            response.headers.append(name, value);
        }
        response
    }

    /// `GET /v2/<name>/tags/list[?n=&last=]`: tags in lexical order.
    pub(crate) fn tags_list(&mut self, name: &str, target: &Target) -> Response {
        let Some(repository) = self.store.repository(name) else {
            return ApiError::new(ErrorCode::NameUnknown)
                .detail(json!({"name": name}))
                .into_response();
        };
        let tags: Vec<&str> = repository
            .live_tags()
            .map(|(tag, _)| tag.as_str())
            .collect();
        let page = match paginate(&tags, target, None) {
            Ok(page) => page,
            Err(response) => return response,
        };
        let mut response = json_response(200, &json!({"name": name, "tags": page.items}));
        if let Some((last, n)) = page.next {
            response.headers.append(
                "Link",
                format!("</v2/{name}/tags/list?last={last}&n={n}>; rel=\"next\""),
            );
        }
        response
    }

    /// `GET /v2/_catalog[?n=&last=]`: the repositories the caller may read, in lexical order.
    pub(crate) fn catalog_list(
        &mut self,
        target: &Target,
        credentials: &Credentials,
        caller: &mut Caller,
        now: SimTime,
    ) -> Response {
        let user = self.identify(credentials, now);
        caller.user.clone_from(&user);
        let names: Vec<&str> = self
            .store
            .repositories
            .iter()
            .filter(|(_, repository)| repository.live_tags().next().is_some())
            .map(|(name, _)| name.as_str())
            .filter(|name| self.access.allows(user.as_deref(), name, Action::Pull))
            .collect();
        let page = match paginate(&names, target, Some(CATALOG_PAGE_DEFAULT)) {
            Ok(page) => page,
            Err(response) => return response,
        };
        let mut response = json_response(200, &json!({"repositories": page.items}));
        if let Some((last, n)) = page.next {
            response.headers.append(
                "Link",
                format!("</v2/_catalog?last={last}&n={n}>; rel=\"next\""),
            );
        }
        response
    }
}

/// A manifest answer: 200 with the media type, length, digest and `Etag`.
fn manifest_response(kind: ManifestKind, digest: &Digest, body: Bytes) -> Response {
    let mut response = Response::with_body(200, kind.media_type(), body);
    let digest = digest.to_string();
    response.headers.append("Etag", format!("\"{digest}\""));
    response.headers.append("Docker-Content-Digest", digest);
    response
}

/// Whether an `If-None-Match` line names `digest`, quoted or not (distribution's `etagMatch`).
fn if_none_match(request: &Request, digest: &Digest) -> bool {
    request.headers.get("if-none-match").is_some() && {
        let plain = digest.to_string();
        let quoted = format!("\"{plain}\"");
        request
            .headers
            .get_all("if-none-match")
            .any(|value| value == plain || value == quoted)
    }
}

/// One page of a sorted list.
struct Page<'a> {
    items: Vec<&'a str>,
    /// The `last` and `n` of the next page, when there is one.
    next: Option<(&'a str, usize)>,
}

/// Applies `last` (start after this entry) and `n` (at most this many; a missing `n`
/// means `default`, or everything). A non-numeric or negative `n` is 400
/// `PAGINATION_NUMBER_INVALID`.
fn paginate<'a>(
    sorted: &[&'a str],
    target: &Target,
    default: Option<usize>,
) -> Result<Page<'a>, Response> {
    let n = match target.param("n") {
        Some(text) => match text.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Err(ApiError::new(ErrorCode::PaginationNumberInvalid)
                    .detail(json!({"n": text}))
                    .into_response());
            }
        },
        None => default,
    };
    let start = match target.param("last") {
        Some(last) => sorted.partition_point(|item| *item <= last),
        None => 0,
    };
    let rest = &sorted[start..];
    let take = n.unwrap_or(rest.len()).min(rest.len());
    let items = rest[..take].to_vec();
    let next = match (n, items.last()) {
        (Some(n), Some(last)) if take < rest.len() => Some((*last, n)),
        _ => None,
    };
    Ok(Page { items, next })
}

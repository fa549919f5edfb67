//! The push side, well enough for real clients (`skopeo copy ... docker://`): blob
//! uploads (monolithic `POST ?digest=`, cross-repository mount, chunked `PATCH` with
//! `Content-Range` checks, `PUT ?digest=`, status and cancel) and manifest `PUT` by tag
//! or digest with distribution's validation; `install_manifest` stores documents of the
//! caller's own (over the 4 MiB cap too) through the same checks.
//!
//! Open uploads, their expiry and caps are in `uploads.rs`. Upload ids are deterministic
//! (a counter formatted as a UUID). Statuses follow
//! distribution v2.8: `202` for an open upload, `201` for a stored blob or manifest,
//! `204` for status and cancel, `416 RANGE_INVALID` for a chunk that does not continue
//! the upload, `400 DIGEST_INVALID` when content and digest disagree (the upload is then
//! cancelled, as distribution does).

use bytes::Bytes;
use oci_spec::image::{ImageIndex, ImageManifest};
use pullsim_model::{Digest, DigestAlgorithm, SimTime};
use serde_json::json;

use crate::access::rules::{Action, Credentials};
use crate::api::errcode::{ApiError, ErrorCode, empty_response};
use crate::api::media::{ManifestKind, bare_media_type};
use crate::api::protocol::{Method, Request, Response};
use crate::api::route::Target;
use crate::error::RegistryError;
use crate::registry::{Caller, Registry};
use crate::state::store::ManifestFacts;

/// The largest manifest distribution accepts (`maxManifestBodySize`, 4 MiB). A larger
/// body is 400 `MANIFEST_INVALID` with detail "http: request body too large", as
/// distribution answers it (its `copyFullPayload` error lands in `MANIFEST_INVALID`; no 413).
pub const MANIFEST_MAX_BYTES: usize = 4 << 20;

/// The facts the registry keeps about a manifest: its kind and, for an index or list,
/// each child's platform and digest.
pub(crate) fn manifest_facts(kind: ManifestKind, bytes: &[u8]) -> ManifestFacts {
    let mut facts = ManifestFacts {
        kind: Some(kind),
        children: Vec::new(),
    };
    if kind.is_index()
        && let Ok(index) = serde_json::from_slice::<ImageIndex>(bytes)
    {
        for child in index.manifests() {
            let (os, architecture) = child.platform().as_ref().map_or_else(
                || (String::new(), String::new()),
                |p| (p.os().to_string(), p.architecture().to_string()),
            );
            if let Ok(digest) = Digest::parse(child.digest().as_ref()) {
                facts.children.push((os, architecture, digest));
            }
        }
    }
    facts
}

/// The digest of `bytes` under the algorithm of `claimed`.
fn digest_like(claimed: &Digest, bytes: &[u8]) -> Digest {
    Digest::of_bytes(claimed.algorithm(), bytes)
}

fn digest_invalid(detail: serde_json::Value) -> Response {
    ApiError::new(ErrorCode::DigestInvalid)
        .detail(detail)
        .into_response()
}

impl Registry {
    /// `POST /v2/<name>/blobs/uploads/`: mount, monolithic upload, or a new session.
    pub(crate) fn start_upload(
        &mut self,
        name: &str,
        target: &Target,
        request: &Request,
        credentials: &Credentials,
        now: SimTime,
    ) -> Response {
        if let (Some(mount), Some(from)) = (target.param("mount"), target.param("from")) {
            let Ok(digest) = Digest::parse(mount) else {
                return digest_invalid(json!(mount));
            };
            let mut scratch = Caller::default();
            let readable = self
                .authorize(request, credentials, &mut scratch, from, Action::Pull, now)
                .is_ok();
            let canonical = self.store.resolve(&digest);
            let present = canonical.clone().filter(|c| {
                self.store
                    .repository(from)
                    .is_some_and(|repository| repository.blobs.contains(c))
            });
            if let (true, Some(canonical)) = (readable, present) {
                self.store.repository_mut(name).blobs.insert(canonical);
                return blob_created(name, &digest);
            }
        }
        if let Some(claimed) = target.param("digest") {
            let Ok(digest) = Digest::parse(claimed) else {
                return digest_invalid(json!(claimed));
            };
            return self.commit_blob(name, &digest, request.body.clone());
        }
        let id = self.uploads.start(name, now);
        if let Err(response) = self.uploads.append(&id, &request.body, now) {
            self.uploads.remove(&id);
            return response;
        }
        self.upload_status(name, &id, 202)
    }

    /// `GET`, `PATCH`, `PUT` and `DELETE` of `/v2/<name>/blobs/uploads/<id>`.
    pub(crate) fn upload(
        &mut self,
        name: &str,
        id: &str,
        target: &Target,
        request: &Request,
        now: SimTime,
    ) -> Response {
        self.uploads.expire(now);
        let known = self
            .uploads
            .get(id)
            .is_some_and(|upload| upload.repository == name);
        if !known {
            return ApiError::new(ErrorCode::BlobUploadUnknown)
                .detail(json!({"id": id}))
                .into_response();
        }
        self.uploads.touch(id, now);
        match request.method {
            Method::Get => self.upload_status(name, id, 204),
            Method::Delete => {
                self.uploads.remove(id);
                empty_response(204)
            }
            Method::Patch => match self.append_chunk(id, request, now) {
                Ok(()) => self.upload_status(name, id, 202),
                Err(response) => response,
            },
            Method::Put => {
                let Some(claimed) = target.param("digest") else {
                    return digest_invalid(json!("digest missing"));
                };
                let Ok(digest) = Digest::parse(claimed) else {
                    return digest_invalid(json!(claimed));
                };
                if let Err(response) = self.append_chunk(id, request, now) {
                    return response;
                }
                let data = self
                    .uploads
                    .remove(id)
                    .map(|upload| upload.data)
                    .unwrap_or_default();
                self.commit_blob(name, &digest, Bytes::from(data))
            }
            _ => ApiError::new(ErrorCode::Unsupported).into_response(),
        }
    }

    /// Appends a request body to an upload, checking `Content-Range` when present: it
    /// must start where the upload ends and span exactly the body. A chunk over a cap
    /// (`uploads.rs`) is refused and leaves the upload as it was.
    fn append_chunk(&mut self, id: &str, request: &Request, now: SimTime) -> Result<(), Response> {
        let Some(upload) = self.uploads.get(id) else {
            return Err(ApiError::new(ErrorCode::BlobUploadUnknown).into_response());
        };
        if let Some(range) = request.headers.get("content-range") {
            let range = range.trim();
            let range = range.strip_prefix("bytes ").unwrap_or(range).trim();
            let parsed = range.split_once('-').and_then(|(start, end)| {
                Some((
                    start.trim().parse::<u64>().ok()?,
                    end.trim().parse::<u64>().ok()?,
                ))
            });
            let size = upload.data.len() as u64;
            let fits = parsed.is_some_and(|(start, end)| {
                start == size && end >= start && end - start + 1 == request.body.len() as u64
            });
            if !fits {
                let mut response = ApiError::new(ErrorCode::RangeInvalid)
                    .detail(json!({"Content-Range": range, "uploaded": size}))
                    .into_response();
                response
                    .headers
                    .append("Range", format!("0-{}", size.saturating_sub(1)));
                return Err(response);
            }
        }
        self.uploads.append(id, &request.body, now)
    }

    /// The 202/204 answer describing an open upload.
    fn upload_status(&self, name: &str, id: &str, status: u16) -> Response {
        let size = self.uploads.get(id).map_or(0, |upload| upload.data.len());
        let mut response = empty_response(status);
        response
            .headers
            .append("Location", format!("/v2/{name}/blobs/uploads/{id}"));
        response
            .headers
            .append("Range", format!("0-{}", size.saturating_sub(1)));
        response.headers.append("Docker-Upload-UUID", id);
        response
    }

    /// Stores an uploaded blob after checking its digest.
    fn commit_blob(&mut self, name: &str, claimed: &Digest, data: Bytes) -> Response {
        let actual = digest_like(claimed, &data);
        if &actual != claimed {
            return digest_invalid(
                json!({"expected": claimed.to_string(), "actual": actual.to_string()}),
            );
        }
        let canonical = if claimed.algorithm() == DigestAlgorithm::Sha256 {
            claimed.clone()
        } else {
            Digest::sha256_of(&data)
        };
        self.store.put(canonical.clone(), data, None);
        self.store.alias(claimed.clone(), canonical.clone());
        self.store.repository_mut(name).blobs.insert(canonical);
        blob_created(name, claimed)
    }

    /// `PUT /v2/<name>/manifests/<reference>` with distribution's checks, in its order:
    /// size, media type and JSON, digest, referenced content.
    pub(crate) fn put_manifest(
        &mut self,
        name: &str,
        reference: &str,
        request: &Request,
        now: SimTime,
    ) -> Response {
        let body = &request.body;
        if body.len() > MANIFEST_MAX_BYTES {
            return ApiError::new(ErrorCode::ManifestInvalid)
                .detail(json!("http: request body too large"))
                .into_response();
        }
        let content_type = request.headers.get("content-type").unwrap_or_default();
        let Some(kind) = bare_media_type(content_type)
            .as_deref()
            .and_then(ManifestKind::from_media_type)
        else {
            return manifest_invalid(format!("unsupported manifest media type {content_type:?}"));
        };
        match self.store_manifest(name, reference, kind, body, now) {
            Ok(canonical) => created(format!("/v2/{name}/manifests/{canonical}"), &canonical),
            Err(response) => response,
        }
    }

    /// Stores a manifest of the caller's own (`repository`, optionally tagged) with every
    /// check a push makes except the 4 MiB cap: distribution refuses larger pushes, yet a
    /// registry may still hold one (another implementation took it, or a mirror copied it),
    /// and pullers must cope. Returns its digest.
    pub fn install_manifest(
        &mut self,
        repository: &str,
        tag: Option<&str>,
        kind: ManifestKind,
        body: Bytes,
        now: SimTime,
    ) -> Result<Digest, RegistryError> {
        crate::api::names::check_repository(repository)?;
        self.forget_answers();
        let reference = match tag {
            Some(tag) => {
                crate::api::names::check_tag(tag)?;
                tag.to_owned()
            }
            None => Digest::sha256_of(&body).to_string(),
        };
        self.store_manifest(repository, &reference, kind, &body, now)
            .map_err(|response| {
                // The envelope's message and detail say why, as a push would be told.
                let envelope =
                    serde_json::from_slice::<serde_json::Value>(&response.body).unwrap_or_default();
                let error = &envelope["errors"][0];
                let message = error["message"].as_str().unwrap_or("refused");
                let reason = match &error["detail"] {
                    serde_json::Value::String(detail) => format!("{message}: {detail}"),
                    serde_json::Value::Null => message.to_owned(),
                    detail => format!("{message}: {detail}"),
                };
                RegistryError::ManifestRefused(reason)
            })
    }

    /// The checks and storing shared by a push and [`Registry::install_manifest`], in
    /// distribution's order after the size cap: JSON and media type, digest, referenced
    /// content. The error is the answer a push gets.
    fn store_manifest(
        &mut self,
        name: &str,
        reference: &str,
        kind: ManifestKind,
        body: &Bytes,
        now: SimTime,
    ) -> Result<Digest, Response> {
        let (declared, references, schema_version) = match parse_manifest(kind, body) {
            Ok(parsed) => parsed,
            Err(message) => return Err(manifest_invalid(message)),
        };
        if schema_version != 2 {
            return Err(manifest_invalid(format!(
                "unrecognized manifest schema version {schema_version}"
            )));
        }
        if let Some(declared) = declared.filter(|declared| declared != kind.media_type()) {
            return Err(manifest_invalid(format!(
                "mediaType in manifest should be '{}' not '{declared}'",
                kind.media_type()
            )));
        }
        let tag = if reference.contains(':') {
            let Ok(claimed) = Digest::parse(reference) else {
                return Err(digest_invalid(json!(reference)));
            };
            if digest_like(&claimed, body) != claimed {
                return Err(ApiError::new(ErrorCode::DigestInvalid).into_response());
            }
            None
        } else {
            if !crate::api::names::is_tag(reference) {
                return Err(ApiError::new(ErrorCode::TagInvalid)
                    .detail(json!({"Tag": reference}))
                    .into_response());
            }
            Some(reference)
        };
        let canonical = Digest::sha256_of(body);
        for referenced in references {
            let resolved = self.store.resolve(&referenced);
            let repository = self.store.repository(name);
            let present = resolved.is_some_and(|c| {
                repository.is_some_and(|repository| {
                    if kind.is_index() {
                        repository.manifests.contains(&c)
                    } else {
                        repository.blobs.contains(&c)
                    }
                })
            });
            if !present {
                return Err(ApiError::new(ErrorCode::ManifestBlobUnknown)
                    .detail(json!(referenced.to_string()))
                    .into_response());
            }
        }
        let facts = manifest_facts(kind, body);
        self.store.put(canonical.clone(), body.clone(), Some(facts));
        if reference.contains(':')
            && let Ok(claimed) = Digest::parse(reference)
        {
            self.store.alias(claimed, canonical.clone());
        }
        let repository = self.store.repository_mut(name);
        repository.manifests.insert(canonical.clone());
        if let Some(tag) = tag {
            repository
                .tags
                .entry(tag.to_owned())
                .or_default()
                .point(canonical.clone(), now);
        }
        Ok(canonical)
    }
}

/// 201 for a stored blob.
fn blob_created(name: &str, digest: &Digest) -> Response {
    created(format!("/v2/{name}/blobs/{digest}"), digest)
}

/// 201 for stored content: where it is now, and its digest.
fn created(location: String, digest: &Digest) -> Response {
    let mut response = empty_response(201);
    response.headers.append("Location", location);
    response
        .headers
        .append("Docker-Content-Digest", digest.to_string());
    response
}

fn manifest_invalid(detail: String) -> Response {
    ApiError::new(ErrorCode::ManifestInvalid)
        .detail(json!(detail))
        .into_response()
}

/// Parses a manifest body as its kind: the `mediaType` it declares, the digests it
/// references (config and layers without `urls`, or an index's children) and its
/// schema version.
fn parse_manifest(
    kind: ManifestKind,
    body: &[u8],
) -> Result<(Option<String>, Vec<Digest>, u32), String> {
    let to_digest =
        |text: String| Digest::parse(&text).map_err(|error| format!("{error}: {text:?}"));
    if kind.is_index() {
        let index: ImageIndex = serde_json::from_slice(body).map_err(|error| error.to_string())?;
        let references = index
            .manifests()
            .iter()
            .map(|child| to_digest(child.digest().to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let declared = index.media_type().as_ref().map(ToString::to_string);
        Ok((declared, references, index.schema_version()))
    } else {
        let manifest: ImageManifest =
            serde_json::from_slice(body).map_err(|error| error.to_string())?;
        let mut references = vec![to_digest(manifest.config().digest().to_string())?];
        for layer in manifest.layers() {
            if layer.urls().as_ref().is_some_and(|urls| !urls.is_empty()) {
                continue;
            }
            references.push(to_digest(layer.digest().to_string())?);
        }
        let declared = manifest.media_type().as_ref().map(ToString::to_string);
        Ok((declared, references, manifest.schema_version()))
    }
}

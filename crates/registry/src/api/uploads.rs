//! Open blob uploads: their bytes, the last time a client touched them, idle expiry and
//! caps on what they may hold, so a test server that clients abandon uploads on does not
//! keep their bytes for good.
//!
//! distribution purges uploads older than a week, every day (`storage.maintenance.
//! uploadpurging`: `age: 168h`, `interval: 24h`) and caps nothing but manifests. A test
//! server lives minutes, not weeks, and keeps uploads in memory, so the defaults here are
//! an idle time of ten minutes (longer than any client waits between two chunks), at most
//! 1 GiB per upload and 2 GiB in all open uploads. A chunk over a cap is refused with
//! `413` and the code `SIZE_INVALID` (distribution's code for an upload whose length is
//! not acceptable; distribution itself answers it with 400 as it never caps, 413 is HTTP's
//! "content too large") and leaves the upload as it was, so the client may finish it
//! elsewhere or cancel it. Expiry follows the registry's clock: the time each request
//! arrives with (`SimTime`), never the wall clock.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::SimTime;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::errcode::{ApiError, ErrorCode};
use crate::api::protocol::Response;
use crate::registry::Registry;

/// How long an upload may sit untouched before it is forgotten, unless configured.
pub const DEFAULT_UPLOAD_IDLE: Duration = Duration::from_secs(10 * 60);

/// The most bytes one open upload may hold, unless configured.
pub const DEFAULT_UPLOAD_MAX_BYTES: u64 = 1 << 30;

/// The most bytes all open uploads together may hold, unless configured.
pub const DEFAULT_UPLOADS_TOTAL_MAX_BYTES: u64 = 2 << 30;

/// The limits on open uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadLimits {
    /// An upload no request touched for this long is forgotten (its id then answers
    /// `BLOB_UPLOAD_UNKNOWN`).
    #[serde(with = "pullsim_model::units::duration_text")]
    pub idle: Duration,
    /// The most bytes one upload may hold.
    pub max_bytes: u64,
    /// The most bytes all open uploads may hold together.
    pub total_max_bytes: u64,
}

impl Default for UploadLimits {
    fn default() -> UploadLimits {
        UploadLimits {
            idle: DEFAULT_UPLOAD_IDLE,
            max_bytes: DEFAULT_UPLOAD_MAX_BYTES,
            total_max_bytes: DEFAULT_UPLOADS_TOTAL_MAX_BYTES,
        }
    }
}

/// An open upload.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub(crate) repository: String,
    pub(crate) data: Vec<u8>,
    /// When a request last started, appended to or asked about it.
    touched: SimTime,
}

/// Open uploads by id, the bytes they hold, and their limits.
#[derive(Debug, Clone, Default)]
pub(crate) struct Uploads {
    started: u64,
    open: BTreeMap<String, Upload>,
    /// The bytes of every open upload together.
    open_bytes: u64,
    limits: UploadLimits,
    /// No upload can expire before this (a lower bound: touches only move deadlines on).
    next_deadline: Option<SimTime>,
    /// Uploads forgotten because they sat idle, since the registry was made.
    expired: u64,
}

impl Uploads {
    /// Opens an upload for `repository` at `now` and answers its id (a counter formatted
    /// as a UUID, so runs are reproducible).
    pub(crate) fn start(&mut self, repository: &str, now: SimTime) -> String {
        self.started += 1;
        let id = format!("70756c6c-0000-4000-8000-{:012x}", self.started);
        self.open.insert(
            id.clone(),
            Upload {
                repository: repository.to_owned(),
                data: Vec::new(),
                touched: now,
            },
        );
        self.next_deadline.get_or_insert(now + self.limits.idle);
        id
    }

    /// The upload `id`, when it is open.
    pub(crate) fn get(&self, id: &str) -> Option<&Upload> {
        self.open.get(id)
    }

    /// Marks `id` as used at `now`, so it does not expire.
    pub(crate) fn touch(&mut self, id: &str, now: SimTime) {
        if let Some(upload) = self.open.get_mut(id) {
            upload.touched = upload.touched.max(now);
        }
    }

    /// Appends `bytes` to upload `id`, unless that would take it or all open uploads over
    /// their cap: then the upload is left as it was and the answer is the refusal.
    pub(crate) fn append(&mut self, id: &str, bytes: &[u8], now: SimTime) -> Result<(), Response> {
        let limits = self.limits;
        let open_bytes = self.open_bytes;
        let Some(upload) = self.open.get_mut(id) else {
            return Err(ApiError::new(ErrorCode::BlobUploadUnknown).into_response());
        };
        let adding = bytes.len() as u64;
        let size = upload.data.len() as u64;
        if size.saturating_add(adding) > limits.max_bytes {
            return Err(too_large(
                "the upload would exceed the registry's cap on one upload",
                limits.max_bytes,
                size,
                adding,
            ));
        }
        if open_bytes.saturating_add(adding) > limits.total_max_bytes {
            return Err(too_large(
                "open uploads would exceed the registry's cap on all open uploads",
                limits.total_max_bytes,
                open_bytes,
                adding,
            ));
        }
        upload.data.extend_from_slice(bytes);
        upload.touched = upload.touched.max(now);
        self.open_bytes += adding;
        Ok(())
    }

    /// Closes upload `id` (finished or cancelled) and hands back what it held.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Upload> {
        let upload = self.open.remove(id)?;
        self.open_bytes -= upload.data.len() as u64;
        Some(upload)
    }

    /// Forgets every upload untouched for longer than the idle limit at `now`. Cheap when
    /// nothing can have expired yet.
    pub(crate) fn expire(&mut self, now: SimTime) {
        if self.next_deadline.is_none_or(|deadline| now < deadline) {
            return;
        }
        let idle = self.limits.idle;
        let stale: Vec<String> = self
            .open
            .iter()
            .filter(|(_, upload)| now.saturating_since(upload.touched) > idle)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &stale {
            self.remove(id);
        }
        self.expired += stale.len() as u64;
        self.next_deadline = self.open.values().map(|upload| upload.touched + idle).min();
        if self.open.is_empty() {
            // Give the memory back, not just the entries.
            self.open = BTreeMap::new();
        }
    }

    /// Forgets every upload (ids keep counting).
    pub(crate) fn clear(&mut self) {
        self.open.clear();
        self.open_bytes = 0;
        self.next_deadline = None;
    }
}

/// The 413 `SIZE_INVALID` answer for a chunk over a cap.
fn too_large(message: &str, cap: u64, held: u64, adding: u64) -> Response {
    ApiError::new(ErrorCode::SizeInvalid)
        .message(message)
        .detail(json!({"limit_bytes": cap, "held_bytes": held, "chunk_bytes": adding}))
        .status(413)
        .into_response()
}

impl Registry {
    /// Sets the limits on open uploads ([`UploadLimits::default`] unless set). Uploads
    /// already open keep their bytes; the new caps apply to their next chunk.
    pub fn set_upload_limits(&mut self, limits: UploadLimits) {
        self.uploads.limits = limits;
        self.uploads.next_deadline = self
            .uploads
            .open
            .values()
            .map(|upload| upload.touched + limits.idle)
            .min();
    }

    /// The limits on open uploads.
    pub fn upload_limits(&self) -> UploadLimits {
        self.uploads.limits
    }

    /// Forgets uploads idle for longer than the limit at `now`. Every request does this
    /// on its own; a server calls it from a timer as well, so abandoned uploads are freed
    /// even when no request comes.
    pub fn expire_uploads(&mut self, now: SimTime) {
        self.uploads.expire(now);
    }

    /// How many uploads are open and the bytes they hold together.
    pub fn open_uploads(&self) -> (usize, u64) {
        (self.uploads.open.len(), self.uploads.open_bytes)
    }

    /// How many uploads were forgotten because they sat idle.
    pub fn expired_uploads(&self) -> u64 {
        self.uploads.expired
    }
}

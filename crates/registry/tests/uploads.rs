//! Open uploads are not kept for good: an upload left idle longer than the limit is
//! forgotten (on the registry's clock), and chunks over the per-upload or total cap are
//! refused with 413 `SIZE_INVALID`, leaving the upload as it was.

use std::time::Duration;

use bytes::Bytes;
use pullsim_model::{Digest, SimTime};
use pullsim_registry::{
    DEFAULT_UPLOAD_IDLE, Method, Registry, RegistryConfig, Request, Response, UploadLimits,
};

fn demo() -> Registry {
    Registry::with_demo_catalog(RegistryConfig::default())
}

fn send(
    registry: &mut Registry,
    method: Method,
    target: &str,
    body: &[u8],
    at: SimTime,
) -> Response {
    let mut request = Request::new(method, target, "t");
    request.body = Bytes::copy_from_slice(body);
    registry.handle(&request, at)
}

/// Starts an upload with `body` and answers its location.
fn start(registry: &mut Registry, body: &[u8], at: SimTime) -> String {
    let answer = send(
        registry,
        Method::Post,
        "/v2/pushed/app/blobs/uploads/",
        body,
        at,
    );
    assert_eq!(
        answer.status,
        202,
        "{:?}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.headers.get("location").unwrap().to_owned()
}

fn code(answer: &Response) -> String {
    let envelope: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    envelope["errors"][0]["code"].as_str().unwrap().to_owned()
}

#[test]
fn idle_uploads_expire_on_the_registry_clock() {
    let mut registry = demo();
    assert_eq!(registry.upload_limits().idle, DEFAULT_UPLOAD_IDLE);
    registry.set_upload_limits(UploadLimits {
        idle: Duration::from_secs(60),
        ..UploadLimits::default()
    });
    let abandoned = start(&mut registry, &[7; 4096], SimTime::EPOCH);
    let kept = start(&mut registry, b"", SimTime::EPOCH);
    // Touching `kept` at 50 s keeps it alive past the first one's deadline.
    let status = send(
        &mut registry,
        Method::Get,
        &kept,
        b"",
        SimTime::from_secs(50),
    );
    assert_eq!(status.status, 204);
    assert_eq!(registry.open_uploads(), (2, 4096));

    registry.expire_uploads(SimTime::from_secs(60));
    assert_eq!(
        registry.open_uploads().0,
        2,
        "not idle for longer than 60 s yet"
    );
    registry.expire_uploads(SimTime::from_secs(61));
    assert_eq!(registry.open_uploads(), (1, 0));
    assert_eq!(registry.expired_uploads(), 1);

    let gone = send(
        &mut registry,
        Method::Patch,
        &abandoned,
        b"more",
        SimTime::from_secs(62),
    );
    assert_eq!(
        (gone.status, code(&gone).as_str()),
        (404, "BLOB_UPLOAD_UNKNOWN")
    );
    // A request on its own expires what is due, without the timer.
    let later = SimTime::from_secs(50 + 61);
    let gone = send(&mut registry, Method::Get, &kept, b"", later);
    assert_eq!(gone.status, 404);
    assert_eq!(registry.open_uploads(), (0, 0));
}

#[test]
fn a_chunk_over_the_per_upload_cap_is_refused_and_changes_nothing() {
    let mut registry = demo();
    registry.set_upload_limits(UploadLimits {
        max_bytes: 1000,
        ..UploadLimits::default()
    });
    let at = SimTime::EPOCH;
    let upload = start(&mut registry, &[1; 600], at);
    let over = send(&mut registry, Method::Patch, &upload, &[2; 401], at);
    assert_eq!((over.status, code(&over).as_str()), (413, "SIZE_INVALID"));
    assert_eq!(registry.open_uploads(), (1, 600));
    let status = send(&mut registry, Method::Get, &upload, b"", at);
    assert_eq!(status.headers.get("range"), Some("0-599"));
    // Exactly at the cap is fine, and the blob commits with the bytes sent.
    let fits = send(&mut registry, Method::Patch, &upload, &[2; 400], at);
    assert_eq!(fits.status, 202);
    let mut whole = vec![1; 600];
    whole.extend([2; 400]);
    let digest = Digest::sha256_of(&whole);
    let put = send(
        &mut registry,
        Method::Put,
        &format!("{upload}?digest={digest}"),
        b"",
        at,
    );
    assert_eq!(put.status, 201);
    assert_eq!(registry.open_uploads(), (0, 0));
    // A first body over the cap opens nothing.
    let answer = send(
        &mut registry,
        Method::Post,
        "/v2/pushed/app/blobs/uploads/",
        &[0; 1001],
        at,
    );
    assert_eq!(
        (answer.status, code(&answer).as_str()),
        (413, "SIZE_INVALID")
    );
    assert_eq!(registry.open_uploads(), (0, 0));
}

#[test]
fn open_uploads_share_a_total_cap() {
    let mut registry = demo();
    registry.set_upload_limits(UploadLimits {
        max_bytes: 1000,
        total_max_bytes: 1500,
        ..UploadLimits::default()
    });
    let at = SimTime::EPOCH;
    let first = start(&mut registry, &[1; 1000], at);
    let second = start(&mut registry, &[1; 500], at);
    let over = send(&mut registry, Method::Patch, &second, &[1; 1], at);
    assert_eq!((over.status, code(&over).as_str()), (413, "SIZE_INVALID"));
    assert_eq!(registry.open_uploads(), (2, 1500));
    // Cancelling one frees its bytes for the other.
    assert_eq!(
        send(&mut registry, Method::Delete, &first, b"", at).status,
        204
    );
    assert_eq!(
        send(&mut registry, Method::Patch, &second, &[1; 500], at).status,
        202
    );
    assert_eq!(registry.open_uploads(), (1, 1000));
}

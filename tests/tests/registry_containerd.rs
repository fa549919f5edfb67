//! containerd against the fake registry: a daemon of the test's own (state in a temporary
//! folder, stopped by its pid) pulls with `ctr image pull --plain-http --platform`, and the
//! test checks what landed in containerd's content store and what the request log shows
//! (containerd resolves with `HEAD`, then fetches the chosen child by digest).
//!
//! One daemon serves every case, so the cases share one test function.

use std::time::Duration;

use pullsim_conformance::containerd::Containerd;
use pullsim_conformance::oci_layout;
use pullsim_conformance::server::{RegistryServer, log_lines};
use pullsim_registry::AuthMode;
use serde_json::Value;

const PULL_LIMIT: Duration = Duration::from_secs(60);

/// One pull: the image, the platform, credentials, and the `/hello.txt` text to find.
struct Row {
    image: &'static str,
    platform: &'static str,
    user: Option<&'static str>,
    hello: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        image: "demo/multi:v1",
        platform: "linux/arm64",
        user: None,
        hello: "hello from linux/arm64/v8",
    },
    Row {
        image: "demo/multi-docker:v1",
        platform: "linux/arm/v7",
        user: None,
        hello: "hello from linux/arm/v7",
    },
    Row {
        image: "private/app:v1",
        platform: "linux/amd64",
        user: Some("alice:wonderland"),
        hello: "hello from linux/amd64",
    },
];

#[test]
fn containerd_pulls_the_requested_platform() -> anyhow::Result<()> {
    let containerd = Containerd::start()?;
    // Token mode, so containerd's own token flow (POST /token with the password grant)
    // is exercised by the private image.
    let server = RegistryServer::demo(AuthMode::Token)?;
    for row in ROWS {
        check(&containerd, &server, row).map_err(|err| {
            err.context(format!(
                "ctr pull {} --platform {} (containerd pid {}, log:\n{})",
                row.image,
                row.platform,
                containerd.pid(),
                tail(&containerd.log())
            ))
        })?;
    }
    Ok(())
}

fn check(containerd: &Containerd, server: &RegistryServer, row: &Row) -> anyhow::Result<()> {
    let cursor = server.log_cursor();
    let reference = server.image(row.image);
    let mut args = vec!["image", "pull", "--plain-http", "--platform", row.platform];
    if let Some(user) = row.user {
        args.extend(["--user", user]);
    }
    args.push(&reference);
    containerd.ctr(&args, PULL_LIMIT)?.expect_success()?;
    let log = server.log_since(cursor);

    // containerd resolved the tag with HEAD and then fetched the platform's child.
    let (repository, tag) = row.image.split_once(':').unwrap_or((row.image, "latest"));
    anyhow::ensure!(
        log.iter().any(|entry| entry.method == "HEAD"
            && entry.path == format!("/v2/{repository}/manifests/{tag}")
            && entry.status == 200),
        "no successful HEAD of the tag:\n{}",
        log_lines(&log)
    );
    let loaded = server.loaded(row.image)?;
    let child = server.child_for(row.image, row.hello)?.to_string();
    anyhow::ensure!(
        log.iter().any(|entry| entry.method == "GET"
            && entry.path == format!("/v2/{repository}/manifests/{child}")
            && entry.status == 200)
            || loaded.digest.to_string() == child,
        "containerd never fetched the child manifest {child}:\n{}",
        log_lines(&log)
    );
    if let Some(user) = row.user.and_then(|u| u.split(':').next()) {
        anyhow::ensure!(
            log.iter().any(|entry| entry.path.starts_with("/v2/")
                && entry.status == 200
                && entry.auth_user.as_deref() == Some(user)),
            "no request served to {user}:\n{}",
            log_lines(&log)
        );
    }

    // The image is listed under the tag's digest, and the content store holds the
    // platform's manifest and a layer whose /hello.txt names the platform.
    let listed = containerd
        .ctr(&["image", "ls"], PULL_LIMIT)?
        .expect_success()?;
    let listed_line = listed
        .stdout
        .lines()
        .find(|line| line.starts_with(&reference))
        .ok_or_else(|| anyhow::anyhow!("{reference} not in ctr image ls:\n{}", listed.stdout))?;
    anyhow::ensure!(
        listed_line.contains(&loaded.digest.to_string()),
        "ctr lists {listed_line:?}, want digest {}",
        loaded.digest
    );
    let manifest: Value = serde_json::from_slice(&content_bytes(containerd, &child)?)?;
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("child manifest without layers: {manifest}"))?;
    let layer_bytes = content_bytes(containerd, layer)?;
    let hello = oci_layout::file_in_layer(&layer_bytes, "hello.txt")?
        .ok_or_else(|| anyhow::anyhow!("layer {layer} has no /hello.txt"))?;
    anyhow::ensure!(
        hello.starts_with(row.hello),
        "/hello.txt says {hello:?}, want {:?}",
        row.hello
    );
    Ok(())
}

/// A blob from containerd's content store, read from its blob file (binary data would not
/// survive standard output as text).
fn content_bytes(containerd: &Containerd, digest: &str) -> anyhow::Result<Vec<u8>> {
    let (algorithm, encoded) = digest
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("bad digest {digest}"))?;
    let path = containerd
        .folder()
        .join("root/io.containerd.content.v1.content/blobs")
        .join(algorithm)
        .join(encoded);
    std::fs::read(&path).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

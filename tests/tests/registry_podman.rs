//! podman against the fake registry: private storage (vfs driver, `--root`/`--runroot` in
//! a temporary folder) pulling `demo/multi:v1` for arm64, and a private image with
//! credentials over the token flow.

use pullsim_conformance::containers_image::Podman;
use pullsim_conformance::server::{RegistryServer, log_lines};
use pullsim_registry::AuthMode;
use serde_json::Value;

/// One pull: the image, podman's flags, the architecture the stored image must have, and
/// the user the log must show (when credentials are given).
struct Row {
    image: &'static str,
    flags: &'static [&'static str],
    architecture: &'static str,
    user: Option<&'static str>,
}

const ROWS: &[Row] = &[
    Row {
        image: "demo/multi:v1",
        flags: &["--arch", "arm64"],
        architecture: "arm64",
        user: None,
    },
    Row {
        image: "demo/multi-docker:v1",
        flags: &["--arch", "arm", "--variant", "v7"],
        architecture: "arm",
        user: None,
    },
    Row {
        image: "private/app:v1",
        flags: &["--creds", "alice:wonderland"],
        architecture: "amd64",
        user: Some("alice"),
    },
];

#[test]
fn podman_pulls_the_requested_architecture() -> anyhow::Result<()> {
    let server = RegistryServer::demo(AuthMode::Token)?;
    let podman = Podman::new()?;
    for row in ROWS {
        check(&server, &podman, row)
            .map_err(|err| err.context(format!("podman pull {} {:?}", row.image, row.flags)))?;
    }
    Ok(())
}

fn check(server: &RegistryServer, podman: &Podman, row: &Row) -> anyhow::Result<()> {
    let cursor = server.log_cursor();
    let reference = server.image(row.image);
    let pulled = podman.pull(&reference, row.flags)?.expect_success()?;
    let image_id = pulled
        .stdout
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    anyhow::ensure!(
        !image_id.is_empty(),
        "podman printed no image id:\n{pulled}"
    );
    let log = server.log_since(cursor);

    let inspected = podman
        .run(&["image", "inspect", &image_id])?
        .expect_success()?;
    let inspect: Value = serde_json::from_str(&inspected.stdout)?;
    let architecture = inspect[0]["Architecture"].as_str().unwrap_or_default();
    anyhow::ensure!(
        architecture == row.architecture,
        "the stored image is for {architecture:?}, want {:?}:\n{}",
        row.architecture,
        inspected.stdout
    );

    // The manifest podman stored is the one the registry serves for that platform.
    let digest = inspect[0]["Digest"].as_str().unwrap_or_default().to_owned();
    let (repository, _) = row.image.split_once(':').unwrap_or((row.image, "latest"));
    anyhow::ensure!(
        log.iter().any(|entry| entry.method == "GET"
            && entry.status == 200
            && entry.path == format!("/v2/{repository}/manifests/{digest}"))
            || log.iter().any(|entry| entry.status == 200
                && entry
                    .digest
                    .as_ref()
                    .is_some_and(|d| d.to_string() == digest)),
        "podman stored {digest}, which the log never served:\n{}",
        log_lines(&log)
    );
    if let Some(user) = row.user {
        anyhow::ensure!(
            log.iter().any(
                |entry| entry.path.starts_with(&format!("/v2/{repository}/"))
                    && entry.status == 200
                    && entry.auth_user.as_deref() == Some(user)
            ),
            "nothing was served to {user}:\n{}",
            log_lines(&log)
        );
    }
    Ok(())
}

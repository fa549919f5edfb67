//! Accounts and access rules, observed by skopeo: with Basic challenges and with the
//! Docker token flow, anonymous and wrong-password pulls of `private/app:v1` fail, alice's
//! succeeds, alice cannot read `tenant-b/app:v1`, and the log names who did what.

use pullsim_conformance::containers_image::Skopeo;
use pullsim_conformance::server::{RegistryServer, log_lines};
use pullsim_registry::AuthMode;

/// One pull attempt: who, what, and whether it may succeed.
struct Row {
    image: &'static str,
    creds: Option<&'static str>,
    allowed: bool,
}

const ROWS: &[Row] = &[
    Row {
        image: "demo/hello:v1",
        creds: None,
        allowed: true,
    },
    Row {
        image: "private/app:v1",
        creds: None,
        allowed: false,
    },
    Row {
        image: "private/app:v1",
        creds: Some("alice:looking-glass"),
        allowed: false,
    },
    Row {
        image: "private/app:v1",
        creds: Some("alice:wonderland"),
        allowed: true,
    },
    Row {
        image: "tenant-b/app:v1",
        creds: Some("alice:wonderland"),
        allowed: false,
    },
    Row {
        image: "tenant-b/app:v1",
        creds: Some("bob:builder"),
        allowed: true,
    },
    Row {
        image: "private/app:v1",
        creds: Some("bob:builder"),
        allowed: false,
    },
];

#[test]
fn basic_auth_keeps_each_tenant_to_its_own_repositories() -> anyhow::Result<()> {
    check_mode(AuthMode::Basic)
}

#[test]
fn token_auth_keeps_each_tenant_to_its_own_repositories() -> anyhow::Result<()> {
    check_mode(AuthMode::Token)
}

fn check_mode(mode: AuthMode) -> anyhow::Result<()> {
    let server = RegistryServer::demo(mode)?;
    let skopeo = Skopeo::new()?;
    for (number, row) in ROWS.iter().enumerate() {
        check(&server, &skopeo, mode, number, row).map_err(|err| {
            err.context(format!(
                "{mode:?} auth, {} as {}",
                row.image,
                row.creds.unwrap_or("anonymous")
            ))
        })?;
    }
    Ok(())
}

fn check(
    server: &RegistryServer,
    skopeo: &Skopeo,
    mode: AuthMode,
    number: usize,
    row: &Row,
) -> anyhow::Result<()> {
    let cursor = server.log_cursor();
    let creds: Vec<String> = row
        .creds
        .map(|creds| vec![format!("--src-creds={creds}")])
        .unwrap_or_default();
    let creds: Vec<&str> = creds.iter().map(String::as_str).collect();
    let (outcome, _) = skopeo.pull(
        &server.image(row.image),
        &format!("auth-{number}"),
        &[],
        &creds,
    )?;
    let log = server.log_since(cursor);
    let repository = row.image.split(':').next().unwrap_or(row.image);
    let manifest_path = format!("/v2/{repository}/manifests/v1");
    let manifest_answers: Vec<u16> = log
        .iter()
        .filter(|entry| entry.path == manifest_path)
        .map(|entry| entry.status)
        .collect();
    if row.allowed {
        outcome.expect_success()?;
        let user = row.creds.and_then(|c| c.split(':').next());
        let served = log
            .iter()
            .find(|entry| entry.path == manifest_path && entry.status == 200)
            .ok_or_else(|| anyhow::anyhow!("no 200 for {manifest_path}:\n{}", log_lines(&log)))?;
        anyhow::ensure!(
            served.auth_user.as_deref() == user,
            "the log says the manifest went to {:?}, want {user:?}",
            served.auth_user
        );
        if let (AuthMode::Token, Some(_)) = (mode, user) {
            anyhow::ensure!(
                served.auth_scheme.as_deref() == Some("bearer"),
                "token mode, but the manifest was fetched with {:?}",
                served.auth_scheme
            );
        }
    } else {
        anyhow::ensure!(
            !outcome.success(),
            "the pull should have been refused:\n{outcome}"
        );
        anyhow::ensure!(
            !manifest_answers.contains(&200),
            "a refused pull still got the manifest:\n{}",
            log_lines(&log)
        );
        // The refusal comes on the manifest, or (token mode, wrong password) already at
        // the token endpoint, after which the client never asks for the manifest.
        let refused = log.iter().any(|entry| {
            (entry.path == manifest_path || entry.path.starts_with("/token"))
                && (entry.status == 401 || entry.status == 403)
        });
        anyhow::ensure!(
            refused,
            "no 401 or 403 for {manifest_path} or the token endpoint:\n{}",
            log_lines(&log)
        );
        let text = outcome.stderr.to_lowercase();
        anyhow::ensure!(
            [
                "unauthorized",
                "denied",
                "authentication required",
                "invalid username/password"
            ]
            .iter()
            .any(|needle| text.contains(needle)),
            "skopeo's error does not say it was refused:\n{outcome}"
        );
    }
    Ok(())
}

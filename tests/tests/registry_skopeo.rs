//! skopeo against the fake registry over real HTTP: it pulls every platform of the demo
//! images and unpacks the right `/hello.txt`, and it pushes an image of its own and pulls
//! it back with the same digest.

use pullsim_conformance::containers_image::Skopeo;
use pullsim_conformance::oci_layout;
use pullsim_conformance::server::{RegistryServer, log_lines};
use pullsim_registry::AuthMode;

/// One pull: an image, the platform skopeo is told to pick, and the text `/hello.txt`
/// must start with.
struct PullRow {
    image: &'static str,
    platform: &'static [&'static str],
    hello: &'static str,
}

const PULLS: &[PullRow] = &[
    PullRow {
        image: "demo/hello:v1",
        platform: &["--override-arch", "amd64"],
        hello: "hello from linux/amd64",
    },
    PullRow {
        image: "demo/multi:v1",
        platform: &["--override-arch", "amd64"],
        hello: "hello from linux/amd64",
    },
    PullRow {
        image: "demo/multi:v1",
        platform: &["--override-arch", "arm64"],
        hello: "hello from linux/arm64/v8",
    },
    PullRow {
        image: "demo/multi:v1",
        platform: &["--override-arch", "arm", "--override-variant", "v7"],
        hello: "hello from linux/arm/v7",
    },
    PullRow {
        image: "demo/multi-docker:v1",
        platform: &["--override-arch", "amd64"],
        hello: "hello from linux/amd64",
    },
    PullRow {
        image: "demo/multi-docker:v1",
        platform: &["--override-arch", "arm64"],
        hello: "hello from linux/arm64/v8",
    },
    PullRow {
        image: "demo/multi-docker:v1",
        platform: &["--override-arch", "arm", "--override-variant", "v7"],
        hello: "hello from linux/arm/v7",
    },
];

/// skopeo picks the requested platform's child (the log shows that child's manifest
/// fetched by digest) and the unpacked `/hello.txt` names that platform.
#[test]
fn skopeo_pulls_every_platform_of_the_demo_images() -> anyhow::Result<()> {
    let server = RegistryServer::demo(AuthMode::Basic)?;
    let skopeo = Skopeo::new()?;
    for (number, row) in PULLS.iter().enumerate() {
        check_pull(&server, &skopeo, number, row)?;
    }
    Ok(())
}

fn check_pull(
    server: &RegistryServer,
    skopeo: &Skopeo,
    number: usize,
    row: &PullRow,
) -> anyhow::Result<()> {
    let cursor = server.log_cursor();
    let (outcome, layout) = skopeo.pull(
        &server.image(row.image),
        &format!("pull-{number}"),
        row.platform,
        &[],
    )?;
    outcome.expect_success()?;
    let hello = oci_layout::hello_text(&layout, "v1")?;
    anyhow::ensure!(
        hello.starts_with(row.hello),
        "{} with {:?}: /hello.txt says {hello:?}, want it to start with {:?}",
        row.image,
        row.platform,
        row.hello
    );
    // The image manifest skopeo chose must be the platform's child in the registry.
    let repository = row.image.split(':').next().unwrap_or(row.image);
    let child = server.child_for(row.image, row.hello)?;
    // Served either by digest (a child of an index) or as the tag's own target.
    let log = server.log_since(cursor);
    anyhow::ensure!(
        log.iter().any(|entry| entry.method == "GET"
            && entry.status == 200
            && entry
                .path
                .starts_with(&format!("/v2/{repository}/manifests/"))
            && entry.digest.as_ref() == Some(&child)),
        "{} with {:?}: the log never served the child manifest {child}:\n{}",
        row.image,
        row.platform,
        log_lines(&log)
    );
    Ok(())
}

/// skopeo pushes an image of the test's own (every blob uploaded for real), then pulls it
/// back: the same manifest digest, and the same `/hello.txt`.
#[test]
fn skopeo_pushes_an_image_and_pulls_it_back_unchanged() -> anyhow::Result<()> {
    let server = RegistryServer::demo(AuthMode::Basic)?;
    let skopeo = Skopeo::new()?;
    let source = skopeo.folder("source");
    let text = "hello from a pushed image\n";
    let digest = oci_layout::write_image(&source, "v1", text)?;

    let cursor = server.log_cursor();
    let destination = format!("docker://{}", server.image("pushed/hello:v1"));
    skopeo
        .run(
            &[],
            &[
                "copy",
                "--dest-tls-verify=false",
                &format!("oci:{}:v1", source.display()),
                &destination,
            ],
        )?
        .expect_success()?;
    let log = server.log_since(cursor);
    for (method, what) in [
        ("POST", "an upload"),
        ("PUT", "an upload's end or the manifest"),
    ] {
        anyhow::ensure!(
            log.iter()
                .any(|entry| entry.method == method && entry.status / 100 == 2),
            "the push made no successful {method} ({what}):\n{}",
            log_lines(&log)
        );
    }

    let (outcome, layout) = skopeo.pull(&server.image("pushed/hello:v1"), "back", &[], &[])?;
    outcome.expect_success()?;
    let pulled = oci_layout::manifest_digest(&layout, "v1")?;
    anyhow::ensure!(pulled == digest, "pushed {digest}, pulled back {pulled}");
    anyhow::ensure!(oci_layout::hello_text(&layout, "v1")? == text);

    // By digest too: the registry addresses the pushed manifest by the digest skopeo computed.
    let by_digest = server.image(&format!("pushed/hello@{digest}"));
    let (outcome, _) = skopeo.pull(&by_digest, "by-digest", &[], &[])?;
    outcome.expect_success()?;
    Ok(())
}

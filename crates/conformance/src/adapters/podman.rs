//! podman: `podman pull` with private vfs storage (`--root`/`--runroot` in the case's
//! folder), its own policy and registries.conf, the platform given by
//! `--os/--arch/--variant` and credentials by `--creds`. What it stored: the images
//! `podman images` lists (manifest digest, config as the image id), and the layers of
//! containers/storage's `layers.json` (compressed and uncompressed digests). podman keeps
//! no compressed bytes, so nothing can be re-hashed.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pullsim_model::Digest;
use serde_json::Value;
use tempfile::TempDir;

use crate::containers_image::Sandbox;
use crate::programs::{self, Outcome};
use crate::puller::{PullJob, Puller, Stored};

/// The time limit of the adapter's own podman calls (listing images).
const LIST_LIMIT: Duration = Duration::from_secs(30);

/// The podman adapter.
#[derive(Debug)]
pub struct Podman {
    program: PathBuf,
    version: Option<String>,
    /// Each case's run root, by case: podman wants it under 50 characters, which a folder
    /// inside the case's folder is not, so each is a short temporary folder of its own.
    runroots: Mutex<BTreeMap<String, TempDir>>,
}

impl Podman {
    /// Finds podman on `PATH`.
    ///
    /// # Errors
    ///
    /// When it is not installed (the message says how to install it).
    pub fn find() -> anyhow::Result<Podman> {
        let program = programs::require("podman")?;
        let version = programs::run(
            Command::new(&program).arg("--version"),
            Duration::from_secs(10),
        )
        .ok()
        .and_then(|outcome| super::version_word(&outcome.stdout));
        Ok(Podman {
            program,
            version,
            runroots: Mutex::new(BTreeMap::new()),
        })
    }

    /// `podman <private storage> ARGS...` for the case of `job`.
    fn command(&self, job: &PullJob) -> anyhow::Result<(Command, Sandbox)> {
        let sandbox = Sandbox::at(&job.folder.join("podman"))?;
        let runroot = {
            let mut runroots = self.runroots.lock().unwrap_or_else(PoisonError::into_inner);
            match runroots.entry(job.store.clone()) {
                Entry::Occupied(entry) => entry.get().path().to_path_buf(),
                Entry::Vacant(entry) => {
                    let folder = tempfile::Builder::new().prefix("psr").tempdir()?;
                    entry.insert(folder).path().to_path_buf()
                }
            }
        };
        let mut command = Command::new(&self.program);
        sandbox.apply(&mut command);
        command.args(sandbox.podman_storage_args(&runroot));
        Ok((command, sandbox))
    }
}

impl Puller for Podman {
    fn name(&self) -> &str {
        "podman"
    }

    fn version(&self) -> Option<String> {
        self.version.clone()
    }

    fn pull(&self, job: &PullJob, limit: Duration) -> anyhow::Result<Outcome> {
        let (mut command, sandbox) = self.command(job)?;
        command
            .args(["pull", "--tls-verify=false", "--signature-policy"])
            .arg(sandbox.path("policy.json"))
            .args(["--os", &job.platform.os])
            .args(["--arch", &job.platform.architecture]);
        if !job.platform.variant.is_empty() {
            command.args(["--variant", &job.platform.variant]);
        }
        if let Some(credentials) = &job.credentials {
            command
                .arg("--creds")
                .arg(format!("{}:{}", credentials.username, credentials.password));
        }
        command.arg(job.reference());
        programs::run(&mut command, limit)
    }

    fn stored(&self, job: &PullJob) -> anyhow::Result<Stored> {
        let (mut command, sandbox) = self.command(job)?;
        command.args(["images", "--all", "--format", "json"]);
        let listed = programs::run(&mut command, LIST_LIMIT)?;
        anyhow::ensure!(listed.success(), "podman images failed:\n{listed}");
        let images: Value = serde_json::from_str(listed.stdout.trim())
            .map_err(|err| anyhow::anyhow!("podman images: {err}: {}", listed.stdout))?;
        let mut stored = Stored {
            content_known: true,
            ..Stored::default()
        };
        let reference = job.reference();
        for image in images.as_array().into_iter().flatten() {
            let names = strings(&image["Names"])
                .chain(strings(&image["RepoTags"]))
                .chain(strings(&image["RepoDigests"]));
            let digests =
                std::iter::once(&image["Digest"])
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .chain(strings(&image["RepoDigests"]).filter_map(|name| {
                        name.rsplit_once('@').map(|(_, digest)| digest.to_owned())
                    }))
                    .filter_map(|text| Digest::parse(&text).ok())
                    .collect::<Vec<_>>();
            let named = names.into_iter().any(|name| name == reference);
            for digest in &digests {
                if named && !stored.images.contains(digest) {
                    stored.images.push(digest.clone());
                }
                stored.content.insert(digest.clone(), None);
            }
            if let Some(id) = image["Id"].as_str()
                && let Ok(config) = Digest::parse(&format!("sha256:{id}"))
            {
                stored.content.insert(config, None);
            }
        }
        for digest in layer_digests(&sandbox.path("root").join("vfs-layers/layers.json"))? {
            stored.content.insert(digest, None);
        }
        Ok(stored)
    }
}

/// The strings of a JSON array (nothing for anything else).
fn strings(value: &Value) -> impl Iterator<Item = String> + '_ {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
}

/// Every compressed and uncompressed layer digest containers/storage recorded.
fn layer_digests(path: &Path) -> anyhow::Result<Vec<Digest>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Vec::new());
    };
    let layers: Value =
        serde_json::from_str(&text).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))?;
    Ok(layers
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|layer| [&layer["compressed-diff-digest"], &layer["diff-digest"]])
        .filter_map(Value::as_str)
        .filter_map(|text| Digest::parse(text).ok())
        .collect())
}

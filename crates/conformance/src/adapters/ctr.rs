//! ctr: `ctr image pull --plain-http --platform P [--user U:P] REF` through a containerd
//! daemon the adapter starts in a temporary folder (stopped by its pid when the adapter
//! goes), each case in a containerd namespace of its own. What it stored: the image record
//! (`ctr images ls`) and the namespace's content (`ctr content ls`), whose bytes are read
//! from the daemon's content folder and hashed.

use std::time::Duration;

use anyhow::Context;
use pullsim_model::Digest;

use crate::containerd::Containerd;
use crate::programs::Outcome;
use crate::puller::{PullJob, Puller, Stored};

/// The time limit of the adapter's own `ctr` calls (listing images and content).
const LIST_LIMIT: Duration = Duration::from_secs(20);

/// The ctr adapter with its daemon.
#[derive(Debug)]
pub struct Ctr {
    containerd: Containerd,
    version: Option<String>,
}

impl Ctr {
    /// Starts a containerd daemon of its own.
    ///
    /// # Errors
    ///
    /// When containerd or ctr is missing, or the daemon does not come up.
    pub fn start() -> anyhow::Result<Ctr> {
        let containerd = Containerd::start()?;
        let version = containerd
            .ctr(&["--version"], LIST_LIMIT)
            .ok()
            .and_then(|outcome| super::version_word(&outcome.stdout));
        Ok(Ctr {
            containerd,
            version,
        })
    }

    /// Runs `ctr --namespace <store> ARGS...`: the case's id is its namespace (ids are
    /// lowercase letters, digits and single dashes, which containerd accepts).
    fn ctr(&self, job: &PullJob, args: &[&str], limit: Duration) -> anyhow::Result<Outcome> {
        let mut all = vec!["--namespace", job.store.as_str()];
        all.extend_from_slice(args);
        self.containerd.ctr(&all, limit)
    }
}

impl Puller for Ctr {
    fn name(&self) -> &str {
        "ctr"
    }

    fn version(&self) -> Option<String> {
        self.version.clone()
    }

    fn pull(&self, job: &PullJob, limit: Duration) -> anyhow::Result<Outcome> {
        let platform = job.platform.to_string();
        let reference = job.reference();
        let user = job
            .credentials
            .as_ref()
            .map(|credentials| format!("{}:{}", credentials.username, credentials.password));
        let mut args = vec!["image", "pull", "--plain-http", "--platform", &platform];
        if let Some(user) = &user {
            args.extend(["--user", user]);
        }
        args.push(&reference);
        self.ctr(job, &args, limit)
    }

    fn stored(&self, job: &PullJob) -> anyhow::Result<Stored> {
        let images = self.ctr(job, &["images", "ls"], LIST_LIMIT)?;
        anyhow::ensure!(images.success(), "ctr images ls failed:\n{images}");
        let content = self.ctr(job, &["content", "ls", "--quiet"], LIST_LIMIT)?;
        anyhow::ensure!(content.success(), "ctr content ls failed:\n{content}");
        let reference = job.reference();
        let mut stored = Stored {
            content_known: true,
            ..Stored::default()
        };
        // `REF TYPE DIGEST SIZE PLATFORMS LABELS`, one image a line after the header.
        for line in images.stdout.lines().skip(1) {
            let mut fields = line.split_whitespace();
            if fields.next() == Some(reference.as_str())
                && let Some(digest) = fields.nth(1).and_then(|d| Digest::parse(d).ok())
            {
                stored.images.push(digest);
            }
        }
        for line in content.stdout.lines() {
            let Ok(digest) = Digest::parse(line.trim()) else {
                continue;
            };
            let path = self.containerd.blob_path(&digest);
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                // containerd's garbage collector runs on its own schedule once a pull's
                // lease ends, so content listed a moment ago (a failed pull's blobs) may be
                // gone by now: it is no longer stored.
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => {
                    return Err(err).with_context(|| format!("read {}", path.display()));
                }
            };
            stored
                .content
                .insert(digest, Some(Digest::sha256_of(&bytes)));
        }
        Ok(stored)
    }
}

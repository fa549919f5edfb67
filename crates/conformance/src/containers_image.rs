//! skopeo and podman (both containers/image) set up so that nothing outside a temporary
//! folder is read or changed: their own trust policy, an empty credentials file, no
//! registries.conf of the machine, and (for podman) private storage with the vfs driver.
//!
//! Both are rootful here and pull over plain HTTP from 127.0.0.1 only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use crate::programs::{self, Outcome};

/// A generous limit for one pull of a small image; a warm skopeo copy takes about 30 ms.
pub const PULL_LIMIT: Duration = Duration::from_secs(60);

/// Accept any image: the fake registry signs nothing, and the harness checks digests
/// themselves.
const POLICY: &str = r#"{"default":[{"type":"insecureAcceptAnything"}]}"#;

/// A private configuration folder shared by the containers/image tools: a trust policy
/// that accepts anything, an empty credentials file, a registries.conf without search
/// registries or mirrors, and `HOME`/`XDG_*` pointing inside it.
#[derive(Debug)]
pub struct Sandbox {
    folder: PathBuf,
    /// Set when the sandbox made its own temporary folder, which goes with it.
    _temporary: Option<TempDir>,
}

impl Sandbox {
    fn new(prefix: &str) -> anyhow::Result<Sandbox> {
        let temporary = tempfile::Builder::new().prefix(prefix).tempdir()?;
        let mut sandbox = Sandbox::at(temporary.path())?;
        sandbox._temporary = Some(temporary);
        Ok(sandbox)
    }

    /// A sandbox in `folder` (created if missing), which the caller removes.
    ///
    /// # Errors
    ///
    /// When the files cannot be written.
    pub fn at(folder: &Path) -> anyhow::Result<Sandbox> {
        std::fs::create_dir_all(folder)?;
        std::fs::write(folder.join("policy.json"), POLICY)?;
        std::fs::write(folder.join("auth.json"), "{}")?;
        // No unqualified-search registries and no mirrors: an image name means exactly
        // the server it names.
        std::fs::write(
            folder.join("registries.conf"),
            "unqualified-search-registries = []\n",
        )?;
        Ok(Sandbox {
            folder: folder.to_path_buf(),
            _temporary: None,
        })
    }

    /// A file or folder inside the sandbox.
    pub fn path(&self, name: &str) -> PathBuf {
        self.folder.join(name)
    }

    /// Points containers/image at this folder's files (credentials, registries.conf,
    /// home and runtime folders).
    pub fn apply(&self, command: &mut Command) {
        command
            .env("REGISTRY_AUTH_FILE", self.path("auth.json"))
            .env("CONTAINERS_REGISTRIES_CONF", self.path("registries.conf"))
            .env("HOME", &self.folder)
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .env("XDG_CONFIG_HOME", self.path("config"));
    }

    /// The podman global flags for private storage in this folder: `--root`, `--runroot`
    /// (podman refuses a runroot path over 50 characters, so the caller picks a short
    /// one), the vfs driver, no events journal, cgroupfs.
    pub fn podman_storage_args(&self, runroot: &Path) -> Vec<String> {
        vec![
            "--root".to_owned(),
            self.path("root").display().to_string(),
            "--runroot".to_owned(),
            runroot.display().to_string(),
            "--storage-driver".to_owned(),
            "vfs".to_owned(),
            "--events-backend".to_owned(),
            "none".to_owned(),
            "--cgroup-manager".to_owned(),
            "cgroupfs".to_owned(),
        ]
    }
}

/// skopeo with its own policy and credentials file.
#[derive(Debug)]
pub struct Skopeo {
    program: PathBuf,
    sandbox: Sandbox,
}

impl Skopeo {
    /// Finds skopeo and prepares its folder.
    ///
    /// # Errors
    ///
    /// When skopeo is not installed (the message says how to install it).
    pub fn new() -> anyhow::Result<Skopeo> {
        Ok(Skopeo {
            program: programs::require("skopeo")?,
            sandbox: Sandbox::new("pullsim-skopeo-")?,
        })
    }

    /// Runs `skopeo [GLOBAL...] SUBCOMMAND...` with the private policy; `global` goes
    /// before the subcommand (`--override-arch arm64`).
    ///
    /// # Errors
    ///
    /// When skopeo cannot be started.
    pub fn run(&self, global: &[&str], args: &[&str]) -> anyhow::Result<Outcome> {
        let mut command = Command::new(&self.program);
        self.sandbox.apply(&mut command);
        command
            .arg("--policy")
            .arg(self.sandbox.path("policy.json"))
            .args(global)
            .args(args);
        programs::run(&mut command, PULL_LIMIT)
    }

    /// `skopeo copy docker://IMAGE oci:<folder>/<name>:<tag>` over plain HTTP; returns the
    /// outcome and the layout's folder. `global` goes before `copy`, `copy_args` after it.
    ///
    /// # Errors
    ///
    /// When skopeo cannot be started.
    pub fn pull(
        &self,
        image: &str,
        name: &str,
        global: &[&str],
        copy_args: &[&str],
    ) -> anyhow::Result<(Outcome, PathBuf)> {
        let layout = self.sandbox.path(name);
        let destination = format!("oci:{}:{}", layout.display(), tag_of(image));
        let mut args = vec!["copy", "--src-tls-verify=false"];
        args.extend_from_slice(copy_args);
        let source = format!("docker://{image}");
        args.push(&source);
        args.push(&destination);
        Ok((self.run(global, &args)?, layout))
    }

    /// A folder of this sandbox, for layouts the caller writes itself.
    pub fn folder(&self, name: &str) -> PathBuf {
        self.sandbox.path(name)
    }
}

/// The tag part of `host:port/repo:tag` (`latest` when there is none, `pulled` for an
/// image named by digest): the name the pulled image gets in the OCI layout.
pub fn tag_of(image: &str) -> &str {
    let name = image.rsplit('/').next().unwrap_or(image);
    if name.contains('@') {
        return "pulled";
    }
    name.split_once(':').map_or("latest", |(_, tag)| tag)
}

/// podman with private storage (`--root`, `--runroot`, vfs) and its own policy.
#[derive(Debug)]
pub struct Podman {
    program: PathBuf,
    sandbox: Sandbox,
}

impl Podman {
    /// Finds podman and prepares its folder.
    ///
    /// # Errors
    ///
    /// When podman is not installed (the message says how to install it).
    pub fn new() -> anyhow::Result<Podman> {
        Ok(Podman {
            program: programs::require("podman")?,
            sandbox: Sandbox::new("pullsim-podman-")?,
        })
    }

    /// Runs `podman --root .. --runroot .. --storage-driver vfs ARGS...`.
    ///
    /// # Errors
    ///
    /// When podman cannot be started.
    pub fn run(&self, args: &[&str]) -> anyhow::Result<Outcome> {
        let mut command = Command::new(&self.program);
        self.sandbox.apply(&mut command);
        command
            .args(
                self.sandbox
                    .podman_storage_args(&self.sandbox.path("runroot")),
            )
            .args(args);
        programs::run(&mut command, PULL_LIMIT)
    }

    /// `podman pull --tls-verify=false [ARGS...] IMAGE` with the private policy.
    ///
    /// # Errors
    ///
    /// When podman cannot be started.
    pub fn pull(&self, image: &str, args: &[&str]) -> anyhow::Result<Outcome> {
        let policy = self.sandbox.path("policy.json");
        let policy = policy.to_string_lossy();
        let mut all = vec!["pull", "--tls-verify=false", "--signature-policy", &policy];
        all.extend_from_slice(args);
        all.push(image);
        self.run(&all)
    }

    /// The private storage root.
    pub fn root(&self) -> PathBuf {
        self.sandbox.path("root")
    }
}

//! A containerd daemon of the harness's (or a test's) own: its config, root, state and
//! socket all live in a temporary folder (as REAL-CLIENTS.md shows), the CRI plugin is off,
//! and the daemon is stopped by its process id when the guard is dropped.
//!
//! Starting containerd takes about a second, so a conformance run (or a test binary)
//! starts one and runs its cases through it, each case in a containerd namespace of its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use tempfile::TempDir;

use crate::programs::{self, Guard, Outcome};

/// How long containerd gets to create its socket.
const STARTUP_LIMIT: Duration = Duration::from_secs(20);

/// A running containerd and the folder it keeps everything in.
#[derive(Debug)]
pub struct Containerd {
    // Field order matters: the daemon is stopped before its folder is removed.
    daemon: Guard,
    socket: PathBuf,
    ctr: PathBuf,
    folder: TempDir,
}

impl Containerd {
    /// Starts the daemon and waits for its socket.
    ///
    /// # Errors
    ///
    /// When containerd or ctr is not installed, or the daemon does not come up.
    pub fn start() -> anyhow::Result<Containerd> {
        let containerd = programs::require("containerd")?;
        let ctr = programs::require("ctr")?;
        let folder = tempfile::Builder::new()
            .prefix("pullsim-containerd-")
            .tempdir()?;
        let root = folder.path();
        let socket = root.join("containerd.sock");
        let config = format!(
            "version = 2\n\
             root = \"{root}/root\"\n\
             state = \"{root}/state\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{socket}\"\n\
             [ttrpc]\n  address = \"{root}/containerd.sock.ttrpc\"\n\
             [debug]\n  address = \"{root}/debug.sock\"\n",
            root = root.display(),
            socket = socket.display(),
        );
        let config_path = root.join("config.toml");
        std::fs::write(&config_path, config)?;
        let log = std::fs::File::create(root.join("containerd.log"))?;
        let mut daemon = Guard::spawn(
            Command::new(containerd)
                .arg("--config")
                .arg(&config_path)
                .stdin(std::process::Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log),
        )
        .context("start containerd")?;
        if let Err(err) = programs::wait_for_path(&socket, &mut daemon, STARTUP_LIMIT) {
            let log = std::fs::read_to_string(root.join("containerd.log")).unwrap_or_default();
            return Err(err.context(format!("containerd log:\n{log}")));
        }
        Ok(Containerd {
            daemon,
            socket,
            ctr,
            folder,
        })
    }

    /// Runs `ctr --address <socket> ARGS...` with a time limit.
    ///
    /// # Errors
    ///
    /// When ctr cannot be started.
    pub fn ctr(&self, args: &[&str], limit: Duration) -> anyhow::Result<Outcome> {
        programs::run(
            Command::new(&self.ctr)
                .arg("--address")
                .arg(&self.socket)
                .args(args),
            limit,
        )
    }

    /// Where the daemon keeps the bytes of `digest` (`<root>/io.containerd.content.v1.content/
    /// blobs/<algorithm>/<hex>`); the blob files are shared by every namespace, which list
    /// their own content through `ctr content ls`.
    pub fn blob_path(&self, digest: &pullsim_model::Digest) -> PathBuf {
        self.folder
            .path()
            .join("root/io.containerd.content.v1.content/blobs")
            .join(digest.algorithm().as_str())
            .join(digest.encoded())
    }

    /// The folder holding the daemon's state.
    pub fn folder(&self) -> &Path {
        self.folder.path()
    }

    /// The daemon's own log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("containerd.log")).unwrap_or_default()
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.daemon.id()
    }
}

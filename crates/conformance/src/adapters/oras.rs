//! oras-py: the Python ORAS client (a library, no command line), run through a small
//! driver (`python/oras_driver.py`, embedded here and written to a temporary folder) that
//! pulls with oras-py's own requests and writes what it fetched as an OCI layout. The
//! harness never installs oras-py; when `import oras` fails it says how to.
//!
//! oras-py must be told its auth backend (`token` or `basic`); the adapter names the one
//! the case's registry challenges with, as a user configuring oras-py would.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use pullsim_registry::AuthMode;
use tempfile::TempDir;

use crate::oci_layout;
use crate::programs::{self, Outcome};
use crate::puller::{PullJob, Puller, Stored};

/// The driver's source.
const DRIVER: &str = include_str!("../../python/oras_driver.py");

/// The oras-py version the suite was written against, for the install hint.
const ORAS_VERSION: &str = "0.2.43";

/// The oras-py adapter.
#[derive(Debug)]
pub struct OrasPy {
    python: PathBuf,
    driver: PathBuf,
    version: Option<String>,
    _folder: TempDir,
}

impl OrasPy {
    /// Finds python3 and checks that oras-py imports.
    ///
    /// # Errors
    ///
    /// When python3 is missing or oras-py is not installed (with the pip command).
    pub fn find() -> anyhow::Result<OrasPy> {
        let python = programs::require("python3")?;
        let probe = programs::run(
            Command::new(&python).args(["-c", "import oras; print(oras.__version__)"]),
            Duration::from_secs(30),
        )?;
        if !probe.success() {
            anyhow::bail!(
                "oras-py is not installed (`python3 -c \"import oras\"` fails): install it \
                 with: pip install oras=={ORAS_VERSION}\n{}",
                probe.stderr.trim()
            );
        }
        let folder = tempfile::Builder::new()
            .prefix("pullsim-oras-driver-")
            .tempdir()?;
        let driver = folder.path().join("oras_driver.py");
        std::fs::write(&driver, DRIVER)?;
        Ok(OrasPy {
            python,
            driver,
            version: super::version_word(&probe.stdout),
            _folder: folder,
        })
    }
}

impl Puller for OrasPy {
    fn name(&self) -> &str {
        "oras-py"
    }

    fn version(&self) -> Option<String> {
        self.version.clone()
    }

    fn pull(&self, job: &PullJob, limit: Duration) -> anyhow::Result<Outcome> {
        let reference = match job.tag() {
            "" => job.digest(),
            tag => tag.to_owned(),
        };
        let backend = match job.challenge {
            AuthMode::Basic => "basic",
            AuthMode::Token => "token",
        };
        let mut command = Command::new(&self.python);
        command
            .arg(&self.driver)
            .args(["--registry", &job.registry])
            .args(["--repository", &job.repository])
            .args(["--reference", &reference])
            .args(["--platform", &job.platform.to_string()])
            .args(["--auth-backend", backend])
            .arg("--layout")
            .arg(job.folder.join("layout"))
            .args(["--name", &job.label])
            .current_dir(&job.folder)
            .env("HOME", &job.folder)
            .env_remove("PULLSIM_USERNAME")
            .env_remove("PULLSIM_PASSWORD");
        if let Some(credentials) = &job.credentials {
            command
                .env("PULLSIM_USERNAME", &credentials.username)
                .env("PULLSIM_PASSWORD", &credentials.password);
        }
        programs::run(&mut command, limit)
    }

    fn stored(&self, job: &PullJob) -> anyhow::Result<Stored> {
        oci_layout::stored(&job.folder.join("layout"), &[&job.label], false)
    }
}

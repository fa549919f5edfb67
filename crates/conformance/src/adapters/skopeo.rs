//! skopeo: `skopeo copy docker://REF oci:LAYOUT:LABEL` with the platform given by
//! `--override-os/--override-arch/--override-variant` and credentials by `--src-creds`,
//! its policy and configuration in the case's folder. What it stored is the OCI layout.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::containers_image::Sandbox;
use crate::oci_layout;
use crate::programs::{self, Outcome};
use crate::puller::{PullJob, Puller, Stored};

/// The skopeo adapter.
#[derive(Debug)]
pub struct Skopeo {
    program: PathBuf,
    version: Option<String>,
}

impl Skopeo {
    /// Finds skopeo on `PATH`.
    ///
    /// # Errors
    ///
    /// When it is not installed (the message says how to install it).
    pub fn find() -> anyhow::Result<Skopeo> {
        let program = programs::require("skopeo")?;
        let version = programs::run(
            Command::new(&program).arg("--version"),
            Duration::from_secs(10),
        )
        .ok()
        .and_then(|outcome| super::version_word(&outcome.stdout));
        Ok(Skopeo { program, version })
    }
}

impl Puller for Skopeo {
    fn name(&self) -> &str {
        "skopeo"
    }

    fn version(&self) -> Option<String> {
        self.version.clone()
    }

    fn pull(&self, job: &PullJob, limit: Duration) -> anyhow::Result<Outcome> {
        let sandbox = Sandbox::at(&job.folder.join("skopeo"))?;
        let mut command = Command::new(&self.program);
        sandbox.apply(&mut command);
        command
            .arg("--policy")
            .arg(sandbox.path("policy.json"))
            .args(["--override-os", &job.platform.os])
            .args(["--override-arch", &job.platform.architecture]);
        if !job.platform.variant.is_empty() {
            command.args(["--override-variant", &job.platform.variant]);
        }
        command.args(["copy", "--src-tls-verify=false"]);
        if let Some(credentials) = &job.credentials {
            command
                .arg("--src-creds")
                .arg(format!("{}:{}", credentials.username, credentials.password));
        }
        command
            .arg(format!("docker://{}", job.reference()))
            .arg(format!(
                "oci:{}:{}",
                job.folder.join("layout").display(),
                job.label
            ));
        programs::run(&mut command, limit)
    }

    fn stored(&self, job: &PullJob) -> anyhow::Result<Stored> {
        oci_layout::stored(&job.folder.join("layout"), &[&job.label], false)
    }
}

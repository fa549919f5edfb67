//! The pullers the harness knows by name, each an adapter behind [`Puller`]: how to invoke
//! the program for a reference, a platform, credentials and a store of the case's own,
//! and how to read back what it stored.
//!
//! - [`skopeo`]: `skopeo copy` into an OCI layout.
//! - [`ctr`]: `ctr image pull` through a containerd daemon of the run's own, one namespace
//!   per case.
//! - [`podman`]: `podman pull` into vfs storage in the case's folder.
//! - [`oras`]: oras-py through a small Python driver that writes an OCI layout.
//! - [`command`]: any other puller, from a `--cmd` template with placeholders.

pub mod command;
pub mod ctr;
pub mod oras;
pub mod podman;
pub mod skopeo;

use crate::puller::Puller;

/// The pullers `--puller` accepts.
pub const NAMES: [&str; 4] = ["skopeo", "ctr", "podman", "oras-py"];

/// Prepares the puller called `name` (finding its program, starting containerd).
///
/// # Errors
///
/// When the name is unknown, or the program is missing (the message says how to install
/// it), or its daemon does not start.
pub fn by_name(name: &str) -> anyhow::Result<Box<dyn Puller>> {
    Ok(match name {
        "skopeo" => Box::new(skopeo::Skopeo::find()?),
        "ctr" | "containerd" => Box::new(ctr::Ctr::start()?),
        "podman" => Box::new(podman::Podman::find()?),
        "oras-py" | "oras" => Box::new(oras::OrasPy::find()?),
        other => anyhow::bail!(
            "unknown puller {other:?}: want one of {}, or --cmd 'TEMPLATE' for any other",
            NAMES.join(", ")
        ),
    })
}

/// The first line of a program's `--version` output, with the program's own name and
/// words like "version" stripped (`skopeo version 1.9.3` -> `1.9.3`).
pub(crate) fn version_word(output: &str) -> Option<String> {
    output
        .lines()
        .next()?
        .split_whitespace()
        .rfind(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_the_last_numeric_word_of_the_first_line() {
        for (output, want) in [
            ("skopeo version 1.9.3\n", Some("1.9.3")),
            (
                "ctr github.com/containerd/containerd 1.6.20~ds1\n",
                Some("1.6.20~ds1"),
            ),
            ("podman version 4.3.1", Some("4.3.1")),
            ("0.2.43\n", Some("0.2.43")),
            ("", None),
            ("no numbers here", None),
        ] {
            assert_eq!(version_word(output).as_deref(), want, "{output:?}");
        }
        assert!(by_name("docker").unwrap_err().to_string().contains("--cmd"));
    }
}

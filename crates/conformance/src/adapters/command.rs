//! `--cmd 'TEMPLATE'`: any other puller, run as `sh -c` with placeholders filled in, each
//! value shell-quoted, in the case's folder:
//!
//! | placeholder | value |
//! |---|---|
//! | `{registry}` | `127.0.0.1:PORT` |
//! | `{repo}` | the repository |
//! | `{tag}` | the tag (empty when pulling by digest) |
//! | `{digest}` | the digest (empty when pulling by tag) |
//! | `{ref}` | `127.0.0.1:PORT/repo:tag` or `127.0.0.1:PORT/repo@sha256:...` |
//! | `{os}` `{arch}` `{variant}` | the platform (variant may be empty) |
//! | `{username}` `{password}` | credentials (empty when the case has none) |
//! | `{authfile}` | a docker `config.json` holding those credentials for `{registry}` |
//! | `{out}` | a folder for the puller's store, shared by the pulls of one case |
//!
//! What it stored: the digests the optional `--read-result` command prints (same
//! placeholders; every `sha256:<64 hex>` in its output), and, when `{out}` holds an OCI
//! layout (`index.json`), that layout with every blob re-hashed. A template without any
//! credential placeholder skips the cases that need credentials; one without `{arch}` skips
//! the cases that ask for another platform.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use pullsim_model::Digest;

use crate::oci_layout;
use crate::programs::{self, Outcome};
use crate::puller::{Capability, PullJob, Puller, Stored};

/// Every placeholder a template may use.
pub const PLACEHOLDERS: [&str; 12] = [
    "registry", "repo", "tag", "digest", "ref", "os", "arch", "variant", "username", "password",
    "authfile", "out",
];

/// The time limit of `--read-result`.
const READ_LIMIT: Duration = Duration::from_secs(30);

/// A puller given as a command template.
#[derive(Debug, Clone)]
pub struct CommandPuller {
    name: String,
    template: String,
    read_result: Option<String>,
}

impl CommandPuller {
    /// A puller named `name` (for reports) run as `template`, with `read_result` printing
    /// the digest it pulled.
    ///
    /// # Errors
    ///
    /// When a template names a placeholder that does not exist (`{usrname}`).
    pub fn new(
        name: &str,
        template: &str,
        read_result: Option<&str>,
    ) -> Result<CommandPuller, String> {
        for text in std::iter::once(template).chain(read_result) {
            check_placeholders(text)?;
        }
        Ok(CommandPuller {
            name: name.to_owned(),
            template: template.to_owned(),
            read_result: read_result.map(str::to_owned),
        })
    }

    /// `sh -c TEXT` with the placeholders filled in for `job`, run in the case's folder.
    fn shell(&self, text: &str, job: &PullJob) -> anyhow::Result<Command> {
        let out = job.folder.join("out");
        std::fs::create_dir_all(&out)?;
        let authfile = job.folder.join("auth.json");
        std::fs::write(&authfile, auth_file(job))?;
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(expand(
                text,
                job,
                &authfile.display().to_string(),
                &out.display().to_string(),
            ))
            .current_dir(&job.folder);
        Ok(command)
    }
}

impl Puller for CommandPuller {
    fn name(&self) -> &str {
        &self.name
    }

    fn version(&self) -> Option<String> {
        None
    }

    fn lacks(&self, capability: Capability) -> Option<String> {
        let uses = |name: &str| self.template.contains(&format!("{{{name}}}"));
        match capability {
            Capability::Credentials
                if !uses("username") && !uses("password") && !uses("authfile") =>
            {
                Some("the --cmd template has no {username}, {password} or {authfile}".to_owned())
            }
            Capability::Platform if !uses("arch") => {
                Some("the --cmd template has no {arch}".to_owned())
            }
            _ => None,
        }
    }

    fn pull(&self, job: &PullJob, limit: Duration) -> anyhow::Result<Outcome> {
        programs::run(&mut self.shell(&self.template, job)?, limit)
    }

    fn stored(&self, job: &PullJob) -> anyhow::Result<Stored> {
        let layout = job.folder.join("out");
        let names = [job.label.as_str(), job.tag(), &job.digest()];
        let mut stored = if layout.join("index.json").exists() {
            oci_layout::stored(&layout, &names, true)?
        } else {
            Stored::default()
        };
        if let Some(read_result) = &self.read_result {
            let outcome = programs::run(&mut self.shell(read_result, job)?, READ_LIMIT)?;
            if outcome.success() {
                stored.images = digests_in(&outcome.stdout);
            }
        }
        Ok(stored)
    }
}

/// Refuses `{name}` tokens that are not placeholders (a typo would otherwise reach the
/// shell as literal text); `${name}` is shell syntax and left alone.
fn check_placeholders(template: &str) -> Result<(), String> {
    let mut rest = template;
    let mut previous = ' ';
    while let Some(start) = rest.find('{') {
        let before = rest[..start].chars().last().unwrap_or(previous);
        let after = &rest[start + 1..];
        if let Some(end) = after.find('}') {
            let name = &after[..end];
            let looks_like_one =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if before != '$' && looks_like_one && !PLACEHOLDERS.contains(&name) {
                return Err(format!(
                    "unknown placeholder {{{name}}} in {template:?}: use {}",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                ));
            }
        }
        previous = '{';
        rest = after;
    }
    Ok(())
}

/// Fills every placeholder of `template` for `job`, each value single-quoted for `sh`.
fn expand(template: &str, job: &PullJob, authfile: &str, out: &str) -> String {
    let (username, password) = job
        .credentials
        .as_ref()
        .map_or((String::new(), String::new()), |c| {
            (c.username.clone(), c.password.clone())
        });
    let values = [
        ("registry", job.registry.clone()),
        ("repo", job.repository.clone()),
        ("tag", job.tag().to_owned()),
        ("digest", job.digest()),
        ("ref", job.reference()),
        ("os", job.platform.os.clone()),
        ("arch", job.platform.architecture.clone()),
        ("variant", job.platform.variant.clone()),
        ("username", username),
        ("password", password),
        ("authfile", authfile.to_owned()),
        ("out", out.to_owned()),
    ];
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), &quote(&value));
    }
    text
}

/// `value` as one `sh` word: single-quoted, with `'` written as `'\''`.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// A docker `config.json` with the job's credentials for its registry (no `auths` entry
/// without credentials).
fn auth_file(job: &PullJob) -> String {
    let mut text = String::from("{\"auths\": {");
    if let Some(credentials) = &job.credentials {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", credentials.username, credentials.password));
        let _ = write!(text, "\"{}\": {{\"auth\": \"{token}\"}}", job.registry);
    }
    text.push_str("}}\n");
    text
}

/// Every `sha256:<64 hex digits>` in `text`, in order, without repeats.
fn digests_in(text: &str) -> Vec<Digest> {
    let mut found: Vec<Digest> = Vec::new();
    for (start, _) in text.match_indices("sha256:") {
        let candidate = text.get(start..start + 71).unwrap_or_default();
        if let Ok(digest) = Digest::parse(candidate)
            && !found.contains(&digest)
        {
            found.push(digest);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use pullsim_model::Platform;
    use pullsim_registry::AuthMode;

    use super::*;
    use crate::puller::{Credentials, ImageRef};

    fn job() -> PullJob {
        PullJob {
            registry: "127.0.0.1:5000".into(),
            repository: "auth/basic-challenge".into(),
            image: ImageRef::Tag("v1".into()),
            platform: Platform::new("linux", "arm", "v7"),
            credentials: Some(Credentials {
                username: "alice".into(),
                password: "it's".into(),
            }),
            challenge: AuthMode::Basic,
            folder: PathBuf::from("/tmp/case"),
            store: "basic-challenge".into(),
            label: "pull-1".into(),
        }
    }

    #[test]
    fn placeholders_expand_shell_quoted() {
        let text = expand(
            "pull {ref} --platform {os}/{arch}/{variant} -u {username}:{password} \
             --digest={digest} {authfile} {out} ${HOME}",
            &job(),
            "/tmp/case/auth.json",
            "/tmp/case/out",
        );
        assert_eq!(
            text,
            "pull '127.0.0.1:5000/auth/basic-challenge:v1' --platform 'linux'/'arm'/'v7' \
             -u 'alice':'it'\\''s' --digest='' '/tmp/case/auth.json' '/tmp/case/out' ${HOME}"
        );
    }

    #[test]
    fn unknown_placeholders_are_refused_and_shell_braces_pass() {
        assert!(
            CommandPuller::new("x", "pull {ref} {usrname}", None)
                .unwrap_err()
                .contains("{usrname}")
        );
        assert!(CommandPuller::new("x", "pull {ref}", Some("cat {outt}")).is_err());
        assert!(CommandPuller::new("x", "f() { pull ${ref_var} {ref}; }; f", None).is_ok());
        assert!(CommandPuller::new("x", "echo {A} {1}", None).is_ok());
    }

    #[test]
    fn missing_placeholders_skip_what_they_cannot_do() {
        let plain = CommandPuller::new("x", "pull {ref} {out}", None).unwrap();
        assert!(plain.lacks(Capability::Credentials).is_some());
        assert!(plain.lacks(Capability::Platform).is_some());
        let full =
            CommandPuller::new("x", "pull {ref} --arch {arch} --auth {authfile}", None).unwrap();
        assert_eq!(full.lacks(Capability::Credentials), None);
        assert_eq!(full.lacks(Capability::Platform), None);
    }

    #[test]
    fn auth_files_and_printed_digests() {
        let file = auth_file(&job());
        let parsed: serde_json::Value = serde_json::from_str(&file).unwrap();
        assert_eq!(
            parsed["auths"]["127.0.0.1:5000"]["auth"],
            base64::engine::general_purpose::STANDARD.encode("alice:it's")
        );
        let a = Digest::sha256_of(b"a");
        let b = Digest::sha256_of(b"b");
        assert_eq!(
            digests_in(&format!("pulled {a}\nindex {b} and {a} sha256:short")),
            vec![a, b]
        );
    }
}

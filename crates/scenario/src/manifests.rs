//! `manifests:`: Kubernetes YAML files beside the scenario, read as `kubectl apply -f`
//! reads them: several documents per file (`---`), `kind: List` with its `items`, Secrets,
//! ServiceAccounts and workloads (Pod, Deployment, ReplicaSet, DaemonSet, StatefulSet,
//! Job) exactly as `kubectl get -o yaml` prints them.
//!
//! ```yaml
//! manifests:
//!   - manifests/app.yaml                           # created at 0s
//!   - {file: manifests/batch.yaml, at: 30s, runFor: 5m}
//! ```
//!
//! Paths are relative to the scenario file. This crate opens no file: the caller hands a
//! [`ManifestSource`] to [`Scenario::parse_with`](crate::Scenario::parse_with), which asks
//! it for each file's bytes. Objects of other kinds (Service, ConfigMap, Ingress, ...) are
//! skipped with one note per file in the transcript. Mistakes inside a file are reported
//! with that file's name, line and column; a file that cannot be read is a mistake at its
//! entry.
//!
//! Documents are split at their `---` (and `...`) marker lines, which YAML forbids inside
//! any content at the start of a line, and each is read as one document; positions count
//! from the start of the file.

use std::time::Duration;

use pullsim_model::go_text::quote;
use pullsim_model::{Secret, SimTime};
use pullsim_sim::ServiceAccount;

use crate::diagnostics::{Diagnostics, Position, utf8_text};
use crate::fields::{Fields, list, text, time};
use crate::objects::{read_secret, read_service_account};
use crate::references::Known;
use crate::tree::{Node, Value, parse_document};
use crate::workloads::{
    Context, Origin, WORKLOAD_KINDS, Workload, read_run_for, read_workload, written_kind,
};

/// Where the files `manifests:` names come from.
pub trait ManifestSource {
    /// The bytes of the file at `path`, as written in the scenario (relative to the
    /// scenario file), or why it cannot be read.
    fn read(&mut self, path: &str) -> Result<Vec<u8>, String>;
}

/// Any closure from a path to the file's bytes is a source.
impl<F: FnMut(&str) -> Result<Vec<u8>, String>> ManifestSource for F {
    fn read(&mut self, path: &str) -> Result<Vec<u8>, String> {
        self(path)
    }
}

/// The source of [`Scenario::parse`](crate::Scenario::parse), which reads one text: it
/// refuses every file.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoManifests;

impl ManifestSource for NoManifests {
    fn read(&mut self, _path: &str) -> Result<Vec<u8>, String> {
        Err("this reader takes the scenario's text alone and reads no other file (a caller that reads files uses Scenario::parse_with)".to_owned())
    }
}

/// The objects of one file, sorted by what they are.
struct ManifestFile {
    /// The file as errors name it: the path joined to the scenario file's folder.
    name: String,
    /// The entry's `at` and where it is written.
    at: (SimTime, Option<Position>),
    /// The entry's `runFor`.
    run_for: Option<Duration>,
    secrets: Vec<Node>,
    accounts: Vec<Node>,
    workloads: Vec<Node>,
    /// `Kind/name` of each object pullsim does not model.
    skipped: Vec<String>,
}

/// Every file `manifests:` names, read.
#[derive(Default)]
pub(crate) struct ManifestFiles {
    files: Vec<ManifestFile>,
}

impl ManifestFiles {
    /// Reads the `manifests:` list of the scenario `scenario_file`, asking `source` for
    /// each file.
    pub(crate) fn load(
        node: &Node,
        scenario_file: &str,
        source: &mut dyn ManifestSource,
        diagnostics: &mut Diagnostics,
    ) -> ManifestFiles {
        let folder = scenario_file
            .rfind('/')
            .map_or("", |slash| &scenario_file[..=slash]);
        let mut files = Vec::new();
        for item in list(node, diagnostics) {
            let Some(entry) = read_entry(item, diagnostics) else {
                continue;
            };
            let bytes = match source.read(&entry.path) {
                Ok(bytes) => bytes,
                Err(error) => {
                    diagnostics.error(
                        entry.position,
                        format!("cannot read manifests file {}: {error}", quote(&entry.path)),
                    );
                    continue;
                }
            };
            let name = format!("{folder}{}", entry.path);
            let mut file = ManifestFile {
                name: name.clone(),
                at: entry.at,
                run_for: entry.run_for,
                secrets: Vec::new(),
                accounts: Vec::new(),
                workloads: Vec::new(),
                skipped: Vec::new(),
            };
            let mut inside = Diagnostics::default();
            match utf8_text(&bytes) {
                Ok(text) => {
                    for document in documents(text, &mut inside) {
                        file.sort(document, &mut inside);
                    }
                }
                Err(error) => inside.error(error.position, error.message),
            }
            diagnostics.absorb(&name, inside);
            files.push(file);
        }
        ManifestFiles { files }
    }

    /// The workload manifests of every file, for the ceilings: each file's name and its
    /// manifests.
    pub(crate) fn workload_nodes(&self) -> impl Iterator<Item = (&str, &[Node])> {
        self.files
            .iter()
            .map(|file| (file.name.as_str(), file.workloads.as_slice()))
    }

    /// Reads the Secrets, each with its file and position.
    pub(crate) fn secrets(&self, diagnostics: &mut Diagnostics) -> Vec<(Secret, String, Position)> {
        let mut secrets = Vec::new();
        for file in &self.files {
            let mut inside = Diagnostics::default();
            for node in &file.secrets {
                if let Some(secret) = read_secret(node, &mut inside) {
                    secrets.push((secret, file.name.clone(), node.position));
                }
            }
            diagnostics.absorb(&file.name, inside);
        }
        secrets
    }

    /// Reads the ServiceAccounts, each with its file and position.
    pub(crate) fn service_accounts(
        &self,
        diagnostics: &mut Diagnostics,
    ) -> Vec<(ServiceAccount, String, Position)> {
        let mut accounts = Vec::new();
        for file in &self.files {
            let mut inside = Diagnostics::default();
            for node in &file.accounts {
                if let Some(account) = read_service_account(node, &mut inside) {
                    accounts.push((account, file.name.clone(), node.position));
                }
            }
            diagnostics.absorb(&file.name, inside);
        }
        accounts
    }

    /// Reads the workloads, created at their entry's `at` (checked against the run here,
    /// in the scenario file).
    pub(crate) fn workloads(
        &self,
        context: &Context<'_>,
        known: &Known,
        diagnostics: &mut Diagnostics,
    ) -> Vec<Workload> {
        let mut workloads = Vec::new();
        for file in &self.files {
            let (at, at_position) = file.at;
            if let Some(position) = at_position {
                known.within_run(at, position, diagnostics);
            }
            let origin = Origin::File {
                at,
                run_for: file.run_for,
            };
            let mut inside = Diagnostics::default();
            for node in &file.workloads {
                if let Some(mut workload) = read_workload(node, origin, context, &mut inside) {
                    workload.file = Some(file.name.clone());
                    workloads.push(workload);
                }
            }
            diagnostics.absorb(&file.name, inside);
        }
        workloads
    }

    /// One note per file that holds objects pullsim does not model.
    pub(crate) fn notes(&self) -> Vec<String> {
        self.files
            .iter()
            .filter(|file| !file.skipped.is_empty())
            .map(|file| {
                let count = file.skipped.len();
                let objects = if count == 1 { "object" } else { "objects" };
                format!(
                    "{}: skipped {count} {objects} pullsim does not model: {}",
                    file.name,
                    file.skipped.join(", ")
                )
            })
            .collect()
    }
}

/// One `manifests:` entry.
struct Entry {
    path: String,
    position: Position,
    at: (SimTime, Option<Position>),
    run_for: Option<Duration>,
}

/// `- path.yaml` or `- {file: path.yaml, at: 30s, runFor: 5m}`.
fn read_entry(node: &Node, diagnostics: &mut Diagnostics) -> Option<Entry> {
    if node.scalar().is_some() {
        return Some(Entry {
            path: text(node, diagnostics)?,
            position: node.position,
            at: (SimTime::EPOCH, None),
            run_for: None,
        });
    }
    let mut fields = Fields::of(
        node,
        "a manifests file (a path, or {file, at, runFor})",
        diagnostics,
    )?;
    let file = fields.require("file", diagnostics);
    let path = file.and_then(|file| text(file, diagnostics));
    let at = match fields.get("at") {
        None => Some((SimTime::EPOCH, None)),
        Some(at) => time(at, diagnostics).map(|time| (time, Some(at.position))),
    };
    let run_for = match fields.get("runFor") {
        None => Some(None),
        Some(run_for) => read_run_for(run_for, diagnostics).map(Some),
    };
    fields.finish(diagnostics);
    Some(Entry {
        path: path?,
        position: file.map_or(node.position, |file| file.position),
        at: at?,
        run_for: run_for?,
    })
}

impl ManifestFile {
    /// Files a document (or each item of a `kind: List`) under what it is.
    fn sort(&mut self, node: Node, diagnostics: &mut Diagnostics) {
        match written_kind(&node) {
            Some("List") => {
                let items = node.entries().and_then(|entries| {
                    entries
                        .iter()
                        .find(|entry| entry.key == "items")
                        .map(|entry| &entry.value)
                });
                for item in items
                    .map(|items| list(items, diagnostics))
                    .unwrap_or_default()
                {
                    if written_kind(item) == Some("List") {
                        diagnostics.error(item.position, "a List's items may not be Lists");
                        continue;
                    }
                    self.sort(item.clone(), diagnostics);
                }
            }
            Some("Secret") => self.secrets.push(node),
            Some("ServiceAccount") => self.accounts.push(node),
            Some(kind) if WORKLOAD_KINDS.iter().any(|(known, _)| *known == kind) => {
                self.workloads.push(node);
            }
            Some(kind) => {
                let name = node
                    .entries()
                    .and_then(|entries| entries.iter().find(|entry| entry.key == "metadata"))
                    .and_then(|metadata| metadata.value.entries())
                    .and_then(|entries| entries.iter().find(|entry| entry.key == "name"))
                    .and_then(|name| name.value.scalar())
                    .unwrap_or("?");
                self.skipped.push(format!("{kind}/{name}"));
            }
            None if node.entries().is_none() => diagnostics.error(
                node.position,
                format!(
                    "expected a Kubernetes object (a mapping), found {}",
                    node.describe()
                ),
            ),
            None => diagnostics.error(
                node.position,
                "missing field \"kind\" (a manifests file holds Kubernetes objects)",
            ),
        }
    }
}

/// The documents of a multi-document YAML text, with positions counted from the start of
/// the text; documents holding nothing but comments are left out.
fn documents(text: &str, diagnostics: &mut Diagnostics) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut piece = String::new();
    let mut first_line = 0usize;
    let mut finish = |piece: &mut String, first_line: usize, diagnostics: &mut Diagnostics| {
        let has_content = piece.lines().any(|line| {
            let line = line.trim();
            !line.is_empty() && !line.starts_with('#')
        });
        if has_content {
            let mut inside = Diagnostics::default();
            let offset = u32::try_from(first_line).unwrap_or(u32::MAX);
            if let Some(mut node) = parse_document(piece, &mut inside) {
                shift(&mut node, offset);
                nodes.push(node);
            }
            diagnostics.append_shifted(inside, offset);
        }
        piece.clear();
    };
    for (index, line) in text.split('\n').enumerate() {
        let marker = ["---", "..."].iter().any(|marker| {
            line.strip_prefix(marker)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
        });
        if marker {
            finish(&mut piece, first_line, diagnostics);
            first_line = index;
            // What follows the marker on its line belongs to the next document; the marker
            // becomes spaces so columns stay where they are.
            piece.push_str("   ");
            piece.push_str(&line[3..]);
        } else {
            if piece.is_empty() {
                first_line = index;
            }
            piece.push_str(line);
        }
        piece.push('\n');
    }
    finish(&mut piece, first_line, diagnostics);
    nodes
}

/// Moves every position of `node` down `lines` lines.
fn shift(node: &mut Node, lines: u32) {
    if lines == 0 {
        return;
    }
    let mut stack: Vec<&mut Node> = vec![node];
    while let Some(node) = stack.pop() {
        node.position.line = node.position.line.saturating_add(lines);
        match &mut node.value {
            Value::Scalar { .. } => {}
            Value::Sequence(items) => stack.extend(items.iter_mut()),
            Value::Mapping(entries) => {
                for entry in entries.iter_mut() {
                    entry.key_position.line = entry.key_position.line.saturating_add(lines);
                    stack.push(&mut entry.value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_at_their_markers_and_keep_their_lines() {
        let text =
            "# leading comment\n---\na: 1\n--- {b: 2}\n---\n# only a comment\n...\nc:\n  - 3\n";
        let mut diagnostics = Diagnostics::default();
        let nodes = documents(text, &mut diagnostics);
        assert!(diagnostics.finish("f").is_none());
        let lines: Vec<u32> = nodes.iter().map(|node| node.position.line).collect();
        assert_eq!(lines, vec![3, 4, 8]);
        assert_eq!(nodes[1].position.column, 5);
        let item = &nodes[2].entries().unwrap()[0].value.items().unwrap()[0];
        assert_eq!((item.position.line, item.position.column), (9, 5));
    }

    #[test]
    fn a_syntax_error_is_found_at_its_line_in_the_file() {
        let mut diagnostics = Diagnostics::default();
        let nodes = documents("a: 1\n---\nb: \"open\n", &mut diagnostics);
        assert_eq!(nodes.len(), 1);
        let errors = diagnostics.finish("f").unwrap().to_string();
        assert!(errors.starts_with("f:3:"), "{errors}");
    }
}

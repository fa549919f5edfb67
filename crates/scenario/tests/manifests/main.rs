//! Workload manifests as `kubectl get -o yaml` prints them, in `workloads:` and in
//! `manifests:` files: each kind read into the simulator's `WorkloadObject` with the API
//! server's defaults, `kind: List`, skipped kinds and their note, the API server's
//! validation messages at their positions (naming the manifests file they are in), a
//! missing file, and no panic on any file content.

use std::collections::BTreeMap;

use pullsim_scenario::Scenario;

pub(crate) const HEAD: &str = "\
name: m
description: d
registries:
  - host: registry.example.com
    images: [{repository: team/web, tag: v1}, {repository: team/web, tag: v2}]
nodes:
  - {pool: workers, count: 3}
";

/// Reads `text` as `scenarios/m.yaml`, its manifests files from `files`.
pub(crate) fn parse(text: &str, files: &[(&str, &str)]) -> Result<Scenario, String> {
    let files: BTreeMap<String, String> = files
        .iter()
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect();
    let mut source = |path: &str| {
        files
            .get(path)
            .map(|text| text.clone().into_bytes())
            .ok_or_else(|| "No such file or directory (os error 2)".to_owned())
    };
    Scenario::parse_with("scenarios/m.yaml", text, &mut source).map_err(|e| e.to_string())
}

pub(crate) fn read(text: &str, files: &[(&str, &str)]) -> Scenario {
    parse(text, files).unwrap_or_else(|errors| panic!("{errors}"))
}

pub(crate) fn errors(text: &str, files: &[(&str, &str)]) -> Vec<String> {
    match parse(text, files) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.lines().map(str::to_owned).collect(),
    }
}

mod reading;
mod validation;

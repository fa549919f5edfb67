//! Shared helpers for pullsim's whole-project tests.
//!
//! The real-program harness the registry tests use (the fake registry on 127.0.0.1,
//! processes killed by pid, containerd, skopeo and podman sandboxes, OCI layouts) lives in
//! `pullsim-conformance`, which the conformance suite shares; this file keeps only the
//! workspace root, file listing and path spelling the tidy and scenario tests use.

use std::path::{Path, PathBuf};

/// The workspace's root folder (the parent of this package's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `path` under `base`, with `/` between its parts on every platform (`backoff/x.yaml`), as
/// scenario lines and snapshot names spell it; `path` itself when it is not under `base`.
pub fn relative_slash_path(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every file under `dir` (recursively, in sorted order) whose name ends with `suffix`,
/// skipping build output and version-control folders.
pub fn files_with_suffix(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    collect(dir, suffix, &mut found);
    found.sort();
    found
}

fn collect(dir: &Path, suffix: &str, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | ".git" | "node_modules")
                && !name.starts_with('.')
            {
                collect(&path, suffix, found);
            }
        } else if name.ends_with(suffix) {
            found.push(path);
        }
    }
}

//! What a host may be used for: `capabilities = ["pull", "resolve", "push"]`.
//!
//! Source: containerd/containerd `core/remotes/docker/registry.go` (`HostCapabilities`) and
//! `core/remotes/docker/config/hosts.go` (`parseHostConfig`: case-insensitive names, all three
//! when the list is absent or empty, `unknown capability %v` otherwise).

/// A set of host capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// Fetch content by digest (`pull`).
    pub pull: bool,
    /// Resolve a tag to a digest (`resolve`).
    pub resolve: bool,
    /// Receive pushes (`push`).
    pub push: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities::ALL
    }
}

impl Capabilities {
    /// pull, resolve and push: the default.
    pub const ALL: Capabilities = Capabilities {
        pull: true,
        resolve: true,
        push: true,
    };
    /// Only pull.
    pub const PULL: Capabilities = Capabilities {
        pull: true,
        resolve: false,
        push: false,
    };
    /// Nothing (the start of a union).
    pub const NONE: Capabilities = Capabilities {
        pull: false,
        resolve: false,
        push: false,
    };

    /// The union of the names in `list` (case-insensitive), or `unknown capability <name>`.
    pub fn parse(list: &[String]) -> Result<Capabilities, String> {
        let mut caps = Capabilities::NONE;
        for name in list {
            match name.to_ascii_lowercase().as_str() {
                "pull" => caps.pull = true,
                "resolve" => caps.resolve = true,
                "push" => caps.push = true,
                _ => return Err(format!("unknown capability {name}")),
            }
        }
        Ok(caps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_unioned() {
        let caps = Capabilities::parse(&["PULL".to_owned(), "Resolve".to_owned()]).unwrap();
        assert_eq!(
            caps,
            Capabilities {
                pull: true,
                resolve: true,
                push: false
            }
        );
        assert_eq!(
            Capabilities::parse(&["fetch".to_owned()]).unwrap_err(),
            "unknown capability fetch"
        );
    }
}

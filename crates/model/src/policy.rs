//! TEMPORARY copy of the `PullPolicy` type so the rules branch builds on its own; the
//! integrator drops this file in favour of the reference-parser branch's `crate::policy`.

/// A container's `imagePullPolicy` (Kubernetes `v1.PullPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PullPolicy {
    /// `Always`: resolve the reference in the registry on every container start.
    Always,
    /// `IfNotPresent`: pull only when the image is not on the node.
    IfNotPresent,
    /// `Never`: only ever use an image already on the node.
    Never,
}

impl PullPolicy {
    /// The policy as Kubernetes spells it in a Pod spec.
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}
